"""Version counters (nerve/autograd/versions.py) against PyTorch: ``_version``, ``_base``,
``_is_view()``, the counter a view shares with its base, and the error a backward raises
where a value a node needs was overwritten in place since it was recorded."""

import inspect

import numpy as np
import pytest
import torch

import nerve
import nerve.nn as nn
from nerve.autograd import gradcheck, versions
from nerve.ops.inplace import updates

A = np.random.default_rng(0).standard_normal((3, 4))


def _pair(a=A, requires_grad=False):
    return (
        nerve.tensor(a.copy(), requires_grad=requires_grad),
        torch.tensor(a.copy(), requires_grad=requires_grad),
    )


# ----- _version: 0 when made, +1 per in-place op ----------------------------------------
IN_PLACE = {
    "add_": lambda t, m: t.add_(1),
    "sub_": lambda t, m: t.sub_(t, alpha=0.5),
    "mul_": lambda t, m: t.mul_(2),
    "div_": lambda t, m: t.div_(3),
    "setitem": lambda t, m: t.__setitem__(0, 1.0),
    "setitem_slice": lambda t, m: t.__setitem__((slice(None), 1), m.zeros(3, dtype=t.dtype)),
    "iadd": lambda t, m: t.__iadd__(1),
    "imul": lambda t, m: t.__imul__(t),
    "copy_": lambda t, m: t.copy_(m.ones(4, dtype=t.dtype)),
    "zero_": lambda t, m: t.zero_(),
    "fill_": lambda t, m: t.fill_(2.0),
    "relu_": lambda t, m: t.relu_(),
    "exp_": lambda t, m: t.exp_(),
    "clamp_": lambda t, m: t.clamp_(min=0.0),
    "masked_fill_": lambda t, m: t.masked_fill_(t > 0, 0.0),
    "uniform_": lambda t, m: t.uniform_(),
    "normal_": lambda t, m: t.normal_(),
}


@pytest.mark.parametrize("op", list(IN_PLACE), ids=str)
def test_each_in_place_op_adds_one_to_the_version_like_torch(op):
    n, t = _pair()
    assert n._version == t._version == 0
    for k in (1, 2):
        IN_PLACE[op](n, nerve)
        IN_PLACE[op](t, torch)
        assert n._version == t._version == k


@pytest.mark.parametrize("op", ["add_", "mul_", "relu_", "setitem", "iadd"])
def test_in_place_ops_in_a_graph_and_under_no_grad_count_too(op):
    n, t = _pair(requires_grad=True)
    yn, yt = n * 2, t * 2
    IN_PLACE[op](yn, nerve)
    IN_PLACE[op](yt, torch)
    assert yn._version == yt._version == 1
    with nerve.no_grad(), torch.no_grad():
        IN_PLACE[op](n, nerve)
        IN_PLACE[op](t, torch)
    assert n._version == t._version == 1 and n.is_leaf


def test_ordinary_ops_give_fresh_tensors_at_version_zero():
    n, _ = _pair()
    n.add_(1)
    assert (n * 2)._version == n.clone()._version == (n + n)._version == 0


# ----- views share their base's counter ---------------------------------------------------
VIEWS = {
    "getitem": lambda a: a[0],
    "slice": lambda a: a[1:, ::2],
    "view": lambda a: a.view(-1),
    "view_as": lambda a: a.view_as(a.new_zeros(12) if hasattr(a, "new_zeros") else a),
    "reshape_view": lambda a: a.reshape(4, 3),
    "select": lambda a: a.select(1, 2),
    "narrow": lambda a: a.narrow(1, 1, 2),
    "transpose": lambda a: a.transpose(0, 1),
    "permute": lambda a: a.permute(1, 0),
    "t": lambda a: a.t(),
    "T": lambda a: a.T,
    "mT": lambda a: a.mT,
    "unsqueeze": lambda a: a.unsqueeze(0),
    "squeeze": lambda a: a.unsqueeze(1).squeeze(1),
    "flatten": lambda a: a.flatten(),
    "unflatten": lambda a: a.unflatten(1, (2, 2)),
    "expand": lambda a: a[:1].expand(5, 4),
    "unfold": lambda a: a.unfold(1, 2, 1),
    "split": lambda a: a.split(2)[1],
    "chunk": lambda a: a.chunk(2, 1)[0],
    "unbind": lambda a: a.unbind(1)[3],
    "movedim": lambda a: a.movedim(0, 1),
    "view_of_view": lambda a: a.t()[1].view(3),
}


@pytest.mark.parametrize("name", list(VIEWS), ids=str)
def test_views_share_the_counter_and_name_the_base_like_torch(name):
    n, t = _pair()
    vn, vt = VIEWS[name](n), VIEWS[name](t)
    assert vn._is_view() == vt._is_view() is True
    assert (vn._base is n) and (vt._base is t)
    assert n._base is None and not n._is_view()
    n.add_(1)
    t.add_(1)
    assert vn._version == vt._version == 1
    np.testing.assert_allclose(vn.numpy(), vt.numpy())  # the memory is shared


@pytest.mark.parametrize("name", ["getitem", "view", "t", "narrow", "unsqueeze"])
def test_a_write_to_a_view_counts_for_its_base_like_torch(name):
    n, t = _pair()
    VIEWS[name](n).mul_(2)
    VIEWS[name](t).mul_(2)
    assert n._version == t._version == 1
    np.testing.assert_allclose(n.numpy(), t.numpy())


@pytest.mark.parametrize(
    "name,make",
    [
        ("advanced_index", lambda a, m: a[[0, 2]]),
        ("mask", lambda a, m: a[a > 0]),
        ("reshape_copy", lambda a, m: a.t().reshape(-1)),
        ("clone", lambda a, m: a.clone()),
        ("contiguous_copy", lambda a, m: a.t().contiguous()),
    ],
)
def test_copies_are_no_views_like_torch(name, make):
    n, t = _pair()
    cn, ct = make(n, nerve), make(t, torch)
    assert cn._is_view() == ct._is_view() is False and cn._base is ct._base is None
    n.add_(1)
    t.add_(1)
    assert cn._version == ct._version == 0


def test_detach_shares_the_counter_but_is_no_view_and_data_shares_nothing_like_torch():
    n, t = _pair(requires_grad=True)
    dn, dt = n.detach(), t.detach()
    assert dn._base is dt._base is None and not dn._is_view() and not dt._is_view()
    dn.add_(1)
    dt.add_(1)
    assert n._version == t._version == 1
    n.data.add_(1)
    t.data.add_(1)
    assert n._version == t._version == 1


@pytest.mark.parametrize(
    "opt", [lambda p: nerve.optim.SGD(p, lr=0.1, momentum=0.9), lambda p: nerve.optim.Adam(p)]
)
def test_an_optimizer_step_adds_one_to_each_updated_parameter_like_torch(opt):
    nerve.manual_seed(0)
    lin = nn.Linear(3, 2)
    tlin = torch.nn.Linear(3, 2)
    assert lin.weight._version == tlin.weight._version == 1  # one in-place initialisation
    o = opt(lin.parameters())
    t = (torch.optim.SGD if isinstance(o, nerve.optim.SGD) else torch.optim.Adam)(
        tlin.parameters(), lr=0.1
    )
    lin.weight.grad = nerve.zeros(2, 3)  # the bias has no gradient: it is not updated
    tlin.weight.grad = torch.zeros(2, 3)
    o.step()
    t.step()
    assert lin.weight._version == tlin.weight._version == 2
    assert lin.bias._version == tlin.bias._version == 1


# ----- saved values: torch raises <=> nerve raises, with the same message ----------------
def leaf_weight_written_under_no_grad(m):
    w, x = m.ones(3, requires_grad=True), m.ones(3, requires_grad=True) * 2
    y = w * x
    with m.no_grad():
        w.add_(1)
    return y.sum(), (w,)


def input_without_grad_written(m):
    w, x = m.ones(3, requires_grad=True), m.arange(3.0)
    y = w * x
    x.add_(1)
    return y.sum(), (w,)


def input_written_twice(m):
    w, x = m.ones(2, 3, requires_grad=True), m.ones(2, 3, dtype=m.float64)
    y = w * x
    x.add_(1)
    x[0] = 5.0
    return y.sum(), (w,)


def written_before_and_after(m):
    w, x = m.ones(3, requires_grad=True), m.arange(3.0)
    x.mul_(2)
    y = w * x
    x.sub_(1)
    return y.sum(), (w,)


def output_written_under_no_grad(m):
    x = m.ones(3, requires_grad=True)
    z = (x * 2).exp()
    with m.no_grad():
        z.add_(1)
    return z.sum(), (x,)


def input_written_through_a_view(m):
    w, x = m.ones(3, requires_grad=True), m.arange(3.0)
    y = w * x
    x[0:2].add_(1)
    return y.sum(), (w,)


def sibling_view_written(m):  # one counter for the whole base, as in PyTorch
    w, a = m.ones(2, requires_grad=True), m.arange(4.0)
    y = w * a[:2]
    a[2:].mul_(3)
    return y.sum(), (w,)


def detached_alias_written(m):
    w, x = m.ones(3, requires_grad=True), m.arange(3.0)
    y = w * x
    x.detach().add_(1)
    return y.sum(), (w,)


def unary_input_written(m):
    w = m.ones(3, requires_grad=True)
    y = w.sin()
    with m.no_grad():
        w.mul_(2)
    return y.sum(), (w,)


def graph_input_written_through_a_view(m):  # the first node's input memory, rewritten
    w = m.ones(3, requires_grad=True)
    x = m.arange(3.0)
    h = (w * x).sum()
    x.view(3)[1] = 7.0
    return h, (w,)


def data_alias_is_not_tracked(m):  # .data: no counter, as in PyTorch (the values changed)
    w, x = m.ones(3, requires_grad=True), m.arange(3.0)
    y = w * x
    x.data.add_(1)
    return y.sum(), (w,)


def copy_written(m):
    w, x = m.ones(3, requires_grad=True), m.arange(3.0)
    y = w * x
    x.clone().add_(1)
    return y.sum(), (w,)


def written_before_the_op(m):
    w, x = m.ones(3, requires_grad=True), m.arange(3.0)
    x.add_(1)
    y = w * x
    return y.sum(), (w,)


def addition_keeps_nothing(m):
    w, x = m.ones(3, requires_grad=True), m.arange(3.0)
    y = w + x
    x.add_(1)
    with m.no_grad():
        w.mul_(2)
    return y.sum(), (w,)


def rebound_in_the_graph(m):  # nerve computes out of place: nothing overwritten
    w = m.ones(3, requires_grad=True)
    y = w * 2
    s = y * 3
    y.relu_()
    return (y + s).sum(), (w,)


def grad_written_between_backwards(m):
    w = m.ones(3, requires_grad=True)
    (w * w).sum().backward()
    w.grad.zero_()
    y = (w * 3).sum()
    return y, (w,)


SAVED = [
    leaf_weight_written_under_no_grad,
    input_without_grad_written,
    input_written_twice,
    written_before_and_after,
    output_written_under_no_grad,
    input_written_through_a_view,
    sibling_view_written,
    detached_alias_written,
    unary_input_written,
    graph_input_written_through_a_view,
    data_alias_is_not_tracked,
    copy_written,
    written_before_the_op,
    addition_keeps_nothing,
    rebound_in_the_graph,
    grad_written_between_backwards,
]


def _run(case, m):
    loss, leaves = case(m)
    try:
        loss.backward()
    except RuntimeError as err:
        return str(err), None
    return None, [leaf.grad.numpy().copy() if leaf.grad is not None else None for leaf in leaves]


@pytest.mark.parametrize("case", SAVED, ids=lambda f: f.__name__)
def test_overwritten_saved_values_raise_like_torch(case):
    err_n, grads_n = _run(case, nerve)
    err_t, grads_t = _run(case, torch)
    assert (err_n is None) == (err_t is None), (err_n, err_t)
    if err_t is not None:
        assert err_n == err_t.replace("torch.", "nerve.")
        return
    for gn, gt in zip(grads_n, grads_t):
        np.testing.assert_allclose(gn, gt)


def test_the_check_runs_in_a_create_graph_backward_too():
    w, x = nerve.ones(3, requires_grad=True), nerve.arange(3.0)
    y = (w * x).sum()
    x.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        nerve.autograd.grad(y, w, create_graph=True)


def test_a_node_that_keeps_a_copy_does_not_raise():
    w, x = nerve.ones(3, requires_grad=True), nerve.arange(3, dtype=nerve.int64)
    y = w * x  # the integer input is promoted: the node keeps a float copy
    x.add_(1)
    y.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [0.0, 1.0, 2.0])


# ----- writes to views in a graph: finite differences ------------------------------------
def _through_views(x, w):
    y = x * 1
    y[0].relu_()
    y.t()[1:].mul_(w)
    y.view(-1)[::5].add_(w[0, :1] * 2)
    return y


def test_gradient_through_view_writes_matches_finite_differences():
    x = nerve.tensor(A.copy(), requires_grad=True)
    w = nerve.tensor(A.T[1:].copy() + 2, requires_grad=True)
    assert gradcheck(_through_views, (x, w))


def test_no_reference_count_guessing_is_left():
    src = inspect.getsource(updates)
    assert "getrefcount" not in src and "_shared_view" not in src
    assert versions.mend_stale_edges.__module__ == "nerve.autograd.versions"


def test_a_kept_value_the_backward_does_not_read_is_no_error_as_in_torch():
    """PyTorch keeps w for w * x only when x needs a gradient; nerve's node keeps both, and
    an overwritten one is replaced by a stand-in that raises only when read, so the
    backward that needs x alone runs, as PyTorch's does."""

    def case(m):
        w, x = m.ones(3, requires_grad=True), m.arange(3.0)
        y = w * x
        with m.no_grad():
            w.add_(1)
        return y.sum(), (w,)

    err_n, grads_n = _run(case, nerve)
    err_t, grads_t = _run(case, torch)
    assert err_t is None and err_n is None, err_n
    np.testing.assert_allclose(grads_n[0], grads_t[0])


def test_a_kept_value_the_backward_reads_raises_as_in_torch():
    def case(m):
        w, x = m.ones(3, requires_grad=True), m.arange(3.0, requires_grad=True)
        y = w * x
        with m.no_grad():
            w.add_(1)
        return y.sum(), (w, x)

    err_n, _ = _run(case, nerve)
    err_t, _ = _run(case, torch)
    assert err_t is not None and err_n == err_t.replace("torch.", "nerve."), (err_n, err_t)
