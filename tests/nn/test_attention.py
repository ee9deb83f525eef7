"""nn.MultiheadAttention against torch.nn.MultiheadAttention: copied weights, outputs,
attention weights, gradients of query/key/value and of every parameter, for every mask kind,
batch_first both ways and unbatched input; initialisation, state_dict keys and errors."""

import warnings

import numpy as np
import pytest
import torch
from layercheck import load_from_torch

import nerve
from nerve import nn

E, H = 8, 2


def _arr(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def mha_check(kw, shapes, call_kw=None, masks=None, self_attention=False, rtol=1e-4, atol=1e-5):
    """Run both twins on the same inputs; masks are NumPy arrays passed as keyword args."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    tm = torch.nn.MultiheadAttention(E, H, **kw)
    with torch.no_grad():  # non-zero biases so their gradients are exercised too
        for name, p in tm.named_parameters():
            if "bias" in name:
                p.uniform_(-0.5, 0.5)
    m = nn.MultiheadAttention(E, H, **kw)
    load_from_torch(m, tm)
    assert list(m.state_dict()) == list(tm.state_dict())
    arrays = [_arr(rng, *s) for s in shapes]
    if self_attention:
        arrays = arrays[:1] * 3
    xs = [nerve.tensor(a, requires_grad=True) for a in _unique(arrays)]
    ts = [torch.tensor(a, requires_grad=True) for a in _unique(arrays)]
    pick = [next(i for i, u in enumerate(_unique(arrays)) if u is a) for a in arrays]
    call_kw = dict(call_kw or {})
    masks = masks or {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's warning on mixed mask types
        to, tw = tm(
            *[ts[i] for i in pick], **call_kw, **{k: torch.from_numpy(v) for k, v in masks.items()}
        )
    o, w = m(
        *[xs[i] for i in pick], **call_kw, **{k: nerve.from_numpy(v) for k, v in masks.items()}
    )
    assert tuple(o.shape) == tuple(to.shape) and o.dtype == np.float32
    np.testing.assert_allclose(o.detach().numpy(), to.detach().numpy(), rtol=rtol, atol=atol)
    if tw is None:
        assert w is None
    else:
        assert tuple(w.shape) == tuple(tw.shape)
        np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=rtol, atol=atol)
    dy = _arr(rng, *to.shape)
    (o * nerve.tensor(dy)).sum().backward()
    (to * torch.from_numpy(dy)).sum().backward()
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol)
    tparams = dict(tm.named_parameters())
    for name, p in m.named_parameters():
        np.testing.assert_allclose(
            p.grad.numpy(), tparams.pop(name).grad.numpy(), rtol=rtol, atol=atol, err_msg=name
        )
    assert not tparams
    return o, w


def _unique(arrays):
    seen = {}
    for a in arrays:
        seen.setdefault(id(a), a)
    return list(seen.values())


L, S, N = 4, 5, 3
QKV = [(L, N, E), (S, N, E), (S, N, E)]
QKV_BF = [(N, L, E), (N, S, E), (N, S, E)]
RNG = np.random.default_rng(3)
KPM = RNG.random((N, S)) < 0.3
KPM[:, 0] = False  # every query keeps one key: no nan rows
ATTN_BOOL = np.triu(np.ones((L, S), bool), 1)
ATTN_FLOAT = RNG.standard_normal((L, S)).astype(np.float32)
ATTN_3D = RNG.standard_normal((N * H, L, S)).astype(np.float32)


@pytest.mark.parametrize(
    "kw,shapes,call_kw,masks",
    [
        ({}, QKV, {}, {}),
        ({}, QKV, {"average_attn_weights": False}, {}),
        ({}, QKV, {"need_weights": False}, {}),
        ({"batch_first": True}, QKV_BF, {}, {}),
        ({"batch_first": True}, QKV_BF, {"need_weights": False}, {"key_padding_mask": KPM}),
        ({}, QKV, {}, {"key_padding_mask": KPM}),
        ({}, QKV, {}, {"attn_mask": ATTN_BOOL}),
        ({}, QKV, {"need_weights": False}, {"attn_mask": ATTN_BOOL}),
        ({}, QKV, {}, {"attn_mask": ATTN_FLOAT}),
        ({}, QKV, {}, {"attn_mask": ATTN_3D}),
        ({}, QKV, {"need_weights": False}, {"attn_mask": ATTN_3D, "key_padding_mask": KPM}),
        ({}, QKV, {}, {"attn_mask": ATTN_FLOAT, "key_padding_mask": KPM}),
        ({}, QKV, {}, {"key_padding_mask": np.where(KPM, -1.5, 0).astype(np.float32)}),
        ({"bias": False}, QKV, {}, {}),
        ({"kdim": 3, "vdim": 6}, [(L, N, E), (S, N, 3), (S, N, 6)], {}, {"key_padding_mask": KPM}),
        ({"kdim": 3, "vdim": 6}, [(L, N, E), (S, N, 3), (S, N, 6)], {"need_weights": False}, {}),
        ({"add_bias_kv": True}, QKV, {}, {"key_padding_mask": KPM, "attn_mask": ATTN_BOOL}),
        ({"add_zero_attn": True}, QKV, {}, {"key_padding_mask": KPM, "attn_mask": ATTN_FLOAT}),
        (
            {"add_bias_kv": True, "add_zero_attn": True},
            QKV,
            {"need_weights": False},
            {"attn_mask": ATTN_3D},
        ),
        ({}, [(L, E), (S, E), (S, E)], {}, {}),
        (
            {},
            [(L, E), (S, E), (S, E)],
            {"average_attn_weights": False},
            {"key_padding_mask": KPM[0], "attn_mask": ATTN_3D[:H]},
        ),
        (
            {"batch_first": True},
            [(L, E), (S, E), (S, E)],
            {"need_weights": False},
            {"attn_mask": ATTN_BOOL},
        ),
    ],
)
def test_against_torch(kw, shapes, call_kw, masks):
    mha_check(kw, shapes, call_kw, masks)


@pytest.mark.parametrize("kw,shape", [({}, (L, N, E)), ({"batch_first": True}, (N, L, E))])
def test_self_attention_against_torch(kw, shape):
    mha_check(kw, [shape], self_attention=True)
    mha_check(
        kw, [shape], {"need_weights": False}, {"key_padding_mask": KPM[:, :L]}, self_attention=True
    )


def test_causal_hint_uses_the_mask():
    mask = np.triu(np.full((L, L), -np.inf, np.float32), 1)
    mha_check({}, [(L, N, E)], {"is_causal": True}, {"attn_mask": mask}, self_attention=True)
    mha_check(
        {},
        [(L, N, E)],
        {"is_causal": True, "need_weights": False},
        {"attn_mask": mask},
        self_attention=True,
    )
    # without weights or padding PyTorch applies the hint and never reads the mask
    mha_check(
        {},
        [(L, N, E)],
        {"is_causal": True, "need_weights": False},
        {"attn_mask": np.zeros((L, L), np.float32)},
        self_attention=True,
    )
    mha_check(
        {},
        QKV,
        {"is_causal": True, "need_weights": False},
        {"attn_mask": ATTN_FLOAT, "key_padding_mask": KPM},
    )


def test_fully_masked_row_is_nan_with_weights_and_zero_without():
    kpm = np.zeros((N, L), bool)
    kpm[1] = True
    m = nn.MultiheadAttention(E, H)
    x = nerve.randn(L, N, E)
    with np.errstate(invalid="ignore"):
        o, w = m(x, x, x, key_padding_mask=nerve.from_numpy(kpm))
    assert np.isnan(o.detach().numpy()[:, 1]).all() and np.isnan(w.detach().numpy()[1]).all()
    o, w = m(x, x, x, key_padding_mask=nerve.from_numpy(kpm), need_weights=False)
    assert w is None and np.isfinite(o.detach().numpy()).all()


def test_dropout_only_in_training():
    m = nn.MultiheadAttention(E, H, dropout=0.5)
    x = nerve.randn(L, N, E)
    nerve.manual_seed(0)
    a, wa = m(x, x, x)
    b, wb = m(x, x, x)
    assert not np.allclose(wa.detach().numpy(), wb.detach().numpy())
    m.eval()
    c, _ = m(x, x, x)
    d, _ = m(x, x, x)
    np.testing.assert_array_equal(c.detach().numpy(), d.detach().numpy())


def test_parameters_init_and_repr_like_torch():
    nerve.manual_seed(0)
    m, tm = nn.MultiheadAttention(64, 4), torch.nn.MultiheadAttention(64, 4)
    assert repr(m) == repr(tm)
    assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in tm.state_dict().items()
    ]
    bound = np.sqrt(6 / (64 + 3 * 64))  # xavier_uniform_ over the (3E, E) matrix
    w = m.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.01
    assert not m.in_proj_bias.detach().numpy().any()
    assert not m.out_proj.bias.detach().numpy().any()
    ow = m.out_proj.weight.detach().numpy()
    assert np.abs(ow).max() <= 1 / 8 and np.abs(ow).max() > 0.9 / 8  # Linear's default
    assert type(m.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    assert isinstance(m.out_proj, nn.Linear)
    for kw in [
        {"bias": False},
        {"kdim": 3, "vdim": 5},
        {"add_bias_kv": True},
        {"kdim": 3, "add_bias_kv": True, "bias": False},
    ]:
        m, tm = nn.MultiheadAttention(8, 2, **kw), torch.nn.MultiheadAttention(8, 2, **kw)
        assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == [
            (k, tuple(v.shape)) for k, v in tm.state_dict().items()
        ]
        assert [n for n, _ in m.named_parameters()] == [n for n, _ in tm.named_parameters()]
    m = nn.MultiheadAttention(8, 2, add_bias_kv=True)
    assert m.bias_k.detach().numpy().std() > 0
    assert nn.MultiheadAttention(8, 2, dtype=nerve.float64).in_proj_weight.dtype == np.float64


def test_float64_stays_float64():
    m = nn.MultiheadAttention(E, H).double()
    x = nerve.randn(L, N, E).double()
    o, w = m(x, x, x)
    assert o.dtype == np.float64 and w.dtype == np.float64


def _t(*shape, dtype=np.float32):
    return np.random.default_rng(0).standard_normal(shape).astype(dtype)


@pytest.mark.parametrize(
    "args,kw,exc",
    [
        ((_t(1, 2, 4, 8),) * 3, {}, AssertionError),
        ((_t(4, 2, 7),) * 3, {}, AssertionError),
        ((_t(4, 2, 8), _t(5, 2, 8), _t(6, 2, 8)), {}, AssertionError),
        ((_t(4, 8), _t(5, 2, 8), _t(5, 2, 8)), {}, AssertionError),
        (
            (_t(4, 2, 8), _t(5, 2, 8), _t(5, 2, 8)),
            {"attn_mask": np.zeros((3, 5), np.float32)},
            RuntimeError,
        ),
        (
            (_t(4, 2, 8), _t(5, 2, 8), _t(5, 2, 8)),
            {"attn_mask": np.zeros((3, 4, 5), np.float32)},
            RuntimeError,
        ),
        (
            (_t(4, 2, 8), _t(5, 2, 8), _t(5, 2, 8)),
            {"key_padding_mask": np.zeros((2, 4), bool)},
            AssertionError,
        ),
        (
            (_t(4, 2, 8), _t(5, 2, 8), _t(5, 2, 8)),
            {"attn_mask": np.zeros((4, 5), np.int64)},
            AssertionError,
        ),
        ((_t(4, 2, 8), _t(5, 2, 8), _t(5, 2, 8)), {"is_causal": True}, RuntimeError),
        (
            (_t(4, 8), _t(5, 8), _t(5, 8)),
            {"attn_mask": np.zeros((3, 4, 5), np.float32)},
            AssertionError,
        ),
    ],
)
def test_errors_like_torch(args, kw, exc):
    tm, m = torch.nn.MultiheadAttention(8, 2), nn.MultiheadAttention(8, 2)
    conv = {k: v for k, v in kw.items() if isinstance(v, np.ndarray)}
    flags = {k: v for k, v in kw.items() if k not in conv}
    with pytest.raises(exc):
        tm(
            *map(torch.from_numpy, args),
            **flags,
            **{k: torch.from_numpy(v) for k, v in conv.items()},
        )
    with pytest.raises(exc, match="multi_head_attention_forward"):
        m(
            *map(nerve.from_numpy, args),
            **flags,
            **{k: nerve.from_numpy(v) for k, v in conv.items()},
        )


def test_constructor_errors_like_torch():
    with pytest.raises(AssertionError, match="divisible"):
        torch.nn.MultiheadAttention(7, 2)
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(7, 2)
    with pytest.raises(ValueError):
        torch.nn.MultiheadAttention(0, 2)
    with pytest.raises(ValueError, match="embed_dim and num_heads"):
        nn.MultiheadAttention(0, 2)


def test_functional_form_matches_the_module():
    m = nn.MultiheadAttention(E, H)
    x = nerve.randn(L, N, E)
    o, w = m(x, x, x)
    fo, fw = nerve.nn.functional.multi_head_attention_forward(
        x,
        x,
        x,
        E,
        H,
        m.in_proj_weight,
        m.in_proj_bias,
        None,
        None,
        False,
        0.0,
        m.out_proj.weight,
        m.out_proj.bias,
    )
    np.testing.assert_allclose(fo.detach().numpy(), o.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(fw.detach().numpy(), w.detach().numpy(), rtol=1e-6)
