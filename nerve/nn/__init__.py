"""nerve.nn: modules (layers that hold parameters) over nerve.nn.functional."""

from nerve.nn import functional, init, utils  # noqa: I001  (modules, parallel come last)
from nerve.nn.activation import (
    CELU,
    ELU,
    GELU,
    GLU,
    SELU,
    CReLU,
    Hardshrink,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    PReLU,
    ReLU,
    ReLU6,
    RReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softmax2d,
    Softmin,
    Softplus,
    Softshrink,
    Softsign,
    Tanh,
    Tanhshrink,
    Threshold,
)
from nerve.nn.attention import MultiheadAttention, NonDynamicallyQuantizableLinear
from nerve.nn.bilinear import Bilinear
from nerve.nn.channel_shuffle import ChannelShuffle
from nerve.nn.containers import (
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
    Sequential,
)
from nerve.nn.conv import (
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
)
from nerve.nn.distance import CosineSimilarity, PairwiseDistance
from nerve.nn.dropout import (
    AlphaDropout,
    Dropout,
    Dropout1d,
    Dropout2d,
    Dropout3d,
    FeatureAlphaDropout,
)
from nerve.nn.embedding import Embedding, EmbeddingBag
from nerve.nn.feature_normalization import Normalization
from nerve.nn.flatten import Flatten, Unflatten
from nerve.nn.fold import Fold, Unfold
from nerve.nn.lazy import (
    LazyBatchNorm1d,
    LazyBatchNorm2d,
    LazyConv1d,
    LazyConv2d,
    LazyLinear,
    UninitializedBuffer,
    UninitializedParameter,
)
from nerve.nn.linear import Identity, Linear
from nerve.nn.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CosineEmbeddingLoss,
    CrossEntropyLoss,
    GaussianNLLLoss,
    HingeEmbeddingLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MarginRankingLoss,
    MSELoss,
    MultiLabelMarginLoss,
    MultiLabelSoftMarginLoss,
    MultiMarginLoss,
    NLLLoss,
    PoissonNLLLoss,
    SmoothL1Loss,
    SoftMarginLoss,
    TripletMarginLoss,
)
from nerve.nn.loss_ctc import CTCLoss, TripletMarginWithDistanceLoss
from nerve.nn.module import Module
from nerve.nn.normalization import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    GroupNorm,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
    LayerNorm,
    LocalResponseNorm,
    RMSNorm,
)
from nerve.nn.padding import (
    CircularPad1d,
    CircularPad2d,
    CircularPad3d,
    ConstantPad1d,
    ConstantPad2d,
    ConstantPad3d,
    ReflectionPad1d,
    ReflectionPad2d,
    ReflectionPad3d,
    ReplicationPad1d,
    ReplicationPad2d,
    ReplicationPad3d,
    ZeroPad1d,
    ZeroPad2d,
    ZeroPad3d,
)
from nerve.nn.parameter import Buffer, Parameter
from nerve.nn.pixelshuffle import PixelShuffle, PixelUnshuffle
from nerve.nn.pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveAvgPool3d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    AdaptiveMaxPool3d,
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    FractionalMaxPool2d,
    LPPool1d,
    LPPool2d,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
    MaxUnpool1d,
    MaxUnpool2d,
    StochasticPool2d,
)
from nerve.nn.rnn import GRU, LSTM, RNN, RNNBase
from nerve.nn.rnn_cells import GRUCell, LSTMCell, RNNCell, RNNCellBase
from nerve.nn.sequence import (
    PackedSequence,
    pack_padded_sequence,
    pad_packed_sequence,
    pad_sequence,
)
from nerve.nn.transformer import (
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from nerve.nn.upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d

from nerve.nn import modules, parallel  # noqa: E402  (torch.nn.modules' paths; DDP)
from nerve.nn.parallel import SyncBatchNorm  # noqa: E402  (torch.nn.SyncBatchNorm)
