"""Parametrizations, as ``torch.nn.utils.parametrize``: a module's tensor ``name`` is
replaced by a property that computes ``f(original)`` on every access, where ``f`` is a
chain of modules and ``original`` is the learnable tensor, kept (with its state_dict key)
under ``module.parametrizations[name].original``. Gradients flow through ``f`` to
``original``. A parametrization with ``right_inverse`` maps an assigned value back to
``original``; one whose ``right_inverse`` returns a tuple stores ``original0``,
``original1``, ... and receives them all as arguments.

The module's class is swapped for a subclass ``Parametrized<Name>`` that holds the
properties, so the plain class is untouched and comes back when the last
parametrization is removed.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from contextlib import contextmanager

from nerve.autograd.grad_mode import no_grad
from nerve.nn.containers import ModuleDict, ModuleList
from nerve.nn.module import Module
from nerve.nn.parameter import Parameter
from nerve.tensor import Tensor

__all__ = [
    "ParametrizationList",
    "cached",
    "is_parametrized",
    "register_parametrization",
    "remove_parametrizations",
    "transfer_parametrizations_and_params",
    "type_before_parametrizations",
]

_cache_depth = 0
_cache: dict = {}


@contextmanager
def cached():
    """Compute each parametrized tensor once inside the block (e.g. a weight used at every
    step of a recurrent loop) instead of at every access."""
    global _cache_depth
    _cache_depth += 1
    try:
        yield
    finally:
        _cache_depth -= 1
        if not _cache_depth:
            _cache.clear()


def _set_data(target: Tensor, value: Tensor) -> None:
    """``target.set_(value)``: same tensor object (optimizers keep it), new contents."""
    target._data = value._data


def _register(module: Module, name: str, x: Tensor) -> None:
    if isinstance(x, Parameter):
        module.register_parameter(name, x)
    else:
        module.register_buffer(name, x)


class ParametrizationList(ModuleList):
    """The chain of parametrizations of one tensor and the original tensor(s) it maps."""

    def __init__(self, modules: Sequence[Module], original: Tensor, unsafe: bool = False):
        if len(modules) == 0:
            raise ValueError("ParametrizationList requires one or more modules.")
        super().__init__(modules)
        self.unsafe = unsafe
        shape, dtype = tuple(original.shape), original.dtype
        new = original
        with no_grad():
            for m in reversed(self):
                if hasattr(m, "right_inverse"):
                    new = m.right_inverse(new)
        if not isinstance(new, Tensor | Sequence):
            raise ValueError(
                "'right_inverse' must return a Tensor or a Sequence of tensors "
                f"(list, tuple...). Got {type(new).__name__}"
            )
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            if not unsafe and new.dtype != dtype:
                raise ValueError(
                    "When `right_inverse` outputs one tensor, it may not change "
                    f"the dtype.\noriginal.dtype: {dtype}\n"
                    f"right_inverse(original).dtype: {new.dtype}"
                )
            with no_grad():
                _set_data(original, new)
            _register(self, "original", original)
        else:
            for i, part in enumerate(new):
                if not isinstance(part, Tensor):
                    raise ValueError(
                        "'right_inverse' must return a Tensor or a Sequence of "
                        f"tensors (list, tuple...). Got element {i} of the "
                        f"sequence with type {type(part).__name__}."
                    )
                if isinstance(original, Parameter):
                    part = Parameter(part.detach()._data.copy(), original.requires_grad)
                _register(self, f"original{i}", part)
        if not unsafe:
            z = self()
            if not isinstance(z, Tensor):
                raise ValueError(f"A parametrization must return a tensor. Got {type(z).__name__}.")
            if z.dtype != dtype or tuple(z.shape) != shape:
                raise ValueError(
                    "Registering a parametrization may not change the shape or "
                    f"dtype of the tensor.\nunparametrized dtype: {dtype}\n"
                    f"unparametrized shape: {shape}\nparametrized dtype: "
                    f"{z.dtype}\nparametrized shape: {tuple(z.shape)}"
                )

    def right_inverse(self, value: Tensor) -> None:
        """Set the original tensor(s) so that the chain maps them to ``value``."""
        with no_grad():
            for m in reversed(self):
                if not hasattr(m, "right_inverse"):
                    raise RuntimeError(
                        f"parametrization {type(m).__name__} does not implement right_inverse."
                    )
                value = m.right_inverse(value)
            if self.is_tensor:
                if not isinstance(value, Tensor):
                    raise ValueError(
                        f"`right_inverse` should return a tensor. Got {type(value).__name__}"
                    )
                if value.dtype != self.original.dtype:
                    raise ValueError(
                        f"The tensor returned by `right_inverse` has dtype "
                        f"{value.dtype} while `original` has dtype "
                        f"{self.original.dtype}"
                    )
                _set_data(self.original, value)
                return
            if not isinstance(value, Sequence) or len(value) != self.ntensors:
                raise ValueError(
                    f"'right_inverse' must return a sequence of tensors of "
                    f"length {self.ntensors}. Got {type(value).__name__}"
                )
            for i, part in enumerate(value):
                _set_data(getattr(self, f"original{i}"), part)

    def forward(self) -> Tensor:
        if self.is_tensor:
            x = self[0](self.original)
        else:
            x = self[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for m in list(self)[1:]:
            x = m(x)
        return x


def _parametrized_class(module: Module) -> None:
    cls = type(module)

    def getstate(self):
        raise RuntimeError(
            "Serialization of parametrized modules is only supported through state_dict()."
        )

    def deepcopy(self, memo):
        # the copy shares the Parametrized class (and so its properties), as in PyTorch
        if id(self) in memo:
            return memo[id(self)]
        replica = object.__new__(type(self))
        memo[id(self)] = replica
        replica.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return replica

    attrs = {"__getstate__": getstate}
    if not hasattr(cls, "__deepcopy__"):
        attrs["__deepcopy__"] = deepcopy
    module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), attrs)


def _add_property(module: Module, tensor_name: str) -> None:
    def get_parametrized(self) -> Tensor:
        overrides = self.__dict__.get("_tensor_overrides")  # set by functional_call
        if overrides and tensor_name in overrides:
            return overrides[tensor_name]
        chain = self.parametrizations[tensor_name]
        if not _cache_depth:
            return chain()
        key = (id(self), tensor_name)
        if key not in _cache:
            _cache[key] = chain()
        return _cache[key]

    def set_original(self, value: Tensor) -> None:
        self.parametrizations[tensor_name].right_inverse(value)

    setattr(type(module), tensor_name, property(get_parametrized, set_original))


def register_parametrization(
    module: Module, tensor_name: str, parametrization: Module, *, unsafe: bool = False
) -> Module:
    """Make ``module.<tensor_name>`` equal ``parametrization(original)``; registering a
    second parametrization on the same tensor chains it after the first."""
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        if not unsafe:
            y = getattr(module, tensor_name)
            x = parametrization(y)
            if not isinstance(x, Tensor):
                raise ValueError(f"A parametrization must return a tensor. Got {type(x).__name__}.")
            if x.dtype != y.dtype or tuple(x.shape) != tuple(y.shape):
                raise ValueError(
                    "Registering a parametrization may not change the shape or "
                    f"dtype of the tensor.\nunparametrized dtype: {y.dtype}\n"
                    f"unparametrized shape: {tuple(y.shape)}\nparametrized "
                    f"dtype: {x.dtype}\nparametrized shape: {tuple(x.shape)}"
                )
        module.parametrizations[tensor_name].append(parametrization)
        module.parametrizations[tensor_name].unsafe |= unsafe
    elif tensor_name in module._buffers or tensor_name in module._parameters:
        original = getattr(module, tensor_name)
        chain = ParametrizationList([parametrization], original, unsafe=unsafe)
        delattr(module, tensor_name)
        if not is_parametrized(module):
            module.parametrizations = ModuleDict()
            _parametrized_class(module)
        module.parametrizations[tensor_name] = chain
        _add_property(module, tensor_name)
    else:
        raise ValueError(
            f"Module '{module}' does not have a parameter, a buffer, or a "
            f"parametrized element with name '{tensor_name}'"
        )
    return module


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether ``module`` has any parametrization (or one on ``tensor_name``)."""
    chains = module._modules.get("parametrizations")
    if not isinstance(chains, ModuleDict):
        return False
    return len(chains) > 0 if tensor_name is None else tensor_name in chains


def remove_parametrizations(
    module: Module, tensor_name: str, leave_parametrized: bool = True
) -> Module:
    """Undo the parametrizations of ``tensor_name``: the tensor becomes a plain parameter
    (or buffer) again, holding the current parametrized value (``leave_parametrized``) or
    the original one."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    chain = module.parametrizations[tensor_name]
    if chain.is_tensor:
        original = chain.original
        if leave_parametrized:
            with no_grad():
                _set_data(original, getattr(module, tensor_name))
    elif leave_parametrized:
        t = getattr(module, tensor_name)
        requires_grad = any(
            getattr(chain, f"original{i}").requires_grad for i in range(chain.ntensors)
        )
        original = Parameter(t.detach()._data, requires_grad) if requires_grad else t.detach()
    else:
        raise ValueError(
            "Cannot leave unparametrized (`leave_parametrized=False`) a tensor "
            "that is parametrized in terms of a sequence of tensors."
        )
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    _register(module, tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = type(module).__bases__[0]
    return module


def type_before_parametrizations(module: Module) -> type:
    """The module's class as it was before any parametrization."""
    return type(module).__bases__[0] if is_parametrized(module) else type(module)


def transfer_parametrizations_and_params(
    from_module: Module, to_module: Module, tensor_name: str | None = None
) -> Module:
    """Give ``to_module`` the same parametrizations (the same modules) and a copy of the
    original tensors of ``from_module``, for ``tensor_name`` or for all of them."""
    if not is_parametrized(from_module):
        return to_module
    names = list(from_module.parametrizations) if tensor_name is None else [tensor_name]
    for name in names:
        chain = from_module.parametrizations[name]
        if not hasattr(to_module, name):
            setattr(to_module, name, Parameter(getattr(from_module, name).detach()._data))
        for m in chain:
            register_parametrization(to_module, name, m)
        to_chain = to_module.parametrizations[name]
        with no_grad():
            if chain.is_tensor:
                _set_data(to_chain.original, chain.original.detach().clone())
            else:
                for i in range(chain.ntensors):
                    _set_data(
                        getattr(to_chain, f"original{i}"),
                        getattr(chain, f"original{i}").detach().clone(),
                    )
    return to_module
