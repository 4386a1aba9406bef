"""The shift engine: convolution as one accumulating GEMM per kernel tap.

With the input packed into stride-phase blocks (:mod:`.layout`), the outputs
of a tap read a contiguous run of block rows, shifted by the tap's offset. So

    out[rows]           += block[rows + offset] @ W[tap]          (forward)
    block_grad[rows + offset] += out_grad[rows] @ W[tap].T        (input gradient)
    W_grad[tap]         += block[rows + offset].T @ out_grad[rows] (weight gradient)

run on views, with no gathered columns. Rows between output rows (the
padding columns of the grid) are computed and discarded; :func:`waste`
measures that overhead so the dispatcher can prefer im2col where it is large.
The input gradient is literally the transposed convolution: the same loop with
the roles of input and output swapped, scattering by tap slices.
Depthwise layers (one input channel per group) use the same loop with a
broadcast multiply-add in place of the GEMM.
"""

from __future__ import annotations

import math

import numpy as np

from ..core import ConvGeometry
from .blas import gemm
from .layout import BlockLayout, tap_offsets, valid_rows
from .workspace import chunk_ranges

# Depthwise taps run over channel blocks of about this many bytes, so the
# accumulator stays in cache across taps.
_DEPTHWISE_BLOCK_BYTES = 1 << 19


def waste(geometry: ConvGeometry) -> float:
    """Rows computed per useful output row (>= 1)."""
    layout = BlockLayout(geometry, phased=True)
    return layout.block_rows / max(geometry.out_positions, 1)


def _weight_taps(weight: np.ndarray, geometry: ConvGeometry) -> np.ndarray:
    """``(O, Cg, *K)`` -> ``(taps, G, Cg, Og)`` contiguous."""
    g, og, cg = geometry.groups, geometry.group_out, geometry.group_in
    w = weight.reshape(g, og, cg, geometry.taps)
    return np.ascontiguousarray(w.transpose(3, 0, 2, 1))


def _out_grid(geometry: ConvGeometry, layout: BlockLayout, batch: int) -> tuple[int, ...]:
    return (geometry.groups, batch, *layout.lengths, geometry.group_out)


def _crop_outputs(grid: np.ndarray, geometry: ConvGeometry) -> np.ndarray:
    """``(G, N, *Q, Og)`` grid -> its ``(N, O, *out)`` real outputs (a view)."""
    spatial = geometry.ndim
    crop = tuple(slice(0, a.out_size) for a in geometry.axes)
    view = grid[(slice(None), slice(None), *crop)]
    view = view.transpose(1, 0, 2 + spatial, *range(2, 2 + spatial))
    n = grid.shape[1]
    return view.reshape(n, geometry.out_channels, *(a.out_size for a in geometry.axes))


def _embed_outputs(grad: np.ndarray, geometry: ConvGeometry, layout: BlockLayout) -> np.ndarray:
    """Place ``(N, O, *out)`` values into a zeroed ``(G, N*prod(Q), Og)`` grid."""
    n = grad.shape[0]
    grid = np.zeros(_out_grid(geometry, layout, n), dtype=grad.dtype)
    spatial = geometry.ndim
    crop = tuple(slice(0, a.out_size) for a in geometry.axes)
    grouped = grad.reshape(n, geometry.groups, geometry.group_out, *grad.shape[2:])
    grid[(slice(None), slice(None), *crop)] = grouped.transpose(1, 0, *range(3, 3 + spatial), 2)
    return grid.reshape(geometry.groups, n * layout.block_rows, geometry.group_out)


def _depthwise_blocks(groups: int, rows: int, itemsize: int) -> list[tuple[int, int]]:
    step = max(1, _DEPTHWISE_BLOCK_BYTES // max(rows * itemsize, 1))
    return [(g, min(groups, g + step)) for g in range(0, groups, step)]


def _per_item_bytes(geometry: ConvGeometry, layout: BlockLayout, itemsize: int) -> int:
    return itemsize * layout.block_rows * (layout.phase_count * geometry.in_channels + geometry.out_channels)


def forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, geometry: ConvGeometry) -> np.ndarray:
    """Convolution (cross-correlation) of ``x`` with ``weight``, zero padding."""
    layout = BlockLayout(geometry, phased=True)
    out = np.empty(geometry.out_shape, dtype=x.dtype)
    w_taps = _weight_taps(weight, geometry)
    taps = tap_offsets(layout)
    per_item = _per_item_bytes(geometry, layout, x.itemsize)
    for n0, n1 in chunk_ranges(geometry.batch, per_item):
        sub = geometry.with_batch(n1 - n0)
        blocks = layout.pack(x[n0:n1])
        flat = blocks.reshape(layout.phase_count, sub.groups, -1, sub.group_in)
        rows = valid_rows(layout, n1 - n0)
        grid = np.empty(_out_grid(sub, layout, n1 - n0), dtype=x.dtype)
        acc = grid.reshape(sub.groups, -1, sub.group_out)
        if bias is not None:
            acc[:, :rows] = bias.reshape(sub.groups, 1, sub.group_out)
        else:
            acc[:, :rows] = 0
        if sub.group_in == 1:
            _depthwise_forward(acc, flat, w_taps, taps, rows)
        else:
            for t, (_, phase, offset) in enumerate(taps):
                for g in range(sub.groups):
                    gemm(acc[g, :rows], flat[phase, g, offset : offset + rows], w_taps[t, g])
        out[n0:n1] = _crop_outputs(grid, sub)
    return out


def _depthwise_forward(
    acc: np.ndarray,
    flat: np.ndarray,
    w_taps: np.ndarray,
    taps: list[tuple[tuple[int, ...], int, int]],
    rows: int,
) -> None:
    groups, _, multiplier = acc.shape
    scratch = np.empty((groups, rows, multiplier), dtype=acc.dtype)
    for g0, g1 in _depthwise_blocks(groups, rows * multiplier, acc.itemsize):
        target = acc[g0:g1, :rows]
        tmp = scratch[: g1 - g0]
        for t, (_, phase, offset) in enumerate(taps):
            source = flat[phase, g0:g1, offset : offset + rows]  # (g, rows, 1)
            np.multiply(source, w_taps[t, g0:g1], out=tmp)  # w: (g, 1, m)
            target += tmp


def input_grad(grad_out: np.ndarray, weight: np.ndarray, geometry: ConvGeometry) -> np.ndarray:
    """Adjoint of :func:`forward` in ``x``: the transposed convolution of ``grad_out``."""
    layout = BlockLayout(geometry, phased=True)
    result = np.zeros(geometry.in_shape, dtype=grad_out.dtype)
    w_taps = _weight_taps(weight, geometry)
    taps = tap_offsets(layout)
    per_item = _per_item_bytes(geometry, layout, grad_out.itemsize)
    for n0, n1 in chunk_ranges(geometry.batch, per_item):
        sub = geometry.with_batch(n1 - n0)
        g_flat = _embed_outputs(grad_out[n0:n1], sub, layout)
        rows = valid_rows(layout, n1 - n0)
        blocks = np.zeros(layout.shape(n1 - n0, sub.group_in), dtype=grad_out.dtype)
        flat = blocks.reshape(layout.phase_count, sub.groups, -1, sub.group_in)
        if sub.group_in == 1:
            for t, (_, phase, offset) in enumerate(taps):
                # (G, rows, m) @ (G, m, 1): sum over the channel multiplier
                contribution = np.matmul(g_flat[:, :rows], w_taps[t].transpose(0, 2, 1))
                flat[phase, :, offset : offset + rows] += contribution
        else:
            for t, (_, phase, offset) in enumerate(taps):
                for g in range(sub.groups):
                    gemm(
                        flat[phase, g, offset : offset + rows],
                        g_flat[g, :rows],
                        w_taps[t, g],
                        trans_b=True,
                    )
        layout.unpack(blocks, result[n0:n1])
    return result


def weight_grad(x: np.ndarray, grad_out: np.ndarray, geometry: ConvGeometry) -> np.ndarray:
    """Gradient of :func:`forward` in ``weight``."""
    layout = BlockLayout(geometry, phased=True)
    taps = tap_offsets(layout)
    acc = np.zeros((geometry.taps, geometry.groups, geometry.group_in, geometry.group_out), x.dtype)
    per_item = _per_item_bytes(geometry, layout, x.itemsize)
    for n0, n1 in chunk_ranges(geometry.batch, per_item):
        sub = geometry.with_batch(n1 - n0)
        flat = layout.pack(x[n0:n1]).reshape(layout.phase_count, sub.groups, -1, sub.group_in)
        g_flat = _embed_outputs(grad_out[n0:n1], sub, layout)
        rows = valid_rows(layout, n1 - n0)
        for t, (_, phase, offset) in enumerate(taps):
            if sub.group_in == 1:
                source = flat[phase, :, offset : offset + rows]  # (G, rows, 1)
                acc[t] += np.matmul(source.transpose(0, 2, 1), g_flat[:, :rows])
                continue
            for g in range(sub.groups):
                gemm(
                    acc[t, g],
                    flat[phase, g, offset : offset + rows],
                    g_flat[g, :rows],
                    trans_a=True,
                )
    g, og, cg = geometry.groups, geometry.group_out, geometry.group_in
    kernel = tuple(a.kernel for a in geometry.axes)
    grad = acc.transpose(1, 3, 2, 0).reshape(g * og, cg, *kernel)
    return np.ascontiguousarray(grad)


def macs_computed(geometry: ConvGeometry) -> int:
    """Multiply-accumulates this engine performs (the discarded rows included)."""
    layout = BlockLayout(geometry, phased=True)
    return (
        geometry.batch
        * layout.block_rows
        * math.prod((geometry.out_channels, geometry.group_in, geometry.taps))
    )
