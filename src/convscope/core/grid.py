"""Where ``grid_sample`` reads: grid coordinates to input positions, one axis at a time.

A grid value ``g`` in ``[-1, 1]`` names a point of the input along one axis.
:class:`GridAxis` turns it into a position in pixel units (unnormalisation),
applies the padding mode (clip to the border, or reflect and clip), and says
how that position moves with ``g`` (the multiplier of the grid gradient).
It also maps the integer tap positions of bicubic sampling through the
padding, and :func:`affine_base_coordinates` gives the points ``affine_grid``
transforms. Interpolation weights are the kernels' business, not this module's.

Conventions are PyTorch's (``aten/src/ATen/native/GridSampler.h``): with
``align_corners`` the grid values -1 and 1 are the centres of the corner
pixels (``0`` and ``size - 1``); without it they are the outer edges of the
corner pixels (``-0.5`` and ``size - 0.5``).

Rounding. PyTorch's CPU kernels evaluate these formulas in different orders:
the vectorised 2-d kernel computes ``(g + 1) * size / 2 - 0.5`` in one
rounding (the compiler fuses it into a multiply-add) and reflects with a
truncated division, while the scalar 3-d kernel rounds twice and reflects
with ``fmod``. A bilinear grid gradient jumps where the position crosses an
integer (and nearest sampling where it crosses a half-integer), so a position
one ulp off changes a result; :attr:`GridAxis.vectorized` picks which kernel
to follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np


class GridMode(Enum):
    """Interpolation of ``grid_sample``."""

    BILINEAR = "bilinear"
    NEAREST = "nearest"
    BICUBIC = "bicubic"


class GridPadding(Enum):
    """What ``grid_sample`` reads outside the input.

    ``ZEROS``: zeros. ``BORDER``: the edge pixel (positions are clipped).
    ``REFLECTION``: positions are reflected at the borders until they fall
    inside, then clipped.
    """

    ZEROS = "zeros"
    BORDER = "border"
    REFLECTION = "reflection"


# Veltkamp's splitter for float64: 2**27 + 1 cuts a 53-bit significand into two halves.
_SPLITTER = 134217729.0


def _fused_multiply_add(a: np.ndarray, b: float, c: float) -> np.ndarray:
    """``a * b + c`` with a single rounding, elementwise, in ``a``'s dtype.

    float32 (and float16) go through float64, where the product of two float32
    values is exact. float64 uses Dekker's error-free product and Knuth's
    two-sum (Dekker 1971; Knuth, TAOCP vol. 2, 4.2.2): ``a * b = p + e`` and
    ``p + c = q + t`` exactly, so ``q + (t + e)`` is the exact value rounded
    once, except in ties no grid ever meets.
    """
    if a.dtype != np.float64:
        return (a.astype(np.float64) * b + c).astype(a.dtype)
    p = a * b
    split_a = a * _SPLITTER
    a_hi = split_a - (split_a - a)
    a_lo = a - a_hi
    split_b = b * _SPLITTER
    b_hi = split_b - (split_b - b)
    b_lo = b - b_hi
    e = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    q = p + c
    back = q - p
    t = (p - (q - back)) + (c - back)
    with np.errstate(invalid="ignore", over="ignore"):
        fused = q + (t + e)
    # The splitting overflows near the largest floats; there the plain sum is the answer.
    return np.where(np.isfinite(fused), fused, q)


@dataclass(frozen=True)
class GridAxis:
    """One spatial axis of a ``grid_sample`` input.

    Parameters
    ----------
    size : int
        Input length along the axis (at least 1).
    align_corners : bool
        Whether -1 and 1 are the centres (True) or the outer edges (False) of
        the corner pixels.
    padding : GridPadding
        How positions outside ``[0, size - 1]`` are treated.
    vectorized : bool
        Round as PyTorch's vectorised 2-d CPU kernel (True) or its scalar 3-d
        kernel (False); see the module notes.

    Examples
    --------
    >>> import numpy as np
    >>> ax = GridAxis(4, align_corners=False, padding=GridPadding.REFLECTION)
    >>> ax.unnormalize(np.array([-1.0, 0.0, 1.0]))
    array([-0.5,  1.5,  3.5])
    >>> ax.source(np.array([-1.25, 1.5]))  # -1 and 4.5 reflected at -0.5 and 3.5, then clipped
    array([0. , 2.5])
    """

    size: int
    align_corners: bool
    padding: GridPadding = GridPadding.ZEROS
    vectorized: bool = True

    @property
    def scale(self) -> float:
        """d position / d grid value before padding: ``(size - 1) / 2`` or ``size / 2``."""
        return (self.size - 1) / 2 if self.align_corners else self.size / 2

    @property
    def _reflect_low(self) -> float:
        """Reflections happen at ``low`` and ``low + span``: the centres or the edges of the corner pixels."""
        return 0.0 if self.align_corners else -0.5

    @property
    def _reflect_span(self) -> float:
        return float(self.size - 1 if self.align_corners else self.size)

    # -- grid value -> position -------------------------------------------
    def unnormalize(self, g: np.ndarray) -> np.ndarray:
        """Position in pixel units of grid values ``g`` (no padding), in ``g``'s dtype."""
        dtype = g.dtype.type
        one = dtype(1)
        position: np.ndarray
        if self.align_corners:
            # ((g + 1) / 2) * (size - 1) and (g + 1) * ((size - 1) / 2) round the same real once.
            position = (g + one) * dtype(self.scale)
        elif self.vectorized:
            position = _fused_multiply_add(g + one, self.scale, -0.5)
        else:
            # Halving is exact, so this rounds as torch's ((g + 1) * size - 1) / 2.
            position = (g + one) * dtype(self.scale) - dtype(0.5)
        return position

    def clip(self, c: np.ndarray) -> np.ndarray:
        """Positions clipped to ``[0, size - 1]``."""
        clipped: np.ndarray = np.clip(c, 0, self.size - 1)
        return clipped.astype(c.dtype, copy=False)

    def clip_slope(self, c: np.ndarray) -> np.ndarray:
        """d clip / d position: 1 strictly inside, 0 at and beyond both borders (as PyTorch)."""
        return ((c > 0) & (c < self.size - 1)).astype(c.dtype)

    def reflect(self, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions reflected into ``[low, low + span]`` and d reflected / d position (+1 or -1).

        ``low, span`` are ``0, size - 1`` with ``align_corners`` and
        ``-0.5, size`` without. A single pixel with ``align_corners`` has
        nowhere to reflect: every position goes to 0, with slope 0.
        """
        dtype = c.dtype.type
        if self.align_corners and self.size <= 1:
            return np.zeros_like(c), np.zeros_like(c)
        low, span = dtype(self._reflect_low), dtype(self._reflect_span)
        shifted = c - low
        negative = shifted < 0
        distance = np.abs(shifted)
        if self.vectorized:
            period = dtype(2) * span
            extra = distance - np.trunc(distance / period) * period
            mirrored = period - extra
            flipped = extra > mirrored
            folded = np.where(flipped, mirrored, extra)
        else:
            extra = np.fmod(distance, span)
            flipped = np.fmod(np.floor(distance / span), 2) == 1
            folded = np.where(flipped, span - extra, extra)
        # Each mirror (and starting left of ``low``) reverses the direction of travel.
        slope = np.where(flipped != negative, dtype(-1), dtype(1))
        return (folded + low).astype(c.dtype, copy=False), slope

    def pad(self, c: np.ndarray) -> np.ndarray:
        """Positions after the padding mode (unchanged for ``ZEROS``)."""
        if self.padding is GridPadding.BORDER:
            return self.clip(c)
        if self.padding is GridPadding.REFLECTION:
            return self.clip(self.reflect(c)[0])
        return c

    def source(self, g: np.ndarray) -> np.ndarray:
        """Where grid values ``g`` read: unnormalised, then padded."""
        return self.pad(self.unnormalize(g))

    def source_with_slope(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`source` and d source / d g, the multiplier of the grid gradient."""
        c = self.unnormalize(g)
        dtype = c.dtype.type
        scale = np.full_like(c, dtype(self.scale))
        if self.padding is GridPadding.BORDER:
            return self.clip(c), scale * self.clip_slope(c)
        if self.padding is GridPadding.REFLECTION:
            reflected, slope = self.reflect(c)
            return self.clip(reflected), scale * slope * self.clip_slope(reflected)
        return c, scale

    # -- integer positions -------------------------------------------------
    def inside(self, index: np.ndarray) -> np.ndarray:
        """Whether integer-valued positions fall on a pixel."""
        return (index >= 0) & (index < self.size)

    def pixel(self, position: np.ndarray, dtype: type[np.integer] = np.intp) -> np.ndarray:
        """Index of the pixel at integer-valued ``position`` (a float array); ``size`` where there is none.

        ``size`` is one past the last pixel: a reader that keeps a zero there
        reads what PyTorch reads outside the input.

        Examples
        --------
        >>> import numpy as np
        >>> GridAxis(3, align_corners=True).pixel(np.array([-1.0, 0.0, 2.0, 3.0]))
        array([3, 0, 2, 3])
        """
        return np.where(self.inside(position), position, self.size).astype(dtype)

    def tap(self, position: np.ndarray, dtype: type[np.integer] = np.intp) -> np.ndarray:
        """The :meth:`pixel` a bicubic tap at integer-valued ``position`` reads.

        PyTorch pads each of the 16 taps on its own: border and reflection
        padding fold every tap onto a pixel; with zeros padding a tap outside
        the input reads nothing.

        Examples
        --------
        >>> import numpy as np
        >>> ax = GridAxis(3, align_corners=True, padding=GridPadding.REFLECTION)
        >>> ax.tap(np.array([-2.0, -1.0, 3.0, 4.0]))
        array([2, 1, 1, 0])
        """
        return self.pixel(self.pad(position), dtype)


def linspace_coordinates(n: int, align_corners: bool, dtype: type[np.floating] = np.float64) -> np.ndarray:
    """The ``n`` grid values of the pixel centres along one axis, as ``affine_grid`` makes them.

    ``torch.linspace(-1, 1, n)`` (each half counted from its own end), scaled
    by ``(n - 1) / n`` without ``align_corners`` so that the values land on
    pixel centres. One point sits at 0.

    Examples
    --------
    >>> linspace_coordinates(4, align_corners=True)
    array([-1.        , -0.33333333,  0.33333333,  1.        ])
    >>> linspace_coordinates(4, align_corners=False)
    array([-0.75, -0.25,  0.25,  0.75])
    >>> linspace_coordinates(1, align_corners=False)
    array([0.])
    """
    kind = np.dtype(dtype).type
    if n <= 1:  # a lone pixel sits at the centre, whatever align_corners says
        return np.zeros(max(n, 0), kind)
    step = (kind(1) - kind(-1)) / kind(n - 1)
    i = np.arange(n)
    low = kind(-1) + step * i.astype(kind)
    high = kind(1) - step * (n - 1 - i).astype(kind)
    values: np.ndarray = np.where(i < n // 2, low, high).astype(kind)
    if not align_corners:
        values = (values * kind(n - 1) / kind(n)).astype(kind)
    return values


def affine_base_grid(spatial: tuple[int, ...], align_corners: bool, dtype: type[np.floating]) -> np.ndarray:
    """Homogeneous pixel-centre coordinates ``(*spatial, k + 1)`` that ``affine_grid`` transforms.

    The last axis holds ``(x, y[, z], 1)``: x runs along the last spatial
    axis, as in ``grid_sample``'s grids.

    Examples
    --------
    >>> affine_base_grid((2, 3), align_corners=True, dtype=np.float64)[1]
    array([[-1.,  1.,  1.],
           [ 0.,  1.,  1.],
           [ 1.,  1.,  1.]])
    """
    k = len(spatial)
    base = np.ones((*spatial, k + 1), dtype)
    for component, axis in enumerate(reversed(range(k))):
        shape = [1] * k
        shape[axis] = spatial[axis]
        base[..., component] = linspace_coordinates(spatial[axis], align_corners, dtype).reshape(shape)
    return base
