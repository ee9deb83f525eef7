"""``nerve.summary(model, input_size)``: torchinfo's and Keras's model summary.

One forward pass on zeros of ``input_size`` (batch included, as torchinfo's) records
every layer's output shape and parameter count (its own parameters, not its children's),
then the totals. A convolution or pooling layer whose window does not tile its padded
input is flagged: along a dimension of size n with padding p, kernel k, dilation d and
stride s the windows cover ⌊(n + 2p - d(k-1) - 1)/s⌋·s + d(k-1) + 1 positions, and the
rest, r = (n + 2p - d(k-1) - 1) mod s, are silently dropped (a 3x3 kernel with stride 3
on a 7x7 input leaves one row and one column unused), as in PyTorch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["LayerInfo", "ModelSummary", "summary"]


@dataclass
class LayerInfo:
    name: str
    kind: str
    output_shape: tuple | None
    num_params: int
    trainable_params: int
    unused: dict = field(default_factory=dict)  # spatial dim -> input positions dropped


@dataclass
class ModelSummary:
    layers: list
    total_params: int
    trainable_params: int

    @property
    def flagged(self) -> list:
        """The layers whose windows leave input positions unused."""
        return [layer for layer in self.layers if layer.unused]

    def __str__(self) -> str:
        width = max([len(f"{x.name} ({x.kind})") for x in self.layers] + [24])
        lines = [
            f"{'Layer (type)':<{width}}  {'Output Shape':<22}{'Param #':>12}",
            "=" * (width + 36),
        ]
        for x in self.layers:
            shape = "-" if x.output_shape is None else str(list(x.output_shape))
            lines.append(f"{x.name + ' (' + x.kind + ')':<{width}}  {shape:<22}{x.num_params:>12,}")
            for dim, r in x.unused.items():
                lines.append(
                    f"{'':<{width}}  ! the last {r} input position(s) of spatial "
                    f"dim {dim} are never seen by the window"
                )
        lines += [
            "=" * (width + 36),
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.total_params - self.trainable_params:,}",
        ]
        return "\n".join(lines)


def _tuple(v, n: int) -> tuple:
    return tuple(v) if isinstance(v, tuple | list) else (v,) * n


def _unused(module, x) -> dict:
    """Per spatial dim, the input positions the module's windows never reach."""
    kernel = getattr(module, "kernel_size", None)
    shape = getattr(x, "shape", None)
    if kernel is None or shape is None or getattr(module, "ceil_mode", False):
        return {}
    n = len(_tuple(kernel, 1)) if isinstance(kernel, tuple | list) else len(shape) - 2
    sizes = tuple(shape[-n:])
    padding = getattr(module, "padding", 0)
    if isinstance(padding, str):
        if padding == "same":
            return {}
        padding = 0
    stride = getattr(module, "stride", None) or kernel
    k, s = _tuple(kernel, n), _tuple(stride, n)
    p, d = _tuple(padding, n), _tuple(getattr(module, "dilation", 1), n)
    out = {}
    for i in range(n):
        span = sizes[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1
        if span >= 0 and span % s[i]:
            out[i] = span % s[i]
    return out


def summary(model, input_size=None, input_data=None, dtypes=None, verbose: int = 1):
    """Run ``model`` once on zeros of ``input_size`` (or on ``input_data``) and return
    (and with ``verbose``, print) its :class:`ModelSummary`."""
    from nerve.autograd.grad_mode import no_grad
    from nerve.creation import zeros

    if input_data is None:
        if input_size is None:
            raise ValueError("summary: give input_size (with the batch dimension) or input_data")
        sizes = input_size if isinstance(input_size, list) else [input_size]
        kinds = dtypes or [None] * len(sizes)
        input_data = [zeros(*s, dtype=dt) for s, dt in zip(sizes, kinds)]
    elif not isinstance(input_data, list | tuple):
        input_data = [input_data]
    seen: dict = {}
    handles = []
    for name, module in model.named_modules():
        leaf = not any(True for _ in module.children())
        if leaf or any(True for _ in module.parameters(recurse=False)):

            def hook(m, args, output, name=name):
                first = output[0] if isinstance(output, tuple) else output
                seen[name] = (
                    tuple(first.shape) if hasattr(first, "shape") else None,
                    _unused(m, args[0] if args else None),
                )

            handles.append(module.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            model(*input_data)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    layers = []
    for name, module in model.named_modules():
        if name in seen:
            params = list(module.parameters(recurse=False))
            layers.append(
                LayerInfo(
                    name or type(module).__name__,
                    type(module).__name__,
                    seen[name][0],
                    sum(p.numel() for p in params),
                    sum(p.numel() for p in params if p.requires_grad),
                    seen[name][1],
                )
            )
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    result = ModelSummary(layers, total, trainable)
    if verbose:
        print(result)
    return result
