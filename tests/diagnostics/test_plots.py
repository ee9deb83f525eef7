"""Every plot writes a PNG."""

import numpy as np
from diagnets import mlp, run

from nerve import nn
from nerve.diagnostics import plots

PNG = b"\x89PNG"


def _is_png(path):
    with open(path, "rb") as f:
        return f.read(4) == PNG


def test_monitor_plots(tmp_path):
    monitor = run(mlp(nn.Tanh), steps=20)
    for key in ("grad_norm", "update_ratio"):
        assert _is_png(plots.plot_grad_norms(monitor, str(tmp_path / f"{key}.png"), key))
    values = plots.activation_values(monitor)
    assert set(values) == {"1", "3"}
    assert _is_png(plots.plot_activation_histograms(values, str(tmp_path / "hist.png")))
    paths = plots.plot_monitor(monitor, str(tmp_path / "all"))
    assert [p.rsplit("/", 1)[1] for p in paths] == ["grad_norms.png", "activations.png"]
    assert all(_is_png(p) for p in paths)


def test_profile_time_and_bar_plots(tmp_path):
    norms = {"RNN": np.logspace(-6, 0, 20), "LSTM": np.ones(20) * 0.3}
    assert _is_png(plots.plot_time_grad_norms(norms, str(tmp_path / "sub" / "t.png")))
    assert _is_png(plots.plot_layer_profile({"a": [1, 0, 3]}, str(tmp_path / "p.png"), "v"))
    assert _is_png(
        plots.plot_bars({"x": {"train": 0.1, "test": 0.2}}, str(tmp_path / "b.png"), "error")
    )


# ----- what a student sees: read the drawn figures back -------------------------------
def _drawn(fig):
    fig.canvas.draw()
    return fig.canvas.get_renderer()


def _integer_ticks(ax):
    lo, hi = ax.get_xlim()
    ticks = [t for t in ax.get_xticks() if lo <= t <= hi]
    return ticks and all(float(t).is_integer() for t in ticks)


def _points_under_legend(ax):
    """Data points (display coordinates) that the legend's box covers."""
    box = ax.get_legend().get_window_extent()
    pts = np.concatenate(
        [
            line.get_transform().transform(np.column_stack(line.get_data()))
            for line in ax.get_lines()
        ]
    )
    pts = pts[np.isfinite(pts).all(1)]
    return [p for p in pts if box.contains(*p)]


def _overlapping(labels, renderer):
    boxes = [t.get_window_extent(renderer) for t in labels if t.get_text()]
    return [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if a.overlaps(b)]


def test_layer_and_time_axes_have_integer_ticks():
    fig = plots.layer_profile_figure({"a": [1.0, 0.5, 0.2, 0.1, 0.05]}, "variance")
    _drawn(fig)
    assert _integer_ticks(fig.axes[0])
    fig = plots.time_grad_norms_figure({"RNN": np.logspace(-6, 0, 18), "LSTM": np.ones(18)})
    _drawn(fig)
    assert _integer_ticks(fig.axes[0])
    fig = plots.grad_norms_figure(run(mlp(nn.Tanh), steps=20))
    _drawn(fig)
    assert _integer_ticks(fig.axes[0])


def test_a_legend_of_many_lines_covers_no_data():
    # the init lab's eight lines: variances from 1e-12 to 1e9 over five layers
    profiles = {f"net {k}": np.logspace(0, e, 5) for k, e in enumerate(range(-12, 10, 3))}
    fig = plots.layer_profile_figure(profiles, "activation variance")
    _drawn(fig)
    ax = fig.axes[0]
    assert len(ax.get_legend().get_texts()) == 8
    assert _points_under_legend(ax) == []
    assert ax.get_legend().get_window_extent().x0 >= ax.get_window_extent().x1  # beside


def test_bar_labels_do_not_overlap_and_zero_bars_are_visible():
    names = [
        "5x5 conv, pad 2",
        "3x3 conv, stride 2",
        "3x3 conv, stride 3",
        "AlexNet conv1 11x11/4",
        "VGG conv3-64",
        "1x1 conv 64→32",
        "max pool 2x2/2",
        "max pool 3x3/2",
        "pruning 95% early",
        "pruning 90% after",
    ]
    groups = {
        n: {"train error": 0.0 if k % 3 == 0 else 0.2, "test error": 0.25}
        for k, n in enumerate(names)
    }
    fig = plots.bars_figure(groups, "error", "ten methods", fmt="{:.1%}")
    renderer = _drawn(fig)
    ax = fig.axes[0]
    assert _overlapping(ax.get_xticklabels(), renderer) == []
    # every bar, 0 included, carries its value, and a 0 bar gets a marker drawn at 0
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("0.0%") == 4 and texts.count("25.0%") == 10
    markers = [line for line in ax.get_lines() if line.get_marker() == "_"]
    assert len(markers) == 1 and list(markers[0].get_ydata()) == [0.0] * 4
    assert ax.get_legend().get_window_extent().x0 >= ax.get_window_extent().x1
    assert ax.get_ylabel() == "error" and ax.get_title() == "ten methods"


def test_histograms_name_their_axes():
    fig = plots.activation_histograms_figure(
        {"1": np.random.default_rng(0).normal(size=100), "model.relu#1": np.zeros(10)}
    )
    _drawn(fig)
    assert [ax.get_title() for ax in fig.axes] == ["1", "model.relu#1"]
    assert fig.axes[0].get_ylabel() == "count"
    assert all(ax.get_xlabel() == "activation value" for ax in fig.axes)
