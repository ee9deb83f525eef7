"""nerve.nn.utils: gradient clipping, parameter vectors, pruning, parametrizations
(weight and spectral norm, orthogonal), conv/linear-batch-norm fusion, functional_call."""

from nerve.nn.utils import parametrizations, parametrize, prune, rnn, stateless
from nerve.nn.utils.clip_grad import (
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)
from nerve.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters
from nerve.nn.utils.fusion import (
    fuse_conv_bn_eval,
    fuse_conv_bn_weights,
    fuse_linear_bn_eval,
    fuse_linear_bn_weights,
)
from nerve.nn.utils.init import skip_init
from nerve.nn.utils.spectral_norm import remove_spectral_norm, spectral_norm
from nerve.nn.utils.weight_norm import remove_weight_norm, weight_norm
