"""Weight initialisation, in place and without gradient, as ``torch.nn.init``.

Every draw comes from nerve's global generator (or the one given), so
``nerve.manual_seed`` makes initialisation reproducible. Glorot (Xavier) keeps the
variance of activations and gradients equal across layers for linear/tanh units;
He (Kaiming) doubles it to make up for the half of the units that ReLU switches off.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from nerve.autograd import versions
from nerve.backend import is_device_array, to_device
from nerve.random import rng
from nerve.tensor import Tensor

_LINEAR = {
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
}


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The recommended scale of the weights' standard deviation for a nonlinearity."""
    if nonlinearity in _LINEAR:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, int | float) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """fan_in = size(1) · receptive field, fan_out = size(0) · receptive field, where the
    receptive field is the product of the sizes after the first two (conv kernels)."""
    if tensor.ndim < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than "
            f"2 dimensions (got shape {tuple(tensor.shape)})"
        )
    receptive = math.prod(tensor.shape[2:]) if tensor.ndim > 2 else 1
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor: Tensor, values) -> Tensor:
    """Write in place, bypassing autograd (initialisation is never part of the graph).
    The values are drawn on the host (the same numbers on every device); a device tensor
    gets them cast on the host and copied over once."""
    data = tensor._data
    if isinstance(values, np.ndarray) and is_device_array(data):
        values = to_device(values.astype(data.dtype, copy=False), tensor.device)
    data[...] = values
    versions.bump(tensor)  # an in-place write, as tensor.uniform_() in PyTorch's init
    return tensor


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill with draws from U(a, b)."""
    return _fill(tensor, rng(generator).uniform(a, b, tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill with draws from N(mean, std²)."""
    return _fill(tensor, rng(generator).normal(mean, std, tensor.shape))


def trunc_normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator=None,
) -> Tensor:
    """Fill with N(mean, std²) conditioned on [a, b]. With α = (a - mean)/std and
    β = (b - mean)/std: redraws outside [α, β] when the window holds over a quarter of
    the mass, else the inverse CDF x = mean + std · Φ⁻¹(U), U ~ U(Φ(α), Φ(β)), which
    stays exact for windows far in a tail (a right-tail window is sampled as the mirror
    of the left one, where Φ keeps its relative accuracy). Clamped to [a, b] against the
    last rounding."""
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn(
            "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
            "The distribution of values may be incorrect.",
            stacklevel=2,
        )
    alpha, beta = (a - mean) / std, (b - mean) / std
    flip = alpha > 0
    if flip:
        alpha, beta = -beta, -alpha
    return _fill(
        tensor,
        np.clip(mean + std * _std_normal_between(alpha, beta, tensor.shape, generator, flip), a, b),
    )


def _std_normal_between(alpha: float, beta: float, shape, generator, flip: bool):
    """Standard normal draws conditioned on [alpha, beta] (alpha ≤ 0), negated if ``flip``.
    A window deep in the left tail works with ln Φ, where Φ itself would underflow:
    ln p = ln Φ(β) + ln(r + U (1 - r)), r = Φ(α)/Φ(β)."""
    from nerve.ops.math.special import log_ndtr_and_ratio, ndtri_lower_array

    log_cdf, _ = log_ndtr_and_ratio(np.array([alpha, beta]))
    if math.exp(log_cdf[1]) - math.exp(log_cdf[0]) > 0.25:
        # a wide window: rejection keeps ≥ 1/4 of plain normal draws, far cheaper than Φ⁻¹
        return _rejected_outside(alpha, beta, shape, generator) * (-1 if flip else 1)
    if beta < 0:
        r = math.exp(log_cdf[0] - log_cdf[1])
        u = rng(generator).uniform(0.0, 1.0, shape)
        z = ndtri_lower_array(log_cdf[1] + np.log(r + u * (1 - r)))
    else:
        from nerve.ops.math.special import ndtri_array

        z = ndtri_array(rng(generator).uniform(math.exp(log_cdf[0]), math.exp(log_cdf[1]), shape))
    return -z if flip else z


def _rejected_outside(alpha: float, beta: float, shape, generator) -> np.ndarray:
    g = rng(generator)
    out = g.standard_normal(shape)
    bad = (out < alpha) | (out > beta)
    while bad.any():
        out[bad] = g.standard_normal(int(bad.sum()))
        bad = (out < alpha) | (out > beta)
    return out


def constant_(tensor: Tensor, val: float) -> Tensor:
    return _fill(tensor, val)


def ones_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 1)


def zeros_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 0)


def eye_(tensor: Tensor) -> Tensor:
    """The identity matrix (2-D tensors only)."""
    if tensor.ndim != 2:
        raise ValueError(
            f"Only tensors with 2 dimensions are supported (got shape {tuple(tensor.shape)})"
        )
    return _fill(tensor, np.eye(*tensor.shape))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot: U(-a, a) with a = gain · √(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot: N(0, std²) with std = gain · √(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def _kaiming_std(tensor, a, mode, nonlinearity) -> float | None:
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator=None,
) -> Tensor:
    """He: U(-bound, bound) with bound = gain · √(3 / fan), gain = calculate_gain(
    nonlinearity, a) and fan the fan_in or fan_out (``mode``)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator=None,
) -> Tensor:
    """He: N(0, std²) with std = gain / √fan."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """A (semi-)orthogonal matrix from the QR decomposition of a Gaussian one, the signs of
    R's diagonal folded into Q so the result is uniformly distributed."""
    if tensor.ndim < 2:
        raise ValueError(
            "Only tensors with 2 or more dimensions are supported "
            f"(got shape {tuple(tensor.shape)})"
        )
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = rng(generator).normal(0.0, 1.0, (rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape))


def layer_default_(weight: Tensor, bias: Tensor | None = None) -> None:
    """PyTorch's default for Linear and Conv layers: weight by kaiming_uniform_ with
    a = √5, i.e. U(-1/√fan_in, 1/√fan_in), and the bias from the same range."""
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = _calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        uniform_(bias, -bound, bound)


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """The identity of a convolution: weight (out, in, *kernel) zero except a 1 at the
    kernel's centre for out channel g·(out/groups) + d and in channel d, d < min(out/groups,
    in), in each of the ``groups``; the layer then passes its input channels through."""
    if tensor.ndim not in (3, 4, 5):
        raise ValueError(
            "Only tensors with 3, 4, or 5 dimensions are supported "
            f"(got shape {tuple(tensor.shape)})"
        )
    out_channels = tensor.shape[0]
    if out_channels % groups != 0:
        raise ValueError(
            f"dim 0 must be divisible by groups (got {out_channels} output "
            f"channels and groups={groups})"
        )
    per_group = out_channels // groups
    d = np.arange(min(per_group, tensor.shape[1]))
    rows = (np.arange(groups)[:, None] * per_group + d).reshape(-1)  # (groups·min_dim,)
    cols = np.tile(d, groups)
    centre = tuple(k // 2 for k in tensor.shape[2:])
    values = np.zeros(tensor.shape)
    values[(rows, cols, *centre)] = 1
    return _fill(tensor, values)


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator=None) -> Tensor:
    """Martens' sparse initialisation of a 2-D weight: N(0, std²) draws, then in every
    column ⌈sparsity · rows⌉ entries, chosen at random, set to 0."""
    if tensor.ndim != 2:
        raise ValueError(
            f"Only tensors with 2 dimensions are supported (got shape {tuple(tensor.shape)})"
        )
    rows, cols = tensor.shape
    g = rng(generator)
    values = g.normal(0.0, std, (rows, cols))
    zeros = int(math.ceil(sparsity * rows))
    # a random permutation per column: its first `zeros` rows are switched off
    order = np.argsort(g.random((rows, cols)), axis=0)[:zeros]  # (zeros, cols)
    values[order, np.arange(cols)] = 0
    return _fill(tensor, values)


def _deprecated(new):
    """The old name without the trailing underscore, kept by PyTorch with a FutureWarning."""
    old_name = new.__name__[:-1]

    def old(*args, **kwargs):
        warnings.warn(
            f"`nn.init.{old_name}` is now deprecated in favor of `nn.init.{new.__name__}`.",
            FutureWarning,
            stacklevel=2,
        )
        return new(*args, **kwargs)

    old.__name__ = old.__qualname__ = old_name
    old.__doc__ = f"Deprecated alias of :func:`{new.__name__}`."
    return old


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
dirac = _deprecated(dirac_)
eye = _deprecated(eye_)
