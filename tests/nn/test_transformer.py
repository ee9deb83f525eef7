"""Transformer layers against torch.nn's: copied weights, dropout 0 (or eval mode), outputs,
gradients of the inputs and of every parameter; masks, batch_first both ways, unbatched input,
pre-/post-norm, activations; state_dict keys, repr, initialisation and errors."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from layercheck import load_from_torch

import nerve
import nerve.nn.functional as F
from nerve import nn

D, HEADS, FF = 8, 2, 12
S, T, N = 5, 4, 3
RNG = np.random.default_rng(5)
KPM = RNG.random((N, S)) < 0.3
KPM[:, 0] = False
TGT_KPM = RNG.random((N, T)) < 0.3
TGT_KPM[:, 0] = False
CAUSAL_S = np.triu(np.full((S, S), -np.inf, np.float32), 1)
CAUSAL_T = np.triu(np.full((T, T), -np.inf, np.float32), 1)
BOOL_S = np.triu(np.ones((S, S), bool), 1)
MEM_MASK = RNG.standard_normal((T, S)).astype(np.float32)


def _perturb(tm):
    """Non-trivial LayerNorm and bias values, so every gradient path is exercised."""
    torch.manual_seed(1)
    with torch.no_grad():
        for name, p in tm.named_parameters():
            if p.ndim == 1:
                p.uniform_(0.5, 1.5) if "norm" in name and "weight" in name else p.uniform_(
                    -0.3, 0.3
                )


def twin(m, tm, shapes, kw=None, train=True, rtol=2e-4, atol=2e-5):
    """Run both on the same random inputs (and NumPy masks in kw); compare everything."""
    _perturb(tm)
    load_from_torch(m, tm)
    assert list(m.state_dict()) == list(tm.state_dict())
    m.train(train)
    tm.train(train)
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    xs = [nerve.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    kw = kw or {}

    def conv(f):
        return {k: f(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}

    y = m(*xs, **conv(nerve.from_numpy))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ty = tm(*ts, **conv(torch.from_numpy))
    assert tuple(y.shape) == tuple(ty.shape) and y.dtype == np.float32
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=rtol, atol=atol)
    dy = rng.standard_normal(tuple(ty.shape)).astype(np.float32)
    (y * nerve.tensor(dy)).sum().backward()
    (ty * torch.from_numpy(dy)).sum().backward()
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol)
    tparams = dict(tm.named_parameters())
    for name, p in m.named_parameters():
        assert isinstance(p.grad, nerve.Tensor), name
        np.testing.assert_allclose(
            p.grad.numpy(), tparams.pop(name).grad.numpy(), rtol=rtol, atol=atol, err_msg=name
        )
    assert not tparams
    return y


def _pair(cls, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(nn, cls)(*args, **kw), getattr(torch.nn, cls)(*args, **kw)


SRC, SRC_BF = (S, N, D), (N, S, D)
TGT, TGT_BF = (T, N, D), (N, T, D)


@pytest.mark.parametrize(
    "kw,shapes,call",
    [
        ({}, [SRC], {}),
        ({"norm_first": True}, [SRC], {}),
        ({"batch_first": True}, [SRC_BF], {"src_key_padding_mask": KPM}),
        (
            {"batch_first": True, "norm_first": True},
            [SRC_BF],
            {"src_mask": CAUSAL_S, "is_causal": True},
        ),
        ({}, [SRC], {"src_mask": BOOL_S, "src_key_padding_mask": KPM}),
        ({}, [SRC], {"src_mask": CAUSAL_S}),
        ({"activation": "gelu"}, [SRC], {}),
        ({"bias": False, "layer_norm_eps": 1e-3}, [SRC], {"src_key_padding_mask": KPM}),
        ({}, [(S, D)], {"src_mask": CAUSAL_S}),
        ({"batch_first": True}, [(S, D)], {"src_key_padding_mask": KPM[0]}),
    ],
)
def test_encoder_layer(kw, shapes, call):
    twin(*_pair("TransformerEncoderLayer", D, HEADS, FF, dropout=0.0, **kw), shapes, call)


def test_encoder_layer_callable_activations_and_eval_mode():
    m, tm = _pair("TransformerEncoderLayer", D, HEADS, FF)  # dropout 0.1: off in eval
    twin(m, tm, [SRC], train=False)
    m = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0, activation=F.gelu)
    tm = torch.nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0, activation=TF.gelu)
    twin(m, tm, [SRC])
    m = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0, activation=nn.Tanh())
    tm = torch.nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0, activation=torch.nn.Tanh())
    assert repr(m) == repr(tm)
    twin(m, tm, [SRC])


@pytest.mark.parametrize(
    "kw,shapes,call",
    [
        ({}, [TGT, SRC], {}),
        ({"norm_first": True}, [TGT, SRC], {"tgt_mask": CAUSAL_T, "tgt_is_causal": True}),
        (
            {"batch_first": True},
            [TGT_BF, SRC_BF],
            {"tgt_key_padding_mask": TGT_KPM, "memory_key_padding_mask": KPM},
        ),
        (
            {},
            [TGT, SRC],
            {"tgt_mask": CAUSAL_T, "memory_mask": MEM_MASK, "memory_key_padding_mask": KPM},
        ),
        ({"activation": "gelu", "bias": False}, [TGT, SRC], {"memory_mask": MEM_MASK > 1}),
        ({}, [(T, D), (S, D)], {"tgt_mask": CAUSAL_T}),
    ],
)
def test_decoder_layer(kw, shapes, call):
    twin(*_pair("TransformerDecoderLayer", D, HEADS, FF, dropout=0.0, **kw), shapes, call)


@pytest.mark.parametrize("batch_first,norm", [(False, True), (True, False)])
def test_encoder_stack(batch_first, norm):
    layer, tlayer = _pair(
        "TransformerEncoderLayer", D, HEADS, FF, dropout=0.0, batch_first=batch_first
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = nn.TransformerEncoder(layer, 2, nn.LayerNorm(D) if norm else None)
        tm = torch.nn.TransformerEncoder(tlayer, 2, torch.nn.LayerNorm(D) if norm else None)
    assert m.layers[0] is not layer and m.layers[0] is not m.layers[1]
    assert m.layers[0].linear1.weight is not m.layers[1].linear1.weight
    np.testing.assert_array_equal(
        m.layers[1].linear1.weight.detach().numpy(), layer.linear1.weight.detach().numpy()
    )  # copies, not re-inits
    kpm = KPM if batch_first else None
    twin(
        m,
        tm,
        [SRC_BF if batch_first else SRC],
        {"mask": CAUSAL_S, "src_key_padding_mask": kpm, "is_causal": True},
    )


def test_decoder_stack():
    layer, tlayer = _pair("TransformerDecoderLayer", D, HEADS, FF, dropout=0.0)
    m = nn.TransformerDecoder(layer, 2, nn.LayerNorm(D))
    tm = torch.nn.TransformerDecoder(tlayer, 2, torch.nn.LayerNorm(D))
    twin(
        m,
        tm,
        [TGT, SRC],
        {"tgt_mask": CAUSAL_T, "memory_key_padding_mask": KPM, "tgt_key_padding_mask": TGT_KPM},
    )


@pytest.mark.parametrize(
    "kw,shapes",
    [
        ({}, [SRC, TGT]),
        ({"batch_first": True, "norm_first": True}, [SRC_BF, TGT_BF]),
        ({}, [(S, D), (T, D)]),
    ],
)
def test_transformer(kw, shapes):
    m, tm = _pair("Transformer", D, HEADS, 2, 1, FF, dropout=0.0, **kw)
    assert repr(m) == repr(tm)
    call = {"tgt_mask": CAUSAL_T, "src_key_padding_mask": KPM if len(shapes[0]) == 3 else None}
    if kw.get("batch_first") or len(shapes[0]) == 2:
        call["memory_key_padding_mask"] = KPM if len(shapes[0]) == 3 else KPM[0]
    twin(m, tm, shapes, call)


def test_generate_square_subsequent_mask():
    for sz in (1, 4):
        mask = nn.Transformer.generate_square_subsequent_mask(sz)
        tmask = torch.nn.Transformer.generate_square_subsequent_mask(sz)
        assert mask.dtype == np.float32
        np.testing.assert_array_equal(mask.numpy(), tmask.numpy())
    assert (
        nn.Transformer.generate_square_subsequent_mask(3, dtype=nerve.float64).dtype == np.float64
    )


def test_defaults_state_dict_and_init():
    nerve.manual_seed(0)
    layer = nn.TransformerEncoderLayer(16, 4)
    assert layer.linear1.weight.shape == (2048, 16) and layer.dropout.p == 0.1
    assert layer.norm1.eps == 1e-5 and not layer.norm_first and not layer.self_attn.batch_first
    assert layer.activation is F.relu
    t, tt = _pair("Transformer", 16, 4, 2, 2, 32)
    assert [(k, tuple(v.shape)) for k, v in t.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in tt.state_dict().items()
    ]
    w = t.encoder.layers[1].linear1.weight.detach().numpy()  # xavier_uniform_ (32, 16)
    bound = np.sqrt(6 / (16 + 32))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    norm = t.decoder.norm
    np.testing.assert_array_equal(norm.weight.detach().numpy(), 1)
    w0 = t.encoder.layers[0].linear1.weight.detach().numpy()
    assert not np.array_equal(w0, w)  # each layer re-initialised independently
    assert t.encoder.layers[0].self_attn.in_proj_bias.detach().numpy().any() == 0
    m = nn.Transformer(8, 2, 1, 1, 16, dtype=nerve.float64)
    assert all(p.dtype == np.float64 for p in m.parameters())


def test_encoder_warns_about_nested_tensor_like_torch():
    layer = nn.TransformerEncoderLayer(D, HEADS, FF)
    with pytest.warns(UserWarning, match="enable_nested_tensor"):
        nn.TransformerEncoder(layer, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.TransformerEncoder(layer, 1, enable_nested_tensor=False)
        nn.TransformerEncoder(nn.TransformerEncoderLayer(D, HEADS, FF, batch_first=True), 1)


def test_errors_like_torch():
    with pytest.raises(RuntimeError, match="relu/gelu"):
        torch.nn.TransformerEncoderLayer(D, HEADS, activation="tanh")
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(D, HEADS, activation="tanh")
    with pytest.raises(AssertionError):
        torch.nn.TransformerEncoderLayer(7, 2)
    with pytest.raises(AssertionError, match="divisible"):
        nn.TransformerEncoderLayer(7, 2)
    m, tm = _pair("Transformer", D, HEADS, 1, 1, FF)
    for src, tgt in [((S, N, D), (T, N + 1, D)), ((S, N, D), (T, N, D + 1))]:
        with pytest.raises(RuntimeError):
            tm(torch.zeros(src), torch.zeros(tgt))
        with pytest.raises(RuntimeError, match="Transformer: the"):
            m(nerve.zeros(*src), nerve.zeros(*tgt))
    layer = nn.TransformerEncoderLayer(D, HEADS, FF)
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        nn.TransformerEncoder(layer, 1, enable_nested_tensor=False)(
            nerve.zeros(S, N, D), is_causal=True
        )
    with pytest.raises(AssertionError, match="query should be unbatched 2D or batched 3D"):
        layer(nerve.zeros(1, S, N, D))


@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors")
def test_encoder_inference_zeroes_padding_like_torch():
    """torch's eval/no-grad path packs the sequences: padded positions come out as 0 (then
    the final norm); the real positions are unchanged."""
    layer, tlayer = _pair("TransformerEncoderLayer", D, HEADS, FF, batch_first=True)
    for norm in (None, (nn.LayerNorm(D), torch.nn.LayerNorm(D))):
        m = nn.TransformerEncoder(layer, 2, None if norm is None else norm[0])
        tm = torch.nn.TransformerEncoder(tlayer, 2, None if norm is None else norm[1])
        _perturb(tm)
        load_from_torch(m, tm)
        m.eval()
        tm.eval()
        x = np.random.default_rng(0).standard_normal(SRC_BF).astype(np.float32)
        right = np.arange(S) >= np.array([[5], [3], [1]])  # padding at the end of each row
        for kpm in (right, np.where(right, -np.inf, 0).astype(np.float32), KPM):
            with nerve.no_grad(), torch.no_grad():
                y = m(nerve.tensor(x), src_key_padding_mask=nerve.from_numpy(kpm))
                ty = tm(torch.from_numpy(x), src_key_padding_mask=torch.from_numpy(kpm))
            np.testing.assert_allclose(y.numpy(), ty.numpy(), rtol=2e-4, atol=2e-5)
            if norm is None and kpm is right:
                assert not y.numpy()[2, 1:].any()
        assert m.use_nested_tensor and tm.use_nested_tensor
    # with a graph to record, both keep the dense values
    y = m(nerve.tensor(x), src_key_padding_mask=nerve.from_numpy(right))
    ty = tm(torch.from_numpy(x), src_key_padding_mask=torch.from_numpy(right))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=2e-4, atol=2e-5)
    assert y.detach().numpy()[2, 1:].any()


@pytest.mark.parametrize(
    "kw",
    [
        {"norm_first": True},
        {"bias": False},
        {"nhead": 1},
        {"activation": nn.Tanh()},
        {"layer_norm_eps": 1e-3},
    ],
)
def test_nested_tensor_reasons_like_torch(kw):
    kw = {"nhead": HEADS, "batch_first": True, **kw}
    tkw = {**kw, "activation": torch.nn.Tanh()} if "activation" in kw else kw
    layer = nn.TransformerEncoderLayer(D, dim_feedforward=FF, **kw)
    tlayer = torch.nn.TransformerEncoderLayer(D, dim_feedforward=FF, **tkw)
    if "layer_norm_eps" in kw:
        layer.norm2.eps = tlayer.norm2.eps = 1e-5
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        nn.TransformerEncoder(layer, 1)
    with warnings.catch_warnings(record=True) as want:
        warnings.simplefilter("always")
        torch.nn.TransformerEncoder(tlayer, 1)
    assert [str(w.message) for w in got] == [str(w.message) for w in want]
    assert len(got) == 1
