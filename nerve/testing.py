"""``torch.testing`` for nerve: ``assert_close`` and ``make_tensor``.

``assert_close`` passes when every element satisfies
|actual - expected| ≤ atol + rtol · |expected|, with PyTorch's default tolerances for
the dtypes compared (the looser of the two when they differ), and fails with PyTorch's
message: how many elements mismatch, and the greatest absolute and relative difference
with its index. Nested sequences and mappings are compared item by item.
"""

from __future__ import annotations

import collections.abc as abc
import math

import numpy as np

from nerve import random as _random
from nerve.bf16_dtype import is_bf16 as _is_bf16
from nerve.tensor import Size, Tensor

# (rtol, atol) per dtype, as torch.testing; integers and bools compare exactly
_TOLERANCES = {
    np.dtype(np.float16): (1e-3, 1e-5),
    np.dtype(np.float32): (1.3e-6, 1e-5),
    np.dtype(np.float64): (1e-7, 1e-7),
    np.dtype(np.complex64): (1.3e-6, 1e-5),
    np.dtype(np.complex128): (1e-7, 1e-7),
}


def _tolerance(d) -> tuple:
    if d.kind == "V" and _is_bf16(d):
        return (1.6e-2, 1e-5)  # torch.testing's for bfloat16
    return _TOLERANCES.get(d, (0.0, 0.0))


class _MismatchError(Exception):
    """A failed comparison; carries the message and the path of the item that failed."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.message, self.path = message, path


def assert_close(
    actual,
    expected,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    equal_nan: bool = False,
    check_dtype: bool = True,
    msg=None,
    check_device: bool = True,
    check_layout: bool = True,
    check_stride: bool = False,
) -> None:
    """Raise AssertionError unless ``actual`` and ``expected`` are close.

    Accepts nerve Tensors, NumPy arrays (the two may be mixed; PyTorch refuses to mix
    tensors and arrays), Python numbers, and sequences and mappings of these.
    ``msg`` replaces the message (a callable gets the generated message and returns the
    one to raise). ``check_device``, ``check_layout`` and ``check_stride`` are accepted
    for ported code; nerve has one device, one layout, and contiguous results.
    """
    if (rtol is None) != (atol is None):
        raise ValueError(
            "Both 'rtol' and 'atol' must be either specified or omitted, but "
            f"got no {'rtol' if rtol is None else 'atol'}."
        )
    try:
        _compare(actual, expected, rtol, atol, equal_nan, check_dtype)
    except _MismatchError as m:
        text = m.message
        if m.path:
            text += f"\n\nThe failure occurred for item {m.path}"
        if callable(msg):
            text = msg(text)
        elif msg is not None:
            text = msg
        raise AssertionError(text) from None


def _is_tensor_like(x) -> bool:
    return isinstance(x, Tensor | np.ndarray | np.generic)


def _is_number(x) -> bool:
    return isinstance(x, bool | int | float | complex)


def _compare(actual, expected, rtol, atol, equal_nan, check_dtype) -> None:
    if _is_tensor_like(actual) and _is_tensor_like(expected):
        return _compare_arrays(actual, expected, rtol, atol, equal_nan, check_dtype)
    if _is_number(actual) and _is_number(expected):
        return _compare_numbers(actual, expected, rtol, atol, equal_nan, check_dtype)
    if isinstance(actual, abc.Mapping) and isinstance(expected, abc.Mapping):
        return _compare_mappings(actual, expected, rtol, atol, equal_nan, check_dtype)
    if _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            raise _MismatchError(
                f"The length of the sequences mismatch: {len(actual)} != {len(expected)}"
            )
        for i, (a, e) in enumerate(zip(actual, expected)):
            _nested(i, _compare, a, e, rtol, atol, equal_nan, check_dtype)
        return None
    raise TypeError(
        f"No comparison pair was able to handle inputs of type {type(actual)} and {type(expected)}."
    )


def _is_sequence(x) -> bool:
    return isinstance(x, abc.Sequence) and not isinstance(x, str | bytes)


def _compare_mappings(actual, expected, rtol, atol, equal_nan, check_dtype) -> None:
    if set(actual) != set(expected):
        missing = sorted(map(repr, set(expected) - set(actual)))
        extra = sorted(map(repr, set(actual) - set(expected)))
        raise _MismatchError(
            "The keys of the mappings do not match:\n"
            f"Missing keys in the actual mapping: {missing}\n"
            f"Extra keys in the actual mapping: {extra}"
        )
    for k in expected:
        _nested(k, _compare, actual[k], expected[k], rtol, atol, equal_nan, check_dtype)


def _nested(key, compare, *args) -> None:
    try:
        compare(*args)
    except _MismatchError as m:
        raise _MismatchError(m.message, f"[{key!r}]" + m.path) from None


def _compare_numbers(actual, expected, rtol, atol, equal_nan, check_dtype) -> None:
    if check_dtype and type(actual) is not type(expected):
        raise _MismatchError(f"The (d)types do not match: {type(actual)} != {type(expected)}.")
    exact = not isinstance(actual, float | complex) and not isinstance(expected, float | complex)
    if rtol is None:
        rtol, atol = (0.0, 0.0) if exact else (1e-7, 1e-7)
    if _close(np.asarray(actual), np.asarray(expected), rtol, atol, equal_nan).all():
        return
    diff = abs(actual - expected)
    rel = diff / abs(expected) if expected != 0 else (math.nan if diff == 0 else math.inf)
    raise _MismatchError(_scalar_message(actual, expected, diff, rel, rtol, atol, exact))


def _scalar_message(actual, expected, diff, rel, rtol, atol, exact) -> str:
    allowed_abs = "" if exact else f" (up to {atol} allowed)"
    allowed_rel = "" if exact else f" (up to {rtol} allowed)"
    return (
        f"Scalars are not {'equal' if exact else 'close'}!\n\n"
        f"Expected {expected} but got {actual}.\n"
        f"Absolute difference: {diff}{allowed_abs}\n"
        f"Relative difference: {rel}{allowed_rel}"
    )


def _as_array(x) -> np.ndarray:
    return x.detach().numpy() if isinstance(x, Tensor) else np.asarray(x)


def _compare_arrays(actual, expected, rtol, atol, equal_nan, check_dtype) -> None:
    a, e = _as_array(actual), _as_array(expected)
    if a.shape != e.shape:
        raise _MismatchError(
            f"The values for attribute 'shape' do not match: {Size(a.shape)} != {Size(e.shape)}."
        )
    if check_dtype and a.dtype != e.dtype:
        raise _MismatchError(
            f"The values for attribute 'dtype' do not match: nerve.{a.dtype} != nerve.{e.dtype}."
        )
    exact = a.dtype.kind in "biu" and e.dtype.kind in "biu"
    if rtol is None:
        rtol, atol = (
            max(_tolerance(a.dtype)[0], _tolerance(e.dtype)[0]),
            max(_tolerance(a.dtype)[1], _tolerance(e.dtype)[1]),
        )
    if a.dtype.kind == "V" or e.dtype.kind == "V":  # bfloat16: compare the values in float64
        a, e = a.astype(np.float64), e.astype(np.float64)
    if exact:  # bools and integers subtract as int64 (no wrap-around, no bool subtraction)
        a, e = a.astype(np.int64), e.astype(np.int64)
    ok = _close(a, e, rtol, atol, equal_nan)
    if ok.all():
        return
    if a.ndim == 0:
        diff = abs(a - e).item()
        rel = (abs(a - e) / abs(e)).item() if e != 0 else (math.inf if diff else math.nan)
        raise _MismatchError(_scalar_message(a.item(), e.item(), diff, rel, rtol, atol, exact))
    raise _MismatchError(_array_message(a, e, ok, rtol, atol, exact))


def _close(a, e, rtol, atol, equal_nan) -> np.ndarray:
    with np.errstate(invalid="ignore", over="ignore"):
        # infinities are close only to themselves (inf - inf ≤ inf would let +inf match -inf)
        finite = np.isfinite(a) & np.isfinite(e)
        close = (a == e) | (finite & (np.abs(a - e) <= atol + rtol * np.abs(e)))
    if equal_nan:
        close |= np.isnan(a) & np.isnan(e)
    return close


def _array_message(a, e, ok, rtol, atol, exact) -> str:
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        diff = np.abs(a - e)
        rel = diff / np.abs(e).astype(np.float64 if exact else diff.dtype)
    # where the two agree (equal infinities, or NaNs under equal_nan) there is no difference
    diff = np.where(ok, 0, diff)
    rel = np.where(ok, 0, rel)
    wrong, total = int((~ok).sum()), ok.size
    lines = [
        f"Tensor-likes are not {'equal' if exact else 'close'}!",
        "",
        f"Mismatched elements: {wrong} / {total} ({100 * wrong / total:.1f}%)",
    ]
    for label, values, bound in (("absolute", diff, atol), ("relative", rel, rtol)):
        flat = values.reshape(-1)
        nan = np.flatnonzero(np.isnan(flat))
        at = int(nan[0]) if nan.size else int(np.argmax(flat))
        value = flat[at].item()
        index = tuple(int(i) for i in np.unravel_index(at, values.shape))
        allowed = "" if exact else f" (up to {bound} allowed)"
        lines.append(f"Greatest {label} difference: {value} at index {index}{allowed}")
    return "\n".join(lines)


def make_tensor(
    *shape,
    dtype,
    device=None,
    low: float | None = None,
    high: float | None = None,
    requires_grad: bool = False,
    noncontiguous: bool = False,
    exclude_zero: bool = False,
    memory_format=None,
) -> Tensor:
    """A tensor of ``shape`` filled with uniform random values, as torch.testing.

    Floats are drawn from [low, high), default [-9, 9); integers from
    [ceil(low), ceil(high)), default [-9, 10) clamped to the dtype's range (unsigned from
    0); bools are fair coin flips. ``exclude_zero`` replaces zeros by 1 (integers) or the
    dtype's smallest normal number (floats). Draws come from nerve's global generator.
    """
    if len(shape) == 1 and isinstance(shape[0], abc.Sequence):
        shape = tuple(shape[0])
    shape = tuple(int(s) for s in shape)
    dt = np.dtype(dtype)
    if requires_grad and dt.kind in "biu":
        raise ValueError(
            "`requires_grad=True` is not supported for boolean and integral "
            f"dtypes, but got dtype=nerve.{dt}"
        )
    g = _random.rng()
    if dt.kind == "b":
        values = g.random(shape) < 0.5
    elif dt.kind in "iu":
        lo, hi = _bounds(low, high, -9, 10, np.iinfo(dt).min, np.iinfo(dt).max + 1)
        lo, hi = math.ceil(lo), math.ceil(hi)
        if lo >= hi:
            raise ValueError(f"`low` must be less than `high`, but got {lo} >= {hi}")
        values = g.integers(lo, hi, size=shape).astype(dt)
        if exclude_zero:
            values[values == 0] = 1
    else:
        info = np.finfo(dt)
        lo, hi = _bounds(low, high, -9, 9, float(info.min), float(info.max))
        values = (lo + (hi - lo) * g.random(shape)).astype(dt)
        if exclude_zero:
            values[values == 0] = info.tiny
    out = Tensor._wrap(np.array(values, dtype=dt))
    return out.requires_grad_(True) if requires_grad else out


def _bounds(low, high, default_low, default_high, lowest, highest):
    low = default_low if low is None else low
    high = default_high if high is None else high
    if math.isnan(low) or math.isnan(high):
        raise ValueError(f"`low` and `high` cannot be NaN, but got low={low} and high={high}")
    low, high = max(low, lowest), min(high, highest)
    if low > high:
        raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    return low, high
