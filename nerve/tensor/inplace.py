"""Tensor's in-place writes (``add_``, ``copy_``, ``fill_``, random fills) and the
in-place forms of comparisons, index and product ops (``x.ge_(y)``, ``x.addmm_(a, b)``).

Each method is declared here and calls the op of the same name (or the one named) in
the ops table, ``nerve/tensor/ops_table.py``, which the op modules fill as they load;
the comment above each group names the file that holds the ops. In-place forms go
through ``nerve/ops/inplace/updates.py``'s ``inplace_call``: written into the tensor's array
outside a graph, computed out of place and rebound inside one.
"""

from __future__ import annotations

from nerve.tensor.ops_table import ops


class InplaceMethods:
    """In-place writes and in-place index, comparison and product ops (a mixin of Tensor)."""

    __slots__ = ()

    # ----- nerve/ops/inplace/updates.py -----------------------------------------------------------

    def add_(self, other, alpha=1):
        """self += alpha·other, in place."""
        return ops.add_(self, other, alpha)

    def bernoulli_(self, p=0.5, generator=None):
        """Fill with 1 (probability ``p``) or 0, in place."""
        return ops.bernoulli_(self, p, generator)

    def clamp_(self, min=None, max=None):
        """Clamp into [min, max], in place."""
        return ops.clamp_(self, min, max)

    def clamp_max(self, max):
        """min(self, max) elementwise."""
        return ops.clamp_max(self, max)

    def clamp_min(self, min):
        """max(self, min) elementwise."""
        return ops.clamp_min(self, min)

    def clip_(self, min=None, max=None):
        """PyTorch's other name for ``clamp_``."""
        return ops.clamp_(self, min, max)

    def copy_(self, src):
        """Write ``src`` (broadcast, cast to this dtype) into this tensor."""
        return ops.copy_(self, src)

    def div_(self, other):
        """self /= other, in place."""
        return ops.div_(self, other)

    def fill_(self, value):
        """Fill with ``value``, in place."""
        return ops.fill_(self, value)

    def masked_fill_(self, mask, value):
        """Write ``value`` where ``mask`` is True, in place."""
        return ops.masked_fill_(self, mask, value)

    def mul_(self, other):
        """self *= other, in place."""
        return ops.mul_(self, other)

    def normal_(self, mean=0.0, std=1.0, generator=None):
        """Fill with draws from N(mean, std²), in place."""
        return ops.normal_(self, mean, std, generator)

    def sub_(self, other, alpha=1):
        """self -= alpha·other, in place."""
        return ops.sub_(self, other, alpha)

    def uniform_(self, a=0.0, b=1.0, generator=None):
        """Fill with draws from U[a, b), in place."""
        return ops.uniform_(self, a, b, generator)

    def zero_(self):
        """Fill with zeros, in place."""
        return ops.zero_(self)

    # ----- in-place forms of nerve/functional/compare.py ------------------------------------------

    def ceil_(self):
        """In-place ``ceil``: the result is written into this tensor."""
        return ops.inplace_call(self, "ceil_", ops.ceil)

    def floor_(self):
        """In-place ``floor``: the result is written into this tensor."""
        return ops.inplace_call(self, "floor_", ops.floor)

    def logical_not_(self, *, out=None):
        """In-place ``logical_not``: the result is written into this tensor."""
        return ops.inplace_call(self, "logical_not_", ops.logical_not, out=out)

    def round_(self):
        """In-place ``round``: the result is written into this tensor."""
        return ops.inplace_call(self, "round_", ops.round)

    def sign_(self):
        """In-place ``sign``: the result is written into this tensor."""
        return ops.inplace_call(self, "sign_", ops.sign)

    # ----- in-place forms of nerve/functional/logical.py -------------------------------------

    def bitwise_and_(self, other, *, out=None):
        """In-place ``bitwise_and``: the result is written into this tensor."""
        return ops.inplace_call(self, "bitwise_and_", ops.bitwise_and, other, out=out)

    def bitwise_not_(self, *, out=None):
        """In-place ``bitwise_not``: the result is written into this tensor."""
        return ops.inplace_call(self, "bitwise_not_", ops.bitwise_not, out=out)

    def bitwise_or_(self, other, *, out=None):
        """In-place ``bitwise_or``: the result is written into this tensor."""
        return ops.inplace_call(self, "bitwise_or_", ops.bitwise_or, other, out=out)

    def bitwise_xor_(self, other, *, out=None):
        """In-place ``bitwise_xor``: the result is written into this tensor."""
        return ops.inplace_call(self, "bitwise_xor_", ops.bitwise_xor, other, out=out)

    def eq_(self, other, *, out=None):
        """In-place ``eq``: the result is written into this tensor."""
        return ops.inplace_call(self, "eq_", ops.eq, other, out=out)

    def floor_divide_(self, other, *, out=None):
        """In-place ``floor_divide``: the result is written into this tensor."""
        return ops.inplace_call(self, "floor_divide_", ops.floor_divide, other, out=out)

    def gcd_(self, other, *, out=None):
        """In-place ``gcd``: the result is written into this tensor."""
        return ops.inplace_call(self, "gcd_", ops.gcd, other, out=out)

    def ge_(self, other, *, out=None):
        """In-place ``ge``: the result is written into this tensor."""
        return ops.inplace_call(self, "ge_", ops.ge, other, out=out)

    def greater_(self, other, *, out=None):
        """In-place ``greater``: the result is written into this tensor."""
        return ops.inplace_call(self, "greater_", ops.gt, other, out=out)

    def greater_equal_(self, other, *, out=None):
        """In-place ``greater_equal``: the result is written into this tensor."""
        return ops.inplace_call(self, "greater_equal_", ops.ge, other, out=out)

    def gt_(self, other, *, out=None):
        """In-place ``gt``: the result is written into this tensor."""
        return ops.inplace_call(self, "gt_", ops.gt, other, out=out)

    def heaviside_(self, values, *, out=None):
        """In-place ``heaviside``: the result is written into this tensor."""
        return ops.inplace_call(self, "heaviside_", ops.heaviside, values, out=out)

    def lcm_(self, other, *, out=None):
        """In-place ``lcm``: the result is written into this tensor."""
        return ops.inplace_call(self, "lcm_", ops.lcm, other, out=out)

    def le_(self, other, *, out=None):
        """In-place ``le``: the result is written into this tensor."""
        return ops.inplace_call(self, "le_", ops.le, other, out=out)

    def less_(self, other, *, out=None):
        """In-place ``less``: the result is written into this tensor."""
        return ops.inplace_call(self, "less_", ops.lt, other, out=out)

    def less_equal_(self, other, *, out=None):
        """In-place ``less_equal``: the result is written into this tensor."""
        return ops.inplace_call(self, "less_equal_", ops.le, other, out=out)

    def logical_and_(self, other, *, out=None):
        """In-place ``logical_and``: the result is written into this tensor."""
        return ops.inplace_call(self, "logical_and_", ops.logical_and, other, out=out)

    def logical_or_(self, other, *, out=None):
        """In-place ``logical_or``: the result is written into this tensor."""
        return ops.inplace_call(self, "logical_or_", ops.logical_or, other, out=out)

    def logical_xor_(self, other, *, out=None):
        """In-place ``logical_xor``: the result is written into this tensor."""
        return ops.inplace_call(self, "logical_xor_", ops.logical_xor, other, out=out)

    def lt_(self, other, *, out=None):
        """In-place ``lt``: the result is written into this tensor."""
        return ops.inplace_call(self, "lt_", ops.lt, other, out=out)

    def ne_(self, other, *, out=None):
        """In-place ``ne``: the result is written into this tensor."""
        return ops.inplace_call(self, "ne_", ops.ne, other, out=out)

    def nextafter_(self, other, *, out=None):
        """In-place ``nextafter``: the result is written into this tensor."""
        return ops.inplace_call(self, "nextafter_", ops.nextafter, other, out=out)

    def not_equal_(self, other, *, out=None):
        """In-place ``not_equal``: the result is written into this tensor."""
        return ops.inplace_call(self, "not_equal_", ops.ne, other, out=out)

    # ----- in-place forms of nerve/ops/shape/index_write.py ---------------------------------------

    def index_copy_(self, dim, index, source):
        """In-place ``index_copy``: the result is written into this tensor."""
        return ops.inplace_call(self, "index_copy_", ops.index_copy, dim, index, source)

    def index_fill_(self, dim, index, value):
        """In-place ``index_fill``: the result is written into this tensor."""
        return ops.inplace_call(self, "index_fill_", ops.index_fill, dim, index, value)

    def index_put_(self, indices, values, accumulate=False):
        """In-place ``index_put``: the result is written into this tensor."""
        return ops.inplace_call(self, "index_put_", ops.index_put, indices, values, accumulate)

    def index_reduce_(self, dim, index, source, reduce, *, include_self=True):
        """In-place ``index_reduce``: the result is written into this tensor."""
        return ops.inplace_call(
            self,
            "index_reduce_",
            ops.index_reduce,
            dim,
            index,
            source,
            reduce,
            include_self=include_self,
        )

    def masked_scatter_(self, mask, source):
        """In-place ``masked_scatter``: the result is written into this tensor."""
        return ops.inplace_call(self, "masked_scatter_", ops.masked_scatter, mask, source)

    def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
        """In-place ``scatter_reduce``: the result is written into this tensor."""
        return ops.inplace_call(
            self,
            "scatter_reduce_",
            ops.scatter_reduce,
            dim,
            index,
            src,
            reduce,
            include_self=include_self,
        )

    # ----- in-place forms of nerve/ops/shape/scatter.py -------------------------------------------

    def index_add_(self, dim, index, source, *, alpha=1):
        """In-place ``index_add``: the result is written into this tensor."""
        return ops.inplace_call(self, "index_add_", ops.index_add, dim, index, source, alpha=alpha)

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        """In-place ``scatter``: the result is written into this tensor."""
        return ops.inplace_call(
            self, "scatter_", ops.scatter, dim, index, src, value=value, reduce=reduce
        )

    def scatter_add_(self, dim, index, src):
        """In-place ``scatter_add``: the result is written into this tensor."""
        return ops.inplace_call(self, "scatter_add_", ops.scatter_add, dim, index, src)

    # ----- in-place forms of nerve/functional/products.py -----------------------------------------

    def addbmm_(self, batch1, batch2, *, beta=1, alpha=1):
        """In-place ``addbmm``: the result is written into this tensor."""
        return ops.inplace_call(self, "addbmm_", ops.addbmm, batch1, batch2, beta=beta, alpha=alpha)

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        """In-place ``addcdiv``: the result is written into this tensor."""
        return ops.inplace_call(self, "addcdiv_", ops.addcdiv, tensor1, tensor2, value=value)

    def addcmul_(self, tensor1, tensor2, *, value=1):
        """In-place ``addcmul``: the result is written into this tensor."""
        return ops.inplace_call(self, "addcmul_", ops.addcmul, tensor1, tensor2, value=value)

    def addmm_(self, mat1, mat2, *, beta=1, alpha=1):
        """In-place ``addmm``: the result is written into this tensor."""
        return ops.inplace_call(self, "addmm_", ops.addmm, mat1, mat2, beta=beta, alpha=alpha)

    def addmv_(self, mat, vec, *, beta=1, alpha=1):
        """In-place ``addmv``: the result is written into this tensor."""
        return ops.inplace_call(self, "addmv_", ops.addmv, mat, vec, beta=beta, alpha=alpha)

    def addr_(self, vec1, vec2, *, beta=1, alpha=1):
        """In-place ``addr``: the result is written into this tensor."""
        return ops.inplace_call(self, "addr_", ops.addr, vec1, vec2, beta=beta, alpha=alpha)

    def baddbmm_(self, batch1, batch2, *, beta=1, alpha=1):
        """In-place ``baddbmm``: the result is written into this tensor."""
        return ops.inplace_call(
            self, "baddbmm_", ops.baddbmm, batch1, batch2, beta=beta, alpha=alpha
        )

    # ----- in-place forms of nerve/ops/linalg/distance.py -----------------------------------------

    def renorm_(self, p, dim, maxnorm):
        """In-place ``renorm``: the result is written into this tensor."""
        return ops.inplace_call(self, "renorm_", ops.renorm, p, dim, maxnorm)

    # ----- in-place forms of nerve/ops/reduce/statistics.py ---------------------------------------

    def logcumsumexp_(self, dim):
        """In-place ``logcumsumexp``: the result is written into this tensor."""
        return ops.inplace_call(self, "logcumsumexp_", ops.logcumsumexp, dim)

    # ----- in-place forms of nerve/ops/shape/rearrange.py -----------------------------------------

    def tril_(self, diagonal=0):
        """In-place ``tril``: the result is written into this tensor."""
        return ops.inplace_call(self, "tril_", ops.tril, diagonal)

    def triu_(self, diagonal=0):
        """In-place ``triu``: the result is written into this tensor."""
        return ops.inplace_call(self, "triu_", ops.triu, diagonal)

    # ----- in-place forms of nerve/ops/inplace/updates.py -----------------------------------------

    def clamp_max_(self, max):
        """In-place ``clamp_max``: the result is written into this tensor."""
        return ops.inplace_call(self, "clamp_max_", ops.clamp_max, max)

    def clamp_min_(self, min):
        """In-place ``clamp_min``: the result is written into this tensor."""
        return ops.inplace_call(self, "clamp_min_", ops.clamp_min, min)
