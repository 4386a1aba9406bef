"""The direct engine: convolution as accumulating GEMMs over shifted row views.

On a :class:`~.layout.Layout`, the outputs of a leading-axis tap read a
contiguous run of gathered rows, shifted by the tap's offset, so

    out[rows]               += cols[rows + offset] @ W[tap]           (forward)
    cols_grad[rows + offset] += out_grad[rows] @ W[tap].T             (input gradient)
    W_grad[tap]             += cols[rows + offset].T @ out_grad[rows]  (weight gradient)

run on views, accumulating in place (BLAS ``beta = 1``). The input gradient
is the transposed convolution: the same loop with the roles of input and
output swapped, then the gathered rows scattered back by tap slices
(col2im). Rows between real outputs (the padding positions of the leading
axes) are computed and discarded; ``Layout.waste`` measures that.

``unrolled`` chooses how many trailing axes are gathered: 0 is the shift
method, ``ndim`` is im2col (then memory is bounded by chunking output rows
too). Depthwise layers with nothing unrolled use broadcast multiply-adds.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from ..config import get_options
from ..core import ConvGeometry
from . import parallel
from .blas import gemm
from .layout import Layout
from .workspace import chunk_ranges

# Depthwise taps run over channel blocks of about this many bytes, so the
# accumulator stays in cache across taps.
_DEPTHWISE_BLOCK_BYTES = 1 << 19

Piece = tuple[int, int, slice]  # samples [n0, n1) and the first tail axis's outputs


def _pieces(layout: Layout, itemsize: int) -> Iterator[Piece]:
    """Chunks of work whose scratch memory fits the workspace cap."""
    g = layout.geometry
    row_bytes = itemsize * (layout.phase_count * layout.columns * g.groups + g.out_channels)
    pack_bytes = itemsize * math.prod(layout.block_lengths) * layout.phase_count * g.in_channels
    per_sample = layout.grid_rows * row_bytes + pack_bytes
    if layout.unrolled < g.ndim or per_sample <= get_options().workspace_bytes:
        for n0, n1 in chunk_ranges(g.batch, per_sample):
            yield n0, n1, slice(None)
        return
    first = layout.tail[0].out_size
    for n in range(g.batch):
        for o0, o1 in chunk_ranges(first, per_sample // first, pack_bytes):
            yield n, n + 1, slice(o0, o1)


def _rows_in(layout: Layout, batch: int, rows: slice) -> int:
    """Rows of output computed for ``batch`` samples over the output slice ``rows``."""
    if rows == slice(None):
        return layout.valid_rows(batch)
    first = layout.tail[0].out_size
    per_row = layout.grid_rows // first
    return int(batch * per_row * (rows.stop - rows.start))


def _weights(weight: np.ndarray, layout: Layout) -> np.ndarray:
    """``(O, Cg, *K)`` -> ``(lead taps, G, tail taps * Cg, Og)`` contiguous."""
    g = layout.geometry
    lead_k = [a.kernel for a in layout.lead]
    tail_k = [a.kernel for a in layout.tail]
    w = weight.reshape(g.groups, g.group_out, g.group_in, *lead_k, *tail_k)
    nl, nt = len(lead_k), len(tail_k)
    order = (*range(3, 3 + nl), 0, *range(3 + nl, 3 + nl + nt), 2, 1)
    w = np.ascontiguousarray(w.transpose(order))
    return w.reshape(math.prod(lead_k), g.groups, layout.columns, g.group_out)


def _unweights(grad: np.ndarray, layout: Layout) -> np.ndarray:
    """Inverse of :func:`_weights`: ``(lead taps, G, tail taps * Cg, Og)`` -> ``(O, Cg, *K)``."""
    g = layout.geometry
    lead_k = [a.kernel for a in layout.lead]
    tail_k = [a.kernel for a in layout.tail]
    nl, nt = len(lead_k), len(tail_k)
    w = grad.reshape(*lead_k, g.groups, *tail_k, g.group_in, g.group_out)
    order = (nl, nl + 1 + nt + 1, nl + 1 + nt, *range(nl), *range(nl + 1, nl + 1 + nt))
    return np.ascontiguousarray(w.transpose(order)).reshape(g.weight_shape)


def _grid_shape(layout: Layout, batch: int, rows: slice) -> tuple[int, ...]:
    g = layout.geometry
    grid = list(layout.grid)
    if rows != slice(None):
        grid[len(layout.lead)] = rows.stop - rows.start
    return (g.groups, batch, *grid, g.group_out)


def _outputs_view(grid: np.ndarray, layout: Layout) -> np.ndarray:
    """``(G, n, *grid, Og)`` -> the real outputs as an ``(n, O, *out)`` view."""
    g = layout.geometry
    nd = g.ndim
    crop = tuple(slice(0, a.out_size) for a in layout.lead)
    view = grid[(slice(None), slice(None), *crop)]
    view = view.transpose(1, 0, 2 + nd, *range(2, 2 + nd))
    return view.reshape(grid.shape[1], g.out_channels, *view.shape[3:])


def _embed_outputs(values: np.ndarray, layout: Layout, rows: slice) -> np.ndarray:
    """``(n, O, *out)`` placed into a zero ``(G, n * grid_rows, Og)`` grid."""
    g = layout.geometry
    n = values.shape[0]
    grid = np.zeros(_grid_shape(layout, n, rows), dtype=values.dtype)
    crop = tuple(slice(0, a.out_size) for a in layout.lead)
    values = values[:, :, rows]
    grouped = values.reshape(n, g.groups, g.group_out, *values.shape[2:])
    grid[(slice(None), slice(None), *crop)] = grouped.transpose(1, 0, *range(3, 3 + g.ndim), 2)
    return grid.reshape(g.groups, -1, g.group_out)


def forward(
    x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, geometry: ConvGeometry, unrolled: int
) -> np.ndarray:
    """Convolution (cross-correlation) of ``x`` with ``weight``, zero padding."""
    layout = Layout(geometry, unrolled)
    out = np.empty(geometry.out_shape, dtype=x.dtype)
    w = _weights(weight, layout)
    taps = layout.lead_taps()
    depthwise = geometry.group_in == 1 and unrolled == 0
    for n0, n1, rows in _pieces(layout, x.itemsize):
        n = n1 - n0
        cols = layout.gather(layout.pack(x[n0:n1]), rows)
        count = _rows_in(layout, n, rows)
        grid = np.empty(_grid_shape(layout, n, rows), dtype=x.dtype)
        acc = grid.reshape(geometry.groups, -1, geometry.group_out)
        if bias is not None:
            acc[:, :count] = bias.reshape(geometry.groups, 1, geometry.group_out)
        else:
            acc[:, :count] = 0
        if depthwise:
            _depthwise_forward(acc, cols, w, taps, count)
        else:
            for t, (phase, offset) in enumerate(taps):
                for g in range(geometry.groups):
                    gemm(acc[g, :count], cols[phase, g, offset : offset + count], w[t, g])
        target = out[n0:n1] if rows == slice(None) else out[n0:n1, :, rows]
        parallel.copy(target, _outputs_view(grid, layout))
    return out


def _depthwise_forward(
    acc: np.ndarray, cols: np.ndarray, w: np.ndarray, taps: list[tuple[int, int]], count: int
) -> None:
    groups, _, multiplier = acc.shape
    step = max(1, _DEPTHWISE_BLOCK_BYTES // max(count * multiplier * acc.itemsize, 1))

    def channels(start: int, stop: int) -> None:
        scratch = np.empty((min(step, stop - start), count, multiplier), dtype=acc.dtype)
        for g0 in range(start, stop, step):
            g1 = min(stop, g0 + step)
            target = acc[g0:g1, :count]
            tmp = scratch[: g1 - g0]
            for t, (phase, offset) in enumerate(taps):
                source = cols[phase, g0:g1, offset : offset + count]  # (g, rows, 1)
                np.multiply(source, w[t, g0:g1], out=tmp)  # w: (g, 1, m)
                target += tmp

    parallel.split_apply(groups, acc.nbytes, channels)


def input_grad(grad_out: np.ndarray, weight: np.ndarray, geometry: ConvGeometry, unrolled: int) -> np.ndarray:
    """Adjoint of :func:`forward` in ``x``: the transposed convolution of ``grad_out``."""
    layout = Layout(geometry, unrolled)
    result = np.zeros(geometry.in_shape, dtype=grad_out.dtype)
    w = _weights(weight, layout)
    taps = layout.lead_taps()
    depthwise = geometry.group_in == 1 and unrolled == 0
    current: tuple[int, int] | None = None
    blocks = np.empty(0, grad_out.dtype)
    for n0, n1, rows in _pieces(layout, grad_out.itemsize):
        n = n1 - n0
        if current != (n0, n1):  # row chunks of one sample share its blocks
            if current is not None:
                layout.unpack(blocks, result[current[0] : current[1]])
            current = (n0, n1)
            blocks = np.zeros(layout.block_shape(n, geometry.group_in), dtype=grad_out.dtype)
        g_rows = _embed_outputs(grad_out[n0:n1], layout, rows)
        count = _rows_in(layout, n, rows)
        if unrolled:
            cols_shape = (layout.phase_count, geometry.groups, g_rows.shape[1], layout.columns)
            cols = np.zeros(cols_shape, grad_out.dtype)
        else:  # nothing gathered: accumulate straight into the blocks
            cols = layout.gather(blocks)
        for t, (phase, offset) in enumerate(taps):
            if depthwise:
                # (G, rows, m) @ (G, m, 1): sum over the channel multiplier
                contribution = np.matmul(g_rows[:, :count], w[t].transpose(0, 2, 1))
                cols[phase, :, offset : offset + count] += contribution
                continue
            for g in range(geometry.groups):
                gemm(cols[phase, g, offset : offset + count], g_rows[g, :count], w[t, g], trans_b=True)
        if unrolled:
            layout.scatter(cols, blocks, rows)
    if current is not None:
        layout.unpack(blocks, result[current[0] : current[1]])
    return result


def weight_grad(x: np.ndarray, grad_out: np.ndarray, geometry: ConvGeometry, unrolled: int) -> np.ndarray:
    """Gradient of :func:`forward` in ``weight``."""
    layout = Layout(geometry, unrolled)
    taps = layout.lead_taps()
    acc = np.zeros((len(taps), geometry.groups, layout.columns, geometry.group_out), x.dtype)
    for n0, n1, rows in _pieces(layout, x.itemsize):
        cols = layout.gather(layout.pack(x[n0:n1]), rows)
        g_rows = _embed_outputs(grad_out[n0:n1], layout, rows)
        count = _rows_in(layout, n1 - n0, rows)
        for t, (phase, offset) in enumerate(taps):
            if geometry.group_in == 1 and unrolled == 0:
                source = cols[phase, :, offset : offset + count]  # (G, rows, 1)
                acc[t] += np.matmul(source.transpose(0, 2, 1), g_rows[:, :count])
                continue
            for g in range(geometry.groups):
                gemm(acc[t, g], cols[phase, g, offset : offset + count], g_rows[g, :count], trans_a=True)
    return _unweights(acc, layout)
