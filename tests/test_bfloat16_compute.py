"""bfloat16 arithmetic against torch's CPU bfloat16 on the same inputs.

torch's CPU kernels compute a bfloat16 op in float32 and round the result once (a sum or
a matrix product accumulates in float32); nerve does the same (nerve/autograd/
bf16_compute.py), so on these inputs the results are bit-identical: the tolerance is
zero (``assert_array_equal`` on the bfloat16 values), except where noted: softmax and
log_softmax within one bfloat16 ulp (2⁻⁷ of the value's binade; torch's float32 exp
differs from NumPy's in the last bit, and its bfloat16 log_softmax rounds an
intermediate), and SGD against torch's non-fused SGD (one ulp of the operands).
"""

import numpy as np
import pytest

import nerve

torch = pytest.importorskip("torch")
pytest.importorskip("ml_dtypes")
F = nerve.nn.functional


def _pair(*shape, seed=0, scale=1.0):
    a = (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)
    return nerve.tensor(a).bfloat16(), torch.tensor(a).bfloat16()


def _same(n, t):
    assert n.dtype == nerve.bfloat16 and t.dtype == torch.bfloat16
    np.testing.assert_array_equal(n.float().detach().numpy(), t.float().detach().numpy())


def _within_one_ulp(n, t):
    assert n.dtype == nerve.bfloat16 and t.dtype == torch.bfloat16
    a, b = n.float().detach().numpy(), t.float().detach().numpy()
    ulp = 2.0 ** (np.floor(np.log2(np.maximum(np.abs(a), np.abs(b)))) - 7)
    assert (np.abs(a - b) <= ulp).all()


ELEMENTWISE = {
    "add": lambda m, a, b: a + b,
    "sub": lambda m, a, b: a - b,
    "mul": lambda m, a, b: a * b,
    "div": lambda m, a, b: a / b,
    "neg": lambda m, a, b: -a,
    "abs": lambda m, a, b: a.abs(),
    "exp": lambda m, a, b: a.exp(),
    "log": lambda m, a, b: a.abs().log(),
    "sqrt": lambda m, a, b: a.abs().sqrt(),
    "tanh": lambda m, a, b: a.tanh(),
    "sigmoid": lambda m, a, b: a.sigmoid(),
    "relu": lambda m, a, b: a.relu(),
    "pow2": lambda m, a, b: a**2,
    "maximum": lambda m, a, b: m.maximum(a, b),
    "where": lambda m, a, b: m.where(a > b, a, b),
    # Python numbers: torch rounds the number to bfloat16 for add, sub and pow, not for
    # mul and div (their CPU kernels keep it in float32)
    "add_number": lambda m, a, b: a + 1.3,
    "rsub_number": lambda m, a, b: 1.3 - a,
    "mul_number": lambda m, a, b: a * 2.7,
    "div_number": lambda m, a, b: a / 2.7,
    "pow_number": lambda m, a, b: a.abs() ** 1.3,
    "add_int": lambda m, a, b: a + 3,
    "broadcast": lambda m, a, b: a + b[0],
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_matches_torch(name):
    (na, ta), (nb, tb) = _pair(64, 32), _pair(64, 32, seed=1)
    f = ELEMENTWISE[name]
    _same(f(nerve, na, nb), f(torch, ta, tb))


REDUCTIONS = {
    "sum": lambda m, a: a.sum(),
    "sum0": lambda m, a: a.sum(0),
    "mean1": lambda m, a: a.mean(1),
    "max": lambda m, a: a.amax(1),
    "softmax": lambda m, a: m.softmax(a, 1),
    "log_softmax": lambda m, a: m.log_softmax(a, 1),
    "var": lambda m, a: a.var(0),
    "cumsum": lambda m, a: a.cumsum(1),
}
ONE_ULP = {"softmax", "log_softmax"}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reductions_accumulate_in_float32_as_torch(name):
    na, ta = _pair(64, 300, seed=2)
    f = REDUCTIONS[name]
    check = _within_one_ulp if name in ONE_ULP else _same
    check(f(nerve, na), f(torch, ta))
    check(f(nerve, na), f(torch, ta.float()).bfloat16())  # in float32, rounded once


def test_long_sums_do_not_stall():
    # a bfloat16 accumulator stops at 256 (256 + 1 rounds back to 256); float32 does not
    n, t = nerve.ones(1000, dtype=nerve.bfloat16), torch.ones(1000, dtype=torch.bfloat16)
    assert n.sum().item() == t.sum().item() == 1000.0
    assert n.mean().item() == t.mean().item() == 1.0
    assert n.cumsum(0)[-1].item() == t.cumsum(0)[-1].item() == 1000.0


def test_matmul_and_linear_match_torch():
    (na, ta), (nb, tb), (nc, tc) = _pair(33, 64), _pair(64, 17, seed=1), _pair(17, seed=2)
    _same(na @ nb, ta @ tb)
    _same(nerve.matmul(na.reshape(3, 11, 64), nb), torch.matmul(ta.reshape(3, 11, 64), tb))
    _same(F.linear(na, nb.t(), nc), torch.nn.functional.linear(ta, tb.t(), tc))


INPLACE = {
    "add_": lambda x: x.add_(1.3),
    "sub_": lambda x: x.sub_(1.3),
    "mul_": lambda x: x.mul_(2.7),
    "div_": lambda x: x.div_(2.7),
    "add_tensor": lambda x: x.add_(x * 0.7),
    "clamp_": lambda x: x.clamp_(-0.3, 0.3),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_updates_match_torch(name):
    na, ta = _pair(64, 32, seed=5)
    INPLACE[name](na)
    INPLACE[name](ta)
    _same(na, ta)


def test_views_stay_views():
    x = nerve.zeros(2, 3, dtype=nerve.bfloat16)
    v = x.view(3, 2)
    v.add_(1.5)
    row = x[0]
    row.mul_(2)
    x.t()[1].sub_(0.5)
    t = torch.zeros(2, 3, dtype=torch.bfloat16)
    t.view(3, 2).add_(1.5)
    t[0].mul_(2)
    t.t()[1].sub_(0.5)
    _same(x, t)


def _mlp(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 4)
    )


def _twins(seed=0):
    torch.manual_seed(seed)
    tm = _mlp(torch).bfloat16()
    nm = _mlp(nerve).to(nerve.bfloat16)
    params = dict(nm.named_parameters())
    for k, p in tm.named_parameters():
        params[k]._data[...] = nerve.tensor(p.detach().float().numpy()).bfloat16()._data
    return nm, tm


def _data(seed=3):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((32, 8)).astype(np.float32)
    y = rng.standard_normal((32, 4)).astype(np.float32)
    return (
        nerve.tensor(x).bfloat16(),
        nerve.tensor(y).bfloat16(),
        torch.tensor(x).bfloat16(),
        torch.tensor(y).bfloat16(),
    )


def test_mlp_forward_and_backward_match_torch():
    nm, tm = _twins()
    nx, ny, tx, ty = _data()
    nx.requires_grad_()
    tx.requires_grad_()
    no, to = nm(nx), tm(tx)
    _same(no, to)
    nl, tl = F.mse_loss(no, ny), torch.nn.functional.mse_loss(to, ty)
    _same(nl, tl)
    nl.backward()
    tl.backward()
    _same(nx.grad, tx.grad)
    for k, p in tm.named_parameters():
        _same(dict(nm.named_parameters())[k].grad, p.grad)


def _train(nm, tm, make_opts, steps=3):
    nopt, topt = make_opts(nm.parameters(), tm.parameters())
    nx, ny, tx, ty = _data()
    for _ in range(steps):
        nopt.zero_grad()
        topt.zero_grad()
        F.mse_loss(nm(nx), ny).backward()
        torch.nn.functional.mse_loss(tm(tx), ty).backward()
        nopt.step()
        topt.step()
    return nopt, topt


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_adam_steps_match_torch_fused(name):
    # torch's fused optimizers update a bfloat16 parameter in float32 and round once, as
    # nerve does (nerve/optim/bf16_update.py)
    nm, tm = _twins()
    nopt, topt = _train(
        nm,
        tm,
        lambda n, t: (
            getattr(nerve.optim, name)(n, lr=0.01, weight_decay=0.01),
            getattr(torch.optim, name)(t, lr=0.01, weight_decay=0.01, fused=True),
        ),
    )
    for k, p in tm.named_parameters():
        q = dict(nm.named_parameters())[k]
        _same(q, p)
        for s in ("exp_avg", "exp_avg_sq"):
            _same(nopt.state[q][s], topt.state[p][s])
        assert nopt.state[q]["step"].dtype == nerve.float32


def test_sgd_step_is_rounded_once_and_within_one_ulp_of_torch():
    nm, tm = _twins()
    before = {k: p.detach().float().numpy() for k, p in tm.named_parameters()}
    nopt, topt = _train(
        nm,
        tm,
        lambda n, t: (
            nerve.optim.SGD(n, lr=0.1, momentum=0.9),
            torch.optim.SGD(t, lr=0.1, momentum=0.9),
        ),
        1,
    )
    for k, p in tm.named_parameters():
        q = dict(nm.named_parameters())[k]
        assert q.dtype == nerve.bfloat16 and nopt.state[q]["momentum_buffer"].dtype == q.dtype
        step = np.float32(0.1) * q.grad.float().numpy()
        once = nerve.tensor(before[k] - step).bfloat16().float().numpy()
        a, b = q.float().detach().numpy(), p.float().detach().numpy()
        np.testing.assert_array_equal(a, once)  # θ − η g in float32, rounded once
        # torch's add_(g, alpha=-η) fuses the multiply-add: at most one bfloat16 ulp of
        # the larger operand apart
        ulp = 2.0 ** (np.floor(np.log2(np.maximum(np.abs(before[k]), np.abs(step)))) - 7)
        assert (np.abs(a - b) <= ulp).all() and (a == b).mean() > 0.9


def test_cpu_autocast_matches_torch():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((16, 8)).astype(np.float32)
    torch.manual_seed(1)
    t1, t2 = torch.nn.Linear(8, 12), torch.nn.Linear(12, 3)
    n1, n2 = nerve.nn.Linear(8, 12), nerve.nn.Linear(12, 3)
    for t, n in ((t1, n1), (t2, n2)):
        n.weight._data[...] = t.weight.detach().numpy()
        n.bias._data[...] = t.bias.detach().numpy()
    tx, nx = torch.tensor(x, requires_grad=True), nerve.tensor(x, requires_grad=True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        th = t1(tx)
        to = t2(torch.relu(th))
        tm, ts = tx @ t1.weight.t(), tx.sum()
    with nerve.autocast("cpu", dtype=nerve.bfloat16):
        nh = n1(nx)
        no = n2(nerve.relu(nh))
        nmm, ns = nx @ n1.weight.t(), nx.sum()
    for n, t in ((nh, th), (no, to), (nmm, tm)):
        _same(n, t)
    assert ns.dtype == nerve.float32 and ts.dtype == torch.float32  # not a matrix product
    assert (nx @ n1.weight.t()).dtype == nerve.float32  # off outside the region
    to.float().pow(2).sum().backward()
    no.float().pow(2).sum().backward()
    for n, t in ((nx, tx), (n1.weight, t1.weight), (n1.bias, t1.bias), (n2.weight, t2.weight)):
        assert n.grad.dtype == nerve.float32 and t.grad.dtype == torch.float32
        np.testing.assert_array_equal(n.grad.numpy(), t.grad.numpy())


def test_a_disabled_region_inside_switches_autocast_off_as_torch():
    for lib in (torch, nerve):
        a = lib.ones(2, 2)
        with lib.autocast("cpu", dtype=lib.bfloat16):
            with lib.autocast("cpu", enabled=False):
                assert not lib.is_autocast_enabled("cpu") and (a @ a).dtype == lib.float32
            assert lib.is_autocast_enabled("cpu") and (a @ a).dtype == lib.bfloat16
        assert (a @ a).dtype == lib.float32


def test_float16_autocast_on_cpu_stays_float32():
    # documented: NumPy has no float16 BLAS, so a CPU float16 region keeps float32
    lin = nerve.nn.Linear(3, 2)
    with nerve.autocast("cpu", dtype=nerve.float16):
        assert lin(nerve.randn(2, 3)).dtype == nerve.float32


def _block(lib):
    nn = lib.nn

    class Block(nn.Module):  # a GPT block's ops: embedding, layer norm, attention, GELU
        def __init__(self):
            super().__init__()
            self.emb, self.ln = nn.Embedding(50, 32), nn.LayerNorm(32)
            self.att = nn.MultiheadAttention(32, 4, batch_first=True)
            self.mlp = nn.Sequential(nn.Linear(32, 64), nn.GELU(), nn.Linear(64, 32))
            self.head = nn.Linear(32, 50)

        def forward(self, idx):
            x = self.emb(idx)
            h = self.ln(x)
            x = x + self.att(h, h, h, need_weights=False)[0]
            return self.head(x + self.mlp(self.ln(x)))

    return Block()


def test_transformer_block_in_bfloat16_is_close_to_torch():
    # composites (layer norm, attention, GELU) round their intermediates where torch's
    # kernels differ, so here the tolerance is 2⁻⁵ of each tensor's largest magnitude
    torch.manual_seed(0)
    tm, nm = _block(torch), _block(nerve)
    nm.load_state_dict({k: nerve.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    tm.bfloat16()
    nm.bfloat16()
    rng = np.random.default_rng(0)
    idx, tgt = rng.integers(0, 50, (4, 10)), rng.integers(0, 50, (40,))
    to, no = tm(torch.tensor(idx)), nm(nerve.tensor(idx))
    tl = torch.nn.functional.cross_entropy(to.view(-1, 50), torch.tensor(tgt))
    nl = F.cross_entropy(no.view(-1, 50), nerve.tensor(tgt))
    assert no.dtype == nl.dtype == nerve.bfloat16
    tl.backward()
    nl.backward()
    pairs = [(no, to), (nl, tl)] + [
        (dict(nm.named_parameters())[k].grad, p.grad) for k, p in tm.named_parameters()
    ]
    for n, t in pairs:
        a, b = n.float().detach().numpy(), t.float().detach().numpy()
        assert n.dtype == nerve.bfloat16
        assert np.abs(a - b).max() <= 2**-5 * np.abs(b).max()
