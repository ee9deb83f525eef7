"""nerve.cuda answers as a CPU-only PyTorch's torch.cuda does (torch is this CPU build)."""

import warnings

import pytest

import nerve

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(torch.cuda.is_available(), reason="the oracle is a CPU build")

SAME = [
    "is_available",
    "device_count",
    "is_initialized",
    "is_bf16_supported",
    "get_arch_list",
    "get_rng_state_all",
    "empty_cache",
    "memory_allocated",
    "max_memory_allocated",
    "memory_reserved",
    "max_memory_reserved",
    "seed",
    "seed_all",
]
RAISE = [
    "current_device",
    "synchronize",
    "get_device_name",
    "get_device_properties",
    "get_device_capability",
    "init",
    "initial_seed",
    "get_rng_state",
    "current_stream",
    "mem_get_info",
    "ipc_collect",
]


def _outcome(fn, *args):
    try:
        return "ok", fn(*args)
    except Exception as err:  # noqa: BLE001 - the type is what is compared
        return "raises", type(err)


@pytest.mark.parametrize("name", SAME)
def test_same_answer_as_torch(name):
    assert getattr(nerve.cuda, name)() == getattr(torch.cuda, name)()


@pytest.mark.parametrize("name", RAISE)
def test_needs_a_gpu_raises_like_torch(name):
    args = (0,) if name in ("get_device_properties",) else ()
    kind, theirs = _outcome(getattr(torch.cuda, name), *args)
    assert kind == "raises" and theirs is AssertionError
    with pytest.raises(AssertionError, match="pip install cupy-cuda12x"):
        getattr(nerve.cuda, name)(*args)


def test_seeding_is_a_silent_no_op():
    nerve.manual_seed(0)
    expected = nerve.rand(3).tolist()
    nerve.manual_seed(0)
    state = nerve.get_rng_state()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for fn in (nerve.cuda.manual_seed, nerve.cuda.manual_seed_all):
            assert fn(1234) is None and torch.cuda.manual_seed_all(1234) is None
        nerve.cuda.set_rng_state(state)
        nerve.cuda.set_rng_state_all([])
    assert nerve.rand(3).tolist() == expected  # the CPU generator is untouched


def test_set_device():
    with pytest.raises(ValueError, match="Expected a cuda device, but got: cpu"):
        torch.cuda.set_device("cpu")
    with pytest.raises(ValueError, match="Expected a cuda device, but got: cpu"):
        nerve.cuda.set_device("cpu")
    with pytest.raises(AssertionError, match="pip install cupy-cuda12x"):
        nerve.cuda.set_device(0)


def test_device_context_streams_events():
    with torch.cuda.device(-1), nerve.cuda.device(-1):  # a negative index selects nothing
        pass
    for lib in (torch, nerve):
        with pytest.raises(RuntimeError), lib.cuda.device(0):
            pass
        with pytest.raises(RuntimeError):
            lib.cuda.Stream()
        with pytest.raises(RuntimeError):
            lib.cuda.Event()


def test_tensors_and_layers_refuse_cuda():
    x = nerve.zeros(2)
    assert x.is_cuda is torch.zeros(2).is_cuda is False
    assert x.is_cpu and x.get_device() == torch.zeros(2).get_device() == -1
    assert x.cpu() is x and x.to("cpu") is x and x.device == nerve.device("cpu")
    for make in (
        lambda lib: lib.zeros(2).cuda(),
        lambda lib: lib.zeros(2).to("cuda"),
        lambda lib: lib.zeros(2).to(device="cuda:0"),
        lambda lib: lib.zeros(2, device="cuda"),
        lambda lib: lib.tensor([1.0], device="cuda"),
        lambda lib: lib.randn(2, device=lib.device("cuda")),
        lambda lib: lib.nn.Linear(2, 2, device="cuda"),
        lambda lib: lib.nn.Linear(2, 2, True, "cuda"),
        lambda lib: lib.nn.Conv2d(1, 1, 3, device="cuda"),
        lambda lib: lib.nn.LSTM(2, 3, device="cuda"),
        lambda lib: lib.nn.Embedding(3, 2, device="cuda"),
        lambda lib: lib.nn.LayerNorm(2, device="cuda"),
        lambda lib: lib.nn.Linear(2, 2).cuda(),
        lambda lib: lib.nn.Linear(2, 2).to("cuda"),
    ):
        with pytest.raises(AssertionError):
            make(torch)
        with pytest.raises(AssertionError, match="pip install cupy-cuda12x"):
            make(nerve)
    # the error is a RuntimeError too (what nerve raised before)
    with pytest.raises(RuntimeError, match="cuda"):
        nerve.zeros(2, device="cuda")
    assert nerve.nn.Linear(2, 2, device="cpu").weight.device == nerve.device("cpu")


def test_device_objects():
    for name in ("cuda", "cuda:1", "cpu"):
        assert repr(nerve.device(name)) == repr(torch.device(name)).replace("torch.", "")
