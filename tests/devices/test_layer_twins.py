"""Every layer twin (tests/nn/layercheck.py's TWINS) runs on "cuda" and gives the CPU's
outputs, input gradients and parameter gradients, from the same transplanted weights.
Twins not on the device yet are strict xfails (not_on_device.py), as for op rows."""

import copy

import layer_twins  # noqa: F401 - fills TWINS with this folder's table
import numpy as np
import pytest
from layercheck import TWINS, load_from_torch
from not_on_device import LAYERS_NOT_YET, run_check

import nerve


def _first(y):
    return y[0] if isinstance(y, tuple) else y


def _run(module, x, device, train):
    module.train(train)
    xt = nerve.tensor(x, device=device, requires_grad=True)
    y = _first(module(xt))
    dy = np.random.default_rng(1).standard_normal(tuple(y.shape)).astype(np.float32)
    y.backward(nerve.tensor(dy, device=device))
    grads = {n: p.grad.cpu().numpy() for n, p in module.named_parameters()}
    return y.detach().cpu().numpy(), xt.grad.cpu().numpy(), grads


def check_twin_on_device(twin, device="cuda"):
    module, tmodule = twin.make()
    load_from_torch(module, tmodule)
    x = np.random.default_rng(0).standard_normal(twin.x).astype(np.float32)
    dev_module = copy.deepcopy(module).to(device)
    assert all(p.is_cuda for p in dev_module.parameters())
    y, dx, grads = _run(module, x, "cpu", twin.train)
    dy, ddx, dgrads = _run(dev_module, x, device, twin.train)
    np.testing.assert_allclose(dy, y, rtol=twin.rtol, atol=twin.atol, err_msg=f"{twin}: output")
    np.testing.assert_allclose(ddx, dx, rtol=twin.rtol, atol=twin.atol, err_msg=f"{twin}: dx")
    for name, g in grads.items():
        np.testing.assert_allclose(
            dgrads[name], g, rtol=twin.rtol, atol=twin.atol, err_msg=f"{twin}: grad of {name}"
        )


def _params():
    for key, twin in sorted(TWINS.items()):
        marks = (
            [pytest.mark.xfail(strict=True, reason="layer's ops not on the device yet")]
            if key in LAYERS_NOT_YET
            else []
        )
        yield pytest.param(key, twin, id=key, marks=marks)


@pytest.mark.parametrize(("key", "twin"), list(_params()))
def test_twin_on_device(key, twin):
    run_check(key in LAYERS_NOT_YET, check_twin_on_device, twin)


# the recurrent layers return (output, state), which twin_check does not take; their
# torch twins are checked in tests/nn/test_rnn.py
RECURRENT = ("::RNN", "::LSTM", "::GRU")


@pytest.mark.parametrize(
    "key", sorted(k for k in TWINS if "tests/devices/" in k and not k.endswith(RECURRENT))
)
def test_twin_on_cpu_against_torch(key):
    nerve.backend.use_strict_device(None)
    TWINS[key].check()


def test_every_twin_has_a_device_run():
    assert len(TWINS) >= 20
    stale = sorted(LAYERS_NOT_YET - set(TWINS))
    assert not stale, f"not_on_device.py names twins that do not exist: {stale}"
