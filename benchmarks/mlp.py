"""MLP 784-512-512-10 with ReLU, cross-entropy, SGD momentum 0.9, batch 128, float32
("mlp_train", samples/s), and its forward at batch 1 without grad ("mlp_infer_b1")."""

from __future__ import annotations

import numpy as np

from benchmarks.runner import Workload

BATCH = 128
SIZES = (784, 512, 512, 10)


def _data(batch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], batch).astype(np.int64)
    return x, y


def _nerve_model():
    import nerve
    from nerve import nn

    nerve.manual_seed(0)
    return nn.Sequential(
        nn.Linear(SIZES[0], SIZES[1]),
        nn.ReLU(),
        nn.Linear(SIZES[1], SIZES[2]),
        nn.ReLU(),
        nn.Linear(SIZES[2], SIZES[3]),
    )


def _torch_model():
    import torch
    from torch import nn

    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(SIZES[0], SIZES[1]),
        nn.ReLU(),
        nn.Linear(SIZES[1], SIZES[2]),
        nn.ReLU(),
        nn.Linear(SIZES[2], SIZES[3]),
    )


def nerve_train():
    import nerve
    import nerve.nn.functional as F

    model = _nerve_model()
    opt = nerve.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = (nerve.from_numpy(a) for a in _data(BATCH))

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    return step


def torch_train():
    import torch
    import torch.nn.functional as F

    model = _torch_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = (torch.from_numpy(a) for a in _data(BATCH))

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    return step


def nerve_infer():
    import nerve

    model = _nerve_model().eval()
    x = nerve.from_numpy(_data(1)[0])

    def infer():
        with nerve.no_grad():
            return model(x)

    return infer


def torch_infer():
    import torch

    model = _torch_model().eval()
    x = torch.from_numpy(_data(1)[0])

    def infer():
        with torch.no_grad():
            return model(x)

    return infer


WORKLOADS = [
    Workload(
        "mlp_train",
        "samples",
        BATCH,
        nerve_train,
        torch_train,
        "MLP 784-512-512-10, ReLU, cross-entropy, SGD momentum 0.9, batch 128",
    ),
    Workload(
        "mlp_infer_b1",
        "latency",
        1,
        nerve_infer,
        torch_infer,
        "the same MLP's forward, batch 1, no grad",
    ),
]
