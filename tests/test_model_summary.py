"""nerve.summary: output shapes and parameter counts against torch twins of the same
models (digits MLP and CNN, a ResNet, a char-LSTM), and the unused-pixel flag."""

import pytest

import nerve
from nerve.models.resnet import resnet

torch = pytest.importorskip("torch")
tnn = torch.nn


def _twin_counts(model) -> dict:
    return {
        name: sum(p.numel() for p in m.parameters(recurse=False))
        for name, m in model.named_modules()
    }


def _check(ours, theirs, x_size, **kwargs):
    s = nerve.summary(ours, x_size, verbose=0, **kwargs)
    counts = _twin_counts(theirs)
    for layer in s.layers:
        assert layer.num_params == counts[layer.name], layer.name
    assert s.total_params == s.trainable_params == sum(p.numel() for p in theirs.parameters())
    return s


def _mlp(lib):
    return lib.nn.Sequential(
        lib.nn.Flatten(),
        lib.nn.Linear(64, 128),
        lib.nn.ReLU(),
        lib.nn.Dropout(0.2),
        lib.nn.Linear(128, 10),
    )


def _cnn(lib):
    n = lib.nn
    return n.Sequential(
        n.Conv2d(1, 16, 3, padding=1),
        n.BatchNorm2d(16),
        n.ReLU(),
        n.MaxPool2d(2),
        n.Conv2d(16, 32, 3, padding=1),
        n.ReLU(),
        n.AdaptiveAvgPool2d(1),
        n.Flatten(),
        n.Linear(32, 10),
    )


def test_mlp_and_cnn_match_torch():
    s = _check(_mlp(nerve), _mlp(torch), (4, 8, 8))
    assert [x.output_shape for x in s.layers] == [(4, 64), (4, 128), (4, 128), (4, 128), (4, 10)]
    s = _check(_cnn(nerve), _cnn(torch), (2, 1, 8, 8))
    assert s.layers[3].output_shape == tuple(_cnn(torch)[:4](torch.zeros(2, 1, 8, 8)).shape)
    assert not s.flagged


class TorchBlock(tnn.Module):
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


class TorchResNet(tnn.Module):
    def __init__(self, width=8):
        super().__init__()
        self.conv1 = tnn.Conv2d(3, width, 3, 1, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(width)
        self.relu = tnn.ReLU()
        self.layer1 = tnn.Sequential(TorchBlock(width, width), TorchBlock(width, width))
        self.layer2 = tnn.Sequential(
            TorchBlock(width, 2 * width, 2), TorchBlock(2 * width, 2 * width)
        )
        self.avgpool = tnn.AdaptiveAvgPool2d(1)
        self.fc = tnn.Linear(2 * width, 10)


def test_resnet_matches_torch():
    s = _check(resnet((2, 2), width=8), TorchResNet(8), (1, 3, 16, 16))
    assert s.layers[-1].output_shape == (1, 10)
    by_name = {x.name: x for x in s.layers}
    assert by_name["layer2.0.downsample.0"].output_shape == (1, 16, 8, 8)


class CharLSTM:
    @staticmethod
    def build(lib):
        class Net(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = lib.nn.Embedding(27, 16)
                self.lstm = lib.nn.LSTM(16, 32, num_layers=2, batch_first=True)
                self.head = lib.nn.Linear(32, 27)

            def forward(self, x):
                return self.head(self.lstm(self.embed(x))[0])

        return Net()


def test_char_lstm_matches_torch():
    s = _check(CharLSTM.build(nerve), CharLSTM.build(torch), (3, 5), dtypes=[nerve.long])
    assert [x.output_shape for x in s.layers] == [(3, 5, 16), (3, 5, 32), (3, 5, 27)]


def test_slides_conv_layer_and_the_unused_pixels(capsys):
    s = nerve.summary(nerve.nn.Sequential(nerve.nn.Conv2d(3, 10, 5, padding=2)), (1, 3, 32, 32))
    assert s.total_params == 760 == sum(p.numel() for p in tnn.Conv2d(3, 10, 5).parameters())
    assert "760" in capsys.readouterr().out
    net = nerve.nn.Sequential(nerve.nn.Conv2d(1, 2, 3, stride=3), nerve.nn.MaxPool2d(2))
    s = nerve.summary(net, (1, 1, 7, 7))
    out = capsys.readouterr().out
    (flag,) = s.flagged  # 3x3 stride 3 on 7x7 drops a row and a column; 2x2 pool on 2x2 fits
    assert flag.name == "0" and flag.unused == {0: 1, 1: 1}
    assert flag.output_shape == tuple(tnn.Conv2d(1, 2, 3, stride=3)(torch.zeros(1, 1, 7, 7)).shape)
    assert "never seen by the window" in out
    s = nerve.summary(nerve.nn.Sequential(nerve.nn.MaxPool2d(2)), (1, 1, 5, 4), verbose=0)
    assert s.flagged[0].unused == {0: 1}


def test_needs_an_input():
    with pytest.raises(ValueError, match="input_size"):
        nerve.summary(_mlp(nerve))
