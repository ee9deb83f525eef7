"""Products built from matmul: the fused-update forms (addmm = β·M + α·(A@B) and kin),
mv, inner, vdot, kron, tensordot, chain_matmul / multi_dot. All are composites of MatMul,
Mul, Add and reshapes, so their gradients come from those ops."""

from __future__ import annotations

import math

from nerve.autograd.function import wrap
from nerve.backend import array_module
from nerve.backend.arrayfns import broadcast_shapes
from nerve.dtypes import is_floating
from nerve.ops.linalg import matmul as L
from nerve.ops.math.elementwise import need_tensor, where
from nerve.ops.shape import rearrange as S
from nerve.tensor import ops_table

__all__ = [
    "addbmm", "addcdiv", "addcmul", "addmm", "addmv", "addr", "baddbmm", "chain_matmul",
    "inner", "kron", "multi_dot", "mv", "tensordot", "vdot",
]  # fmt: skip


def _update(op, input, prod, beta, alpha):  # noqa: A002 - PyTorch's argument names
    """β·input + α·prod; β = 0 ignores input (its NaN and inf are not propagated)."""
    if input.dtype != prod.dtype:
        raise RuntimeError(
            f"{op}: expected self and mat2 to have the same dtype, but got: "
            f"{L.c_name(input.dtype)} != {L.c_name(prod.dtype)}"
        )
    try:
        broadcast_shapes(tuple(input.shape), tuple(prod.shape))
    except ValueError:
        raise RuntimeError(
            f"{op}: the input of shape {tuple(input.shape)} does not broadcast "
            f"to the product's shape {tuple(prod.shape)}"
        ) from None
    if not is_floating(input.dtype) and (
        not float(alpha).is_integer() or not float(beta).is_integer()
    ):
        raise RuntimeError(
            f"{op}: For integral input tensors, argument alpha and beta must "
            "not be a floating point number."
        )
    scaled = prod if alpha == 1 else prod * alpha
    if beta == 0:
        keep = array_module(input._data).isfinite(input._data) if is_floating(input.dtype) else True
        return scaled + where(wrap(keep), input, 0) * 0
    return scaled + (input if beta == 1 else input * beta)


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    return _update("addmm", input, L.mm(mat1, mat2), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    return _update("baddbmm", input, L.bmm(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    return _update("addbmm", input, L.bmm(batch1, batch2).sum(0), beta, alpha)


def mv(input, vec):
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.ndim}, {vec.ndim}")
    if input.shape[1] != vec.shape[0]:
        raise RuntimeError(
            f"size mismatch, got input ({input.shape[0]}), mat ({input.shape[0]}"
            f"x{input.shape[1]}), vec ({vec.shape[0]})"
        )
    L.same_product_dtype("mv", input, vec)
    return L.matmul(input, vec)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    return _update("addmv", input, mv(mat, vec), beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    if vec1.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(f"addr: Expected 1-D argument vec1, but got {vec1.ndim}-D")
    return _update("addr", input, L.outer(vec1, vec2), beta, alpha)


def addcmul(input, tensor1, tensor2, *, value=1):
    prod = tensor1 * tensor2
    return input + (prod if value == 1 else prod * value)


def addcdiv(input, tensor1, tensor2, *, value=1):
    if tensor1.dtype.kind in "biu" and tensor2.dtype.kind in "biu":
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a "
            "future release addcdiv will perform a true division of tensor1 and "
            "tensor2. The historic addcdiv behavior can be implemented as "
            "(input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) "
            "for integer inputs and as (input + value * tensor1 / tensor2) for "
            "float inputs. The future addcdiv behavior is just the latter "
            "implementation: (input + value * tensor1 / tensor2), for all dtypes."
        )
    q = tensor1 / tensor2
    return input + (q if value == 1 else q * value)


def _is_bool(t) -> bool:
    return getattr(getattr(t, "dtype", None), "kind", None) == "b"


def _no_bool_product(op: str, a, b) -> None:
    if _is_bool(a) and _is_bool(b):
        raise NotImplementedError(f"{op}: not implemented for dtype bool")


def tensordot(a, b, dims=2):
    """Σ over the paired dims: ``dims`` = n (last n of a with first n of b) or two lists."""
    _no_bool_product("tensordot", a, b)
    if hasattr(dims, "_data"):
        dims = dims._data.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    da, db = [d % max(a.ndim, 1) for d in da], [d % max(b.ndim, 1) for d in db]
    for i, j in zip(da, db):
        if a.shape[i] != b.shape[j]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size "
                f"{a.shape[i]} in dim {i} and second has size {b.shape[j]} in "
                f"dim {j}"
            )
    L.same_product_dtype("tensordot", a, b)
    fa = [i for i in range(a.ndim) if i not in da]
    fb = [j for j in range(b.ndim) if j not in db]
    k = math.prod(a.shape[i] for i in da)
    # a -> (free_a, k), b -> (k, free_b), one GEMM, then the free dims back
    am = S.reshape(S.permute(a, fa + da), (-1, k))
    bm = S.reshape(S.permute(b, db + fb), (k, -1))
    out = L.matmul(am, bm)
    return S.reshape(out, tuple(a.shape[i] for i in fa) + tuple(b.shape[j] for j in fb))


def inner(input, other):
    need_tensor("inner", other)
    _no_bool_product("inner", input, other)
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(
            f"inner() the last dimension must match on both input tensors but "
            f"got shapes {list(input.shape)} and {list(other.shape)}"
        )
    return tensordot(input, other, ([-1], [-1]))


def vdot(input, other):
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    return L.dot(input, other)


def kron(input, other):
    """(a ⊗ b)[i·p + k, j·q + l] = a[i, j] b[k, l], in any number of dims: a broadcast
    product over interleaved axes, then a reshape."""
    need_tensor("kron", other)
    n = max(input.ndim, other.ndim)
    sa = (1,) * (n - input.ndim) + tuple(input.shape)
    sb = (1,) * (n - other.ndim) + tuple(other.shape)
    # (a0, a1) -> (a0, 1, a1, 1);  (b0, b1) -> (1, b0, 1, b1)
    a = S.reshape(input, tuple(v for s in sa for v in (s, 1)))
    b = S.reshape(other, tuple(v for s in sb for v in (1, s)))
    return S.reshape(a * b, tuple(x * y for x, y in zip(sa, sb)))


def multi_dot(tensors):
    ts = list(tensors)
    if len(ts) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(ts)}")
    for i, t in enumerate(ts):
        if t.ndim != 2 and not (t.ndim == 1 and i in (0, len(ts) - 1)):
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D")
    out = ts[0]
    for t in ts[1:]:
        L.same_product_dtype("multi_dot", out, t)
        out = L.matmul(out, t)
    return out


def chain_matmul(*matrices):
    if len(matrices) == 1:
        return matrices[0].clone()
    for t in matrices:
        if t.ndim != 2:
            raise RuntimeError(f"chain_matmul(): Expected 2D tensors but got {t.ndim}D")
    return multi_dot(matrices)


# Tensor's methods call these (declared in nerve/tensor/; see nerve/tensor/ops_table.py)
ops_table.register(addbmm, addcdiv, addcmul, addmm, addmv, addr, baddbmm, inner, kron, mv, vdot)
