"""``grid_sample`` and ``affine_grid`` numerics: sampling as a sparse matrix.

Every output sample of ``grid_sample`` is a weighted sum of a few input
pixels (1 for nearest, 2**k for k-linear, 16 for bicubic), the same for
every channel. For a group of batch items the kernel writes those taps as a
sparse matrix ``S``, one row per output sample and one column per pixel of a
channels-last copy of the input (the *table*), so each tap moves a
contiguous row of C values:

- forward: ``out = S @ table``;
- input gradient: ``S.T @ cotangent`` (a scatter-add, in sample order);
- grid gradient along axis ``a``: ``S_a @ table``, where ``S_a`` holds the
  derivatives of the weights in the position along ``a``, dotted with the
  cotangent over channels and scaled by d position / d grid value.

The table has one extra slot of zeros at the end of every spatial axis:
a tap outside the input reads the slot of the axis it left, so it reads an
exact zero (as PyTorch's masked loads) without a mask over all the taps.

Where each tap reads is :class:`convscope.core.grid.GridAxis`'s business;
this module owns the interpolation weights: linear, nearest, and Keys' cubic
convolution (R. Keys, "Cubic convolution interpolation for digital image
processing", IEEE TASSP 29(6), 1981). float16 is computed in float32.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse

from ..core.grid import GridAxis, GridMode, GridPadding, affine_base_grid
from . import parallel
from .workspace import chunk_ranges

# Keys' cubic convolution parameter, as PyTorch's bicubic modes use.
_CUBIC_A = -0.75


@dataclass(frozen=True)
class _AxisTaps:
    """The taps of every sample along one axis: where they read and with what weight."""

    index: tuple[np.ndarray, ...]  # pixel read by each tap; the axis size (a zero slot) for none
    weight: tuple[np.ndarray, ...]
    slope: tuple[np.ndarray, ...]  # d weight / d position (empty when no gradient is wanted)
    multiplier: np.ndarray | None  # d position / d grid value (None: no grid gradient)


def _compute_dtype(dtype: np.dtype) -> np.dtype:
    return np.dtype(np.float32) if dtype == np.float16 else dtype


def _cubic_near(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keys' kernel and its derivative for distances ``0 <= x <= 1``."""
    a = x.dtype.type(_CUBIC_A)
    value = ((a + 2) * x - (a + 3)) * x * x + 1
    slope = (3 * (a + 2) * x - 2 * (a + 3)) * x
    return value, slope


def _cubic_far(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keys' kernel and its derivative for distances ``1 <= x <= 2``."""
    a = x.dtype.type(_CUBIC_A)
    value = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    slope = (3 * a * x - 10 * a) * x + 8 * a
    return value, slope


def _axis_taps(
    axis: GridAxis, g: np.ndarray, mode: GridMode, with_grad: bool, index_dtype: np.dtype
) -> _AxisTaps:
    one = g.dtype.type(1)
    index: tuple[np.ndarray, ...]
    slopes: tuple[np.ndarray, ...]
    if mode is GridMode.NEAREST:
        nearest = np.rint(axis.source(g))  # round half to even, as std::nearbyint
        return _AxisTaps((axis.pixel(nearest, index_dtype.type),), (np.ones_like(g),), (), None)

    if mode is GridMode.BILINEAR:
        if with_grad:
            position, multiplier = axis.source_with_slope(g)
        else:
            position, multiplier = axis.source(g), None
        low = np.floor(position)
        frac = position - low
        # Each torch kernel rounds the weight of the lower pixel its own way.
        low_weight = one - frac if axis.vectorized else (low + one) - position
        index = (axis.pixel(low, index_dtype.type), axis.pixel(low + one, index_dtype.type))
        slopes = (np.full_like(g, -one), np.full_like(g, one)) if with_grad else ()
        return _AxisTaps(index, (low_weight, frac), slopes, multiplier)

    # Bicubic: four taps around the unpadded position.
    position = axis.unnormalize(g)
    low = np.floor(position)
    t = position - low
    offsets = (-one, g.dtype.type(0), one, one + one)
    index = tuple(axis.tap(low + offset, index_dtype.type) for offset in offsets)
    w0, s0 = _cubic_far(t + one)
    w1, s1 = _cubic_near(t)
    w2, s2 = _cubic_near(one - t)
    w3, s3 = _cubic_far(one + one - t)
    # PyTorch pads the taps, not the position: the grid gradient ignores the padding mode.
    multiplier = np.full_like(g, g.dtype.type(axis.scale)) if with_grad else None
    slopes = (s0, s1, -s2, -s3) if with_grad else ()  # the last two taps' distances shrink as t grows
    return _AxisTaps(index, (w0, w1, w2, w3), slopes, multiplier)


@dataclass(frozen=True)
class _SamplingMatrix:
    """The taps of a run of batch items: ``(items * samples, taps)`` arrays.

    Columns index the sample's own item's table block (``block`` rows).
    """

    columns: np.ndarray
    weights: np.ndarray
    slopes: tuple[np.ndarray, ...]  # per grid component, d weight / d position, same layout
    multipliers: tuple[np.ndarray, ...]  # per grid component, d position / d grid value
    samples: int  # per item
    block: int  # table rows per item

    def matrix(self, first: int, last: int, data: np.ndarray | None = None) -> scipy.sparse.csr_array:
        """Sparse rows of items ``[first, last)`` of the run, over those items' :func:`_table`."""
        rows = slice(first * self.samples, last * self.samples)
        columns = self.columns[rows]
        if last - first > 1:
            item = np.arange(last - first, dtype=columns.dtype) * columns.dtype.type(self.block)
            columns = columns + np.repeat(item, self.samples)[:, None]
        n_rows, taps = columns.shape
        indptr = np.arange(0, n_rows * taps + 1, taps, dtype=columns.dtype)
        values = (self.weights if data is None else data)[rows]
        return scipy.sparse.csr_array(
            (values.ravel(), columns.ravel(), indptr), shape=(n_rows, (last - first) * self.block)
        )


def _product(factors: list[np.ndarray]) -> np.ndarray:
    """Broadcast product, left to right (x first: the order of PyTorch's 3-d weights)."""
    return functools.reduce(np.multiply, factors)


def _sampling_matrix(
    axes: tuple[GridAxis, ...], grid: np.ndarray, mode: GridMode, with_grad: bool
) -> _SamplingMatrix:
    """The taps of the items of ``grid`` (``(n, *out, k)``).

    ``axes[a]`` is the axis grid component ``a`` addresses: component 0 (x)
    is the last spatial axis. A row lists its taps with x varying fastest,
    the order in which PyTorch adds them up.
    """
    n, k = grid.shape[0], grid.shape[-1]
    samples = math.prod(grid.shape[1:-1])
    block = math.prod(ax.size + 1 for ax in axes)
    taps = _taps(mode, k)
    index_dtype = np.dtype(np.int32 if max(n * block, n * samples * taps) < 2**31 else np.int64)
    per_axis = [
        _axis_taps(axes[a], np.ascontiguousarray(grid[..., a]).ravel(), mode, with_grad, index_dtype)
        for a in range(k)
    ]

    def spread(values: tuple[np.ndarray, ...], a: int) -> np.ndarray:
        """Component ``a``'s taps on their own axis of the tap grid ``(..., taps_y, taps_x, rows)``."""
        shape = [1] * k + [n * samples]
        shape[k - 1 - a] = len(values)
        return np.stack(values).reshape(shape)

    def as_rows(tap_grid: np.ndarray) -> np.ndarray:
        """Tap grid ``(*taps, rows)`` -> contiguous ``(rows, prod(taps))``.

        NumPy is fast along the long rows axis and slow along the short tap
        axes, so the taps are combined rows-last and transposed once at the end.
        """
        flat = tap_grid.reshape(taps, n * samples)
        rows = np.empty((n * samples, taps), flat.dtype)
        np.copyto(rows, flat.T)
        return rows

    # Component a steps over the (slot-padded) blocks of the faster axes.
    strides = [index_dtype.type(math.prod(ax.size + 1 for ax in axes[:a])) for a in range(k)]
    offsets = [spread(tuple(i * strides[a] for i in t.index), a) for a, t in enumerate(per_axis)]
    columns = as_rows(functools.reduce(np.add, offsets))
    weight = [spread(t.weight, a) for a, t in enumerate(per_axis)]
    weights = as_rows(_product(weight))
    slopes: tuple[np.ndarray, ...] = ()
    multipliers: tuple[np.ndarray, ...] = ()
    if with_grad and mode is not GridMode.NEAREST:
        slopes = tuple(
            as_rows(_product([spread(t.slope, b) if b == a else w for b, w in enumerate(weight)]))
            for a, t in enumerate(per_axis)
        )
        multipliers = tuple(t.multiplier for t in per_axis if t.multiplier is not None)
    return _SamplingMatrix(columns, weights, slopes, multipliers, samples, block)


def _axes(spatial: tuple[int, ...], padding: GridPadding, align_corners: bool) -> tuple[GridAxis, ...]:
    """One :class:`GridAxis` per grid component (x first), rounding as the torch kernel of this rank."""
    vectorized = len(spatial) == 2
    return tuple(GridAxis(size, align_corners, padding, vectorized) for size in reversed(spatial))


def _interior(a: np.ndarray) -> tuple[slice, ...]:
    """The input pixels of a slot-padded ``(n, *padded, C)`` array."""
    return (slice(None), *(slice(0, s - 1) for s in a.shape[1:-1]), slice(None))


def _table(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Channels-last rows of ``x`` (``(n, C, *spatial)``), a zero slot after every spatial axis."""
    n, c, *spatial = x.shape
    table = np.empty((n, *(s + 1 for s in spatial), c), dtype)
    np.copyto(table[_interior(table)], np.moveaxis(x, 1, -1))
    for axis, size in enumerate(spatial, start=1):
        slot = [slice(None)] * table.ndim
        slot[axis] = slice(size, size + 1)
        table[tuple(slot)] = 0
    return table.reshape(-1, c)


def _channels_last(a: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``(n, C, *spatial)`` as contiguous rows ``(n * prod(spatial), C)``."""
    n, c = a.shape[:2]
    rows = np.empty((n, math.prod(a.shape[2:]), c), dtype)
    np.copyto(rows, a.reshape(n, c, -1).transpose(0, 2, 1))
    return rows.reshape(-1, c)


# One tile of a channels-first write reads about this many bytes (it stays in L1).
_TILE_BYTES = 1 << 15


def _to_channels_first(dst: np.ndarray, src: np.ndarray) -> None:
    """Write ``src`` (``(n, *spatial, C)``, any strides) into ``dst`` (``(n, C, *spatial)``).

    A tile of spatial positions at a time: a plain transposed copy walks all
    positions once per channel, reading a cache line for each 4 or 8 bytes it uses.
    """
    n, c = dst.shape[:2]
    if src.flags.c_contiguous:
        src = src.reshape(n, -1, c)
        dst = dst.reshape(n, c, -1)
    step = max(1, _TILE_BYTES // max(1, math.prod(src.shape[2:]) * src.itemsize))
    channels_to_front = (0, src.ndim - 1, *range(1, src.ndim - 1))  # np.moveaxis costs more per tile
    for start in range(0, src.shape[1], step):
        np.copyto(dst[:, :, start : start + step], src[:, start : start + step].transpose(channels_to_front))


def _taps(mode: GridMode, k: int) -> int:
    per_axis = {GridMode.NEAREST: 1, GridMode.BILINEAR: 2, GridMode.BICUBIC: 4}[mode]
    return int(per_axis**k)


# About this many bytes of channels-last rows per group of items: small enough for a group's
# copies and sparse product to stay in cache, large enough to amortise the per-group overhead.
_GROUP_BYTES = 1 << 20

_GroupWork = Callable[[_SamplingMatrix, int, int, slice], None]


def _run(
    x: np.ndarray,
    grid: np.ndarray,
    mode: GridMode,
    padding: GridPadding,
    align_corners: bool,
    with_grad: bool,
    work: _GroupWork,
) -> None:
    """Call ``work(sampling, first, last, items)`` for every group of batch items.

    The batch is cut into chunks that fit the workspace and each chunk into
    one run of items per thread (NumPy's copies and SciPy's sparse products
    release the GIL). A run computes the taps of all its items at once (few
    NumPy calls), then works through its groups, each small enough for its
    copies and product to stay in cache; ``first, last`` are the group's
    items within the run, ``items`` the same within the batch.
    """
    n, c = x.shape[:2]
    dtype = _compute_dtype(x.dtype)
    axes = _axes(x.shape[2:], padding, align_corners)
    samples = math.prod(grid.shape[1:-1])
    taps_bytes = samples * _taps(mode, grid.shape[-1]) * (grid.shape[-1] + 2) * 16
    group_bytes = dtype.itemsize * (math.prod(s + 1 for s in x.shape[2:]) + 2 * samples) * c
    size = max(1, _GROUP_BYTES // group_bytes)
    # The taps of a chunk are held at once; each thread (8 at most) holds one group's copies.
    for start, stop in chunk_ranges(n, taps_bytes + group_bytes, fixed_bytes=8 * size * group_bytes):

        def run(a: int, b: int, start: int = start) -> None:
            sampling = _sampling_matrix(
                axes, grid[start + a : start + b].astype(dtype, copy=False), mode, with_grad
            )
            for first in range(0, b - a, size):
                last = min(b - a, first + size)
                work(sampling, first, last, slice(start + a + first, start + a + last))

        parallel.split_apply(stop - start, (stop - start) * (taps_bytes + group_bytes), run)


def grid_sample(
    x: np.ndarray, grid: np.ndarray, mode: GridMode, padding: GridPadding, align_corners: bool
) -> np.ndarray:
    """Sample ``x`` (``(N, C, *in)``) at ``grid`` (``(N, *out, k)``): ``(N, C, *out)`` in ``x``'s dtype."""
    c = x.shape[1]
    out_spatial = grid.shape[1:-1]
    out = np.empty((*x.shape[:2], *out_spatial), x.dtype)
    if out.size == 0:
        return out
    dtype = _compute_dtype(x.dtype)

    def work(sampling: _SamplingMatrix, first: int, last: int, items: slice) -> None:
        rows = sampling.matrix(first, last) @ _table(x[items], dtype)
        _to_channels_first(out[items], rows.reshape(last - first, *out_spatial, c))

    _run(x, grid, mode, padding, align_corners, False, work)
    return out


def grid_sample_backward(
    x: np.ndarray,
    grid: np.ndarray,
    cotangent: np.ndarray,
    mode: GridMode,
    padding: GridPadding,
    align_corners: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of :func:`grid_sample` in ``x`` and in ``grid`` for the output cotangent."""
    c, k = x.shape[1], grid.shape[-1]
    padded = tuple(s + 1 for s in x.shape[2:])
    grad_grid = np.zeros(grid.shape, grid.dtype)
    if cotangent.size == 0:
        return np.zeros(x.shape, x.dtype), grad_grid
    grad_x = np.empty(x.shape, x.dtype)  # every item is written below
    dtype = _compute_dtype(x.dtype)

    def work(sampling: _SamplingMatrix, first: int, last: int, items: slice) -> None:
        g_rows = _channels_last(cotangent[items], dtype)
        # The adjoint of the gather: a scatter-add in sample order; the zero slots collect junk.
        grad_rows = (sampling.matrix(first, last).T @ g_rows).reshape(last - first, *padded, c)
        _to_channels_first(grad_x[items], grad_rows[_interior(grad_rows)])
        if not sampling.slopes:  # nearest: piecewise constant in the grid
            return
        table = _table(x[items], dtype)
        grad = grad_grid[items].reshape(-1, k)
        rows = slice(first * sampling.samples, last * sampling.samples)
        for a, (slope, multiplier) in enumerate(zip(sampling.slopes, sampling.multipliers)):
            moved = sampling.matrix(first, last, slope) @ table  # d sample / d position along a
            grad[:, a] = multiplier[rows] * np.einsum("pc,pc->p", moved, g_rows)

    _run(x, grid, mode, padding, align_corners, True, work)
    return grad_x, grad_grid


# ---------------------------------------------------------------------------
# affine_grid
# ---------------------------------------------------------------------------


def affine_grid(theta: np.ndarray, spatial: tuple[int, ...], align_corners: bool) -> np.ndarray:
    """``(N, *spatial, k)``: each pixel centre's homogeneous coordinates times ``theta[n].T``."""
    dtype = _compute_dtype(theta.dtype)
    base = affine_base_grid(spatial, align_corners, dtype.type).reshape(-1, len(spatial) + 1)
    points: np.ndarray = np.matmul(base, theta.astype(dtype, copy=False).transpose(0, 2, 1))
    return points.reshape(theta.shape[0], *spatial, len(spatial)).astype(theta.dtype, copy=False)


def affine_grid_backward(cotangent: np.ndarray, spatial: tuple[int, ...], align_corners: bool) -> np.ndarray:
    """Gradient of :func:`affine_grid` in ``theta``: ``(N, k, k + 1)``."""
    dtype = _compute_dtype(cotangent.dtype)
    k = len(spatial)
    base = affine_base_grid(spatial, align_corners, dtype.type).reshape(-1, k + 1)
    g = cotangent.astype(dtype, copy=False).reshape(cotangent.shape[0], -1, k)
    grad: np.ndarray = np.matmul(g.transpose(0, 2, 1), base)
    return grad.astype(cotangent.dtype, copy=False)
