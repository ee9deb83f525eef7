"""Residual networks (He et al., 2016): blocks learn a residual F(x) added to an identity
shortcut, y = relu(F(x) + x), so gradients reach early layers undiminished through the
shortcuts. Parameter names follow torchvision's ResNet (conv1, bn1, layer1.0.conv1, ...)."""

from __future__ import annotations

from nerve.nn import AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Linear, Module, ReLU, Sequential
from nerve.tensor import Tensor


def conv3x3(in_planes: int, out_planes: int, stride: int = 1) -> Conv2d:
    """3x3 convolution with padding 1 and no bias (a BatchNorm follows)."""
    return Conv2d(in_planes, out_planes, 3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> Conv2d:
    """1x1 convolution: mixes channels, the projection shortcut when shapes change."""
    return Conv2d(in_planes, out_planes, 1, stride=stride, bias=False)


class BasicBlock(Module):
    """y = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)); shortcut is the identity, or
    ``downsample`` (1x1 conv + BN) when the stride or the channel count changes."""

    expansion = 1

    def __init__(
        self, inplanes: int, planes: int, stride: int = 1, downsample: Module | None = None
    ) -> None:
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = BatchNorm2d(planes)
        self.relu = ReLU()
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = BatchNorm2d(planes)
        if downsample is None and (stride != 1 or inplanes != planes):
            downsample = Sequential(conv1x1(inplanes, planes, stride), BatchNorm2d(planes))
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet(Module):
    """A small ResNet for small images: stem conv3x3(in_channels → width) + BN + ReLU (no
    max pool), then one stage per entry of ``layers`` (that many blocks; stage i has
    width·2^i channels, stride 2 from the second stage on), global average pooling and a
    linear classifier. ResNet(layers=(2,)) is the "resnet_train" benchmark model;
    layers=(2, 2, 2, 2) is ResNet-18's layout."""

    def __init__(
        self,
        layers=(2, 2, 2, 2),
        num_classes: int = 10,
        in_channels: int = 3,
        width: int = 64,
        block=BasicBlock,
    ) -> None:
        super().__init__()
        if not layers or min(layers) < 1:
            raise ValueError(
                f"ResNet: layers must list at least one stage of >= 1 block, got {tuple(layers)}"
            )
        self.conv1 = conv3x3(in_channels, width)
        self.bn1 = BatchNorm2d(width)
        self.relu = ReLU()
        planes = width
        for i, n in enumerate(layers):
            out = width * 2**i
            blocks = [block(planes, out, stride=1 if i == 0 else 2)]
            blocks += [block(out, out) for _ in range(n - 1)]
            setattr(self, f"layer{i + 1}", Sequential(*blocks))
            planes = out
        self.num_stages = len(layers)
        self.avgpool = AdaptiveAvgPool2d(1)
        self.fc = Linear(planes * block.expansion, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.relu(self.bn1(self.conv1(x)))
        for i in range(self.num_stages):
            x = getattr(self, f"layer{i + 1}")(x)
        return self.fc(self.avgpool(x).flatten(1))


def resnet(layers=(2,), num_classes: int = 10, in_channels: int = 3, width: int = 64) -> ResNet:
    """Build a small ResNet of BasicBlocks; see ``ResNet``."""
    return ResNet(tuple(layers), num_classes, in_channels, width)


def resnet18(num_classes: int = 10, in_channels: int = 3) -> ResNet:
    """ResNet-18's four stages of two BasicBlocks (64-128-256-512), small-image stem."""
    return ResNet((2, 2, 2, 2), num_classes, in_channels)
