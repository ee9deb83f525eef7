"""``torch.nn.modules.channelshuffle``'s path to the same classes as :mod:`nerve.nn`."""

from nerve.nn.channel_shuffle import ChannelShuffle

__all__ = ["ChannelShuffle"]
