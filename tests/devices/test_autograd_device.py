"""autograd.grad and nerve.autograd.functional on "cuda" (the strict stand-in in CI):
the default grad_outputs, unused inputs, batched grads, jacobian/hessian/hvp are made on
the outputs' device and give the CPU's numbers."""

import numpy as np
import pytest

import nerve
from nerve.autograd import functional as AF


def _f(x):
    return (x.sin() * x).sum()


@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_grad_defaults_and_unused_inputs_on_the_device(device):
    x = nerve.tensor([0.5, -1.0, 2.0], dtype=nerve.float64, device=device, requires_grad=True)
    u = nerve.zeros(2, dtype=nerve.float64, device=device, requires_grad=True)
    (g, gu) = nerve.autograd.grad(_f(x), (x, u), allow_unused=True, materialize_grads=True)
    assert g.device == x.device and gu.device == u.device
    xs = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(g.cpu().numpy(), np.sin(xs) + xs * np.cos(xs))
    np.testing.assert_array_equal(gu.cpu().numpy(), 0)
    y = x * 2
    (b,) = nerve.autograd.grad(
        y, x, nerve.eye(3, dtype=nerve.float64, device=device), is_grads_batched=True
    )
    np.testing.assert_allclose(b.cpu().numpy(), 2 * np.eye(3))


def test_functional_transforms_on_cuda_give_the_cpu_numbers():
    xs = np.array([0.3, -0.7, 1.1])
    got = {}
    for device in ("cpu", "cuda"):
        x = nerve.tensor(xs, device=device)
        v = nerve.tensor([1.0, 0.5, -2.0], dtype=nerve.float64, device=device)
        got[device] = [
            AF.jacobian(lambda t: t.sin() * t, x),
            AF.hessian(_f, x),
            AF.hvp(_f, x, v)[1],
            AF.vjp(_f, x)[1],
            AF.jvp(_f, x, v)[1],
        ]
    for a, b in zip(got["cpu"], got["cuda"]):
        assert b.device.type == "cuda"
        np.testing.assert_allclose(b.cpu().numpy(), a.numpy(), rtol=1e-12)


class _TwoOut(nerve.autograd.Function):
    """y1 = 2x, y2 = x²; backward sees a zero tensor for an unused output (materialised)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * 2, x * x

    @staticmethod
    def backward(ctx, g1, g2):
        (x,) = ctx.saved_tensors
        assert g2.device == x.device  # the materialised zeros are on the output's device
        return g1 * 2 + g2 * 2 * x


@pytest.mark.parametrize("create_graph", [False, True])
def test_custom_function_materialises_missing_grads_on_the_device(create_graph):
    x = nerve.tensor([1.0, -2.0, 3.0], device="cuda", requires_grad=True)
    y1, _ = _TwoOut.apply(x)
    (g,) = nerve.autograd.grad(y1.sum(), x, create_graph=create_graph)
    assert g.device == x.device
    np.testing.assert_allclose(g.detach().cpu().numpy(), [2.0, 2.0, 2.0])
