"""The device API on "cuda" (CuPy, or the strict stand-in): moves, identity, errors with
PyTorch's exception types and messages, numpy() refusal, map_location, DLPack."""

import numpy as np
import pytest
import torch

import nerve
from nerve.backend import array_module, device_of, strict, to_device, use_strict_device

CUDA0 = nerve.device("cuda:0")


def test_availability_and_device_objects():
    assert nerve.cuda.is_available() and nerve.cuda.device_count() >= 1
    assert nerve.cuda.current_device() == 0
    nerve.cuda.synchronize()
    nerve.cuda.set_device(0)
    assert nerve.device("cuda:0") == "cuda:0" and str(nerve.device("cuda", 0)) == "cuda:0"
    assert repr(nerve.device("cuda:0")) == repr(torch.device("cuda:0")).replace("torch.", "")
    assert nerve.cuda.is_bf16_supported() in (True, False)
    nerve.cuda.manual_seed(1)
    nerve.cuda.manual_seed_all(1)


def test_tensor_moves_and_properties():
    x = nerve.arange(6.0).reshape(2, 3)
    y = x.cuda()
    assert y.device == CUDA0 and y.is_cuda and not y.is_cpu and y.get_device() == 0
    assert x.device == nerve.device("cpu") and not x.is_cuda and x.get_device() == -1
    assert y.cuda() is y and y.to("cuda") is y and y.to(CUDA0) is y and x.cpu() is x
    back = y.cpu()
    assert back.device == nerve.device("cpu")
    np.testing.assert_array_equal(back.numpy(), x.numpy())
    assert y.to("cpu", nerve.float64).dtype == nerve.float64
    z = x.to(device="cuda", dtype=nerve.float64)
    assert z.is_cuda and z.dtype == nerve.float64
    assert x.to(y).is_cuda  # to(other) takes the other's device and dtype
    assert y.shape == (2, 3) and y.dtype == nerve.float32 and y.numel() == 6


def test_creation_on_the_device():
    nerve.manual_seed(3)
    cpu = nerve.randn(4)
    nerve.manual_seed(3)
    dev = nerve.randn(4, device="cuda")
    assert dev.is_cuda
    np.testing.assert_array_equal(dev.cpu().numpy(), cpu.numpy())  # the same draws
    for t in (
        nerve.zeros(2, device="cuda"),
        nerve.ones(2, device=CUDA0),
        nerve.empty(2, device="cuda"),
        nerve.full((2,), 3.0, device="cuda"),
        nerve.arange(3, device="cuda"),
        nerve.linspace(0, 1, 5, device="cuda"),
        nerve.eye(2, device="cuda"),
        nerve.rand(2, device="cuda"),
        nerve.randint(0, 5, (3,), device="cuda"),
        nerve.randperm(4, device="cuda"),
        nerve.tensor([1.0, 2.0], device="cuda"),
        nerve.zeros_like(dev),
        nerve.ones_like(cpu, device="cuda"),
        nerve.full_like(dev, 2.0),
        nerve.as_tensor(np.ones(2), device="cuda"),
        nerve.asarray([1.0], device="cuda"),
    ):
        assert t.is_cuda, t
    assert nerve.zeros_like(dev).is_cuda and not nerve.zeros_like(cpu).is_cuda
    leaf = nerve.zeros(2, device="cuda", requires_grad=True)
    assert leaf.is_leaf and leaf.requires_grad


def test_host_syncs_are_explicit():
    y = nerve.tensor([[1.5, 2.0]], device="cuda")
    assert y.tolist() == [[1.5, 2.0]] and y[0, 0].item() == 1.5 and float(y[0, 1]) == 2.0
    assert "device='cuda:0'" in repr(y) and repr(y).startswith("tensor([[1.5000, 2.0000]]")
    r = repr(nerve.tensor([1, 2], dtype=nerve.int32, device="cuda"))
    assert r == "tensor([1, 2], device='cuda:0', dtype=nerve.int32)"  # torch's order
    with pytest.raises(
        TypeError,
        match=r"can't convert cuda:0 device type tensor to numpy\. "
        r"Use Tensor\.cpu\(\) to copy the tensor to host "
        r"memory first\.",
    ):
        y.numpy()
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor"):
        np.asarray(y)


def test_mixing_devices_raises_like_torch():
    a, b = nerve.ones(2), nerve.ones(2, device="cuda")
    msg = (
        "Expected all tensors to be on the same device, but found at least two devices, "
        "cpu and cuda:0!"
    )
    with pytest.raises(RuntimeError, match=msg):
        a + b
    with pytest.raises(RuntimeError, match=r"cuda:0 and cpu!.*in matmul"):
        nerve.matmul(nerve.ones(2, 2, device="cuda"), nerve.ones(2, 2))


def test_a_0d_cpu_tensor_joins_device_tensors_like_a_number():
    """PyTorch lets a 0-dim CPU tensor take part in an op on cuda (as a scalar does);
    the result is on cuda, whichever side the CPU scalar is on."""
    x = nerve.tensor([3.0, 4.0], device="cuda", requires_grad=True)
    two = nerve.tensor(2.0)
    for y in (x * two, two * x, nerve.hypot(x, two), nerve.where(x > 3, x, two)):
        assert y.device == nerve.device("cuda:0")
    y = nerve.hypot(x, two)
    np.testing.assert_allclose(y.detach().cpu().numpy(), np.hypot([3.0, 4.0], 2.0), rtol=1e-6)
    (x * two).sum().backward()
    assert x.grad.device == x.device
    np.testing.assert_allclose(x.grad.cpu().numpy(), [2.0, 2.0])
    with pytest.raises(RuntimeError, match="cuda:0 and cpu!"):
        x + nerve.tensor([2.0])  # one dimension is no longer a scalar
    with pytest.raises(RuntimeError, match="cuda:0 and cpu!"):
        # nerve keeps a CPU scalar that needs a gradient off the device (its gradient
        # would be made on cuda); PyTorch allows it
        x * nerve.tensor(2.0, requires_grad=True)


def test_bad_device_index_and_missing_cupy():
    with pytest.raises(RuntimeError, match="CUDA error: invalid device ordinal"):
        nerve.zeros(2, device="cuda:7")
    with pytest.raises(RuntimeError, match="CUDA error: invalid device ordinal"):
        nerve.cuda.set_device(7)
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda device type"):
        nerve.device("tpu")
    try:
        import cupy  # noqa: F401

        return  # a machine with CuPy cannot show the missing-CuPy error
    except ImportError:
        pass
    use_strict_device(False)
    assert not nerve.cuda.is_available() and nerve.cuda.device_count() == 0
    for make in (
        lambda: nerve.zeros(2).cuda(),
        lambda: nerve.zeros(2, device="cuda"),
        lambda: nerve.nn.Linear(2, 2, device="cuda"),
        lambda: nerve.nn.Linear(2, 2).cuda(),
    ):
        with pytest.raises(AssertionError, match="pip install cupy-cuda12x") as err:
            make()
        assert isinstance(err.value, RuntimeError)  # CUDAUnavailableError is both


def test_gradients_flow_back_across_a_move():
    x = nerve.tensor([1.0, 2.0], requires_grad=True)
    y = x.cuda()
    assert y.grad_fn is not None and y.requires_grad
    (y * 1.0).cpu().sum().backward()
    assert x.grad is not None and x.grad.device == nerve.device("cpu")
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


def test_module_moves_keep_parameter_identity():
    m = nerve.nn.Sequential(nerve.nn.Linear(3, 4), nerve.nn.BatchNorm1d(4))
    params = list(m.parameters())
    opt = nerve.optim.SGD(m.parameters(), lr=0.1)
    assert m.cuda() is m
    assert [p for p in m.parameters()] == params and all(p.is_cuda for p in params)
    assert all(b.is_cuda for b in m.buffers())
    assert opt.param_groups[0]["params"][0] is params[0]
    m.to("cpu")
    assert not any(p.is_cuda for p in m.parameters())
    m.to(nerve.device("cuda"))
    assert all(p.is_cuda for p in m.parameters())
    lin = nerve.nn.Linear(2, 3, device="cuda")
    assert lin.weight.is_cuda and lin.bias.is_cuda
    conv = nerve.nn.Conv2d(1, 2, 3, device="cuda")
    assert conv.weight.is_cuda
    assert nerve.nn.LSTM(2, 3, device="cuda").weight_ih_l0.is_cuda


def test_optimizer_state_follows_the_parameter(tmp_path):
    p = nerve.nn.Parameter(nerve.ones(3))
    opt = nerve.optim.Adam([p], lr=0.1)
    opt.state[p] = {
        "step": nerve.tensor(2.0),
        "exp_avg": nerve.ones(3),
        "exp_avg_sq": nerve.ones(3),
    }
    sd = opt.state_dict()
    p.data = p.data.cuda()
    opt2 = nerve.optim.Adam([p], lr=0.1)
    opt2.load_state_dict(sd)
    state = opt2.state[p]
    assert state["exp_avg"].is_cuda and state["exp_avg_sq"].is_cuda
    assert not state["step"].is_cuda  # as PyTorch keeps the step count on the CPU


def test_checkpoints_and_map_location(tmp_path):
    path = str(tmp_path / "w.nrv")
    nerve.save({"w": nerve.arange(3.0, device="cuda"), "c": nerve.ones(2)}, path)
    back = nerve.load(path)
    assert back["w"].is_cuda and not back["c"].is_cuda
    np.testing.assert_array_equal(back["w"].cpu().numpy(), [0.0, 1.0, 2.0])
    assert not nerve.load(path, map_location="cpu")["w"].is_cuda
    assert not nerve.load(path, map_location=nerve.device("cpu"))["w"].is_cuda
    assert not nerve.load(path, map_location={"cuda:0": "cpu"})["w"].is_cuda
    assert not nerve.load(path, map_location=lambda storage, loc: storage)["w"].is_cuda
    assert nerve.load(path, map_location="cuda")["c"].is_cuda
    m = nerve.nn.Linear(2, 2, device="cuda")
    nerve.save(m.state_dict(), path)
    cpu_model = nerve.nn.Linear(2, 2)
    cpu_model.load_state_dict(nerve.load(path, map_location="cpu"))
    np.testing.assert_array_equal(
        cpu_model.weight.detach().numpy(), m.weight.detach().cpu().numpy()
    )
    use_strict_device(False)
    if not nerve.cuda.is_available():
        with pytest.raises(RuntimeError, match="map_location=nerve.device\\('cpu'\\)"):
            nerve.load(path)


def test_dlpack_with_numpy_and_torch():
    a = np.arange(4.0, dtype=np.float32)
    t = nerve.from_dlpack(a)
    a[0] = 9.0
    assert t[0].item() == 9.0  # shared memory, no copy
    x = nerve.arange(3.0)
    tt = torch.from_dlpack(x)
    x.add_(1.0) if hasattr(x, "add_") else None
    np.testing.assert_array_equal(tt.numpy(), x.numpy())
    back = nerve.from_dlpack(torch.arange(3.0))
    assert back.tolist() == [0.0, 1.0, 2.0] and not back.is_cuda
    assert x.__dlpack_device__() == torch.arange(1).__dlpack_device__()
    d = nerve.ones(2, device="cuda")
    assert d.__dlpack_device__()[0] == 2  # kDLCUDA
    assert nerve.from_dlpack(d._data).is_cuda


def test_seam_functions():
    h = np.arange(6.0).reshape(2, 3)
    d = to_device(h, "cuda")
    assert device_of(d) == CUDA0 and device_of(h) == nerve.device("cpu")
    assert array_module(h) is np and array_module(h, d) is array_module(d) is not np
    assert array_module(nerve.ones(1)) is np and array_module() is np
    np.testing.assert_array_equal(to_device(d, "cpu"), h)


@pytest.mark.skipif(nerve.backend.cupy_backend.load()[0] is not None, reason="strict rules")
def test_the_strict_array_keeps_cupys_rules():
    d = to_device(np.ones(3), "cuda")
    assert type(d) is strict.StrictArray
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
        np.asarray(d)
    for bad in (
        lambda: np.ones(3) + d,
        lambda: d + np.ones(3),
        lambda: d * np.asarray(2.0),
        lambda: np.exp(d),
        lambda: np.sum(d),
        lambda: d.__setitem__(0, np.ones(1)),
    ):
        with pytest.raises(TypeError):
            bad()
    assert (d + 1.0).sum().item() == 6.0 and (np.float32(2) * d).get().tolist() == [2.0] * 3
    xp = array_module(d)
    xp.add.at(d, xp.asarray([0, 0]), 1.0)
    assert d.get().tolist() == [3.0, 1.0, 1.0]
    with pytest.raises(NotImplementedError, match="CuPy supports accumulate only"):
        xp.maximum.accumulate(d)
    with pytest.raises(NotImplementedError):
        xp.multiply.at(d, xp.asarray([0]), 2.0)
    with pytest.raises(AttributeError):
        xp.errstate  # noqa: B018 - CuPy has none
    assert isinstance(xp.random.default_rng(0).random((2,)), strict.StrictArray)
    assert xp.float32 is np.float32 and xp.pi == np.pi


def test_accelerator_and_backends_answer_for_the_device():
    assert nerve.accelerator.is_available() and nerve.accelerator.device_count() >= 1
    assert nerve.accelerator.current_accelerator() == nerve.device("cuda")
    assert nerve.accelerator.current_device_index() == 0
    nerve.accelerator.synchronize()
    assert nerve.backends.cuda.is_built()
    nerve.backends.cuda.matmul.allow_tf32 = True  # accepted, documented as no effect
    nerve.backends.cudnn.benchmark = True
    nerve.backends.cudnn.benchmark = False
