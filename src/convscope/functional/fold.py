"""``unfold`` (im2col) and ``fold`` (col2im) with PyTorch's semantics (2-d only)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core import ConvGeometry, conv_geometry, resolve_padding
from ..kernels import fold as fold_kernel
from ._args import as_array, batched, int_tuple, non_negative, positive


@dataclass(frozen=True)
class FoldPlan:
    x: np.ndarray
    geometry: ConvGeometry
    unbatched: bool


def _window_args(
    op: str, kernel_size: Any, dilation: Any, padding: Any, stride: Any
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    kernel = positive(int_tuple(kernel_size, 2, "kernel_size", op), "kernel_size", op)
    dil = positive(int_tuple(dilation, 2, "dilation", op), "dilation", op)
    pad = non_negative(int_tuple(padding, 2, "padding", op), "padding", op)
    step = positive(int_tuple(stride, 2, "stride", op), "stride", op)
    return kernel, dil, pad, step


def _geometry(
    op: str,
    shape: tuple[int, ...],
    kernel: tuple[int, ...],
    dil: tuple[int, ...],
    pad: tuple[int, ...],
    step: tuple[int, ...],
) -> ConvGeometry:
    pairs = resolve_padding(list(pad), shape[2:], (1, 1), step)
    geometry = conv_geometry(shape, (1, shape[1], *kernel), step, pairs, dil)
    outs = tuple(a.out_size for a in geometry.axes)
    if any(o <= 0 for o in outs):
        raise ValueError(
            f"{op}: spatial size {shape[2:]} with kernel_size={kernel}, dilation={dil}, "
            f"padding={pad}, stride={step} gives {outs} sliding blocks; each must be at least one"
        )
    return geometry


def plan_unfold(
    input: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
) -> FoldPlan:
    op = "unfold"
    x, unbatched = batched(as_array(input, "input", op), 2, op)
    geometry = _geometry(op, x.shape, *_window_args(op, kernel_size, dilation, padding, stride))
    return FoldPlan(x, geometry, unbatched)


def plan_fold(
    input: Any,
    output_size: Any,
    kernel_size: Any,
    dilation: Any = 1,
    padding: Any = 0,
    stride: Any = 1,
) -> FoldPlan:
    op = "fold"
    cols, unbatched = batched(as_array(input, "input", op), 1, op)  # (N, C * taps, L)
    size = positive(int_tuple(output_size, 2, "output_size", op), "output_size", op)
    kernel, dil, pad, step = _window_args(op, kernel_size, dilation, padding, stride)
    taps = math.prod(kernel)
    if cols.shape[1] % taps:
        raise ValueError(
            f"{op}: input.shape[1]={cols.shape[1]} must be divisible by the product of "
            f"kernel_size={kernel} ({taps})"
        )
    geometry = _geometry(op, (cols.shape[0], cols.shape[1] // taps, *size), kernel, dil, pad, step)
    blocks = geometry.out_positions
    if cols.shape[2] != blocks:
        outs = tuple(a.out_size for a in geometry.axes)
        raise ValueError(
            f"{op}: output_size={size}, kernel_size={kernel}, dilation={dil}, padding={pad}, "
            f"stride={step} give {outs[0]} * {outs[1]} = {blocks} sliding blocks, but "
            f"input.shape[2]={cols.shape[2]}"
        )
    return FoldPlan(cols, geometry, unbatched)


def _unbatch(array: np.ndarray, unbatched: bool) -> np.ndarray:
    return array[0] if unbatched else array


def unfold(input: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> np.ndarray:
    """Extract sliding blocks as columns (im2col), as ``torch.nn.functional.unfold``.

    Parameters
    ----------
    input : array_like
        ``(N, C, H, W)`` or ``(C, H, W)``.
    kernel_size, dilation, padding, stride : int or pair of int

    Returns
    -------
    numpy.ndarray
        ``(N, C * kH * kW, L)``, channel-major rows, ``L`` blocks in row-major order.

    Examples
    --------
    >>> import numpy as np
    >>> unfold(np.arange(9.0).reshape(1, 1, 3, 3), 2)
    array([[[0., 1., 3., 4.],
            [1., 2., 4., 5.],
            [3., 4., 6., 7.],
            [4., 5., 7., 8.]]])
    """
    plan = plan_unfold(input, kernel_size, dilation, padding, stride)
    return _unbatch(fold_kernel.unfold(plan.x, plan.geometry), plan.unbatched)


def fold(
    input: Any,
    output_size: Any,
    kernel_size: Any,
    dilation: Any = 1,
    padding: Any = 0,
    stride: Any = 1,
) -> np.ndarray:
    """Sum columns back into an image (col2im), as ``torch.nn.functional.fold``.

    The adjoint of :func:`unfold`: overlapping blocks add.

    Examples
    --------
    >>> import numpy as np
    >>> fold(np.ones((1, 4, 4)), (3, 3), 2)[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    plan = plan_fold(input, output_size, kernel_size, dilation, padding, stride)
    return _unbatch(fold_kernel.fold(plan.x, plan.geometry), plan.unbatched)
