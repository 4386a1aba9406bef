"""Up-sampling layers: ``Upsample`` and its fixed-mode variants, and pixel (un)shuffle."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import functional as F
from .module import Module


class Upsample(Module):
    """``torch.nn.Upsample``: :func:`convscope.functional.interpolate` as a layer.

    Examples
    --------
    Seed 000: ``Upsample(scale_factor=2, mode='bilinear', align_corners=True)``.

    >>> m = Upsample(scale_factor=2, mode="bilinear", align_corners=True)
    >>> m(np.arange(1.0, 5.0).reshape(1, 1, 2, 2))[0, 0, 0]
    array([1.        , 1.33333333, 1.66666667, 2.        ])
    >>> m
    Upsample(scale_factor=2.0, mode='bilinear')
    """

    def __init__(
        self,
        size: int | Sequence[int] | None = None,
        scale_factor: float | Sequence[float] | None = None,
        mode: str = "nearest",
        align_corners: bool | None = None,
        recompute_scale_factor: bool | None = None,
    ) -> None:
        super().__init__()
        self.size, self.mode, self.align_corners = size, mode, align_corners
        if isinstance(scale_factor, Sequence):
            self.scale_factor: Any = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor is not None else None
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Any) -> np.ndarray:
        return F.interpolate(
            input, self.size, self.scale_factor, self.mode, self.align_corners, self.recompute_scale_factor
        )

    def extra_repr(self) -> str:
        described = (
            f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None else f"size={self.size!r}"
        )
        return f"{described}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """``torch.nn.UpsamplingNearest2d``: nearest up-sampling of 4-d input.

    Examples
    --------
    >>> UpsamplingNearest2d(scale_factor=2)(np.arange(1.0, 5.0).reshape(1, 1, 2, 2))[0, 0, 0]
    array([1., 1., 2., 2.])
    """

    def __init__(self, size: int | Sequence[int] | None = None, scale_factor: float | None = None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """``torch.nn.UpsamplingBilinear2d``: bilinear with ``align_corners=True``.

    Examples
    --------
    >>> UpsamplingBilinear2d(scale_factor=2)(np.array([[[[0.0, 3.0]]]]))[0, 0, 0]
    array([0., 1., 2., 3.])
    """

    def __init__(self, size: int | Sequence[int] | None = None, scale_factor: float | None = None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class PixelShuffle(Module):
    """``torch.nn.PixelShuffle``: ``(*, C r^2, H, W) -> (*, C, H r, W r)``.

    Examples
    --------
    >>> PixelShuffle(2)(np.ones((1, 8, 3, 3))).shape
    (1, 2, 6, 6)
    """

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Any) -> np.ndarray:
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """``torch.nn.PixelUnshuffle``: ``(*, C, H r, W r) -> (*, C r^2, H, W)``.

    Examples
    --------
    >>> PixelUnshuffle(2)(np.ones((1, 2, 6, 6))).shape
    (1, 8, 3, 3)
    """

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Any) -> np.ndarray:
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
