"""Every nerve.optim optimizer steps a small model on "cuda" (the strict stand-in on CI,
CuPy on a GPU) and gives the CPU result (rtol 1e-5); its state lives on the parameters'
device; an LR schedule drives it there."""

import numpy as np
import pytest

import nerve
from nerve import optim
from nerve.backend import is_device_array
from nerve.nn import Parameter

SHAPES = ((5, 4), (5,), (3, 5), (3,))
STEPS = 6

OPTIMIZERS = {
    "SGD": (optim.SGD, dict(lr=0.05)),
    "SGD-momentum": (optim.SGD, dict(lr=0.05, momentum=0.9, weight_decay=0.01)),
    "SGD-nesterov": (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
    "Adam-maximize": (optim.Adam, dict(lr=0.01, maximize=True)),
    "Adam": (optim.Adam, dict(lr=0.01)),
    "Adam-amsgrad": (optim.Adam, dict(lr=0.01, amsgrad=True, weight_decay=0.01)),
    "AdamW": (optim.AdamW, dict(lr=0.01)),
    "Adamax": (optim.Adamax, dict(lr=0.01, weight_decay=0.01)),
    "NAdam": (optim.NAdam, dict(lr=0.01)),
    "NAdam-decoupled": (optim.NAdam, dict(lr=0.01, weight_decay=0.01, decoupled_weight_decay=True)),
    "RAdam": (optim.RAdam, dict(lr=0.01)),
    "RAdam-decoupled": (optim.RAdam, dict(lr=0.01, weight_decay=0.01, decoupled_weight_decay=True)),
    "Adagrad": (optim.Adagrad, dict(lr=0.05, lr_decay=0.01, weight_decay=0.01)),
    "Adadelta": (optim.Adadelta, dict(lr=1.0, weight_decay=0.01)),
    "RMSprop": (optim.RMSprop, dict(lr=0.01)),
    "RMSprop-centered": (optim.RMSprop, dict(lr=0.01, momentum=0.5, centered=True)),
    "Rprop": (optim.Rprop, dict(lr=0.01)),
    "ASGD": (optim.ASGD, dict(lr=0.01, t0=2)),
    "LBFGS": (optim.LBFGS, dict(lr=0.5, max_iter=4, history_size=3)),
    "LBFGS-wolfe": (optim.LBFGS, dict(lr=1, max_iter=4, line_search_fn="strong_wolfe")),
}


def _weights():
    rng = np.random.default_rng(0)
    return [(rng.standard_normal(s) * 0.5).astype(np.float32) for s in SHAPES]


def _data(device):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((8, 4)).astype(np.float32)
    y = rng.standard_normal((8, 3)).astype(np.float32)
    return nerve.tensor(x, device=device), nerve.tensor(y, device=device)


def _loss(params, x, y):
    """A two-layer net with a smooth nonlinearity made of products (h + h²/4)."""
    w1, b1, w2, b2 = params
    h = x @ w1.transpose(0, 1) + b1
    h = h + h * h * 0.25
    d = h @ w2.transpose(0, 1) + b2 - y
    return (d * d).mean()


def _train(cls, kwargs, device, schedule=None, steps=STEPS, params=None, opt=None):
    if params is None:
        params = [Parameter(nerve.tensor(w, device=device)) for w in _weights()]
    x, y = _data(device)
    opt = cls(params, **kwargs) if opt is None else opt
    sched = schedule(opt) if schedule is not None else None

    def closure():
        opt.zero_grad()
        loss = _loss(params, x, y)
        loss.backward()
        return loss

    losses = []
    for _ in range(steps):
        losses.append(float(opt.step(closure)))
        if sched is not None:
            sched.step()
    return [p.detach().cpu().numpy() for p in params], losses, opt, params


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_steps_on_device_as_on_cpu(name):
    cls, kwargs = OPTIMIZERS[name]
    want, want_losses, _, _ = _train(cls, kwargs, "cpu")
    got, got_losses, opt, params = _train(cls, kwargs, "cuda")
    np.testing.assert_allclose(got_losses, want_losses, rtol=1e-5, atol=1e-7)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    for p in params:
        assert p.device == nerve.device("cuda:0")
        for key, value in opt.state[p].items():
            # per-element state sits beside the parameter; counters may stay on the host
            if isinstance(value, nerve.Tensor) and tuple(value.shape) == tuple(p.shape):
                assert is_device_array(value._data), (name, key)


def test_lr_schedule_drives_an_optimizer_on_device():
    def schedule(opt):
        return optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=STEPS)

    want, want_losses, _, _ = _train(optim.SGD, dict(lr=0.01, momentum=0.9), "cpu", schedule)
    got, got_losses, opt, _ = _train(optim.SGD, dict(lr=0.01, momentum=0.9), "cuda", schedule)
    np.testing.assert_allclose(got_losses, want_losses, rtol=1e-5, atol=1e-7)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    assert opt.param_groups[0]["lr"] != 0.01  # the schedule moved it


def test_plateau_schedule_reads_a_device_loss():
    params = [Parameter(nerve.tensor(w, device="cuda")) for w in _weights()]
    opt = optim.SGD(params, lr=0.1)
    sched = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    loss = nerve.tensor(1.0, device="cuda")
    for _ in range(3):
        sched.step(loss)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5**2)


@pytest.mark.parametrize("saved, loaded", [("cuda", "cpu"), ("cpu", "cuda")])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_state_saved_on_one_device_resumes_on_the_other(name, saved, loaded):
    """Three steps on one device, the optimizer's state_dict loaded into a twin on the
    other, three more steps there: the CPU's six-step result."""
    cls, kwargs = OPTIMIZERS[name]
    want, _, _, _ = _train(cls, kwargs, "cpu", steps=2 * (STEPS // 2))
    _, _, opt, params = _train(cls, kwargs, saved, steps=STEPS // 2)
    twins = [Parameter(nerve.tensor(p.detach().cpu().numpy(), device=loaded)) for p in params]
    resumed = cls(twins, **kwargs)
    resumed.load_state_dict(opt.state_dict())
    got, _, _, _ = _train(cls, kwargs, loaded, steps=STEPS // 2, params=twins, opt=resumed)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
