"""PNG plots of the diagnostics (matplotlib, an optional dependency, drawn with the Agg
canvas without touching the global backend): gradient norm per layer over training,
gradient norm per time step, activation histograms per layer, and a per-layer profile
(any quantity against depth) for comparing networks.

Each ``plot_*`` writes a PNG and returns its path; the ``*_figure`` function under it
draws the same figure and returns it (the tests read the axes back). Layers, time steps
and training steps are counted, so their axes get integer ticks; a legend goes where it
covers no data (outside the axes when there are many lines)."""

from __future__ import annotations

import os
import textwrap

import numpy as np

LEGEND_INSIDE = 4  # more lines than this: the legend goes to the right of the axes


def new_figure(ncols: int = 1, width: float = 6.0, height: float = 4.0):
    """A matplotlib Figure (Agg, no display) and its ``ncols`` axes; the labs draw on it."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ImportError(
            "nerve.diagnostics plots need matplotlib, an optional dependency: "
            "pip install nerve[plot]"
        ) from err
    fig = Figure(figsize=(width * ncols, height))
    FigureCanvasAgg(fig)
    return fig, [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]


def save_figure(fig, path: str) -> str:
    """Write ``fig`` as a PNG at ``path`` (its folder made) and return the path."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def integer_ticks(axis) -> None:
    """Ticks at whole numbers only (layer 1, 2, ...; never 1.5)."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))


def legend(ax, n: int, **kwargs) -> None:
    """Up to LEGEND_INSIDE entries: inside, where matplotlib finds the least data; more: to
    the right of the axes, where it cannot cover any."""
    if n > LEGEND_INSIDE:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, **kwargs)
    else:
        ax.legend(loc="best", **kwargs)


def positive_for_log(values) -> np.ndarray:
    """Log axes cannot show zeros; they become NaN (a gap), not an error."""
    v = np.asarray(values, dtype=float)
    return np.where(v > 0, v, np.nan)


def plot_grad_norms(monitor, path: str, key: str = "grad_norm") -> str:
    """Gradient norm (or ``key``: weight_norm, update_ratio) per layer over training."""
    return save_figure(grad_norms_figure(monitor, key), path)


def grad_norms_figure(monitor, key: str = "grad_norm"):
    steps, series = monitor.series(key)
    many = len(monitor.layers) > LEGEND_INSIDE
    fig, (ax,) = new_figure(width=8.0 if many else 6.0)
    for layer in monitor.layers:
        ax.semilogy(steps, positive_for_log(series[layer.index]), "o-", ms=3, label=layer.label)
    ax.set_xlabel("training step")
    integer_ticks(ax.xaxis)
    ax.set_ylabel(key.replace("_", " "))
    ax.set_title(f"{key.replace('_', ' ')} per layer")
    ax.grid(True, which="both", alpha=0.3)
    if len(monitor.layers) <= 12:
        legend(ax, len(monitor.layers), fontsize=7)
    return fig


def plot_time_grad_norms(norms: dict, path: str, title: str = "gradient norm through time") -> str:
    """‖∂L/∂hₜ‖ against the time step t, one line per network (``{label: array}``)."""
    return save_figure(time_grad_norms_figure(norms, title), path)


def time_grad_norms_figure(norms: dict, title: str = "gradient norm through time"):
    fig, (ax,) = new_figure(width=8.0 if len(norms) > LEGEND_INSIDE else 6.0)
    for label, v in norms.items():
        ax.semilogy(np.arange(1, len(v) + 1), positive_for_log(v), "o-", ms=3, label=label)
    ax.set_xlabel("time step t")
    integer_ticks(ax.xaxis)
    ax.set_ylabel("‖∂L/∂hₜ‖")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    legend(ax, len(norms))
    return fig


def plot_activation_histograms(values: dict, path: str, bins: int = 50) -> str:
    """One histogram per layer, ``{label: array of activation values}``; a monitor's last
    sample is accepted too (``activation_values(monitor)``)."""
    return save_figure(activation_histograms_figure(values, bins), path)


def activation_histograms_figure(values: dict, bins: int = 50):
    if not values:
        raise ValueError("plot_activation_histograms: no activations to plot")
    n = len(values)
    fig, axes = new_figure(ncols=n, width=2.6, height=2.6)
    for ax, (label, v) in zip(axes, values.items()):
        v = np.asarray(v, dtype=float).ravel()
        ax.hist(v[np.isfinite(v)], bins=bins, color="tab:blue")
        ax.set_title(textwrap.fill(str(label), 28), fontsize=8)
        ax.set_xlabel("activation value", fontsize=7)
        ax.tick_params(labelsize=6)
    axes[0].set_ylabel("count", fontsize=7)
    return fig


def activation_values(monitor) -> dict:
    """{activation label: the values kept at the monitor's last sampled step}."""
    if not monitor.samples:
        return {}
    last = monitor.samples[-1].activations
    return {a.name: last[a.name]["values"] for a in monitor.activations if a.name in last}


def plot_layer_profile(
    profiles: dict, path: str, ylabel: str, title: str = "", log: bool = True
) -> str:
    """A quantity against depth (layer 1..L), one line per network: ``{label: values}``."""
    return save_figure(layer_profile_figure(profiles, ylabel, title, log), path)


def layer_profile_figure(profiles: dict, ylabel: str, title: str = "", log: bool = True):
    fig, (ax,) = new_figure(width=8.0 if len(profiles) > LEGEND_INSIDE else 6.0)
    for label, v in profiles.items():
        x = np.arange(1, len(v) + 1)
        if log:
            ax.semilogy(x, positive_for_log(v), "o-", ms=4, label=label)
        else:
            ax.plot(x, v, "o-", ms=4, label=label)
    ax.set_xlabel("layer")
    integer_ticks(ax.xaxis)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    legend(ax, len(profiles))
    return fig


def plot_bars(groups: dict, path: str, ylabel: str, title: str = "", fmt: str = "{:.3g}") -> str:
    """Grouped bars: ``{group: {series: value}}`` (e.g. train/test error per method), each
    bar labelled with its value in ``fmt`` ("{:.1%}"), so a bar of 0 is seen too."""
    return save_figure(bars_figure(groups, ylabel, title, fmt), path)


def bars_figure(groups: dict, ylabel: str, title: str = "", fmt: str = "{:.3g}"):
    names = list(groups)
    series = list(next(iter(groups.values())))
    fig, (ax,) = new_figure(width=max(6.0, 1.3 * len(groups) * max(1, len(series) / 2)))
    width = 0.8 / len(series)
    x = np.arange(len(names))
    for k, s in enumerate(series):
        values = np.array([groups[g][s] for g in names], dtype=float)
        bars = ax.bar(x + k * width, values, width, label=s if len(series) > 1 else None)
        ax.bar_label(bars, [fmt.format(v) for v in values], fontsize=7, padding=2)
        zero = values == 0
        if zero.any():  # a bar of height 0 draws nothing: mark where it stands
            ax.plot(
                (x + k * width)[zero],
                values[zero],
                "_",
                ms=width * 40,
                mew=3,
                color=bars.patches[0].get_facecolor(),
                zorder=3,
            )
    wrap = max(10, int(13 * max(1, len(series) / 2)))  # characters in a group's width
    ax.set_xticks(x + 0.4 - width / 2, [_wrap(n, wrap) for n in names], fontsize=8)
    ax.axhline(0, color="black", lw=0.6)
    ax.margins(y=0.12)  # room for the value labels
    if "%" in fmt:
        from matplotlib.ticker import PercentFormatter

        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if len(series) > 1:  # beside the axes: inside, it would sit on a bar or its label
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    return fig


def _wrap(label: str, width: int) -> str:
    """A tick label over as few lines as fit ``width`` characters, the lines of even length
    ("5x5 conv,\npad 2", not "5x5 conv, pad\n2")."""
    if len(label) <= width:
        return label
    lines = -(-len(label) // width)
    return textwrap.fill(label, -(-len(label) // lines) + 2)


def plot_monitor(monitor, folder: str) -> list[str]:
    """A monitor's plots in ``folder``: grad_norms.png, activations.png (when it saw
    relu/sigmoid/tanh activations) and time_grad_norms.png (when it saw recurrent layers);
    panels and lines are named as the verdict names them ("the relu after layer 1 (1)")."""
    paths = [plot_grad_norms(monitor, os.path.join(folder, "grad_norms.png"))]
    values = activation_values(monitor)
    labels = {a.name: a.label for a in monitor.activations}
    if values:
        paths.append(
            plot_activation_histograms(
                {labels[k]: v for k, v in values.items()}, os.path.join(folder, "activations.png")
            )
        )
    if monitor.samples and monitor.samples[-1].time_norms:
        kinds = {name or "model": type(m).__name__ for name, m in monitor.model.named_modules()}
        norms = {
            f"{name} ({kinds.get(name, '?')})": v
            for name, v in monitor.samples[-1].time_norms.items()
        }
        paths.append(plot_time_grad_norms(norms, os.path.join(folder, "time_grad_norms.png")))
    return paths
