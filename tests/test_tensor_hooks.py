"""Tensor hooks, retain_grad and post-accumulate-grad hooks against torch."""

import numpy as np
import pytest
import torch

import nerve

LIBS = (nerve, torch)


def run_both(fn):
    got = [fn(lib) for lib in LIBS]
    return got[0], got[1]


def arr(x):
    return None if x is None else np.array(x.detach().numpy())  # a copy: torch adds in place


def test_leaf_hook_runs_once_on_the_summed_gradient_and_may_replace_it():
    def run(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        calls = []
        h = x.register_hook(lambda g: calls.append(arr(g)) or g * 2)
        (x * 2 + x * 3).sum().backward()
        first = arr(x.grad)
        h.remove()
        (x * 2).sum().backward()
        return calls, first, arr(x.grad)

    n, t = run_both(run)
    assert len(n[0]) == len(t[0]) == 1
    for a, b in zip(n[0] + [n[1], n[2]], t[0] + [t[1], t[2]]):
        np.testing.assert_allclose(a, b)


def test_hooks_chain_in_order_and_accumulate_onto_existing_grad():
    def run(lib):
        x = lib.tensor([1.0, -1.0], requires_grad=True)
        (x * 4).sum().backward()
        x.register_hook(lambda g: g + 1)
        x.register_hook(lambda g: g * 10)
        (x * x).sum().backward()
        return arr(x.grad)

    n, t = run_both(run)
    np.testing.assert_allclose(n, t)


def test_non_leaf_hook_and_retain_grad_runs_last():
    def run(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        z = x * 2
        z.register_hook(lambda g: g * 10)
        z.retain_grad()
        z.register_hook(lambda g: g + 1)
        flags = (z.retains_grad, x.retains_grad, z.is_leaf)
        (z * z).sum().backward()
        return flags, arr(z.grad), arr(x.grad)

    n, t = run_both(run)
    assert n[0] == t[0] == (True, False, False)
    np.testing.assert_allclose(n[1], t[1])
    np.testing.assert_allclose(n[2], t[2])


def test_retained_grad_accumulates_and_root_hook():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        z = x * 2
        z.retain_grad()
        y = z * 3
        seen = []
        y.register_hook(lambda g: seen.append(arr(g)))
        y.sum().backward(retain_graph=True)
        y.sum().backward()
        return arr(z.grad), seen, arr(x.grad)

    n, t = run_both(run)
    np.testing.assert_allclose(n[0], t[0])
    assert len(n[1]) == len(t[1]) == 2
    np.testing.assert_allclose(n[2], t[2])


def test_hook_on_one_output_of_a_multi_output_node():
    def run(lib):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        a, b = x.unbind(0)
        b.register_hook(lambda g: g * -1)
        (a * 2 + b * 5).sum().backward()
        return arr(x.grad)

    n, t = run_both(run)
    np.testing.assert_allclose(n, t)


def test_post_accumulate_grad_hook():
    def run(lib):
        p = lib.tensor([1.0, 2.0], requires_grad=True)
        seen = []
        h = p.register_post_accumulate_grad_hook(lambda t: seen.append(arr(t.grad)))
        (p * 2 + p * 3).sum().backward()
        lib.autograd.grad((p * 2).sum(), p)  # accumulates nothing: no call
        h.remove()
        (p * 2).sum().backward()
        return seen, arr(p.grad)

    n, t = run_both(run)
    assert len(n[0]) == len(t[0]) == 1
    np.testing.assert_allclose(n[0][0], t[0][0])
    np.testing.assert_allclose(n[1], t[1])


def test_post_accumulate_hook_can_step_and_clear_like_an_optimizer():
    def run(lib):
        w = lib.tensor([1.0, -2.0], requires_grad=True)

        def step(p):
            with lib.no_grad():
                p.sub_(0.1 * p.grad)
            p.grad = None

        w.register_post_accumulate_grad_hook(step)
        for _ in range(3):
            (w * w).sum().backward()
        return arr(w), w.grad

    n, t = run_both(run)
    np.testing.assert_allclose(n[0], t[0], rtol=1e-6)
    assert n[1] is None and t[1] is None


def test_hook_errors_match_torch():
    for lib in LIBS:
        with pytest.raises(RuntimeError, match="doesn't require gradient"):
            lib.tensor([1.0]).register_hook(lambda g: g)
        p = lib.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="cannot be registered on non-leaf"):
            (p * 2).register_post_accumulate_grad_hook(lambda t: None)
        with pytest.raises(RuntimeError, match="doesn't require gradient"):
            lib.tensor([1.0]).register_post_accumulate_grad_hook(lambda t: None)
        with pytest.raises(RuntimeError, match="requires_grad=False"):
            lib.tensor([1.0]).retain_grad()
        q = lib.tensor([1.0, 2.0], requires_grad=True)
        q.register_hook(lambda g: g.sum())
        with pytest.raises(RuntimeError, match="has changed the size of value"):
            (q * 2).sum().backward()


def test_handle_as_context_manager():
    x = nerve.tensor([1.0], requires_grad=True)
    with x.register_hook(lambda g: g * 0):
        (x * 3).sum().backward()
    assert x.grad.item() == 0.0
    (x * 3).sum().backward()
    assert x.grad.item() == 3.0


# ----- top-level names ------------------------------------------------------------------
def test_dtype_type_asarray_empty_strided_typename():
    assert isinstance(nerve.float32, nerve.dtype)
    assert isinstance(nerve.ones(1, dtype=nerve.int64).dtype, nerve.dtype)
    a = np.arange(3.0)
    for lib in LIBS:
        t = lib.asarray(a)
        assert str(t.dtype).endswith("float64")
        assert lib.asarray([1, 2]).dtype == lib.int64
        assert lib.asarray(1.5).dtype == lib.float32
        x = lib.ones(2)
        assert lib.asarray(x) is x
        r = lib.asarray(x, requires_grad=True)
        assert r is x and x.requires_grad
        with pytest.raises(ValueError, match="can't alias"):
            lib.asarray(lib.ones(2), dtype=lib.float64, copy=False)
        e = lib.empty_strided((2, 3), (1, 2))
        assert tuple(e.shape) == (2, 3) and e.stride() == (1, 2) and e.dtype == lib.float32
    assert np.shares_memory(nerve.asarray(a).numpy(), a)
    assert not np.shares_memory(nerve.asarray(a, copy=True).numpy(), a)
    assert nerve.typename(nerve.ones(2)) == "nerve.FloatTensor"
    assert nerve.typename(nerve.ones(2, dtype=nerve.float64)) == "nerve.DoubleTensor"
    assert nerve.typename(3) == torch.typename(3) == "int"
    assert nerve.typename(nerve.nn.Linear(2, 2)) == "nerve.nn.linear.Linear"


def test_inference_mode():
    for lib in LIBS:
        x = lib.ones(2, requires_grad=True)
        with lib.inference_mode():
            assert lib.is_inference_mode_enabled() and not lib.is_grad_enabled()
            assert not (x * 2).requires_grad
        with lib.inference_mode(mode=False):
            assert not lib.is_inference_mode_enabled() and lib.is_grad_enabled()
        assert not lib.is_inference_mode_enabled()

        @lib.inference_mode()
        def f(v):
            return v * 2

        @lib.inference_mode
        def g(v):
            return v * 2

        assert not f(x).requires_grad and not g(x).requires_grad
        assert lib.autograd.inference_mode is lib.inference_mode


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_detect_anomaly_raises_in_backward_only():
    for lib in LIBS:
        x = lib.tensor([4.0, 0.0], requires_grad=True)
        with lib.autograd.detect_anomaly():
            y = lib.tensor([float("nan")]) * 2  # a NaN in forward is no error
            assert y.isnan().all()
            with pytest.raises(RuntimeError, match="nan"):
                (x.sqrt() * 0).sum().backward()  # 0 * inf = nan in SqrtBackward
        lib.autograd.set_detect_anomaly(True)
        assert lib.is_anomaly_enabled()
        lib.autograd.set_detect_anomaly(False)
        assert not lib.is_anomaly_enabled()
        with lib.autograd.set_detect_anomaly(True):
            assert lib.is_anomaly_enabled()
        assert not lib.is_anomaly_enabled()
