import numpy as np
import pytest
import torch
from torch import nn as tnn

import nerve
from nerve.models import BasicBlock, ResNet, TrafficSignNet, resnet, resnet18


class TorchBlock(tnn.Module):
    """torchvision's BasicBlock, written out (torchvision is not a test dependency)."""

    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = tnn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(planes)
        self.relu = tnn.ReLU()
        self.conv2 = tnn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = tnn.Sequential(
                tnn.Conv2d(inplanes, planes, 1, stride, bias=False), tnn.BatchNorm2d(planes)
            )

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x))))) + identity)


class TorchResNet(tnn.Module):
    def __init__(self, layers, num_classes, in_channels, width):
        super().__init__()
        self.conv1 = tnn.Conv2d(in_channels, width, 3, 1, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(width)
        self.relu = tnn.ReLU()
        planes = width
        for i, n in enumerate(layers):
            out = width * 2**i
            blocks = [TorchBlock(planes, out, 1 if i == 0 else 2)]
            blocks += [TorchBlock(out, out) for _ in range(n - 1)]
            setattr(self, f"layer{i + 1}", tnn.Sequential(*blocks))
            planes = out
        self.n = len(layers)
        self.avgpool = tnn.AdaptiveAvgPool2d(1)
        self.fc = tnn.Linear(planes, num_classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        for i in range(self.n):
            x = getattr(self, f"layer{i + 1}")(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


def _load(model, tmodel):
    state = {k: v.detach().numpy().copy() for k, v in tmodel.state_dict().items()}
    assert list(model.state_dict()) == list(state)
    model.load_state_dict(state)


def _check(model, tmodel, x, train):
    model.train(train)
    tmodel.train(train)
    xn, xt = nerve.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = model(xn), tmodel(xt)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-3, atol=1e-4)
    y.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(xn.grad.numpy(), xt.grad.numpy(), rtol=1e-3, atol=1e-4)
    params = dict(model.named_parameters())
    for name, p in tmodel.named_parameters():
        np.testing.assert_allclose(
            params[name].grad.numpy(), p.grad.numpy(), rtol=1e-3, atol=2e-4, err_msg=name
        )
    for name, b in tmodel.named_buffers():
        np.testing.assert_allclose(
            dict(model.named_buffers())[name].numpy(), b.numpy(), rtol=1e-4, atol=1e-5, err_msg=name
        )


@pytest.mark.parametrize("train", [True, False])
def test_small_resnet_matches_torch(train):
    torch.manual_seed(0)
    tmodel = TorchResNet((1, 2), 5, 3, 8)
    model = resnet((1, 2), num_classes=5, in_channels=3, width=8)
    _load(model, tmodel)
    x = np.random.default_rng(0).standard_normal((4, 3, 8, 8)).astype(np.float32)
    _check(model, tmodel, x, train)


def test_basic_block_shortcuts():
    assert BasicBlock(8, 8).downsample is None
    block = BasicBlock(8, 16, stride=2)
    assert block.downsample is not None
    assert block(nerve.randn(2, 8, 6, 6)).shape == (2, 16, 3, 3)


def test_resnet_builders():
    assert resnet().layer1[1].conv2.weight.shape == (64, 64, 3, 3)
    m = resnet18(num_classes=7, in_channels=1)
    assert m.layer4[0].conv1.weight.shape == (512, 256, 3, 3) and m.fc.out_features == 7
    with pytest.raises(ValueError, match="layers"):
        ResNet(layers=())


def test_traffic_sign_net_matches_torch():
    torch.manual_seed(0)
    t = tnn.Sequential()
    t.conv1, t.act1, t.pool1 = tnn.Conv2d(3, 4, 5), tnn.ReLU(), tnn.MaxPool2d(2)
    t.conv2, t.act2, t.pool2 = tnn.Conv2d(4, 10, 5), tnn.ReLU(), tnn.MaxPool2d(2)
    t.flat, t.fc = tnn.Flatten(), tnn.Linear(250, 43)
    model = TrafficSignNet()
    _load(model, t)
    x = np.random.default_rng(0).standard_normal((2, 3, 32, 32)).astype(np.float32)
    _check(model, t, x, True)
    assert model.conv1.weight.shape == (4, 3, 5, 5) and model.conv2.weight.shape == (10, 4, 5, 5)


def test_traffic_sign_net_options():
    m = TrafficSignNet(num_classes=10, in_channels=1, input_size=28, activation="tanh")
    assert m(nerve.randn(3, 1, 28, 28)).shape == (3, 10) and m.fc.in_features == 160
    with pytest.raises(ValueError, match="input_size"):
        TrafficSignNet(input_size=12)
