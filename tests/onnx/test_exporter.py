"""nerve.onnx.export on the project's models: onnxruntime and load_model agree with nerve."""

from __future__ import annotations

import io

import numpy as np
import pytest
from onnxcheck import onnx, roundtrip  # noqa: F401  (skips without onnx)

import nerve
import nerve.nn as nn
from nerve.models.resnet import resnet
from nerve.models.traffic_sign import traffic_sign_net
from nerve.onnx import UnsupportedOperatorError
from nerve.tasks.digits import DigitsCNN, DigitsMLP


def images(c, h, w):
    def make(n):
        return nerve.randn(n, c, h, w)

    return make


def _trained_bn(model, make):
    """A few training-mode passes so that BatchNorm's running statistics are not 0/1."""
    model.train()
    with nerve.no_grad():
        for _ in range(2):
            model(make(8))
    return model


def test_digits_mlp():
    nerve.manual_seed(0)
    proto, _ = roundtrip(DigitsMLP().build_model(), lambda n: nerve.randn(n, 64))
    ops = {n.op_type for n in proto.graph.node}
    assert "Gemm" in ops and "Relu" in ops and "Dropout" not in ops


def test_digits_cnn():
    nerve.manual_seed(1)
    make = images(1, 8, 8)
    proto, _ = roundtrip(_trained_bn(DigitsCNN().build_model(), make), make)
    assert {"Conv", "BatchNormalization", "MaxPool"} <= {n.op_type for n in proto.graph.node}


def test_resnet():
    nerve.manual_seed(2)
    make = images(3, 16, 16)
    model = _trained_bn(resnet(layers=(1, 1), num_classes=5, in_channels=3), make)
    roundtrip(model, make, rtol=1e-4, atol=1e-4)


def test_traffic_sign_net():
    nerve.manual_seed(3)
    make = images(3, 32, 32)
    roundtrip(_trained_bn(traffic_sign_net(num_classes=7), make), make, atol=1e-4)


def test_conv1d_grouped_dilated_and_pools():
    nerve.manual_seed(4)
    model = nn.Sequential(
        nn.Conv1d(4, 8, 3, stride=2, padding=2, dilation=2, groups=2),
        nn.LeakyReLU(0.1),
        nn.AvgPool1d(2),
        nn.Conv1d(8, 6, 1),
        nn.Tanh(),
        nn.Flatten(),
        nn.LogSoftmax(dim=1),
    )
    roundtrip(model, lambda n: nerve.randn(n, 4, 20))


def test_activations_layer_norm_and_transpose_conv():
    nerve.manual_seed(5)
    model = nn.Sequential(
        nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1),
        nn.PReLU(4),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.LayerNorm(4),
        nn.Sigmoid(),
        nn.Linear(4, 6),
        nn.CReLU() if hasattr(nn, "CReLU") else nn.ReLU(),
        nn.Softmax(dim=-1),
    )
    roundtrip(model, images(3, 5, 5))


class CharModel(nn.Module):
    """A char-LM: embedding, a 2-layer recurrent core, a linear head (batch first)."""

    def __init__(self, cell, bidirectional, vocab=11):
        super().__init__()
        self.embed = nn.Embedding(vocab, 6)
        self.rnn = cell(6, 5, num_layers=2, batch_first=True, bidirectional=bidirectional)
        self.head = nn.Linear(5 * (2 if bidirectional else 1), vocab)

    def forward(self, x):
        y, _ = self.rnn(self.embed(x))
        return self.head(y)


@pytest.mark.parametrize("cell", [nn.LSTM, nn.GRU, nn.RNN], ids=["lstm", "gru", "rnn"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
def test_char_lm(cell, bidirectional):
    nerve.manual_seed(6)
    model = CharModel(cell, bidirectional)
    rng = np.random.default_rng(0)
    proto, _ = roundtrip(model, lambda n: nerve.tensor(rng.integers(0, 11, (n, 7))))
    kinds = [n.op_type for n in proto.graph.node if n.op_type in ("LSTM", "GRU", "RNN")]
    assert len(kinds) == 2 * (2 if bidirectional else 1)
    docs = [n.doc_string for n in proto.graph.node if n.op_type in ("LSTM", "GRU", "RNN")]
    assert all("'rnn'" in d for d in docs)


def test_single_layer_lstm_with_initial_state():
    nerve.manual_seed(7)
    lstm = nn.LSTM(4, 3)

    class WithState(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = lstm
            self.h0 = nn.Parameter(nerve.randn(1, 1, 3))

        def forward(self, x):
            h = x[:1, :, :3] * 0 + self.h0  # (1, B, 3): follows the batch at run time
            return self.lstm(x, (h, h))[0]

    roundtrip(WithState(), lambda n: nerve.randn(6, n, 4), batch_axis=1)


@pytest.mark.parametrize("batch_first", [True, False], ids=["batch_first", "seq_first"])
def test_transformer_encoder(batch_first):
    nerve.manual_seed(8)
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=batch_first)
    model = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
    shape = (lambda n: (n, 5, 8)) if batch_first else (lambda n: (5, n, 8))
    proto, _ = roundtrip(
        model, lambda n: nerve.randn(*shape(n)), batch_axis=0 if batch_first else 1, atol=1e-4
    )
    assert {"LayerNormalization", "Softmax", "MatMul"} <= {n.op_type for n in proto.graph.node}


def test_multihead_attention_with_weights():
    nerve.manual_seed(9)

    class SelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = nn.MultiheadAttention(8, 4, batch_first=True)

        def forward(self, x):
            out, weights = self.attn(x, x, x)
            return out + weights.sum(-1, keepdim=True)

    roundtrip(SelfAttention(), lambda n: nerve.randn(n, 6, 8), atol=1e-4)


def test_size_dependent_constant_is_refused():
    class MakesZeros(nn.Module):
        def forward(self, x):
            return x + nerve.zeros(x.shape[0], 3)

    with pytest.raises(nerve.onnx.OnnxExporterError, match="dynamic axis"):
        nerve.onnx.export(
            MakesZeros(),
            (nerve.randn(2, 3),),
            io.BytesIO(),
            input_names=["x"],
            dynamic_axes={"x": [0]},
        )


def test_weights_are_initializers_and_nodes_name_layers():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    f = io.BytesIO()
    proto = nerve.onnx.export(model, (nerve.randn(2, 3),), f)
    assert {i.name for i in proto.graph.initializer} == {"0.weight", "0.bias"}
    gemm = next(n for n in proto.graph.node if n.op_type == "Gemm")
    assert "Linear '0'" in gemm.doc_string
    assert proto.opset_import[0].version == 17
    assert proto.ir_version == onnx.helper.find_min_ir_version_for(list(proto.opset_import))


def test_opset_version_is_configurable():
    f = io.BytesIO()
    proto = nerve.onnx.export(
        nn.Sequential(nn.Linear(3, 4)), (nerve.randn(2, 3),), f, opset_version=21
    )
    assert proto.opset_import[0].version == 21
    onnx.checker.check_model(proto, full_check=True)


def test_unsupported_op_names_op_and_layer():
    model = nn.Sequential(nn.Linear(3, 4), nn.Softsign())
    with pytest.raises(UnsupportedOperatorError, match=r"Softsign.*Softsign '1'"):
        nerve.onnx.export(model, (nerve.randn(2, 3),), io.BytesIO())
    assert model.training  # the model's mode is restored


def test_tracing_hook_is_off_after_export():
    from nerve.autograd import function

    nerve.onnx.export(nn.Linear(2, 2), (nerve.randn(1, 2),), io.BytesIO())
    assert function._tracer is None


class Reductions(nn.Module):
    def forward(self, x):
        return (
            x.var(1)
            + x.amax(1)
            + x.mean(1)
            + x.logsumexp(1)
            + x.max(1)[0]
            + x.clamp(-0.5, 0.5).sum(1)
        )


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerDecoderLayer(8, 2, 16, batch_first=True)

    def forward(self, x):
        return self.layer(x, x)


class Indexing(nn.Module):
    def forward(self, x):  # x (N, 6, 4)
        a = x[:, 1:4] + x[:, 1:4, ::2].sum(-1, keepdim=True)  # Slice
        b = x[:, 0][:, None, :] * x[:, -1:, :]  # int index, None
        c = nerve.index_select(x, 1, nerve.tensor([5, 0, 2]))  # Gather
        first, second = x.chunk(2, dim=1)  # Split
        e = nerve.cat([first, second.transpose(1, 2).transpose(1, 2)], dim=2)
        return nerve.cat([a.flatten(1), b.flatten(1), c.flatten(1), e.flatten(1)], dim=1)


COVERAGE = {
    "activations": (
        lambda: nn.Sequential(
            nn.Linear(4, 6),
            nn.SELU(),
            nn.ReLU6(),
            nn.GELU(),
            nn.SiLU(),
            nn.Softplus(beta=2),
            nn.LogSigmoid(),
            nn.ELU(),
            nn.RReLU(),
            nn.Hardtanh(),
            nn.GELU(approximate="tanh"),
        ),
        (4,),
    ),
    "conv3d_same_maxpool3d_ceil": (
        lambda: nn.Sequential(nn.Conv3d(2, 3, 3, padding="same"), nn.MaxPool3d(2, ceil_mode=True)),
        (2, 5, 5, 5),
    ),
    "avgpool_exclude_pad": (
        lambda: nn.Sequential(nn.AvgPool2d(3, 2, padding=1, count_include_pad=False), nn.Flatten()),
        (2, 7, 7),
    ),
    "conv2d_same_even_kernel": (lambda: nn.Conv2d(2, 3, 4, padding="same"), (2, 7, 7)),
    "unflatten_softmax": (
        lambda: nn.Sequential(nn.Linear(6, 6), nn.Unflatten(1, (2, 3)), nn.Softmax(dim=-1)),
        (6,),
    ),
    "transformer_decoder_layer": (Decoder, (4, 8)),
    "reductions": (Reductions, (5,)),
    "indexing_and_shapes": (Indexing, (6, 4)),
}


@pytest.mark.parametrize("name", sorted(COVERAGE))
def test_coverage(name):
    nerve.manual_seed(10)
    build, shape = COVERAGE[name]
    roundtrip(build(), lambda n: nerve.randn(n, *shape), atol=1e-4)


def test_verbose_prints_the_graph_and_training_export_is_refused(capsys):
    model = nn.Linear(2, 3)
    nerve.onnx.export(model, (nerve.randn(1, 2),), io.BytesIO(), verbose=True)
    assert "Gemm" in capsys.readouterr().out
    with pytest.raises(ValueError, match="eval-mode"):
        nerve.onnx.export(model, (nerve.randn(1, 2),), io.BytesIO(), training=True)


def test_initial_states_as_graph_inputs():
    """The task's char-LM with (h0, c0) given: the states are inputs of the ONNX graph."""
    import onnxruntime as ort

    from nerve.tasks.charlm import CharLM

    nerve.manual_seed(11)
    lm = CharLM(9, embed=4, hidden=6, layers=2).eval()

    class WithState(nn.Module):
        def __init__(self):
            super().__init__()
            self.lm = lm

        def forward(self, ids, h0, c0):
            logits, (h, c) = self.lm(ids, (h0, c0))
            return logits, h, c

    rng = np.random.default_rng(3)

    def make(n):
        return (
            nerve.tensor(rng.integers(0, 9, (n, 5))),
            nerve.randn(2, n, 6),
            nerve.randn(2, n, 6),
        )

    names = ["ids", "h0", "c0"]
    f = io.BytesIO()
    proto = nerve.onnx.export(
        WithState(),
        make(2),
        f,
        input_names=names,
        output_names=["logits", "h", "c"],
        dynamic_axes={
            "ids": {0: "b"},
            "h0": {1: "b"},
            "c0": {1: "b"},
            "logits": {0: "b"},
            "h": {1: "b"},
            "c": {1: "b"},
        },
    )
    onnx.checker.check_model(proto, full_check=True)
    session = ort.InferenceSession(f.getvalue())
    for n in (2, 3):
        args = make(n)
        with nerve.no_grad():
            want = WithState()(*args)
        got = session.run(None, {k: a.numpy() for k, a in zip(names, args)})
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w.numpy(), rtol=1e-4, atol=1e-5)
