"""einsum: sums of products over named indices, differentiated by einsum again."""

from __future__ import annotations

import string

from nerve.autograd.function import Function
from nerve.backend import array_module
from nerve.ops.shape.rearrange import Expand, Reshape

__all__ = ["einsum"]


class Einsum(Function):
    """y[out] = Σ over the indices not in ``out`` of Πₖ xₖ[inₖ]  (e.g. "ij,jk->ik": Y = A B).

    Each operand enters linearly, so ∂L/∂xₖ[inₖ] = Σ δ[out] Π_{m ≠ k} xₘ[inₘ]: the same
    einsum with δ in the place of xₖ, "out,in₁,…(without inₖ)…->inₖ". Indices of xₖ
    that appear nowhere else were summed over xₖ alone; its gradient is constant along
    them and is broadcast back. An index repeated inside one operand (a diagonal or a
    trace) is not differentiated: backward raises NotImplementedError for it.
    """

    def forward(self, *xs, inputs=(), output=""):
        self.xs, self.inputs, self.output = xs, inputs, output
        eq = ",".join(inputs) + "->" + output
        xp = array_module(*xs)
        return xp.asarray(xp.einsum(eq, *xs, optimize=_worth_a_path(xs)))

    def backward(self, dy):
        sizes = {}
        for sub, x in zip(self.inputs, self.xs):
            for c, n in zip(sub, x.shape):
                sizes[c] = max(sizes.get(c, 1), n)
        return tuple(
            self._grad(k, dy, sizes) if need else None
            for k, need in enumerate(self.needs_input_grad)
        )

    def _grad(self, k, dy, sizes):
        sub = self.inputs[k]
        if len(set(sub)) != len(sub):
            raise NotImplementedError(
                f"einsum: the gradient for operand {k} ('{sub}'), which repeats an index "
                "(a diagonal or trace), is not supported"
            )
        others = [(s, x) for m, (s, x) in enumerate(zip(self.inputs, self.xs)) if m != k]
        seen = set(self.output).union(*(s for s, _ in others))
        kept = "".join(c for c in sub if c in seen)
        eq = ",".join([self.output] + [s for s, _ in others]) + "->" + kept
        xp = array_module(dy)
        g = xp.einsum(eq, dy, *(x for _, x in others), optimize=_worth_a_path(others, dy))
        if len(kept) < len(sub):
            # (kept axes) -> (all axes of xₖ) with size-1 axes where it summed alone
            g = g.reshape([sizes[c] if c in seen else 1 for c in sub])
            g = xp.broadcast_to(g, [sizes[c] for c in sub])
        return g

    def backward_graph(self, dy):
        """The same einsums on the operands' Tensors (double backward)."""
        sizes = {}
        for sub, x in zip(self.inputs, self.xs):
            for c, n in zip(sub, x.shape):
                sizes[c] = max(sizes.get(c, 1), n)
        grads = []
        for k, need in enumerate(self.needs_input_grad):
            if not need:
                grads.append(None)
                continue
            sub = self.inputs[k]
            if len(set(sub)) != len(sub):
                raise NotImplementedError(
                    f"einsum: the gradient for operand {k} ('{sub}'), "
                    "which repeats an index, is not supported"
                )
            others = [(s, x) for m, (s, x) in enumerate(zip(self.inputs, self.parents)) if m != k]
            seen = set(self.output).union(*(s for s, _ in others))
            kept = "".join(c for c in sub if c in seen)
            g = Einsum.apply(
                dy,
                *(x for _, x in others),
                inputs=(self.output, *(s for s, _ in others)),
                output=kept,
            )
            if len(kept) < len(sub):
                g = Reshape.apply(g, shape=tuple(sizes[c] if c in seen else 1 for c in sub))
                g = Expand.apply(g, shape=tuple(sizes[c] for c in sub))
            grads.append(g)
        return tuple(grads)


def _worth_a_path(xs, *more) -> bool:
    """NumPy's path search (pairwise contractions through BLAS) costs ~30 µs: worth it for
    three operands or more, or for two with a large one."""
    arrays = [x[1] if isinstance(x, tuple) else x for x in xs] + list(more)
    return len(arrays) > 2 or (len(arrays) == 2 and max(a.size for a in arrays) > 4096)


def _parse(equation: str, shapes: list) -> tuple:
    """(input subscripts, output subscript) with spaces removed, "..." replaced by
    letters unused elsewhere and the implicit output (indices seen once, sorted) made
    explicit."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    subs = lhs.split(",")
    if len(subs) != len(shapes):
        raise ValueError(
            f"einsum(): {len(subs)} operand(s) in the equation '{equation}' but {len(shapes)} given"
        )
    free = [c for c in string.ascii_letters if c not in eq]
    ell = max(
        (len(shape) - (len(s) - 3) for s, shape in zip(subs, shapes) if "..." in s), default=0
    )
    fill = "".join(free[:ell])
    for i, (s, shape) in enumerate(zip(subs, shapes)):
        if "..." in s:
            n = len(shape) - (len(s) - 3)
            if n < 0:
                raise ValueError(
                    f"einsum(): operand {i} has {len(shape)} dims, fewer than "
                    f"the subscript '{s}' names"
                )
            s = s.replace("...", fill[ell - n :])
        if not s.isalpha() and s:
            raise ValueError(
                f"einsum(): invalid subscript '{s}' in '{equation}' (letters and '...' only)"
            )
        if len(s) != len(shape):
            raise ValueError(
                f"einsum(): the number of subscripts in '{s}' ({len(s)}) does "
                f"not match the number of dimensions ({len(shape)}) of operand "
                f"{i}"
            )
        subs[i] = s
    if arrow:
        out = rhs.replace("...", fill)
    else:
        letters = "".join(subs)
        out = fill + "".join(
            sorted(c for c in set(letters) if letters.count(c) == 1 and c not in fill)
        )
    return subs, out


def einsum(equation: str, *operands):
    """Einstein summation (torch.einsum): ``einsum("bij,bjk->bik", a, b)``; the operands
    may also be given as one list."""
    if len(operands) == 1 and isinstance(operands[0], list | tuple):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum(): must provide at least one operand")
    subs, out = _parse(equation, [tuple(x.shape) for x in operands])
    dtypes = {x.dtype for x in operands}
    if len(dtypes) > 1:
        raise RuntimeError(
            f"einsum(): expected operands of one dtype, got {sorted(map(str, dtypes))}"
        )
    try:
        return Einsum.apply(*operands, inputs=tuple(subs), output=out)
    except RuntimeError as err:
        raise RuntimeError(f"einsum(): {err} (equation '{equation}')") from None
