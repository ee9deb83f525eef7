"""The primitives: one family per file, each op a Function with forward and backward.

Importing the package loads the families whose functions Tensor's methods call: each
registers them in the tensor tier's ops table (nerve/tensor/ops_table.py) as it loads,
so that ``x.sum()`` finds ``nerve.ops.reduce.reductions.sum`` however nerve was entered.

The families live in topic subpackages: math/, linalg/, reduce/, shape/, inplace/ and
nn/ (the layers' ops).
"""

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
