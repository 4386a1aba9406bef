"""Blocks from the seeds: depthwise-separable convolution, DeepLab's ASPP, hybrid dilated convolution.

Each is built from the layers of :mod:`convscope.nn`, with submodule names
chosen so that the corresponding PyTorch modules' ``state_dict`` loads
unchanged (torchvision's DeepLab v3 for :class:`ASPP`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import functional as F
from ..core import Axis, SameConvention, hdc_distances, same_pad_total, satisfies_hdc, split_same
from .activation import Dropout, ReLU
from .conv import Conv2d
from .init import Rng, generator
from .module import Module, ModuleList, Sequential
from .norm import BatchNorm2d
from .pooling import AdaptiveAvgPool2d


def _conv_bn_relu(
    in_channels: int, out_channels: int, kernel_size: int, dilation: int, rng: np.random.Generator, dtype: Any
) -> list[Module]:
    # 'same' for odd kernels, written as an explicit symmetric padding (as DeepLab does)
    span = Axis(1, kernel_size, dilation=dilation).span
    padding, _ = split_same(same_pad_total(1, span, 1, SameConvention.TORCH), SameConvention.TORCH)
    conv = Conv2d(
        in_channels, out_channels, kernel_size, padding=padding, dilation=dilation, bias=False,
        dtype=dtype, rng=rng,
    )  # fmt: skip
    return [conv, BatchNorm2d(out_channels, dtype=dtype), ReLU()]


class DepthwiseSeparableConv2d(Module):
    """A depthwise ``k x k`` convolution (one filter per channel) then a pointwise ``1 x 1`` one.

    Seed 004: ``C_in * k^2 + C_in * C_out`` weights instead of ``C_in * C_out * k^2``.
    With ``norm`` a BatchNorm2d, and with ``activation`` that layer, sit between
    the two convolutions (MobileNet's arrangement); submodules are named
    ``depthwise``, ``norm``, ``activation`` and ``pointwise``.

    Examples
    --------
    >>> block = DepthwiseSeparableConv2d(3, 6, rng=0)
    >>> [(name, p.shape) for name, p in block.named_parameters() if name.endswith("weight")]
    [('depthwise.weight', (3, 1, 3, 3)), ('norm.weight', (3,)), ('pointwise.weight', (6, 3, 1, 1))]
    >>> block.eval()(np.ones((1, 3, 8, 8), np.float32)).shape
    (1, 6, 8, 8)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        padding: int = 1,
        dilation: int = 1,
        bias: bool = False,
        norm: bool = True,
        activation: Callable[[], Module] | None = ReLU,
        *,
        dtype: Any = np.float32,
        rng: Rng = None,
    ) -> None:
        super().__init__()
        draws = generator(rng)
        self.depthwise = Conv2d(
            in_channels, in_channels, kernel_size, stride, padding, dilation, groups=in_channels, bias=bias,
            dtype=dtype, rng=draws,
        )  # fmt: skip
        if norm:
            self.norm = BatchNorm2d(in_channels, dtype=dtype)
        if activation is not None:
            self.activation = activation()
        self.pointwise = Conv2d(in_channels, out_channels, 1, bias=bias, dtype=dtype, rng=draws)

    def forward(self, input: Any) -> np.ndarray:
        x = input
        for module in self.children():
            x = module(x)
        return np.asarray(x)


class ASPPPooling(Sequential):
    """ASPP's image-level branch: global average, 1x1 conv, BN, ReLU, then bilinear back up."""

    def forward(self, x: Any) -> np.ndarray:
        size = tuple(np.shape(x)[-2:])
        pooled = super().forward(x)
        return F.interpolate(pooled, size=size, mode="bilinear", align_corners=False)


class ASPP(Module):
    """Atrous spatial pyramid pooling (DeepLab v3, Chen et al. 2017), torchvision's layout.

    Branches, concatenated along channels: a 1x1 convolution, one 3x3 atrous
    convolution per rate (padding = rate, so every branch keeps the input
    size), and image pooling (global average, 1x1 convolution, bilinear
    up-sampling); each followed by BatchNorm and ReLU. A 1x1 projection, BN,
    ReLU and ``Dropout(0.5)`` fuse them. Keys: ``convs.0.0.weight``,
    ``convs.1.0.weight`` ... ``convs.4.1.weight``, ``project.0.weight``, as in
    ``torchvision.models.segmentation.deeplabv3.ASPP``.

    Examples
    --------
    Seed 002: rates (6, 12, 18) on 2048 backbone channels, 256 out.

    >>> aspp = ASPP(2048, (6, 12, 18), 256, rng=0).eval()
    >>> sum(p.size for p in aspp.parameters())
    15535104
    >>> aspp(np.ones((1, 2048, 5, 5), np.float32)).shape
    (1, 256, 5, 5)
    """

    def __init__(
        self,
        in_channels: int,
        atrous_rates: Sequence[int] = (6, 12, 18),
        out_channels: int = 256,
        *,
        dtype: Any = np.float32,
        rng: Rng = None,
    ) -> None:
        super().__init__()
        draws = generator(rng)
        branches: list[Module] = [Sequential(*_conv_bn_relu(in_channels, out_channels, 1, 1, draws, dtype))]
        for rate in atrous_rates:
            branches.append(Sequential(*_conv_bn_relu(in_channels, out_channels, 3, rate, draws, dtype)))
        pooling = ASPPPooling(
            AdaptiveAvgPool2d(1),
            *_conv_bn_relu(in_channels, out_channels, 1, 1, draws, dtype),
        )
        branches.append(pooling)
        self.convs = ModuleList(branches)
        self.project = Sequential(
            *_conv_bn_relu(len(branches) * out_channels, out_channels, 1, 1, draws, dtype),
            Dropout(0.5, rng=draws),
        )

    def forward(self, input: Any) -> np.ndarray:
        branches = [np.asarray(branch(input)) for branch in self.convs]
        return np.asarray(self.project(np.concatenate(branches, axis=1)))


class DeepLabHead(Sequential):
    """torchvision's ``DeepLabHead``: ASPP (rates 12, 24, 36), 3x3 conv, BN, ReLU, 1x1 classifier.

    Examples
    --------
    >>> head = DeepLabHead(64, 21, rng=0).eval()
    >>> head(np.ones((1, 64, 9, 9), np.float32)).shape
    (1, 21, 9, 9)
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        atrous_rates: Sequence[int] = (12, 24, 36),
        *,
        dtype: Any = np.float32,
        rng: Rng = None,
    ) -> None:
        draws = generator(rng)
        super().__init__(
            ASPP(in_channels, atrous_rates, dtype=dtype, rng=draws),
            *_conv_bn_relu(256, 256, 3, 1, draws, dtype),
            Conv2d(256, num_classes, 1, dtype=dtype, rng=draws),
        )


class HDC(Sequential):
    """Hybrid dilated convolution (Wang et al. 2018): 3x3 atrous conv + BN + ReLU per rate.

    Rates that grid (``M_2 > kernel_size`` in the HDC criterion, or a common
    factor above one) leave holes in the receptive field: a warning says so,
    or, with ``strict=True``, a ValueError. ``(1, 2, 3)`` passes; ``(2, 2, 2)``
    does not.

    Examples
    --------
    >>> HDC(4, (1, 2, 3), rng=0).eval()(np.ones((1, 4, 16, 16), np.float32)).shape
    (1, 4, 16, 16)
    >>> HDC(4, (2, 2, 2), strict=True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: HDC: rates (2, 2, 2) grid: ... and the rates share the factor 2
    """

    def __init__(
        self,
        channels: int,
        rates: Sequence[int] = (1, 2, 3),
        kernel_size: int = 3,
        strict: bool = False,
        *,
        dtype: Any = np.float32,
        rng: Rng = None,
    ) -> None:
        rates = tuple(int(r) for r in rates)
        if not satisfies_hdc(rates, kernel_size):
            distances = hdc_distances(rates)
            factor = np.gcd.reduce(np.array(rates))
            message = (
                f"HDC: rates {rates} grid: the HDC distances are {distances} "
                f"(M_2 must be <= {kernel_size})"
                + (f" and the rates share the factor {factor}" if factor > 1 else "")
            )
            if strict:
                raise ValueError(message)
            warnings.warn(message, UserWarning, stacklevel=2)
        draws = generator(rng)
        super().__init__(
            *(Sequential(*_conv_bn_relu(channels, channels, kernel_size, r, draws, dtype)) for r in rates)
        )
        self.rates, self.kernel_size = rates, kernel_size
