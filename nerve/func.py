"""nerve.func: PyTorch's ``torch.func`` entry points that nerve has (``functional_call``)."""

from nerve.nn.utils.stateless import functional_call

__all__ = ["functional_call"]
