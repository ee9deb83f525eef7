"""The mlp_train workload written by hand in plain NumPy, timed beside nerve and PyTorch:
the ceiling a NumPy framework can reach on this machine's BLAS.

    python -m benchmarks.baseline_numpy_mlp [--rounds 3]
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks.mlp import BATCH, SIZES, _data, nerve_train, torch_train
from benchmarks.runner import time_call


def numpy_train():
    """One SGD-momentum step of the 784-512-512-10 ReLU MLP with cross-entropy."""
    rng = np.random.default_rng(0)
    ws = [
        (rng.standard_normal((o, i)) * 0.03).astype(np.float32)
        for i, o in zip(SIZES[:-1], SIZES[1:])
    ]
    bs = [np.zeros(o, np.float32) for o in SIZES[1:]]
    vel = [np.zeros_like(p) for p in ws + bs]
    x, y = _data(BATCH)

    def step():
        hs = [x]
        for i, (w, b) in enumerate(zip(ws, bs)):
            z = hs[-1] @ w.T + b
            hs.append(np.maximum(z, 0) if i < len(ws) - 1 else z)
        z = hs[-1] - hs[-1].max(1, keepdims=True)
        d = np.exp(z)
        d /= d.sum(1, keepdims=True)
        d[np.arange(BATCH), y] -= 1
        d /= BATCH
        for i in reversed(range(len(ws))):
            grads = (d.T @ hs[i], d.sum(0))
            if i:
                d = (d @ ws[i]) * (hs[i] > 0)
            for p, g, v in zip((ws[i], bs[i]), grads, (vel[i], vel[len(ws) + i])):
                v *= 0.9
                v += g
                p -= 0.01 * v

    return step


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(argv)
    import torch

    torch.set_num_threads(2)
    for _ in range(args.rounds):
        tp, tn, tt = (time_call(f(), 5) for f in (numpy_train, nerve_train, torch_train))
        print(
            f"plain numpy {BATCH / tp:8,.0f}/s  nerve {BATCH / tn:8,.0f}/s  "
            f"torch {BATCH / tt:8,.0f}/s   plain/torch {tt / tp:.2f}x  "
            f"nerve/torch {tt / tn:.2f}x  nerve/plain {tp / tn:.2f}x"
        )


if __name__ == "__main__":
    main()
