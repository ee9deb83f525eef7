"""The primitives: one family per file, each op a Function with forward and backward.

Importing the package loads the families whose functions Tensor's methods call: each
registers them in the tensor tier's ops table (nerve/tensor/ops_table.py) as it loads,
so that ``x.sum()`` finds ``nerve.ops.reduce.reductions.sum`` however nerve was entered.
The composites above the ops (``x.eq``, ``x.nonzero``, ``x.addmm`` ...) register the same
way from nerve/functional/, which ``nerve`` imports right after this package.

The families live in topic subpackages: math/, linalg/, reduce/, shape/, inplace/ and
nn/ (the layers' ops).

Each family declares ``__all__``: the ops it offers to the public faces (``nerve``,
``nerve.nn.functional``, ``nerve.linalg``, ``nerve.special``). Function classes, helpers
shared with other families and the ops only Tensor's methods call stay out of it (they
are reached by module path or through the ops table). The faces are built from those
lists with ``export`` below, so that an op added to a family's ``__all__`` reaches its
face with no second list to edit (tests/api/test_all_lists.py checks both ends).
"""

from typing import NamedTuple

from nerve.autograd import tensor_backward  # noqa: F401  (Tensor.backward, hooks)
from nerve.ops.inplace import updates  # noqa: F401

# each family registers its Tensor methods as it loads
from nerve.ops.linalg import decompositions, distance, matmul  # noqa: F401
from nerve.ops.math import (  # noqa: F401
    elementary,
    elementwise,
    elementwise_extrema,
    transcendental,
)
from nerve.ops.nn import activation  # noqa: F401
from nerve.ops.nn.roi import roi_pool  # noqa: F401  (torchvision.ops.roi_pool's spelling)
from nerve.ops.reduce import reductions, scan, sorting, statistics  # noqa: F401
from nerve.ops.shape import (  # noqa: F401
    dims,
    index_write,
    indexing,
    rearrange,
    rearrange_triangles,  # noqa: F401
    scatter,
)


class Take(NamedTuple):
    """What a face takes from one family: its whole ``__all__``, or the names in ``only``,
    less those in ``but``."""

    family: object
    only: tuple = None
    but: tuple = ()

    def names(self) -> list[str]:
        offered = self.family.__all__
        stale = sorted((set(self.only or ()) | set(self.but)) - set(offered))
        if stale:
            raise ValueError(f"{self.family.__name__}.__all__ does not list {stale}")
        return [n for n in (offered if self.only is None else self.only) if n not in self.but]


def export(namespace: dict, takes) -> list[str]:
    """Bind in ``namespace`` (a face's ``globals()``) the names each of ``takes`` selects,
    and return them sorted: the face's ``__all__``. Two families offering one name for two
    objects, or a family's name replacing one the face defines, is an error: nothing is
    shadowed silently."""
    bound = {}
    for take in takes:
        for name in take.names():
            obj = getattr(take.family, name)
            if bound.setdefault(name, obj) is not obj:
                raise RuntimeError(f"export: '{name}' is offered by two families")
    clash = sorted(n for n, obj in bound.items() if namespace.get(n, obj) is not obj)
    if clash:
        raise RuntimeError(f"export: {clash} would replace the face's own definitions")
    namespace.update(bound)
    return sorted(bound)
