"""The Optimizer base: parameter groups, zero_grad, step protocol, state_dict."""

import numpy as np
import pytest
import torch
from stepcheck import SHAPES, make_data, make_weights, mse_loss, nerve_params, torch_params

import nerve
from nerve import optim
from nerve.nn import Parameter

ALL = [
    (optim.SGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    (optim.Adam, torch.optim.Adam, {"lr": 0.01, "amsgrad": True}),
    (optim.AdamW, torch.optim.AdamW, {"lr": 0.01}),
    (optim.RMSprop, torch.optim.RMSprop, {"lr": 0.005, "momentum": 0.5, "centered": True}),
    (optim.Adagrad, torch.optim.Adagrad, {"lr": 0.05, "lr_decay": 0.01}),
]
IDS = [c[0].__name__ for c in ALL]


def _param(*values):
    return Parameter(nerve.tensor(list(values)))


def _train(opt, params, steps):
    x, y = make_data()
    x, y = nerve.tensor(x), nerve.tensor(y)
    for _ in range(steps):
        opt.zero_grad()
        mse_loss(params, x, y).backward()
        opt.step()


# ----- construction and param groups ---------------------------------------------------
def test_params_must_be_an_iterable_not_a_tensor():
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        optim.SGD(_param(1.0), lr=0.1)


def test_empty_and_set_params_are_rejected():
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.Adam([])
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {_param(1.0)}}])


def test_params_must_be_leaf_tensors():
    p = _param(1.0, 2.0)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([p * 2])
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        optim.SGD([p, 3.0])


def test_param_groups_fill_defaults_and_reject_overlap():
    a, b = _param(1.0), _param(2.0)
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert all(g["momentum"] == 0.9 for g in opt.param_groups)
    assert opt.param_groups[1]["params"][0] is b
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    c = _param(3.0)
    opt.add_param_group({"params": [c], "nesterov": True})
    assert opt.param_groups[2]["nesterov"] and opt.param_groups[2]["lr"] == 0.1


def test_named_parameters_record_param_names():
    p, q = _param(1.0), _param(2.0)
    opt = optim.Adam([("w", p), ("b", q)])
    assert opt.param_groups[0]["param_names"] == ["w", "b"]
    assert [id(x) for x in opt.param_groups[0]["params"]] == [id(p), id(q)]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]


@pytest.mark.parametrize("cls, tcls, kwargs", ALL, ids=IDS)
def test_repr_matches_torch(cls, tcls, kwargs):
    opt = cls([_param(1.0)], **kwargs)
    topt = tcls([torch.nn.Parameter(torch.ones(1))], **kwargs)
    assert repr(opt) == repr(topt)


# ----- zero_grad and step ----------------------------------------------------------------
def test_zero_grad_sets_to_none_or_zeros():
    p = _param(1.0, 2.0)
    opt = optim.SGD([p], lr=0.1)
    p.grad = nerve.tensor([3.0, 4.0])
    g = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is g and p.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None


@pytest.mark.parametrize("cls, tcls, kwargs", ALL, ids=IDS)
def test_step_updates_in_place_and_skips_params_without_grad(cls, tcls, kwargs):
    p, frozen = _param(1.0, -2.0), _param(5.0)
    opt = cls([p, frozen], **kwargs)
    arr = p._data
    p.grad = nerve.tensor([0.5, 0.25])
    assert opt.step() is None
    assert p._data is arr and isinstance(p.grad, nerve.Tensor)
    assert not np.allclose(p.detach().numpy(), [1.0, -2.0])
    assert frozen.item() == 5.0
    assert p.requires_grad and p.is_leaf and p.dtype == np.float32
    if cls is not optim.Adagrad:  # Adagrad makes its state at construction, as PyTorch
        assert frozen not in opt.state or len(opt.state[frozen]) == 0


@pytest.mark.parametrize("cls, tcls, kwargs", ALL, ids=IDS)
def test_step_with_closure_returns_its_loss(cls, tcls, kwargs):
    params = nerve_params(make_weights())
    x, y = (nerve.tensor(a) for a in make_data())
    opt = cls(params, **kwargs)
    seen = []

    def closure():
        opt.zero_grad()
        loss = mse_loss(params, x, y)
        assert nerve.is_grad_enabled()
        loss.backward()
        seen.append(loss.item())
        return loss

    with nerve.no_grad():
        loss = opt.step(closure)
    assert loss.item() == seen[0]
    assert opt.step(closure).item() < seen[0]


# ----- state_dict ----------------------------------------------------------------------
def _pair(cls, tcls, kwargs, steps):
    w = make_weights()
    ps, tps = nerve_params(w), torch_params(w)
    groups = [{"params": ps[:2]}, {"params": ps[2:], "lr": kwargs["lr"] / 2}]
    tgroups = [{"params": tps[:2]}, {"params": tps[2:], "lr": kwargs["lr"] / 2}]
    opt, topt = cls(groups, **kwargs), tcls(tgroups, **kwargs)
    _train(opt, ps, steps)
    x, y = (torch.tensor(a) for a in make_data())
    for _ in range(steps):
        topt.zero_grad()
        mse_loss(tps, x, y).backward()
        topt.step()
    return opt, ps, topt, tps


@pytest.mark.parametrize("cls, tcls, kwargs", ALL, ids=IDS)
def test_state_dict_has_torch_structure_and_values(cls, tcls, kwargs):
    opt, _, topt, _ = _pair(cls, tcls, kwargs, 3)
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert list(sd) == ["state", "param_groups"]
    assert sd["param_groups"] == tsd["param_groups"]
    assert sorted(sd["state"]) == sorted(tsd["state"]) == [0, 1, 2, 3]
    for i, tstate in tsd["state"].items():
        assert list(sd["state"][i]) == list(tstate)
        for key, value in tstate.items():
            got = sd["state"][i][key]
            assert isinstance(got, nerve.Tensor) and got.dtype == np.float32
            np.testing.assert_allclose(got.numpy(), value.numpy(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("cls, tcls, kwargs", ALL, ids=IDS)
def test_resuming_from_state_dict_continues_exactly(cls, tcls, kwargs):
    w = make_weights()
    straight = nerve_params(w)
    opt = cls(straight, **kwargs)
    _train(opt, straight, 25)

    first = nerve_params(w)
    opt1 = cls(first, **kwargs)
    _train(opt1, first, 10)
    resumed = [Parameter(nerve.tensor(p.detach().numpy().copy())) for p in first]
    opt2 = cls(resumed, lr=123.0)  # options come back from the state_dict
    opt2.load_state_dict(opt1.state_dict())
    assert opt2.param_groups[0]["lr"] == kwargs["lr"]
    _train(opt1, first, 5)  # must not touch the state opt2 loaded
    _train(opt2, resumed, 15)
    for name, a, b in zip(SHAPES, straight, resumed):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy(), err_msg=name)


@pytest.mark.parametrize("cls, tcls, kwargs", ALL, ids=IDS)
def test_load_torch_state_dict_as_arrays_then_continue_like_torch(cls, tcls, kwargs):
    opt, ps, topt, tps = _pair(cls, tcls, kwargs, 5)
    tsd = topt.state_dict()
    as_arrays = {
        "state": {i: {k: v.numpy().copy() for k, v in s.items()} for i, s in tsd["state"].items()},
        "param_groups": tsd["param_groups"],
    }
    fresh = [Parameter(nerve.tensor(tp.detach().numpy().copy())) for tp in tps]
    groups = [{"params": fresh[:2]}, {"params": fresh[2:]}]
    opt2 = cls(groups, **kwargs)
    opt2.load_state_dict(as_arrays)
    assert all(isinstance(v, nerve.Tensor) for s in opt2.state.values() for v in s.values())
    _train(opt2, fresh, 10)
    x, y = (torch.tensor(a) for a in make_data())
    for _ in range(10):
        topt.zero_grad()
        mse_loss(tps, x, y).backward()
        topt.step()
    for name, p, tp in zip(SHAPES, fresh, tps):
        np.testing.assert_allclose(
            p.detach().numpy(), tp.detach().numpy(), rtol=1e-5, atol=1e-6, err_msg=name
        )


def test_load_state_dict_copies_and_casts():
    p = Parameter(nerve.tensor([1.0, 2.0]))
    opt = optim.Adam([p])
    buf = np.array([0.5, 0.25])  # float64 state for a float32 parameter
    sd = {
        "state": {0: {"step": nerve.tensor(4.0), "exp_avg": buf, "exp_avg_sq": buf}},
        "param_groups": [dict(opt.state_dict()["param_groups"][0])],
    }
    opt.load_state_dict(sd)
    state = opt.state[p]
    assert state["exp_avg"].dtype == np.float32 and state["step"].item() == 4.0
    buf[0] = 99.0
    assert state["exp_avg"].tolist() == [0.5, 0.25]


def test_load_state_dict_rejects_mismatched_groups():
    a, b = _param(1.0), _param(2.0)
    sd = optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size"):
        optim.SGD([a], lr=0.1).load_state_dict(sd)


def test_state_dict_survives_a_checkpoint_file(tmp_path):
    w = make_weights()
    straight = nerve_params(w)
    _train(optim.Adam(straight, lr=0.01, amsgrad=True), straight, 12)
    first = nerve_params(w)
    opt = optim.Adam(first, lr=0.01, amsgrad=True)
    _train(opt, first, 5)
    nerve.save({"optimizer": opt.state_dict()}, tmp_path / "ck.nrv")
    resumed = [Parameter(nerve.tensor(p.detach().numpy().copy())) for p in first]
    opt2 = optim.Adam(resumed)
    opt2.load_state_dict(nerve.load(tmp_path / "ck.nrv")["optimizer"])
    _train(opt2, resumed, 7)
    for a, b in zip(straight, resumed):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


@pytest.mark.parametrize("cls, tcls, kwargs", ALL, ids=IDS)
def test_step_rejects_a_gradient_of_the_wrong_shape_or_type(cls, tcls, kwargs):
    p = _param(1.0, 2.0)
    opt = cls([p], **kwargs)
    p.grad = nerve.ones(3)
    with pytest.raises(RuntimeError, match=r"shape \(2,\) has a gradient of shape \(3,\)"):
        opt.step()
    p.grad = np.ones(2, np.float32)
    with pytest.raises(TypeError, match="must be a Tensor or None"):
        opt.step()
    assert p.tolist() == [1.0, 2.0]
