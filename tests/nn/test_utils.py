"""nn.utils: gradient clipping, parameter vectors and pruning, against torch.nn.utils."""

import math

import numpy as np
import pytest
import torch
import torch.nn.utils.prune

import nerve
import nerve.nn as nn
from nerve.nn.utils import prune


def _pair(seed=0, scale=10.0):
    """The same two-layer net in both frameworks with the same (large) gradients."""
    t = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    m = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 2))
    m.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    x = np.random.default_rng(seed).standard_normal((3, 4)).astype(np.float32) * scale
    (t(torch.from_numpy(x)) ** 2).sum().backward()
    (m(nerve.tensor(x)) ** 2).sum().backward()
    return m, t


def _assert_grads_equal(m, t):
    for p, tp in zip(m.parameters(), t.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.0, math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    m, t = _pair()
    nt = float(norm_type)
    total = nn.utils.clip_grad_norm_(m.parameters(), max_norm, norm_type=nt)
    ttotal = torch.nn.utils.clip_grad_norm_(t.parameters(), max_norm, norm_type=nt)
    assert isinstance(total, nerve.Tensor) and total.shape == () and total.dtype == nerve.float32
    assert float(total) == pytest.approx(float(ttotal), rel=1e-5)
    _assert_grads_equal(m, t)


def test_clip_grad_norm_single_tensor_no_grads_and_nonfinite():
    p = nn.Parameter(nerve.ones(3))
    assert float(nn.utils.clip_grad_norm_(p, 1.0)) == 0.0
    p.grad = nerve.tensor([3.0, 4.0, 0.0])
    assert float(nn.utils.clip_grad_norm_(p, 1.0)) == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8, 0.0], rtol=1e-5)
    p.grad = nerve.tensor([np.inf, 1.0, 0.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)


def test_clip_grad_value_matches_torch():
    m, t = _pair()
    assert nn.utils.clip_grad_value_(m.parameters(), 0.7) is None
    torch.nn.utils.clip_grad_value_(t.parameters(), 0.7)
    _assert_grads_equal(m, t)
    assert max(np.abs(p.grad.numpy()).max() for p in m.parameters()) <= 0.7


def test_parameters_to_vector_and_back():
    m, t = _pair()
    v = nn.utils.parameters_to_vector(m.parameters())
    tv = torch.nn.utils.parameters_to_vector(t.parameters())
    np.testing.assert_allclose(v.detach().numpy(), tv.detach().numpy())
    new = nerve.arange(v.numel(), dtype=nerve.float32)
    nn.utils.vector_to_parameters(new, m.parameters())
    np.testing.assert_array_equal(m[0].weight.detach().numpy().reshape(-1), np.arange(20))
    np.testing.assert_array_equal(m[2].bias.detach().numpy(), [35, 36])
    with pytest.raises(TypeError, match="expected nerve.Tensor"):
        nn.utils.vector_to_parameters(np.zeros(37), m.parameters())
    with pytest.raises(RuntimeError, match="37"):
        nn.utils.vector_to_parameters(nerve.zeros(3), m.parameters())


def _torch_linear_copy(m):
    t = torch.nn.Linear(m.in_features, m.out_features)
    with torch.no_grad():
        t.weight.copy_(torch.from_numpy(m.weight.detach().numpy()))
        t.bias.copy_(torch.from_numpy(m.bias.detach().numpy()))
    return t


@pytest.mark.parametrize("amount", [0.3, 5, 0.0, 1.0])
def test_l1_unstructured_matches_torch(amount):
    m = nn.Linear(4, 5)
    t = _torch_linear_copy(m)
    prune.l1_unstructured(m, "weight", amount)
    torch.nn.utils.prune.l1_unstructured(t, "weight", amount)
    np.testing.assert_array_equal(m.weight_mask.numpy(), t.weight_mask.numpy())
    np.testing.assert_allclose(m.weight.detach().numpy(), t.weight.detach().numpy())
    assert list(m.state_dict()) == list(t.state_dict()) == ["bias", "weight_orig", "weight_mask"]
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight_orig"]
    assert prune.is_pruned(m)


def test_pruned_weights_stay_zero_through_training():
    m = nn.Linear(6, 3)
    prune.l1_unstructured(m, "weight", amount=0.5)
    mask = m.weight_mask.numpy().copy()
    assert (mask == 0).sum() == 9
    x = nerve.randn(8, 6)
    for _ in range(3):
        m.zero_grad()
        (m(x) ** 2).sum().backward()
        assert not m.weight_orig.grad.numpy()[mask == 0].any()  # masked gradient
        with nerve.no_grad():
            m.weight_orig.sub_(m.weight_orig.grad * 0.1)
            m.weight_orig.add_(nerve.tensor(1.0 - mask))  # even if orig changes there...
    m(x)
    assert not m.weight.detach().numpy()[mask == 0].any()  # ...the used weight stays zero


def test_iterative_pruning_acts_on_remaining_like_torch():
    m = nn.Linear(5, 4)
    t = _torch_linear_copy(m)
    for amount in (0.5, 0.5):
        prune.l1_unstructured(m, "weight", amount)
        torch.nn.utils.prune.l1_unstructured(t, "weight", amount)
    np.testing.assert_array_equal(m.weight_mask.numpy(), t.weight_mask.numpy())
    assert (m.weight_mask.numpy() == 0).sum() == 15


def test_remove_makes_it_permanent():
    m = nn.Linear(4, 4)
    prune.l1_unstructured(m, "weight", 0.25)
    pruned = m.weight.detach().numpy().copy()
    prune.remove(m, "weight")
    assert isinstance(m.weight, nn.Parameter) and not prune.is_pruned(m)
    assert sorted(m.state_dict()) == ["bias", "weight"]
    np.testing.assert_array_equal(m.weight.detach().numpy(), pruned)
    with pytest.raises(ValueError, match="has to be pruned"):
        prune.remove(m, "weight")


def test_amount_validation_like_torch():
    for bad, err in [(-1, ValueError), (1.5, ValueError), (100, ValueError), ("a", TypeError)]:
        with pytest.raises(err):
            torch.nn.utils.prune.l1_unstructured(torch.nn.Linear(3, 3), "weight", bad)
        with pytest.raises(err):
            prune.l1_unstructured(nn.Linear(3, 3), "weight", bad)


def test_global_unstructured_matches_torch():
    ms = [nn.Linear(4, 3), nn.Linear(3, 2)]
    ts = [_torch_linear_copy(m) for m in ms]
    prune.global_unstructured([(m, "weight") for m in ms], prune.L1Unstructured, amount=0.4)
    torch.nn.utils.prune.global_unstructured(
        [(t, "weight") for t in ts], torch.nn.utils.prune.L1Unstructured, amount=0.4
    )
    for m, t in zip(ms, ts):
        np.testing.assert_array_equal(m.weight_mask.numpy(), t.weight_mask.numpy())
    assert sum((m.weight_mask.numpy() == 0).sum() for m in ms) == round(0.4 * 18)


def test_random_unstructured_count():
    m = nn.Linear(10, 10)
    prune.random_unstructured(m, "bias", amount=3)
    assert (m.bias_mask.numpy() == 0).sum() == 3 and "bias_orig" in m.state_dict()


@pytest.mark.parametrize(
    "amount,n,dim", [(0.5, 2, 0), (2, 1, 1), (0.34, float("inf"), -1), (0.0, 2, 0), (1.0, 1, 0)]
)
def test_ln_structured_matches_torch(amount, n, dim):
    m = nn.Linear(6, 5)
    t = _torch_linear_copy(m)
    prune.ln_structured(m, "weight", amount, n=n, dim=dim)
    torch.nn.utils.prune.ln_structured(t, "weight", amount, n=n, dim=dim)
    np.testing.assert_array_equal(m.weight_mask.numpy(), t.weight_mask.numpy())
    np.testing.assert_allclose(m.weight.detach().numpy(), t.weight.detach().numpy())


def test_ln_structured_twice_acts_on_remaining_units_like_torch():
    m = nn.Linear(4, 8)
    t = _torch_linear_copy(m)
    for amount in (0.5, 0.5):
        prune.ln_structured(m, "weight", amount, n=2, dim=0)
        torch.nn.utils.prune.ln_structured(t, "weight", amount, n=2, dim=0)
    np.testing.assert_array_equal(m.weight_mask.numpy(), t.weight_mask.numpy())
    assert (m.weight_mask.numpy().sum(1) == 0).sum() == 6


def test_random_structured_prunes_whole_slices():
    m = nn.Linear(7, 6)
    prune.random_structured(m, "weight", amount=3, dim=1)
    cols = m.weight_mask.numpy().sum(0)
    assert sorted(set(cols.tolist())) == [0.0, 6.0] and (cols == 0).sum() == 3
    with pytest.raises(IndexError):
        prune.ln_structured(nn.Linear(3, 3), "weight", 1, n=2, dim=2)
