"""The primitives: one family per file, each op a Function with forward and backward.

Importing the package loads the families whose functions Tensor's methods call: each
registers them in the tensor tier's ops table (nerve/tensor/ops_table.py) as it loads,
so that ``x.sum()`` finds ``nerve.ops.reduce.sum`` however nerve was entered.
"""

from nerve.autograd import tensor_backward  # noqa: F401  (Tensor.backward, hooks)
from nerve.ops import (  # noqa: F401  (each registers its Tensor methods)
    activation,
    arithmetic,
    compare,
    compare_more,
    counting,
    distance,
    elementwise,
    index_more,
    indexing,
    inplace,
    linalg,
    linalg_more,
    mathfns,
    mathfns_more,
    products,
    reduce,
    reduce_more,
    scan,
    scatter,
    shape,
    shape_more,
    sorting,
)
from nerve.ops.roi import roi_pool  # noqa: F401  (torchvision.ops.roi_pool's spelling)
