"""``grid_sample`` and ``affine_grid`` numerics: sampling as a sparse matrix.

Every output sample of ``grid_sample`` is a weighted sum of a few input
pixels (1 for nearest, 2**k for k-linear, 16 for bicubic), the same for
every channel. Per batch chunk the kernel writes those taps as a sparse
matrix ``S`` with one row per output sample and one column per input pixel
(plus a column of zeros that out-of-range taps read) and multiplies it with
a channels-last copy of the input, so each tap moves a contiguous row of C
values:

- forward: ``out = S @ table``;
- input gradient: ``S.T @ cotangent`` (a scatter-add, in sample order);
- grid gradient along axis ``a``: ``S_a @ table``, where ``S_a`` holds the
  derivatives of the weights in the position along ``a``, dotted with the
  cotangent over channels and scaled by d position / d grid value.

Where each tap reads is :class:`convscope.core.grid.GridAxis`'s business;
this module owns the interpolation weights. float16 is computed in float32.
"""

from __future__ import annotations

import itertools
import math
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

    index: tuple[np.ndarray, ...]  # pixel read by each tap (0 where it reads nothing)
    valid: tuple[np.ndarray, ...]  # whether that pixel exists
    weight: tuple[np.ndarray, ...]
    slope: tuple[np.ndarray, ...]  # d weight / d position
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


def _axis_taps(axis: GridAxis, g: np.ndarray, mode: GridMode, with_grad: bool) -> _AxisTaps:
    one = g.dtype.type(1)
    if mode is GridMode.NEAREST:
        nearest = np.rint(axis.source(g))  # round half to even, as std::nearbyint
        ok = axis.inside(nearest)
        index = np.where(ok, nearest, 0).astype(np.intp)
        return _AxisTaps((index,), (ok,), (np.ones_like(g),), (np.zeros_like(g),), None)

    if mode is GridMode.BILINEAR:
        if with_grad:
            position, multiplier = axis.source_with_slope(g)
        else:
            position, multiplier = axis.source(g), None
        low = np.floor(position)
        frac = position - low
        # Each torch kernel rounds the weight of the lower pixel its own way.
        low_weight = one - frac if axis.vectorized else (low + one) - position
        taps = (low, low + one)
        valid = tuple(axis.inside(t) for t in taps)
        index = tuple(np.where(ok, t, 0).astype(np.intp) for t, ok in zip(taps, valid))
        slopes = (np.full_like(g, -one), np.full_like(g, one))
        return _AxisTaps(index, valid, (low_weight, frac), slopes, multiplier)

    # Bicubic: the four taps around the unpadded position, each padded on its own.
    position = axis.unnormalize(g)
    low = np.floor(position)
    t = position - low
    index_valid = [axis.tap(low + offset) for offset in (-one, g.dtype.type(0), one, one + one)]
    w0, s0 = _cubic_far(t + one)
    w1, s1 = _cubic_near(t)
    w2, s2 = _cubic_near(one - t)
    w3, s3 = _cubic_far(one + one - t)
    multiplier = np.full_like(g, g.dtype.type(axis.scale)) if with_grad else None
    return _AxisTaps(
        tuple(i for i, _ in index_valid),
        tuple(ok for _, ok in index_valid),
        (w0, w1, w2, w3),
        (s0, s1, -s2, -s3),  # the last two taps' distances shrink as t grows
        multiplier,
    )


@dataclass(frozen=True)
class _SamplingMatrix:
    """Sparse rows of one batch chunk: ``columns``/``weights`` are ``(samples, taps)``."""

    columns: np.ndarray
    weights: np.ndarray
    slopes: tuple[np.ndarray, ...]  # per grid component, d weight / d position, same layout
    multipliers: tuple[np.ndarray, ...]  # per grid component, d position / d grid value
    n_columns: int

    def matrix(self, data: np.ndarray | None = None) -> scipy.sparse.csr_array:
        rows, taps = self.columns.shape
        indptr = np.arange(0, rows * taps + 1, taps, dtype=self.columns.dtype)
        values = self.weights if data is None else data
        return scipy.sparse.csr_array(
            (values.ravel(), self.columns.ravel(), indptr), shape=(rows, self.n_columns)
        )


def _sampling_matrix(
    axes: tuple[GridAxis, ...], grid: np.ndarray, mode: GridMode, with_grad: bool
) -> _SamplingMatrix:
    """The taps of the chunk ``grid`` (``(n, *out, k)``) as sparse rows over ``n * prod(in)`` pixels.

    ``axes[a]`` is the axis grid component ``a`` addresses: component 0 (x)
    is the last spatial axis.
    """
    n, k = grid.shape[0], grid.shape[-1]
    samples = math.prod(grid.shape[1:-1])
    pixels = math.prod(ax.size for ax in axes)
    strides = [math.prod(ax.size for ax in axes[:a]) for a in range(k)]  # x is the fastest axis
    per_axis = [_axis_taps(axes[a], np.ascontiguousarray(grid[..., a]).ravel(), mode, with_grad) for a in range(k)]

    n_columns = n * pixels + 1  # the last column is the zero pixel of out-of-range taps
    index_dtype = np.int32 if n_columns < 2**31 else np.int64
    batch_start = np.repeat(np.arange(n, dtype=np.intp) * pixels, samples)
    combos = list(itertools.product(*(range(len(t.index)) for t in per_axis)))
    columns = np.empty((n * samples, len(combos)), index_dtype)
    weights = np.empty((n * samples, len(combos)), grid.dtype)
    grad = with_grad and mode is not GridMode.NEAREST
    slopes = tuple(np.empty_like(weights) for _ in range(k)) if grad else ()
    for j, combo in enumerate(combos):
        flat = batch_start.copy()
        ok = np.ones(n * samples, bool)
        for a, t in enumerate(combo):
            flat += per_axis[a].index[t] * strides[a]
            ok &= per_axis[a].valid[t]
        columns[:, j] = np.where(ok, flat, n_columns - 1)
        weights[:, j] = math.prod(per_axis[a].weight[t] for a, t in enumerate(combo))
        for a in range(len(slopes)):
            slope = per_axis[a].slope[combo[a]]
            for b, t in enumerate(combo):
                if b != a:
                    slope = slope * per_axis[b].weight[t]
            slopes[a][:, j] = slope
    multipliers = tuple(t.multiplier for t in per_axis if t.multiplier is not None) if grad else ()
    return _SamplingMatrix(columns, weights, slopes, multipliers, n_columns)


def _axes(
    spatial: tuple[int, ...], padding: GridPadding, align_corners: bool
) -> tuple[GridAxis, ...]:
    """One :class:`GridAxis` per grid component (x first), rounding as the torch kernel of this rank."""
    vectorized = len(spatial) == 2
    return tuple(GridAxis(size, align_corners, padding, vectorized) for size in reversed(spatial))


def _table(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Channels-last rows ``(n * pixels + 1, C)`` of ``x`` (``(n, C, *spatial)``), last row zero."""
    n, c = x.shape[:2]
    pixels = math.prod(x.shape[2:])
    table = np.empty((n * pixels + 1, c), dtype)
    parallel.copy(table[:-1].reshape(n, pixels, c), x.reshape(n, c, pixels).transpose(0, 2, 1))
    table[-1] = 0
    return table


def _chunk_bytes(x: np.ndarray, grid: np.ndarray, taps: int, dtype: np.dtype) -> int:
    """Scratch bytes per batch item: the table, the channels-last rows, the sparse rows."""
    channels = x.shape[1]
    pixels = math.prod(x.shape[2:])
    samples = math.prod(grid.shape[1:-1])
    k = grid.shape[-1]
    return dtype.itemsize * (pixels + 2 * samples) * channels + samples * taps * (k + 2) * 16


def _taps(mode: GridMode, k: int) -> int:
    return {GridMode.NEAREST: 1, GridMode.BILINEAR: 2**k, GridMode.BICUBIC: 4**k}[mode]


def grid_sample(
    x: np.ndarray, grid: np.ndarray, mode: GridMode, padding: GridPadding, align_corners: bool
) -> np.ndarray:
    """Sample ``x`` (``(N, C, *in)``) at ``grid`` (``(N, *out, k)``): ``(N, C, *out)`` in ``x``'s dtype."""
    n, c = x.shape[:2]
    out_spatial = grid.shape[1:-1]
    out = np.empty((n, c, *out_spatial), x.dtype)
    if out.size == 0:
        return out
    dtype = _compute_dtype(x.dtype)
    axes = _axes(x.shape[2:], padding, align_corners)
    samples = math.prod(out_spatial)
    per_item = _chunk_bytes(x, grid, _taps(mode, grid.shape[-1]), dtype)
    for start, stop in chunk_ranges(n, per_item):
        sampling = _sampling_matrix(axes, grid[start:stop].astype(dtype, copy=False), mode, False)
        rows = sampling.matrix() @ _table(x[start:stop], dtype)
        dst = out[start:stop].reshape(stop - start, c, samples)
        parallel.copy(dst, rows.reshape(stop - start, samples, c).transpose(0, 2, 1))
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
    n, c = x.shape[:2]
    k = grid.shape[-1]
    grad_x = np.zeros(x.shape, x.dtype)
    grad_grid = np.zeros(grid.shape, grid.dtype)
    if cotangent.size == 0:
        return grad_x, grad_grid
    dtype = _compute_dtype(x.dtype)
    axes = _axes(x.shape[2:], padding, align_corners)
    pixels = math.prod(x.shape[2:])
    samples = math.prod(grid.shape[1:-1])
    per_item = _chunk_bytes(x, grid, _taps(mode, k), dtype) + dtype.itemsize * pixels * c
    for start, stop in chunk_ranges(n, per_item):
        m = stop - start
        sampling = _sampling_matrix(axes, grid[start:stop].astype(dtype, copy=False), mode, True)
        g_rows = np.empty((m * samples, c), dtype)
        parallel.copy(
            g_rows.reshape(m, samples, c), cotangent[start:stop].reshape(m, c, samples).transpose(0, 2, 1)
        )
        matrix = sampling.matrix()
        grad_rows = matrix.T @ g_rows  # the adjoint of the gather: a scatter-add in sample order
        parallel.copy(
            grad_x[start:stop].reshape(m, c, pixels), grad_rows[:-1].reshape(m, pixels, c).transpose(0, 2, 1)
        )
        if not sampling.slopes:  # nearest: piecewise constant in the grid
            continue
        table = _table(x[start:stop], dtype)
        chunk = grad_grid[start:stop].reshape(m * samples, k)
        for a, (slope, multiplier) in enumerate(zip(sampling.slopes, sampling.multipliers)):
            moved = sampling.matrix(slope) @ table  # d sample / d position along a, per channel
            chunk[:, a] = multiplier * np.einsum("pc,pc->p", moved, g_rows)
    return grad_x, grad_grid


# ---------------------------------------------------------------------------
# affine_grid
# ---------------------------------------------------------------------------


def affine_grid(theta: np.ndarray, spatial: tuple[int, ...], align_corners: bool) -> np.ndarray:
    """``(N, *spatial, k)``: each pixel centre's homogeneous coordinates times ``theta[n].T``."""
    dtype = _compute_dtype(theta.dtype)
    base = affine_base_grid(spatial, align_corners, dtype.type).reshape(-1, len(spatial) + 1)
    points = np.matmul(base, theta.astype(dtype, copy=False).transpose(0, 2, 1))
    return points.reshape(theta.shape[0], *spatial, len(spatial)).astype(theta.dtype, copy=False)


def affine_grid_backward(cotangent: np.ndarray, spatial: tuple[int, ...], align_corners: bool) -> np.ndarray:
    """Gradient of :func:`affine_grid` in ``theta``: ``(N, k, k + 1)``."""
    dtype = _compute_dtype(cotangent.dtype)
    k = len(spatial)
    base = affine_base_grid(spatial, align_corners, dtype.type).reshape(-1, k + 1)
    g = cotangent.astype(dtype, copy=False).reshape(cotangent.shape[0], -1, k)
    return np.matmul(g.transpose(0, 2, 1), base).astype(cotangent.dtype, copy=False)
