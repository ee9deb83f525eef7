"""Function: one node of the graph, forward and backward side by side.

A subclass implements ``forward(*arrays, **params) -> array | tuple[array]`` on raw
arrays, saving on ``self`` what backward needs, and ``backward(*dys) -> grads``
returning one gradient per positional input (None where ``needs_input_grad`` is
False). The engine reduces broadcast gradients back to the input's shape, so a
backward may return a gradient of the broadcast (output) shape.
"""

from __future__ import annotations

import numpy as np

from nerve import bf16_dtype as _bf16_dtype
from nerve.autograd import bf16_compute as _bf16_compute
from nerve.autograd import grad_mode, versions
from nerve.autograd.custom import FunctionCtx, once_differentiable  # noqa: F401
from nerve.backend import namespaces as _namespaces
from nerve.dtypes import is_floating as _is_floating
from nerve.tensor import Tensor

_grad_state = grad_mode.state
# nerve.diagnostics installs a callable(fn, inputs, out) here for anomaly mode and
# backprop traces; None (one global lookup per op) keeps them free when off.
_observer = None
# nerve.onnx installs a callable(cls, inputs, params, out) here while it traces a forward
# pass for export; None (one global lookup per op) keeps apply's speed when off.
_tracer = None
# Forward observers: callables(fn, inputs, out) called after every op's forward, in order
# (nerve.diagnostics.GradientMonitor sees activations here, whatever produced them: a
# module, F.relu or Tensor.relu). Several may be active; an empty list costs one truth test.
forward_observers: list = []
# Turned on the first time a device array may exist (nerve/backend/namespaces.py): from
# then on apply checks that its Tensor inputs share one device; a CPU-only run never pays.
_check_devices = False
# The ops that run in float16 inside an enabled ``nerve.amp.autocast("cuda")`` region (the
# matrix products, as PyTorch's autocast lists them) and the region's on/off switch, which
# nerve/amp sets; read only in the device branch above, so CPU runs never pay for it.
autocast_ops: set = set()
autocast_cuda = [False]
# Turned on when the bfloat16 dtype is first loaded: from then on apply runs the ops on
# float32 copies of bfloat16 arrays and rounds back (nerve/autograd/bf16_compute.py).
_bf16 = False
_new = object.__new__
_clock = versions.clock  # each node records it: nerve/autograd/versions.py
ndarray = np.ndarray
_as_array = _namespaces.as_array


class Function:
    """Base of every differentiable op. See the module docstring for the protocol.

    A subclass with a PyTorch-style static ``forward(ctx, ...)`` gets its own ``apply``
    at class creation (nerve/autograd/custom.py); the ops' ``apply`` below is untouched.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if isinstance(cls.__dict__.get("forward"), staticmethod):
            from nerve.autograd import custom

            custom.install(cls)
        if cls.__dict__.get("_view_op"):
            cls.apply = classmethod(_view_apply)

    # True for ops that only move or view elements: they run on bfloat16 arrays as they are
    bf16_native = False
    # True where PyTorch rounds a Python-number operand to a bfloat16 result's dtype
    bf16_round_operands = False
    # True for ops whose output may be a view of their first input (it then shares the
    # input's version counter and names it as ``_base``); such a class gets its own
    # ``apply`` at class creation, so the other ops never look at this flag
    _view_op = False

    def forward(self, *arrays, **params):
        raise NotImplementedError

    def backward(self, *grad_outputs):
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs, **params):
        """Run forward on the inputs' arrays; record the node when a grad is needed.

        Positional Tensors are graph inputs; other positional values (Python
        scalars, arrays) are passed through as constants.
        """
        arrays = [x._data if isinstance(x, Tensor) else x for x in inputs]
        if _check_devices:
            if _same_device(cls, inputs):
                arrays = _scalars_to_device(inputs, arrays)
            if autocast_cuda[0] and cls in autocast_ops:
                arrays = _half(arrays)
        wide = None
        if _bf16 and not cls.bf16_native:
            wide = _bf16_compute.widen(cls, arrays, autocast_ops)
        fn = _new(cls)
        try:
            out = fn.forward(*(arrays if wide is None else wide[0]), **params)
        except ValueError as err:
            raise RuntimeError(_describe(cls, inputs, err)) from None
        if wide is not None:
            out = _bf16_compute.narrow(fn, out, wide[1], params)
            _bf16_compute.widen_backward(fn, wide[2])
        if _observer is not None:
            _observer(fn, inputs, out)
        if _tracer is not None:
            _tracer(cls, inputs, params, out)
        if forward_observers:
            for observe in forward_observers:
                observe(fn, inputs, out)
        record = False
        if _grad_state.enabled:
            needs = [isinstance(x, Tensor) and x.requires_grad for x in inputs]
            record = True in needs
        if type(out) is tuple:
            if record:
                fn.parents, fn.needs_input_grad, fn.n_outputs = inputs, needs, len(out)
                fn._epoch = _clock[0]
            return tuple(_output(o, fn if record else None, i) for i, o in enumerate(out))
        # An integer or bool result (a cast) carries no gradient, as in PyTorch.
        if record and (out.dtype.kind in "fc" or _is_floating(out.dtype)):
            fn.parents, fn.needs_input_grad, fn.n_outputs = inputs, needs, 1
            fn._epoch = _clock[0]
            return _output(out, fn, 0)
        return _output(out, None, 0)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}Backward>"

    def name(self) -> str:
        return type(self).__name__ + "Backward"


def _view_apply(cls, *inputs, **params):
    """``apply`` of a view op: the outputs that share the input's memory become its views."""
    out = Function.apply.__func__(cls, *inputs, **params)
    versions.mark_view(inputs[0], out)
    return out


def _output(arr, fn, index):
    """Wrap a forward result; ``fn`` is its node when the graph is recorded."""
    t = _new(Tensor)
    t._data = arr if type(arr) is ndarray else _as_array(arr)
    t.grad = None
    t.requires_grad = fn is not None
    t._ctx = fn
    t._out_index = index
    t._hooks = None
    return t


def _describe(cls, inputs, err) -> str:
    shapes = ", ".join(
        f"shape {tuple(x.shape)}" if hasattr(x, "shape") else repr(x) for x in inputs
    )
    return f"{cls.__name__.lower()}: {err} (inputs: {shapes})"


def as_array(x) -> np.ndarray:
    """Numpy returns scalars from 0-d reductions; the graph only holds arrays (a device
    array is kept as it is)."""
    return x if type(x) is np.ndarray else _as_array(x)


def _same_device(cls, inputs) -> bool:
    """PyTorch's error when the Tensor inputs of one op live on different devices (a type
    check per input: one array type is one device, and the index is compared only when
    two arrays are of the same device type). As in PyTorch, a 0-d CPU tensor may join
    device tensors like a Python number does; True when there is one to move (a 0-d CPU
    tensor that requires grad is not moved: its gradient would land on the device)."""
    first, device_of, scalars = None, _namespaces.device_of, False
    for x in inputs:
        if isinstance(x, Tensor):
            a = x._data
            if first is None:
                first = a
            elif type(a) is not type(first) or (
                type(a) is not ndarray and device_of(a) != device_of(first)
            ):
                if _movable_scalar(x):
                    scalars = True
                    continue
                if type(first) is ndarray and first.ndim == 0 and not _needs_grad(inputs, first):
                    first, scalars = a, True
                    continue
                d1, d2 = device_of(first), device_of(a)
                raise RuntimeError(
                    "Expected all tensors to be on the same device, but found at least two "
                    f"devices, {d1} and {d2}! (in {cls.__name__.lower()}: move every input "
                    "to one device with .to(device))"
                )
    return scalars


def _movable_scalar(x) -> bool:
    return type(x._data) is ndarray and x._data.ndim == 0 and not x.requires_grad


def _needs_grad(inputs, array) -> bool:
    return any(isinstance(x, Tensor) and x._data is array and x.requires_grad for x in inputs)


def _scalars_to_device(inputs, arrays) -> list:
    """The 0-d CPU tensors among ``inputs`` copied to the device of the others."""
    device = next(
        _namespaces.device_of(x._data)
        for x in inputs
        if isinstance(x, Tensor) and type(x._data) is not ndarray
    )
    return [
        _namespaces.to_device(a, device)
        if isinstance(x, Tensor) and type(a) is ndarray and a.ndim == 0
        else a
        for x, a in zip(inputs, arrays)
    ]


def autocast_covers(cls, a) -> bool:
    """Whether an open autocast region casts the inputs of op ``cls`` (one of the matrix
    products) on ``a``'s device to one dtype: its dtype checks then wait for the cast, as
    PyTorch's autocast casts before the op looks at its inputs."""
    if cls not in autocast_ops:
        return False
    return _bf16_compute.autocast_cpu[0] if type(a) is ndarray else autocast_cuda[0]


def _half(arrays: list) -> list:
    """Autocast: the floating device arrays among ``arrays`` in float16."""
    out = []
    for a in arrays:
        if _namespaces.is_device_array(a) and a.dtype.kind == "f" and a.dtype != np.float16:
            a = a.astype(np.float16)
        out.append(a)
    return out


def _devices_in_use() -> None:
    global _check_devices
    _check_devices = True


_namespaces.on_first_device.append(_devices_in_use)


def _bf16_in_use() -> None:
    global _bf16
    _bf16_compute.loaded()
    _bf16 = True


_bf16_dtype.on_first_use.append(_bf16_in_use)
if _bf16_dtype.used():
    _bf16_in_use()


def wrap(array) -> Tensor:
    """A Tensor around ``array`` (no copy), outside the graph: how an op returns a
    result that has no gradient (an index, a mask, a count, a rounded value). Results
    that have one come from ``Function.apply``."""
    return Tensor._wrap(array)
