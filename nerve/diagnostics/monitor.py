"""The gradient-health monitor: per-layer weight and gradient norms, update/weight
ratios, dead ReLUs, saturated sigmoid/tanh units and gradient norms through time,
sampled every ``every`` steps, for any Module, in a hand-written loop or in ``fit``.

    monitor = GradientMonitor(model, every=10)
    for x, y in loader:                     # a hand-written loop ...
        monitor.begin_step()                # before the forward
        optimizer.zero_grad(); loss = loss_fn(model(x), y); loss.backward()
        optimizer.step()
        monitor.end_step(loss)              # after the step (the gradients are still there)
    print(monitor.verdict())

    fit(model, loss_fn, optimizer, loader, callbacks=[GradientMonitor(every=10)])  # ... or fit

Only sampled steps pay: for the sampled forward the monitor joins the forward observers
of ``Function.apply`` (nerve/autograd/function.py) and hooks the model's modules, and
leaves both after it; weights are copied before a sampled step to measure its update.
Activations are seen at the op level: every relu, sigmoid and tanh op run inside the
model, whether from a module (``nn.ReLU()``), ``F.relu`` or ``Tensor.relu``. Each is
placed after the parameter layer that ran last; the gates inside recurrent layers are
not activations of the network and are left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from nerve.autograd import function as _function
from nerve.backend import to_host
from nerve.nn.activation import ReLU, Sigmoid, Tanh
from nerve.nn.module import Module
from nerve.nn.rnn import RNNBase
from nerve.nn.rnn_cells import RNNCellBase
from nerve.ops.nn import activation as _ops
from nerve.train.callbacks import Callback

SATURATION = 0.99  # |tanh| or the distance of σ from 0/1 beyond which σ' < 0.01·max
_KINDS = {ReLU: "relu", Sigmoid: "sigmoid", Tanh: "tanh"}  # activation modules
_OP_KINDS = {_ops.ReLU: "relu", _ops.Sigmoid: "sigmoid", _ops.Tanh: "tanh"}
_HIST = 2000
ALARM = 10.0  # activation values kept per sampled step, for the histograms


@dataclass
class Layer:
    """A module that owns parameters, numbered 1.. in the order of ``named_modules``."""

    index: int
    name: str
    kind: str
    module: Module = field(repr=False)

    @property
    def label(self) -> str:
        return f"layer {self.index} ({self.name or 'model'}: {self.kind})"


@dataclass
class Activation:
    """An activation seen in a sampled forward; ``after`` is the index of the parameter
    layer that ran before it (0: the input). ``name`` is the activation module's name, or
    for a functional call ``<module>.<kind>#k`` (``model.relu#1``: the first relu called
    in the model's own forward), ``module`` the module running it."""

    name: str
    kind: str
    after: int
    module: Module = field(repr=False)

    @property
    def label(self) -> str:
        where = f"layer {self.after}" if self.after else "the input"
        return f"the {self.kind} after {where} ({self.name})"


@dataclass
class Sample:
    """One sampled step. ``layers`` maps the layer index to weight_norm, grad_norm and
    update_ratio; ``activations`` maps the activation name to its statistics."""

    step: int
    loss: float | None
    grad_norm: float
    layers: dict = field(default_factory=dict)
    activations: dict = field(default_factory=dict)
    time_norms: dict = field(default_factory=dict)


class GradientMonitor(Callback):
    """Samples gradient health every ``every`` steps; ``verdict()`` diagnoses it.

    ``detect_anomaly=True`` also runs anomaly mode (slow: one finiteness test per op)
    so a NaN is traced to the op and layer that first produced it.
    """

    def __init__(
        self, model: Module | None = None, every: int = 10, detect_anomaly: bool = False
    ) -> None:
        super().__init__()
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"GradientMonitor: every must be a positive int, got {every!r}")
        self.every, self.detect_anomaly = every, detect_anomaly
        self._model, self.layers, self.activations = None, [], []
        self.samples: list[Sample] = []
        self.losses: list[float] = []
        self.step = 0
        self.nonfinite_step: int | None = None
        self.anomaly, self.anomaly_step = None, None
        self._before, self._handles, self._seen, self._rnn_flags = None, [], {}, {}
        self._stack, self._after, self._acts, self._layer_of = [], 0, {}, {}
        self._alarm, self._best, self._anomaly_on = False, math.inf, False
        if model is not None:
            self.attach(model)

    # ----- setup ----------------------------------------------------------------------
    def attach(self, model: Module) -> GradientMonitor:
        if not isinstance(model, Module):
            raise TypeError(
                f"GradientMonitor: expected a nerve.nn.Module, got {type(model).__name__}"
            )
        self._model, self.layers, self.activations, self._acts = model, [], [], {}
        for name, m in model.named_modules():
            if any(p is not None for p in m._parameters.values()):
                self.layers.append(Layer(len(self.layers) + 1, name, type(m).__name__, m))
        self._layer_of = {id(layer.module): layer.index for layer in self.layers}
        return self

    def _start_anomaly_mode(self) -> None:
        from nerve.diagnostics.anomaly import detect_anomaly

        if self.anomaly is None or self.anomaly.model is not self._model:
            self.anomaly = detect_anomaly(self._model, raise_error=False)
        self.anomaly.__enter__()
        self._anomaly_on = True

    def close(self) -> None:
        """End anomaly mode and remove any hooks (``fit`` does it at the end of training;
        a hand-written loop with ``detect_anomaly=True`` should call it)."""
        self._remove_hooks()
        if self._anomaly_on:
            self.anomaly.__exit__(None, None, None)
            self._anomaly_on = False

    @property
    def model(self) -> Module | None:
        return self._model

    @property
    def sampling(self) -> bool:
        return self.step % self.every == 0 or self._alarm

    # ----- the step -------------------------------------------------------------------
    def begin_step(self) -> None:
        """Call before the forward: on a sampled step, copies the weights and hooks the
        activations."""
        if self.model is None:
            raise RuntimeError("GradientMonitor: attach(model) first (or pass the model)")
        if self.detect_anomaly and not self._anomaly_on:
            self._start_anomaly_mode()
        self._remove_hooks()  # a previous step that raised before end_step
        if not self.sampling:
            return
        self._before = {id(p): to_host(p._data).copy() for p in self.model.parameters()}
        self._seen, self._stack, self._after = {}, [], 0
        self._hook_modules()
        _function.forward_observers.append(self._observe)
        for m in self.model.modules():
            if isinstance(m, RNNBase):
                self._rnn_flags[m] = m.record_grad_norms
                m.record_grad_norms = True

    def end_step(self, loss=None) -> None:
        """Call after ``optimizer.step()``: records a sampled step (or a non-finite loss)."""
        value = None if loss is None else float(loss)
        if value is not None:
            self.losses.append(value)
            # a loss ten times its best and above its start is diverging: sample every step until it
            # recovers, so the gradient norm on the way to a NaN is on record
            self._best = min(self._best, abs(value))
            self._alarm = math.isfinite(value) and abs(value) > max(
                ALARM * self._best, abs(self.losses[0])
            )
        nonfinite = value is not None and not math.isfinite(value)
        if nonfinite and self.nonfinite_step is None:
            self.nonfinite_step = self.step
        if self.anomaly is not None and self.anomaly.first and self.anomaly_step is None:
            self.anomaly_step = self.step
        if self.sampling or (nonfinite and self.nonfinite_step == self.step):
            self.samples.append(self._record(value))
        self._remove_hooks()
        self.step += 1

    def _record(self, loss) -> Sample:
        sample = Sample(self.step, loss, 0.0)
        total = 0.0
        for layer in self.layers:
            stats = _layer_stats(layer.module, self._before)
            sample.layers[layer.index] = stats
            total += stats["grad_norm"] ** 2
        sample.grad_norm = math.sqrt(total)
        for name, seen in self._seen.items():
            sample.activations[name] = _combine(seen)
        for name, m in self.model.named_modules():
            if isinstance(m, RNNBase) and m.grad_norms and m.grad_norms[0]:
                sample.time_norms[name or "model"] = to_host(m.grad_norms[0][-1])
        self._before = None
        return sample

    def _hook_modules(self) -> None:
        """A stack of the running modules: the op observer asks which one runs an op."""

        def enter(module, args, name):
            self._stack.append((name, module))

        def leave(module, args, output):
            if self._stack:
                self._stack.pop()
            index = self._layer_of.get(id(module))
            if index:
                self._after = index

        for name, m in self.model.named_modules():
            self._handles.append(
                m.register_forward_pre_hook(
                    lambda module, args, name=name: enter(module, args, name)
                )
            )
            self._handles.append(m.register_forward_hook(leave, always_call=True))

    def _observe(self, fn, inputs, out) -> None:
        kind = _OP_KINDS.get(type(fn))
        if kind is None or not self._stack:
            return  # not an activation, or not run by the model
        if any(isinstance(m, (RNNBase, RNNCellBase)) for _, m in self._stack):
            return  # a gate of a recurrent layer
        name, module = self._stack[-1]
        after = self._layer_of.get(id(module)) or self._after
        act = self._activation(name, module, kind, after)
        self._seen.setdefault(act.name, []).append(_activation_stats(kind, out))

    def _activation(self, name: str, module: Module, kind: str, after: int) -> Activation:
        """The activation this op is: its module, or (for F.* and Tensor methods) the
        module whose forward calls it, with the layer it follows."""
        key = (name, kind) if _KINDS.get(type(module)) == kind else (name, kind, after)
        act = self._acts.get(key)
        if act is None:
            if len(key) == 2:
                label = name
            else:
                k = 1 + sum(1 for other in self._acts if other[:2] == key[:2] and len(other) == 3)
                label = f"{name or 'model'}.{kind}#{k}"
            act = self._acts[key] = Activation(label, kind, after, module)
            self.activations.append(act)
        return act

    def _remove_hooks(self) -> None:
        if self._observe in _function.forward_observers:
            _function.forward_observers.remove(self._observe)
        for h in self._handles:
            h.remove()
        self._handles.clear()
        for m, flag in self._rnn_flags.items():
            m.record_grad_norms = flag
        self._rnn_flags.clear()

    # ----- results --------------------------------------------------------------------
    def series(self, key: str = "grad_norm") -> tuple[np.ndarray, dict]:
        """(sampled steps, {layer index: values}) for weight_norm, grad_norm or
        update_ratio."""
        steps = np.array([s.step for s in self.samples])
        return steps, {
            layer.index: np.array(
                [s.layers.get(layer.index, {}).get(key, np.nan) for s in self.samples]
            )
            for layer in self.layers
        }

    def verdict(self):
        """The diagnosis (see nerve.diagnostics.verdict): problems named with their
        numbers, and the remedies."""
        from nerve.diagnostics.verdict import diagnose

        return diagnose(self)

    # ----- Callback hooks (fit) -------------------------------------------------------
    def on_train_begin(self, logs: dict | None = None) -> None:
        if self.model is None or self.model is not self.state.model:
            self.attach(self.state.model)

    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self.begin_step()

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.end_step((logs or {}).get("loss"))

    def on_train_end(self, logs: dict | None = None) -> None:
        self.close()


def _norm(arrays) -> float:
    # the monitor's statistics are host work on sampled steps: device arrays are copied
    return math.sqrt(sum(float(np.vdot(h, h).real) for h in map(to_host, arrays)))


def _layer_stats(module: Module, before: dict | None) -> dict:
    params = [p for p in module._parameters.values() if p is not None]
    grads = [p.grad._data for p in params if p.grad is not None]
    w = _norm(p._data for p in params)
    stats = {
        "weight_norm": w,
        "grad_norm": _norm(grads) if grads else 0.0,
        "update_ratio": math.nan,
    }
    if before is not None and all(id(p) in before for p in params):
        update = _norm(to_host(p._data) - before[id(p)] for p in params)
        stats["update_ratio"] = update / w if w > 0 else math.nan
    return stats


def _activation_stats(kind: str, y: np.ndarray) -> dict:
    """Per-call statistics; a unit is a feature (axis 1), pooled over batch and space."""
    y = to_host(y)
    stats = {
        "n": y.shape[0] if y.ndim > 1 else 1,
        "mean": float(y.mean()),
        "std": float(y.std()),
        "values": y.ravel()[:: max(1, y.size // _HIST)][:_HIST],
    }
    if kind == "relu":
        axes = (0,) + tuple(range(2, y.ndim)) if y.ndim > 1 else ()
        stats["active"] = (y > 0).any(axis=axes) if axes else y > 0
    elif kind == "sigmoid":
        stats["saturated"] = float(np.mean((y < 1 - SATURATION) | (y > SATURATION)))
    else:
        stats["saturated"] = float(np.mean(np.abs(y) > SATURATION))
    return stats


def _combine(calls: list) -> dict:
    """One module called several times in a step (a shared ReLU): pool its calls."""
    out = dict(calls[0])
    out["n"] = sum(c["n"] for c in calls)
    if "saturated" in out:
        out["saturated"] = float(np.mean([c["saturated"] for c in calls]))
    if "active" in out:
        out["dead"] = float(np.mean([1.0 - c["active"].mean() for c in calls]))
    return out
