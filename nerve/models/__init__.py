"""Named models built from nerve.nn layers: residual networks and the lecture's CNNs."""

from nerve.models.resnet import BasicBlock, ResNet, resnet, resnet18
from nerve.models.traffic_sign import TrafficSignNet, traffic_sign_net
