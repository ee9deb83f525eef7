"""The lecture's traffic-sign network: two convolution + max-pooling stages and a fully
connected classifier (a LeNet-style CNN)."""

from __future__ import annotations

from nerve import functional as F
from nerve.nn import Conv2d, Linear, MaxPool2d, Module
from nerve.tensor import Tensor

_ACTIVATIONS = {"relu": F.relu, "tanh": F.tanh, "sigmoid": F.sigmoid}


class TrafficSignNet(Module):
    """conv 4 kernels 5x5 → act → max pool 2 → conv 10 kernels 5x5 → act → max pool 2 →
    fully connected (10·s·s → num_classes), s = ((input_size - 4)/2 - 4)/2 (5 for 32x32).

    Shape: input (N, in_channels, input_size, input_size), output (N, num_classes) logits.
    Defaults: 3x32x32 colour images, 43 classes (as in the German traffic-sign benchmark).
    """

    def __init__(
        self,
        num_classes: int = 43,
        in_channels: int = 3,
        input_size: int = 32,
        activation: str = "relu",
    ) -> None:
        super().__init__()
        if activation not in _ACTIVATIONS:
            raise ValueError(
                f"TrafficSignNet: activation must be one of "
                f"{sorted(_ACTIVATIONS)}, got '{activation}'"
            )
        side = ((input_size - 4) // 2 - 4) // 2
        if side < 1:
            raise ValueError(
                f"TrafficSignNet: input_size must be at least 16 (two 5x5 "
                f"convolutions and two 2x2 poolings), got {input_size}"
            )
        self.input_size, self.activation = input_size, activation
        self.conv1 = Conv2d(in_channels, 4, 5)
        self.pool1 = MaxPool2d(2)
        self.conv2 = Conv2d(4, 10, 5)
        self.pool2 = MaxPool2d(2)
        self.fc = Linear(10 * side * side, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        act = _ACTIVATIONS[self.activation]
        x = self.pool1(act(self.conv1(x)))
        x = self.pool2(act(self.conv2(x)))
        return self.fc(x.flatten(1))


def traffic_sign_net(
    num_classes: int = 43, in_channels: int = 3, input_size: int = 32, activation: str = "relu"
) -> TrafficSignNet:
    return TrafficSignNet(num_classes, in_channels, input_size, activation)
