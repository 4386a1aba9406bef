"""``torch.nn``'s layers on NumPy: load a PyTorch ``state_dict`` and run the same network.

>>> import numpy as np
>>> from convscope import nn
>>> net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, rng=0), nn.BatchNorm2d(8), nn.ReLU()).eval()
>>> net(np.ones((1, 3, 5, 5), np.float32)).shape
(1, 8, 5, 5)
>>> list(net.state_dict())[:3]
['0.weight', '0.bias', '1.weight']
"""

from .activation import Dropout, Dropout2d, Identity, LeakyReLU, ReLU, ReLU6, Sigmoid
from .blocks import ASPP, HDC, DeepLabHead, DepthwiseSeparableConv2d
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d, DeformConv2d
from .module import IncompatibleKeys, Module, ModuleList, Sequential
from .norm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from .pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveAvgPool3d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    AdaptiveMaxPool3d,
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    LPPool1d,
    LPPool2d,
    LPPool3d,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
    MaxUnpool1d,
    MaxUnpool2d,
    MaxUnpool3d,
)
from .resample import PixelShuffle, PixelUnshuffle, Upsample, UpsamplingBilinear2d, UpsamplingNearest2d

__all__ = [
    "ASPP",
    "HDC",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "AdaptiveMaxPool3d",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "DeepLabHead",
    "DeformConv2d",
    "DepthwiseSeparableConv2d",
    "Dropout",
    "Dropout2d",
    "Identity",
    "IncompatibleKeys",
    "LPPool1d",
    "LPPool2d",
    "LPPool3d",
    "LeakyReLU",
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
    "MaxUnpool1d",
    "MaxUnpool2d",
    "MaxUnpool3d",
    "Module",
    "ModuleList",
    "PixelShuffle",
    "PixelUnshuffle",
    "ReLU",
    "ReLU6",
    "Sequential",
    "Sigmoid",
    "Upsample",
    "UpsamplingBilinear2d",
    "UpsamplingNearest2d",
]
