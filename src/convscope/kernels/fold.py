"""``unfold`` (im2col) and ``fold`` (col2im): the direct engine's gather and scatter.

With every axis unrolled, :meth:`Layout.gather` yields one row per sliding
block holding all its taps; PyTorch orders the same numbers channel-major,
``(N, C * taps, L)``.
"""

from __future__ import annotations

import numpy as np

from ..core import ConvGeometry
from .layout import Layout


def _torch_order(ndim: int) -> tuple[int, ...]:
    """``(N, *out, *K, C)`` -> ``(N, C, *K, *out)``."""
    return (0, 1 + 2 * ndim, *range(1 + ndim, 1 + 2 * ndim), *range(1, 1 + ndim))


def unfold(x: np.ndarray, geometry: ConvGeometry) -> np.ndarray:
    """Columns ``(N, C * taps, L)`` of ``x`` (``(N, C, *S)``), one group."""
    layout = Layout(geometry, unrolled=geometry.ndim)
    rows = layout.gather(layout.pack(x))  # (1, 1, N * L, taps * C)
    kernel = tuple(a.kernel for a in geometry.axes)
    outs = tuple(a.out_size for a in geometry.axes)
    blocks = rows.reshape(geometry.batch, *outs, *kernel, geometry.in_channels)
    columns = blocks.transpose(_torch_order(geometry.ndim))
    return np.ascontiguousarray(columns).reshape(geometry.batch, -1, geometry.out_positions)


def fold(cols: np.ndarray, geometry: ConvGeometry) -> np.ndarray:
    """Adjoint of :func:`unfold`: sum columns back into ``(N, C, *S)``."""
    layout = Layout(geometry, unrolled=geometry.ndim)
    kernel = tuple(a.kernel for a in geometry.axes)
    outs = tuple(a.out_size for a in geometry.axes)
    shaped = cols.reshape(geometry.batch, geometry.in_channels, *kernel, *outs)
    inverse = np.argsort(_torch_order(geometry.ndim))
    rows = shaped.transpose(inverse)  # (N, *out, *K, C)
    blocks = np.zeros(layout.block_shape(geometry.batch, geometry.in_channels), cols.dtype)
    layout.scatter(rows, blocks)
    result = np.zeros(geometry.in_shape, cols.dtype)
    layout.unpack(blocks, result)
    return result
