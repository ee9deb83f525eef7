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
    Workload("op_record", "latency", 1, _record(_nerve_pair), _record(_torch_pair),
             "a * b on 1-element tensors with grad (graph recorded)"),
    Workload("op_backward", "latency", 1, _backward(_nerve_pair), _backward(_torch_pair),
             "(a * b).sum().backward() on 1-element tensors"),
]
