"""nerve.backends and nerve.accelerator: CPU PyTorch's defaults and answers; the flags
are settable (and change nothing in nerve)."""

import pytest

import nerve

torch = pytest.importorskip("torch")

FLAGS = [
    ("cudnn", "enabled"),
    ("cudnn", "benchmark"),
    ("cudnn", "deterministic"),
    ("cudnn", "allow_tf32"),
    ("cudnn", "benchmark_limit"),
]
MATMUL = [
    "allow_tf32",
    "allow_fp16_reduced_precision_reduction",
    "allow_bf16_reduced_precision_reduction",
    "fp32_precision",
]


@pytest.mark.parametrize("module, name", FLAGS)
def test_cudnn_defaults_and_setting(module, name):
    ours = getattr(nerve.backends, module)
    assert getattr(ours, name) == getattr(getattr(torch.backends, module), name)
    old = getattr(ours, name)
    setattr(ours, name, not old)
    try:
        assert getattr(ours, name) == (not old)
    finally:
        setattr(ours, name, old)


@pytest.mark.parametrize("name", MATMUL)
def test_matmul_flags(name):
    assert getattr(nerve.backends.cuda.matmul, name) == getattr(torch.backends.cuda.matmul, name)
    old = getattr(nerve.backends.cuda.matmul, name)
    nerve.backends.cuda.matmul.__setattr__(name, old)
    nerve.backends.cuda.matmul.allow_tf32 = True
    assert nerve.backends.cuda.matmul.allow_tf32 is True
    nerve.backends.cuda.matmul.allow_tf32 = False


def test_unknown_matmul_flag():
    for lib in (torch, nerve):
        with pytest.raises(AttributeError, match="Unknown attribute xyz"):
            lib.backends.cuda.matmul.xyz  # noqa: B018
        with pytest.raises(AttributeError, match="Unknown attribute xyz"):
            lib.backends.cuda.matmul.xyz = 1


def test_availability():
    for query in (
        "backends.mps.is_available",
        "backends.mps.is_built",
        "backends.cuda.is_built",
        "backends.cudnn.is_available",
        "backends.cudnn.version",
        "backends.cuda.flash_sdp_enabled",
        "backends.cuda.math_sdp_enabled",
        "accelerator.is_available",
        "accelerator.current_accelerator",
        "accelerator.device_count",
    ):
        ours, theirs = nerve, torch
        for part in query.split("."):
            ours, theirs = getattr(ours, part), getattr(theirs, part)
        assert ours() == theirs(), query


def test_cudnn_flags_context():
    with nerve.backends.cudnn.flags(enabled=False, deterministic=True):
        assert nerve.backends.cudnn.enabled is False and nerve.backends.cudnn.deterministic
    assert nerve.backends.cudnn.enabled is True and not nerve.backends.cudnn.deterministic


def test_accelerator_without_one():
    for name in ("current_device_index", "synchronize"):
        for lib in (torch, nerve):
            with pytest.raises(RuntimeError, match="none is available"):
                getattr(lib.accelerator, name)()
