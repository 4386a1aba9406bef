"""Convolution entry points: pick an engine per layer shape, run it.

Three directions share one geometry: :func:`conv_forward`, its adjoint in the
input :func:`conv_input_grad` (which *is* the transposed convolution), and its
gradient in the weight :func:`conv_weight_grad`.

Engines: ``pointwise`` (1x1, plain matmul), ``shift`` (per-tap accumulating
GEMM on shifted views; depthwise uses broadcast multiply-adds), ``im2col``
(gathered columns, one GEMM) and ``fft``. ``'auto'`` chooses from a cost
model calibrated on a 2-core machine (see bench/); any engine can be forced
with ``convscope.options(conv_algorithm=...)``.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np
import scipy.fft

from ..config import get_options
from ..core import ConvGeometry
from . import fft, im2col, pointwise, shift

_ENGINES: dict[str, ModuleType] = {"shift": shift, "im2col": im2col, "fft": fft}

# Rough throughputs (per second) on the reference machine, used only to rank engines.
_GEMM_MACS = 40e9
_COPY_ELEMENTS = 1.5e9
_FFT_FLOPS = 3e9
_COMPLEX_MACS = 4e9
_FULL_SPEED_INNER = 64


def _fft_seconds(geometry: ConvGeometry) -> float:
    grid = math.prod(scipy.fft.next_fast_len(a.padded_size) for a in geometry.axes)
    transforms = geometry.batch * (geometry.in_channels + geometry.out_channels)
    transforms += geometry.out_channels * geometry.group_in
    flops = 2.5 * transforms * grid * math.log2(max(grid, 2))
    mixing = geometry.batch * grid / 2 * geometry.out_channels * geometry.group_in
    return float(flops / _FFT_FLOPS + mixing / _COMPLEX_MACS)


def _gemm_rate(inner: int) -> float:
    """GEMMs with a short inner dimension run far below peak."""
    return _GEMM_MACS * min(1.0, inner / _FULL_SPEED_INNER)


def _direct_seconds(geometry: ConvGeometry, engine: str) -> float:
    if engine == "shift":
        macs = shift.macs_computed(geometry)
        if geometry.group_in == 1:  # broadcast multiply-adds run far below GEMM speed
            return macs / (_COPY_ELEMENTS / 3)
        return macs / _gemm_rate(geometry.group_in)
    gathered = geometry.batch * geometry.out_positions * geometry.in_channels * geometry.taps
    inner = geometry.group_in * geometry.taps
    return geometry.macs / _gemm_rate(inner) + gathered / _COPY_ELEMENTS


def choose_engine(geometry: ConvGeometry) -> str:
    """The engine ``'auto'`` runs for this geometry.

    Examples
    --------
    >>> from convscope.core import conv_geometry
    >>> choose_engine(conv_geometry((8, 64, 56, 56), (64, 64, 3, 3), padding=((1, 1), (1, 1))))
    'shift'
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
    costs = {name: _direct_seconds(geometry, name) for name in ("shift", "im2col")}
    if geometry.group_in == 1:
        costs.pop("im2col")
    if geometry.taps >= 25:
        costs["fft"] = _fft_seconds(geometry)
    return min(costs, key=costs.__getitem__)


def _engine(geometry: ConvGeometry, dtype: np.dtype[Any]) -> ModuleType:
    name = choose_engine(geometry)
    if name == "fft" and dtype.kind in "iu":  # integers stay exact: no transforms
        name = "im2col"
    return pointwise if name == "pointwise" else _ENGINES[name]


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
    engine = _engine(geometry, working)
    result: np.ndarray = getattr(engine, direction)(*widened, geometry)
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
