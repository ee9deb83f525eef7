"""Mixed precision on "cuda": autocast runs the matrix products in float16 there, and
GradScaler scales, unscales, skips steps with inf/NaN and updates the scale as torch's
(torch's CPU GradScaler is the oracle for the scale trajectory)."""

import warnings

import numpy as np
import pytest
import torch

import nerve


def test_autocast_runs_matmul_in_float16_on_cuda():
    a = nerve.randn(3, 4, device="cuda", requires_grad=True)
    b = nerve.randn(4, 2, device="cuda")
    lin = nerve.nn.Linear(4, 2, device="cuda")
    with nerve.amp.autocast("cuda"):
        assert nerve.amp.is_autocast_enabled("cuda")
        y, z = a @ b, lin(a)
        s = a.sum()  # not a matrix product: keeps float32
    assert y.dtype == z.dtype == nerve.float16 and s.dtype == nerve.float32 and y.is_cuda
    assert (a @ b).dtype == nerve.float32  # off again outside the region
    np.testing.assert_allclose(
        y.detach().float().cpu().numpy(), (a @ b).detach().cpu().numpy(), rtol=2e-3, atol=2e-3
    )
    y.float().sum().backward()
    assert a.grad.dtype == nerve.float32  # gradients in the leaf's dtype
    with nerve.amp.autocast("cuda", enabled=False):
        assert (a @ b).dtype == nerve.float32
    with (
        pytest.warns(UserWarning, match="float16 only"),
        nerve.amp.autocast("cuda", dtype=nerve.float64),
    ):
        assert (a @ b).dtype == nerve.float32


def _scaler_run(lib, device, grads):
    """One parameter stepped by SGD through a GradScaler fed the given gradients."""
    if lib is torch:
        p = torch.nn.Parameter(torch.ones(2))
        opt, scaler = (
            torch.optim.SGD([p], lr=0.5),
            torch.amp.GradScaler("cpu", init_scale=4.0, growth_interval=2),
        )
    else:
        p = nerve.nn.Parameter(nerve.ones(2, device=device))
        opt, scaler = (
            nerve.optim.SGD([p], lr=0.5),
            nerve.amp.GradScaler(device, init_scale=4.0, growth_interval=2),
        )
    scales, values = [], []
    for g in grads:
        opt.zero_grad()
        loss = (p * lib.tensor(g, dtype=lib.float32, device=device)).sum()
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        scales.append(float(scaler.get_scale()))
        values.append(p.detach().cpu().numpy().copy())
    return scales, values


def test_grad_scaler_on_cuda_matches_torch():
    grads = [
        [1.0, 2.0],
        [float("inf"), 1.0],
        [0.5, 0.5],
        [1.0, 1.0],
        [float("nan"), 0.0],
        [2.0, 1.0],
    ]
    ts, tv = _scaler_run(torch, "cpu", grads)
    ns, nv = _scaler_run(nerve, "cuda", grads)
    assert ns == ts
    np.testing.assert_allclose(np.array(nv), np.array(tv), rtol=1e-6)


def test_disabled_scaler_passes_through():
    p = nerve.nn.Parameter(nerve.ones(2, device="cuda"))
    opt = nerve.optim.SGD([p], lr=0.5)
    scaler = nerve.amp.GradScaler("cuda", enabled=False)
    loss = p.sum()
    assert scaler.scale(loss) is loss and not scaler.is_enabled()
    loss.backward()
    scaler.step(opt)
    scaler.update()
    np.testing.assert_array_equal(p.detach().cpu().numpy(), [0.5, 0.5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # enabled on a device: no "disabling" warning
        assert nerve.amp.GradScaler("cuda").is_enabled()
        assert nerve.cuda.amp.GradScaler is not None
