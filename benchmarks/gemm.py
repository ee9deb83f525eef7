"""The GEMM peak: float32 matrix products of the MLP's sizes in numpy and torch, for
judging how close a training step comes to the BLAS rate."""

from __future__ import annotations

import numpy as np

from benchmarks.runner import time_call

SHAPES = [(128, 784, 512), (128, 512, 512), (512, 512, 512), (1024, 1024, 1024)]


def gflops(repeats: int = 5) -> list:
    import torch

    rows = []
    for m, k, n in SHAPES:
        rng = np.random.default_rng(0)
        a = rng.standard_normal((m, k)).astype(np.float32)
        b = rng.standard_normal((k, n)).astype(np.float32)
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        flop = 2 * m * k * n
        rows.append(((m, k, n), flop / time_call(lambda a=a, b=b: a @ b, repeats) / 1e9,
                     flop / time_call(lambda ta=ta, tb=tb: ta @ tb, repeats) / 1e9))
    return rows
