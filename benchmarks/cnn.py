"""CNN training steps, float32, two threads:

- "cnn_train": 1x28x28, batch 64: conv(1->32, 3x3, pad 1)-ReLU-maxpool 2 -
  conv(32->64, 3x3, pad 1)-ReLU-maxpool 2 - flatten - linear(3136->128)-ReLU -
  linear(128->10), cross-entropy, SGD momentum 0.9.
- "resnet_train": 3x32x32, batch 32: conv 3->64 3x3 + BN + ReLU, two basic residual blocks
  of 64 channels, global average pool, linear 64->10, cross-entropy, SGD momentum 0.9.

nerve's 3x3 convs run by im2col or Winograd as ``nerve.ops.nn.winograd.select`` picks;
NERVE_CONV3X3=im2col|f2|f4|auto forces a path, and ``python -m benchmarks.conv3x3
--steps 3`` times these two steps with im2col against auto, each in its own process.
"""

from __future__ import annotations

import numpy as np

from benchmarks.runner import Workload

CNN_BATCH, RESNET_BATCH = 64, 32


def _data(shape, batch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch,) + shape).astype(np.float32)
    y = rng.integers(0, 10, batch).astype(np.int64)
    return x, y


def _cnn(nn):
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(3136, 128),
        nn.ReLU(),
        nn.Linear(128, 10),
    )


def _nerve_resnet():
    from nerve.models import resnet

    return resnet((2,), num_classes=10, in_channels=3, width=64)


def _torch_resnet():
    from torch import nn

    def block():
        return _torch_block(nn)

    return nn.Sequential(
        nn.Conv2d(3, 64, 3, padding=1, bias=False),
        nn.BatchNorm2d(64),
        nn.ReLU(),
        block(),
        block(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(64, 10),
    )


def _torch_block(nn):
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(64, 64, 3, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.conv2 = nn.Conv2d(64, 64, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU()

        def forward(self, x):
            return self.relu(self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x))))) + x)

    return Block()


def _nerve_step(model, shape, batch):
    import nerve
    import nerve.nn.functional as F

    opt = nerve.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = (nerve.from_numpy(a) for a in _data(shape, batch))

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    return step


def _torch_step(model, shape, batch):
    import torch
    import torch.nn.functional as F

    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = (torch.from_numpy(a) for a in _data(shape, batch))

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    return step


def nerve_cnn():
    import nerve
    from nerve import nn

    nerve.manual_seed(0)
    return _nerve_step(_cnn(nn), (1, 28, 28), CNN_BATCH)


def torch_cnn():
    import torch
    from torch import nn

    torch.manual_seed(0)
    return _torch_step(_cnn(nn), (1, 28, 28), CNN_BATCH)


def nerve_resnet():
    import nerve

    nerve.manual_seed(0)
    return _nerve_step(_nerve_resnet(), (3, 32, 32), RESNET_BATCH)


def torch_resnet():
    import torch

    torch.manual_seed(0)
    return _torch_step(_torch_resnet(), (3, 32, 32), RESNET_BATCH)


WORKLOADS = [
    Workload(
        "cnn_train",
        "samples",
        CNN_BATCH,
        nerve_cnn,
        torch_cnn,
        "conv32-pool-conv64-pool-fc128-fc10 on 1x28x28, cross-entropy, SGD momentum, batch 64",
    ),
    Workload(
        "resnet_train",
        "samples",
        RESNET_BATCH,
        nerve_resnet,
        torch_resnet,
        "conv64+BN+ReLU, 2 basic blocks of 64, global avg pool, fc 10 on 3x32x32, batch 32",
    ),
]
