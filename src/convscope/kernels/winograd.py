"""Winograd minimal filtering F(4, 3): 3-tap, unit-stride convolutions with 4x fewer multiplies per axis pair.

Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (2016):
each tile of ``m + r - 1 = 6`` inputs per axis gives ``m = 4`` outputs as
``A^T [(G g) * (B^T d)]``. Applied one axis at a time, the same three small
matrices serve 1-d, 2-d and 3-d: the element-wise product becomes one GEMM
per tile position (``6^ndim`` of them), each over all tiles and channels.
Per output, a 3x3 layer does ``36 / 16`` multiplies per channel pair instead
of 9.

Used for kernel 3 along every axis, stride 1; dilation ``d`` is handled by
splitting the output into its ``d^ndim`` interleaved sub-grids
(space-to-batch), each an undilated convolution.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..core import ConvGeometry
from . import parallel
from .workspace import chunk_ranges

TILE = 4  # outputs per tile and axis
TAPS = 3
ALPHA = TILE + TAPS - 1

# Interpolation points 0, 1, -1, 2, -2 and infinity (Lavin & Gray, section 4).
_BT = np.array(
    [
        [4, 0, -5, 0, 1, 0],
        [0, -4, -4, 1, 1, 0],
        [0, 4, -4, -1, 1, 0],
        [0, -2, -1, 2, 1, 0],
        [0, 2, -1, -2, 1, 0],
        [0, 4, 0, -5, 0, 1],
    ],
    dtype=np.float64,
)
_G = np.array(
    [
        [1 / 4, 0, 0],
        [-1 / 6, -1 / 6, -1 / 6],
        [-1 / 6, 1 / 6, -1 / 6],
        [1 / 24, 1 / 12, 1 / 6],
        [1 / 24, -1 / 12, 1 / 6],
        [0, 0, 1],
    ]
)
_AT = np.array(
    [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]],
    dtype=np.float64,
)


def applies(geometry: ConvGeometry) -> bool:
    """Kernel 3 and stride 1 on every axis, padding within the kernel's reach."""
    return all(
        a.kernel == TAPS and a.stride == 1 and a.input_dilation == 1 and min(a.pad) >= 0
        for a in geometry.axes
    )


def _kron(matrix: np.ndarray, nd: int, dtype: np.dtype[Any]) -> np.ndarray:
    """The per-axis transform of an ``nd``-d tile as one matrix (row-major tile order)."""
    result = np.ones((1, 1))
    for _ in range(nd):
        result = np.kron(result, matrix)
    return result.astype(dtype)


def _weights(weight: np.ndarray, geometry: ConvGeometry) -> np.ndarray:
    """``(O, Cg, 3, ...)`` -> ``(6^nd, G, Cg, Og)`` transformed filters."""
    nd = geometry.ndim
    taps = weight.reshape(geometry.out_channels * geometry.group_in, TAPS**nd)
    u = taps.astype(np.float64) @ _kron(_G, nd, np.dtype(np.float64)).T  # (O * Cg, 6^nd)
    u = u.reshape(geometry.groups, geometry.group_out, geometry.group_in, ALPHA**nd)
    return np.ascontiguousarray(u.transpose(3, 0, 2, 1)).astype(weight.dtype)


def _undilated_forward(
    x: np.ndarray, u: np.ndarray, geometry: ConvGeometry, outs: tuple[int, ...]
) -> np.ndarray:
    """``x`` padded, channels-last ``(n, *P, C)``; returns ``(n, O, *outs)``."""
    nd = geometry.ndim
    n, c = x.shape[0], x.shape[-1]
    tiles = tuple(-(-o // TILE) for o in outs)
    need = tuple(t * TILE + TAPS - 1 for t in tiles)
    if tuple(x.shape[1:-1]) != need:  # whole tiles: extend with zeros (or drop unread cells)
        grown = np.zeros((n, *need, c), x.dtype)
        region = tuple(slice(0, min(a, b)) for a, b in zip(x.shape[1:-1], need))
        grown[(slice(None), *region)] = x[(slice(None), *region)]
        x = grown
    st = x.strides
    view = as_strided(  # (*6, n, *T, C): overlapping tiles, tile position first
        x,
        shape=(*(ALPHA,) * nd, n, *tiles, c),
        strides=(*st[1:-1], st[0], *(s * TILE for s in st[1:-1]), st[-1]),
    )
    rows = n * math.prod(tiles)
    d = parallel.contiguous(view).reshape(ALPHA**nd, rows * c)
    v = (_kron(_BT, nd, x.dtype) @ d).reshape(ALPHA**nd, rows, c)
    groups, cg, og = geometry.groups, geometry.group_in, geometry.group_out
    m = np.empty((ALPHA**nd, rows, groups * og), x.dtype)
    for g in range(groups):
        np.matmul(v[:, :, g * cg : (g + 1) * cg], u[:, g], out=m[:, :, g * og : (g + 1) * og])
    y = _kron(_AT, nd, x.dtype) @ m.reshape(ALPHA**nd, -1)  # (4^nd, rows * O)
    y = y.reshape(*(TILE,) * nd, n, *tiles, groups * og)
    # (*4, n, *T, O) -> (n, O, T1, 4, T2, 4, ...): each output axis is tile-major
    order = (nd, 2 * nd + 1, *(a for i in range(nd) for a in (nd + 1 + i, i)))
    y = y.transpose(order).reshape(n, groups * og, *(t * TILE for t in tiles))
    return y[(slice(None), slice(None), *(slice(0, o) for o in outs))]


def forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, geometry: ConvGeometry) -> np.ndarray:
    """Convolution of ``x`` with 3-tap ``weight``, unit stride, any dilation, zero padding."""
    nd = geometry.ndim
    u = _weights(weight, geometry)
    out = np.empty(geometry.out_shape, x.dtype)
    dil = tuple(a.dilation for a in geometry.axes)
    padded_sizes = tuple(a.padded_size for a in geometry.axes)
    per_item = 6 * x.itemsize * math.prod(padded_sizes) * (geometry.in_channels + geometry.out_channels)
    for n0, n1 in chunk_ranges(geometry.batch, per_item):
        n = n1 - n0
        padded = np.zeros((n, *padded_sizes, geometry.in_channels), x.dtype)
        inner = tuple(slice(a.pad[0], a.pad[0] + a.size) for a in geometry.axes)
        parallel.copy(padded[(slice(None), *inner)], np.moveaxis(x[n0:n1], 1, -1))
        # Output o = d*j + r reads padded d*(j + k) + r: sub-grid r is undilated.
        for residue in np.ndindex(*dil):
            sub = padded[(slice(None), *(slice(r, None, d) for r, d in zip(residue, dil)))]
            outs = tuple(len(range(r, a.out_size, d)) for r, d, a in zip(residue, dil, geometry.axes))
            if 0 in outs:
                continue
            y = _undilated_forward(np.ascontiguousarray(sub), u, geometry, outs)
            target = out[(slice(n0, n1), slice(None), *(slice(r, None, d) for r, d in zip(residue, dil)))]
            parallel.copy(target, y)
    if bias is not None:
        out += bias.reshape(-1, *([1] * nd))
    return out


def adjoint_geometry(geometry: ConvGeometry) -> ConvGeometry:
    """The convolution that computes this one's input gradient (unit stride only)."""
    axes = tuple(a.direct_view() for a in geometry.axes)
    return ConvGeometry(geometry.batch, geometry.out_channels, geometry.in_channels, geometry.groups, axes)


def applies_to_input_grad(geometry: ConvGeometry) -> bool:
    return applies(geometry) and applies(adjoint_geometry(geometry))


def input_grad(grad_out: np.ndarray, weight: np.ndarray, geometry: ConvGeometry) -> np.ndarray:
    """Adjoint of :func:`forward` in ``x``: convolution with the flipped, transposed kernel."""
    g, og, cg = geometry.groups, geometry.group_out, geometry.group_in
    nd = geometry.ndim
    per_group = weight.reshape(g, og, cg, *weight.shape[2:]).swapaxes(1, 2)
    reverse: tuple[Any, ...] = (Ellipsis, *(slice(None, None, -1),) * nd)
    flipped = per_group[reverse]
    adjoint = np.ascontiguousarray(flipped).reshape(g * cg, og, *weight.shape[2:])
    return forward(grad_out, adjoint, None, adjoint_geometry(geometry))
