"""Acceptance: an MLP with two hidden layers trained from identical weights by each
optimizer (and a schedule) follows PyTorch's loss at every step."""

import numpy as np
import pytest
import torch

import nerve
import nerve.nn.functional as F
from nerve import nn, optim
from nerve.optim import lr_scheduler

OPTIMIZERS = [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3}),
    ("SGD", {"lr": 0.2}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 1e-2}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.005, "momentum": 0.5, "centered": True}),
    ("RMSprop", {"lr": 0.002}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 1e-3}),
]


def _models():
    torch.manual_seed(0)
    tmodel = torch.nn.Sequential(
        torch.nn.Linear(8, 32),
        torch.nn.Tanh(),
        torch.nn.Linear(32, 16),
        torch.nn.ReLU(),
        torch.nn.Linear(16, 4),
    )
    model = nn.Sequential(
        nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 4)
    )
    tparams = dict(tmodel.named_parameters())
    names = [name for name, _ in model.named_parameters()]
    assert names == list(tparams)
    for name, p in model.named_parameters():
        p._data[...] = tparams[name].detach().numpy()
    return model, tmodel


def _data():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((64, 8)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + 2 * (x[:, 1] * x[:, 2] > 0).astype(np.int64)
    return x, y


def _losses(model, opt, x, y, steps, sched=None, lib=nerve, loss_fn=F.cross_entropy):
    xs, ys = lib.tensor(x), lib.tensor(y)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(xs), ys)
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        losses.append(loss.item())
    return np.array(losses)


@pytest.mark.parametrize("name, kwargs", OPTIMIZERS, ids=[f"{n}{k}" for n, k in OPTIMIZERS])
def test_mlp_training_follows_torch_loss(name, kwargs):
    model, tmodel = _models()
    x, y = _data()
    opt = getattr(optim, name)(model.parameters(), **kwargs)
    topt = getattr(torch.optim, name)(tmodel.parameters(), **kwargs)
    ours = _losses(model, opt, x, y, 25)
    theirs = _losses(tmodel, topt, x, y, 25, lib=torch, loss_fn=torch.nn.functional.cross_entropy)
    np.testing.assert_allclose(ours, theirs, rtol=1e-4)
    assert ours[-1] < 0.9 * ours[0]


def test_mlp_training_with_warmup_then_cosine_follows_torch():
    model, tmodel = _models()
    x, y = _data()
    opt = optim.SGD(model.parameters(), lr=0.3, momentum=0.9)
    topt = torch.optim.SGD(tmodel.parameters(), lr=0.3, momentum=0.9)
    sched = lr_scheduler.SequentialLR(
        opt,
        [
            lr_scheduler.LinearLR(opt, 0.1, total_iters=5),
            lr_scheduler.CosineAnnealingLR(opt, T_max=20),
        ],
        milestones=[5],
    )
    tsched = torch.optim.lr_scheduler.SequentialLR(
        topt,
        [
            torch.optim.lr_scheduler.LinearLR(topt, 0.1, total_iters=5),
            torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=20),
        ],
        milestones=[5],
    )
    ours = _losses(model, opt, x, y, 25, sched)
    theirs = _losses(
        tmodel, topt, x, y, 25, tsched, lib=torch, loss_fn=torch.nn.functional.cross_entropy
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-4)
    assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-12)
