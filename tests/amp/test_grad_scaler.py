"""GradScaler against torch.amp.GradScaler("cpu"), which runs the full algorithm on CPU:
the same steps, scales, skipped steps and state_dicts, then the disabled pass-through."""

import numpy as np
import pytest

import nerve

torch = pytest.importorskip("torch")


def _run(lib, losses, **kwargs):
    """SGD on w with loss = c·Σw per step (c = inf makes the gradients overflow)."""
    w = lib.nn.Parameter(lib.tensor([1.0, -2.0, 0.5]))
    opt = lib.optim.SGD([w], lr=0.1)
    scaler = lib.amp.GradScaler("cpu", **kwargs)
    trace = []
    for c in losses:
        opt.zero_grad()
        scaler.scale((w * c).sum()).backward()
        if len(trace) % 2:
            scaler.unscale_(opt)
        scaler.step(opt)
        scaler.update()
        trace.append((scaler.get_scale(), w.detach().numpy().copy()))
    return trace, scaler.state_dict()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf·0 in the overflowing steps
def test_full_algorithm_matches_torch():
    losses = [1.0, 2.0, float("inf"), 3.0, 0.5, float("nan"), 1.0, 1.0, 1.0]
    kw = dict(init_scale=8.0, growth_interval=2, growth_factor=4.0, backoff_factor=0.25)
    ours, our_state = _run(nerve, losses, **kw)
    theirs, their_state = _run(torch, losses, **kw)
    for (s1, w1), (s2, w2) in zip(ours, theirs):
        assert s1 == s2
        np.testing.assert_allclose(w1, w2, rtol=1e-6)
    assert our_state == their_state
    assert ours[2][0] == 8.0 * 4.0 * 0.25  # grew after two clean steps, backed off on inf


def test_errors_like_torch():
    for lib in (torch, nerve):
        w = lib.nn.Parameter(lib.ones(2))
        opt = lib.optim.SGD([w], lr=0.1)
        scaler = lib.amp.GradScaler("cpu", init_scale=4.0)
        with pytest.raises(AssertionError, match="_scale is None"):
            scaler.update()
        loss = scaler.scale((w * 2).sum())
        assert loss.item() == 16.0
        with pytest.raises(AssertionError, match="No inf checks"):
            scaler.update()
        loss.backward()
        assert w.grad.tolist() == [8.0, 8.0]
        scaler.unscale_(opt)
        assert w.grad.tolist() == [2.0, 2.0]
        with pytest.raises(RuntimeError, match="already been called on this optimizer"):
            scaler.unscale_(opt)
        with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
            scaler.step(opt, closure=lambda: 0)
        scaler.step(opt)
        with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
            scaler.step(opt)
        with pytest.raises(RuntimeError, match="unscale_\\(\\) is being called after step"):
            scaler.unscale_(opt)
        scaler.update(16.0)
        assert scaler.get_scale() == 16.0
        with pytest.raises(ValueError, match="must be a Tensor or an iterable"):
            scaler.scale(2.0)
        out = scaler.scale([lib.tensor(1.0), (lib.tensor(2.0),)])
        assert isinstance(out, list) and isinstance(out[1], tuple) and out[1][0].item() == 32.0
        with pytest.raises(RuntimeError, match="source state dict is empty"):
            scaler.load_state_dict({})


def test_state_dict_round_trip():
    a = nerve.amp.GradScaler("cpu", init_scale=32.0, growth_interval=7)
    b = nerve.amp.GradScaler("cpu")
    b.load_state_dict(a.state_dict())
    assert (
        b.state_dict()
        == a.state_dict()
        == torch.amp.GradScaler("cpu", init_scale=32.0, growth_interval=7).state_dict()
    )


def test_disabled_is_a_pass_through():
    for lib in (torch, nerve):
        w = lib.nn.Parameter(lib.ones(2))
        opt = lib.optim.SGD([w], lr=0.5)
        scaler = lib.amp.GradScaler("cpu", enabled=False)
        x = lib.tensor([3.0])
        assert scaler.scale(x) is x
        scaler.scale((w * 2).sum()).backward()
        scaler.unscale_(opt)
        assert scaler.step(opt) is None and w.tolist() == [0.0, 0.0]
        scaler.update()
        assert scaler.get_scale() == 1.0 and scaler.state_dict() == {}
        scaler.load_state_dict({})
        assert not scaler.is_enabled()
    with pytest.warns(UserWarning, match="CUDA is not available"):
        assert not nerve.amp.GradScaler().is_enabled()
