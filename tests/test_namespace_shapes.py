"""The torch namespace's shape manipulation, reductions, linear algebra and indexing in
nerve: every name exists at the top level, as a Tensor method and (for torch.linalg) in
nerve.linalg; the results are torch's named tuples."""

import numpy as np
import pytest
import torch

import nerve

NAMES = """addbmm addcdiv addcmul addmm addmv addr baddbmm mv inner kron tensordot vdot
chain_matmul det inverse slogdet logdet pinverse matrix_power matrix_exp cholesky svd cdist
pdist cov corrcoef dist renorm argwhere nonzero take take_along_dim index_fill index_copy
index_put index_reduce index_add masked_scatter scatter_reduce select select_scatter
slice_scatter diagonal_scatter bincount histc bucketize searchsorted unique
unique_consecutive meshgrid cartesian_prod combinations tril_indices triu_indices block_diag
diag_embed diagflat vander tile ravel movedim moveaxis swapdims swapaxes narrow narrow_copy
tensor_split hsplit vsplit dsplit hstack vstack dstack column_stack row_stack atleast_1d
atleast_2d atleast_3d diff rot90 unravel_index broadcast_tensors broadcast_shapes median
nanmedian mode nanmean nansum quantile nanquantile logcumsumexp cummax cummin aminmax
kthvalue std_mean var_mean trapezoid trapz cumulative_trapezoid unflatten""".split()
METHODS = (
    NAMES
    + """unfold new_empty_strided is_same_size ndimension stride storage_offset
sum_to_size split_with_sizes""".split()
)
INPLACE = """index_fill_ index_copy_ index_put_ index_reduce_ masked_scatter_ scatter_reduce_
addmm_ addmv_ addr_ addbmm_ baddbmm_ addcmul_ addcdiv_ renorm_ logcumsumexp_""".split()
LINALG = """det inv slogdet svd svdvals matrix_norm vector_norm norm cholesky pinv
matrix_power matrix_exp solve qr eigh eigvalsh cross multi_dot vecdot diagonal inv_ex
cholesky_ex solve_ex matrix_rank cond vander matmul LinAlgError""".split()


def test_every_name_exists():
    assert [n for n in NAMES if hasattr(torch, n) and not hasattr(nerve, n)] == []
    t, n = torch.zeros(1), nerve.zeros(1)
    assert [m for m in METHODS if hasattr(t, m) and not hasattr(n, m)] == []
    assert [m for m in INPLACE if hasattr(t, m) and not hasattr(n, m)] == []
    assert [m for m in LINALG if not hasattr(nerve.linalg, m)] == []


X = np.random.default_rng(0).permutation(12).reshape(3, 4).astype(np.float32)


@pytest.mark.parametrize(
    "name, fields, call",
    [
        ("median", ("values", "indices"), lambda m, x: m.median(x, 1)),
        ("nanmedian", ("values", "indices"), lambda m, x: m.nanmedian(x, 1)),
        ("mode", ("values", "indices"), lambda m, x: m.mode(x, 1)),
        ("cummax", ("values", "indices"), lambda m, x: m.cummax(x, 1)),
        ("cummin", ("values", "indices"), lambda m, x: m.cummin(x, 1)),
        ("aminmax", ("min", "max"), lambda m, x: m.aminmax(x)),
        ("kthvalue", ("values", "indices"), lambda m, x: m.kthvalue(x, 2)),
        ("slogdet", ("sign", "logabsdet"), lambda m, x: m.slogdet(x[:, :3])),
        ("svd", ("U", "S", "V"), lambda m, x: m.svd(x)),
        ("linalg_svd", ("U", "S", "Vh"), lambda m, x: m.linalg.svd(x)),
        ("linalg_slogdet", ("sign", "logabsdet"), lambda m, x: m.linalg.slogdet(x[:, :3])),
        ("linalg_qr", ("Q", "R"), lambda m, x: m.linalg.qr(x)),
        ("linalg_eigh", ("eigenvalues", "eigenvectors"), lambda m, x: m.linalg.eigh(x[:, :3])),
    ],
)
def test_named_tuples_as_torch(name, fields, call):
    ours, theirs = call(nerve, nerve.tensor(X)), call(torch, torch.tensor(X))
    assert type(ours).__name__ == type(theirs).__name__ == name
    assert ours._fields == fields
    for f in fields:
        o, t = getattr(ours, f), getattr(theirs, f)
        assert tuple(o.shape) == tuple(t.shape) and o.dtype == t.numpy().dtype


def test_plain_tuples_where_torch_returns_tuples():
    for fn in (
        lambda m: m.std_mean(m.ones(3)),
        lambda m: m.var_mean(m.ones(3)),
        lambda m: m.meshgrid(m.ones(2), m.ones(3), indexing="ij"),
        lambda m: m.broadcast_tensors(m.ones(2), m.ones(3, 1)),
        lambda m: m.unique(m.ones(3), return_counts=True),
    ):
        assert type(fn(nerve)) is type(fn(torch)) is tuple


def test_float64_stays_float64():
    x = nerve.tensor(X.astype(np.float64))
    for out in (
        nerve.quantile(x, 0.5),
        x.median(),
        nerve.cdist(x, x),
        nerve.cov(x),
        x.logcumsumexp(0),
        nerve.det(x[:, :3]),
        nerve.kron(x, x),
        x.unfold(1, 2, 1),
        nerve.trapezoid(x),
        nerve.nanmean(x),
        nerve.block_diag(x, x),
    ):
        assert out.dtype == nerve.float64
