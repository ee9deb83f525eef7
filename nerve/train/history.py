"""History: the per-epoch logs of a ``fit`` run, and their plot."""

from __future__ import annotations

import math
import os

from nerve.train.callbacks import Callback


class History(Callback):
    """Records every epoch's logs: ``history['loss']``, ``history['val_accuracy']``, ...

    ``epoch`` lists the 0-based epoch indices recorded (a resumed run starts at its
    ``initial_epoch``). ``fit`` returns it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))

    def __repr__(self) -> str:
        keys = ", ".join(self.history)
        return f"History(epochs={len(self.epoch)}, keys=[{keys}])"

    def plot(
        self,
        path: str | os.PathLike,
        keys: list[str] | None = None,
        title: str | None = None,
        dpi: int = 100,
    ) -> str:
        """Write a PNG with one panel per quantity (train and validation curves together).

        ``keys`` picks the quantities to draw (default: every one recorded, e.g.
        ``['loss', 'accuracy', 'lr']``); ``title`` goes above the panels (the ``nerve``
        command names the task there). Every panel has its y-axis label and whole-epoch
        ticks. Needs matplotlib: ``pip install nerve[plot]``. Returns the path written.
        """
        figure_cls, canvas_cls = _matplotlib()
        names = keys if keys is not None else _base_names(self.history)
        if not names:
            raise ValueError("History.plot: nothing to plot, no epoch was recorded")
        missing = [k for k in names if k not in self.history and f"val_{k}" not in self.history]
        if missing:
            raise KeyError(
                f"History.plot: no values recorded for {missing}; "
                f"recorded keys are {list(self.history)}"
            )
        cols = min(len(names), 3)
        rows = math.ceil(len(names) / cols)
        fig = figure_cls(figsize=(4.5 * cols, 3.4 * rows), dpi=dpi)
        canvas_cls(fig)
        epochs = [e + 1 for e in self.epoch]
        for i, name in enumerate(names):
            self._panel(fig.add_subplot(rows, cols, i + 1), name, epochs)
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        path = os.fspath(path)
        fig.savefig(path, format="png")
        return path

    def _panel(self, ax, name: str, epochs: list[int]) -> None:
        for key, label in ((name, "train"), (f"val_{name}", "validation")):
            if key in self.history:
                ax.plot(
                    epochs[-len(self.history[key]) :], self.history[key], marker=".", label=label
                )
        ax.set_xlabel("epoch")
        if len(epochs) <= 12:  # a locator falls back to fractions when few integers fit
            ax.set_xticks(epochs)
        else:
            ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_ylabel(YLABELS.get(name, name.replace("_", " ")))
        ax.set_title(name)
        ax.grid(alpha=0.3)
        if name in ("lr", "learning_rate"):
            ax.set_yscale("log")  # schedules decay geometrically
        else:
            ax.legend()


YLABELS = {
    "loss": "loss (lower is better)",
    "accuracy": "accuracy (fraction correct)",
    "lr": "learning rate",
    "learning_rate": "learning rate",
    "perplexity": "perplexity (lower is better)",
}


def _base_names(history: dict) -> list[str]:
    """'loss', 'accuracy', ... once each, whether recorded for train, validation or both."""
    names: list[str] = []
    for key in history:
        base = key[4:] if key.startswith("val_") else key
        if base not in names:
            names.append(base)
    return names


def _matplotlib():
    """matplotlib's Figure and Agg canvas, without touching the global backend."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ImportError(
            "History.plot needs matplotlib, an optional dependency of nerve: "
            "pip install nerve[plot]"
        ) from err
    return Figure, FigureCanvasAgg
