"""nerve.autocast and nerve.cuda.amp: PyTorch's CPU-build behaviour; on "cpu" the matrix
products run in bfloat16 (ml_dtypes; tests/test_bfloat16_compute.py compares them with
torch's), and the region is reported as PyTorch's is."""

import warnings

import pytest

import nerve

torch = pytest.importorskip("torch")


def test_cpu_region_is_reported_and_runs_matmuls_in_bfloat16():
    lin = nerve.nn.Linear(3, 2)
    x = nerve.randn(4, 3)
    assert not nerve.is_autocast_enabled("cpu")
    with nerve.autocast("cpu"), torch.autocast("cpu"):
        assert nerve.is_autocast_enabled("cpu") == torch.is_autocast_enabled("cpu") is True
        assert nerve.is_autocast_enabled() == torch.is_autocast_enabled() is False
        y = lin(x)
    assert not nerve.is_autocast_enabled("cpu")
    assert y.dtype == nerve.bfloat16  # as torch's: Linear runs in bfloat16 in the region
    ref = x.numpy() @ lin.weight.detach().numpy().T + lin.bias.detach().numpy()
    assert abs(y.detach().float().numpy() - ref).max() < 0.05
    nested = nerve.amp.autocast("cpu", dtype=nerve.float16)
    with nested, nested:
        assert nerve.is_autocast_enabled("cpu")
    assert not nerve.is_autocast_enabled("cpu")


def test_decorator_and_disabled():
    @nerve.autocast("cpu")
    def inside():
        return nerve.is_autocast_enabled("cpu")

    assert inside() is True
    with nerve.autocast("cpu", enabled=False):
        assert not nerve.is_autocast_enabled("cpu")


def test_cuda_and_bad_arguments_like_torch():
    for lib in (torch, nerve):
        with pytest.warns(UserWarning, match="Disabling autocast"):
            region = lib.autocast("cuda")
        with region:
            assert not lib.is_autocast_enabled("cuda")
        with pytest.warns(UserWarning, match="target dtype is not supported"):
            assert not lib.autocast("cpu", dtype=lib.float32)._enabled
        with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
            lib.autocast(1)
        with pytest.raises(RuntimeError, match="device type at start of device string: xyz"):
            lib.autocast("xyz")
        with pytest.warns(FutureWarning, match="deprecated"):
            lib.cuda.amp.autocast()
    assert nerve.autocast("cpu").device == torch.autocast("cpu").device == "cpu"


def test_cuda_amp_grad_scaler_is_disabled():
    for lib in (torch, nerve):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            scaler = lib.cuda.amp.GradScaler()
        kinds = {w.category for w in seen}
        assert FutureWarning in kinds and UserWarning in kinds
        assert not scaler.is_enabled()
