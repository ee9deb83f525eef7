"""A systematic dtype and exception audit against torch: every callable that exists as
torch.<name> and nerve.<name> (and in nn.functional) and takes one or two tensors is
called with float32, float64, int32, int64 and bool inputs, mixed float32+float64 and
int64+float32 pairs, and Python numbers as the second argument. Both libraries must
succeed or both raise the same kind of exception; when both succeed the outputs have
the same type, dtype and shape (and values, for floating inputs)."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import nerve
import nerve.nn.functional as NF

# factories, random draws, in-place forms, global state, and calls needing structured
# arguments (einsum's equation, the dropouts' randomness ...)
SKIP = set(
    """
FloatTensor Generator Size Tensor arange as_tensor asarray bernoulli broadcast_shapes
can_cast device dtype empty empty_like empty_strided enable_grad eye finfo from_numpy full
full_like get_default_dtype get_num_threads get_rng_state iinfo inference_mode
initial_seed is_anomaly_enabled is_grad_enabled is_inference_mode_enabled linspace load
logspace manual_seed multinomial no_grad normal ones ones_like promote_types rand
rand_like randint randint_like randn randn_like randperm save seed set_default_dtype
set_grad_enabled set_num_threads set_printoptions set_rng_state tensor tril_indices
triu_indices typename result_type zeros zeros_like einsum
alpha_dropout dropout dropout1d dropout2d dropout3d feature_alpha_dropout rrelu rrelu_
gumbel_softmax fractional_max_pool2d fractional_max_pool2d_with_indices celu_ elu_
hardtanh_ leaky_relu_ relu_ selu_ threshold_
""".split()
)

# differences left as they are (see the audit's report): nerve is more lenient or raises
# another exception kind. Keys are (name, case id); "*" stands for every case of a name.
LOSSES = {
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "hinge_embedding_loss",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "mse_loss",
    "multilabel_soft_margin_loss",
    "poisson_nll_loss",
    "smooth_l1_loss",
    "soft_margin_loss",
}
KNOWN = {
    # nerve takes a Python number as other; PyTorch wants a tensor
    **{
        (n, c): "number accepted"
        for n in ("hypot", "logaddexp", "logaddexp2")
        for c in ("float32,2", "float32,2.5", "int64,2", "int64,2.5", "bool,1")
    },
    ("linear", "bool,bool"): "bool matmul computed instead of NotImplementedError",
}

rng = np.random.default_rng(0)
BASE = rng.random((3, 4)) * 0.8 + 0.1  # in (0.1, 0.9): inside every domain (acos, log ...)


def _pair(dt):
    a = {
        "float32": BASE.astype(np.float32),
        "float64": BASE,
        "int32": ((BASE * 10).astype(np.int32) % 5 + 1),
        "int64": ((BASE * 10).astype(np.int64) % 5 + 1),
        "bool": (BASE * 10).astype(np.int64) % 2 == 0,
    }[dt]
    return nerve.tensor(a.copy()), torch.tensor(a.copy())


UNARY = [("float32",), ("float64",), ("int32",), ("int64",), ("bool",)]
BINARY = [
    ("float32", "float32"),
    ("float64", "float64"),
    ("int64", "int64"),
    ("bool", "bool"),
    ("float32", "float64"),
    ("int64", "float32"),
    ("float32", 2),
    ("float32", 2.5),
    ("int64", 2),
    ("int64", 2.5),
    ("bool", 1),
]

# the arguments PyTorch's common reductions and scans take, each tried on every dtype
EXTRA = {
    "sum": [{"dim": 1}, {"dim": 0, "keepdim": True}],
    "mean": [{"dim": 1}],
    "prod": [{"dim": 1}],
    "amax": [{"dim": 1}],
    "amin": [{"dim": 0, "keepdim": True}],
    "max": [{"dim": 1}],
    "min": [{"dim": 0, "keepdim": True}],
    "argmax": [{"dim": 1}],
    "argmin": [{"dim": 0}],
    "std": [{"dim": 1}],
    "var": [{"dim": 0, "keepdim": True}],
    "logsumexp": [{"dim": 1}],
    "cumsum": [{"dim": 1}],
    "cumprod": [{"dim": 0}],
    "cummax": [{"dim": 1}],
    "median": [{"dim": 1}],
    "all": [{"dim": 1}],
    "any": [{"dim": 0}],
    "count_nonzero": [{"dim": 1}],
    "nansum": [{"dim": 1}],
    "softmax": [{"dim": 1}],
    "log_softmax": [{"dim": 0}],
    "norm": [{"dim": 1}],
    "topk": [{"k": 2}],
    "kthvalue": [{"k": 2}],
    "sort": [{"dim": 0}],
    "flip": [{"dims": [0]}],
    "roll": [{"shifts": 1}],
    "diff": [{"dim": 0}],
    "transpose": [{"dim0": 0, "dim1": 1}],
    "unsqueeze": [{"dim": 0}],
    "std_mean": [{"dim": 1}],
    "var_mean": [{"dim": 1}],
    "aminmax": [{"dim": 1}],
}

_KINDS = (IndexError, NotImplementedError, TypeError, ValueError, RuntimeError)


def _kind(e):
    return next((k.__name__ for k in _KINDS if isinstance(e, k)), type(e).__name__)


def _call(f, args, kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return True, f(*args, **kw)
        except Exception as e:  # noqa: BLE001 - the exception kind is what is compared
            return False, e


def _diff(ours, ref, floats):
    """None when the results agree, else what differs."""
    if isinstance(ref, torch.Size):
        ok = isinstance(ours, nerve.Size) and tuple(ours) == tuple(ref)
        return None if ok else f"size {ours!r} vs {tuple(ref)}"
    if isinstance(ref, tuple | list) and not isinstance(ref, torch.Size):
        if not isinstance(ours, tuple | list) or len(ours) != len(ref):
            return f"structure {type(ours).__name__} vs {type(ref).__name__}"
        return next((d for d in map(lambda a, b: _diff(a, b, floats), ours, ref) if d), None)
    if isinstance(ref, torch.Tensor):
        if not isinstance(ours, nerve.Tensor):
            return f"type {type(ours).__name__} vs Tensor"
        od, rd = str(ours.dtype), str(ref.dtype).removeprefix("torch.")
        if od != rd:
            return f"dtype {od} vs {rd}"
        if tuple(ours.shape) != tuple(ref.shape):
            return f"shape {tuple(ours.shape)} vs {tuple(ref.shape)}"
        if ref.dtype == torch.bfloat16:  # torch's .numpy() has no bfloat16: compare float64
            ours, ref = ours.double(), ref.double()
        if (
            floats
            and ref.dtype.is_floating_point
            and not np.allclose(
                ours.numpy(), ref.detach().numpy(), rtol=1e-4, atol=1e-5, equal_nan=True
            )
        ):
            return "values"
        return None
    if type(ours) is not type(ref):
        return f"python type {type(ours).__name__} vs {type(ref).__name__}"
    return None


def _compare(name, ours_fn, ref_fn, case, kw):
    ours_args, ref_args = [], []
    for d in case:
        n, t = _pair(d) if isinstance(d, str) else (d, d)
        ours_args.append(n)
        ref_args.append(t)
    rok, ref = _call(ref_fn, ref_args, kw)
    ook, ours = _call(ours_fn, ours_args, kw)
    label = (
        f"{name}({','.join(map(str, case))}{', ' if kw else ''}"
        f"{', '.join(f'{k}={v}' for k, v in kw.items())})"
    )
    if rok != ook:
        return (
            f"{label}: torch {'ok' if rok else _kind(ref)} ({str(ref)[:60]}), nerve "
            f"{'ok' if ook else _kind(ours)} ({str(ours)[:60]})"
        )
    if not rok:
        return (
            None
            if _kind(ref) == _kind(ours)
            else f"{label}: torch raises {_kind(ref)}, nerve {_kind(ours)} ({str(ours)[:60]})"
        )
    floats = all(d in ("float32", "float64", 2.5) for d in case)
    d = _diff(ours, ref, floats)
    return f"{label}: {d}" if d else None


def _cases(ref_fn, kw):
    f32 = _pair("float32")[1]
    unary = _call(ref_fn, [f32], kw)[0]
    binary = _call(ref_fn, [f32, f32], kw)[0]
    return (UNARY if unary else []) + (BINARY if binary else [])


def _names(ours_mod, ref_mod):
    return sorted(
        n
        for n in dir(ref_mod)
        if not n.startswith("_")
        and n not in SKIP
        and callable(getattr(ref_mod, n))
        and callable(getattr(ours_mod, n, None))
    )


def _audit(prefix, ours_mod, ref_mod, name, kws):
    ours_fn, ref_fn = getattr(ours_mod, name), getattr(ref_mod, name)
    problems, tried = [], 0
    for kw in kws:
        for case in _cases(ref_fn, kw):
            if (name, ",".join(map(str, case))) in KNOWN and not kw:
                continue
            tried += 1
            p = _compare(prefix + name, ours_fn, ref_fn, case, kw)
            if p:
                problems.append(p)
    assert not problems, "\n".join(problems)
    return tried


TORCH_NAMES = _names(nerve, torch)
F_NAMES = [n for n in _names(NF, TF) if n not in LOSSES]
# Tensor methods: the out-of-place ones (in-place forms end in _), minus those needing
# special arguments, devices, storage or randomness
METHOD_SKIP = set(
    """
backward register_hook retain_grad detach share_memory_ pin_memory cuda cpu to type
new_tensor new_ones new_zeros new_full new_empty numpy apply_ map_ data_ptr storage
untyped_storage tolist item element_size dim_order record_stream bernoulli exponential
geometric cauchy log_normal random uniform normal multinomial
""".split()
)
METHOD_NAMES = sorted(
    n
    for n in dir(torch.Tensor)
    if not n.startswith("_")
    and not n.endswith("_")
    and n not in METHOD_SKIP
    and callable(getattr(torch.Tensor, n, None))
    and callable(getattr(nerve.Tensor, n, None))
)


@pytest.mark.parametrize("name", TORCH_NAMES)
def test_torch_namespace_dtypes_and_errors(name):
    _audit("torch.", nerve, torch, name, [{}])


@pytest.mark.parametrize("name", F_NAMES)
def test_functional_dtypes_and_errors(name):
    _audit("F.", NF, TF, name, [{}])


@pytest.mark.parametrize("name", METHOD_NAMES)
def test_tensor_methods_dtypes_and_errors(name):
    def method(x, *args, **kw):
        return getattr(x, name)(*args, **kw)

    ns = type("methods", (), {name: staticmethod(method)})
    _audit("Tensor.", ns, ns, name, [{}])


@pytest.mark.parametrize("name", sorted(EXTRA))
def test_reductions_with_dim_and_keepdim(name):
    assert _audit("torch.", nerve, torch, name, EXTRA[name]) > 0


@pytest.mark.parametrize(
    "name", sorted(set(TORCH_NAMES) & {"add", "sub", "mul", "div", "eq", "lt", "maximum"})
)
def test_the_table_covers_the_common_binary_ops(name):
    assert len(_cases(getattr(torch, name), {})) == len(BINARY)


def test_the_table_is_broad():
    assert len(TORCH_NAMES) > 250 and len(F_NAMES) > 80 and len(METHOD_NAMES) > 250


# ----- tensor methods: casts, .to/.type, item, tolist, dtype names ------------------------
CASTS = ["float", "double", "long", "int", "bool", "half", "short", "char", "byte"]
DTYPE_NAMES = [
    "float32",
    "float64",
    "float16",
    "int64",
    "int32",
    "int16",
    "int8",
    "uint8",
    "bool",
    "float",
    "double",
    "half",
    "long",
    "int",
    "short",
]
MIXED = np.array([[1.5, -2.0], [0.0, 3.25]])


def _pair_of(dt):
    a = MIXED.astype(dt)
    return nerve.tensor(a.copy()), torch.tensor(a.copy())


def _same_dtype(ours, ref):
    assert str(ours.dtype) == str(ref.dtype).removeprefix("torch."), (ours.dtype, ref.dtype)


@pytest.mark.parametrize("dt", ["float32", "float64", "int64", "int32", "bool"])
@pytest.mark.parametrize("method", CASTS)
def test_cast_methods(method, dt):
    ours, ref = _pair_of(dt)
    o, r = getattr(ours, method)(), getattr(ref, method)()
    _same_dtype(o, r)
    np.testing.assert_array_equal(o.numpy(), r.numpy())


@pytest.mark.parametrize("dt", ["float32", "int64", "bool"])
@pytest.mark.parametrize("name", DTYPE_NAMES)
@pytest.mark.parametrize("via", ["to", "type"])
def test_to_and_type_take_every_dtype_name(via, name, dt):
    ours, ref = _pair_of(dt)
    o = getattr(ours, via)(getattr(nerve, name))
    r = getattr(ref, via)(getattr(torch, name))
    _same_dtype(o, r)
    np.testing.assert_array_equal(o.numpy(), r.numpy())


def test_to_the_same_dtype_returns_the_tensor_itself():
    x = nerve.ones(2)
    assert x.to(nerve.float32) is x and x.float() is x
    assert x.double() is not x


@pytest.mark.parametrize("dt", ["float32", "float64", "int64", "int32", "bool"])
def test_item_and_tolist_give_python_numbers_of_the_same_type(dt):
    ours, ref = _pair_of(dt)
    for i in range(2):
        for j in range(2):
            o, r = ours[i, j].item(), ref[i, j].item()
            assert type(o) is type(r) and o == r
    o, r = ours.tolist(), ref.tolist()
    assert o == r and all(type(a) is type(b) for a, b in zip(o[0] + o[1], r[0] + r[1]))
    assert ours[0, 1].tolist() == ref[0, 1].tolist()
    assert type(ours[0, 1].tolist()) is type(ref[0, 1].tolist())


def test_item_of_many_elements_raises_like_torch():
    with pytest.raises(RuntimeError, match="2 elements cannot be converted to Scalar"):
        nerve.ones(2).item()
    with pytest.raises(RuntimeError):
        torch.ones(2).item()


@pytest.mark.parametrize(
    "alias,canonical",
    [
        ("float", "float32"),
        ("double", "float64"),
        ("half", "float16"),
        ("long", "int64"),
        ("int", "int32"),
        ("short", "int16"),
    ],
)
def test_dtype_aliases_are_the_same_dtype(alias, canonical):
    assert getattr(nerve, alias) == getattr(nerve, canonical)
    assert getattr(torch, alias) == getattr(torch, canonical)
    assert str(getattr(nerve, alias)) == str(getattr(torch, canonical)).removeprefix("torch.")


def test_dtype_comparisons():
    x = nerve.ones(2, 3)
    assert x.dtype == nerve.float32 == nerve.float and x.dtype != nerve.float64
    assert x.long().dtype == nerve.int64 == nerve.long
    assert nerve.tensor([1, 2]).dtype == nerve.long
    assert nerve.tensor([True]).dtype == nerve.bool
    assert nerve.tensor([1.0], dtype=nerve.double).dtype == nerve.float64
    assert isinstance(x.dtype, nerve.dtype)
    assert x.is_floating_point() and not x.long().is_floating_point()


@pytest.mark.parametrize(
    "op,ours,ref",
    [
        ("int / int", lambda a, b: a / b, "float32"),
        ("int // int", lambda a, b: a // b, "int64"),
        ("div floor", lambda a, b: a.div(b, rounding_mode="floor"), "int64"),
        ("div trunc", lambda a, b: a.div(b, rounding_mode="trunc"), "int64"),
        ("int % int", lambda a, b: a % b, "int64"),
        ("int * 2.5", lambda a, b: a * 2.5, "float32"),
        ("int + True", lambda a, b: a + True, "int64"),
        ("bool + bool", lambda a, b: (a > 0) + (b > 0), "bool"),
        ("int < int", lambda a, b: a < b, "bool"),
        ("int ** 2", lambda a, b: a**2, "int64"),
        ("int ** 0.5", lambda a, b: a**0.5, "float32"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_integer_arithmetic_semantics(op, ours, ref):
    a, b = np.array([7, -7, 5]), np.array([2, 2, -3])
    o = ours(nerve.tensor(a), nerve.tensor(b))
    r = ours(torch.tensor(a), torch.tensor(b))
    assert str(o.dtype) == ref == str(r.dtype).removeprefix("torch.")
    np.testing.assert_allclose(o.numpy().astype(float), r.numpy().astype(float), rtol=1e-6)


@pytest.mark.parametrize(
    "dt,want", [("int32", "int64"), ("bool", "int64"), ("int64", "int64"), ("float32", "float32")]
)
def test_sum_and_prod_of_small_integers_are_int64(dt, want):
    ours, ref = _pair_of(dt)
    for f in ("sum", "prod", "cumsum"):
        o = getattr(ours, f)(0) if f == "cumsum" else getattr(ours, f)()
        r = getattr(ref, f)(0) if f == "cumsum" else getattr(ref, f)()
        _same_dtype(o, r)
        assert str(o.dtype) == want


@pytest.mark.parametrize("dt", ["int64", "int32", "bool"])
def test_mean_var_std_of_integers_raise_like_torch(dt):
    ours, ref = _pair_of(dt)
    for f in ("mean", "var", "std"):
        with pytest.raises(RuntimeError):
            getattr(ref, f)()
        with pytest.raises(RuntimeError, match=f"{f}.*dtype"):
            getattr(ours, f)()


# ----- indexing and shape errors --------------------------------------------------------
INDEX_ERRORS = {
    "row": lambda x, m: x[2],
    "negative row": lambda x, m: x[-3],
    "column": lambda x, m: x[:, 3],
    "both": lambda x, m: x[1, 5],
    "too many indices": lambda x, m: x[0, 0, 0],
    "list": lambda x, m: x[[0, 2]],
    "index tensor": lambda x, m: x[m.tensor([0, 5])],
    "setitem": lambda x, m: x.__setitem__(2, 0),
    "float index": lambda x, m: x[1.5],
    "select": lambda x, m: x.select(0, 2),
    "take": lambda x, m: m.take(x, m.tensor([9])),
    "mask shape": lambda x, m: x[m.tensor([True, False, True])],
    "dim of sum": lambda x, m: x.sum(2),
    "dim of unsqueeze": lambda x, m: x.unsqueeze(4),
    "dims of transpose": lambda x, m: x.transpose(0, 2),
    "cat dim": lambda x, m: m.cat([x, x], dim=2),
    "narrow": lambda x, m: x.narrow(1, 2, 2),
    "gather": lambda x, m: x.gather(1, m.tensor([[3]])),
}


@pytest.mark.parametrize("case", sorted(INDEX_ERRORS))
def test_index_errors_have_torchs_exception_type(case):
    f = INDEX_ERRORS[case]
    with pytest.raises(Exception) as ref:
        f(torch.arange(6).reshape(2, 3), torch)
    with pytest.raises(type(ref.value)):
        f(nerve.arange(6).reshape(2, 3), nerve)


SHAPE_ERRORS = [
    ("matmul", lambda m: m.matmul(m.ones(2, 3), m.ones(4, 5)), r"\(2, 3\).*\(4, 5\)"),
    ("matmul", lambda m: m.ones(2, 3) @ m.ones(4, 5), r"\(2, 3\).*\(4, 5\)"),
    ("matmul", lambda m: m.ones(3) @ m.ones(4), r"\(3,\).*\(4,\)"),
    ("matmul", lambda m: m.ones(2, 2, 3) @ m.ones(3, 3, 4), r"\(2, 2, 3\).*\(3, 3, 4\)"),
    ("matmul", lambda m: m.mm(m.ones(2, 3), m.ones(4, 5)), r"\(2, 3\).*\(4, 5\)"),
    ("matmul", lambda m: m.bmm(m.ones(2, 2, 3), m.ones(2, 4, 5)), r"\(2, 2, 3\).*\(2, 4, 5\)"),
    ("matmul", lambda m: m.dot(m.ones(3), m.ones(4)), r"\(3,\).*\(4,\)"),
    ("cat", lambda m: m.cat([m.ones(2, 3), m.ones(2, 4)]), r"\(2, 3\).*\(2, 4\)"),
    ("cat", lambda m: m.cat([m.ones(2, 3), m.ones(2, 3, 1)]), r"\(2, 3\).*\(2, 3, 1\)"),
    ("cat", lambda m: m.vstack([m.ones(2, 3), m.ones(2, 4)]), r"\(2, 3\).*\(2, 4\)"),
    ("cat", lambda m: m.hstack([m.ones(2, 3), m.ones(3, 3)]), r"\(2, 3\).*\(3, 3\)"),
    ("stack", lambda m: m.stack([m.ones(2, 3), m.ones(2, 4)]), r"\(2, 3\).*\(2, 4\)"),
    ("add", lambda m: m.ones(2, 3) + m.ones(4), r"\(2, 3\).*\(4,\)"),
    ("reshape", lambda m: m.ones(2, 3).reshape(4, 2), r"\[4, 2\].*6"),
]


@pytest.mark.parametrize("op,call,shapes", SHAPE_ERRORS, ids=[s[0] for s in SHAPE_ERRORS])
def test_shape_errors_are_runtime_errors_naming_the_op_and_both_shapes(op, call, shapes):
    with pytest.raises(RuntimeError):
        call(torch)
    with pytest.raises(RuntimeError, match=f"{op}.*{shapes}"):
        call(nerve)


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.cat([m.ones(2), 3]),
        lambda m: m.stack([]),
        lambda m: m.maximum(m.ones(2), 1),
        lambda m: m.atleast_2d(m.ones(2), 1.5),
        lambda m: m.max(m.ones(2, 3), 2.5),
    ],
)
def test_bad_arguments_raise_torchs_exception_type(call):
    with pytest.raises(Exception) as ref:
        call(torch)
    with pytest.raises(type(ref.value)):
        call(nerve)
