"""Callbacks: hooks into ``fit`` (Keras-like), and the ones most runs need.

A callback sees the run through ``self.state`` (model, optimizer, scheduler, epoch...)
and stops it by setting ``self.state.stop_training = True``; ``fit`` ends the epoch (or,
from ``on_batch_end``, the batch loop) and returns.
"""

from __future__ import annotations

import inspect
import math
import os
from dataclasses import dataclass, field

import numpy as np


@dataclass
class TrainState:
    """What ``fit`` shares with its callbacks; ``stop_training`` ends the run."""

    model: object = None
    optimizer: object = None
    scheduler: object = None
    train_loader: object = None
    epochs: int = 1
    initial_epoch: int = 0
    epoch: int = 0
    stop_training: bool = False
    params: dict = field(default_factory=dict)
    device: object = None  # where fit moves the batches (None: they stay as given)


class Callback:
    """Base class: override the hooks you need. ``logs`` is a dict of floats."""

    def __init__(self) -> None:
        self.state = TrainState()

    def set_state(self, state: TrainState) -> None:
        self.state = state

    @property
    def model(self):
        return self.state.model

    @property
    def optimizer(self):
        return self.state.optimizer

    def on_train_begin(self, logs: dict | None = None) -> None: ...

    def on_train_end(self, logs: dict | None = None) -> None: ...

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None: ...

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None: ...

    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None: ...

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None: ...


class CallbackList:
    """Calls each hook on every callback, in order."""

    def __init__(self, callbacks, state: TrainState) -> None:
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(
                    f"callbacks must be nerve.train.Callback instances, got {type(cb).__name__}"
                )
            cb.set_state(state)

    def __getattr__(self, hook: str):
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        def call(*args) -> None:
            for cb in self.callbacks:
                getattr(cb, hook)(*args)

        return call


class _Monitor:
    """Tracks the best value of one logged quantity, for min or max."""

    def __init__(self, owner: str, monitor: str, mode: str, min_delta: float = 0.0) -> None:
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"{owner}: mode must be 'auto', 'min' or 'max', got {mode!r}")
        if mode == "auto":
            mode = (
                "max"
                if any(k in monitor for k in ("acc", "auc", "f1", "precision", "recall"))
                else "min"
            )
        self.owner, self.monitor, self.mode = owner, monitor, mode
        self.min_delta = abs(float(min_delta))
        self.best = math.inf if mode == "min" else -math.inf

    def value(self, logs: dict | None) -> float:
        logs = logs or {}
        if self.monitor not in logs:
            raise KeyError(
                f"{self.owner} monitors {self.monitor!r}, which was not logged; "
                f"available: {sorted(logs)} (val_* needs a val_loader)"
            )
        return float(logs[self.monitor])

    def improved(self, current: float) -> bool:
        if self.mode == "min":
            return current < self.best - self.min_delta
        return current > self.best + self.min_delta


def snapshot(model) -> dict:
    """Copies of the model's state_dict arrays (the live ones change as training goes on)."""
    return {k: np.array(v._data, copy=True) for k, v in model.state_dict().items()}


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience``
    epochs in a row.

    With ``restore_best_weights`` the model ends with the weights of its best epoch,
    whether the run stopped early or reached its last epoch. ``baseline``: a value the
    monitor must beat to count as an improvement at all. Epochs before
    ``start_from_epoch`` are not monitored (warm-up).
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__()
        if patience < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience}")
        self.tracker = _Monitor("EarlyStopping", monitor, mode, min_delta)
        self.monitor, self.patience, self.verbose = monitor, int(patience), verbose
        self.baseline, self.restore_best_weights = baseline, restore_best_weights
        self.start_from_epoch = int(start_from_epoch)
        self.wait, self.stopped_epoch, self.best_epoch = 0, None, None
        self.best_weights = None

    @property
    def best(self) -> float:
        return self.tracker.best

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.wait, self.stopped_epoch, self.best_epoch, self.best_weights = 0, None, None, None
        t = self.tracker
        t.best = math.inf if t.mode == "min" else -math.inf
        if self.baseline is not None:
            t.best = float(self.baseline)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if epoch < self.start_from_epoch:
            return
        current = self.tracker.value(logs)
        if self.tracker.improved(current):
            self.tracker.best, self.best_epoch, self.wait = current, epoch, 0
            if self.restore_best_weights:
                self.best_weights = snapshot(self.model)
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.state.stop_training = True
            if self.verbose:
                _say(
                    f"EarlyStopping: epoch {epoch + 1}: {self.monitor} has not improved "
                    f"for {self.wait} epochs (best {self.best:.6g} at epoch "
                    f"{_human(self.best_epoch)}); stopping."
                )

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            self.model.load_state_dict(self.best_weights)
            if self.verbose:
                _say(f"EarlyStopping: restored the weights of epoch {self.best_epoch + 1}.")


class ModelCheckpoint(Callback):
    """Save a checkpoint (model, optimizer, scheduler, epoch, RNG state) after each epoch.

    ``filepath`` may hold ``{epoch}`` (1-based) and logged names, e.g.
    ``"ckpt-{epoch:02d}-{val_loss:.3f}.nrv"``. With ``save_best_only`` it saves only when
    ``monitor`` improves. With ``save_weights_only`` the file holds the model's
    state_dict alone. Files are written atomically (temporary file, then rename), so a
    crash mid-save never leaves a truncated checkpoint. Resume with
    :func:`nerve.train.load_checkpoint`.
    """

    def __init__(
        self,
        filepath: str | os.PathLike,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
    ) -> None:
        super().__init__()
        self.filepath = os.fspath(filepath)
        self.tracker = _Monitor("ModelCheckpoint", monitor, mode)
        self.monitor, self.verbose = monitor, verbose
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self.last_path = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        from nerve.train.checkpoint import save_checkpoint

        logs = logs or {}
        if self.save_best_only:
            current = self.tracker.value(logs)
            if not self.tracker.improved(current):
                return
            self.tracker.best = current
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if self.save_weights_only:
            save_checkpoint(path, self.model, weights_only=True)
        else:
            s = self.state
            save_checkpoint(
                path,
                s.model,
                s.optimizer,
                s.scheduler,
                epoch=epoch + 1,
                train_loader=s.train_loader,
            )
        self.last_path = path
        if self.verbose:
            _say(f"ModelCheckpoint: epoch {epoch + 1}: saved {path}")


class TerminateOnNaN(Callback):
    """Stop at the first batch whose loss is NaN or infinite."""

    def __init__(self) -> None:
        super().__init__()
        self.stopped = None

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            self.stopped = (self.state.epoch, batch)
            self.state.stop_training = True
            _say(
                f"TerminateOnNaN: epoch {self.state.epoch + 1}, batch {batch}: the loss is "
                f"{loss}; training stopped. The weights have diverged: try a lower learning "
                "rate, gradient clipping (fit(..., clip_grad_norm=1.0)) or normalised inputs."
            )


class LRSchedulerCallback(Callback):
    """Step a learning-rate schedule at the end of each epoch.

    A schedule whose ``step`` takes ``metrics`` (ReduceLROnPlateau) gets the value of
    ``monitor`` ('val_loss' by default, 'loss' when no validation ran). Put it before a
    ModelCheckpoint in the callback list (``fit(scheduler=...)`` does), so checkpoints
    hold the stepped schedule.
    """

    def __init__(self, scheduler, monitor: str | None = None) -> None:
        super().__init__()
        if not callable(getattr(scheduler, "step", None)):
            raise TypeError(
                f"LRSchedulerCallback: expected an lr scheduler with a step() "
                f"method, got {type(scheduler).__name__}"
            )
        self.scheduler, self.monitor = scheduler, monitor
        params = inspect.signature(scheduler.step).parameters
        self.wants_metric = "metrics" in params

    def on_train_begin(self, logs: dict | None = None) -> None:
        if self.state.scheduler is None:
            self.state.scheduler = self.scheduler  # so checkpoints include it

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if not self.wants_metric:
            self.scheduler.step()
            return
        logs = logs or {}
        monitor = self.monitor or ("val_loss" if "val_loss" in logs else "loss")
        if monitor not in logs:
            raise KeyError(
                f"LRSchedulerCallback monitors {monitor!r}, which was not logged; "
                f"available: {sorted(logs)}"
            )
        self.scheduler.step(float(logs[monitor]))


def _human(epoch: int | None) -> str:
    return "-" if epoch is None else str(epoch + 1)


def _say(message: str) -> None:
    from tqdm import tqdm

    tqdm.write(message)  # keeps an open progress bar intact


class TensorBoard(Callback):
    """Logs the run for TensorBoard, as Keras's callback does: each epoch's logs as
    ``epoch_<name>`` in ``log_dir/train`` (``val_<name>`` as ``epoch_<name>`` in
    ``log_dir/validation``), every ``update_freq`` batches (an int; "epoch" for none)
    the batch logs as ``batch_<name>``, and every ``histogram_freq`` epochs (0: never)
    a histogram of each parameter. Written by :class:`nerve.utils.tensorboard.SummaryWriter`.
    """

    def __init__(
        self, log_dir: str = "logs", histogram_freq: int = 0, update_freq: int | str = "epoch"
    ) -> None:
        super().__init__()
        if update_freq != "epoch" and (not isinstance(update_freq, int) or update_freq < 1):
            raise ValueError(
                f"TensorBoard: update_freq must be 'epoch' or a positive int, got {update_freq!r}"
            )
        self.log_dir, self.histogram_freq, self.update_freq = log_dir, histogram_freq, update_freq
        self._writers: dict = {}
        self._step = 0

    def _writer(self, run: str):
        if run not in self._writers:
            from nerve.utils.tensorboard import SummaryWriter

            self._writers[run] = SummaryWriter(os.path.join(self.log_dir, run))
        return self._writers[run]

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._step += 1
        if self.update_freq != "epoch" and self._step % self.update_freq == 0:
            for name, value in (logs or {}).items():
                if isinstance(value, int | float):
                    self._writer("train").add_scalar(f"batch_{name}", value, self._step)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        for name, value in (logs or {}).items():
            run, tag = ("validation", name[4:]) if name.startswith("val_") else ("train", name)
            self._writer(run).add_scalar(f"epoch_{tag}", float(value), epoch)
        if self.histogram_freq and (epoch + 1) % self.histogram_freq == 0:
            for name, p in self.model.named_parameters():
                self._writer("train").add_histogram(name, p.detach(), epoch, bins=30)
        for w in self._writers.values():
            w.flush()

    def on_train_end(self, logs: dict | None = None) -> None:
        for w in self._writers.values():
            w.close()
        self._writers = {}
