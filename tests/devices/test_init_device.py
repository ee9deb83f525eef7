"""nn.init on a "cuda" tensor: the draws are made on the host generator, so a seeded
initialiser fills a device tensor with exactly the CPU's numbers."""

import numpy as np
import pytest

import nerve
from nerve.backend import is_device_array
from nerve.nn import init

INITS = {
    "uniform_": lambda t: init.uniform_(t, -0.5, 2.0),
    "normal_": lambda t: init.normal_(t, 0.5, 2.0),
    "trunc_normal_": lambda t: init.trunc_normal_(t, std=0.5, a=-0.3, b=0.7),
    "trunc_normal_/tail": lambda t: init.trunc_normal_(t, a=1.5, b=4.0),
    "constant_": lambda t: init.constant_(t, 0.25),
    "ones_": init.ones_,
    "zeros_": init.zeros_,
    "eye_": lambda t: init.eye_(t[0]),
    "xavier_uniform_": init.xavier_uniform_,
    "xavier_normal_": init.xavier_normal_,
    "kaiming_uniform_": init.kaiming_uniform_,
    "kaiming_normal_": lambda t: init.kaiming_normal_(t, mode="fan_out"),
    "orthogonal_": init.orthogonal_,
    "dirac_": init.dirac_,
    "sparse_": lambda t: init.sparse_(t[0], 0.5),
}


@pytest.mark.parametrize("name", sorted(INITS))
def test_init_fills_a_device_tensor_with_the_cpu_numbers(name):
    def filled(device):
        nerve.manual_seed(3)
        t = nerve.zeros(4, 6, 3, device=device)
        INITS[name](t)
        return t

    want, got = filled("cpu"), filled("cuda")
    assert got.device == nerve.device("cuda:0") and is_device_array(got._data)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got.cpu().numpy(), want.numpy())


def test_layer_built_on_device_has_the_cpu_weights():
    nerve.manual_seed(0)
    cpu = nerve.nn.Linear(5, 3)
    nerve.manual_seed(0)
    dev = nerve.nn.Linear(5, 3, device="cuda")
    assert dev.weight.device == nerve.device("cuda:0")
    np.testing.assert_array_equal(dev.weight.detach().cpu().numpy(), cpu.weight.detach().numpy())
    np.testing.assert_array_equal(dev.bias.detach().cpu().numpy(), cpu.bias.detach().numpy())
