"""Check a nerve layer against its PyTorch twin: copy the twin's state_dict into the nerve
layer, run both on the same input, backpropagate the same upstream gradient, and compare
outputs, input gradients, parameter gradients (by name) and buffers."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import numpy as np
import torch

import nerve


def load_from_torch(module, tmodule) -> None:
    """Copy the twin's weights; the keys must match exactly (strict loading)."""
    module.load_state_dict({k: v.detach().numpy() for k, v in tmodule.state_dict().items()})


def twin_check(
    module,
    tmodule,
    x,
    train: bool = True,
    rtol: float = 1e-4,
    atol: float = 1e-5,
    copy: bool = True,
    seed: int = 0,
):
    """Run both on ``x`` (a NumPy array or a shape); returns the nerve output."""
    rng = np.random.default_rng(seed)
    if isinstance(x, tuple):
        x = rng.standard_normal(x).astype(np.float32)
    if copy:
        load_from_torch(module, tmodule)
    assert list(module.state_dict()) == list(tmodule.state_dict())
    module.train(train)
    tmodule.train(train)
    xn = nerve.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    y, yt = module(xn), tmodule(xt)
    assert tuple(y.shape) == tuple(yt.shape)
    assert y.dtype == yt.detach().numpy().dtype
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=rtol, atol=atol)
    dy = rng.standard_normal(tuple(yt.shape)).astype(x.dtype)
    y.backward(nerve.tensor(dy))
    yt.backward(torch.from_numpy(dy))
    np.testing.assert_allclose(xn.grad.numpy(), xt.grad.numpy(), rtol=rtol, atol=atol)
    tparams = dict(tmodule.named_parameters())
    for name, p in module.named_parameters():
        tp = tparams.pop(name)
        assert isinstance(p.grad, nerve.Tensor), name
        assert p.grad.dtype == p.dtype and p.grad.shape == p.shape
        np.testing.assert_allclose(
            p.grad.numpy(), tp.grad.numpy(), rtol=rtol, atol=atol, err_msg=name
        )
    assert not tparams, f"parameters missing in nerve: {list(tparams)}"
    tbuffers = dict(tmodule.named_buffers())
    for name, b in module.named_buffers():
        np.testing.assert_allclose(
            b.numpy(), tbuffers.pop(name).numpy(), rtol=rtol, atol=atol, err_msg=name
        )
    assert not tbuffers
    return y


@dataclass
class Twin:
    """A layer and its PyTorch twin, as a row: ``make()`` returns (nerve layer, torch
    layer); ``x`` is the input shape. Every Twin made is recorded in ``TWINS`` (keyed
    "file::name"), so that tests/devices runs each one on the device too."""

    name: str
    make: object
    x: tuple
    train: bool = True
    rtol: float = 1e-4
    atol: float = 1e-5

    def __post_init__(self) -> None:
        caller = sys._getframe(2).f_globals.get("__file__") or "?"
        where = os.path.relpath(caller, _TESTS).replace(os.sep, "/")
        TWINS.setdefault(f"{where}::{self.name}", self)

    def __str__(self) -> str:
        return self.name

    def check(self):
        """The twin check on the CPU (weights transplanted from the torch layer)."""
        module, tmodule = self.make()
        return twin_check(module, tmodule, self.x, train=self.train, rtol=self.rtol, atol=self.atol)


_TESTS = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TWINS: dict = {}
