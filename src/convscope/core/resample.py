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
TensorFlow's resizers (the ``tf_*`` functions and
:func:`scale_and_translate_taps`) keep TensorFlow's own rules, single-precision
coordinates included, because their discrete choices (which input is nearest,
where a span starts, which cubic table entry is used) depend on them.
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


# -- TensorFlow's resizers ------------------------------------------------------------
# TensorFlow computes every coordinate in single precision (tensorflow/core/util/
# image_resizer_state.h, kernels/image/*); the float32 steps below follow its
# order of operations so that floors, ceilings and table lookups land where its do.

_F32 = np.float32
_HALF = _F32(0.5)
#: below this weight sum TensorFlow leaves a row's weights at zero instead of normalising
_TINY_SUM = 1000.0 * float(np.finfo(np.float32).tiny)


def tf_resize_scale(in_size: int, out_size: int, align_corners: bool = False) -> np.float32:
    """TensorFlow's input step per output pixel (``CalculateResizeScale``), in float32.

    ``align_corners`` applies only when both sides exceed one pixel.

    Examples
    --------
    >>> float(tf_resize_scale(4, 3)), float(tf_resize_scale(4, 3, align_corners=True))
    (1.3333333730697632, 1.5)
    """
    if align_corners and in_size > 1 and out_size > 1:
        return _F32(in_size - 1) / _F32(out_size - 1)
    return _F32(in_size) / _F32(out_size)


def _tf_source(in_size: int, out_size: int, align_corners: bool, half_pixel_centers: bool) -> np.ndarray:
    """Source coordinate of every output (``HalfPixelScaler`` or ``LegacyScaler``), float32."""
    scale = tf_resize_scale(in_size, out_size, align_corners)
    o = np.arange(out_size).astype(_F32)
    source: np.ndarray = (o + _HALF) * scale - _HALF if half_pixel_centers else o * scale
    return source


def tf_nearest_taps(
    in_size: int, out_size: int, align_corners: bool = False, half_pixel_centers: bool = False
) -> Taps:
    """TensorFlow's ``ResizeNearestNeighbor`` along one axis.

    The source position is ``o * scale`` (legacy) or ``(o + 0.5) * scale``
    (half-pixel centres), in float32; ``align_corners`` rounds it half away
    from zero, otherwise it is floored.

    Examples
    --------
    >>> tf_nearest_taps(3, 5).index.ravel(), tf_nearest_taps(3, 5, half_pixel_centers=True).index.ravel()
    (array([0, 0, 1, 1, 2]), array([0, 0, 1, 2, 2]))
    >>> tf_nearest_taps(3, 5, align_corners=True).index.ravel()
    array([0, 1, 1, 2, 2])
    """
    if align_corners and half_pixel_centers:
        raise ValueError("tf_nearest_taps: half_pixel_centers=True needs align_corners=False")
    if in_size >= 1 << 24:  # float32 positions stop resolving every pixel; TensorFlow refuses
        raise ValueError(f"resize_nearest_neighbor: input sides must be below 2^24, got {in_size}")
    scale = tf_resize_scale(in_size, out_size, align_corners)
    o = np.arange(out_size).astype(_F32)
    position = ((o + _HALF) * scale if half_pixel_centers else o * scale).astype(np.float64)
    chosen = np.floor(position + 0.5) if align_corners else np.floor(position)  # roundf: half away from 0
    index = np.clip(chosen.astype(np.int64), 0, in_size - 1)
    return Taps(index[:, None], np.ones((out_size, 1)), in_size)


def tf_linear_taps(
    in_size: int, out_size: int, align_corners: bool = False, half_pixel_centers: bool = False
) -> Taps:
    """TensorFlow's ``ResizeBilinear`` along one axis: the two inputs around the source, clamped.

    Examples
    --------
    ``tf.image.resize`` (half-pixel centres) doubling a row of 2:

    >>> tf_linear_taps(2, 4, half_pixel_centers=True).matrix()
    array([[1.  , 0.  ],
           [0.75, 0.25],
           [0.25, 0.75],
           [0.  , 1.  ]])
    """
    if align_corners and half_pixel_centers:
        raise ValueError("tf_linear_taps: half_pixel_centers=True needs align_corners=False")
    source = _tf_source(in_size, out_size, align_corners, half_pixel_centers)
    floor = np.floor(source)
    lower = np.clip(floor.astype(np.int64), 0, in_size - 1)
    upper = np.clip(np.ceil(source).astype(np.int64), 0, in_size - 1)
    lerp = (source - floor).astype(np.float64)
    return Taps(np.stack([lower, upper], axis=1), np.stack([1.0 - lerp, lerp], axis=1), in_size)


#: TensorFlow's bicubic kernels read Keys' cubic from a table of this many steps per unit
_CUBIC_TABLE = 1024


def tf_cubic_taps(
    in_size: int, out_size: int, align_corners: bool = False, half_pixel_centers: bool = False
) -> Taps:
    """TensorFlow's ``ResizeBicubic`` along one axis.

    Two kernels hide behind one op. With ``half_pixel_centers`` it is Keys'
    cubic with a = -0.5; taps outside the input get weight 0 and the rest are
    renormalised. Without, it is the legacy a = -0.75 with the taps clamped to
    the border (the edge pixel repeated). Either way the fractional position
    is rounded to a 1/1024 step, because the weights come from a table.

    Examples
    --------
    >>> tf_cubic_taps(4, 8, half_pixel_centers=True).matrix()[1].round(5)
    array([ 0.81022,  0.21168, -0.0219 ,  0.     ])
    """
    if align_corners and half_pixel_centers:
        raise ValueError("tf_cubic_taps: half_pixel_centers=True needs align_corners=False")
    source = _tf_source(in_size, out_size, align_corners, half_pixel_centers)
    floor = np.floor(source)
    base = floor.astype(np.int64)
    step = np.rint((source - floor) * _F32(_CUBIC_TABLE)).astype(np.float64) / _CUBIC_TABLE  # lrintf
    a = -0.5 if half_pixel_centers else -0.75
    distance = np.stack([1.0 + step, step, 1.0 - step, 2.0 - step], axis=1)
    weight = _keys_cubic(distance, a).astype(_F32).astype(np.float64)  # table entries are floats
    wanted = base[:, None] + np.arange(-1, 3)[None, :]
    index = np.clip(wanted, 0, in_size - 1)
    if half_pixel_centers:
        weight = np.where(index == wanted, weight, 0.0)
        total = weight.sum(axis=1, keepdims=True)
        weight = np.divide(weight, total, out=weight.copy(), where=np.abs(total) >= _TINY_SUM)
    return Taps(index, weight, in_size)


def tf_area_taps(in_size: int, out_size: int, align_corners: bool = False) -> Taps:
    """TensorFlow's ``ResizeArea`` along one axis: the mean over the output's footprint.

    Output ``o`` covers ``[o * scale, (o + 1) * scale)`` of the input (float32
    ``scale``); each input cell weighs the length it shares with that
    interval, divided by ``scale``. Cells past the border (``align_corners``
    footprints reach beyond it) read the edge pixel.

    Examples
    --------
    >>> tf_area_taps(4, 3).matrix().round(4)  # as TensorFlow 2.21's ResizeArea
    array([[0.75, 0.25, 0.  , 0.  ],
           [0.  , 0.5 , 0.5 , 0.  ],
           [0.  , 0.  , 0.25, 0.75]])
    """
    scale = tf_resize_scale(in_size, out_size, align_corners)
    o = np.arange(out_size)
    begin = o.astype(_F32) * scale
    end = (o + 1).astype(_F32) * scale
    first = np.floor(begin).astype(np.int64)
    last = np.ceil(end).astype(np.int64)
    cells = _ragged(first, last)
    used = cells >= 0
    lo = cells.astype(_F32)
    hi = (cells + 1).astype(_F32)
    b, e = begin[:, None], end[:, None]
    overlap = np.where(lo < b, np.where(hi > e, scale, hi - b), np.where(hi > e, e - lo, _F32(1.0)))
    weight = np.where(used, overlap.astype(np.float64) / float(scale), 0.0)
    index = np.where(used, np.clip(cells, 0, in_size - 1), -1)
    return Taps(index, weight, in_size)


class SamplingKernel(Enum):
    """The filters of TensorFlow's ``ScaleAndTranslate`` op (``sampling_kernels.h``), by its names."""

    LANCZOS1 = "lanczos1"
    LANCZOS3 = "lanczos3"
    LANCZOS5 = "lanczos5"
    GAUSSIAN = "gaussian"
    BOX = "box"
    TRIANGLE = "triangle"
    KEYS_CUBIC = "keyscubic"
    MITCHELL_CUBIC = "mitchellcubic"

    @property
    def radius(self) -> float:
        """Half-width of the filter's support, before any antialias stretching."""
        return _SAMPLING_RADIUS[self]

    def __call__(self, t: np.ndarray) -> np.ndarray:
        """The filter's value at distances ``t >= 0`` (float64)."""
        t = np.abs(np.asarray(t, dtype=np.float64))
        if self in (SamplingKernel.LANCZOS1, SamplingKernel.LANCZOS3, SamplingKernel.LANCZOS5):
            return _tf_lanczos(t, self.radius)
        if self is SamplingKernel.GAUSSIAN:
            # sigma = radius / 3 = 0.5; TensorFlow's docstring says radius 3, its kernel uses 1.5
            gauss: np.ndarray = np.where(t < self.radius, np.exp(-t * t / (2.0 * 0.5 * 0.5)), 0.0)
            return gauss
        if self is SamplingKernel.BOX:
            box: np.ndarray = np.where(t < 0.5, 1.0, np.where(t == 0.5, 0.5, 0.0))
            return box
        if self is SamplingKernel.TRIANGLE:
            return _triangle(t)
        if self is SamplingKernel.KEYS_CUBIC:
            return _keys_cubic(t, -0.5)
        return _mitchell_cubic(t)


_SAMPLING_RADIUS = {
    SamplingKernel.LANCZOS1: 1.0,
    SamplingKernel.LANCZOS3: 3.0,
    SamplingKernel.LANCZOS5: 5.0,
    SamplingKernel.GAUSSIAN: 1.5,
    SamplingKernel.BOX: 1.0,
    SamplingKernel.TRIANGLE: 1.0,
    SamplingKernel.KEYS_CUBIC: 2.0,
    SamplingKernel.MITCHELL_CUBIC: 2.0,
}


def _tf_lanczos(t: np.ndarray, radius: float) -> np.ndarray:
    """TensorFlow's Lanczos: exactly 1 within 1e-3 of the centre, its own float value of pi."""
    pi = float(_F32(3.14159265359))
    safe = np.maximum(t, 1e-3)
    value = radius * np.sin(pi * safe) * np.sin(pi * safe / radius) / (pi * pi * safe * safe)
    weight: np.ndarray = np.where(t > radius, 0.0, np.where(t <= 1e-3, 1.0, value))
    return weight


def _mitchell_cubic(t: np.ndarray) -> np.ndarray:
    """Mitchell and Netravali's cubic with B = C = 1/3."""
    near = ((7.0 / 6.0 * t - 2.0) * t) * t + 8.0 / 9.0
    far = ((-7.0 / 18.0 * t + 2.0) * t - 10.0 / 3.0) * t + 16.0 / 9.0
    weight: np.ndarray = np.where(t < 1.0, near, np.where(t < 2.0, far, 0.0))
    return weight


def scale_and_translate_taps(
    in_size: int,
    out_size: int,
    kernel: SamplingKernel,
    antialias: bool = True,
    scale: float | None = None,
    translate: float = 0.0,
) -> Taps:
    """TensorFlow's ``ScaleAndTranslate`` op along one axis (``ComputeSpansCore``).

    Output ``o`` samples the input at ``(o + 0.5) / scale - translate / scale``
    (pixel centres at half-integers). With ``antialias`` and ``scale < 1`` the
    filter is stretched by ``1 / scale``. Inputs under the filter's support
    that lie outside the image are dropped and the remaining weights
    renormalised to sum to one; samples outside the image give 0. ``scale``
    defaults to ``float32(out_size) / float32(in_size)``, as
    ``tf.image.resize`` passes it.

    Examples
    --------
    Halving with the triangle filter, with and without antialiasing
    (TensorFlow 2.21 gives the same matrices):

    >>> (scale_and_translate_taps(4, 2, SamplingKernel.TRIANGLE).matrix() * 7).round(6)
    array([[3., 3., 1., 0.],
           [0., 1., 3., 3.]])
    >>> scale_and_translate_taps(4, 2, SamplingKernel.TRIANGLE, antialias=False).matrix()
    array([[0.5, 0.5, 0. , 0. ],
           [0. , 0. , 0.5, 0.5]])
    """
    scale32 = _F32(out_size) / _F32(in_size) if scale is None else _F32(scale)
    inv_scale = _F32(1.0 / float(scale32))
    inv_translate = -inv_scale * _F32(translate)
    kernel_scale = max(inv_scale, _F32(1.0)) if antialias else _F32(1.0)
    reach = _F32(kernel.radius) * kernel_scale
    sample = (np.arange(out_size).astype(_F32) + _HALF) * inv_scale + inv_translate
    inside = (sample >= 0) & (sample <= _F32(in_size))
    start = np.clip(np.ceil(sample - reach - _HALF).astype(np.int64), 0, in_size - 1)
    stop = np.clip(np.floor(sample + reach - _HALF).astype(np.int64), 0, in_size - 1) + 1
    index = np.where(inside[:, None], _ragged(start, stop), -1)
    position = (index.astype(_F32) + _HALF - sample[:, None]) * (_F32(1.0) / kernel_scale)
    weight = np.where(index >= 0, kernel(position).astype(_F32), 0.0).astype(np.float64)
    total = weight.sum(axis=1, keepdims=True)
    weight = np.divide(weight, total, out=np.zeros_like(weight), where=np.abs(total) >= _TINY_SUM)
    return Taps(index, weight, in_size)


def tf_preserved_size(in_size: tuple[int, int], size: tuple[int, int]) -> tuple[int, int]:
    """``tf.image.resize(..., preserve_aspect_ratio=True)``'s output size: the largest that fits ``size``.

    One float32 factor, the smaller of the two ratios, scales both sides;
    each is rounded half to even (``tf.round``).

    Examples
    --------
    >>> tf_preserved_size((3, 4), (10, 20)), tf_preserved_size((6, 4), (5, 5))
    ((10, 13), (5, 3))
    """
    factor = min(_F32(s) / _F32(n) for n, s in zip(in_size, size))
    height, width = (int(np.rint(factor * _F32(n))) for n in in_size)
    return height, width
