"""nerve.onnx.load_model: PyTorch's exports run in nerve, fine-tune, and bad files fail clearly."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from onnxcheck import onnx, run_nerve  # noqa: F401  (skips without onnx)

import nerve
import nerve.nn as nn
from nerve.onnx import OnnxLoadError, UnsupportedOperatorError, load_model

torch = pytest.importorskip("torch")


def transplant(torch_model, nerve_model):
    state = {
        k: nerve.tensor(v.detach().numpy().copy()) for k, v in torch_model.state_dict().items()
    }
    nerve_model.load_state_dict(state)
    return nerve_model.eval()


def torch_export(model, x, batch_axis=0) -> bytes:
    f = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model.eval(),
            (x,),
            f,
            dynamo=False,
            input_names=["x"],
            output_names=["y"],
            dynamic_axes={"x": {batch_axis: "batch"}},
            opset_version=17,
        )
    return f.getvalue()


def twins_cnn():
    t = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1),
        torch.nn.BatchNorm2d(4),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(64, 10),
        torch.nn.LogSoftmax(dim=1),
    )
    n = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64, 10),
        nn.LogSoftmax(dim=1),
    )
    with torch.no_grad():  # running statistics that are not 0/1
        t.train()(torch.randn(16, 1, 8, 8))
    return t, n


def test_torch_cnn_export_runs_in_nerve():
    torch.manual_seed(0)
    t, n = twins_cnn()
    n = transplant(t, n)
    loaded = load_model(torch_export(t, torch.randn(2, 1, 8, 8)))
    for b in (2, 5):
        x = np.random.default_rng(b).standard_normal((b, 1, 8, 8)).astype(np.float32)
        want = run_nerve(n, nerve.tensor(x))
        np.testing.assert_allclose(run_nerve(loaded, nerve.tensor(x)), want, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(t(torch.tensor(x)).detach().numpy(), want, rtol=1e-4, atol=1e-5)


class TorchCharLM(torch.nn.Module):
    def __init__(self, cell, bidirectional):
        super().__init__()
        self.embed = torch.nn.Embedding(11, 6)
        self.rnn = cell(6, 5, num_layers=2, batch_first=True, bidirectional=bidirectional)
        self.head = torch.nn.Linear(10 if bidirectional else 5, 11)

    def forward(self, x):
        return self.head(self.rnn(self.embed(x))[0])


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
def test_torch_recurrent_export_runs_in_nerve(kind, bidirectional):
    from test_exporter import CharModel

    torch.manual_seed(1)
    t = TorchCharLM(getattr(torch.nn, kind), bidirectional)
    n = transplant(t, CharModel(getattr(nn, kind), bidirectional))
    ids = np.random.default_rng(2).integers(0, 11, (3, 7))
    loaded = load_model(torch_export(t, torch.tensor(ids)))
    want = run_nerve(n, nerve.tensor(ids))
    np.testing.assert_allclose(run_nerve(loaded, nerve.tensor(ids)), want, rtol=1e-4, atol=1e-5)


def test_torch_transformer_encoder_export_runs_in_nerve():
    torch.manual_seed(6)
    t = torch.nn.TransformerEncoder(
        torch.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2, enable_nested_tensor=False
    )
    n = transplant(
        t,
        nn.TransformerEncoder(
            nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2, enable_nested_tensor=False
        ),
    )
    loaded = load_model(torch_export(t, torch.randn(3, 5, 8)))
    for b in (3, 4):  # the batch axis is dynamic: torch's shape arithmetic runs in nerve
        x = nerve.randn(b, 5, 8)
        np.testing.assert_allclose(run_nerve(loaded, x), run_nerve(n, x), rtol=1e-4, atol=1e-5)


def test_nerve_and_torch_exports_agree():
    import onnxruntime as ort

    torch.manual_seed(3)
    t, n = twins_cnn()
    n = transplant(t, n)
    x = np.random.default_rng(4).standard_normal((3, 1, 8, 8)).astype(np.float32)
    f = io.BytesIO()
    nerve.onnx.export(n, (nerve.tensor(x),), f, input_names=["x"])
    ours = ort.InferenceSession(f.getvalue()).run(None, {"x": x})[0]
    theirs = ort.InferenceSession(torch_export(t, torch.tensor(x))).run(None, {"x": x})[0]
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)


def test_loaded_model_fine_tunes():
    torch.manual_seed(5)
    t = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    loaded = load_model(torch_export(t, torch.randn(2, 4)))
    params = list(loaded.parameters())
    assert len(params) == 4 and all(p.requires_grad for p in params)
    x, y = nerve.randn(16, 4), nerve.randn(16, 2)
    opt = nerve.optim.SGD(loaded.parameters(), lr=0.1)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = ((loaded(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0]


def test_truncated_file_is_a_clear_error(tmp_path):
    data = torch_export(torch.nn.Linear(3, 2), torch.randn(1, 3))
    path = tmp_path / "cut.onnx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(OnnxLoadError, match="cut.onnx"):
        load_model(str(path))


def test_garbage_file_is_a_clear_error(tmp_path):
    path = tmp_path / "garbage.onnx"
    path.write_bytes(b"\x00\xffnot an onnx model at all" * 10)
    with pytest.raises(OnnxLoadError, match="garbage.onnx"):
        load_model(str(path))
    with pytest.raises(OnnxLoadError, match="cannot read"):
        load_model(str(tmp_path / "missing.onnx"))


def test_unsupported_onnx_op_is_named():
    x = onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [2])
    y = onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [2])
    node = onnx.helper.make_node("Hardmax", ["x"], ["y"], name="hm")
    graph = onnx.helper.make_graph([node], "g", [x], [y])
    model = onnx.helper.make_model(
        graph, opset_imports=[onnx.helper.make_opsetid("", 17)], ir_version=8
    )
    with pytest.raises(UnsupportedOperatorError, match="Hardmax.*'hm'"):
        load_model(model.SerializeToString())


def test_integer_div_truncates_and_mod_takes_the_divisors_sign():
    h = onnx.helper
    a = h.make_tensor("a", onnx.TensorProto.INT64, [3], [-7, 7, 6])
    b = h.make_tensor("b", onnx.TensorProto.INT64, [3], [2, -2, 3])
    x = h.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [3])
    outs = [h.make_tensor_value_info(n, onnx.TensorProto.INT64, [3]) for n in ("q", "r")]
    y = h.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [3])
    nodes = [
        h.make_node("Div", ["a", "b"], ["q"]),
        h.make_node("Mod", ["a", "b"], ["r"]),
        h.make_node("Identity", ["x"], ["y"]),
    ]
    graph = h.make_graph(nodes, "g", [x], [*outs, y], [a, b])
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)], ir_version=8)
    q, r, _ = load_model(model.SerializeToString())(nerve.zeros(3))
    assert q.tolist() == [-3, -3, 2] and r.tolist() == [1, -1, 0]
