"""``torch.nn.modules.container``'s path to the same classes as :mod:`nerve.nn`."""

from nerve.nn.containers import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential

__all__ = ["ModuleDict", "ModuleList", "ParameterDict", "ParameterList", "Sequential"]
