"""The im2col engine: gather each window into a row, then one GEMM per group.

A strided window view of the padded, channels-last input has shape
``(G, N, *out, *kernel, Cg)``; reshaping a slice of it to
``(rows, taps * Cg)`` gathers the columns. Worth its copy when channels are
few (a 3-channel stem) or strides and dilations would make the shift engine
compute many discarded rows. The backward passes scatter the columns back by
tap slices (col2im). ``unfold`` and ``fold`` are this gather and scatter.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..config import get_options
from ..core import ConvGeometry
from .blas import gemm
from .layout import BlockLayout
from .workspace import chunk_ranges


def window_view(padded: np.ndarray, geometry: ConvGeometry, writeable: bool = False) -> np.ndarray:
    """``(G, N, *P, Cg)`` padded blocks -> ``(G, N, *out, *kernel, Cg)`` windows (a view)."""
    axes = geometry.axes
    spatial = padded.strides[2:-1]
    shape = (
        *padded.shape[:2],
        *(a.out_size for a in axes),
        *(a.kernel for a in axes),
        padded.shape[-1],
    )
    strides = (
        *padded.strides[:2],
        *(st * a.stride for st, a in zip(spatial, axes)),
        *(st * a.dilation for st, a in zip(spatial, axes)),
        padded.strides[-1],
    )
    return as_strided(padded, shape=shape, strides=strides, writeable=writeable)


Piece = tuple[int, int, int, int]  # samples [n0, n1), first-axis outputs [o0, o1)


def _pieces(geometry: ConvGeometry, row_bytes: int) -> Iterator[Piece]:
    """Chunks of output rows whose gathered columns fit the workspace."""
    outs = [a.out_size for a in geometry.axes]
    per_sample = math.prod(outs) * row_bytes
    if per_sample <= get_options().workspace_bytes:
        for n0, n1 in chunk_ranges(geometry.batch, per_sample):
            yield n0, n1, 0, outs[0]
        return
    per_line = math.prod(outs[1:]) * row_bytes
    for n in range(geometry.batch):
        for o0, o1 in chunk_ranges(outs[0], per_line):
            yield n, n + 1, o0, o1


def _grouped_weight(weight: np.ndarray, geometry: ConvGeometry) -> np.ndarray:
    """``(O, Cg, *K)`` -> ``(G, taps * Cg, Og)`` matching the column order."""
    g, og, cg = geometry.groups, geometry.group_out, geometry.group_in
    w = weight.reshape(g, og, cg, geometry.taps).transpose(0, 3, 2, 1)
    return np.ascontiguousarray(w).reshape(g, geometry.taps * cg, og)


def _grouped_outputs(values: np.ndarray, geometry: ConvGeometry) -> np.ndarray:
    """``(N, O, *out)`` -> contiguous ``(G, N, *out, Og)``."""
    n, spatial = values.shape[0], geometry.ndim
    grouped = values.reshape(n, geometry.groups, geometry.group_out, *values.shape[2:])
    return np.ascontiguousarray(grouped.transpose(1, 0, *range(3, 3 + spatial), 2))


def _ungroup_outputs(grid: np.ndarray, geometry: ConvGeometry) -> np.ndarray:
    """``(G, N, *out, Og)`` -> ``(N, O, *out)`` view."""
    spatial = geometry.ndim
    view = grid.transpose(1, 0, 2 + spatial, *range(2, 2 + spatial))
    return view.reshape(grid.shape[1], geometry.out_channels, *grid.shape[2 : 2 + spatial])


def _rows(array: np.ndarray, g: int, piece: Piece) -> np.ndarray:
    n0, n1, o0, o1 = piece
    return array[g, n0:n1, o0:o1].reshape(-1, array.shape[-1])


def forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, geometry: ConvGeometry) -> np.ndarray:
    """Convolution of ``x`` with ``weight`` (zero padding) by gathered columns."""
    layout = BlockLayout(geometry, phased=False)
    windows = window_view(layout.pack(x)[0], geometry)
    w = _grouped_weight(weight, geometry)
    grid_shape = (geometry.groups, geometry.batch, *geometry.out_shape[2:], geometry.group_out)
    grid = np.empty(grid_shape, x.dtype)
    if bias is not None:
        grid[...] = bias.reshape(geometry.groups, *([1] * (geometry.ndim + 1)), geometry.group_out)
    row_bytes = geometry.taps * geometry.group_in * x.itemsize
    for piece in _pieces(geometry, row_bytes):
        for g in range(geometry.groups):
            n0, n1, o0, o1 = piece
            cols = windows[g, n0:n1, o0:o1].reshape(-1, w.shape[1])
            gemm(_rows(grid, g, piece), cols, w[g], accumulate=bias is not None)
    return np.ascontiguousarray(_ungroup_outputs(grid, geometry))


def scatter_windows(
    target: np.ndarray, cols: np.ndarray, geometry: ConvGeometry, g: int, piece: Piece
) -> None:
    """Add ``cols`` (``(rows, taps * Cg)``) back onto the windows they came from (col2im)."""
    n0, n1, o0, o1 = piece
    windows = window_view(target, geometry, writeable=True)[g, n0:n1, o0:o1]
    cols = cols.reshape(windows.shape)
    # Within one tap the windows never overlap, so each slice add is safe.
    for tap in itertools.product(*(range(a.kernel) for a in geometry.axes)):
        index: tuple[Any, ...] = (Ellipsis, *tap, slice(None))
        view = windows[index]
        np.add(view, cols[index], out=view)


def input_grad(grad_out: np.ndarray, weight: np.ndarray, geometry: ConvGeometry) -> np.ndarray:
    """Adjoint of :func:`forward` in ``x`` (col2im): the transposed convolution."""
    layout = BlockLayout(geometry, phased=False)
    padded = np.zeros(layout.shape(geometry.batch, geometry.group_in), grad_out.dtype)
    w = _grouped_weight(weight, geometry)
    grads = _grouped_outputs(grad_out, geometry)
    row_bytes = geometry.taps * geometry.group_in * grad_out.itemsize
    for piece in _pieces(geometry, row_bytes):
        for g in range(geometry.groups):
            rows = _rows(grads, g, piece)
            cols = np.empty((rows.shape[0], w.shape[1]), grad_out.dtype)
            gemm(cols, rows, w[g], trans_b=True, accumulate=False)
            scatter_windows(padded[0], cols, geometry, g, piece)
    result = np.zeros(geometry.in_shape, grad_out.dtype)
    layout.unpack(padded, result)
    return result


def weight_grad(x: np.ndarray, grad_out: np.ndarray, geometry: ConvGeometry) -> np.ndarray:
    """Gradient of :func:`forward` in ``weight``."""
    layout = BlockLayout(geometry, phased=False)
    windows = window_view(layout.pack(x)[0], geometry)
    grads = _grouped_outputs(grad_out, geometry)
    cg, og = geometry.group_in, geometry.group_out
    acc = np.zeros((geometry.groups, geometry.taps * cg, og), x.dtype)
    for piece in _pieces(geometry, geometry.taps * cg * x.itemsize):
        for g in range(geometry.groups):
            n0, n1, o0, o1 = piece
            cols = windows[g, n0:n1, o0:o1].reshape(-1, acc.shape[1])
            gemm(acc[g], cols, _rows(grads, g, piece), trans_a=True)
    kernel = tuple(a.kernel for a in geometry.axes)
    grad = acc.reshape(geometry.groups, geometry.taps, cg, og).transpose(0, 3, 2, 1)
    return np.ascontiguousarray(grad.reshape(geometry.out_channels, cg, *kernel))


def unfold(x: np.ndarray, geometry: ConvGeometry) -> np.ndarray:
    """Columns ``(N, C * taps, L)`` in PyTorch's order (channel-major), one group."""
    layout = BlockLayout(geometry, phased=False)
    windows = window_view(layout.pack(x)[0], geometry)[0]  # (N, *out, *K, C)
    spatial = geometry.ndim
    order = (0, 1 + 2 * spatial, *range(1 + spatial, 1 + 2 * spatial), *range(1, 1 + spatial))
    cols = windows.transpose(order)
    columns: np.ndarray = cols.reshape(geometry.batch, geometry.in_channels * geometry.taps, -1)
    return columns.copy()


def fold(cols: np.ndarray, geometry: ConvGeometry) -> np.ndarray:
    """Adjoint of :func:`unfold`: sum columns back into ``(N, C, *S)``."""
    layout = BlockLayout(geometry, phased=False)
    padded = np.zeros(layout.shape(geometry.batch, geometry.in_channels), cols.dtype)
    spatial = geometry.ndim
    kernel = tuple(a.kernel for a in geometry.axes)
    outs = tuple(a.out_size for a in geometry.axes)
    shaped = cols.reshape(geometry.batch, geometry.in_channels, *kernel, *outs)
    order = (0, *range(2 + spatial, 2 + 2 * spatial), *range(2, 2 + spatial), 1)
    columns = shaped.transpose(order)  # (N, *out, *K, C)
    full: Piece = (0, geometry.batch, 0, outs[0])
    scatter_windows(padded[0], columns, geometry, 0, full)
    result = np.zeros(geometry.in_shape, cols.dtype)
    layout.unpack(padded, result)
    return result
