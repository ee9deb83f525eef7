"""The traffic-sign lab: the lectures' small traffic-sign CNN, conv → pool → conv →
pool → dense, on synthetic sign-like images made in-process (no download).

Three classes by shape, as road signs are told apart: a circle (prohibition), a
triangle (warning) and a square (information), each 32x32x3, drawn filled at a random
position and size, in a colour drawn independently of the class (so that only the
shape tells the class), on a random grey background with Gaussian noise. The network
sees every pixel through 5x5 convolutions (weights shared across positions) and 2x2
max pooling; ``nerve.summary`` gives every layer's output shape and parameter count,
(K·K·C_in + 1)·C_out for a convolution.
"""

from __future__ import annotations

import os

import numpy as np

import nerve.nn.functional as F
from nerve import creation, nn, optim
from nerve.autograd.grad_mode import no_grad
from nerve.diagnostics.labs.result import LabResult, save_plot
from nerve.diagnostics.plots import new_figure
from nerve.model_summary import summary
from nerve.random import manual_seed

CLASSES = ("circle", "triangle", "square")
COLOURS = np.array(
    [[0.85, 0.1, 0.1], [0.1, 0.3, 0.85], [0.95, 0.8, 0.1], [0.1, 0.6, 0.2]], np.float32
)  # red, blue, yellow, green
SIZE = 32


def sign_images(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n images (n, 3, 32, 32) in [0, 1] and their labels; the classes take turns."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % len(CLASSES)
    rng.shuffle(labels)
    cy, cx = rng.uniform(11, SIZE - 11, (2, n, 1, 1))
    r = rng.uniform(7.0, 10.0, (n, 1, 1))
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)  # (32, 32) pixel centres
    dy, dx = yy[None] - cy, xx[None] - cx  # (n, 32, 32) offsets from each centre
    circle = dy**2 + dx**2 <= r**2
    square = (np.abs(dy) <= 0.8 * r) & (np.abs(dx) <= 0.8 * r)
    # apex up at cy - r, base at cy + r/2: the equilateral triangle inscribed in the circle
    triangle = (dy <= r / 2) & (np.abs(dx) <= (dy + r) / np.sqrt(3))
    mask = np.select([labels[:, None, None] == k for k in range(3)], [circle, triangle, square])
    colour = COLOURS[rng.integers(0, len(COLOURS), n)]  # (n, 3)
    background = rng.uniform(0.3, 0.7, (n, 1, 1, 1)).astype(np.float32)
    images = np.where(mask[:, None], colour[:, :, None, None], background)
    images = images + rng.normal(0.0, 0.05, images.shape)
    return np.clip(images, 0.0, 1.0).astype(np.float32), labels


def standardize(x: np.ndarray) -> np.ndarray:
    """Each image to mean 0 and variance 1, (x - μ) / σ over its pixels and channels: the
    background's brightness and the contrast are not what tells the classes apart."""
    mu, sigma = x.mean((1, 2, 3), keepdims=True), x.std((1, 2, 3), keepdims=True)
    return (x - mu) / np.maximum(sigma, 1e-6)


def sign_cnn() -> nn.Sequential:
    """conv 5x5 (3→8) → ReLU → max pool 2 → conv 5x5 (8→16) → ReLU → max pool 2 → dense."""
    return nn.Sequential(
        nn.Conv2d(3, 8, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 8 * 8, len(CLASSES)),
    )


def accuracy(model, x: np.ndarray, y: np.ndarray) -> float:
    model.eval()
    with no_grad():
        pred = model(creation.from_numpy(x)).numpy().argmax(-1)
    model.train()
    return float(np.mean(pred == y))


def train(model, x, y, epochs: int, seed: int, batch: int = 16) -> list:
    """Adam, shuffled mini-batches; the mean loss of every epoch."""
    opt = optim.Adam(model.parameters(), lr=3e-3)
    rng = np.random.default_rng(seed)
    history = []
    for _ in range(epochs):
        order, total = rng.permutation(len(x)), 0.0
        for i in range(0, len(x), batch):
            idx = order[i : i + batch]
            loss = F.cross_entropy(model(creation.from_numpy(x[idx])), creation.from_numpy(y[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        history.append(total / len(x))
    return history


def plot_signs(x: np.ndarray, y: np.ndarray, pred: np.ndarray, history: list, path: str) -> str:
    """12 test images titled with their class and the prediction, and the loss."""
    from matplotlib.ticker import MaxNLocator

    fig, (ax,) = new_figure(width=9.0, height=4.6)
    ax.set_position((0.62, 0.14, 0.35, 0.72))
    ax.plot(np.arange(1, len(history) + 1), history, "o-", ms=4)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("training cross-entropy")
    ax.set_title("loss", fontsize=10)
    ax.grid(True, alpha=0.3)
    for i in range(len(x)):
        sub = fig.add_axes((0.02 + (i % 4) * 0.14, 0.64 - (i // 4) * 0.30, 0.12, 0.20))
        sub.imshow(x[i].transpose(1, 2, 0))
        ok = pred[i] == y[i]
        sub.set_title(
            f"{CLASSES[y[i]]}\n→ {CLASSES[pred[i]]}", fontsize=7, color="black" if ok else "red"
        )
        sub.axis("off")
    fig.suptitle("synthetic traffic signs (test set): true class → predicted", fontsize=11)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)  # the axes are placed by hand: no tight_layout
    return path


def lab_traffic_sign(quick: bool = False, out: str = ".", seed: int = 0) -> LabResult:
    """Train the small CNN a few epochs; its summary and its test accuracy."""
    n_train, n_test, epochs = (600, 300, 3) if quick else (900, 600, 4)
    images, y = sign_images(n_train, seed)
    test_images, y_test = sign_images(n_test, seed + 1000)
    x, x_test = standardize(images), standardize(test_images)
    manual_seed(seed)
    model = sign_cnn()
    info = summary(model, (1, 3, SIZE, SIZE), verbose=0)
    before = accuracy(model, x_test, y_test)
    history = train(model, x, y, epochs, seed)
    test_acc, train_acc = accuracy(model, x_test, y_test), accuracy(model, x, y)
    shown = np.concatenate([np.flatnonzero(y_test == k)[:4] for k in range(len(CLASSES))])
    with no_grad():
        model.eval()
        pred = model(creation.from_numpy(x_test[shown])).numpy().argmax(-1)
    layers = {
        f"{layer.name} ({layer.kind})": {
            "output": layer.output_shape,
            "parameters": layer.num_params,
        }
        for layer in info.layers
    }
    nums = {
        "layers": layers,
        "total_params": info.total_params,
        "accuracy_before": before,
        "test_accuracy": test_acc,
        "train_accuracy": train_acc,
        "loss": history,
        "train_size": n_train,
        "test_size": n_test,
        "epochs": epochs,
    }
    lines = [
        f"classes: {', '.join(CLASSES)} (the colour is random, the shape is the class); "
        f"{n_train} training and {n_test} test images, 32x32x3, each standardised",
        "nerve.summary(model, (1, 3, 32, 32)):",
        str(info),
        "training loss per epoch: " + " ".join(f"{v:.3f}" for v in history),
        f"test accuracy {before:.1%} before training, {test_acc:.1%} after "
        f"(train {train_acc:.1%}; chance {1 / len(CLASSES):.1%})",
    ]
    finding = (
        f"The conv-pool-conv-pool-dense net ({info.total_params:,} parameters; the "
        f"first 5x5x3x8 convolution has {info.layers[0].num_params}) tells circles, "
        f"triangles and squares apart with {test_acc:.1%} test accuracy after "
        f"{epochs} epochs on {n_train} images (chance: {1 / len(CLASSES):.1%})."
    )
    path = save_plot(
        plot_signs,
        test_images[shown],
        y_test[shown],
        pred,
        history,
        os.path.join(out, "lab_traffic_sign.png"),
    )
    return LabResult("traffic-sign", finding, nums, path, "\n".join(lines))
