"""Tensor's dtype casts (``x.float()``, ``x.long()`` ...), the ``new_*`` constructors that
take this tensor's dtype and device, and the memory-layout queries (``stride``,
``storage_offset``). They read the array directly: no op is involved."""

from __future__ import annotations

from nerve.backend import MODULES_OF, array_module
from nerve.backend.arrayfns import namespace_for
from nerve.dtypes import to_dtype
from nerve.tensor.size import _dim


def _namespace(t, device):
    """The array module of ``device``, or of ``t`` when none is given."""
    return array_module(t._data) if device is None else namespace_for(device)


def _shape(size) -> tuple:
    shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], tuple | list) else size
    return tuple(int(n) for n in shape)


def _leaf(t, arr, requires_grad: bool):
    out = t._wrap(arr)
    return out.requires_grad_(True) if requires_grad else out


class ConversionMethods:
    """Casts, ``new_*`` constructors and layout queries (a mixin of Tensor)."""

    __slots__ = ()

    # ----- casts: this tensor as another dtype (itself when it already is one) ---------
    def float(self):
        """This tensor as float32 (itself when it already is)."""
        return self.to(to_dtype("float32"))

    def double(self):
        """This tensor as float64 (itself when it already is)."""
        return self.to(to_dtype("float64"))

    def half(self):
        """This tensor as float16 (itself when it already is)."""
        return self.to(to_dtype("float16"))

    def bfloat16(self):
        """This tensor as bfloat16 (itself when it already is; needs ml_dtypes)."""
        return self.to(to_dtype("bfloat16"))

    def long(self):
        """This tensor as int64 (itself when it already is)."""
        return self.to(to_dtype("int64"))

    def int(self):
        """This tensor as int32 (itself when it already is)."""
        return self.to(to_dtype("int32"))

    def bool(self):
        """This tensor as bool (itself when it already is)."""
        return self.to(to_dtype("bool"))

    def short(self):
        """This tensor as int16 (itself when it already is)."""
        return self.to(to_dtype("int16"))

    def char(self):
        """This tensor as int8 (itself when it already is)."""
        return self.to(to_dtype("int8"))

    def byte(self):
        """This tensor as uint8 (itself when it already is)."""
        return self.to(to_dtype("uint8"))

    def is_complex(self):
        """Whether the dtype is complex."""
        return self._data.dtype.kind == "c"

    # ----- new leaves with this tensor's dtype and device unless others are given --------
    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        """A new leaf of zeros of ``size``."""
        arr = _namespace(self, device).zeros(_shape(size), to_dtype(dtype or self.dtype))
        return _leaf(self, arr, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        """A new leaf of ones of ``size``."""
        arr = _namespace(self, device).ones(_shape(size), to_dtype(dtype or self.dtype))
        return _leaf(self, arr, requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        """A new leaf of ``size``, its values uninitialised."""
        arr = _namespace(self, device).empty(_shape(size), to_dtype(dtype or self.dtype))
        return _leaf(self, arr, requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        """A new leaf of ``size`` filled with ``fill_value``."""
        xp = _namespace(self, device)
        arr = xp.full(tuple(size), fill_value, to_dtype(dtype or self.dtype))
        return _leaf(self, arr, requires_grad)

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        """A new leaf holding a copy of ``data``."""
        arr = data._data if hasattr(data, "_data") else data
        xp = _namespace(self, device)
        arr = xp.array(arr, dtype=to_dtype(dtype or self.dtype), copy=True)
        return _leaf(self, arr, requires_grad)

    def new_empty_strided(self, size, stride, *, dtype=None, device=None, requires_grad=False):
        """``new_empty(size)``: nerve's arrays choose their own strides."""
        return self.new_empty(tuple(size), dtype=dtype, requires_grad=requires_grad)

    # ----- layout -------------------------------------------------------------------
    def ndimension(self):
        """The number of dimensions (``ndim``)."""
        return self.ndim

    def is_same_size(self, other):
        """Whether ``other`` has this tensor's shape."""
        if not hasattr(other, "_data"):
            raise TypeError(
                "is_same_size(): argument 'other' (position 1) must be Tensor, "
                f"not {type(other).__name__}"
            )
        return tuple(self.shape) == tuple(other.shape)

    def stride(self, dim=None):
        """Steps in elements between neighbours along each dim (of the underlying array)."""
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        if dim is None:
            return strides
        return strides[_dim(dim, self.ndim, "stride")]

    def storage_offset(self):
        """Elements between the start of the base array and this view's first element."""
        arr, base = self._data, self._data
        while type(base.base) in MODULES_OF:  # NumPy's array interface: a CPU tensor's
            base = base.base
        start = arr.__array_interface__["data"][0] - base.__array_interface__["data"][0]
        return start // arr.itemsize if arr.itemsize else 0
