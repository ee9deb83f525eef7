"""The labs that train on the 8x8 digits: vanishing, activations, regularization."""

from __future__ import annotations

import os

import numpy as np

import nerve.nn.functional as F
from nerve import creation, nn, optim
from nerve.autograd.grad_mode import no_grad
from nerve.data.datasets import load_digits
from nerve.diagnostics import plots
from nerve.diagnostics.labs.result import LabResult, save_plot
from nerve.diagnostics.monitor import GradientMonitor
from nerve.diagnostics.verdict import layer_medians
from nerve.random import manual_seed


def _digits(n_train: int | None = None, seed: int = 0) -> tuple:
    """(X, y, X_test, y_test), standardised per pixel with the training statistics (the
    lectures' input normalisation); ``n_train`` draws a class-balanced training subset."""
    x, y = load_digits("train")
    xt, yt = load_digits("test")
    mean, std = x.numpy().mean(0), x.numpy().std(0) + 0.1  # + 0.1: constant border pixels
    x, xt = (creation.from_numpy((a.numpy() - mean) / std) for a in (x, xt))
    if n_train is not None:
        rng = np.random.default_rng(seed)
        labels = y.numpy()
        idx = np.concatenate(
            [rng.permutation(np.flatnonzero(labels == c))[: n_train // 10] for c in range(10)]
        )
        x, y = x[idx], y[idx]
    return x, y, xt, yt


def error(model, x, y) -> float:
    """Classification error, in eval mode (dropout off), without a graph."""
    was = model.training
    model.eval()
    with no_grad():
        pred = model(x).numpy().argmax(1)
    model.train(was)
    return float(np.mean(pred != y.numpy()))


def train(
    model, opt, x, y, epochs: int, batch: int = 64, seed: int = 0, monitor=None, after_epoch=None
) -> None:
    """The plain loop; ``after_epoch(epoch)`` returning True stops the run."""
    rng = np.random.default_rng(seed)
    n = x.shape[0]
    for epoch in range(epochs):
        order = rng.permutation(n)
        for i in range(0, n, batch):
            idx = order[i : i + batch]
            if monitor is not None:
                monitor.begin_step()
            opt.zero_grad()
            loss = F.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            if monitor is not None:
                monitor.end_step(loss)
        if after_epoch is not None and after_epoch(epoch):
            return


# ----- vanishing ----------------------------------------------------------------------
class _Residual(nn.Module):
    """x + W·relu(x) + b: the identity path carries the gradient past the layer."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.relu, self.linear = nn.ReLU(), nn.Linear(width, width)

    def forward(self, x):
        return x + self.linear(self.relu(x))


def deep_mlp(kind: str, depth: int = 10, width: int = 32) -> nn.Module:
    """``depth`` Linear layers, 64 → width … → 10: sigmoid, ReLU (He init) or residual."""
    if kind == "residual":
        blocks = [_Residual(width) for _ in range(depth - 2)]
        return nn.Sequential(nn.Linear(64, width), *blocks, nn.ReLU(), nn.Linear(width, 10))
    act = nn.Sigmoid if kind == "sigmoid" else nn.ReLU
    layers, d = [], 64
    for _ in range(depth - 1):
        layers += [nn.Linear(d, width), act()]
        d = width
    model = nn.Sequential(*layers, nn.Linear(d, 10))
    if kind == "relu":
        for m in model.modules():
            if isinstance(m, nn.Linear):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)
    return model


def lab_vanishing(quick: bool = False, out: str = ".", seed: int = 0) -> LabResult:
    """10-layer sigmoid vs ReLU vs residual MLP: gradient norm per layer, who learns."""
    x, y, xt, yt = _digits()
    epochs = 6 if quick else 30
    labels = {"sigmoid": "sigmoid", "relu": "ReLU + He init", "residual": "residual (ReLU)"}
    profiles, nums, verdicts = {}, {}, {}
    for kind, label in labels.items():
        manual_seed(seed)
        model = deep_mlp(kind)
        monitor = GradientMonitor(model, every=5)
        opt = optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
        train(model, opt, x, y, epochs, seed=seed, monitor=monitor)
        # the verdict's own measurement (median over the sampled steps), so the finding and
        # the verdict print one ratio, not two estimates of it
        med = layer_medians(monitor)
        profile = [med[k] for k in sorted(med)]
        profiles[label] = profile
        verdicts[label] = monitor.verdict()
        nums[kind] = {
            "ratio": profile[0] / profile[-1],
            "test_accuracy": 1 - error(model, xt, yt),
            "problems": verdicts[label].problems,
        }
    s, r, res = nums["sigmoid"], nums["relu"], nums["residual"]
    finding = (
        f"Gradient norm at layer 1 relative to layer 10: sigmoid {s['ratio']:.1e}, "
        f"ReLU + He {r['ratio']:.2g}, residual {res['ratio']:.2g}; after {epochs} "
        f"epochs test accuracy is {s['test_accuracy']:.0%} for sigmoid, "
        f"{r['test_accuracy']:.0%} for ReLU and {res['test_accuracy']:.0%} for residual: "
        "the sigmoid network does not learn (10% is chance): vanishing gradients."
    )
    report = "\n".join(f"{k}: {v}" for k, v in verdicts.items())
    path = save_plot(
        plots.plot_layer_profile,
        profiles,
        os.path.join(out, "lab_vanishing.png"),
        "gradient norm ‖∂L/∂W‖ (median over training)",
        f"10-layer MLPs on digits, {epochs} epochs",
    )
    return LabResult("vanishing", finding, nums, path, report)


# ----- activations --------------------------------------------------------------------
ACTIVATIONS = {
    "ReLU": nn.ReLU,
    "leaky ReLU": nn.LeakyReLU,
    "PReLU": nn.PReLU,
    "RReLU": nn.RReLU,
    "CReLU": nn.CReLU,
}


def activation_mlp(name: str, hidden: int = 64) -> nn.Module:
    widen = 2 if name == "CReLU" else 1  # CReLU concatenates relu(x) and relu(-x)
    act = ACTIVATIONS[name]
    return nn.Sequential(
        nn.Linear(64, hidden),
        act(),
        nn.Linear(hidden * widen, hidden),
        act(),
        nn.Linear(hidden * widen, 10),
    )


def lab_activations(quick: bool = False, out: str = ".", seed: int = 0) -> LabResult:
    """ReLU, leaky ReLU, PReLU, RReLU and CReLU on the same task: train and test error."""
    x, y, xt, yt = _digits()
    epochs = 5 if quick else 25
    nums = {}
    for name in ACTIVATIONS:
        manual_seed(seed)
        model = activation_mlp(name)
        opt = optim.Adam(model.parameters(), lr=2e-3)
        train(model, opt, x, y, epochs, seed=seed)
        nums[name] = {"train_error": error(model, x, y), "test_error": error(model, xt, yt)}
    best = min(nums, key=lambda k: nums[k]["test_error"])
    spread = max(v["test_error"] for v in nums.values()) - nums[best]["test_error"]
    finding = (
        f"Test error after {epochs} epochs on digits: "
        + ", ".join(f"{k} {v['test_error']:.1%}" for k, v in nums.items())
        + " (train: "
        + ", ".join(f"{v['train_error']:.1%}" for v in nums.values())
        + f"); all learn, within {spread:.1%} of the best ({best})."
    )
    groups = {
        k: {"train error": v["train_error"], "test error": v["test_error"]} for k, v in nums.items()
    }
    path = save_plot(
        plots.plot_bars,
        groups,
        os.path.join(out, "lab_activations.png"),
        "error",
        f"activations on digits, {epochs} epochs",
        fmt="{:.1%}",
    )
    return LabResult("activations", finding, nums, path)


# ----- regularization -----------------------------------------------------------------
NOISE = 0.3


def _big_mlp(dropout: float = 0.0, hidden: int = 128) -> nn.Module:
    drop = [nn.Dropout(dropout)] if dropout else []
    return nn.Sequential(
        nn.Linear(64, hidden),
        nn.ReLU(),
        *drop,
        nn.Linear(hidden, hidden),
        nn.ReLU(),
        *drop,
        nn.Linear(hidden, 10),
    )


def _fit_small(model, x, y, epochs, seed, weight_decay=0.0, after_epoch=None):
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=weight_decay)
    train(model, opt, x, y, epochs, batch=32, seed=seed, after_epoch=after_epoch)
    return model


def _early_stopping(x, y, xv, yv, epochs, seed, patience: int = 10):
    """Stop when the validation error has not improved for ``patience`` epochs; keep the
    best epoch's weights."""
    model, best = _big_mlp(), {"error": 2.0, "epoch": 0, "state": None}

    def check(epoch):
        err = error(model, xv, yv)
        if err < best["error"]:
            best.update(
                error=err,
                epoch=epoch,
                state={k: v.numpy().copy() for k, v in model.state_dict().items()},
            )
        return epoch - best["epoch"] >= patience

    _fit_small(model, x, y, epochs, seed, after_epoch=check)
    model.load_state_dict(best["state"])
    return model, best["epoch"] + 1


def _prune_linears(model, amount: float) -> None:
    for m in model.modules():
        if isinstance(m, nn.Linear):
            nn.utils.prune.l1_unstructured(m, "weight", amount)


def _pruned_early(x, y, epochs, seed, amount: float = 0.95, at: int = 3):
    """Train ``at`` epochs, zero the ``amount`` smallest weights of every Linear layer, and
    train on with them held at zero: the sparse network has too few free weights to
    memorise the noise quickly."""
    model = _fit_small(_big_mlp(), x, y, at, seed)
    _prune_linears(model, amount)
    return _fit_small(model, x, y, epochs - at, seed + 1)


def _pruned_after(model, x, y, seed, amount: float = 0.9, fine_tune: int = 2):
    """Optimal-brain-damage style compression of a trained network: zero the ``amount``
    smallest weights, then fine-tune briefly with them held at zero."""
    _prune_linears(model, amount)
    return _fit_small(model, x, y, fine_tune, seed + 1)


def _noisy(y, fraction: float, seed: int):
    """Labels with ``fraction`` of them replaced by random classes: noise to memorise."""
    rng = np.random.default_rng(seed + 7)
    labels = y.numpy().copy()
    flip = rng.random(len(labels)) < fraction
    labels[flip] = rng.integers(0, 10, flip.sum())
    return creation.from_numpy(labels)


def lab_regularization(quick: bool = False, out: str = ".", seed: int = 0) -> LabResult:
    """Overfit 300 digits with noisy labels, then L2 weight decay, dropout, early stopping
    and pruning small weights (early in training, and after it): train and test error."""
    n, noise, epochs = 300, NOISE, 30  # by epoch 30 the plain MLP has memorised the noise
    x, y, xt, yt = _digits(2 * n, seed)
    x, y, xv, yv = x[::2], _noisy(y[::2], noise, seed), x[1::2], _noisy(y[1::2], noise, seed + 1)
    models = {}
    for name, kw in (("none", {}), ("L2 weight decay", {"weight_decay": 3e-2})):
        manual_seed(seed)
        models[name] = _fit_small(_big_mlp(), x, y, epochs, seed, **kw)
    manual_seed(seed)
    models["dropout 0.5"] = _fit_small(_big_mlp(0.5), x, y, epochs, seed)
    manual_seed(seed)
    models["early stopping"], stopped = _early_stopping(x, y, xv, yv, epochs, seed)
    manual_seed(seed)
    models["pruning 95% early"] = _pruned_early(x, y, epochs, seed)
    manual_seed(seed)
    models["pruning 90% after"] = _pruned_after(
        _fit_small(_big_mlp(), x, y, epochs, seed), x, y, seed
    )
    nums = {
        k: {
            "train_error": error(m, x, y),
            "test_error": error(m, xt, yt),
            "weight_norm": float(np.sqrt(sum(float((p._data**2).sum()) for p in m.parameters()))),
        }
        for k, m in models.items()
    }
    nums["early stopping"]["stopped_epoch"] = stopped
    long = 60 if quick else 100
    manual_seed(seed)
    nums["pruning 95% early"]["test_error_long"] = error(_pruned_early(x, y, long, seed), xt, yt)
    nums["pruning 95% early"]["long_epochs"] = long
    b, early, after = nums["none"], nums["pruning 95% early"], nums["pruning 90% after"]
    finding = (
        f"Trained on {n} digits ({noise:.0%} of the labels random) for {epochs} epochs, the "
        f"plain MLP overfits (train error {b['train_error']:.1%}, test {b['test_error']:.1%}); "
        "test error with "
        + ", ".join(
            f"{k} {nums[k]['test_error']:.1%}"
            for k in ("L2 weight decay", "dropout 0.5", "early stopping", "pruning 95% early")
        )
        + f" (early stopping at epoch {stopped}; weight decay shrinks the weight norm from "
        f"{b['weight_norm']:.1f} to {nums['L2 weight decay']['weight_norm']:.1f}). Pruning "
        f"slows memorisation rather than stopping it: trained {long} epochs the sparse net "
        f"reaches {early['test_error_long']:.1%}; pruning 90% after training (then fine-tuning 2 "
        f"epochs) gives {after['test_error']:.1%} with a tenth of the weights."
    )
    groups = {
        k: {"train error": v["train_error"], "test error": v["test_error"]} for k, v in nums.items()
    }
    path = save_plot(
        plots.plot_bars,
        groups,
        os.path.join(out, "lab_regularization.png"),
        "error",
        f"{n} training digits, {epochs} epochs",
        fmt="{:.1%}",
    )
    return LabResult("regularization", finding, nums, path)
