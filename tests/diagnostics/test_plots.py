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
    assert _is_png(plots.plot_bars({"x": {"train": 0.1, "test": 0.2}}, str(tmp_path / "b.png"),
                                   "error"))
