"""nerve.nn.utils: gradient clipping, parameter vectors and pruning."""

from nerve.nn.utils import prune, rnn
from nerve.nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_, get_total_norm
from nerve.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters
