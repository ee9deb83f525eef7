"""Run under mpiexec by test_data_parallel.py. The digits MLP and a small CNN trained K
steps by DistributedDataParallel, each rank on its half of every batch, against one
process (here: a replica on each rank) trained on whole batches: same weights (rtol
1e-5) and the same loss trajectory; also with no_sync gradient accumulation, unused
parameters and buffers. Prints ``DDP <rank> <what> <max rel diff>`` lines."""

import contextlib
import datetime

import numpy as np

import nerve
import nerve.distributed as dist
from nerve import nn
from nerve.data.datasets import load_digits
from nerve.nn.parallel import DistributedDataParallel as DDP  # noqa: N817 - torch's idiom

dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=30))
R, N = dist.get_rank(), dist.get_world_size()
K, B = 6, 32  # steps, whole-batch size
x_all, y_all = load_digits("train", flatten=False)
X = (x_all.numpy()[: K * B] / 16.0).astype(np.float32)
Y = y_all.numpy()[: K * B]


def mlp():
    return nn.Sequential(
        nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)
    )


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64, 10),
    )


def rel(a, b):
    return float(np.max(np.abs(a - b) / (np.abs(b) + 1e-6)))


def compare(name, make, flatten, opt_cls, micro=1, dtype=np.float32, **ddp_kw):
    nerve.manual_seed(100 + R)  # each rank starts different: DDP must broadcast rank 0's
    model = make().to(dtype)
    ddp = DDP(model, **ddp_kw)
    ref = make().to(dtype)
    ref.load_state_dict(model.state_dict())
    opt, ref_opt = opt_cls(ddp.parameters(), lr=0.01), opt_cls(ref.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    losses, ref_losses = [], []
    half, part = B // N, B // N // micro
    for k in range(K):
        xb = X[k * B : (k + 1) * B].astype(dtype)
        xb = xb.reshape(B, -1) if flatten else xb
        yb = Y[k * B : (k + 1) * B]
        mine = slice(R * half, (R + 1) * half)
        opt.zero_grad()
        step_loss = 0.0
        for m in range(micro):  # the first micro-1 backwards accumulate locally
            sl = slice(mine.start + m * part, mine.start + (m + 1) * part)
            ctx = ddp.no_sync() if m < micro - 1 else contextlib.nullcontext()
            with ctx:
                loss = loss_fn(ddp(nerve.tensor(xb[sl])), nerve.tensor(yb[sl])) / micro
                loss.backward()
            step_loss += loss.item()
        opt.step()
        mean = nerve.tensor([step_loss], dtype=nerve.float64)
        dist.all_reduce(mean, dist.ReduceOp.AVG)
        losses.append(mean.item())
        ref_opt.zero_grad()
        ref_loss = loss_fn(ref(nerve.tensor(xb)), nerve.tensor(yb))
        ref_loss.backward()
        ref_opt.step()
        ref_losses.append(ref_loss.item())
    w = max(
        rel(a.numpy(), b.numpy())
        for a, b in zip(model.state_dict().values(), ref.state_dict().values())
    )
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-5)
    for p, q in zip(model.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-7)
    # replicas stay identical across ranks
    got = [None] * N
    dist.all_gather_object(got, [p.detach().numpy() for p in model.parameters()])
    for theirs in got:
        for a, b in zip(theirs, model.parameters()):
            assert np.array_equal(a, b.detach().numpy())
    print(
        f"DDP {R} {name} weights {w:.2e} losses {rel(np.array(losses), np.array(ref_losses)):.2e}"
        f" first {ref_losses[0]:.4f} last {ref_losses[-1]:.4f}",
        flush=True,
    )


compare("mlp-sgd", mlp, True, nerve.optim.SGD)
# Adam divides by sqrt(v): float32 rounding differences of tiny gradients grow past
# 1e-5 there, so Adam runs in float64
compare("mlp-adam-small-buckets", mlp, True, nerve.optim.Adam, dtype=np.float64, bucket_cap_mb=0.01)
compare("cnn-sgd", cnn, False, nerve.optim.SGD)
compare("cnn-adam", cnn, False, nerve.optim.Adam, dtype=np.float64, bucket_cap_mb=0.005)
compare("mlp-no_sync-2", mlp, True, nerve.optim.SGD, micro=2)
compare("cnn-no_sync-2", cnn, False, nerve.optim.Adam, micro=2, dtype=np.float64)


# unused parameters: an error naming them, or zeros with find_unused_parameters
class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.used, self.unused = nn.Linear(4, 2), nn.Linear(4, 2)

    def forward(self, x):
        return self.used(x)


for find in (False, True):
    nerve.manual_seed(0)
    m = DDP(Branchy(), find_unused_parameters=find)
    try:
        m(nerve.ones(3, 4) * (R + 1)).sum().backward()
        assert find, "expected an error about unused parameters"
        assert m.module.unused.weight.grad is None
        np.testing.assert_allclose(
            m.module.used.weight.grad.numpy(), np.full((2, 4), 3 * (1 + N) / 2)
        )
    except RuntimeError as e:
        assert not find and "unused.weight" in str(e) and "find_unused_parameters" in str(e)
print(f"DDP {R} unused ok", flush=True)

# buffers: rank 0's at construction and before each training forward
nerve.manual_seed(R)
bn = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4))
bn[1].running_mean.fill_(R + 1.0)
d = DDP(bn)
assert np.all(bn[1].running_mean.numpy() == 1.0)
assert list(d.state_dict())[0] == "module.0.weight" and d.module is bn
d(nerve.randn(8, 4) + R).sum().backward()
print(f"DDP {R} buffers ok", flush=True)


# SyncBatchNorm: 2 ranks on halves normalise with the whole batch's statistics
g = np.random.default_rng(0)
XB, DB = g.standard_normal((8, 3, 4, 4)) * 2 + 1, g.standard_normal((8, 4, 4, 4))


def conv_bn():
    nerve.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4)).double()


ref = conv_bn()
xr = nerve.tensor(XB, requires_grad=True)
yr = ref(xr)
(yr * nerve.tensor(DB)).sum().backward()
sync = nn.SyncBatchNorm.convert_sync_batchnorm(conv_bn())
assert type(sync[1]) is nn.SyncBatchNorm
d = DDP(sync)
sl = slice(R * 8 // N, (R + 1) * 8 // N)
xs = nerve.tensor(XB[sl], requires_grad=True)
ys = d(xs)
(ys * nerve.tensor(DB[sl])).sum().backward()
np.testing.assert_allclose(ys.detach().numpy(), yr.detach().numpy()[sl], rtol=1e-10)
np.testing.assert_allclose(xs.grad.numpy(), xr.grad.numpy()[sl], rtol=1e-8, atol=1e-12)
for p, q in zip(sync.parameters(), ref.parameters()):  # a summed loss: DDP's mean is 1/N
    np.testing.assert_allclose(p.grad.numpy() * N, q.grad.numpy(), rtol=1e-8, atol=1e-12)
for name in ("running_mean", "running_var", "num_batches_tracked"):
    np.testing.assert_allclose(
        getattr(sync[1], name).numpy(), getattr(ref[1], name).numpy(), rtol=1e-10
    )
print(f"DDP {R} syncbn ok", flush=True)
dist.destroy_process_group()
