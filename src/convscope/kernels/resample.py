"""Separable linear resampling: one small matrix per axis, and its transpose.

Every ``interpolate`` mode is, along each axis, an ``(out, in)`` matrix with
a few non-zeros per row (:class:`convscope.core.resample.Taps`). Applied
axis by axis it is one BLAS product per axis; the backward pass applies the
transposes in reverse order. Selections (nearest modes) are gathers, exact
for every dtype.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

from ..core.resample import Taps
from .parallel import split_apply

# Above this many matrix entries per input sample a dense product wastes more
# multiplications than a sparse product of the taps costs.
_DENSE_LIMIT = 512


# Interpolation matrices are banded: split into this many row blocks, each multiplies only
# the inputs its rows reach (a quarter of the work for 2x resampling, fewer BLAS calls than more).
_ROW_BLOCKS = 4


def _bands(matrix: np.ndarray) -> list[tuple[slice, slice, np.ndarray]]:
    """``(rows, columns, block)`` pieces covering the non-zeros of a banded ``matrix``."""
    out_size = matrix.shape[0]
    step = -(-out_size // _ROW_BLOCKS)
    pieces = []
    for start in range(0, out_size, step):
        rows = slice(start, min(out_size, start + step))
        used = np.nonzero(matrix[rows].any(axis=0))[0]
        columns = slice(int(used[0]), int(used[-1]) + 1) if used.size else slice(0, 0)
        pieces.append((rows, columns, np.ascontiguousarray(matrix[rows, columns])))
    return pieces


def _apply_axis(x: np.ndarray, axis: int, matrix: np.ndarray) -> np.ndarray:
    """Multiply axis ``axis`` of ``x`` by ``matrix`` (``(out, in)``), band by band."""
    planes = int(np.prod(x.shape[:axis], dtype=np.int64))
    source = x.reshape(planes, x.shape[axis], -1)
    out = np.empty((planes, matrix.shape[0], source.shape[2]), x.dtype)
    last = axis == x.ndim - 1
    flat_source = x.reshape(-1, x.shape[-1])
    flat_out = out.reshape(-1, matrix.shape[0])
    for rows, columns, block in _bands(matrix):
        if columns.stop == columns.start:
            out[:, rows] = 0
        elif last:  # one GEMM over every row of x; BLAS threads it
            flat_out[:, rows] = flat_source[:, columns] @ block.T
        else:
            out[:, rows] = np.matmul(block, source[:, columns])
    return out.reshape(*x.shape[:axis], matrix.shape[0], *x.shape[axis + 1 :])


def _sparse(taps: Taps) -> sparse.csr_matrix:
    rows = np.broadcast_to(np.arange(taps.out_size)[:, None], taps.index.shape)
    used = taps.index >= 0
    shape = (taps.out_size, taps.in_size)
    return sparse.csr_matrix((taps.weight[used], (rows[used], taps.index[used])), shape=shape)


def _apply_sparse(x: np.ndarray, axis: int, matrix: sparse.spmatrix) -> np.ndarray:
    moved = np.moveaxis(x, axis, 0)
    result = (matrix @ moved.reshape(moved.shape[0], -1)).astype(x.dtype, copy=False)
    return np.moveaxis(result.reshape(matrix.shape[0], *moved.shape[1:]), 0, axis)


def _linear_map(x: np.ndarray, axis: int, taps: Taps, transpose: bool) -> np.ndarray:
    """``x`` times the taps' matrix (or its transpose) along ``axis``: dense BLAS when small."""
    if taps.in_size * taps.out_size <= _DENSE_LIMIT * max(taps.in_size, taps.out_size):
        dense = taps.matrix().astype(x.dtype)
        return _apply_axis(x, axis, dense.T if transpose else dense)
    matrix = _sparse(taps).astype(x.dtype)
    return _apply_sparse(x, axis, matrix.T.tocsr() if transpose else matrix)


def resample(x: np.ndarray, taps: Sequence[Taps]) -> np.ndarray:
    """Apply ``taps[i]`` along trailing axis ``i`` of ``x`` (all trailing axes, in turn)."""
    first = x.ndim - len(taps)
    if all(t.is_selection() for t in taps):
        return _select(x, [t.index[:, 0] for t in taps])
    for offset, axis_taps in reversed(list(enumerate(taps))):
        axis = first + offset
        if axis_taps.is_selection():
            x = np.take(x, axis_taps.index[:, 0], axis=axis)
        else:
            x = _linear_map(x, axis, axis_taps, transpose=False)
    return x


def _select(x: np.ndarray, indices: Sequence[np.ndarray]) -> np.ndarray:
    """Gather ``indices[i]`` along trailing axis ``i`` (the nearest modes), split over threads by plane."""
    spatial = len(indices)
    lead = x.shape[: x.ndim - spatial]
    planes = x.reshape(int(np.prod(lead, dtype=np.int64)), *x.shape[x.ndim - spatial :])
    out = np.empty((planes.shape[0], *(len(i) for i in indices)), x.dtype)

    def work(a: int, b: int) -> None:
        part = planes[a:b]
        for axis in range(spatial, 1, -1):
            part = np.take(part, indices[axis - 1], axis=axis)
        np.take(part, indices[0], axis=1, out=out[a:b])

    split_apply(planes.shape[0], out.nbytes, work)
    return out.reshape(*lead, *out.shape[1:])


def resample_adjoint(g: np.ndarray, taps: Sequence[Taps]) -> np.ndarray:
    """The transpose of :func:`resample`: the gradient with respect to its input."""
    first = g.ndim - len(taps)
    for offset, axis_taps in enumerate(taps):
        axis = first + offset
        g = _linear_map(g, axis, axis_taps, transpose=True)
    return g
