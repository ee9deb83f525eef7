"""The fixed cost of small ops: recording ``a * b`` on 1-element tensors with grad, and
``(a * b).sum().backward()``. Python overhead per op dominates these."""

from __future__ import annotations

from benchmarks.runner import Workload


def _nerve_pair():
    import nerve

    a = nerve.tensor([1.5], requires_grad=True)
    b = nerve.tensor([2.0], requires_grad=True)
    return a, b


def _torch_pair():
    import torch

    a = torch.tensor([1.5], requires_grad=True)
    b = torch.tensor([2.0], requires_grad=True)
    return a, b


def _record(pair):
    def setup():
        a, b = pair()
        return lambda: a * b

    return setup


def _backward(pair):
    def setup():
        a, b = pair()
        return lambda: (a * b).sum().backward()

    return setup


WORKLOADS = [
    Workload(
        "op_record",
        "latency",
        1,
        _record(_nerve_pair),
        _record(_torch_pair),
        "a * b on 1-element tensors with grad (graph recorded)",
    ),
    Workload(
        "op_backward",
        "latency",
        1,
        _backward(_nerve_pair),
        _backward(_torch_pair),
        "(a * b).sum().backward() on 1-element tensors",
    ),
]


# The ops real GPT-style programs found slow: pow with a float exponent and nn.GELU on a
# (12, 64, 256) activation (nanoGPT's MLP at batch 12, block 64), forward and backward;
# and a 200-step LSTMCell loop, whose per-step state check must not grow with the steps.
ACT_SHAPE = (12, 64, 256)


def _activation(fw_name, fn):
    def setup():
        if fw_name == "torch":
            import torch as fw

            fw.set_num_threads(2)
        else:
            import nerve as fw
        x = fw.randn(*ACT_SHAPE, requires_grad=True)
        g = fw.ones(*ACT_SHAPE)
        f = fn(fw)
        return lambda: f(x).backward(g)

    return setup


def _cell_loop(fw_name, steps=200):
    def setup():
        if fw_name == "torch":
            import torch as fw

            fw.set_num_threads(2)
        else:
            import nerve as fw
        fw.manual_seed(0)
        cell = fw.nn.LSTMCell(32, 64)
        x = fw.randn(8, 32)

        def loop():
            state = None
            for _ in range(steps):
                state = cell(x, state)
            state[0].sum().backward()

        return loop

    return setup


def _pow3(fw):
    return lambda x: fw.pow(x, 3.0)


def _gelu(fw):
    return fw.nn.GELU()


WORKLOADS += [
    Workload(
        "pow3",
        "latency",
        1,
        _activation("nerve", _pow3),
        _activation("torch", _pow3),
        "pow(x, 3.0) forward and backward on (12, 64, 256)",
    ),
    Workload(
        "gelu",
        "latency",
        1,
        _activation("nerve", _gelu),
        _activation("torch", _gelu),
        "nn.GELU() forward and backward on (12, 64, 256)",
    ),
    Workload(
        "lstm_cell_loop",
        "latency",
        1,
        _cell_loop("nerve"),
        _cell_loop("torch"),
        "200 LSTMCell(32, 64) steps at batch 8, then one backward",
    ),
]
