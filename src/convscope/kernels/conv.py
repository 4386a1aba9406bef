"""Convolution entry points: pick an engine per layer shape, run it.

Three directions share one geometry: :func:`conv_forward`, its adjoint in the
input :func:`conv_input_grad` (which *is* the transposed convolution), and its
gradient in the weight :func:`conv_weight_grad`.

Engines: ``pointwise`` (1x1: a plain matmul), ``winograd`` (3-tap, unit
stride: F(4, 3) minimal filtering; forward and input gradient), the direct engine
(:mod:`.direct`) in three settings, ``shift`` (nothing gathered), ``hybrid``
(the last axis's taps gathered) and ``im2col`` (all taps gathered), and
``fft``. ``'auto'`` ranks them with a cost model calibrated on the 2-core
reference machine (see ``bench/``); ``convscope.options(conv_algorithm=...)``
forces one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import scipy.fft

from ..config import get_options
from ..core import ConvGeometry
from . import direct, fft, pointwise, winograd
from .layout import Layout

# Rough throughputs on the reference machine, used only to rank engines.
_GEMM_MACS = 85e9  # multiply-accumulates per second of a large float32 GEMM
_FULL_SPEED_INNER = 128  # GEMMs with a shorter inner dimension run proportionally slower
_COPY_ELEMENTS = 1.0e9  # elements per second gathered by a strided copy
_PASS_ELEMENTS = 1.5e9  # output elements per second read and written by an accumulation
_FFT_FLOPS = 12e9
_COMPLEX_MACS = 12e9
_SUBPROBLEM_SECONDS = 1e-3  # fixed cost of each dilation sub-grid Winograd solves


def _unrolled(name: str, geometry: ConvGeometry) -> int:
    return {"shift": 0, "hybrid": 1, "im2col": geometry.ndim}[name]


def _gemm_rate(inner: int) -> float:
    return _GEMM_MACS * min(1.0, inner / _FULL_SPEED_INNER)


def _direct_seconds(geometry: ConvGeometry, name: str) -> float:
    layout = Layout(geometry, _unrolled(name, geometry))
    rows = geometry.batch * layout.grid_rows
    macs = rows * geometry.out_channels * geometry.group_in * geometry.taps
    if geometry.group_in == 1 and layout.unrolled == 0:  # broadcast multiply-adds
        return 3 * macs / _COPY_ELEMENTS
    gathered = rows * layout.columns * geometry.groups if layout.unrolled else 0
    passes = len(layout.lead_taps()) * rows * geometry.out_channels
    return macs / _gemm_rate(layout.columns) + gathered / _COPY_ELEMENTS + passes / _PASS_ELEMENTS


def _fft_seconds(geometry: ConvGeometry) -> float:
    grid = math.prod(scipy.fft.next_fast_len(a.padded_size) for a in geometry.axes)
    transforms = geometry.batch * (geometry.in_channels + geometry.out_channels)
    transforms += geometry.out_channels * geometry.group_in
    flops = 2.5 * transforms * grid * math.log2(max(grid, 2))
    mixing = geometry.batch * grid / 2 * geometry.out_channels * geometry.group_in
    return float(flops / _FFT_FLOPS + mixing / _COMPLEX_MACS)


def _winograd_seconds(geometry: ConvGeometry) -> float:
    # Dilation d splits each axis into d sub-grids, each tiled separately.
    per_axis = [
        sum(-(-len(range(r, a.out_size, a.dilation)) // winograd.TILE) for r in range(a.dilation))
        for a in geometry.axes
    ]
    points = geometry.batch * math.prod(per_axis) * winograd.ALPHA**geometry.ndim
    macs = points * geometry.group_in * geometry.out_channels
    moved = points * (geometry.in_channels + geometry.out_channels) * 2
    subgrids = math.prod(a.dilation for a in geometry.axes)
    seconds = macs / _gemm_rate(geometry.group_in) + moved / _PASS_ELEMENTS
    return float(seconds + subgrids * _SUBPROBLEM_SECONDS)


def estimated_seconds(geometry: ConvGeometry) -> dict[str, float]:
    """The cost model's estimate for every engine that applies.

    >>> from convscope.core import conv_geometry
    >>> sorted(estimated_seconds(conv_geometry((1, 8, 9, 9), (8, 8, 3, 3))))  # 2-d, 3 taps
    ['hybrid', 'im2col', 'shift', 'winograd']
    """
    names = ["shift"] if geometry.group_in == 1 else ["shift", "hybrid", "im2col"]
    costs = {name: _direct_seconds(geometry, name) for name in names}
    if geometry.taps >= 25:
        costs["fft"] = _fft_seconds(geometry)
    # In 1-d, F(4, 3) saves only half the multiplies: measured slower than direct.
    if winograd.applies(geometry) and geometry.group_in > 1 and geometry.ndim >= 2:
        costs["winograd"] = _winograd_seconds(geometry)
    return costs


def choose_engine(geometry: ConvGeometry) -> str:
    """The engine ``'auto'`` runs for this geometry.

    Examples
    --------
    >>> from convscope.core import conv_geometry
    >>> choose_engine(conv_geometry((8, 256, 56, 56), (64, 256, 1, 1)))
    'pointwise'
    >>> choose_engine(conv_geometry((8, 3, 224, 224), (64, 3, 7, 7), (2, 2), ((3, 3), (3, 3))))
    'im2col'
    >>> choose_engine(conv_geometry((4, 16, 128, 128), (16, 16, 31, 31), padding=((15, 15),) * 2))
    'fft'
    """
    forced = get_options().conv_algorithm
    if forced != "auto":
        return forced
    if pointwise.applies(geometry):
        return "pointwise"
    costs = estimated_seconds(geometry)
    return min(costs, key=costs.__getitem__)


Engine = Callable[..., np.ndarray]


def _engine(direction: str, geometry: ConvGeometry, dtype: np.dtype[Any]) -> Engine:
    name = choose_engine(geometry)
    if name in ("fft", "winograd") and dtype.kind in "iu":  # integers stay exact: no transforms
        name = "im2col"
    if name == "winograd":
        usable = {
            "forward": winograd.applies(geometry),
            "input_grad": winograd.applies_to_input_grad(geometry),
            "weight_grad": False,
        }[direction]
        if usable:
            return getattr(winograd, direction)  # type: ignore[no-any-return]
        costs = estimated_seconds(geometry)
        costs.pop("winograd", None)
        name = min(costs, key=costs.__getitem__)
    if name == "pointwise":
        return getattr(pointwise, direction)  # type: ignore[no-any-return]
    if name == "fft":
        return getattr(fft, direction)  # type: ignore[no-any-return]
    return partial(getattr(direct, direction), unrolled=_unrolled(name, geometry))


def _result_shape(direction: str, geometry: ConvGeometry) -> tuple[int, ...]:
    shapes = {
        "forward": geometry.out_shape,
        "input_grad": geometry.in_shape,
        "weight_grad": geometry.weight_shape,
    }
    return shapes[direction]


def _run(direction: str, arrays: tuple[np.ndarray | None, ...], geometry: ConvGeometry) -> np.ndarray:
    """Run an engine in a working precision the result is exact or faithful in.

    Half precision runs in float32 (as PyTorch's CPU kernels accumulate).
    Integers run in int64, exactly; a narrower integer result that does not
    fit its dtype is refused rather than wrapped.
    """
    dtype = next(a.dtype for a in arrays if a is not None)
    shape = _result_shape(direction, geometry)
    if 0 in shape or any(a is not None and a.size == 0 for a in arrays):
        out = np.zeros(shape, dtype)
        bias = arrays[2] if direction == "forward" else None
        if bias is not None and out.size:
            out += bias.reshape(-1, *([1] * geometry.ndim))
        return out
    working: np.dtype[Any] = np.dtype(np.int64) if dtype.kind in "iu" else np.dtype(np.float32)
    if dtype == np.float64:
        working = dtype
    widened = tuple(None if a is None else a.astype(working, copy=False) for a in arrays)
    result = _engine(direction, geometry, working)(*widened, geometry)
    if dtype.kind in "iu" and dtype != working and result.size:
        info = np.iinfo(dtype)
        if result.min() < info.min or result.max() > info.max:
            raise ValueError(
                f"convolution of {dtype} arrays overflows {dtype} "
                f"(exact result spans [{result.min()}, {result.max()}]); cast the input to a wider type"
            )
    return result.astype(dtype, copy=False)


def conv_forward(
    x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, *, geometry: ConvGeometry
) -> np.ndarray:
    """Cross-correlate ``x`` ``(N, C, *S)`` with ``weight`` ``(O, C/G, *K)``, zero padding."""
    return _run("forward", (x, weight, bias), geometry)


def conv_input_grad(grad_out: np.ndarray, weight: np.ndarray, *, geometry: ConvGeometry) -> np.ndarray:
    """Adjoint of :func:`conv_forward` in its input: the transposed convolution."""
    return _run("input_grad", (grad_out, weight), geometry)


def conv_weight_grad(x: np.ndarray, grad_out: np.ndarray, *, geometry: ConvGeometry) -> np.ndarray:
    """Gradient of :func:`conv_forward` in its weight."""
    return _run("weight_grad", (x, grad_out), geometry)
