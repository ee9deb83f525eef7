"""Module: the base of every layer. Parameters, buffers and sub-modules are found by
attribute assignment, as in PyTorch, and make up the state_dict."""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Iterator

import numpy as np

from nerve.dtypes import is_floating, to_dtype
from nerve.nn.devices import check_device_argument
from nerve.nn.hooks import RemovableHandle, call_with_hooks, next_hook_id
from nerve.nn.parameter import Buffer, Parameter
from nerve.tensor import Tensor


class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What load_state_dict returns: the keys it did not find and the keys it did not use."""

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (
            f"_IncompatibleKeys(missing_keys={self.missing_keys}, "
            f"unexpected_keys={self.unexpected_keys})"
        )

    __str__ = __repr__


class Module:
    """Base class for all layers and models. Subclasses define ``forward``."""

    training: bool

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        check_device_argument(cls)  # Linear(..., device="cuda") raises, as CPU PyTorch

    def __init__(self) -> None:
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent"] = set()
        d["_modules"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()
        d["_forward_pre_hooks"] = OrderedDict()
        d["_backward_hooks"] = OrderedDict()
        d["_backward_pre_hooks"] = OrderedDict()
        d["_hook_flags"] = {}  # hook key -> (with_kwargs, always_call)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args, **kwargs):
        if not (
            self._forward_hooks
            or self._forward_pre_hooks
            or self._backward_hooks
            or self._backward_pre_hooks
        ):
            return self.forward(*args, **kwargs)
        return call_with_hooks(self, args, kwargs)

    # ----- registration ---------------------------------------------------------------
    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        if "_parameters" not in d:
            raise AttributeError(
                f"cannot assign '{name}' before Module.__init__() call in {type(self).__name__}"
            )
        params, modules, buffers = d["_parameters"], d["_modules"], d["_buffers"]
        if isinstance(value, Parameter):
            _discard(self, name)
            if name not in params and hasattr(type(self), name):  # a property, a method
                raise KeyError(f"attribute '{name}' already exists")
            params[name] = value
        elif isinstance(value, Module):
            _discard(self, name)
            modules[name] = value
        elif isinstance(value, Buffer):
            _discard(self, name)
            self.register_buffer(name, value, value.persistent)
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                    "(nerve.Tensor or None expected)"
                )
            buffers[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter "
                    f"'{name}' (nerve.nn.Parameter or None expected)"
                )
            params[name] = None
        elif name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module "
                    f"'{name}' (nerve.nn.Module or None expected)"
                )
            modules[name] = None
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                self._non_persistent.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(
            set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules)
        )

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter "
                f"'{name}' (nerve.nn.Parameter or None required)"
            )
        _check_name(self, name, "_parameters")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{type(tensor).__name__}' object to buffer "
                f"'{name}' (nerve.Tensor or None required)"
            )
        _check_name(self, name, "_buffers")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        _check_name(self, name, "_modules")
        self._modules[name] = module

    register_module = add_module

    def _add_hook(
        self, store: str, hook, prepend=False, with_kwargs=False, always_call=False
    ) -> RemovableHandle:
        hooks = self.__dict__[store]
        key = next_hook_id()  # unique per registration, so one hook can be added twice
        hooks[key] = hook
        if prepend:
            hooks.move_to_end(key, last=False)
        if with_kwargs or always_call:
            self._hook_flags[key] = (with_kwargs, always_call)
        return RemovableHandle(hooks, key, self._hook_flags)

    def register_forward_hook(
        self, hook, *, prepend: bool = False, with_kwargs: bool = False, always_call: bool = False
    ) -> RemovableHandle:
        """Call ``hook(module, args, output)`` (``hook(module, args, kwargs, output)`` with
        ``with_kwargs``) after forward; a non-None result replaces the output. With
        ``always_call`` it also runs (with output None) when forward raises."""
        return self._add_hook("_forward_hooks", hook, prepend, with_kwargs, always_call)

    def register_forward_pre_hook(
        self, hook, *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """Call ``hook(module, args)`` before forward; a non-None result replaces args
        (with ``with_kwargs``: ``hook(module, args, kwargs)`` -> (args, kwargs) or None)."""
        return self._add_hook("_forward_pre_hooks", hook, prepend, with_kwargs)

    def register_full_backward_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(module, grad_input, grad_output)`` once the gradients with respect
        to the module's tensor arguments are known; a non-None result (a tuple like
        grad_input) replaces them."""
        return self._add_hook("_backward_hooks", hook, prepend)

    def register_full_backward_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(module, grad_output)`` once the gradients with respect to the
        module's outputs are known; a non-None result replaces them."""
        return self._add_hook("_backward_pre_hooks", hook, prepend)

    # ----- traversal ------------------------------------------------------------------
    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        memo = set() if memo is None else memo
        if remove_duplicate and id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(
                    memo, f"{prefix}.{name}" if prefix else name, remove_duplicate
                )

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named_members(self, store: str, prefix: str, recurse: bool, remove_duplicate=True):
        seen = set()
        mods = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        for mprefix, m in mods:
            for name, v in getattr(m, store).items():
                if v is None or (remove_duplicate and id(v) in seen):
                    continue
                seen.add(id(v))
                yield (f"{mprefix}.{name}" if mprefix else name), v

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ):
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str) -> Module:
        m = self
        for part in filter(None, target.split(".")):
            if not hasattr(m, part):
                raise AttributeError(f"{m._get_name()} has no attribute `{part}`")
            m = getattr(m, part)
            if not isinstance(m, Module):
                raise AttributeError(f"`{part}` is not an nn.Module")
        return m

    def _get_member(self, target: str, store: str, what: str):
        mod, _, name = target.rpartition(".")
        m = self.get_submodule(mod)
        if not hasattr(m, name):
            raise AttributeError(f"{m._get_name()} has no attribute `{name}`")
        if name not in getattr(m, store):
            raise AttributeError(f"`{name}` is not {what}")
        return getattr(m, store)[name]

    def get_parameter(self, target: str) -> Parameter:
        return self._get_member(target, "_parameters", "an nn.Parameter")

    def get_buffer(self, target: str) -> Tensor:
        return self._get_member(target, "_buffers", "a buffer")

    # ----- modes and gradients ----------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad._data[...] = 0  # in place, as PyTorch: references to .grad see zeros

    def apply(self, fn) -> Module:
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def _cast(self, dtype) -> Module:
        for m in self.modules():
            for store in (m._parameters, m._buffers):
                for v in store.values():
                    if v is not None and is_floating(v.dtype):
                        v._data = v._data.astype(dtype)
                        if v.grad is not None:
                            v.grad._data = v.grad._data.astype(dtype)
        return self

    def _move(self, device) -> Module:
        """Move every parameter and buffer (and gradient) to ``device`` in place: the
        Parameter objects stay the same, so an optimizer built before keeps them."""
        from nerve.backend import check_device, to_device

        d = check_device(device, f"{type(self).__name__}.to()")
        for m in self.modules():
            for store in (m._parameters, m._buffers):
                for v in store.values():
                    if v is not None:
                        v._data = to_device(v._data, d)
                        if v.grad is not None:
                            v.grad._data = to_device(v.grad._data, d)
        return self

    def to(self, *args, **kwargs) -> Module:
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)`` or ``to(tensor)``, in place."""
        from nerve import dtypes
        from nerve.backend import device as Device
        from nerve.tensor import Tensor

        kwargs.pop("non_blocking", None)
        for a in list(args) + list(kwargs.values()):
            if isinstance(a, Tensor):
                self._move(a.device)
                self._cast(a.dtype)
            elif isinstance(a, str | int | Device) and not isinstance(a, bool):
                self._move(Device(a))
            elif a is not None and not isinstance(a, bool):
                self._cast(dtypes.to_dtype(a))
        return self

    def float(self) -> Module:
        return self._cast(np.float32)

    def double(self) -> Module:
        return self._cast(np.float64)

    def half(self) -> Module:
        return self._cast(np.float16)

    def bfloat16(self) -> Module:
        """Floating parameters and buffers as bfloat16 (needs ml_dtypes)."""
        return self._cast(to_dtype("bfloat16"))

    def cpu(self) -> Module:
        return self._move("cpu")

    def cuda(self, device=None) -> Module:
        """Move parameters and buffers to the CUDA device (an index or "cuda:i")."""
        from nerve.backend import device as Device

        d = (
            Device("cuda", device)
            if isinstance(device, int) or device is None
            else (Device(device))
        )
        return self._move(d)

    # ----- state ----------------------------------------------------------------------
    def state_dict(self, destination=None, prefix: str = "", keep_vars: bool = False):
        """Parameters and persistent buffers by dotted name (detached, sharing memory)."""
        out = OrderedDict() if destination is None else destination
        for mprefix, m in self.named_modules(prefix=prefix.rstrip("."), remove_duplicate=False):
            pre = f"{mprefix}." if mprefix else ""
            for name, p in m._parameters.items():
                if p is not None:
                    out[pre + name] = p if keep_vars else p.detach()
            for name, b in m._buffers.items():
                if b is not None and name not in m._non_persistent:
                    out[pre + name] = b if keep_vars else b.detach()
        return out

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy values into parameters and buffers. Accepts Tensors or NumPy arrays.

        Shapes must match; with ``strict`` the keys must match exactly."""
        for name, m in self.named_modules():  # lazy layers learn their shapes here
            if hasattr(m, "_materialize_from_state"):
                m._materialize_from_state(state_dict, f"{name}." if name else "")
        own = self.state_dict(keep_vars=True)
        optional = {
            f"{name}.{k}" if name else k
            for name, m in self.named_modules()
            for k in getattr(m, "_optional_state", ())
        }
        missing = [k for k in own if k not in state_dict and k not in optional]
        unexpected = [k for k in state_dict if k not in own]
        errors, updates = [], []
        if strict and (missing or unexpected):
            if missing:
                errors.append(
                    "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". "
                )
            if unexpected:
                errors.append(
                    "Unexpected key(s) in state_dict: "
                    + ", ".join(f'"{k}"' for k in unexpected)
                    + ". "
                )
        for k, target in own.items():
            if k not in state_dict:
                continue
            v = state_dict[k]
            arr = v._data if isinstance(v, Tensor) else np.asarray(v)
            if arr.shape != target._data.shape:
                errors.append(
                    f"size mismatch for {k}: copying a param with shape {arr.shape} "
                    "from checkpoint, the shape in current model is "
                    f"{target._data.shape}."
                )
                continue
            updates.append((target, arr))
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )
        for target, arr in updates:  # only once every key checked out: no half-loaded model
            target._data[...] = arr
        return IncompatibleKeys(missing, unexpected)

    # ----- printing -------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines = extra.split("\n")
        for name, m in self._modules.items():
            sub = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {sub}")
        if not lines:
            return f"{self._get_name()}()"
        if len(lines) == 1 and not self._modules:
            return f"{self._get_name()}({lines[0]})"
        return f"{self._get_name()}(\n  " + "\n  ".join(lines) + "\n)"

    def num_parameters(self, trainable_only: bool = False) -> int:
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)

    def summary(self) -> str:
        """A table of sub-modules with their parameter counts."""
        rows = [
            (
                name or type(self).__name__,
                type(m).__name__,
                sum(p.numel() for p in m.parameters(recurse=False)),
            )
            for name, m in self.named_modules()
        ]
        width = max(len(r[0]) for r in rows) + 2
        out = [f"{'module':<{width}}{'type':<20}{'params':>12}"]
        out += [f"{n:<{width}}{t:<20}{c:>12,}" for n, t, c in rows]
        out.append(f"{'total':<{width}}{'':<20}{self.num_parameters():>12,}")
        return "\n".join(out)


def _discard(module: Module, name: str) -> None:
    d = module.__dict__
    d.pop(name, None)
    for store in ("_parameters", "_modules", "_buffers"):
        d[store].pop(name, None)
    d["_non_persistent"].discard(name)


def _check_name(module: Module, name: str, store: str) -> None:
    if not isinstance(name, str):
        raise TypeError(f"name should be a string, got {type(name).__name__}")
    if "." in name or name == "":
        raise KeyError(f'name can\'t contain "." and can\'t be empty, got "{name}"')
    if hasattr(module, name) and name not in module.__dict__[store]:
        raise KeyError(f"attribute '{name}' already exists")
