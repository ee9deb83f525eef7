"""Show what a CNN learns: its first-layer filters and the feature maps of each layer for
one test digit, written as PNG images (the lectures' visualisation).

    python examples/cnn_filters.py [--out cnn_filters] [--epochs 8]

Trains examples/cnn_digits.py's network, then writes <out>/filters.png (the 32 learned 3x3
kernels of the first convolution) and <out>/feature_maps.png (the input digit and the
activations after each convolution stage). Needs matplotlib (the ``plot`` extra).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

import numpy as np

import nerve
from nerve import nn


def _example():
    path = Path(__file__).with_name("cnn_digits.py")
    spec = importlib.util.spec_from_file_location("cnn_digits", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def feature_maps(model: nn.Module, image: np.ndarray) -> list:
    """(name, array (C, H, W)) after every ReLU of the model, for one (1, 8, 8) image."""
    maps = []
    hooks = [m.register_forward_hook(lambda mod, inp, out, i=i: maps.append(
        (f"conv {i + 1} + ReLU", out.detach().numpy()[0])))
        for i, m in enumerate(x for x in model if isinstance(x, nn.ReLU))]
    model.eval()
    with nerve.no_grad():
        model(nerve.from_numpy(image[None].astype(np.float32)))
    for h in hooks:
        h.remove()
    return maps


def _grid(plt, rows, labels, title, path, cmap="gray"):
    """One row of small images per entry of ``rows``, each labelled on its left."""
    cols = max(len(r) for r in rows)
    fig, axes = plt.subplots(len(rows), cols, figsize=(1.2 * cols + 1.5, 1.2 * len(rows) + 0.5),
                             squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for r, (row, label) in enumerate(zip(rows, labels)):
        axes[r, 0].text(-0.6, 0.5, label, transform=axes[r, 0].transAxes, ha="right",
                        va="center", fontsize=8)
        for ax, a in zip(axes[r], row):
            ax.imshow(a, cmap=cmap, interpolation="nearest")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="cnn_filters", help="output directory")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("cnn_filters needs matplotlib: pip install 'nerve[plot]'")
    example = _example()
    model, acc = example.train(args.epochs, args.seed, verbose=False)
    print(f"trained: test accuracy {acc:.4f}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    kernels = model[0].weight.detach().numpy()[:, 0]  # (32, 3, 3)
    rows = [list(kernels[i:i + 8]) for i in range(0, len(kernels), 8)]
    print("filters:", _grid(plt, rows, [f"{i}-{i + 7}" for i in range(0, len(kernels), 8)],
                            "first-layer 3x3 filters", out / "filters.png", cmap="RdBu_r"))
    _, _, x_test, y_test = example.data()
    image = x_test[0]
    maps = feature_maps(model, image)
    rows = [[image[0]]] + [list(ch[:8]) for _, ch in maps]
    labels = ["input"] + [name for name, _ in maps]
    title = f"a test digit ({y_test[0]}) and the first 8 feature maps of each stage"
    print("feature maps:", _grid(plt, rows, labels, title, out / "feature_maps.png"))


if __name__ == "__main__":
    main()
