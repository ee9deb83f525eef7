"""PNG plots of the diagnostics (matplotlib, an optional dependency, drawn with the Agg
canvas without touching the global backend): gradient norm per layer over training,
gradient norm per time step, activation histograms per layer, and a per-layer profile
(any quantity against depth) for comparing networks."""

from __future__ import annotations

import os

import numpy as np


def _figure(ncols: int = 1, width: float = 6.0, height: float = 4.0):
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ImportError("nerve.diagnostics plots need matplotlib, an optional dependency: "
                          "pip install nerve[plot]") from err
    fig = Figure(figsize=(width * ncols, height))
    FigureCanvasAgg(fig)
    return fig, [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]


def _save(fig, path: str) -> str:
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def _positive(values) -> np.ndarray:
    """Log axes cannot show zeros; they become NaN (a gap), not an error."""
    v = np.asarray(values, dtype=float)
    return np.where(v > 0, v, np.nan)


def plot_grad_norms(monitor, path: str, key: str = "grad_norm") -> str:
    """Gradient norm (or ``key``: weight_norm, update_ratio) per layer over training."""
    steps, series = monitor.series(key)
    fig, (ax,) = _figure()
    for layer in monitor.layers:
        ax.semilogy(steps, _positive(series[layer.index]), "o-", ms=3, label=layer.label)
    ax.set_xlabel("training step")
    ax.set_ylabel(key.replace("_", " "))
    ax.set_title(f"{key.replace('_', ' ')} per layer")
    ax.grid(True, which="both", alpha=0.3)
    if len(monitor.layers) <= 12:
        ax.legend(fontsize=7)
    return _save(fig, path)


def plot_time_grad_norms(norms: dict, path: str, title: str = "gradient norm through time"
                         ) -> str:
    """‖∂L/∂hₜ‖ against the time step t, one line per network (``{label: array}``)."""
    fig, (ax,) = _figure()
    for label, v in norms.items():
        ax.semilogy(np.arange(1, len(v) + 1), _positive(v), "o-", ms=3, label=label)
    ax.set_xlabel("time step t")
    ax.set_ylabel("‖∂L/∂hₜ‖")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return _save(fig, path)


def plot_activation_histograms(values: dict, path: str, bins: int = 50) -> str:
    """One histogram per layer, ``{label: array of activation values}``; a monitor's last
    sample is accepted too (``activation_values(monitor)``)."""
    if not values:
        raise ValueError("plot_activation_histograms: no activations to plot")
    n = len(values)
    fig, axes = _figure(ncols=n, width=2.6, height=2.6)
    for ax, (label, v) in zip(axes, values.items()):
        v = np.asarray(v, dtype=float).ravel()
        ax.hist(v[np.isfinite(v)], bins=bins, color="tab:blue")
        ax.set_title(label, fontsize=8)
        ax.tick_params(labelsize=6)
    return _save(fig, path)


def activation_values(monitor) -> dict:
    """{activation label: the values kept at the monitor's last sampled step}."""
    if not monitor.samples:
        return {}
    last = monitor.samples[-1].activations
    return {a.name: last[a.name]["values"] for a in monitor.activations if a.name in last}


def plot_layer_profile(profiles: dict, path: str, ylabel: str, title: str = "",
                       log: bool = True) -> str:
    """A quantity against depth (layer 1..L), one line per network: ``{label: values}``."""
    fig, (ax,) = _figure()
    for label, v in profiles.items():
        x = np.arange(1, len(v) + 1)
        if log:
            ax.semilogy(x, _positive(v), "o-", ms=4, label=label)
        else:
            ax.plot(x, v, "o-", ms=4, label=label)
    ax.set_xlabel("layer")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return _save(fig, path)


def plot_bars(groups: dict, path: str, ylabel: str, title: str = "") -> str:
    """Grouped bars: ``{group: {series: value}}`` (e.g. train/test error per method)."""
    fig, (ax,) = _figure(width=max(6.0, 1.2 * len(groups)))
    names = list(groups)
    series = list(next(iter(groups.values())))
    width = 0.8 / len(series)
    for k, s in enumerate(series):
        ax.bar(np.arange(len(names)) + k * width, [groups[g][s] for g in names], width,
               label=s)
    ax.set_xticks(np.arange(len(names)) + 0.4 - width / 2, names, fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    return _save(fig, path)


def plot_monitor(monitor, folder: str) -> list[str]:
    """A monitor's plots in ``folder``: grad_norms.png, activations.png (when it saw
    activation modules) and time_grad_norms.png (when it saw recurrent layers)."""
    paths = [plot_grad_norms(monitor, os.path.join(folder, "grad_norms.png"))]
    values = activation_values(monitor)
    if values:
        paths.append(plot_activation_histograms(values, os.path.join(folder, "activations.png")))
    if monitor.samples and monitor.samples[-1].time_norms:
        paths.append(plot_time_grad_norms(monitor.samples[-1].time_norms,
                                          os.path.join(folder, "time_grad_norms.png")))
    return paths
