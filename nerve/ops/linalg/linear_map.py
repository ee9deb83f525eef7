"""A linear map of arrays with its adjoint, as an op: the double backward of ops whose
backward is linear in δ with a structure the forward fixed (max-pool routing, window sums,
an embedding's scatter-add).

For such an op ∂L/∂x = B δ, where B depends on x only through piecewise-constant choices
(which element won a window), so ∂(B δ)/∂x = 0 almost everywhere and the backward of the
backward is Bᵀ. ``LinearMap`` records y = B x with ∂L/∂x = Bᵀ δ; its own double backward
swaps the two again, so any order of derivative is covered.
"""

from __future__ import annotations

from nerve.autograd.function import Function

__all__: list[str] = []


class LinearMap(Function):
    """y = A(x) for a linear map A on arrays given with its adjoint Aᵀ;  ∂L/∂x = Aᵀ(δ)"""

    def forward(self, x, map=None, adjoint=None):  # noqa: A002 - the map itself
        self.map, self.adjoint = map, adjoint
        return map(x)

    def backward(self, dy):
        return self.adjoint(dy)

    def backward_graph(self, dy):
        return LinearMap.apply(dy, map=self.adjoint, adjoint=self.map)


def frozen(node):
    """A copy of ``node`` whose saved arrays outlive the engine freeing the node
    (``retain_graph=False``), so its backward can still be called."""
    twin = object.__new__(type(node))
    twin.__dict__.update(node.__dict__)
    return twin


def linear_op_graph(node, dy, **params):
    """``backward_graph`` of an op linear in its one input (y = A x, so ∂L/∂x = Aᵀ δ): the
    backward is Aᵀ, and its adjoint is the op's own forward with the same ``params``."""
    twin, cls = frozen(node), type(node)
    return LinearMap.apply(
        dy, map=twin.backward, adjoint=lambda g: object.__new__(cls).forward(g, **params)
    )
