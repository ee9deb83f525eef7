import numpy as np
import pytest
import torch
from opcheck import Case, table_tests

import nerve

WIDE = np.array([[-30.0, -2.0, -0.1, 0.3, 4.0, 25.0]])  # saturating ends included
NONZERO = np.array([[-1.5, -0.2, 0.4], [2.0, -0.7, 0.9]])  # ReLU: no kink at 0

CASES = [
    Case("Tanh", nerve.tanh, torch.tanh, [(3, 4)]),
    Case("Tanh/method_wide", lambda x: x.tanh(), lambda x: x.tanh(), [WIDE]),
    Case("Tanh/0d", nerve.tanh, torch.tanh, [()]),
    Case("Sigmoid", nerve.sigmoid, torch.sigmoid, [(3, 4)]),
    Case("Sigmoid/wide", lambda x: x.sigmoid(), lambda x: x.sigmoid(), [WIDE]),
    Case("Sigmoid/noncontig", lambda x: nerve.sigmoid(x.T), lambda x: torch.sigmoid(x.T), [(3, 2)]),
    Case("ReLU", nerve.relu, torch.relu, [NONZERO]),
    Case("ReLU/method_batch1", lambda x: x.relu(), lambda x: x.relu(), [NONZERO[:1]]),
    Case("Softmax/last", lambda x: nerve.softmax(x, -1), lambda x: torch.softmax(x, -1), [(3, 4)]),
    Case("Softmax/dim0", lambda x: x.softmax(0), lambda x: x.softmax(0), [(3, 4)]),
    Case(
        "Softmax/3d_mid", lambda x: nerve.softmax(x, 1), lambda x: torch.softmax(x, 1), [(2, 3, 4)]
    ),
    Case(
        "Softmax/wide",
        lambda x: nerve.softmax(x * 40, 1),
        lambda x: torch.softmax(x * 40, 1),
        [WIDE],
        gradcheck=False,
    ),
    Case("Softmax/size1", lambda x: nerve.softmax(x, 1), lambda x: torch.softmax(x, 1), [(3, 1)]),
    Case(
        "LogSoftmax/last",
        lambda x: nerve.log_softmax(x, -1),
        lambda x: torch.log_softmax(x, -1),
        [(3, 4)],
    ),
    Case("LogSoftmax/dim0", lambda x: x.log_softmax(0), lambda x: x.log_softmax(0), [(2, 3, 2)]),
    Case(
        "LogSoftmax/wide",
        lambda x: nerve.log_softmax(x * 40, 1),
        lambda x: torch.log_softmax(x * 40, 1),
        [WIDE],
        atol=1e-3,
    ),
]


table_tests(CASES)


@pytest.mark.parametrize("shape", [(4,), (2, 3), (2, 3, 4), (2, 3, 4, 5)])
def test_softmax_dim_none_follows_torch_legacy_rule(shape):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    with pytest.warns(UserWarning):
        expected = torch.nn.functional.softmax(torch.tensor(x), dim=None).numpy()
    np.testing.assert_allclose(nerve.softmax(nerve.tensor(x)).numpy(), expected, rtol=1e-6)
    with pytest.warns(UserWarning):
        expected = torch.nn.functional.log_softmax(torch.tensor(x), dim=None).numpy()
    np.testing.assert_allclose(
        nerve.log_softmax(nerve.tensor(x)).numpy(), expected, rtol=1e-5, atol=1e-6
    )


def test_activations_stay_finite_for_huge_inputs():
    x = nerve.tensor([-1e4, -50.0, 0.0, 50.0, 1e4], requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = nerve.sigmoid(x)
        s = nerve.softmax(x, 0)
        ls = nerve.log_softmax(x, 0)
    assert y.tolist()[0] == 0.0 and y.tolist()[-1] == 1.0
    assert np.isfinite(s.detach().numpy()).all() and np.isfinite(ls.detach().numpy()).all()
    (y.sum() + ls[-1]).backward()
    assert np.isfinite(x.grad.numpy()).all()


def test_softmax_dim_out_of_range_raises_index_error():
    with pytest.raises(IndexError, match="out of range"):
        nerve.softmax(nerve.ones(2, 3), 2)


def test_relu_gradient_is_zero_at_zero_like_torch():
    x = nerve.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    t = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    nerve.relu(x).sum().backward()
    torch.relu(t).sum().backward()
    assert x.grad.tolist() == t.grad.tolist()


def test_float64_in_float64_out():
    x = nerve.ones(2, dtype=nerve.float64)
    for fn in (nerve.tanh, nerve.sigmoid, nerve.relu, lambda v: nerve.softmax(v, 0)):
        assert fn(x).dtype == nerve.float64


def test_tanh_sigmoid_of_ints_give_float32_like_torch():
    for fn in ("tanh", "sigmoid", "relu"):
        ours = getattr(nerve, fn)(nerve.tensor([1, -2]))
        theirs = getattr(torch, fn)(torch.tensor([1, -2]))
        assert ours.dtype == theirs.numpy().dtype
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
