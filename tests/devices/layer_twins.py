"""Layer twins (tests/nn/layercheck.py's Twin rows) for the common layers; each is
checked against PyTorch on the CPU here and run on the device by test_layer_twins.py."""

import torch
from layercheck import Twin

from nerve import nn


def _pair(name, *args, **kwargs):
    return lambda: (getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs))


TABLE = [
    Twin("Linear", _pair("Linear", 5, 3), (4, 5)),
    Twin("Conv1d", _pair("Conv1d", 2, 3, 3, padding=1), (2, 2, 7)),
    Twin("Conv2d", _pair("Conv2d", 2, 3, 3, stride=2, padding=1), (2, 2, 7, 7)),
    Twin("ConvTranspose2d", _pair("ConvTranspose2d", 2, 3, 3, stride=2), (1, 2, 4, 4)),
    Twin("MaxPool2d", _pair("MaxPool2d", 2), (2, 3, 6, 6)),
    Twin("AvgPool2d", _pair("AvgPool2d", 3, 2, 1), (2, 3, 7, 7)),
    Twin("AdaptiveAvgPool2d", _pair("AdaptiveAvgPool2d", (2, 3)), (2, 3, 6, 7)),
    Twin("BatchNorm1d", _pair("BatchNorm1d", 4), (5, 4)),
    Twin("BatchNorm2d", _pair("BatchNorm2d", 3), (4, 3, 5, 5)),
    Twin("LayerNorm", _pair("LayerNorm", 6), (3, 6)),
    Twin("GroupNorm", _pair("GroupNorm", 2, 4), (3, 4, 5)),
    Twin("ReLU", _pair("ReLU"), (3, 4)),
    Twin("Tanh", _pair("Tanh"), (3, 4)),
    Twin("Sigmoid", _pair("Sigmoid"), (3, 4)),
    Twin("Softmax", _pair("Softmax", dim=1), (3, 4)),
    Twin("LogSoftmax", _pair("LogSoftmax", dim=-1), (3, 4)),
    Twin("Flatten", _pair("Flatten"), (2, 3, 4)),
    Twin("Dropout_eval", _pair("Dropout", 0.5), (3, 4), train=False),
    Twin("RNN", _pair("RNN", 3, 4, batch_first=True), (2, 5, 3)),
    Twin("LSTM", _pair("LSTM", 3, 4, num_layers=2), (5, 2, 3)),
    Twin("GRU", _pair("GRU", 3, 4, bidirectional=True), (5, 2, 3)),
    Twin(
        "MLP",
        lambda: (
            nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)),
            torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2)),
        ),
        (3, 4),
    ),
]
