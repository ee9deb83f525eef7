"""nerve.bfloat16 as a dtype: the lazy placeholder, promotion, finfo, creation and casts,
printing, save/load, the strict device's refusal, and the message without ml_dtypes.
torch's bfloat16 is the oracle; tests/test_bfloat16_compute.py checks the arithmetic."""

import copy
import io
import pickle
import subprocess
import sys
import textwrap
import warnings
import zipfile

import numpy as np
import pytest

import nerve

torch = pytest.importorskip("torch")
ml_dtypes = pytest.importorskip("ml_dtypes")
BF16 = np.dtype(ml_dtypes.bfloat16)


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )


# ----- the dtype object -----------------------------------------------------------------
def test_placeholder_equals_hashes_and_prints_like_a_dtype():
    x = nerve.ones(3, dtype=nerve.bfloat16)
    assert x.dtype == BF16 and x.dtype == nerve.bfloat16 and nerve.bfloat16 == x.dtype
    assert not x.dtype != nerve.bfloat16 and nerve.float32 != nerve.bfloat16
    assert nerve.bfloat16 != nerve.float32 and nerve.bfloat16 != nerve.float16
    assert {nerve.bfloat16: "b", nerve.float32: "f"}[x.dtype] == "b"
    assert {"bfloat16": nerve.bfloat16}["bfloat16"] is nerve.bfloat16
    assert repr(nerve.bfloat16) == "nerve.bfloat16" and str(nerve.bfloat16) == "bfloat16"
    assert nerve.bfloat16.itemsize == torch.bfloat16.itemsize == 2
    assert copy.deepcopy(nerve.bfloat16) is nerve.bfloat16
    assert pickle.loads(pickle.dumps(nerve.bfloat16)) is nerve.bfloat16
    assert nerve.dtypes.is_floating(nerve.bfloat16) and nerve.dtypes.is_floating(BF16)
    assert not nerve.dtypes.is_floating(np.dtype("V2"))  # raw void bytes are not bf16


def test_import_nerve_does_not_import_ml_dtypes():
    r = _run("""
        import sys, nerve
        assert "ml_dtypes" not in sys.modules
        d = {"float32": nerve.float32, "bfloat16": nerve.bfloat16}  # nanoGPT's table
        y = nerve.ones(2) * 2
        assert "ml_dtypes" not in sys.modules, "made a float32 tensor"
        print(repr(d["bfloat16"]))
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "nerve.bfloat16"


def test_without_ml_dtypes_the_error_says_what_to_install():
    r = _run("""
        import sys
        sys.modules["ml_dtypes"] = None  # as if it were not installed
        import warnings
        import nerve
        assert repr(nerve.bfloat16) == "nerve.bfloat16"
        assert {nerve.bfloat16: 1}[nerve.bfloat16] == 1
        assert nerve.ones(2).dtype != nerve.bfloat16 and nerve.float32 != nerve.bfloat16
        uses = [lambda: nerve.ones(2, dtype=nerve.bfloat16), lambda: nerve.ones(2).bfloat16(),
                lambda: nerve.ones(2).to(nerve.bfloat16), lambda: nerve.finfo(nerve.bfloat16),
                lambda: nerve.BFloat16Tensor(2), lambda: nerve.zeros(2, dtype="bfloat16")]
        for use in uses:
            try:
                use()
            except ImportError as err:
                assert "pip install ml_dtypes" in str(err) and "nerve[bf16]" in str(err), err
            else:
                raise AssertionError("no error")
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            with nerve.autocast("cpu"):
                y = nerve.nn.Linear(2, 2)(nerve.ones(1, 2))
        assert y.dtype == nerve.float32
        assert any("pip install ml_dtypes" in str(w.message) for w in seen)
        print("ok")
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


# ----- promotion, finfo ---------------------------------------------------------------
PAIRS = [
    ("bfloat16", "float32"),
    ("bfloat16", "float16"),
    ("bfloat16", "float64"),
    ("bfloat16", "int64"),
    ("bfloat16", "int32"),
    ("bfloat16", "uint8"),
    ("bfloat16", "bool"),
    ("bfloat16", "bfloat16"),
]


@pytest.mark.parametrize("a, b", PAIRS)
def test_promotion_matches_torch(a, b):
    ta, tb = getattr(torch, a), getattr(torch, b)
    na, nb = getattr(nerve, a), getattr(nerve, b)
    for x_shape, y_shape in (((3,), (3,)), ((3,), ()), ((), (3,))):
        tx, ty = torch.ones(x_shape, dtype=ta), torch.ones(y_shape, dtype=tb)
        nx, ny = nerve.ones(*x_shape, dtype=na), nerve.ones(*y_shape, dtype=nb)
        want = str((tx + ty).dtype).rpartition(".")[2]
        assert str((nx + ny).dtype) == want, (x_shape, y_shape)
        assert str(nerve.result_type(nx, ny)) == str(torch.result_type(tx, ty))[6:]
    assert str(nerve.promote_types(na, nb)) == str(torch.promote_types(ta, tb))[6:]
    for f, t in ((na, nb), (nb, na)):
        tf, tt = (
            getattr(torch, str(np.dtype(f)) if f is not nerve.bfloat16 else "bfloat16"),
            getattr(torch, str(np.dtype(t)) if t is not nerve.bfloat16 else "bfloat16"),
        )
        assert nerve.can_cast(f, t) == torch.can_cast(tf, tt)


def test_python_numbers_keep_bfloat16_as_torch():
    x = nerve.ones(3, dtype=nerve.bfloat16)
    t = torch.ones(3, dtype=torch.bfloat16)
    for v in (2.5, 3, True):
        assert (x + v).dtype == nerve.bfloat16 and (t + v).dtype == torch.bfloat16
        assert (v * x).dtype == nerve.bfloat16
    assert nerve.result_type(x, 2.5) == nerve.bfloat16
    assert (
        nerve.result_type(nerve.ones(3, dtype=nerve.int64), nerve.tensor(1.0, dtype=nerve.bfloat16))
        == nerve.bfloat16
        == BF16
    )


def test_finfo_matches_torch():
    n, t = nerve.finfo(nerve.bfloat16), torch.finfo(torch.bfloat16)
    for name in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
        assert getattr(n, name) == getattr(t, name), name
    assert n.dtype == t.dtype == "bfloat16"
    assert nerve.finfo(nerve.bfloat16) == nerve.finfo("bfloat16")
    with pytest.raises(TypeError, match="iinfo"):
        nerve.finfo(nerve.int32)
    with pytest.raises(TypeError, match="finfo"):
        nerve.iinfo(nerve.bfloat16)


# ----- creation, casts, flags, printing ---------------------------------------------
def test_creation_and_casts_match_torch():
    vals = [1.0, -2.5, 3.3, 1e-3, 65504.0, 3.0e38]
    t = torch.tensor(vals, dtype=torch.bfloat16)
    for n in (
        nerve.tensor(vals, dtype=nerve.bfloat16),
        nerve.tensor(vals).to(nerve.bfloat16),
        nerve.tensor(vals).bfloat16(),
        nerve.tensor(vals).type(nerve.bfloat16),
        nerve.tensor(vals, dtype=nerve.float64).to(dtype=nerve.bfloat16),
    ):
        assert n.dtype == nerve.bfloat16
        np.testing.assert_array_equal(n.float().numpy(), t.float().numpy())
        assert n.float().dtype == nerve.float32 and n.double().dtype == nerve.float64
    for make in ("zeros", "ones", "empty", "randn", "rand"):
        assert getattr(nerve, make)(2, 3, dtype=nerve.bfloat16).dtype == nerve.bfloat16
    assert nerve.full((2,), 1.5, dtype=nerve.bfloat16).dtype == nerve.bfloat16
    assert nerve.arange(3, dtype=nerve.bfloat16).tolist() == [0.0, 1.0, 2.0]
    x = nerve.ones(2, dtype=nerve.bfloat16)
    assert nerve.zeros_like(x).dtype == nerve.randn_like(x).dtype == nerve.bfloat16
    a = np.array([1.5, 2.0], dtype=BF16)
    assert nerve.from_numpy(a).dtype == nerve.as_tensor(a).dtype == nerve.bfloat16
    assert nerve.tensor([1, 2]).bfloat16().dtype == nerve.bfloat16


def test_floating_flags_and_legacy_names():
    x = nerve.ones(2, dtype=nerve.bfloat16)
    tx = torch.ones(2, dtype=torch.bfloat16)
    assert x.is_floating_point() == tx.is_floating_point() is True
    assert nerve.is_floating_point(x) and not x.is_complex()
    assert x.requires_grad_().requires_grad
    assert x.type() == "nerve.BFloat16Tensor" and tx.type() == "torch.BFloat16Tensor"
    assert isinstance(x, nerve.BFloat16Tensor) and not isinstance(x, nerve.FloatTensor)
    assert not isinstance(nerve.ones(2), nerve.BFloat16Tensor)
    assert nerve.BFloat16Tensor([1.0, 2.0]).dtype == nerve.bfloat16
    assert nerve.BFloat16Tensor(2, 3).shape == (2, 3)


def test_default_dtype_may_be_bfloat16():
    try:
        nerve.set_default_dtype(nerve.bfloat16)
        assert nerve.get_default_dtype() == nerve.bfloat16
        assert nerve.tensor([1.5]).dtype == nerve.bfloat16 == nerve.ones(2).dtype
    finally:
        nerve.set_default_dtype(nerve.float32)


def test_repr_as_torch():
    vals = [[1.234567, -2.5], [1e-3, 300.0]]
    n = nerve.tensor(vals, dtype=nerve.bfloat16)
    t = torch.tensor(vals, dtype=torch.bfloat16)
    assert repr(n) == repr(t).replace("torch.", "nerve.")
    assert "dtype=nerve.bfloat16, requires_grad=True" in repr(n.requires_grad_())


def test_module_casts():
    lin = nerve.nn.Linear(3, 2).to(nerve.bfloat16)
    assert lin.weight.dtype == lin.bias.dtype == nerve.bfloat16
    assert isinstance(lin.weight, nerve.nn.Parameter) and lin.weight.requires_grad
    lin.float()
    assert lin.weight.dtype == nerve.float32
    for lib in (torch, nerve):
        m = lib.nn.Linear(3, 2)
        assert m.bfloat16() is m and m.weight.dtype == m.bias.dtype == lib.bfloat16
        assert m.half().weight.dtype == lib.float16


def test_assert_close_uses_torchs_bfloat16_tolerance():
    for lib in (torch, nerve):
        x = lib.tensor([1.0, 2.0]).bfloat16()
        lib.testing.assert_close(x, lib.tensor([1.0078125, 2.0]).bfloat16())  # 1 ulp
        with pytest.raises(AssertionError, match="not close"):
            lib.testing.assert_close(x, lib.tensor([1.03125, 2.0]).bfloat16())


def test_anomaly_mode_sees_a_bfloat16_nan():
    for lib in (torch, nerve):
        x = lib.tensor([1.0, 0.0]).bfloat16().requires_grad_()
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")  # torch's "Anomaly Detection has been enabled"
            with pytest.raises(RuntimeError, match="nan"), lib.autograd.detect_anomaly():
                (x.log() * 0).sum().backward()  # log's backward: 0 / 0 at x = 0


def test_standardize_keeps_a_bfloat16_dtype():
    x = nerve.randn(8, 3).bfloat16()
    std = nerve.data.transforms.Standardize(dim=0).fit(x)
    assert std.mean.dtype == std.std.dtype == nerve.bfloat16


# ----- save and load -------------------------------------------------------------------
def test_save_load_round_trip_says_bfloat16(tmp_path):
    x = nerve.randn(4, 3).bfloat16()
    p = nerve.nn.Parameter(nerve.randn(2).bfloat16())
    obj = {
        "x": x,
        "p": p,
        "arr": np.arange(3).astype(BF16),
        "scalar": BF16.type(1.5),
        "dtype": nerve.bfloat16,
        "np_dtype": BF16,
        "f32": nerve.ones(2),
    }
    path = tmp_path / "bf16.pt"
    nerve.save(obj, path)
    out = nerve.load(path)
    assert out["x"].dtype == nerve.bfloat16 and type(out["p"]) is nerve.nn.Parameter
    np.testing.assert_array_equal(out["x"].float().numpy(), x.float().numpy())
    np.testing.assert_array_equal(out["p"].float().detach().numpy(), p.float().detach().numpy())
    assert out["arr"].dtype == BF16 and out["arr"].tolist() == [0.0, 1.0, 2.0]
    assert out["scalar"].dtype == BF16 and float(out["scalar"]) == 1.5
    assert out["dtype"] is nerve.bfloat16 and out["np_dtype"] == nerve.bfloat16
    assert out["f32"].dtype == nerve.float32
    with zipfile.ZipFile(path) as z:
        header = z.read("__nerve__.npy").decode("latin-1")
    assert '"dtype": "bfloat16"' in header and "V2" not in header  # named, not void bytes


def test_model_state_dict_round_trip(tmp_path):
    model = nerve.nn.Sequential(nerve.nn.Linear(3, 4), nerve.nn.ReLU(), nerve.nn.Linear(4, 1))
    model.to(nerve.bfloat16)
    buf = io.BytesIO()
    nerve.save(model.state_dict(), buf)
    buf.seek(0)
    fresh = nerve.nn.Sequential(nerve.nn.Linear(3, 4), nerve.nn.ReLU(), nerve.nn.Linear(4, 1))
    fresh.to(nerve.bfloat16).load_state_dict(nerve.load(buf))
    x = nerve.randn(2, 3).bfloat16()
    np.testing.assert_array_equal(
        fresh(x).float().detach().numpy(), model(x).float().detach().numpy()
    )


def _rewrite_header(path, old: str, new: str):
    """The file with its structure entry edited and its digests fixed (a consistent file
    whose dtype claim is bad, as a hostile or buggy writer could make)."""
    import hashlib
    import json

    with zipfile.ZipFile(path) as z:
        members = {n[:-4]: np.load(io.BytesIO(z.read(n))) for n in z.namelist()}
    header = json.loads(members["__nerve__"].tobytes())
    text = json.dumps(header).replace(old, new)
    members["__nerve__"] = np.frombuffer(text.encode(), np.uint8)
    members["__nerve_sha256__"] = np.frombuffer(
        hashlib.sha256(text.encode()).hexdigest().encode(), np.uint8
    )
    with open(path, "wb") as f:  # (np.savez would add ".npz" to the name)
        np.savez(f, **members)


def test_unknown_or_mismatched_dtype_is_refused(tmp_path):
    path = tmp_path / "t.pt"
    nerve.save({"x": nerve.ones(2).bfloat16()}, path)
    _rewrite_header(path, '"dtype": "bfloat16"', '"dtype": "bfloat8"')
    with pytest.raises(nerve.io.LoadError, match="unknown dtype 'bfloat8'"):
        nerve.load(path)
    nerve.save({"x": nerve.ones(2)}, path)  # float32 bytes claimed to be bfloat16
    _rewrite_header(path, '"requires_grad"', '"dtype": "bfloat16", "requires_grad"')
    with pytest.raises(nerve.io.LoadError, match="bfloat16 entry .* holds <f4"):
        nerve.load(path)


def test_corrupted_bfloat16_bytes_fail_the_digest(tmp_path):
    path = tmp_path / "t.pt"
    nerve.save({"x": nerve.arange(64).bfloat16()}, path)
    raw = bytearray(path.read_bytes())
    i = raw.find(np.arange(64).astype(BF16).tobytes()[20:40])
    assert i > 0
    raw[i + 3] ^= 0x40
    path.write_bytes(bytes(raw))
    with pytest.raises(nerve.io.LoadError, match="corrupt|SHA-256"):
        nerve.load(path)


def test_loading_bfloat16_without_ml_dtypes_says_so(tmp_path):
    path = tmp_path / "t.pt"
    nerve.save({"x": nerve.ones(2).bfloat16(), "y": nerve.ones(2)}, path)
    r = _run(f"""
        import sys
        sys.modules["ml_dtypes"] = None
        import nerve
        try:
            nerve.load({str(path)!r})
        except ImportError as err:
            print("ImportError:", err)
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("ImportError:") and "pip install ml_dtypes" in r.stdout


# ----- devices ---------------------------------------------------------------------
def test_cuda_has_no_bfloat16_even_on_the_strict_device():
    from nerve.backend import use_strict_device

    assert nerve.cuda.is_bf16_supported() is False  # CuPy has no bfloat16 dtype
    use_strict_device(True)
    try:
        x = nerve.ones(2, dtype=nerve.bfloat16)
        for move in (
            lambda: x.to("cuda"),
            lambda: x.cuda(),
            lambda: nerve.ones(2, dtype=nerve.bfloat16, device="cuda"),
            lambda: nerve.ones(2, device="cuda").to(nerve.bfloat16),
            lambda: nerve.nn.Linear(2, 2).cuda().to(nerve.bfloat16),
        ):
            with pytest.raises(TypeError, match="CuPy, which has no bfloat16"):
                move()
        assert nerve.cuda.is_bf16_supported() is False
    finally:
        use_strict_device(None)
