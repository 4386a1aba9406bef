"""The FFT engine: large kernels as products in the frequency domain.

Cross-correlation ``y[o] = sum_u x[o*s + u] w[u]`` is, before subsampling by
the stride, a circular correlation over a grid long enough that no window
wraps: the padded input length ``P`` (rounded up to a fast FFT size). Per
frequency, channels mix by a small complex matrix product, so the cost grows
with ``log(P)`` rather than with the kernel's area: from about 11x11 taps on,
this beats direct methods. The adjoints use the conjugate products.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft

from ..core import ConvGeometry
from .layout import Layout
from .workspace import chunk_ranges


def _fft_shape(layout: Layout) -> tuple[int, ...]:
    lengths = layout.block_lengths
    *lead, last = lengths
    return (*(scipy.fft.next_fast_len(n) for n in lead), scipy.fft.next_fast_len(last, real=True))


def _spatial_axes(ndim: int, first: int) -> tuple[int, ...]:
    return tuple(range(first, first + ndim))


def _spectrum(array: np.ndarray, shape: tuple[int, ...], first: int) -> np.ndarray:
    """``rfftn`` over ``len(shape)`` axes from ``first``, zero-padding each to ``shape``.

    Transforming one axis at a time, the last first, only touches the extent
    the array really has along the axes not yet transformed: a 15x15 kernel
    on a 144x144 grid costs 15 short transforms, then 73 long ones, instead
    of 144 + 73.
    """
    last = first + len(shape) - 1
    result: np.ndarray = scipy.fft.rfft(array, n=shape[-1], axis=last, workers=-1)
    for axis in reversed(range(first, last)):
        result = scipy.fft.fft(result, n=shape[axis - first], axis=axis, workers=-1, overwrite_x=True)
    return result


def _weight_spectrum(weight: np.ndarray, geometry: ConvGeometry, shape: tuple[int, ...]) -> np.ndarray:
    """Dilated kernel on the FFT grid, transformed: ``(G, F..., Cg, Og)`` complex."""
    g, og, cg = geometry.groups, geometry.group_out, geometry.group_in
    spans = tuple(a.span for a in geometry.axes)
    grid = np.zeros((g, *spans, cg, og), dtype=weight.dtype)
    taps = tuple(slice(0, a.span, a.dilation) for a in geometry.axes)
    kernel = weight.reshape(g, og, cg, *weight.shape[2:])
    grid[(slice(None), *taps)] = kernel.transpose(0, *range(3, 3 + geometry.ndim), 2, 1)
    return _spectrum(grid, shape, 1)


def _mix_channels(spectrum: np.ndarray, matrices: np.ndarray) -> np.ndarray:
    """``(G, n, *F, Ci) x (G, *F, Ci, Co) -> (G, n, *F, Co)``: one product per frequency."""
    stacked = np.moveaxis(spectrum, 1, -2)  # (G, *F, n, Ci): the batch is the GEMM's rows
    return np.moveaxis(np.matmul(stacked, matrices), -2, 1)


def _subsample(geometry: ConvGeometry) -> tuple[slice, ...]:
    return tuple(slice(0, (a.out_size - 1) * a.stride + 1, a.stride) for a in geometry.axes)


def _per_item_bytes(geometry: ConvGeometry, shape: tuple[int, ...], itemsize: int) -> int:
    spectrum = math.prod(shape[:-1]) * (shape[-1] // 2 + 1)
    return 2 * itemsize * spectrum * (geometry.in_channels + geometry.out_channels) * 2


def forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, geometry: ConvGeometry) -> np.ndarray:
    """Convolution of ``x`` with ``weight`` (zero padding) through the FFT."""
    layout = Layout(geometry, unrolled=geometry.ndim)
    shape = _fft_shape(layout)
    spatial = _spatial_axes(geometry.ndim, 2)
    w_hat = np.conj(_weight_spectrum(weight, geometry, shape))
    out = np.empty(geometry.out_shape, x.dtype)
    for n0, n1 in chunk_ranges(geometry.batch, _per_item_bytes(geometry, shape, x.itemsize)):
        blocks = layout.pack(x[n0:n1])[0]  # (G, n, *P, Cg)
        x_hat = _spectrum(blocks, shape, 2)
        y_hat = _mix_channels(x_hat, w_hat)
        y = scipy.fft.irfftn(y_hat, s=shape, axes=spatial, workers=-1)
        y = y[(slice(None), slice(None), *_subsample(geometry))]
        grid = y.transpose(1, 0, 2 + geometry.ndim, *spatial)
        out[n0:n1] = grid.reshape(n1 - n0, geometry.out_channels, *out.shape[2:])
    if bias is not None:
        out += bias.reshape(-1, *([1] * geometry.ndim))
    return out


def _embed(grad_out: np.ndarray, geometry: ConvGeometry, shape: tuple[int, ...]) -> np.ndarray:
    """``(n, O, *out)`` placed at the strided output positions of a zero ``(G, n, *shape, Og)``."""
    n = grad_out.shape[0]
    grid = np.zeros((geometry.groups, n, *shape, geometry.group_out), grad_out.dtype)
    grouped = grad_out.reshape(n, geometry.groups, geometry.group_out, *grad_out.shape[2:])
    order = (1, 0, *range(3, 3 + geometry.ndim), 2)
    grid[(slice(None), slice(None), *_subsample(geometry))] = grouped.transpose(order)
    return grid


def input_grad(grad_out: np.ndarray, weight: np.ndarray, geometry: ConvGeometry) -> np.ndarray:
    """Adjoint of :func:`forward` in ``x``: the transposed convolution."""
    layout = Layout(geometry, unrolled=geometry.ndim)
    shape = _fft_shape(layout)
    spatial = _spatial_axes(geometry.ndim, 2)
    w_hat = _weight_spectrum(weight, geometry, shape).swapaxes(-1, -2)  # (G, *F, Og, Cg)
    result = np.zeros(geometry.in_shape, grad_out.dtype)
    item = _per_item_bytes(geometry, shape, grad_out.itemsize)
    for n0, n1 in chunk_ranges(geometry.batch, item):
        g_hat = scipy.fft.rfftn(_embed(grad_out[n0:n1], geometry, shape), axes=spatial, workers=-1)
        x_hat = _mix_channels(g_hat, w_hat)
        blocks = scipy.fft.irfftn(x_hat, s=shape, axes=spatial, workers=-1)
        crop = tuple(slice(0, n) for n in layout.block_lengths)
        padded = blocks[(slice(None), slice(None), *crop)].astype(grad_out.dtype, copy=False)
        layout.unpack(padded[None], result[n0:n1])
    return result


def weight_grad(x: np.ndarray, grad_out: np.ndarray, geometry: ConvGeometry) -> np.ndarray:
    """Gradient of :func:`forward` in ``weight``."""
    layout = Layout(geometry, unrolled=geometry.ndim)
    shape = _fft_shape(layout)
    spatial = _spatial_axes(geometry.ndim, 2)
    nd = geometry.ndim
    acc: np.ndarray | None = None
    for n0, n1 in chunk_ranges(geometry.batch, _per_item_bytes(geometry, shape, x.itemsize)):
        x_hat = _spectrum(layout.pack(x[n0:n1])[0], shape, 2)
        g_hat = scipy.fft.rfftn(_embed(grad_out[n0:n1], geometry, shape), axes=spatial, workers=-1)
        # sum over the batch of conj(G) X, per frequency: (G, *F, Cg, n) @ (G, *F, n, Og)
        xs = np.moveaxis(x_hat, 1, -2)
        gs = np.conj(np.moveaxis(g_hat, 1, -2))
        part = np.matmul(xs.swapaxes(-1, -2), gs)
        acc = part if acc is None else acc + part
    assert acc is not None
    corr = scipy.fft.irfftn(acc, s=shape, axes=_spatial_axes(nd, 1), workers=-1)
    taps = tuple(slice(0, a.span, a.dilation) for a in geometry.axes)
    kernel = corr[(slice(None), *taps)]  # (G, *K, Cg, Og)
    grad = kernel.transpose(0, 2 + nd, 1 + nd, *range(1, 1 + nd))
    shape_w = (geometry.out_channels, geometry.group_in, *(a.kernel for a in geometry.axes))
    return np.ascontiguousarray(grad.reshape(shape_w)).astype(x.dtype, copy=False)
