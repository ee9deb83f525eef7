"""``nerve.bfloat16``: PyTorch's brain-float dtype, held by NumPy through ml_dtypes.

bfloat16 is float32 with the low 16 fraction bits rounded away (round to nearest even):
1 sign bit, float32's 8 exponent bits (same range, max ≈ 3.39e38) and 7 fraction bits,
so eps = 2⁻⁷ = 0.0078125. NumPy has no such dtype; the optional ``ml_dtypes`` package
adds one (``np.dtype(ml_dtypes.bfloat16)``: kind 'V', itemsize 2), and ``import nerve``
never imports it (``pip install ml_dtypes``, or the ``bf16`` extra).

``bfloat16`` below stands for that dtype without importing ml_dtypes: it is usable as a
dict key or value and in every ``dtype=`` (NumPy takes it through its ``.dtype``
attribute, which loads ml_dtypes on first use), compares equal to a bfloat16 tensor's
``dtype``, and hashes like it. Used without ml_dtypes it raises an ImportError that says
what to install; comparing it with another dtype just gives False.
"""

from __future__ import annotations

import sys

MISSING = (
    "nerve.bfloat16 needs the ml_dtypes package (NumPy has no bfloat16 of its own): "
    "pip install ml_dtypes, or pip install 'nerve[bf16]'"
)
NOT_ON_CUDA = (
    "nerve.bfloat16 tensors cannot live on cuda: nerve's CUDA device is CuPy, "
    "which has no bfloat16 dtype (the strict stand-in keeps CuPy's rules); keep "
    "them on the CPU, or use nerve.float16 on the GPU"
)
_loaded: list = []  # [the NumPy bfloat16 dtype] once ml_dtypes has been loaded
# callables run once, when nerve first makes or meets a bfloat16 array (Function.apply
# turns on its float32 compute for bfloat16 arrays there, so a run without bfloat16, even
# one that compares dtypes with nerve.bfloat16, never pays for it)
on_first_use: list = []
_used = [False]
_hash: list = []


def numpy_dtype():
    """The NumPy bfloat16 dtype (importing ml_dtypes the first time); ImportError with
    what to install when ml_dtypes is missing."""
    if _loaded:
        return _loaded[0]
    try:
        import ml_dtypes
        import numpy as np
    except ImportError:
        raise ImportError(MISSING) from None
    _loaded.append(np.dtype(ml_dtypes.bfloat16))
    return _loaded[0]


def in_use():
    """:func:`numpy_dtype`, for a bfloat16 array about to be made or met: runs the
    ``on_first_use`` callables the first time."""
    d = numpy_dtype()
    if not _used[0]:
        _used[0] = True
        for f in on_first_use:
            f()
    return d


def used() -> bool:
    """Whether nerve has made or met a bfloat16 array in this process."""
    return _used[0]


def is_bf16(dtype) -> bool:
    """Whether the NumPy dtype ``dtype`` is bfloat16 (no import: a bfloat16 array can
    only exist once ml_dtypes has been imported, by nerve or by the caller)."""
    if dtype.kind != "V" or "ml_dtypes" not in sys.modules:
        return False
    if dtype.type is not numpy_dtype().type:
        return False
    if not _used[0]:
        in_use()
    return True


class BFloat16:
    """The placeholder type of ``nerve.bfloat16`` (one instance); see the module
    docstring. Attributes other than its own (``itemsize``, ``kind``, ``name`` ...) are
    the NumPy dtype's."""

    __slots__ = ()

    @property
    def dtype(self):
        return numpy_dtype()

    def __repr__(self) -> str:
        return "nerve.bfloat16"

    def __str__(self) -> str:
        return "bfloat16"  # as str() of the NumPy dtype, so "nerve.{dtype}" reads right

    def __eq__(self, other) -> bool:
        if other is self:
            return True
        if isinstance(other, str):
            return other in ("bfloat16", "nerve.bfloat16")
        if hasattr(other, "kind") and hasattr(other, "type"):  # a NumPy dtype
            return is_bf16(other)
        if "ml_dtypes" in sys.modules and other is sys.modules["ml_dtypes"].bfloat16:
            return True
        return NotImplemented

    def __ne__(self, other) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self) -> int:
        # equal objects hash alike: the NumPy dtype's hash when ml_dtypes is there (then
        # {nerve.bfloat16: v}[x.dtype] finds v); without it no such dtype can exist
        if not _hash:
            try:
                _hash.append(hash(numpy_dtype()))
            except ImportError:
                _hash.append(hash("nerve.bfloat16"))
        return _hash[0]

    def __reduce__(self) -> str:
        return "bfloat16"  # pickled and copied as the one module-level instance

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(numpy_dtype(), name)


bfloat16 = BFloat16()
