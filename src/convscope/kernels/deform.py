"""Deformable convolution numerics: a bilinear gather feeding the grouped GEMM of im2col.

Deformable convolution (Dai et al., "Deformable Convolutional Networks",
arXiv 1703.06211) reads each kernel tap at its regular position plus a
learned fractional offset; the modulated version (Zhu et al., "Deformable
ConvNets v2", arXiv 1811.11168) also scales each sample by a mask. Once the
samples are gathered into columns, what remains is the GEMM of im2col.

Every sample is a weighted sum of four pixels, the same for each channel of
its offset group. As in :mod:`.grid_sample`, a run of batch items writes those
taps as a sparse matrix ``S``, one row per (item, output position, tap,
offset group) and one column per pixel of a channels-last *table* of the
input, so that each tap moves a contiguous row of channels:

- columns: ``S @ table``, ``(rows, C / offset_groups)``, which *is* the
  channels-last column matrix ``(items * positions, taps * C)``, channels in
  the order of the weight's ``(tap, channel)`` flattening;
- input gradient: ``S.T @ column_gradient`` (a scatter-add);
- offset gradient along y (x): the rows of ``S_y @ table`` (``S_x``), which
  hold the derivatives of the weights in the position, dotted with the
  column gradient over channels;
- mask gradient: the rows of the unmodulated columns dotted with the column
  gradient.

A neighbour outside the image reads one row of zeros at the end of the
table. That is torchvision's rule (each neighbour outside contributes 0);
its extra test, ``y <= -1 or y >= H or ... -> 0``, changes no finite value
(every neighbour is outside there, or has weight 0 at ``y = -1`` exactly),
and its offset gradient skips that test, so the derivative of this formula
is torchvision's gradient everywhere, one-sided (from above) at integer
positions as ``floor`` makes it. float16 is computed in float32.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import scipy.sparse

from ..core import ConvGeometry
from . import parallel
from .blas import gemm
from .workspace import chunk_ranges

# torchvision's neighbour order v1..v4: (row step, column step) from the floor of the position.
_CORNERS = ((0, 0), (0, 1), (1, 0), (1, 1))


def _compute_dtype(dtype: np.dtype[Any]) -> np.dtype[Any]:
    return np.dtype(np.float32) if dtype == np.float16 else dtype


@dataclass(frozen=True)
class DeformShape:
    """The integers a deformable convolution needs beside its convolution geometry."""

    geometry: ConvGeometry
    offset_groups: int

    @property
    def positions(self) -> int:
        return self.geometry.out_positions

    @property
    def pixels(self) -> int:
        return self.geometry.axes[0].size * self.geometry.axes[1].size

    @property
    def group_channels(self) -> int:
        """Input channels per offset group (the width of a sampled row)."""
        return self.geometry.in_channels // self.offset_groups

    @property
    def rows_per_item(self) -> int:
        """Sampled rows of one batch item: positions x taps x offset groups."""
        return self.positions * self.geometry.taps * self.offset_groups


@dataclass(frozen=True)
class _Sampling:
    """The bilinear taps of a run of batch items, rows in (item, position, tap, offset group) order."""

    columns: np.ndarray  # (rows, 4): table row of each neighbour; the last table row for none
    weights: np.ndarray  # (rows, 4): bilinear weights, without the mask
    mask: np.ndarray | None  # (rows,)
    slopes: tuple[np.ndarray, ...]  # d weights / dy and d weights / dx, (rows, 4) each; () for none
    table_rows: int

    def matrix(self, data: np.ndarray) -> scipy.sparse.csr_array:
        rows = self.columns.shape[0]
        indptr = np.arange(0, 4 * rows + 1, 4, dtype=self.columns.dtype)
        return scipy.sparse.csr_array(
            (data.ravel(), self.columns.ravel(), indptr), shape=(rows, self.table_rows)
        )


def _row_order(a: np.ndarray, shape: DeformShape, per_tap: int) -> np.ndarray:
    """``(n, G * kh * kw * per_tap, oh, ow)`` (torchvision's layout) -> ``(n, oh, ow, kh, kw, G, per_tap)``.

    The row order of the sampling matrix: a view, nothing is copied.
    """
    ay, ax = shape.geometry.axes
    n = a.shape[0]
    split = a.reshape(n, shape.offset_groups, ay.kernel, ax.kernel, per_tap, ay.out_size, ax.out_size)
    return split.transpose(0, 5, 6, 2, 3, 1, 4)


def _sampling(shape: DeformShape, offset: np.ndarray, mask: np.ndarray | None, with_grad: bool) -> _Sampling:
    """The taps of the items of ``offset`` (and ``mask``), both already in the compute dtype."""
    ay, ax = shape.geometry.axes
    n, groups, pixels = offset.shape[0], shape.offset_groups, shape.pixels
    dtype = offset.dtype
    table_rows = n * groups * pixels + 1
    index_dtype = np.int32 if table_rows < 2**31 and 4 * n * shape.rows_per_item < 2**31 else np.int64
    # Where each (output, tap) reads on each axis, offsets aside: (out, kernel) per axis.
    rows_y = ay.input_index(np.arange(ay.out_size)[:, None], np.arange(ay.kernel)[None, :])  # type: ignore[arg-type]
    cols_x = ax.input_index(np.arange(ax.out_size)[:, None], np.arange(ax.kernel)[None, :])  # type: ignore[arg-type]
    moved = _row_order(offset, shape, 2)
    # Integer part first, then the offset: torchvision's order of additions.
    y = np.asarray(rows_y, dtype)[None, :, None, :, None, None] + moved[..., 0]
    x = np.asarray(cols_x, dtype)[None, None, :, None, :, None] + moved[..., 1]
    y_low, x_low = np.floor(y), np.floor(x)
    # A floor past -2 or past the size leaves both neighbours outside whatever it is, so clipping it keeps
    # far (or non-finite) positions in integer range; NaN still casts to some index, itself outside.
    with np.errstate(invalid="ignore"):
        ly, lx = y - y_low, x - x_low  # NaN at infinite positions: see `reached`
        y_int = np.clip(y_low, -2, ay.size).astype(np.int64)
        x_int = np.clip(x_low, -2, ax.size).astype(np.int64)
    hy, hx = 1 - ly, 1 - lx
    # Table row of pixel (r, c) of (item, group): the item's groups are consecutive blocks.
    block = (np.arange(n)[:, None] * groups + np.arange(groups)[None, :]) * pixels
    block = block[:, None, None, None, None, :]
    height, width = ay.size, ax.size

    def neighbour(dy: int, dx: int) -> np.ndarray:
        r, c = y_int + dy, x_int + dx
        inside = (r >= 0) & (r < height) & (c >= 0) & (c < width)
        index: np.ndarray = np.where(inside, block + r * width + c, table_rows - 1)
        return index

    rows = n * shape.rows_per_item
    columns = np.stack([neighbour(dy, dx) for dy, dx in _CORNERS], axis=-1).astype(index_dtype)
    weights = np.stack([hy * hx, hy * lx, ly * hx, ly * lx], axis=-1)
    # torchvision's early exit: a position at or past -1 or the size samples 0. For finite positions
    # every neighbour is outside there (or weighs 0), so it only matters for infinite ones, whose
    # weights are NaN (a NaN position passes the test, as in torchvision, and gives NaN). Its offset
    # gradient has no such exit, so the slopes keep theirs, but are 0 rather than NaN at infinity.
    exits = (y <= -1) | (y >= ay.size) | (x <= -1) | (x >= ax.size)
    weights = np.where(exits[..., None], dtype.type(0), weights)
    slopes: tuple[np.ndarray, ...] = ()
    if with_grad:
        infinite = (np.isinf(y) | np.isinf(x))[..., None]
        slope_y = np.where(infinite, dtype.type(0), np.stack([-hx, -lx, hx, lx], axis=-1))
        slope_x = np.where(infinite, dtype.type(0), np.stack([-hy, hy, -ly, ly], axis=-1))
        slopes = (slope_y.reshape(rows, 4), slope_x.reshape(rows, 4))
    flat_mask = None if mask is None else np.ascontiguousarray(_row_order(mask, shape, 1)).reshape(rows)
    return _Sampling(columns.reshape(rows, 4), weights.reshape(rows, 4), flat_mask, slopes, table_rows)


def _sampling_of(
    shape: DeformShape, offset: np.ndarray, mask: np.ndarray | None, items: slice, with_grad: bool
) -> _Sampling:
    return _sampling(shape, offset[items], None if mask is None else mask[items], with_grad)


def _table(x: np.ndarray, shape: DeformShape, dtype: np.dtype[Any]) -> np.ndarray:
    """Rows ``(item, offset group, pixel)`` of channels, plus one row of zeros at the end."""
    n, groups = x.shape[0], shape.offset_groups
    table = np.empty((n * groups * shape.pixels + 1, shape.group_channels), dtype)
    grouped = x.reshape(n, groups, shape.group_channels, shape.pixels)
    np.copyto(
        table[:-1].reshape(n, groups, shape.pixels, shape.group_channels), grouped.transpose(0, 1, 3, 2)
    )
    table[-1] = 0
    return table


def _items_bytes(shape: DeformShape, itemsize: int, backward: bool) -> int:
    """Scratch bytes per batch item: column-sized arrays, the tables and the taps."""
    columns = shape.rows_per_item * shape.group_channels * itemsize
    tables = shape.pixels * shape.geometry.in_channels * itemsize
    taps = shape.rows_per_item * (4 * 8 + 12 * itemsize + itemsize)
    if backward:
        return 6 * columns + 2 * tables + taps
    return 2 * columns + tables + taps


@dataclass(frozen=True)
class DeformSaved:
    """Samples a forward pass keeps for the backward: items ``[start, stop)`` of the batch.

    ``sampled`` holds the columns *before* the mask (the mask's gradient is
    their dot product with the columns' gradient); ``runs`` the taps of each
    run of items the sampling threads took, keyed by the run's first item.
    """

    start: int
    stop: int
    sampled: np.ndarray  # (items, positions, taps, C_in)
    runs: dict[int, tuple[int, _Sampling]]
    modulated: np.ndarray | None = None  # sampled times the mask, once computed


def _sample(
    x: np.ndarray,
    offset: np.ndarray,
    mask: np.ndarray | None,
    shape: DeformShape,
    items: tuple[int, int],
    with_grad: bool,
) -> DeformSaved:
    """The columns of batch items ``[start, stop)``, modulated by the mask unless ``with_grad``.

    Runs of items go to threads: SciPy's sparse products and NumPy's copies release the GIL.
    """
    start, stop = items
    p, geometry = shape.positions, shape.geometry
    sampled = np.empty((stop - start, p, geometry.taps, geometry.in_channels), x.dtype)
    runs: dict[int, tuple[int, _Sampling]] = {}

    def work(a: int, b: int) -> None:
        sampling = _sampling_of(shape, offset, mask, slice(start + a, start + b), with_grad)
        data = sampling.weights
        if sampling.mask is not None and not with_grad:
            data = data * sampling.mask[:, None]
        product = sampling.matrix(data) @ _table(x[start + a : start + b], shape, x.dtype)
        sampled[a:b] = product.reshape(sampled[a:b].shape)
        runs[a] = (b, sampling)

    parallel.split_apply(stop - start, _run_bytes(shape, x.dtype, stop - start), work)
    return DeformSaved(start, stop, sampled, runs)


def _run_bytes(shape: DeformShape, dtype: np.dtype[Any], items: int) -> int:
    """What the sampling and scatter passes tell split_apply: the same, so both cut the items alike."""
    return items * _items_bytes(shape, dtype.itemsize, backward=False)


def _modulated(saved: DeformSaved, mask: np.ndarray | None, shape: DeformShape) -> np.ndarray:
    """The columns of :func:`_sample` ``(with_grad=True)`` times the mask: what the GEMM reads."""
    if mask is None:
        return saved.sampled
    m, p, taps, cin = saved.sampled.shape
    groups = shape.offset_groups
    # The mask scales whole rows: (items, positions, taps, offset groups) against each row's channels.
    row_mask = _row_order(mask[saved.start : saved.stop], shape, 1).reshape(m, p, taps, groups, 1)
    product: np.ndarray = saved.sampled.reshape(m, p, taps, groups, -1) * row_mask
    return product.reshape(m, p, taps, cin)


class _Weights:
    """The weight as the GEMM wants it: ``(G, C_out / G, taps * C_in / G)``, columns (tap, channel)."""

    def __init__(self, weight: np.ndarray, geometry: ConvGeometry) -> None:
        g = geometry.groups
        out, cin = weight.shape[:2]
        per_tap = weight.reshape(out, cin, geometry.taps).transpose(0, 2, 1)  # (C_out, taps, C_in / G)
        self.matrix = np.ascontiguousarray(per_tap).reshape(g, out // g, per_tap.shape[1] * cin)
        self.groups = g
        self.geometry = geometry

    def grouped(self, columns: np.ndarray) -> np.ndarray:
        """``(m, P, taps, C_in)`` -> ``(m, G, P, taps * C_in / G)`` (a copy)."""
        m, p = columns.shape[:2]
        split = columns.reshape(m, p, self.geometry.taps, self.groups, self.geometry.group_in)
        return np.ascontiguousarray(split.transpose(0, 3, 1, 2, 4)).reshape(m, self.groups, p, -1)

    def apply(self, out: np.ndarray, columns: np.ndarray) -> None:
        """``out`` (``(m, C_out, P)``) += the grouped product with ``columns`` (``(m, P, taps, C_in)``)."""
        if self.groups == 1:
            flat = columns.reshape(columns.shape[0], columns.shape[1], -1)
            for item in range(columns.shape[0]):
                gemm(out[item], self.matrix[0], flat[item], trans_b=True)
            return
        product = np.matmul(self.matrix, self.grouped(columns).transpose(0, 1, 3, 2))  # (m, G, C_out/G, P)
        out += product.reshape(out.shape)

    def adjoint(self, g: np.ndarray, columns: np.ndarray, grad_matrix: np.ndarray) -> np.ndarray:
        """Add the weight gradient to ``grad_matrix``; return the columns' gradient ``(m, P, taps, C_in)``.

        ``g`` is the output's gradient ``(m, C_out, P)``, C-contiguous.
        """
        m, p = columns.shape[:2]
        if self.groups == 1:
            flat = columns.reshape(m, p, -1)
            grad_columns = np.empty_like(flat)
            for item in range(m):
                gemm(grad_matrix[0], g[item], flat[item])
                gemm(grad_columns[item], g[item], self.matrix[0], trans_a=True, accumulate=False)
            return grad_columns.reshape(columns.shape)
        g_grouped = g.reshape(m, self.groups, -1, p)  # (m, G, C_out / G, P)
        grad_matrix += np.matmul(g_grouped, self.grouped(columns)).sum(axis=0)
        grad_grouped = np.matmul(g_grouped.transpose(0, 1, 3, 2), self.matrix)  # (m, G, P, taps * C_in / G)
        split = grad_grouped.reshape(m, self.groups, p, self.geometry.taps, self.geometry.group_in)
        return np.ascontiguousarray(split.transpose(0, 2, 3, 1, 4)).reshape(columns.shape)

    def gradient(self, grad_matrix: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """``grad_matrix`` (the layout of :attr:`matrix`) in the weight's layout."""
        out, cin = shape[:2]
        by_tap = grad_matrix.reshape(out, self.geometry.taps, cin)
        return np.ascontiguousarray(by_tap.transpose(0, 2, 1)).reshape(shape)


def _cast(dtype: np.dtype[Any], *arrays: np.ndarray | None) -> list[Any]:
    return [None if a is None else a.astype(dtype, copy=False) for a in arrays]


def deform_conv2d(
    x: np.ndarray,
    offset: np.ndarray,
    mask: np.ndarray | None,
    weight: np.ndarray,
    bias: np.ndarray | None,
    shape: DeformShape,
    keep: bool = False,
) -> tuple[np.ndarray, DeformSaved | None]:
    """``(N, C_out, H_out, W_out)`` in ``x``'s dtype; all arguments already checked.

    With ``keep``, also what :func:`deform_conv2d_backward` can reuse (when
    the whole batch was sampled at once, within the workspace).
    """
    geometry = shape.geometry
    dtype = _compute_dtype(x.dtype)
    n, p = geometry.batch, shape.positions
    out = np.zeros((n, geometry.out_channels, p), dtype)
    if bias is not None:
        out += bias.astype(dtype).reshape(1, -1, 1)
    saved = None
    if out.size and geometry.in_channels:
        xc, offset_c, mask_c, weight_c = _cast(dtype, x, offset, mask, weight)
        weights = _Weights(weight_c, geometry)
        per_item = _items_bytes(shape, dtype.itemsize, backward=keep)
        chunks = list(chunk_ranges(n, per_item))
        for items in chunks:
            sample = _sample(xc, offset_c, mask_c, shape, items, with_grad=keep)
            columns = _modulated(sample, mask_c, shape) if keep else sample.sampled
            weights.apply(out[items[0] : items[1]], columns)
            if keep and len(chunks) == 1:
                saved = replace(sample, modulated=columns)
    return out.reshape(geometry.out_shape).astype(x.dtype, copy=False), saved


@dataclass(frozen=True)
class DeformGradients:
    input: np.ndarray
    offset: np.ndarray
    weight: np.ndarray
    mask: np.ndarray | None


def deform_conv2d_backward(
    x: np.ndarray,
    offset: np.ndarray,
    mask: np.ndarray | None,
    weight: np.ndarray,
    cotangent: np.ndarray,
    shape: DeformShape,
    saved: DeformSaved | None = None,
) -> DeformGradients:
    """Gradients of :func:`deform_conv2d` in the input, offset, weight and mask (the bias's is a sum)."""
    geometry = shape.geometry
    dtype = _compute_dtype(x.dtype)
    n, p = geometry.batch, shape.positions
    xc, offset_c, mask_c, weight_c, g_all = _cast(dtype, x, offset, mask, weight, cotangent)
    grad_x = np.zeros(x.shape, dtype)
    grad_offset = np.zeros(offset.shape, dtype)
    grad_mask = None if mask is None else np.zeros(mask.shape, dtype)
    weights = _Weights(weight_c, geometry)
    grad_matrix = np.zeros(weights.matrix.shape, dtype)
    if cotangent.size and geometry.in_channels and x.size:
        g_all = g_all.reshape(n, geometry.out_channels, p)
        per_item = _items_bytes(shape, dtype.itemsize, backward=True)
        for items in chunk_ranges(n, per_item):
            if saved is not None and (saved.start, saved.stop) == items:
                sample = saved
            else:
                sample = _sample(xc, offset_c, mask_c, shape, items, with_grad=True)
            columns = sample.modulated if sample.modulated is not None else _modulated(sample, mask_c, shape)
            g = np.ascontiguousarray(g_all[items[0] : items[1]])
            grad_columns = weights.adjoint(g, columns, grad_matrix)
            del columns

            def work(
                a: int, b: int, sample: DeformSaved = sample, grad_columns: np.ndarray = grad_columns
            ) -> None:
                first = sample.start + a
                stored = sample.runs.get(a)
                # Both passes ask split_apply alike (_run_bytes), so the taps are reused; were the
                # runs cut otherwise, they would be recomputed.
                if stored is not None and stored[0] == b:
                    sampling = stored[1]
                else:
                    sampling = _sampling_of(shape, offset_c, mask_c, slice(first, sample.start + b), True)
                grad_x_run, grad_offset_run, grad_mask_run = _adjoint_run(
                    sampling, xc[first : sample.start + b], sample.sampled[a:b], grad_columns[a:b], shape
                )
                run = slice(first, sample.start + b)
                grad_x[run] = grad_x_run
                grad_offset[run] = grad_offset_run
                if grad_mask is not None and grad_mask_run is not None:
                    grad_mask[run] = grad_mask_run

            parallel.split_apply(items[1] - items[0], _run_bytes(shape, dtype, items[1] - items[0]), work)
    return DeformGradients(
        grad_x.astype(x.dtype, copy=False),
        grad_offset.astype(x.dtype, copy=False),
        weights.gradient(grad_matrix, weight.shape).astype(x.dtype, copy=False),
        None if grad_mask is None else grad_mask.astype(x.dtype, copy=False),
    )


def _adjoint_run(
    sampling: _Sampling, x: np.ndarray, sampled: np.ndarray, grad_columns: np.ndarray, shape: DeformShape
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Gradients in the input, offset and mask of a run of items, from their columns' gradient."""
    m = x.shape[0]
    rows, width = m * shape.rows_per_item, shape.group_channels
    g_rows = grad_columns.reshape(rows, width)
    grad_mask = None
    if sampling.mask is not None:
        grad_mask = _from_row_order(np.einsum("rc,rc->r", g_rows, sampled.reshape(rows, width)), shape, 1, m)
        g_rows = g_rows * sampling.mask[:, None]  # now the gradient of the unmodulated samples
    grad_table = sampling.matrix(sampling.weights).T @ g_rows
    pixels = grad_table[:-1].reshape(m, shape.offset_groups, shape.pixels, width).transpose(0, 1, 3, 2)
    grad_x = pixels.reshape(x.shape)
    table = _table(x, shape, x.dtype)
    moved = [np.einsum("rc,rc->r", sampling.matrix(s) @ table, g_rows) for s in sampling.slopes]
    grad_offset = _from_row_order(np.stack(moved, axis=-1), shape, 2, m)
    return grad_x, grad_offset, grad_mask


def _from_row_order(rows: np.ndarray, shape: DeformShape, per_tap: int, items: int) -> np.ndarray:
    """The inverse of :func:`_row_order`: row-ordered values back in torchvision's layout."""
    ay, ax = shape.geometry.axes
    split = rows.reshape(items, ay.out_size, ax.out_size, ay.kernel, ax.kernel, shape.offset_groups, per_tap)
    back = split.transpose(0, 5, 3, 4, 6, 1, 2)
    return back.reshape(items, -1, ay.out_size, ax.out_size)
