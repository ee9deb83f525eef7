"""F.pad in every mode: float64 finite differences and PyTorch, and PyTorch's errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from opcheck import Case, table_tests

import nerve
import nerve.nn.functional as F


def _both(pad, mode="constant", **kw):
    return (lambda x: F.pad(x, pad, mode=mode, **kw)), (lambda x: TF.pad(x, pad, mode=mode, **kw))


def _case(name, pad, shape, mode="constant", **kw):
    fn, tfn = _both(pad, mode, **kw)
    return Case(name, fn, tfn, [shape])


def _channels_last(pad, mode):
    """The input as a conv's channels-last output: a non-contiguous view."""
    return (
        lambda x: F.pad(x.permute(0, 3, 1, 2), pad, mode=mode),
        lambda x: TF.pad(x.permute(0, 3, 1, 2), pad, mode=mode),
    )


CASES = [
    _case("Pad/1d", (2, 1), (2, 3, 4)),
    _case("Pad/2d_value", (1, 0, 2, 3), (2, 2, 3, 3), value=-1.5),
    _case("Pad/3d", (1, 1, 0, 2, 1, 0), (1, 2, 2, 3, 2)),
    _case("Pad/negative", (-1, 2, 1, -1), (1, 2, 4, 3)),
    _case("Pad/all_dims", (1, 1, 1, 1), (3, 2)),
]
for mode in ("reflect", "replicate", "circular"):
    CASES += [
        _case(f"PadEdge/{mode}_1d", (2, 3), (2, 3, 5), mode),
        _case(f"PadEdge/{mode}_1d_unbatched", (3, 1), (3, 4), mode),
        _case(f"PadEdge/{mode}_2d", (1, 2, 2, 1), (2, 2, 3, 4), mode),
        _case(f"PadEdge/{mode}_2d_unbatched", (0, 2, 1, 0), (2, 3, 4), mode),
        _case(f"PadEdge/{mode}_3d", (1, 0, 0, 1, 1, 1), (1, 2, 2, 3, 3), mode),
        _case(f"PadEdge/{mode}_negative", (-1, 2, 2, -1), (1, 2, 4, 5), mode),
        _case(f"PadEdge/{mode}_full", (3, 3), (2, 2, 4), mode),
        Case(f"PadEdge/{mode}_channels_last", *_channels_last((1, 2, 2, 1), mode), [(2, 4, 3, 3)]),
    ]


table_tests(CASES, float64=True)


@pytest.mark.parametrize(
    "mode,pad,shape",
    [
        ("reflect", (4, 0), (2, 3, 4)),  # reflect needs pad < size
        ("reflect", (0, 0, 3, 0), (2, 3, 3)),
        ("circular", (5, 0), (2, 3, 4)),  # circular wraps at most once
    ],
)
def test_too_wide_raises_like_torch(mode, pad, shape):
    x = np.zeros(shape, np.float32)
    with pytest.raises(RuntimeError):
        TF.pad(torch.from_numpy(x), pad, mode=mode)
    with pytest.raises(RuntimeError, match="pad"):
        F.pad(nerve.tensor(x), pad, mode=mode)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize(
    "pad,shape",
    [
        ((1, 1), (4,)),
        ((1, 1, 1, 1), (2, 4)),
        ((1, 1), (1, 2, 3, 4)),
        ((1,) * 8, (1, 2, 3, 4, 5)),
    ],
)
def test_unsupported_dims_raise_like_torch(mode, pad, shape):
    x = np.zeros(shape, np.float32)
    with pytest.raises(NotImplementedError):
        TF.pad(torch.from_numpy(x), pad, mode=mode)
    with pytest.raises(NotImplementedError, match=f"{len(pad)}.*{len(shape)}D"):
        F.pad(nerve.tensor(x), pad, mode=mode)


def test_unknown_mode_and_value_with_edge_mode_raise():
    x = nerve.zeros(1, 2, 3)
    with pytest.raises(NotImplementedError, match="foo"):
        F.pad(x, (1, 1), mode="foo")
    with pytest.raises(RuntimeError, match="value"):
        F.pad(x, (1, 1), mode="reflect", value=2.0)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_dtype_kept_and_grad_is_tensor(mode):
    for dt in (np.float32, np.float64):
        x = nerve.tensor(np.ones((1, 2, 4), dt), requires_grad=True)
        y = F.pad(x, (2, 2), mode=mode)
        assert y.dtype == dt
        y.sum().backward()
        assert isinstance(x.grad, nerve.Tensor) and x.grad.dtype == dt
        assert x.grad.numpy().sum() == y.numel()  # every output position sends its δ home
