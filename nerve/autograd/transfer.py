"""ToDevice: the copy of a tensor to another device, as a node of the graph.

Forward: y = x on device d (a copy). Backward: ∂L/∂x = ∂L/∂y copied back to x's device,
so ``x.cuda()`` inside a model trains the CPU leaf it came from, as in PyTorch.
"""

from __future__ import annotations

from nerve.autograd.function import Function
from nerve.backend import device_of, to_device


class ToDevice(Function):
    def forward(self, x, device):
        self.source = device_of(x)
        return to_device(x, device)

    def backward(self, dy):
        return to_device(dy, self.source)
