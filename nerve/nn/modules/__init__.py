"""``torch.nn.modules``: the layers under PyTorch's module paths
(``nerve.nn.modules.linear.Linear`` is ``nerve.nn.Linear``). Each submodule only
re-exports; the classes live in their :mod:`nerve.nn` files."""

from nerve.nn.modules.activation import *  # noqa: F403
from nerve.nn.modules.batchnorm import *  # noqa: F403
from nerve.nn.modules.channelshuffle import *  # noqa: F403
from nerve.nn.modules.container import *  # noqa: F403
from nerve.nn.modules.conv import *  # noqa: F403
from nerve.nn.modules.distance import *  # noqa: F403
from nerve.nn.modules.dropout import *  # noqa: F403
from nerve.nn.modules.flatten import *  # noqa: F403
from nerve.nn.modules.fold import *  # noqa: F403
from nerve.nn.modules.instancenorm import *  # noqa: F403
from nerve.nn.modules.linear import *  # noqa: F403
from nerve.nn.modules.loss import *  # noqa: F403
from nerve.nn.modules.module import *  # noqa: F403
from nerve.nn.modules.normalization import *  # noqa: F403
from nerve.nn.modules.padding import *  # noqa: F403
from nerve.nn.modules.pixelshuffle import *  # noqa: F403
from nerve.nn.modules.pooling import *  # noqa: F403
from nerve.nn.modules.rnn import *  # noqa: F403
from nerve.nn.modules.sparse import *  # noqa: F403
from nerve.nn.modules.transformer import *  # noqa: F403
from nerve.nn.modules.upsampling import *  # noqa: F403
