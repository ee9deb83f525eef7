"""In-place ops inside a graph (nerve/ops/inplace/updates.py): a tensor that is no view is
rebound to the result, a write to a view reaches its base's memory (CopySlices, as in
PyTorch); values, grad_fn names and gradients match PyTorch, and leaves that require grad
(or their views) are refused as there. The version counters: tests/autograd/test_versions.py."""

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import nerve
import nerve.nn as nn
import nerve.nn.functional as F

rng = np.random.default_rng(0)
A = rng.standard_normal((3, 4))


def _both(fn, a=A, n_extra=0):
    """Run ``fn(x, lib, functional)`` in nerve and torch on the same float64 input; compare the
    output, its grad_fn's name and the input gradient."""
    x = nerve.tensor(a.copy(), requires_grad=True)
    t = torch.tensor(a.copy(), requires_grad=True)
    yn, yt = fn(x, nerve, F), fn(t, torch, TF)
    np.testing.assert_allclose(yn.detach().numpy(), yt.detach().numpy(), rtol=1e-6, atol=1e-9)
    g = rng.standard_normal(yt.shape)
    yn.backward(nerve.tensor(g))
    yt.backward(torch.from_numpy(g))
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6, atol=1e-9)
    return yn, yt


def _name(fn) -> str:
    return type(fn).__name__.lower().rstrip("0123456789").removesuffix("backward")


def chain(x, m, f):
    y = x * 2
    y.add_(1)
    y.mul_(x)
    y.clamp_(max=2.0)
    y.sub_(x, alpha=0.5)
    y.div_(3)
    y.relu_()
    return y


def consumer_before(x, m, f):  # s recorded y's old version: its gradient must go there
    y = x * 2
    s = y * 3
    y.relu_()
    return y + s


def consumers_of_two_versions(x, m, f):
    y = x * 2
    s = y * 3
    y.mul_(2)
    u = y * 4
    y.exp_()
    return y + s + u


def buffer_filled_with_grads(x, m, f):  # a tensor outside the graph joins it
    buf = m.zeros(3, 4, dtype=x.dtype)
    buf[1] = x[0] * 2
    buf[:, 2] += x[:, 1]
    buf.copy_(buf * 1)
    return buf * x


def setitem_masks(x, m, f):
    y = x * 2
    y[0, 1] = 5.0
    y[x > 0] = 0.0
    y.masked_fill_(x < -1, 3.0)
    return y * x


def alias_in_a_list(x, m, f):
    y = x * 2
    ys = [y]
    y.sub_(x)
    z = ys[0] * 2  # the same object: the new version
    y.relu_()
    return z + y


def fill_and_zero(x, m, f):
    y = x * 2
    y.zero_()
    z = x * 3
    z.fill_(2.0)
    return y + z * x


def augmented(x, m, f):
    y = x * 2
    y += x
    y *= x
    y -= 1
    y /= 2
    y[1] += x[0]
    y[:, 0] *= 3
    return y


@pytest.mark.parametrize(
    "fn",
    [
        chain,
        consumer_before,
        consumers_of_two_versions,
        buffer_filled_with_grads,
        setitem_masks,
        alias_in_a_list,
        fill_and_zero,
        augmented,
    ],
    ids=lambda f: f.__name__,
)
def test_in_place_in_a_graph_matches_torch(fn):
    yn, yt = _both(fn)
    names = {_name(yn.grad_fn), _name(yt.grad_fn)}
    assert len(names) == 1 or names == {"indexput", "copyslices"}  # y[i] = v


@pytest.mark.parametrize(
    "name,kw",
    [
        ("relu", {}),
        ("leaky_relu", {"negative_slope": 0.2}),
        ("elu", {}),
        ("selu", {}),
        ("silu", {}),
        ("mish", {}),
        ("hardtanh", {}),
        ("relu6", {}),
        ("celu", {}),
        ("threshold", {"threshold": 0.1, "value": -2.0}),
        ("hardsigmoid", {}),
        ("hardswish", {}),
    ],
)
def test_functional_inplace_writes_into_a_non_leaf(name, kw):
    seen = {}

    def fn(x, m, f):
        y = x * 1.5
        out = getattr(f, name)(y, inplace=True, **kw)
        seen[m] = out is y
        return y

    _both(fn)
    assert seen[nerve] and seen[torch]


@pytest.mark.parametrize("name", ["relu_", "leaky_relu_", "elu_", "hardtanh_", "rrelu_"])
def test_functional_underscore_forms_write_into_a_non_leaf(name):
    def fn(x, m, f):
        y = x * 1.5
        assert getattr(f, name)(y) is y
        return y

    _both(fn)  # rrelu_ in its default eval mode: the mean slope, no noise


@pytest.mark.parametrize("inplace", [False, True])
def test_resnet_block_forward_matches_torch(inplace):
    nerve.manual_seed(0)
    conv1, bn1 = nn.Conv2d(3, 3, 3, padding=1, bias=False), nn.BatchNorm2d(3)
    conv2, bn2 = nn.Conv2d(3, 3, 3, padding=1, bias=False), nn.BatchNorm2d(3)
    relu = nn.ReLU(inplace=inplace)
    tconv1, tbn1 = torch.nn.Conv2d(3, 3, 3, padding=1, bias=False), torch.nn.BatchNorm2d(3)
    tconv2, tbn2 = torch.nn.Conv2d(3, 3, 3, padding=1, bias=False), torch.nn.BatchNorm2d(3)
    trelu = torch.nn.ReLU(inplace=inplace)
    for m, t in [(conv1, tconv1), (conv2, tconv2), (bn1, tbn1), (bn2, tbn2)]:
        m.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})

    def block(x, f, c1, b1, c2, b2, r):
        identity = x
        out = c1(x)
        out = b1(out)
        out = f.relu(out, inplace=inplace)
        out = r(c2(out))
        out = b2(out)
        out += identity
        out.relu_()
        return out

    a = rng.standard_normal((2, 3, 5, 5)).astype(np.float32)
    x, t = nerve.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    yn = block(x, F, conv1, bn1, conv2, bn2, relu)
    yt = block(t, TF, tconv1, tbn1, tconv2, tbn2, trelu)
    assert _name(yn.grad_fn) == _name(yt.grad_fn) == "relu"
    np.testing.assert_allclose(yn.detach().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    g = rng.standard_normal(a.shape).astype(np.float32)
    yn.backward(nerve.tensor(g))
    yt.backward(torch.from_numpy(g))
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-5)
    for m, tm in [(conv1, tconv1), (conv2, tconv2), (bn1, tbn1), (bn2, tbn2)]:
        np.testing.assert_allclose(
            m.weight.grad.numpy(), tm.weight.grad.numpy(), rtol=1e-4, atol=1e-4
        )


def test_inplace_layer_returns_its_input_object():
    for m in [
        nn.ReLU(inplace=True),
        nn.LeakyReLU(0.1, inplace=True),
        nn.ELU(inplace=True),
        nn.Hardtanh(inplace=True),
        nn.ReLU6(inplace=True),
        nn.SELU(inplace=True),
    ]:
        x = nerve.tensor(A.copy(), requires_grad=True)
        y = x * 1
        assert m(y) is y, m
        assert y.grad_fn is not None


def test_rebound_tensor_keeps_dtype_shape_and_reports_like_torch():
    x = nerve.ones(3, requires_grad=True)
    y = x * 2
    y.add_(nerve.ones(3, dtype=nerve.float64, requires_grad=True))
    assert y.dtype == nerve.float32 and y.requires_grad and not y.is_leaf
    assert repr(y.requires_grad) == "True" and f"{y.requires_grad}" == "True"
    assert y.requires_grad == True  # noqa: E712 - the token compares equal to True
    with pytest.raises(RuntimeError, match=r"add_: output with shape \[3\] doesn't match"):
        y.add_(nerve.ones(2, 3))


def test_leaf_that_requires_grad_is_refused_outside_no_grad():
    w = nerve.ones(3, requires_grad=True)
    for call in [
        lambda: w.add_(1),
        lambda: w.relu_(),
        lambda: w.__setitem__(0, 2.0),
        lambda: F.relu(w, inplace=True),
        lambda: w.zero_(),
        lambda: w.copy_(w * 2),
    ]:
        with pytest.raises(
            RuntimeError,
            match="a leaf Variable that requires grad is being used in an in-place operation",
        ):
            call()
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w += 1
    with nerve.no_grad():
        w.mul_(3)
        w += 1
    assert w.is_leaf and w.tolist() == [4.0, 4.0, 4.0]


def _through(write):
    def fn(x, m, f):
        y = x * 2
        write(y, x, f)
        return y

    fn.__name__ = write.__name__
    return fn


def relu_of_a_row(y, x, f):
    y[0].relu_()


def add_through_view(y, x, f):
    y.view(-1).add_(1)


def mul_through_t(y, x, f):
    y.t().mul_(2)


def zero_a_column(y, x, f):
    y[:, 1].zero_()


def copy_from_the_graph(y, x, f):
    y[:, 1:].copy_(x[:, 1:] * x[:, :3])


def functional_inplace_on_reshape(y, x, f):
    f.relu(y.reshape(4, 3), inplace=True)


def view_of_a_view(y, x, f):
    h = y.view(-1)
    h.view(3, 4)[1].mul_(x[0])
    h[2:5].clamp_(max=0.5)


def written_twice(y, x, f):
    v = y[1:]
    v.mul_(x[1:])
    v[:, 0].sub_(1)


@pytest.mark.parametrize(
    "write",
    [
        relu_of_a_row,
        add_through_view,
        mul_through_t,
        zero_a_column,
        copy_from_the_graph,
        functional_inplace_on_reshape,
        view_of_a_view,
        written_twice,
    ],
    ids=lambda f: f.__name__,
)
def test_write_to_a_view_in_a_graph_reaches_its_base_like_torch(write):
    yn, yt = _both(_through(write))  # y's values (the memory is shared) and x's gradient
    assert _name(yn.grad_fn) == _name(yt.grad_fn) == "copyslices"
    assert yn._version == yt._version


def test_buffer_written_through_a_view_joins_the_graph_like_torch():
    def fn(x, m, f):
        buf = m.zeros(3, 4, dtype=x.dtype)
        buf[1:].copy_(x[1:] * 2)
        buf[0].add_(x[0])
        return buf

    yn, yt = _both(fn)
    assert _name(yn.grad_fn) == _name(yt.grad_fn) == "copyslices"


def test_the_view_itself_becomes_a_view_of_the_new_version_like_torch():
    def fn(x, m, f):
        y = x * 2
        v = y[1]
        v.relu_()
        return v * 3 + y.sum()

    yn, yt = _both(fn, n_extra=0)
    assert _name(yn.grad_fn) == _name(yt.grad_fn)


def test_views_made_before_a_write_and_used_after_see_the_new_version_like_torch():
    def fn(x, m, f):
        y = x * 2
        row, col, t = y[0], y[:, 0], y.t()
        row.mul_(3)  # col[0] and t[0, 0] are that memory too
        return col * 5 + t[0] * t[1, :3] + y[:, 1]

    _both(fn)


def test_write_to_a_view_of_a_leaf_that_requires_grad_is_refused_like_torch():
    msg = "a view of a leaf Variable that requires grad is being used in an in-place operation."
    for lib in (nerve, torch):
        w, z = lib.ones(2, 3, requires_grad=True), lib.zeros(2)
        for call in [
            lambda w=w: w[0].add_(1),
            lambda w=w: w.view(-1).relu_(),
            lambda w=w, z=z: w.t()[1].copy_(z),
        ]:
            with pytest.raises(RuntimeError, match=re.escape(msg)):
                call()
        with lib.no_grad():
            w[0].add_(1)
        assert w.tolist() == [[2.0] * 3, [1.0] * 3]


def test_write_to_one_of_several_views_is_refused_like_torch():
    for lib in (nerve, torch):
        y = lib.ones(2, 3, requires_grad=True) * 2
        with pytest.raises(RuntimeError, match=r"^Output 0 of Split is a view and is being"):
            y.split(1)[0].exp_()
        with pytest.raises(RuntimeError, match=r"^Output 1 of Split is a view and is being"):
            y.chunk(2)[1].add_(1)


def test_write_to_an_expanded_view_is_refused_like_torch():
    x = nerve.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        (x * 1).expand(2, 3).mul_(2)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        (torch.ones(3, requires_grad=True) * 1).expand(2, 3).mul_(2)


def view_of_a_temporary(x, m, f):  # written through to a base nothing else holds
    y = f.relu((x * 2).view(-1), inplace=True)
    z = (x * 3).t().reshape(-1)
    z.mul_(2)
    (x + 1)[1, 2].relu_()
    return y + z


def test_view_of_a_temporary_is_written_through_like_torch():
    _both(view_of_a_temporary)
    nerve.manual_seed(0)
    lin, tlin = nn.Linear(4, 3, dtype=nerve.float64), torch.nn.Linear(4, 3, dtype=torch.float64)
    lin.load_state_dict({k: v.detach().numpy() for k, v in tlin.state_dict().items()})
    m = nn.Sequential(lin, nn.Flatten(0), nn.ReLU(inplace=True))
    tm = torch.nn.Sequential(tlin, torch.nn.Flatten(0), torch.nn.ReLU(inplace=True))
    _both(lambda x, lib, f: (m if lib is nerve else tm)(x), A)


def test_views_outside_the_graph_still_write_through_to_their_base():
    base = nerve.zeros(2, 3)
    base[0].add_(1)
    base.view(-1)[4:].fill_(2)
    base.t()[2].mul_(5)
    np.testing.assert_allclose(base.numpy(), [[1, 1, 5], [0, 2, 10]])


def test_no_grad_write_into_a_non_leaf_keeps_its_node():
    x = nerve.tensor(A.copy(), requires_grad=True)
    y = x * 2
    fn = y.grad_fn
    with nerve.no_grad():
        y.add_(1)
    assert y.grad_fn is fn
    (y * 1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(A.shape, 2.0))


def test_consumer_before_in_place_survives_retain_graph_and_second_backward():
    x = nerve.tensor(A.copy(), requires_grad=True)
    y = x * 2
    s = (y * 3).sum()
    y.relu_()
    s.backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), np.full(A.shape, 6.0))
    x.grad = None
    (y.sum() + s).backward()
    np.testing.assert_allclose(x.grad.numpy(), 6.0 + 2.0 * (A > 0))


def test_integer_buffer_takes_a_cast_copy_without_gradient():
    x = nerve.tensor(A.copy(), requires_grad=True)
    ibuf = nerve.zeros(3, 4, dtype=nerve.int64)
    ibuf[0] = x[0] * 10
    assert not ibuf.requires_grad and ibuf.dtype == nerve.int64
    with pytest.raises(RuntimeError, match="can't be cast|Cannot cast"):
        ibuf.add_(x)


def test_ordinary_ops_record_plain_bools():
    x = nerve.ones(2, requires_grad=True)
    y = x * 2
    assert y.requires_grad is True and (y + 1).requires_grad is True


def test_snapshots_of_rebound_tensors_die_with_their_tensors():
    import gc

    from nerve.autograd import versions

    gc.collect()
    before = versions.rebinds_live[0]
    x = nerve.ones(3, requires_grad=True)
    y = x * 2
    y.relu_()
    y.add_(1)
    assert versions.rebinds_live[0] == before + 1 and y._version == 2
    y.sum().backward()
    del y
    gc.collect()
    assert versions.rebinds_live[0] == before
