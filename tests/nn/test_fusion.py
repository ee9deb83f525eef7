"""Conv/Linear + eval-mode batch-norm fusion, skip_init and clip_grads_with_norm_, against
torch and against running the two layers one after the other."""

import numpy as np
import pytest
import torch

import nerve
import nerve.nn as nn
from tests.nn.layercheck import load_from_torch


def _trained_bn(bn, tbn, c):
    """Give both batch norms the same non-trivial statistics and affine parameters."""
    rng = np.random.default_rng(3)
    with torch.no_grad():
        tbn.running_mean.copy_(torch.tensor(rng.standard_normal(c), dtype=torch.float32))
        tbn.running_var.copy_(torch.tensor(rng.uniform(0.5, 2.0, c), dtype=torch.float32))
        if tbn.weight is not None:
            tbn.weight.copy_(torch.tensor(rng.standard_normal(c), dtype=torch.float32))
            tbn.bias.copy_(torch.tensor(rng.standard_normal(c), dtype=torch.float32))
    load_from_torch(bn, tbn)
    bn.eval()
    tbn.eval()


@pytest.mark.parametrize("bias,affine", [(True, True), (False, True), (True, False)])
def test_fuse_conv_bn_eval(bias, affine):
    conv, tconv = (
        nn.Conv2d(3, 4, 3, padding=1, bias=bias),
        torch.nn.Conv2d(3, 4, 3, padding=1, bias=bias),
    )
    load_from_torch(conv, tconv)
    bn, tbn = nn.BatchNorm2d(4, affine=affine), torch.nn.BatchNorm2d(4, affine=affine)
    _trained_bn(bn, tbn, 4)
    conv.eval()
    tconv.eval()
    fused = nn.utils.fuse_conv_bn_eval(conv, bn)
    tfused = torch.nn.utils.fuse_conv_bn_eval(tconv, tbn)
    assert fused is not conv and type(fused) is nn.Conv2d
    assert list(fused.state_dict()) == list(tfused.state_dict())
    for k, v in tfused.state_dict().items():
        np.testing.assert_allclose(
            fused.state_dict()[k].numpy(), v.numpy(), rtol=1e-5, atol=1e-6, err_msg=k
        )
    assert fused.bias.requires_grad == tfused.bias.requires_grad
    x = nerve.tensor(np.random.default_rng(0).standard_normal((2, 3, 6, 6)).astype(np.float32))
    with nerve.no_grad():
        np.testing.assert_allclose(fused(x).numpy(), bn(conv(x)).numpy(), rtol=1e-4, atol=1e-5)


def test_fuse_conv_transpose_bn_eval():
    conv, tconv = nn.ConvTranspose2d(3, 5, 3), torch.nn.ConvTranspose2d(3, 5, 3)
    load_from_torch(conv, tconv)
    bn, tbn = nn.BatchNorm2d(5), torch.nn.BatchNorm2d(5)
    _trained_bn(bn, tbn, 5)
    conv.eval()
    fused = nn.utils.fuse_conv_bn_eval(conv, bn, transpose=True)
    x = nerve.tensor(np.random.default_rng(0).standard_normal((2, 3, 4, 4)).astype(np.float32))
    with nerve.no_grad():
        np.testing.assert_allclose(fused(x).numpy(), bn(conv(x)).numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("bias,features", [(True, 4), (False, 4), (True, 1)])
def test_fuse_linear_bn_eval(bias, features):
    lin, tlin = nn.Linear(3, 4, bias=bias), torch.nn.Linear(3, 4, bias=bias)
    load_from_torch(lin, tlin)
    bn, tbn = nn.BatchNorm1d(features), torch.nn.BatchNorm1d(features)
    _trained_bn(bn, tbn, features)
    lin.eval()
    tlin.eval()
    fused = nn.utils.fuse_linear_bn_eval(lin, bn)
    tfused = torch.nn.utils.fuse_linear_bn_eval(tlin, tbn)
    for k, v in tfused.state_dict().items():
        np.testing.assert_allclose(
            fused.state_dict()[k].numpy(), v.numpy(), rtol=1e-5, atol=1e-6, err_msg=k
        )
    if features == 4:
        x = nerve.tensor(np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32))
        with nerve.no_grad():
            np.testing.assert_allclose(fused(x).numpy(), bn(lin(x)).numpy(), rtol=1e-4, atol=1e-5)


def test_fuse_weights_functions_and_eval_only():
    rng = np.random.default_rng(0)
    w, b = rng.standard_normal((4, 2, 3, 3)), rng.standard_normal(4)
    rm, rv, g, beta = (
        rng.standard_normal(4),
        rng.uniform(0.5, 2, 4),
        rng.standard_normal(4),
        rng.standard_normal(4),
    )
    fw, fb = nn.utils.fuse_conv_bn_weights(
        *(nerve.tensor(a) for a in (w, b, rm, rv)), 1e-5, nerve.tensor(g), nerve.tensor(beta)
    )
    tw, tb = torch.nn.utils.fuse_conv_bn_weights(
        *(torch.tensor(a) for a in (w, b, rm, rv)), 1e-5, torch.tensor(g), torch.tensor(beta)
    )
    assert isinstance(fw, nn.Parameter) and fw.dtype == nerve.float64
    np.testing.assert_allclose(fw.detach().numpy(), tw.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(fb.detach().numpy(), tb.detach().numpy(), rtol=1e-12)
    lw = rng.standard_normal((4, 3))
    fw, fb = nn.utils.fuse_linear_bn_weights(
        nerve.tensor(lw),
        None,
        *(nerve.tensor(a) for a in (rm, rv)),
        1e-5,
        nerve.tensor(g),
        nerve.tensor(beta),
    )
    tw, tb = torch.nn.utils.fuse_linear_bn_weights(
        torch.tensor(lw),
        None,
        *(torch.tensor(a) for a in (rm, rv)),
        1e-5,
        torch.tensor(g),
        torch.tensor(beta),
    )
    np.testing.assert_allclose(fw.detach().numpy(), tw.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(fb.detach().numpy(), tb.detach().numpy(), rtol=1e-12)
    assert fb.requires_grad == tb.requires_grad
    with pytest.raises(AssertionError, match="Fusion only for eval"):
        nn.utils.fuse_conv_bn_eval(nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4))


def test_skip_init():
    m = nn.utils.skip_init(nn.Linear, 5, 3, bias=True, dtype=nerve.float64)
    assert type(m) is nn.Linear and m.weight.shape == (3, 5) and m.weight.dtype == nerve.float64
    assert list(m.state_dict()) == ["weight", "bias"]
    assert nn.init.kaiming_uniform_ is not None
    w = nn.Linear(5, 3).weight.detach().numpy()  # initialisation works again afterwards
    assert np.abs(w).max() <= 1 / np.sqrt(5) and np.abs(w).max() > 0
    with pytest.raises(RuntimeError, match="Expected a Module"):
        nn.utils.skip_init(int)


def test_clip_grads_with_norm_and_get_total_norm():
    rng = np.random.default_rng(0)
    grads = [
        rng.standard_normal((3, 4)).astype(np.float32),
        rng.standard_normal(5).astype(np.float32),
    ]
    ps = [nn.Parameter(np.zeros_like(g)) for g in grads]
    tps = [torch.nn.Parameter(torch.zeros(g.shape)) for g in grads]
    for p, tp, g in zip(ps, tps, grads, strict=True):
        p.grad, tp.grad = nerve.tensor(g.copy()), torch.tensor(g.copy())
    total = nn.utils.get_total_norm([p.grad for p in ps])
    ttotal = torch.nn.utils.get_total_norm([p.grad for p in tps])
    np.testing.assert_allclose(total.numpy(), ttotal.numpy(), rtol=1e-6)
    nn.utils.clip_grads_with_norm_(ps, 1.0, total)
    torch.nn.utils.clip_grads_with_norm_(tps, 1.0, ttotal)
    for p, tp in zip(ps, tps, strict=True):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-6)
    nn.utils.clip_grads_with_norm_(ps, 100.0, total)  # never scales up
    for p, tp in zip(ps, tps, strict=True):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-6)
