"""Resampling with PyTorch's semantics: ``interpolate``, the ``upsample`` family and pixel shuffle.

Every ``interpolate`` mode is one table of taps per axis
(:mod:`convscope.core.resample`) applied by one kernel
(:mod:`convscope.kernels.resample`); the modes differ only in their taps.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.resample import Interpolation, Taps, interpolation_taps
from ..core.resample_rules import interpolate_sizes, pixel_shuffle_factor, pixel_unshuffle_factor
from ..kernels import resample as resample_kernel
from ._args import as_array


@dataclass(frozen=True)
class ResamplePlan:
    """A checked ``interpolate`` call: the input and the taps of each spatial axis."""

    x: np.ndarray
    taps: tuple[Taps, ...]

    @property
    def compute_dtype(self) -> np.dtype[Any]:
        return np.dtype(np.float32) if self.x.dtype == np.float16 else self.x.dtype


def plan_interpolate(
    input: Any,
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> ResamplePlan:
    op = "interpolate"
    x = as_array(input, "input", op)
    call = interpolate_sizes(
        x.shape[2:], size, scale_factor, mode, align_corners, recompute_scale_factor, antialias, x.shape
    )
    if x.dtype.kind != "f" and call.kind not in (Interpolation.NEAREST, Interpolation.NEAREST_EXACT):
        raise TypeError(f"{op}: mode={mode!r} needs floating point input, got {x.dtype}")
    single = x.dtype != np.float64
    # torch's 2-d nearest forward special-cases x1 and x2 sizes; its 1-d and 3-d forwards do not
    shortcuts = len(call.out_sizes) == 2
    taps = tuple(
        interpolation_taps(call.kind, n, o, call.align_corners, s, antialias, single, shortcuts)
        for n, o, s in zip(x.shape[2:], call.out_sizes, call.coordinate_scales)
    )
    return ResamplePlan(x, taps)


def run_interpolate(plan: ResamplePlan) -> np.ndarray:
    x = plan.x.astype(plan.compute_dtype, copy=False)
    return resample_kernel.resample(x, plan.taps).astype(plan.x.dtype, copy=False)


def interpolate(
    input: Any,
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> np.ndarray:
    """Resize ``(N, C, *spatial)`` input, as ``torch.nn.functional.interpolate``.

    Parameters
    ----------
    input : array_like
        3-d (``linear``), 4-d (``bilinear``, ``bicubic``) or 5-d
        (``trilinear``) input; ``nearest``, ``nearest-exact`` and ``area``
        take any of them.
    size : int or tuple of ints, optional
        Output spatial size.
    scale_factor : float or tuple of floats, optional
        Multiplier of the spatial size (``floor(in * scale_factor)``); give
        exactly one of ``size`` and ``scale_factor``.
    mode : str
        ``'nearest'`` (PyTorch's legacy floor rule), ``'nearest-exact'``,
        ``'linear'``, ``'bilinear'``, ``'bicubic'`` (a = -0.75),
        ``'trilinear'``, ``'area'`` (adaptive average pooling) or
        ``'lanczos'`` (Lanczos-3, 4-d input, ``antialias=True`` only).
    align_corners : bool, optional
        Interpolating modes only: map the corner pixels' centres onto each
        other (``True``) or the pixel areas' edges (``False``, the default).
    recompute_scale_factor : bool, optional
        Use the computed output size, not ``scale_factor``, for the
        coordinate mapping.
    antialias : bool
        Bilinear, bicubic and lanczos on 4-d input: widen the filter when
        down-sampling so every input under an output's footprint contributes.

    Returns
    -------
    numpy.ndarray
        Same dtype as ``input``.

    Examples
    --------
    Seed 000: the 2x2 image ``[[1, 2], [3, 4]]`` up-sampled x2 three ways.

    >>> import numpy as np
    >>> x = np.arange(1.0, 5.0).reshape(1, 1, 2, 2)
    >>> interpolate(x, scale_factor=2, mode="nearest")[0, 0]
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.],
           [3., 3., 4., 4.],
           [3., 3., 4., 4.]])
    >>> interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)[0, 0]
    array([[1.        , 1.33333333, 1.66666667, 2.        ],
           [1.66666667, 2.        , 2.33333333, 2.66666667],
           [2.33333333, 2.66666667, 3.        , 3.33333333],
           [3.        , 3.33333333, 3.66666667, 4.        ]])
    >>> interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)[0, 0]
    array([[1.  , 1.25, 1.75, 2.  ],
           [1.5 , 1.75, 2.25, 2.5 ],
           [2.5 , 2.75, 3.25, 3.5 ],
           [3.  , 3.25, 3.75, 4.  ]])
    """
    return run_interpolate(
        plan_interpolate(input, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias)
    )


def upsample(
    input: Any,
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
) -> np.ndarray:
    """``interpolate`` under its old name, as ``torch.nn.functional.upsample`` (deprecated there too).

    Examples
    --------
    >>> import numpy as np
    >>> import warnings; warnings.simplefilter("ignore")
    >>> upsample(np.array([[[1.0, 2.0]]]), scale_factor=2)
    array([[[1., 1., 2., 2.]]])
    """
    warnings.warn("upsample is deprecated; use interpolate", DeprecationWarning, stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(
    input: Any, size: int | Sequence[int] | None = None, scale_factor: float | None = None
) -> np.ndarray:
    """Nearest up-sampling, as ``torch.nn.functional.upsample_nearest`` (``UpsamplingNearest2d``).

    Examples
    --------
    >>> import numpy as np
    >>> upsample_nearest(np.array([[[1.0, 2.0]]]), size=3)
    array([[[1., 1., 2.]]])
    """
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(
    input: Any, size: int | Sequence[int] | None = None, scale_factor: float | Sequence[float] | None = None
) -> np.ndarray:
    """Bilinear up-sampling with ``align_corners=True``, as ``UpsamplingBilinear2d``.

    Examples
    --------
    >>> import numpy as np
    >>> upsample_bilinear(np.array([[[[0.0, 3.0]]]]), size=(1, 4))
    array([[[[0., 1., 2., 3.]]]])
    """
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# -- sub-pixel convolution ------------------------------------------------------------


def _shuffle_input(op: str, input: Any) -> np.ndarray:
    x = as_array(input, "input", op)
    if x.ndim < 3:
        raise ValueError(f"{op}: input must have at least 3 dimensions (..., C, H, W), got shape {x.shape}")
    return x


def shuffle(x: np.ndarray, r: int) -> np.ndarray:
    """``(..., C r^2, H, W) -> (..., C, H r, W r)``.

    Channel ``c r^2 + i r + j`` at ``(h, w)`` lands at ``(h r + i, w r + j)`` of channel ``c``.
    """
    *lead, channels, height, width = x.shape
    blocks = x.reshape(*lead, channels // (r * r), r, r, height, width)
    k = len(lead)
    order = (*range(k), k, k + 3, k + 1, k + 4, k + 2)
    return np.ascontiguousarray(blocks.transpose(order)).reshape(
        *lead, channels // (r * r), height * r, width * r
    )


def unshuffle(x: np.ndarray, r: int) -> np.ndarray:
    """The inverse (and adjoint) of :func:`shuffle`."""
    *lead, channels, height, width = x.shape
    cells = x.reshape(*lead, channels, height // r, r, width // r, r)
    k = len(lead)
    order = (*range(k), k, k + 2, k + 4, k + 1, k + 3)
    return np.ascontiguousarray(cells.transpose(order)).reshape(
        *lead, channels * r * r, height // r, width // r
    )


def check_pixel_shuffle(input: Any, upscale_factor: Any) -> tuple[np.ndarray, int]:
    x = _shuffle_input("pixel_shuffle", input)
    return x, pixel_shuffle_factor(upscale_factor, x.shape[-3], "input.shape[-3]")


def check_pixel_unshuffle(input: Any, downscale_factor: Any) -> tuple[np.ndarray, int]:
    x = _shuffle_input("pixel_unshuffle", input)
    return x, pixel_unshuffle_factor(downscale_factor, x.shape[-2], x.shape[-1])


def pixel_shuffle(input: Any, upscale_factor: int) -> np.ndarray:
    """Rearrange ``(*, C r^2, H, W)`` into ``(*, C, H r, W r)``, as ``torch.nn.functional.pixel_shuffle``.

    Followed by a convolution producing ``C r^2`` channels, this is the
    sub-pixel convolution of Shi et al. (2016): every output cell is computed
    by exactly one filter, so unlike a strided transposed convolution it has
    no uneven (checkerboard) overlap.

    Examples
    --------
    >>> import numpy as np
    >>> pixel_shuffle(np.arange(4.0).reshape(1, 4, 1, 1), 2)[0, 0]
    array([[0., 1.],
           [2., 3.]])
    """
    x, r = check_pixel_shuffle(input, upscale_factor)
    return shuffle(x, r)


def pixel_unshuffle(input: Any, downscale_factor: int) -> np.ndarray:
    """Rearrange ``(*, C, H r, W r)`` into ``(*, C r^2, H, W)``, the inverse of :func:`pixel_shuffle`.

    Examples
    --------
    >>> import numpy as np
    >>> pixel_unshuffle(np.arange(4.0).reshape(1, 1, 2, 2), 2).ravel()
    array([0., 1., 2., 3.])
    """
    x, r = check_pixel_unshuffle(input, downscale_factor)
    return unshuffle(x, r)
