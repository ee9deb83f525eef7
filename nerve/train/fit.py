"""``fit`` and ``evaluate``: Keras's convenience over the plain PyTorch-style loop.

One training step is exactly the loop you would write by hand::

    optimizer.zero_grad(); loss = loss_fn(model(x), y); loss.backward(); optimizer.step()

``fit`` adds a progress bar, metrics, validation, callbacks and a History.
"""

from __future__ import annotations

import time

import numpy as np

from nerve.autograd.grad_mode import no_grad
from nerve.nn.utils import clip_grad_norm_
from nerve.tensor import Tensor
from nerve.train.callbacks import CallbackList, LRSchedulerCallback, TrainState
from nerve.train.history import History
from nerve.train.metrics import get_metrics


def fit(
    model,
    loss_fn,
    optimizer,
    train_loader,
    val_loader=None,
    epochs: int = 1,
    metrics=None,
    callbacks=None,
    scheduler=None,
    verbose: bool = True,
    initial_epoch: int = 0,
    clip_grad_norm: float | None = None,
    monitor: str | None = None,
) -> History:
    """Train ``model`` for epochs ``initial_epoch .. epochs-1``; return the History.

    ``train_loader`` / ``val_loader`` yield ``(input, target)`` batches. ``metrics``:
    names ('accuracy', 'top5_accuracy'), Metric objects or callables
    ``fn(output, target) -> float``; each is logged for training and, with a
    ``val_loader``, as ``val_<name>``. ``scheduler`` is stepped once per epoch (a
    ReduceLROnPlateau gets ``monitor``, by default 'val_loss' or else 'loss').
    ``clip_grad_norm`` rescales the gradients so their global L2 norm is at most that.
    To resume, load a checkpoint and pass its epoch as ``initial_epoch``. Batches go to
    the model's device (that of its first parameter) when it is not the CPU.
    """
    _check_fit_args(epochs, initial_epoch, clip_grad_norm)
    metric_fns = get_metrics(metrics)
    history = History()
    state = TrainState(
        model=model,
        optimizer=optimizer,
        scheduler=scheduler,
        train_loader=train_loader,
        epochs=epochs,
        initial_epoch=initial_epoch,
        params={"epochs": epochs, "verbose": verbose, "metrics": [m.name for m in metric_fns]},
    )
    hooks = _hooks(history, scheduler, monitor, callbacks, state)
    params = [p for p in model.parameters() if p.requires_grad]
    state.device = _model_device(model)
    model.train()
    hooks.on_train_begin({})
    for epoch in range(initial_epoch, epochs):
        if state.stop_training:  # a callback may stop the run before an epoch begins
            break
        state.epoch = epoch
        hooks.on_epoch_begin(epoch, {})
        logs = _train_epoch(
            model,
            loss_fn,
            optimizer,
            train_loader,
            metric_fns,
            hooks,
            state,
            params,
            clip_grad_norm,
            verbose,
        )
        if val_loader is not None:
            val = evaluate(model, loss_fn, val_loader, metric_fns)
            logs.update({f"val_{k}": v for k, v in val.items()})
        if getattr(optimizer, "param_groups", None):
            logs["lr"] = float(optimizer.param_groups[0]["lr"])
        hooks.on_epoch_end(epoch, logs)
        if verbose and val_loader is not None:
            _say_epoch(epoch, epochs, logs)
    hooks.on_train_end({})
    return history


def _hooks(history, scheduler, monitor, callbacks, state) -> CallbackList:
    cbs: list = [history]
    if scheduler is not None:
        # before the user's callbacks, so a checkpoint taken at an epoch's end holds the
        # learning rate of the next epoch, as in a hand-written loop
        cbs.append(LRSchedulerCallback(scheduler, monitor))
    return CallbackList(cbs + list(callbacks or []), state)


def evaluate(model, loss_fn, loader, metrics=None) -> dict[str, float]:
    """Mean loss and metrics over ``loader``, in eval mode and without a graph.

    The model's train/eval mode is restored afterwards. ``loss_fn`` may be None to
    compute the metrics only.
    """
    metric_fns = get_metrics(metrics)
    sums, seen = _Sums(), 0
    device = _model_device(model)
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            for batch in loader:
                x, y = _unpack(batch, device)
                out = model(x)
                n = _batch_size(y)
                if loss_fn is not None:
                    sums.add("loss", float(loss_fn(out, y).item()), n)
                for m in metric_fns:
                    sums.add(m.name, m(out, y), n)
                seen += n
    finally:
        model.train(was_training)
    if seen == 0:
        raise ValueError("evaluate: the loader yielded no batches")
    return sums.means()


def _train_epoch(
    model, loss_fn, optimizer, loader, metric_fns, hooks, state, params, clip, verbose
) -> dict:
    """One pass over the loader: the plain step per batch, plus bookkeeping."""
    bar = _progress(loader, state, verbose)
    sums, seen, start = _Sums(), 0, time.perf_counter()
    for i, batch in enumerate(bar):
        x, y = _unpack(batch, state.device)
        hooks.on_batch_begin(i, {})
        optimizer.zero_grad()
        out = model(x)
        loss = loss_fn(out, y)
        loss.backward()
        if clip is not None:
            clip_grad_norm_(params, clip)
        optimizer.step()
        n = _batch_size(y)
        logs = {"loss": float(loss.item()), "size": n}
        with no_grad():
            for m in metric_fns:
                logs[m.name] = m(out.detach(), y)
        for k, v in logs.items():
            if k != "size":
                sums.add(k, v, n)
        seen += n
        hooks.on_batch_end(i, logs)
        if verbose:
            rate = seen / max(time.perf_counter() - start, 1e-9)
            bar.set_postfix(_fmt(sums.means()) | {"samples/s": f"{rate:.0f}"}, refresh=False)
        if state.stop_training:
            break
    bar.close()
    if seen == 0:
        raise ValueError("fit: train_loader yielded no batches")
    return sums.means()


class _Sums:
    """Running sums of batch means weighted by batch size, for exact epoch means."""

    def __init__(self) -> None:
        self.total: dict[str, float] = {}
        self.count: dict[str, int] = {}

    def add(self, key: str, value: float, n: int) -> None:
        self.total[key] = self.total.get(key, 0.0) + float(value) * n
        self.count[key] = self.count.get(key, 0) + n

    def means(self) -> dict[str, float]:
        return {k: self.total[k] / self.count[k] for k in self.total}


def _model_device(model):
    """The device of the model's first parameter, or None for the CPU (and no params)."""
    for p in model.parameters():
        return None if p.device.type == "cpu" else p.device
    return None


def _to(v, device):
    if isinstance(v, Tensor):
        return v.to(device)
    if isinstance(v, tuple | list):
        return type(v)(_to(u, device) for u in v)
    return v


def _unpack(batch, device=None):
    if isinstance(batch, tuple | list) and len(batch) == 2:
        if device is None:
            return batch[0], batch[1]
        return _to(batch[0], device), _to(batch[1], device)
    got = f"a {type(batch).__name__}"
    if isinstance(batch, tuple | list):
        got += f" of {len(batch)} items"
    raise ValueError(f"fit/evaluate: the loader must yield (input, target) pairs, got {got}")


def _batch_size(y) -> int:
    if isinstance(y, Tensor | np.ndarray):
        return int(y.shape[0]) if y.ndim else 1
    return len(y)


def _check_fit_args(epochs, initial_epoch, clip) -> None:
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"fit: epochs must be a non-negative int, got {epochs!r}")
    if not isinstance(initial_epoch, int) or not 0 <= initial_epoch <= epochs:
        raise ValueError(
            f"fit: initial_epoch must be an int in [0, epochs={epochs}], got {initial_epoch!r}"
        )
    if clip is not None and not clip > 0:
        raise ValueError(f"fit: clip_grad_norm must be positive, got {clip!r}")


def _progress(loader, state, verbose):
    from tqdm import tqdm  # a hard dependency, imported when needed to keep import fast

    try:
        total = len(loader)
    except TypeError:
        total = None
    # disable=None: tqdm draws no bar where its stream is not a terminal (a redirected log
    # would fill with bar redraws); the per-epoch summary lines are printed either way
    return tqdm(
        loader,
        total=total,
        disable=None if verbose else True,
        unit="batch",
        leave=True,
        desc=f"Epoch {state.epoch + 1}/{state.epochs}",
        dynamic_ncols=True,
    )


def _fmt(logs: dict) -> dict:
    return {k: f"{v:.4g}" for k, v in logs.items()}


def _say_epoch(epoch: int, epochs: int, logs: dict) -> None:
    from tqdm import tqdm

    text = "  ".join(f"{k}={v:.4g}" for k, v in logs.items())
    tqdm.write(f"Epoch {epoch + 1}/{epochs}: {text}")
