"""A workload's GEMM floor: its matrix products alone, same shapes, same BLAS.

A workload lists its GEMMs as ``(m, k, n, count)`` rows, ``count`` products of an
(m, k) by a (k, n) float32 matrix, built with the helpers below from the layer sizes
(the same products nerve's ops make: one GEMM forward and two backward per linear
layer, im2col GEMMs per convolution, one recurrent GEMM per step and direction).
``time_gemms`` runs them all, on contiguous operands, in the calling process; the
floor over a step's time is the share of the step that BLAS itself needs.
"""

from __future__ import annotations

import numpy as np


def linear(rows: int, inp: int, out: int, train: bool = True, dx: bool = True) -> list:
    """y = x Wᵀ: (rows, in) @ (in, out); backward ∂W = δᵀ x and ∂x = δ W."""
    gemms = [(rows, inp, out, 1)]
    if train:
        gemms.append((out, rows, inp, 1))
        if dx:
            gemms.append((rows, out, inp, 1))
    return gemms


def conv2d(
    n: int,
    c: int,
    h: int,
    w: int,
    o: int,
    k: int = 3,
    pad: int = 1,
    train: bool = True,
    dx: bool = True,
) -> list:
    """Stride-1 convolution as im2col: (N·OH·OW, C·K·K) @ (C·K·K, O) forward; backward
    ∂W = δᵀ cols and ∂cols = δ W (scattered back by col2im, not a GEMM)."""
    rows = n * (h + 2 * pad - k + 1) * (w + 2 * pad - k + 1)
    return linear(rows, c * k * k, o, train, dx)


def recurrent(
    batch: int, seq: int, inp: int, hidden: int, gates: int, train: bool = True, dx: bool = True
) -> list:
    """A recurrent layer: the input projection of all steps as one GEMM, one recurrent
    GEMM per step forward and one per step backward (∂h), the weight gradients as one
    GEMM each over all steps."""
    g = gates * hidden
    gemms = [(batch * seq, inp, g, 1), (batch, hidden, g, seq)]
    if train:
        gemms += [(batch, g, hidden, seq), (g, batch * seq, hidden, 1), (g, batch * seq, inp, 1)]
        if dx:
            gemms.append((batch * seq, g, inp, 1))
    return gemms


def attention(batch: int, heads: int, seq: int, head_dim: int, train: bool = True) -> list:
    """Scaled dot-product attention per (batch, head): S = Q Kᵀ (T, d) @ (d, T) and
    Y = A V (T, T) @ (T, d); backward ∂Q = ∂S K, ∂K = ∂Sᵀ Q, ∂A = ∂Y Vᵀ, ∂V = Aᵀ ∂Y."""
    bh = batch * heads
    gemms = [(seq, head_dim, seq, bh), (seq, seq, head_dim, bh)]
    if train:
        gemms += [(seq, seq, head_dim, 3 * bh), (seq, head_dim, seq, bh)]
    return gemms


def flops(gemms: list) -> int:
    return sum(2 * m * k * n * c for m, k, n, c in gemms)


def gemm_step(gemms: list, seed: int = 0):
    """A zero-argument callable doing every product of ``gemms`` once."""
    rng = np.random.default_rng(seed)
    ops = []
    for m, k, n, count in gemms:
        a = rng.standard_normal((m, k)).astype(np.float32)
        b = rng.standard_normal((k, n)).astype(np.float32)
        ops.append((a, b, count))

    def step():
        for a, b, count in ops:
            for _ in range(count):
                a @ b  # noqa: B018 - the product is the point; a fresh result as ops make

    return step


def _mlp(batch: int, train: bool) -> list:
    return (
        linear(batch, 784, 512, train, dx=False)
        + linear(batch, 512, 512, train)
        + linear(batch, 512, 10, train)
    )


def _char_lm(gates: int) -> list:  # benchmarks/rnn.py: vocab 96, embed 64, hidden 256
    return recurrent(32, 64, 64, 256, gates) + linear(32 * 64, 256, 96)


def _gpt(layers=4, heads=4, width=128, block=128, batch=16, vocab=65) -> list:
    rows, layer = batch * block, []  # benchmarks/gpt.py's FULL configuration
    layer += linear(rows, width, 3 * width) + attention(batch, heads, block, width // heads)
    layer += linear(rows, width, width) + linear(rows, width, 4 * width)
    layer += linear(rows, 4 * width, width)
    return layers * layer + linear(rows, width, vocab)


# The GEMMs of the workloads whose modules do not list them (Workload.gemms wins).
GEMMS = {
    "mlp_train": _mlp(128, True),
    "mlp_infer_b1": _mlp(1, False),
    "cnn_train": (
        conv2d(64, 1, 28, 28, 32, dx=False)
        + conv2d(64, 32, 14, 14, 64)
        + linear(64, 3136, 128)
        + linear(64, 128, 10)
    ),
    "resnet_train": (
        conv2d(32, 3, 32, 32, 64, dx=False) + 4 * conv2d(32, 64, 32, 32, 64) + linear(32, 64, 10)
    ),
    "lstm_train": _char_lm(4),
    "gru_train": _char_lm(3),
    "gpt_train": _gpt(),
    "lstm_generate": recurrent(1, 1, 64, 256, 4, train=False) + linear(1, 256, 96, False),
}


def gemms_of(w) -> list:
    return w.gemms or GEMMS.get(w.name, [])
