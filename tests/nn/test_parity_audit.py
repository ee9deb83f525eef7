"""A parity audit of every layer that exists in both nerve.nn and torch.nn: the class list is
dir(torch.nn) ∩ dir(nerve.nn); for each, one or two typical constructor calls are built in both
frameworks and compared on repr, state_dict keys/shapes/dtypes, parameter/buffer split,
requires_grad, default initialisation statistics, dtype conversion (.double(), .to(float64),
.float()), train()/eval() propagation, and a float32 forward pass with copied weights."""

import inspect
import warnings

import numpy as np
import pytest
import torch

import nerve
from nerve import nn

# Containers and abstract bases: covered by their own tests, nothing to build here.
NOT_LAYERS = {
    "Module",
    "Sequential",
    "ModuleList",
    "ModuleDict",
    "ParameterList",
    "ParameterDict",
    "RNNBase",
    "RNNCellBase",
}


def _f(*shape):
    return lambda rng: rng.standard_normal(shape).astype(np.float32)


def _pos(*shape):
    return lambda rng: (rng.random(shape) * 0.9 + 0.05).astype(np.float32)


def _ints(high, *shape):
    return lambda rng: rng.integers(0, high, shape).astype(np.int64)


def _sign(*shape):
    return lambda rng: np.where(rng.random(shape) < 0.5, -1.0, 1.0).astype(np.float32)


def _const(a):
    return lambda rng: np.asarray(a)


def _multilabel(rng):
    t = np.full((3, 5), -1, np.int64)
    t[0, :2] = [3, 0]
    t[1, :1] = [4]
    t[2, :3] = [1, 2, 0]
    return t


def _ctc_inputs(rng):
    logits = rng.standard_normal((12, 2, 5)).astype(np.float32)
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    targets = rng.integers(1, 5, (2, 4)).astype(np.int64)
    return [logp.astype(np.float32), targets, np.array([12, 10]), np.array([4, 3])]


def _unpool_inputs(dims):
    def make(rng):
        shape = (2, 3) + (8,) * dims
        x = torch.from_numpy(rng.standard_normal(shape).astype(np.float32))
        pool = torch.nn.functional.max_pool1d if dims == 1 else torch.nn.functional.max_pool2d
        y, idx = pool(x, 2, return_indices=True)
        return [y.numpy(), idx.numpy()]

    return make


# name -> list of (args, kwargs, [input makers]); a plain shape means one float input.
X4 = [_f(2, 3, 6, 5)]
SPECS = {
    "Linear": [((20, 30), {}, [_f(4, 20)]), ((7, 3), {"bias": False}, [_f(2, 5, 7)])],
    "Bilinear": [
        ((6, 5, 4), {}, [_f(3, 6), _f(3, 5)]),
        ((3, 2, 5), {"bias": False}, [_f(4, 3), _f(4, 2)]),
    ],
    "Identity": [((), {}, X4), ((3,), {"k": 1}, X4)],
    "LazyLinear": [((5,), {}, [_f(3, 7)])],
    "Conv1d": [
        ((3, 4, 3), {}, [_f(2, 3, 10)]),
        (
            (4, 6, 3),
            {
                "stride": 2,
                "padding": 1,
                "groups": 2,
                "bias": False,
                "dilation": 2,
                "padding_mode": "reflect",
            },
            [_f(2, 4, 11)],
        ),
    ],
    "Conv2d": [
        ((3, 4, 3), {}, [_f(2, 3, 7, 6)]),
        (
            (4, 6, (3, 2)),
            {"stride": 2, "padding": 1, "groups": 2, "padding_mode": "circular"},
            [_f(2, 4, 7, 6)],
        ),
        ((3, 4, 3), {"padding": "same", "bias": False}, [_f(1, 3, 5, 5)]),
    ],
    "Conv3d": [
        ((2, 3, 2), {}, [_f(2, 2, 4, 5, 4)]),
        (
            (2, 4, 3),
            {"padding": 1, "stride": (1, 2, 1), "padding_mode": "replicate"},
            [_f(1, 2, 4, 5, 4)],
        ),
    ],
    "ConvTranspose1d": [
        ((3, 4, 3), {}, [_f(2, 3, 6)]),
        (
            (4, 6, 3),
            {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2, "bias": False},
            [_f(2, 4, 5)],
        ),
    ],
    "ConvTranspose2d": [
        ((3, 4, 3), {}, [_f(2, 3, 5, 4)]),
        ((4, 2, (3, 2)), {"stride": 2, "dilation": 2, "groups": 2}, [_f(2, 4, 3, 4)]),
    ],
    "ConvTranspose3d": [
        ((2, 3, 2), {}, [_f(1, 2, 3, 4, 3)]),
        ((2, 2, 3), {"stride": 2, "padding": 1, "bias": False}, [_f(1, 2, 3, 3, 3)]),
    ],
    "LazyConv1d": [((4, 3), {}, [_f(2, 3, 9)])],
    "LazyConv2d": [((4, 3), {"padding": 1}, [_f(2, 3, 6, 5)])],
    # pooling
    "MaxPool1d": [
        ((3,), {}, [_f(2, 3, 10)]),
        ((3, 2, 1), {"dilation": 2, "ceil_mode": True}, [_f(2, 3, 10)]),
    ],
    "MaxPool2d": [((2,), {}, X4), ((3, 2, 1), {"ceil_mode": True}, X4)],
    "MaxPool3d": [
        ((2,), {}, [_f(1, 2, 4, 6, 4)]),
        ((3, 1, 1), {"dilation": 1}, [_f(1, 2, 4, 5, 4)]),
    ],
    "AvgPool1d": [
        ((3,), {}, [_f(2, 3, 10)]),
        ((3, 2, 1), {"ceil_mode": True, "count_include_pad": False}, [_f(2, 3, 10)]),
    ],
    "AvgPool2d": [
        ((2,), {}, X4),
        ((3, 2, 1), {"ceil_mode": True, "count_include_pad": False, "divisor_override": 2}, X4),
    ],
    "AvgPool3d": [
        ((2,), {}, [_f(1, 2, 4, 6, 4)]),
        ((3, 2, 1), {"count_include_pad": False}, [_f(1, 2, 4, 5, 4)]),
    ],
    "AdaptiveAvgPool1d": [((4,), {}, [_f(2, 3, 10)])],
    "AdaptiveAvgPool2d": [(((3, None),), {}, X4), ((2,), {}, X4)],
    "AdaptiveAvgPool3d": [((2,), {}, [_f(1, 2, 4, 6, 5)])],
    "AdaptiveMaxPool1d": [
        ((4,), {}, [_f(2, 3, 10)]),
        ((4,), {"return_indices": True}, [_f(2, 3, 10)]),
    ],
    "AdaptiveMaxPool2d": [(((3, 2),), {}, X4)],
    "AdaptiveMaxPool3d": [((2,), {}, [_f(1, 2, 4, 6, 5)])],
    "LPPool1d": [
        ((2, 3), {}, [_pos(2, 3, 10)]),
        ((1.5, 2, 2), {"ceil_mode": True}, [_pos(2, 3, 9)]),
    ],
    "LPPool2d": [((2, 2), {}, [_pos(2, 3, 6, 4)]), ((3, (2, 3), 1), {}, [_pos(2, 3, 6, 5)])],
    "FractionalMaxPool2d": [((2,), {"output_size": 3}, X4), ((2,), {"output_ratio": 0.5}, X4)],
    "MaxUnpool1d": [((2,), {}, [_unpool_inputs(1)])],
    "MaxUnpool2d": [((2,), {}, [_unpool_inputs(2)]), ((2, 2, 0), {}, [_unpool_inputs(2)])],
    # normalization
    "BatchNorm1d": [
        ((5,), {}, [_f(4, 5)]),
        ((5,), {"affine": False, "momentum": None}, [_f(4, 5, 3)]),
    ],
    "BatchNorm2d": [((3,), {}, X4), ((3,), {"track_running_stats": False, "eps": 1e-3}, X4)],
    "BatchNorm3d": [((2,), {}, [_f(2, 2, 3, 4, 3)])],
    "SyncBatchNorm": [((3,), {}, X4), ((5,), {"momentum": None}, [_f(4, 5)])],
    "LazyBatchNorm1d": [((), {}, [_f(4, 5)])],
    "LazyBatchNorm2d": [((), {}, X4)],
    "InstanceNorm1d": [
        ((3,), {}, [_f(2, 3, 10)]),
        ((3,), {"affine": True, "track_running_stats": True}, [_f(2, 3, 10)]),
    ],
    "InstanceNorm2d": [((3,), {}, X4), ((3,), {"affine": True}, X4)],
    "InstanceNorm3d": [((2,), {"affine": True}, [_f(2, 2, 3, 4, 3)])],
    "GroupNorm": [((3, 6), {}, [_f(2, 6, 4, 3)]), ((2, 4), {"affine": False}, [_f(2, 4, 5)])],
    "LayerNorm": [
        ((5,), {}, [_f(2, 3, 5)]),
        (((4, 5),), {"elementwise_affine": True, "bias": False, "eps": 1e-3}, [_f(2, 4, 5)]),
    ],
    "RMSNorm": [((5,), {}, [_f(2, 3, 5)]), (((4, 5),), {"eps": 1e-3}, [_f(2, 4, 5)])],
    "LocalResponseNorm": [((3,), {}, X4), ((2, 1e-3, 0.5, 2.0), {}, X4)],
    # embedding
    "Embedding": [
        ((10, 4), {}, [_ints(10, 3, 5)]),
        (
            (10, 4),
            {"padding_idx": 2, "max_norm": None, "scale_grad_by_freq": True},
            [_ints(10, 3, 5)],
        ),
    ],
    "EmbeddingBag": [
        ((10, 4), {}, [_ints(10, 3, 5)]),
        ((10, 4), {"mode": "max"}, [_ints(10, 8), _const(np.array([0, 3, 5]))]),
        ((10, 4), {"mode": "sum", "padding_idx": 1}, [_ints(10, 3, 4)]),
    ],
    # recurrent
    "RNN": [
        ((4, 6), {}, [_f(5, 3, 4)]),
        (
            (4, 6, 2),
            {"nonlinearity": "relu", "batch_first": True, "bidirectional": True},
            [_f(3, 5, 4)],
        ),
    ],
    "LSTM": [
        ((4, 6), {}, [_f(5, 3, 4)]),
        ((4, 6, 2), {"bias": False, "batch_first": True, "proj_size": 3}, [_f(3, 5, 4)]),
    ],
    "GRU": [((4, 6), {}, [_f(5, 3, 4)]), ((4, 6, 2), {"bidirectional": True}, [_f(5, 3, 4)])],
    "RNNCell": [
        ((4, 6), {}, [_f(3, 4)]),
        ((4, 6), {"nonlinearity": "relu", "bias": False}, [_f(3, 4)]),
    ],
    "LSTMCell": [((4, 6), {}, [_f(3, 4)])],
    "GRUCell": [((4, 6), {}, [_f(3, 4)])],
    # attention / transformer
    "MultiheadAttention": [
        ((8, 2), {}, [_f(5, 3, 8), _f(4, 3, 8), _f(4, 3, 8)]),
        (
            (8, 2),
            {"kdim": 6, "vdim": 5, "batch_first": True, "add_bias_kv": True},
            [_f(3, 5, 8), _f(3, 4, 6), _f(3, 4, 5)],
        ),
    ],
    "TransformerEncoderLayer": [
        ((8, 2, 16), {}, [_f(5, 3, 8)]),
        (
            (8, 2, 16),
            {"batch_first": True, "norm_first": True, "activation": "gelu", "bias": False},
            [_f(3, 5, 8)],
        ),
    ],
    "TransformerDecoderLayer": [((8, 2, 16), {}, [_f(4, 3, 8), _f(5, 3, 8)])],
    "TransformerEncoder": "built below",
    "TransformerDecoder": "built below",
    "Transformer": [
        (
            (),
            {
                "d_model": 8,
                "nhead": 2,
                "num_encoder_layers": 1,
                "num_decoder_layers": 1,
                "dim_feedforward": 16,
            },
            [_f(5, 3, 8), _f(4, 3, 8)],
        )
    ],
    # dropout (forward compared in eval mode)
    "Dropout": [((), {}, X4), ((0.3,), {"inplace": False}, X4)],
    "Dropout1d": [((0.2,), {}, [_f(2, 3, 5)])],
    "Dropout2d": [((), {}, X4)],
    "Dropout3d": [((), {}, [_f(2, 3, 2, 3, 2)])],
    "AlphaDropout": [((0.2,), {}, X4)],
    "FeatureAlphaDropout": [((0.2,), {}, X4)],
    # padding
    "ConstantPad1d": [((2, 1.5), {}, [_f(2, 3, 4)]), (((1, 3), -1.0), {}, [_f(2, 3, 4)])],
    "ConstantPad2d": [((1, 0.0), {}, X4), (((1, 0, 2, 3), 2.0), {}, X4)],
    "ConstantPad3d": [((1, 3.5), {}, [_f(1, 2, 3, 3, 2)])],
    "ZeroPad1d": [((2,), {}, [_f(2, 3, 4)])],
    "ZeroPad2d": [((1,), {}, X4), (((1, 0, 2, 3),), {}, X4)],
    "ZeroPad3d": [((1,), {}, [_f(1, 2, 3, 3, 2)])],
    "ReflectionPad1d": [((2,), {}, [_f(2, 3, 4)])],
    "ReflectionPad2d": [((1,), {}, X4), (((1, 0, 2, 3),), {}, X4)],
    "ReflectionPad3d": [((1,), {}, [_f(1, 2, 3, 3, 2)])],
    "ReplicationPad1d": [((2,), {}, [_f(2, 3, 4)])],
    "ReplicationPad2d": [((1,), {}, X4), (((1, 0, 2, 3),), {}, X4)],
    "ReplicationPad3d": [((1,), {}, [_f(1, 2, 3, 3, 2)])],
    "CircularPad1d": [((2,), {}, [_f(2, 3, 4)])],
    "CircularPad2d": [((1,), {}, X4), (((1, 0, 2, 3),), {}, X4)],
    "CircularPad3d": [((1,), {}, [_f(1, 2, 3, 3, 2)])],
    # shape
    "Flatten": [((), {}, X4), ((0, -2), {}, X4)],
    "Unflatten": [((1, (3, 1)), {}, [_f(2, 3, 4)])],
    "Upsample": [
        ((), {"scale_factor": 2}, X4),
        ((), {"size": (7, 9), "mode": "bilinear", "align_corners": True}, X4),
        ((), {"scale_factor": 1.5, "mode": "bicubic"}, X4),
    ],
    "UpsamplingNearest2d": [((), {"scale_factor": 2}, X4)],
    "UpsamplingBilinear2d": [((), {"size": (8, 7)}, X4)],
    "PixelShuffle": [((2,), {}, [_f(2, 8, 3, 4)])],
    "PixelUnshuffle": [((2,), {}, [_f(2, 2, 4, 6)])],
    "ChannelShuffle": [((3,), {}, [_f(2, 6, 3, 4)])],
    "Fold": [
        (((4, 5), 2), {}, [_f(2, 12, 12)]),
        (((5, 5), (2, 3)), {"stride": 1, "padding": 1, "dilation": 1}, [_f(1, 6, 30)]),
    ],
    "Unfold": [((2,), {}, X4), (((2, 3),), {"stride": 2, "padding": 1, "dilation": 1}, X4)],
    # activations with arguments (the rest use the default row)
    "CELU": [((), {}, X4), ((0.5,), {}, X4)],
    "ELU": [((), {}, X4), ((0.5,), {}, X4)],
    "GELU": [((), {}, X4), ((), {"approximate": "tanh"}, X4)],
    "GLU": [((), {}, [_f(2, 3, 6)]), ((1,), {}, [_f(2, 4, 6)])],
    "Hardshrink": [((), {}, X4), ((0.3,), {}, X4)],
    "Hardtanh": [((), {}, X4), ((-0.5, 2.0), {}, X4)],
    "LeakyReLU": [((), {}, X4), ((0.2,), {}, X4)],
    "LogSoftmax": [((1,), {}, X4)],
    "Softmax": [((1,), {}, X4), ((-1,), {}, X4)],
    "Softmin": [((1,), {}, X4)],
    "PReLU": [((), {}, X4), ((3, 0.1), {}, X4)],
    "RReLU": [((), {}, X4), ((0.1, 0.2), {}, X4)],
    "Softplus": [((), {}, X4), ((2.0, 5.0), {}, X4)],
    "Softshrink": [((), {}, X4), ((0.3,), {}, X4)],
    "Threshold": [((0.1, 20.0), {}, X4)],
    "CosineSimilarity": [((), {}, [_f(3, 5), _f(3, 5)]), ((2, 1e-6), {}, X4 + X4)],
    "PairwiseDistance": [
        ((), {}, [_f(3, 5), _f(3, 5)]),
        ((1.0, 1e-5, True), {}, [_f(3, 5), _f(3, 5)]),
    ],
    # losses
    "L1Loss": [((), {}, [_f(3, 5), _f(3, 5)]), ((), {"reduction": "sum"}, [_f(3, 5), _f(3, 5)])],
    "MSELoss": [((), {}, [_f(3, 5), _f(3, 5)]), ((), {"reduction": "none"}, [_f(3, 5), _f(3, 5)])],
    "HuberLoss": [((), {}, [_f(3, 5), _f(3, 5)]), ((), {"delta": 0.5}, [_f(3, 5), _f(3, 5)])],
    "SmoothL1Loss": [((), {}, [_f(3, 5), _f(3, 5)]), ((), {"beta": 0.5}, [_f(3, 5), _f(3, 5)])],
    "BCELoss": [((), {}, [_pos(3, 5), _pos(3, 5)])],
    "BCEWithLogitsLoss": [((), {}, [_f(3, 5), _pos(3, 5)])],
    "CrossEntropyLoss": [
        ((), {}, [_f(4, 5), _ints(5, 4)]),
        ((), {"ignore_index": 1, "label_smoothing": 0.1}, [_f(4, 5, 3), _ints(5, 4, 3)]),
    ],
    "NLLLoss": [
        ((), {}, [_f(4, 5), _ints(5, 4)]),
        ((), {"reduction": "sum"}, [_f(4, 5), _ints(5, 4)]),
    ],
    "KLDivLoss": [
        ((), {"reduction": "batchmean"}, [_f(3, 5), _pos(3, 5)]),
        ((), {"log_target": True}, [_f(3, 5), _f(3, 5)]),
    ],
    "PoissonNLLLoss": [
        ((), {}, [_f(3, 5), _pos(3, 5)]),
        ((), {"log_input": False, "full": True}, [_pos(3, 5), _pos(3, 5)]),
    ],
    "GaussianNLLLoss": [
        ((), {}, [_f(3, 5), _f(3, 5), _pos(3, 5)]),
        ((), {"full": True, "eps": 1e-3}, [_f(3, 5), _f(3, 5), _pos(3, 1)]),
    ],
    "HingeEmbeddingLoss": [((), {}, [_f(3, 5), _sign(3, 5)])],
    "SoftMarginLoss": [((), {}, [_f(3, 5), _sign(3, 5)])],
    "MarginRankingLoss": [
        ((), {}, [_f(5), _f(5), _sign(5)]),
        ((), {"margin": 0.3}, [_f(5), _f(5), _sign(5)]),
    ],
    "CosineEmbeddingLoss": [((), {}, [_f(4, 5), _f(4, 5), _sign(4)])],
    "MultiMarginLoss": [
        ((), {}, [_f(4, 5), _ints(5, 4)]),
        ((), {"p": 2, "margin": 0.5}, [_f(4, 5), _ints(5, 4)]),
    ],
    "MultiLabelMarginLoss": [((), {}, [_f(3, 5), _multilabel])],
    "MultiLabelSoftMarginLoss": [((), {}, [_f(3, 5), _ints(2, 3, 5)])],
    "TripletMarginLoss": [
        ((), {}, [_f(4, 5), _f(4, 5), _f(4, 5)]),
        ((), {"margin": 0.5, "p": 1.0, "swap": True}, [_f(4, 5), _f(4, 5), _f(4, 5)]),
    ],
    "TripletMarginWithDistanceLoss": [
        ((), {}, [_f(4, 5), _f(4, 5), _f(4, 5)]),
        ((), {"margin": 0.5, "swap": True}, [_f(4, 5), _f(4, 5), _f(4, 5)]),
    ],
    "CTCLoss": [((), {}, [_ctc_inputs]), ((), {"blank": 0, "zero_infinity": True}, [_ctc_inputs])],
}


class _T:
    """A constructor argument that is a tensor: built in each framework from one array."""

    def __init__(self, a):
        self.a = np.asarray(a, np.float32)

    def __repr__(self):
        return f"T{self.a.shape}"


W5 = _T([0.5, 1.0, 2.0, 0.3, 1.5])
MORE = {
    "ReLU": [((True,), {}, X4)],
    "ReLU6": [((True,), {}, X4)],
    "SELU": [((True,), {}, X4)],
    "ELU": [((1.0, True), {}, X4)],
    "CELU": [((1.0, True), {}, X4)],
    "LeakyReLU": [((0.01, True), {}, X4)],
    "Hardtanh": [((-1.0, 1.0, True), {}, X4)],
    "Hardsigmoid": [((True,), {}, X4)],
    "Hardswish": [((True,), {}, X4)],
    "SiLU": [((True,), {}, X4)],
    "Mish": [((True,), {}, X4)],
    "Threshold": [((0.1, 20, True), {}, X4)],
    "RReLU": [((0.1, 0.3, True), {}, X4)],
    "Dropout": [((0.5, True), {}, X4)],
    "Dropout2d": [((0.1, True), {}, X4)],
    "AlphaDropout": [((0.5, True), {}, X4)],
    "Softplus": [((1, 20), {}, X4)],
    "GELU": [(("none",), {}, X4)],
    "PReLU": [((1, 0.25), {}, X4)],
    "Softmax": [((), {}, [_f(3, 5)])],
    "Softmin": [((), {}, [_f(3, 5)])],
    "LogSoftmax": [((), {}, [_f(3, 5)])],
    "Flatten": [((2, 3), {}, X4)],
    "Fold": [((4, 2), {"stride": 2}, [_f(2, 12, 4)])],
    "Unfold": [((2,), {"dilation": 2}, X4)],
    "PixelShuffle": [((3,), {}, [_f(1, 9, 2, 3)])],
    "Embedding": [
        ((10, 4), {"max_norm": 1.0, "norm_type": 1.0}, [_ints(10, 3, 5)]),
        ((10, 4), {"padding_idx": -1}, [_ints(10, 3, 5)]),
    ],
    "EmbeddingBag": [
        (
            (10, 4),
            {"max_norm": 2.0, "include_last_offset": True},
            [_ints(10, 8), _const(np.array([0, 3, 5, 8]))],
        ),
        ((10, 4), {"mode": "sum"}, [_ints(10, 8), _const(np.array([0, 3, 5])), _pos(8)]),
    ],
    "BatchNorm1d": [((5,), {"momentum": 0.3, "eps": 1e-3}, [_f(4, 5)])],
    "InstanceNorm1d": [((5,), {"momentum": None, "track_running_stats": True}, [_f(2, 5, 6)])],
    "GroupNorm": [((2, 4), {"eps": 1e-3}, [_f(2, 4, 3)])],
    "LayerNorm": [((4,), {"elementwise_affine": False}, [_f(2, 4)])],
    "RMSNorm": [
        ((4,), {"elementwise_affine": False}, [_f(2, 4)]),
        ((4,), {"eps": None}, [_f(2, 4)]),
    ],
    "Conv2d": [
        ((2, 4, 3), {"padding": "valid"}, [_f(1, 2, 5, 5)]),
        ((2, 4, 3), {"padding": (1, 2), "dilation": (2, 1)}, [_f(1, 2, 5, 5)]),
    ],
    "ConvTranspose2d": [((2, 4, 3), {"stride": 2, "output_padding": 1}, [_f(1, 2, 3, 4)])],
    "MaxPool2d": [
        ((2,), {"return_indices": True}, X4),
        (((2, 3),), {"stride": (1, 2), "padding": (1, 1)}, X4),
    ],
    "AvgPool1d": [((3,), {"stride": 1, "padding": 1}, [_f(2, 3, 7)])],
    "LPPool2d": [((2, 3), {"stride": 1, "ceil_mode": True}, [_pos(1, 2, 5, 6)])],
    "FractionalMaxPool2d": [(((2, 3),), {"output_size": (3, 2), "return_indices": True}, X4)],
    "AdaptiveMaxPool2d": [(((None, 3),), {"return_indices": True}, X4)],
    "Upsample": [
        ((), {"scale_factor": (2, 3), "mode": "nearest"}, X4),
        ((), {"scale_factor": 2.0, "mode": "linear"}, [_f(2, 3, 5)]),
        ((), {"size": 5, "mode": "nearest-exact"}, [_f(2, 3, 7)]),
        ((), {"scale_factor": 1.7, "mode": "bilinear", "recompute_scale_factor": True}, X4),
        ((), {"scale_factor": 1.5, "mode": "trilinear"}, [_f(1, 2, 3, 4, 3)]),
        ((), {"size": (4, 2, 5)}, [_f(1, 2, 3, 4, 3)]),
    ],
    "UpsamplingNearest2d": [(((3, 4),), {}, X4)],
    "UpsamplingBilinear2d": [((), {"scale_factor": 2.5}, X4)],
    "LSTM": [((4, 6), {"num_layers": 3, "bidirectional": True, "proj_size": 2}, [_f(5, 3, 4)])],
    "GRU": [((4, 6), {"bias": False, "batch_first": True}, [_f(3, 5, 4)])],
    "RNN": [((4, 6, 2, "relu", False, True, 0.0, True), {}, [_f(3, 5, 4)])],
    "MultiheadAttention": [
        ((8, 2), {"bias": False}, [_f(5, 3, 8)] * 3),
        ((8, 2), {"add_zero_attn": True, "kdim": 8, "vdim": 8}, [_f(5, 3, 8)] * 3),
    ],
    "TransformerEncoderLayer": [
        ((8, 2), {"dim_feedforward": 16, "layer_norm_eps": 1e-3}, [_f(5, 3, 8)])
    ],
    "TransformerDecoderLayer": [
        (
            (8, 2),
            {
                "dim_feedforward": 16,
                "norm_first": True,
                "batch_first": True,
                "bias": False,
                "activation": "gelu",
            },
            [_f(3, 4, 8), _f(3, 5, 8)],
        )
    ],
    "Transformer": [
        (
            (),
            {
                "d_model": 8,
                "nhead": 2,
                "num_encoder_layers": 2,
                "num_decoder_layers": 1,
                "dim_feedforward": 16,
                "batch_first": True,
                "norm_first": True,
            },
            [_f(3, 5, 8), _f(3, 4, 8)],
        )
    ],
    "LocalResponseNorm": [((2,), {"alpha": 1e-3, "beta": 0.5, "k": 2}, X4)],
    "CrossEntropyLoss": [
        ((), {"weight": W5, "reduction": "sum"}, [_f(4, 5), _ints(5, 4)]),
        ((), {"size_average": False}, [_f(4, 5), _ints(5, 4)]),
        ((), {"weight": W5, "label_smoothing": 0.2}, [_f(4, 5), _pos(4, 5)]),
    ],
    "NLLLoss": [((), {"ignore_index": 3, "weight": W5}, [_f(4, 5), _ints(5, 4)])],
    "MSELoss": [((), {"size_average": False, "reduce": True}, [_f(3, 5), _f(3, 5)])],
    "BCELoss": [((), {"weight": W5}, [_pos(3, 5), _pos(3, 5)])],
    "BCEWithLogitsLoss": [
        ((), {"reduction": "none", "pos_weight": W5, "weight": W5}, [_f(3, 5), _pos(3, 5)])
    ],
    "MultiMarginLoss": [((), {"p": 1, "margin": 2.0, "weight": W5}, [_f(4, 5), _ints(5, 4)])],
    "MultiLabelSoftMarginLoss": [((), {"weight": W5}, [_f(3, 5), _ints(2, 3, 5)])],
    "HuberLoss": [((), {"reduction": "sum", "delta": 2.0}, [_f(3, 5), _f(3, 5)])],
    "SmoothL1Loss": [((), {"reduction": "none", "beta": 2.0}, [_f(3, 5), _f(3, 5)])],
    "TripletMarginLoss": [((), {"margin": 2.0, "p": 3, "eps": 1e-3}, [_f(4, 5)] * 3)],
    "CosineEmbeddingLoss": [((), {"margin": 0.2}, [_f(4, 5), _f(4, 5), _sign(4)])],
    "PoissonNLLLoss": [((), {"eps": 1e-6}, [_f(3, 5), _pos(3, 5)])],
    "GaussianNLLLoss": [((), {"reduction": "sum"}, [_f(3, 5), _f(3, 5), _pos(3, 5)])],
    "HingeEmbeddingLoss": [((), {"margin": 2.0}, [_f(3, 5), _sign(3, 5)])],
    "KLDivLoss": [((), {}, [_f(3, 5), _pos(3, 5)])],
    "CTCLoss": [((), {"reduction": "sum"}, [_ctc_inputs])],
    "CosineSimilarity": [((1, 1e-8), {}, [_f(3, 5), _f(3, 5)])],
    "PairwiseDistance": [((2.0, 1e-6, False), {}, [_f(3, 5), _f(3, 5)])],
    "ChannelShuffle": [((2,), {}, [_f(2, 4, 3, 2)])],
}
for _k, _rows in MORE.items():
    SPECS[_k] = SPECS.get(_k, [((), {}, X4)]) + _rows

# The default row: no arguments, one float input of shape (2, 3, 6, 5).
DEFAULT = [((), {}, X4)]
# Multi-tensor makers that return a list of arrays.
MULTI = {"_ctc_inputs", "make"}


def _encoder(fw):
    return fw.TransformerEncoder(
        fw.TransformerEncoderLayer(8, 2, 16), 2, norm=fw.LayerNorm(8), enable_nested_tensor=False
    )


def _decoder(fw):
    return fw.TransformerDecoder(fw.TransformerDecoderLayer(8, 2, 16), 2)


BUILDERS = {
    "TransformerEncoder": (_encoder, [_f(5, 3, 8)]),
    "TransformerDecoder": (_decoder, [_f(4, 3, 8), _f(5, 3, 8)]),
}

COMMON = sorted(
    n
    for n in set(dir(torch.nn)) & set(dir(nn))
    if inspect.isclass(getattr(torch.nn, n))
    and issubclass(getattr(torch.nn, n), torch.nn.Module)
    and n not in NOT_LAYERS
)

ROWS = []
for _name in COMMON:
    if _name in BUILDERS:
        ROWS.append(pytest.param(_name, 0, id=_name))
        continue
    for _i in range(len(SPECS.get(_name, DEFAULT))):
        ROWS.append(pytest.param(_name, _i, id=f"{_name}-{_i}"))


def _build(name, i, seed=0):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name in BUILDERS:
            make, inputs = BUILDERS[name]
            torch.manual_seed(seed)
            tm = make(torch.nn)
            nerve.manual_seed(seed)
            return make(nn), tm, inputs
        args, kwargs, inputs = SPECS.get(name, DEFAULT)[i]
        torch.manual_seed(seed)
        tm = getattr(torch.nn, name)(*args, **_convert(kwargs, torch.tensor))
        nerve.manual_seed(seed)
        return getattr(nn, name)(*args, **_convert(kwargs, nerve.tensor)), tm, inputs


def _convert(kwargs, tensor):
    return {k: tensor(v.a) if isinstance(v, _T) else v for k, v in kwargs.items()}


def _inputs(makers, seed=0):
    rng = np.random.default_rng(seed)
    arrays = []
    for m in makers:
        a = m(rng)
        arrays.extend(a if isinstance(a, list) else [a])
    return arrays


def _is_lazy(name):
    return name.startswith("Lazy")


def _run(m, arrays, fw):
    conv = nerve.from_numpy if fw is nerve else torch.from_numpy
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return m(*[conv(np.array(a, copy=True)) for a in arrays])


def _materialise(name, m, tm, makers):
    """Lazy layers only have shapes after a first call."""
    if _is_lazy(name):
        arrays = _inputs(makers)
        _run(m, arrays, nerve)
        _run(tm, arrays, torch)


def _flat(y):
    if isinstance(y, (tuple, list)):
        out = []
        for v in y:
            out.extend(_flat(v))
        return out
    return [] if y is None else [y]


@pytest.mark.parametrize("name,i", ROWS)
def test_repr(name, i):
    m, tm, makers = _build(name, i)
    assert repr(m) == repr(tm)
    _materialise(name, m, tm, makers)
    assert repr(m) == repr(tm)


@pytest.mark.parametrize("name,i", ROWS)
def test_state_dict_and_parameters(name, i):
    m, tm, makers = _build(name, i)
    _materialise(name, m, tm, makers)
    sd, tsd = m.state_dict(), tm.state_dict()
    assert list(sd) == list(tsd)
    for k, v in tsd.items():
        assert tuple(sd[k].shape) == tuple(v.shape), k
        assert str(sd[k].dtype) == str(v.dtype).replace("torch.", ""), k
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert [n for n, _ in m.named_buffers()] == [n for n, _ in tm.named_buffers()]
    for (n, p), (_, tp) in zip(m.named_parameters(), tm.named_parameters()):
        assert isinstance(p, nn.Parameter), n
        assert p.requires_grad == tp.requires_grad, n


def _samples(name, i, target=6000, cap=30):
    """Parameter values of several fresh instances, pooled per name, for both frameworks."""
    pooled_n, pooled_t = {}, {}
    m, tm, makers = _build(name, i, seed=0)
    _materialise(name, m, tm, makers)
    sizes = [p.numel() for p in tm.parameters()]
    reps = min(cap, max(1, -(-target // max(1, min(sizes, default=1)))))
    for r in range(reps):
        if r:
            m, tm, makers = _build(name, i, seed=r)
            _materialise(name, m, tm, makers)
        for (k, p), (_, tp) in zip(m.named_parameters(), tm.named_parameters()):
            pooled_n.setdefault(k, []).append(p.detach().numpy().ravel().astype(np.float64))
            pooled_t.setdefault(k, []).append(tp.detach().numpy().ravel().astype(np.float64))
    return (
        {k: np.concatenate(v) for k, v in pooled_n.items()},
        {k: np.concatenate(v) for k, v in pooled_t.items()},
    )


def _kurtosis(a):
    c = a - a.mean()
    return (c**4).mean() / max((c**2).mean() ** 2, 1e-300)


@pytest.mark.parametrize("name,i", ROWS)
def test_default_initialisation(name, i):
    ns, ts = _samples(name, i)
    for k, t in ts.items():
        a = ns[k]
        if np.all(t == t[0]):
            assert np.all(a == t[0]), f"{k}: torch fills {t[0]}, nerve {a[:5]}"
            continue
        n = len(t)
        sd = t.std()
        assert abs(a.mean() - t.mean()) < 6 * sd / np.sqrt(n) + 1e-7, k
        assert abs(a.std() / sd - 1) < max(0.05, 8 / np.sqrt(n)), k
        if n >= 500:
            assert abs(_kurtosis(a) - _kurtosis(t)) < max(0.4, 25 / np.sqrt(n)), k
        if _kurtosis(t) < 2.0 and n >= 200:
            # uniform: the same bounds (nerve never beyond torch's, and reaching them)
            half = (t.max() - t.min()) / 2
            mid = (t.max() + t.min()) / 2
            assert np.abs(a - mid).max() <= half * 1.02, k
            assert np.abs(a - mid).max() >= half * 0.9, k


def _dtypes(mod, fw):
    out = {}
    for k, v in mod.state_dict().items():
        out[k] = str(v.dtype).replace("torch.", "")
    return out


@pytest.mark.parametrize("name,i", ROWS)
def test_dtype_conversion(name, i):
    m, tm, makers = _build(name, i)
    _materialise(name, m, tm, makers)
    assert m.double() is m
    tm.double()
    assert _dtypes(m, nerve) == _dtypes(tm, torch)
    assert m.float() is m
    tm.float()
    assert _dtypes(m, nerve) == _dtypes(tm, torch)
    assert m.to(nerve.float64) is m
    tm.to(torch.float64)
    assert _dtypes(m, nerve) == _dtypes(tm, torch)
    for (k, p), (_, tp) in zip(m.named_parameters(), tm.named_parameters()):
        assert isinstance(p, nn.Parameter) and p.requires_grad == tp.requires_grad, k
    m.to(dtype=nerve.float32)
    tm.to(dtype=torch.float32)
    assert _dtypes(m, nerve) == _dtypes(tm, torch)


@pytest.mark.parametrize("name,i", ROWS)
def test_train_eval_flags(name, i):
    m, tm, _ = _build(name, i)
    assert m.training is tm.training is True
    assert m.eval() is m
    tm.eval()
    assert [s.training for s in m.modules()] == [s.training for s in tm.modules()]
    assert not any(s.training for s in m.modules())
    assert m.train() is m
    assert all(s.training for s in m.modules())
    m.train(False)
    assert not any(s.training for s in m.modules())
    assert [n for n, _ in m.named_modules()] == [n for n, _ in tm.named_modules()]


def _copy(m, tm):
    m.load_state_dict({k: v.detach().numpy().copy() for k, v in tm.state_dict().items()})


@pytest.mark.parametrize("name,i", ROWS)
def test_forward_float32(name, i):
    m, tm, makers = _build(name, i)
    _materialise(name, m, tm, makers)
    _copy(m, tm)
    m.eval()
    tm.eval()
    arrays = _inputs(makers, seed=3)
    ys, tys = _flat(_run(m, arrays, nerve)), _flat(_run(tm, arrays, torch))
    assert len(ys) == len(tys)
    for y, ty in zip(ys, tys):
        assert isinstance(y, nerve.Tensor)
        assert tuple(y.shape) == tuple(ty.shape)
        assert str(y.dtype) == str(ty.dtype).replace("torch.", "")
        if name != "FractionalMaxPool2d":  # random windows per call
            np.testing.assert_allclose(
                y.detach().numpy(), ty.detach().numpy(), rtol=2e-4, atol=2e-5
            )


@pytest.mark.parametrize("name,i", ROWS)
def test_public_attributes(name, i):
    """Every plain attribute torch sets in the constructor exists with the same value."""
    m, tm, _ = _build(name, i)
    for k, v in vars(tm).items():
        if k.startswith("_") or isinstance(v, torch.Tensor | torch.nn.Module):
            continue
        assert hasattr(m, k), k
        got = getattr(m, k)
        if callable(v):
            assert getattr(got, "__name__", None) == v.__name__, k
        else:
            assert type(got) is type(v) and got == v, (k, got, v)


# Random in training mode (dropout, random slopes or windows): compared in eval mode only.
RANDOM_IN_TRAIN = {
    "RReLU",
    "FractionalMaxPool2d",
    "Transformer",
    "TransformerEncoder",
    "TransformerDecoder",
    "TransformerEncoderLayer",
    "TransformerDecoderLayer",
}


def _float_outputs(y):
    return [
        v
        for v in _flat(y)
        if np.issubdtype(np.dtype(str(v.dtype).replace("torch.", "")), np.floating)
    ]


TRAIN_ROWS = [
    r for r in ROWS if r.values[0] not in RANDOM_IN_TRAIN and "Dropout" not in r.values[0]
]


@pytest.mark.parametrize("name,i", TRAIN_ROWS)
def test_train_forward_backward_float32(name, i):
    """Training mode (batch statistics, running-stat updates) with the same upstream
    gradient: outputs, input and parameter gradients, and buffers afterwards."""
    m, tm, makers = _build(name, i)
    _materialise(name, m, tm, makers)
    _copy(m, tm)
    arrays = _inputs(makers, seed=4)
    grad = [a.dtype == np.float32 for a in arrays]
    if name.endswith("Loss"):  # targets are not differentiable for every loss in torch
        grad = grad[:1] + [False] * (len(grad) - 1)
    xs = [nerve.tensor(a, requires_grad=g) for a, g in zip(arrays, grad)]
    ts = [torch.tensor(a, requires_grad=g) for a, g in zip(arrays, grad)]
    # in-place layers may not overwrite a leaf that requires grad (both frameworks raise)
    step = (lambda v: v * 1) if getattr(tm, "inplace", False) else (lambda v: v)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ys = _float_outputs(m(*[step(x) for x in xs]))
        tys = _float_outputs(tm(*[step(t) for t in ts]))
    assert len(ys) == len(tys)
    rng = np.random.default_rng(5)
    loss, tloss = 0, 0
    for y, ty in zip(ys, tys):
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=2e-4, atol=2e-5)
        dy = rng.standard_normal(tuple(ty.shape)).astype(np.float32)
        loss = loss + (y * nerve.tensor(dy)).sum()
        tloss = tloss + (ty * torch.from_numpy(dy)).sum()
    if not isinstance(loss, int) and tloss.requires_grad:
        loss.backward()
        tloss.backward()
        for x, t in zip(xs, ts):
            if t.grad is not None:
                np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=2e-4, atol=2e-5)
        for (k, p), (_, tp) in zip(m.named_parameters(), tm.named_parameters()):
            if tp.grad is None:
                assert p.grad is None, k
            else:
                np.testing.assert_allclose(
                    p.grad.numpy(), tp.grad.numpy(), rtol=2e-4, atol=2e-5, err_msg=k
                )
    tbuf = dict(tm.named_buffers())
    for k, b in m.named_buffers():
        np.testing.assert_allclose(b.numpy(), tbuf[k].numpy(), rtol=1e-5, atol=1e-6, err_msg=k)


@pytest.mark.parametrize("name,i", ROWS)
def test_forward_float64(name, i):
    """After .double(), float64 input gives float64 output equal to torch's."""
    m, tm, makers = _build(name, i)
    _materialise(name, m, tm, makers)
    _copy(m, tm)
    m.double().eval()
    tm.double().eval()
    arrays = [a.astype(np.float64) if a.dtype == np.float32 else a for a in _inputs(makers, seed=6)]
    ys, tys = _flat(_run(m, arrays, nerve)), _flat(_run(tm, arrays, torch))
    assert len(ys) == len(tys)
    for y, ty in zip(ys, tys):
        assert str(y.dtype) == str(ty.dtype).replace("torch.", "")
        if name != "FractionalMaxPool2d":
            np.testing.assert_allclose(
                y.detach().numpy(), ty.detach().numpy(), rtol=1e-9, atol=1e-11
            )


def _takes(name, arg):
    return arg in inspect.signature(getattr(torch.nn, name).__init__).parameters


DTYPE_ROWS = [r for r in ROWS if r.values[0] not in BUILDERS and _takes(r.values[0], "dtype")]


@pytest.mark.parametrize("name,i", DTYPE_ROWS)
def test_dtype_and_device_arguments(name, i):
    """dtype=float64 at construction makes float64 parameters and floating buffers (integer
    buffers stay int64); device='cpu' is accepted."""
    args, kwargs, _ = SPECS.get(name, DEFAULT)[i]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = getattr(torch.nn, name)(*args, **_convert(kwargs, torch.tensor), dtype=torch.float64)
        m = getattr(nn, name)(*args, **_convert(kwargs, nerve.tensor), dtype=nerve.float64)
        if _takes(name, "device"):
            getattr(nn, name)(*args, **_convert(kwargs, nerve.tensor), device="cpu")
    if not _is_lazy(name):
        assert _dtypes(m, nerve) == _dtypes(tm, torch)


@pytest.mark.parametrize("name,i", ROWS)
def test_reset_parameters(name, i):
    """reset_parameters exists where torch has it and redraws in place (same shapes)."""
    m, tm, makers = _build(name, i)
    _materialise(name, m, tm, makers)
    if not hasattr(tm, "reset_parameters"):
        return
    assert hasattr(m, "reset_parameters")
    before = {k: tuple(v.shape) for k, v in m.state_dict().items()}
    m.reset_parameters()
    assert {k: tuple(v.shape) for k, v in m.state_dict().items()} == before


def _bad_variants(arrays):
    """The first input one axis short, one axis too many, and with one channel too many."""
    a, rest = arrays[0], arrays[1:]
    out = [("add-dim", [a[None, None]] + rest)]
    if a.ndim >= 1:
        out.append(("drop-dim", [a[0]] + rest))
    if a.ndim >= 2 and a.dtype == np.float32:
        out.append(("channel", [np.concatenate([a, a[:, :1]], 1)] + rest))
    return out


# Left out: torch's pad raises NotImplementedError before Conv's own rank check for
# non-zero padding modes.
BAD_INPUT_DEVIATIONS = {
    ("Conv1d", 1, "add-dim"),
    ("Conv2d", 1, "add-dim"),
    ("Conv3d", 1, "add-dim"),
}


@pytest.mark.parametrize("name,i", [r for r in ROWS if not _is_lazy(r.values[0])])
def test_bad_input_raises_like_torch(name, i):
    """Wrong rank or channel count: both frameworks accept it (same output shape) or both
    raise the same exception type."""
    m, tm, makers = _build(name, i)
    _copy(m, tm)
    m.eval()
    tm.eval()
    for tag, arrays in _bad_variants(_inputs(makers)):
        if (name, i, tag) in BAD_INPUT_DEVIATIONS:
            continue
        try:
            ty = _run(tm, arrays, torch)
        except Exception as e:  # noqa: BLE001 - the type is what is compared
            with pytest.raises(type(e)):
                _run(m, arrays, nerve)
            continue
        y = _run(m, arrays, nerve)
        assert [tuple(v.shape) for v in _flat(y)] == [tuple(v.shape) for v in _flat(ty)], tag


@pytest.mark.parametrize("name", ["Dropout2d", "Dropout3d"])
@pytest.mark.parametrize(
    "shape", [(3,), (5, 40), (30, 7, 4), (30, 7, 4, 3), (30, 7, 4, 3, 2), (30, 7, 4, 3, 2, 2)]
)
def test_feature_dropout_ranks(name, shape):
    """Each rank raises like torch or shares the draw along the same axes (the axes the
    mask varies along, on a large enough input that a shared axis is never a fluke)."""

    def varying(y):
        return [ax for ax in range(y.ndim) if np.abs(y - np.take(y, [0], ax)).sum() > 0]

    outs = []
    for fw, m in ((torch, getattr(torch.nn, name)(0.5)), (nerve, getattr(nn, name)(0.5))):
        fw.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                outs.append(varying(m(fw.ones(*shape)).numpy()))
            except RuntimeError:
                outs.append(RuntimeError)
    assert outs[0] == outs[1]


@pytest.mark.parametrize("name,i", ROWS)
def test_state_dict_round_trip_and_deepcopy(name, i):
    """nerve's state_dict loads strictly into torch (and back), and a deepcopy is an equal,
    independent module."""
    import copy

    m, tm, makers = _build(name, i)
    _materialise(name, m, tm, makers)
    tm.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in m.state_dict().items()})
    for k, v in tm.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), m.state_dict()[k].numpy(), err_msg=k)
    m2 = copy.deepcopy(m)
    assert repr(m2) == repr(m) and list(m2.state_dict()) == list(m.state_dict())
    for (k, p), (_, p2) in zip(m.named_parameters(), m2.named_parameters()):
        assert p2 is not p and isinstance(p2, nn.Parameter), k
        np.testing.assert_array_equal(p.detach().numpy(), p2.detach().numpy(), err_msg=k)
