"""Where each output of a resampling operator reads its input, along one axis.

Adaptive pooling, every ``interpolate`` mode and antialiased resizing are, per
axis, a small table of taps: output ``o`` combines the inputs
``index[o, t]`` with weights ``weight[o, t]`` (``index == -1`` marks an
unused slot). An N-d operator is the product of its axes' tables, so every
mode shares one code path and the transpose of the table is the backward
pass (see :mod:`convscope.kernels.resample`).

The coordinate conventions are PyTorch's (``aten/src/ATen/native/UpSample.h``):
pixel ``i`` is the area ``[i, i + 1)`` with centre ``i + 0.5`` unless
``align_corners``, which pins the centres of the corner pixels instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

import numpy as np


class Interpolation(Enum):
    """The per-axis interpolation kernels of ``interpolate``."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    LINEAR = "linear"
    CUBIC = "cubic"
    LANCZOS = "lanczos"
    AREA = "area"


@dataclass(frozen=True)
class Taps:
    """Output ``o`` reads inputs ``index[o]`` (``-1``: unused) with ``weight[o]``."""

    index: np.ndarray
    weight: np.ndarray
    in_size: int

    @property
    def out_size(self) -> int:
        return int(self.index.shape[0])

    def matrix(self) -> np.ndarray:
        """The dense ``(out_size, in_size)`` matrix of the taps.

        Examples
        --------
        >>> linear_taps(2, 4, align_corners=True).matrix().round(3)
        array([[1.   , 0.   ],
               [0.667, 0.333],
               [0.333, 0.667],
               [0.   , 1.   ]])
        """
        dense = np.zeros((self.out_size, self.in_size))
        rows = np.broadcast_to(np.arange(self.out_size)[:, None], self.index.shape)
        used = self.index >= 0
        np.add.at(dense, (rows[used], self.index[used]), self.weight[used])
        return dense

    def is_selection(self) -> bool:
        """Whether every output copies exactly one input (nearest modes)."""
        return self.index.shape[1] == 1 and bool(np.all(self.weight == 1.0))


def _ragged(start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Rows ``range(start[o], stop[o])`` padded with ``-1`` to the longest row."""
    width = int((stop - start).max()) if start.size else 0
    index = start[:, None] + np.arange(max(width, 1))[None, :]
    return np.where(index < stop[:, None], index, -1)


def adaptive_taps(in_size: int, out_size: int) -> Taps:
    """Adaptive pooling windows ``[floor(o * i / n), ceil((o + 1) * i / n))`` with unit weights.

    Examples
    --------
    >>> adaptive_taps(5, 3).index
    array([[ 0,  1, -1],
           [ 1,  2,  3],
           [ 3,  4, -1]])
    """
    o = np.arange(out_size, dtype=np.int64)
    start = (o * in_size) // out_size
    stop = -((-(o + 1) * in_size) // out_size)
    index = _ragged(start, stop)
    return Taps(index, (index >= 0).astype(np.float64), in_size)


def area_taps(in_size: int, out_size: int) -> Taps:
    """``mode='area'``: the adaptive average, each window weighted ``1 / length``."""
    taps = adaptive_taps(in_size, out_size)
    counts = (taps.index >= 0).sum(axis=1, keepdims=True)
    return Taps(taps.index, taps.weight / counts, in_size)


def scaled_size(in_size: int, scale_factor: float) -> int:
    """Output length for a scale factor: ``floor(in_size * scale_factor)`` in double, as PyTorch."""
    return math.floor(float(in_size) * scale_factor)


def _scale(in_size: int, out_size: int, align_corners: bool, scale_factor: float | None) -> float:
    """Input distance per output step (PyTorch's ``area_pixel_compute_scale``)."""
    if align_corners:
        return (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    if scale_factor is not None and scale_factor > 0:
        return 1.0 / scale_factor
    return in_size / out_size


def nearest_taps(
    in_size: int,
    out_size: int,
    scale_factor: float | None = None,
    exact: bool = False,
    single_precision: bool = True,
    shortcuts: bool = False,
) -> Taps:
    """``nearest`` (floor of ``o * scale``) or ``nearest-exact`` (of ``(o + 0.5) * scale``).

    The index is a discrete choice, so PyTorch's rounding is reproduced: the
    scale is held in the input's precision (single for float32 and float16),
    the product is rounded to single precision, then floored. With
    ``shortcuts`` (PyTorch's 2-d ``nearest``, not its 1-d and 3-d ones), an
    axis whose size is kept is copied and one whose size doubles repeats
    each sample, whatever the scale factor says.

    Examples
    --------
    >>> nearest_taps(3, 5).index.ravel()
    array([0, 0, 1, 1, 2])
    >>> nearest_taps(3, 5, exact=True).index.ravel()
    array([0, 0, 1, 2, 2])
    """
    if shortcuts and not exact and out_size in (in_size, 2 * in_size):
        step = out_size // in_size
        index = np.arange(out_size) // step
        return Taps(index[:, None], np.ones((out_size, 1)), in_size)
    scale = _scale(in_size, out_size, False, scale_factor)
    if single_precision:
        scale = float(np.float32(scale))
    position = ((np.arange(out_size) + (0.5 if exact else 0.0)) * scale).astype(np.float32)
    index = np.minimum(np.floor(position).astype(np.int64), in_size - 1)
    return Taps(index[:, None], np.ones((out_size, 1)), in_size)


def _source(in_size: int, out_size: int, align_corners: bool, scale_factor: float | None) -> np.ndarray:
    scale = _scale(in_size, out_size, align_corners, scale_factor)
    o = np.arange(out_size, dtype=np.float64)
    return scale * o if align_corners else scale * (o + 0.5) - 0.5


def linear_taps(
    in_size: int, out_size: int, align_corners: bool = False, scale_factor: float | None = None
) -> Taps:
    """Linear interpolation between the two inputs around each source coordinate.

    Source coordinates left of the first centre are clamped to it; an axis
    whose size does not change is copied (PyTorch's special case, whatever
    the scale factor).
    """
    if out_size == in_size:
        return Taps(np.arange(out_size)[:, None], np.ones((out_size, 1)), in_size)
    source = np.maximum(_source(in_size, out_size, align_corners, scale_factor), 0.0)
    left = np.minimum(np.floor(source).astype(np.int64), in_size - 1)
    frac = np.clip(source - left, 0.0, 1.0)
    right = np.where(left < in_size - 1, left + 1, left)
    return Taps(np.stack([left, right], axis=1), np.stack([1.0 - frac, frac], axis=1), in_size)


def _keys_cubic(t: np.ndarray, a: float) -> np.ndarray:
    """Keys' cubic convolution kernel with parameter ``a`` at distances ``t``."""
    t = np.abs(t)
    near = ((a + 2) * t - (a + 3)) * t * t + 1
    far = ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
    return np.where(t <= 1, near, np.where(t < 2, far, 0.0))


def cubic_taps(
    in_size: int, out_size: int, align_corners: bool = False, scale_factor: float | None = None
) -> Taps:
    """Bicubic (Keys, a = -0.75) interpolation over four inputs, clamped at the borders."""
    source = _source(in_size, out_size, align_corners, scale_factor)
    base = np.floor(source).astype(np.int64)
    frac = source - base
    offsets = np.arange(-1, 3)
    index = np.clip(base[:, None] + offsets[None, :], 0, in_size - 1)
    weight = _keys_cubic(frac[:, None] - offsets[None, :], -0.75)
    return Taps(index, weight, in_size)


def _triangle(t: np.ndarray) -> np.ndarray:
    weight: np.ndarray = np.maximum(0.0, 1.0 - np.abs(t))
    return weight


def _lanczos(t: np.ndarray, lobes: int) -> np.ndarray:
    weight: np.ndarray = np.where(np.abs(t) < lobes, np.sinc(t) * np.sinc(t / lobes), 0.0)
    return weight


#: antialiasing filters: half-width and shape (Pillow's, which PyTorch follows)
_FILTERS = {
    Interpolation.LINEAR: (1.0, _triangle),
    Interpolation.CUBIC: (2.0, lambda t: _keys_cubic(t, -0.5)),
    Interpolation.LANCZOS: (3.0, lambda t: _lanczos(t, 3)),
}


def antialias_taps(
    in_size: int,
    out_size: int,
    kind: Interpolation,
    align_corners: bool = False,
    scale_factor: float | None = None,
) -> Taps:
    """Antialiased linear, cubic or Lanczos-3 resampling (PyTorch's ``antialias=True``).

    When down-sampling by ``s`` the filter is stretched ``s`` times, so every
    input under the output's footprint contributes; the weights of each output
    are normalised to sum to one. The cubic filter is Keys' with a = -0.5.

    Examples
    --------
    Halving a row averages neighbouring pairs (the triangle filter stretched
    over two inputs, normalised):

    >>> antialias_taps(4, 2, Interpolation.LINEAR).matrix() * 7
    array([[3., 3., 1., 0.],
           [0., 1., 3., 3.]])
    """
    scale = _scale(in_size, out_size, align_corners, scale_factor)
    half_width, shape = _FILTERS[kind]
    support = half_width * scale if scale >= 1.0 else half_width
    inv = 1.0 / scale if scale >= 1.0 else 1.0
    centre = scale * (np.arange(out_size) + 0.5)
    # C++ truncation toward zero of non-negative values: floor
    start = np.maximum(np.floor(centre - support + 0.5).astype(np.int64), 0)
    stop = np.minimum(np.floor(centre + support + 0.5).astype(np.int64), in_size)
    index = _ragged(start, stop)
    distance = (index - centre[:, None] + 0.5) * inv
    weight = np.where(index >= 0, shape(distance), 0.0)
    total = weight.sum(axis=1, keepdims=True)
    weight = np.divide(weight, total, out=np.zeros_like(weight), where=total != 0)
    return Taps(index, weight, in_size)


def interpolation_taps(
    mode: Interpolation,
    in_size: int,
    out_size: int,
    align_corners: bool = False,
    scale_factor: float | None = None,
    antialias: bool = False,
    single_precision: bool = True,
    shortcuts: bool = False,
) -> Taps:
    """The taps of ``interpolate``'s ``mode`` along one axis.

    ``scale_factor`` is the user's factor when PyTorch uses it for the
    coordinate mapping (``recompute_scale_factor`` false), else ``None``.
    ``single_precision`` (float32 and float16 input) only matters for the
    nearest modes, whose discrete choice follows PyTorch's rounding, and so
    do ``shortcuts`` (see :func:`nearest_taps`).

    Examples
    --------
    Seed 000: a 2-pixel row up-sampled to 4 without aligned corners.

    >>> interpolation_taps(Interpolation.LINEAR, 2, 4).matrix()
    array([[1.  , 0.  ],
           [0.75, 0.25],
           [0.25, 0.75],
           [0.  , 1.  ]])
    """
    if mode in (Interpolation.NEAREST, Interpolation.NEAREST_EXACT):
        exact = mode is Interpolation.NEAREST_EXACT
        return nearest_taps(in_size, out_size, scale_factor, exact, single_precision, shortcuts)
    if mode is Interpolation.AREA:
        return area_taps(in_size, out_size)
    if antialias or mode is Interpolation.LANCZOS:
        return antialias_taps(in_size, out_size, mode, align_corners, scale_factor)
    if mode is Interpolation.CUBIC:
        return cubic_taps(in_size, out_size, align_corners, scale_factor)
    return linear_taps(in_size, out_size, align_corners, scale_factor)
