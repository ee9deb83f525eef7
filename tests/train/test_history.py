"""History: recording, and the PNG plot (matplotlib is an optional extra)."""

import sys

import numpy as np
import pytest

from nerve.train import History


def _history():
    h = History()
    for epoch, (loss, acc) in enumerate([(1.0, 0.5), (0.6, 0.7), (0.4, 0.8)]):
        h.on_epoch_end(
            epoch,
            {
                "loss": loss,
                "accuracy": acc,
                "val_loss": loss + 0.1,
                "val_accuracy": acc - 0.05,
                "lr": 0.1 / (epoch + 1),
            },
        )
    return h


def test_history_records_lists_per_key():
    h = _history()
    assert h.epoch == [0, 1, 2]
    assert h.history["loss"] == [1.0, 0.6, 0.4]
    assert h.history["val_accuracy"] == pytest.approx([0.45, 0.65, 0.75])
    assert "epochs=3" in repr(h) and "val_loss" in repr(h)


def test_plot_writes_a_valid_png(tmp_path):
    pytest.importorskip("matplotlib")  # the only test that needs the `plot` extra
    from matplotlib.image import imread

    path = _history().plot(tmp_path / "hist.png", title="run")
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    img = imread(path)
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 300
    assert np.ptp(img[..., :3]) > 0.5  # something was drawn, not a blank canvas
    sub = _history().plot(tmp_path / "loss.png", keys=["loss"])
    assert imread(sub).shape[1] < img.shape[1]  # one panel instead of three


def test_plot_errors(tmp_path):
    pytest.importorskip("matplotlib")
    with pytest.raises(ValueError, match="nothing to plot"):
        History().plot(tmp_path / "x.png")
    with pytest.raises(KeyError, match="no values recorded for \\['f1'\\]"):
        _history().plot(tmp_path / "x.png", keys=["f1"])


def test_plot_without_matplotlib_says_how_to_install(tmp_path, monkeypatch):
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    with pytest.raises(ImportError, match=r"pip install nerve\[plot\]"):
        _history().plot(tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_plot_names_every_axis_and_ticks_whole_epochs(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from nerve.train import history as history_module

    figures = []
    figure_cls, canvas_cls = history_module._matplotlib()

    def keep(*args, **kwargs):
        figures.append(figure_cls(*args, **kwargs))
        return figures[-1]

    monkeypatch.setattr(history_module, "_matplotlib", lambda: (keep, canvas_cls))
    h = History()
    h.on_epoch_end(0, {"loss": 1.0, "val_loss": 1.1, "lr": 0.01})  # one epoch: one tick
    h.plot(tmp_path / "one.png", title="digits-mlp: learning curves")
    (fig,) = figures
    assert fig._suptitle.get_text() == "digits-mlp: learning curves"
    loss, lr = fig.axes
    assert loss.get_ylabel() == "loss (lower is better)" and lr.get_ylabel() == "learning rate"
    assert list(loss.get_xticks()) == [1] and all(ax.get_xlabel() == "epoch" for ax in fig.axes)
    _history().plot(tmp_path / "three.png")
    assert [ax.get_ylabel() for ax in figures[1].axes] == [
        "loss (lower is better)",
        "accuracy (fraction correct)",
        "learning rate",
    ]
