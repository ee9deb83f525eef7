"""The ONNX round trip every model test runs: export, check, onnxruntime at two batch
sizes, and load_model back into nerve, each compared with nerve's own output."""

from __future__ import annotations

import io

import numpy as np
import pytest

import nerve
import nerve.onnx as nonnx

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def first(out):
    return out[0] if isinstance(out, tuple) else out


def run_nerve(model, x):
    with nerve.no_grad():
        return first(model(x)).numpy()


def roundtrip(model, make_input, batch_axis=0, sizes=(3, 5), rtol=1e-4, atol=1e-5):
    """Export ``model`` on make_input(sizes[0]) with a dynamic batch axis, then compare
    onnxruntime and load_model with nerve at every batch size in ``sizes``."""
    model.eval()
    f = io.BytesIO()
    proto = nonnx.export(
        model,
        (make_input(sizes[0]),),
        f,
        input_names=["x"],
        output_names=["y"],
        dynamic_axes={"x": {batch_axis: "batch"}, "y": {batch_axis: "batch"}},
    )
    onnx.checker.check_model(proto, full_check=True)
    session = ort.InferenceSession(f.getvalue(), providers=["CPUExecutionProvider"])
    loaded = nonnx.load_model(f.getvalue())
    for n in sizes:
        x = make_input(n)
        want = run_nerve(model, x)
        got = session.run(None, {"x": x.numpy()})[0]
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=f"ort, batch {n}")
        back = run_nerve(loaded, x)
        np.testing.assert_allclose(
            back, want, rtol=rtol, atol=atol, err_msg=f"load_model, batch {n}"
        )
    return proto, loaded
