"""Acceptance for the optimizers added after the first set: the two-hidden-layer MLP of
test_training trained from identical weights follows PyTorch's loss at every step; the
optimizers print like PyTorch's."""

import numpy as np
import pytest
import torch
from test_training import _data, _losses, _models

import nerve
import nerve.nn.functional as F
from nerve import optim
from nerve.optim import lr_scheduler

OPTIMIZERS = [
    ("Adadelta", {"lr": 1.0}),
    ("Adamax", {"lr": 0.01, "weight_decay": 1e-3}),
    ("NAdam", {"lr": 0.01}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.05, "decoupled_weight_decay": True}),
    ("RAdam", {"lr": 0.05}),
    ("RAdam", {"lr": 0.05, "weight_decay": 0.05, "decoupled_weight_decay": True}),
    ("Rprop", {"lr": 0.01}),
    ("ASGD", {"lr": 0.2, "t0": 10}),
]


@pytest.mark.parametrize("name, kwargs", OPTIMIZERS, ids=[f"{n}{k}" for n, k in OPTIMIZERS])
def test_mlp_training_follows_torch_loss(name, kwargs):
    model, tmodel = _models()
    x, y = _data()
    opt = getattr(optim, name)(model.parameters(), **kwargs)
    topt = getattr(torch.optim, name)(tmodel.parameters(), **kwargs)
    ours = _losses(model, opt, x, y, 25)
    theirs = _losses(tmodel, topt, x, y, 25, lib=torch, loss_fn=torch.nn.functional.cross_entropy)
    np.testing.assert_allclose(ours, theirs, rtol=1e-4)
    assert ours[-1] < 0.95 * ours[0]


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_mlp_full_batch_lbfgs_follows_torch_loss(line_search_fn):
    model, tmodel = _models()
    x, y = _data()
    opt = optim.LBFGS(model.parameters(), max_iter=4, line_search_fn=line_search_fn)
    topt = torch.optim.LBFGS(tmodel.parameters(), max_iter=4, line_search_fn=line_search_fn)

    def run(model, opt, lib, loss_fn):
        xs, ys = lib.tensor(x), lib.tensor(y)

        def closure():
            opt.zero_grad()
            loss = loss_fn(model(xs), ys)
            loss.backward()
            return loss

        return np.array([opt.step(closure).item() for _ in range(3)])

    ours = run(model, opt, nerve, F.cross_entropy)
    theirs = run(tmodel, topt, torch, torch.nn.functional.cross_entropy)
    np.testing.assert_allclose(ours, theirs, rtol=1e-3)
    assert ours[-1] < 0.8 * ours[0]


def test_mlp_training_with_cyclic_lr_follows_torch():
    model, tmodel = _models()
    x, y = _data()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    topt = torch.optim.SGD(tmodel.parameters(), lr=0.1, momentum=0.9)
    sched = lr_scheduler.CyclicLR(opt, 0.01, 0.3, step_size_up=5, mode="triangular2")
    tsched = torch.optim.lr_scheduler.CyclicLR(topt, 0.01, 0.3, step_size_up=5, mode="triangular2")
    ours = _losses(model, opt, x, y, 25, sched)
    theirs = _losses(
        tmodel, topt, x, y, 25, tsched, lib=torch, loss_fn=torch.nn.functional.cross_entropy
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-4)


@pytest.mark.parametrize("name", ["Adadelta", "Adamax", "NAdam", "RAdam", "Rprop", "ASGD", "LBFGS"])
def test_repr_matches_torch(name):
    opt = getattr(optim, name)([nerve.nn.Parameter(nerve.ones(1))])
    topt = getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(1))])
    assert repr(opt) == repr(topt)
