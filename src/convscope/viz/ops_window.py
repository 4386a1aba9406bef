"""Animations of window operators: convolution, transposed convolution, max and average pooling.

The geometry comes from the functional frontend's own planners (so a
configuration PyTorch refuses is refused here with the same message) or,
for TensorFlow's SAME/VALID, from :func:`convscope.core.resolve_padding`
with :attr:`~convscope.core.SameConvention.TF`. A transposed convolution is
drawn as its direct view (:meth:`convscope.core.Axis.direct_view`): the
input with zeros inserted between samples, padded, read by the flipped
kernel at unit stride.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

import convscope.functional as F

from ..core import Axis, SameConvention, resolve_padding, tf_transpose_sizes
from ..functional._args import int_tuple, positive
from ..functional.conv import plan_conv, plan_conv_transpose
from ..functional.pool import pool_axes
from . import args as A
from .animation import Animation, stepped_animation
from .frames import (
    MAX_CELLS,
    CanvasAxis,
    canvas_axis,
    check_cells,
    check_frames,
    finished_output,
    input_grid,
    window_frames,
)
from .layout import format_value
from .model import Frame, Grid, InCell
from .text import dims, pairs, position, same


def _check_canvas(op: str, params: dict[str, Any], canvases: list[CanvasAxis]) -> None:
    lengths = [c.length for c in canvases]
    if max(lengths) <= MAX_CELLS:
        return
    blame = "padding"
    if any(c.axis.input_dilation > 1 and c.axis.dilated_size > MAX_CELLS for c in canvases):
        blame = "stride"
    elif "padding" not in params:
        blame = "kernel_size"
    check_cells(op, blame, params.get(blame), lengths)


def _canvases(op: str, params: dict[str, Any], input: Any, axes: Sequence[Axis]) -> list[CanvasAxis]:
    """The canvas of each axis, refused before drawing if too large or of too many steps."""
    canvases = [canvas_axis(a) for a in axes]
    _check_canvas(op, params, canvases)
    check_frames(op, "input", input, math.prod(a.out_size for a in axes))
    return canvases


def _tf_pairs(
    op: str, padding: Any, sizes: tuple[int, ...], spans: tuple[int, ...], strides: tuple[int, ...]
) -> tuple[tuple[int, int], ...]:
    """TensorFlow's padding: 'SAME' (extra cell high), 'VALID', or explicit (low, high) pairs."""
    if isinstance(padding, str):
        if padding.upper() not in ("SAME", "VALID"):
            raise ValueError(
                f"animate({op!r}): with convention='tf', padding must be 'same' or 'valid', "
                f"got padding={padding!r}"
            )
        return resolve_padding(padding.lower(), sizes, spans, strides, SameConvention.TF)
    try:
        result = resolve_padding(padding, sizes, spans, strides)
    except ValueError as error:
        raise ValueError(f"animate({op!r}): {error}") from None
    if any(p < 0 for pair in result for p in pair):
        raise ValueError(f"animate({op!r}): padding must be non-negative, got padding={padding!r}")
    return result


def _describe(
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    pads: tuple[tuple[int, int], ...],
    dilation: tuple[int, ...],
    convention: str,
    extra: str = "",
) -> str:
    text = f"kernel {dims(kernel)}, stride {same(stride)}, padding {pairs(pads)}, dilation {same(dilation)}"
    if convention == "tf":
        text += ", TensorFlow convention"
    return text + extra


def _seeded_values(
    seed: int, sizes: tuple[int, ...], kernel: tuple[int, ...] = ()
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs in 0..9, then kernel weights in -1..2, drawn from ``seed``: small numbers that fit a cell."""
    rng = np.random.default_rng(seed)
    inputs = rng.integers(0, 10, size=sizes).astype(np.float64)
    return inputs, rng.integers(-1, 3, size=kernel).astype(np.float64)


_TAP_PLACES = {InCell.PADDING: "on padding", InCell.ZERO: "on inserted zeros", InCell.OUTSIDE: "outside"}


def _caption(index: int, count: int, frame: Frame, grid: Grid, verb: str, value: float | None) -> str:
    """What one step does, counted from the states of the canvas cells under its taps."""
    real = int(np.count_nonzero(frame.reads >= 0))
    text = f"step {index + 1}/{count}: output {position(frame.position)} {verb} {real} input cell"
    text += "" if real == 1 else "s"
    states = grid.states[tuple(frame.taps.T)]
    others = [(int(np.count_nonzero(states == s)), where) for s, where in _TAP_PLACES.items()]
    others = [(n, where) for n, where in others if n]
    if others:
        first = f"{others[0][0]} tap{'' if others[0][0] == 1 else 's'} {others[0][1]}"
        text += " (" + ", ".join([first] + [f"{n} {where}" for n, where in others[1:]]) + ")"
    if value is not None:
        text += f"  ->  {format_value(value)}"
    return text


def _assemble(
    op: str,
    ndim: int,
    params: dict[str, Any],
    canvases: list[CanvasAxis],
    in_values: np.ndarray | None,
    out_values: np.ndarray | None,
    weights: np.ndarray | None,
    name: str,
    subtitle: str,
    footprint_label: str,
    verb: str,
    marked: list[np.ndarray] | None = None,
    fill: float = 0.0,
) -> Animation:
    in_sizes = tuple(c.axis.size for c in canvases)
    out_sizes = tuple(c.axis.out_size for c in canvases)
    grid = input_grid(canvases, in_values)
    if in_values is not None and fill != 0.0 and grid.values is not None:
        grid = replace(grid, values=np.where(grid.states == InCell.PADDING, fill, grid.values))
    count = math.prod(out_sizes)
    frames = [
        replace(
            f,
            caption=_caption(
                f.index, count, f, grid, verb, None if out_values is None else float(out_values.flat[f.index])
            ),
        )
        for f in window_frames(canvases, weights, [""] * count, marked)
    ]
    return stepped_animation(
        op,
        ndim,
        params,
        grid,
        finished_output(out_sizes, out_values),
        frames,
        title=f"{name}: input {dims(in_sizes)} -> output {dims(out_sizes)}",
        subtitle=subtitle,
        footprint=footprint_label,
        in_label=_input_label(canvases, in_sizes),
        kernel=weights,
        mapping=f"{dims(in_sizes)} -> {dims(out_sizes)}",
    )


def _input_label(canvases: list[CanvasAxis], sizes: tuple[int, ...]) -> str:
    label = f"input {dims(sizes)}"
    shape = tuple(c.length for c in canvases)
    if shape != sizes:
        label += f" (canvas {dims(shape)})"
    return label


def _kernel_stride_dilation(
    fop: str, p: dict[str, Any], n: int
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """kernel_size, stride and dilation as positive per-axis tuples, refused as ``fop`` refuses them."""
    kernel = positive(int_tuple(p["kernel_size"], n, "kernel_size", fop), "kernel_size", fop)
    stride = positive(int_tuple(p.get("stride", 1), n, "stride", fop), "stride", fop)
    dilation = positive(int_tuple(p.get("dilation", 1), n, "dilation", fop), "dilation", fop)
    return kernel, stride, dilation


# -- convolution ---------------------------------------------------------------------------------
def conv(input: Any, **params: Any) -> Animation:
    op = "conv"
    p = A.take(op, params, ("kernel_size", "stride", "padding", "dilation", "convention"))
    sizes = A.sizes(op, input)
    n = len(sizes)
    fop = f"conv{n}d"
    A.required(op, p, "kernel_size", ("stride", "padding", "dilation"))
    kernel, stride, dilation = _kernel_stride_dilation(fop, p, n)
    convention = A.convention(op, p.get("convention", "torch"))
    padding = p.get("padding", 0)
    if convention == "tf":
        spans = tuple(Axis(1, k, dilation=d).span for k, d in zip(kernel, dilation))
        padding = _tf_pairs(op, padding, sizes, spans, stride)
    plan = plan_conv(n, np.zeros((1, 1, *sizes)), np.zeros((1, 1, *kernel)), None, stride, padding, dilation)
    axes = plan.geometry.axes
    pads = tuple(a.pad for a in axes)
    canvases = _canvases(op, p, input, axes)
    in_values = out_values = weights = None
    if p["values"]:
        in_values, weights = _seeded_values(p["seed"], sizes, kernel)
        conv_fn = getattr(F, fop)
        out_values = conv_fn(in_values[None, None], weights[None, None], None, stride, pads, dilation)[0, 0]
    resolved = {
        "input": sizes,
        "kernel_size": kernel,
        "stride": stride,
        "padding": pads,
        "dilation": dilation,
        "convention": convention,
    }
    dilated = " (dilated)" if any(d > 1 for d in dilation) else ""
    return _assemble(
        op,
        n,
        resolved,
        canvases,
        in_values,
        out_values,
        weights,
        name=f"{fop}{dilated}",
        subtitle=_describe(kernel, stride, pads, dilation, convention),
        footprint_label="kernel taps",
        verb="reads",
    )


# -- transposed convolution -------------------------------------------------------------------------
def conv_transpose(input: Any, **params: Any) -> Animation:
    op = "conv_transpose"
    p = A.take(
        op,
        params,
        ("kernel_size", "stride", "padding", "output_padding", "dilation", "convention", "output_shape"),
    )
    sizes = A.sizes(op, input)
    n = len(sizes)
    fop = f"conv_transpose{n}d"
    A.required(op, p, "kernel_size", ("stride", "padding", "dilation", "output_padding", "output_shape"))
    kernel, stride, dilation = _kernel_stride_dilation(fop, p, n)
    convention = A.convention(op, p.get("convention", "torch"))
    if convention == "torch":
        if "output_shape" in p:
            raise TypeError(
                f"animate({op!r}): output_shape is TensorFlow's; with convention='torch' use output_padding"
            )
        plan = plan_conv_transpose(
            n,
            np.zeros((1, 1, *sizes)),
            np.zeros((1, 1, *kernel)),
            None,
            stride,
            p.get("padding", 0),
            p.get("output_padding", 0),
            1,
            dilation,
        )
        forward = plan.geometry.axes
        out_pad = int_tuple(p.get("output_padding", 0), n, "output_padding", fop)
        extra = f", output_padding {same(out_pad)}" if any(out_pad) else ""
    else:
        if "output_padding" in p:
            raise TypeError(
                f"animate({op!r}): output_padding is PyTorch's; with convention='tf' use output_shape"
            )
        forward = _tf_transpose_axes(
            op, sizes, kernel, stride, dilation, p.get("padding", "valid"), p.get("output_shape")
        )
        extra = f", output_shape {dims(tuple(a.size for a in forward))}"
    canvases = _canvases(op, p, input, [a.direct_view() for a in forward])
    out_sizes = tuple(a.size for a in forward)
    in_values = out_values = weights = None
    if p["values"]:
        in_values, kernel_values = _seeded_values(p["seed"], sizes, kernel)
        weights = np.flip(kernel_values)  # the direct view reads the flipped kernel
        out_values = _transpose_values(fop, in_values, kernel_values, forward, stride, dilation)
    pads = tuple(a.pad for a in forward)
    resolved = {
        "input": sizes,
        "kernel_size": kernel,
        "stride": stride,
        "padding": pads,
        "dilation": dilation,
        "output_size": out_sizes,
        "convention": convention,
    }
    zeros = same(tuple(s - 1 for s in stride))
    return _assemble(
        op,
        n,
        resolved,
        canvases,
        in_values,
        out_values,
        weights,
        name=fop,
        subtitle=_describe(kernel, stride, pads, dilation, convention, extra)
        + f"; drawn as a convolution of the input with {zeros} zero(s) inserted, flipped kernel",
        footprint_label="flipped kernel taps",
        verb="gathers",
    )


def _tf_transpose_axes(
    op: str,
    sizes: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    padding: Any,
    output_shape: Any,
) -> tuple[Axis, ...]:
    """The forward axes of TensorFlow's conv_transpose for ``output_shape`` (checked as TF checks it)."""
    if not isinstance(padding, str) or padding.upper() not in ("SAME", "VALID"):
        raise ValueError(
            f"animate({op!r}): with convention='tf', padding must be 'same' or 'valid', "
            f"got padding={padding!r}"
        )
    if any(d > 1 for d in dilation):
        # Conv2DBackpropInput on CPU: "Current CPU implementations do not yet support dilation rates"
        raise ValueError(
            f"animate({op!r}): TensorFlow's conv_transpose refuses dilation > 1 on CPU, "
            f"got dilation={dilation}"
        )
    n = len(sizes)
    spans = tuple(Axis(1, k, dilation=d).span for k, d in zip(kernel, dilation))
    accepted = [tf_transpose_sizes(i, sp, s, padding) for i, sp, s in zip(sizes, spans, stride)]
    if output_shape is None:
        # Keras's choice: the largest SAME size, the smallest VALID one
        wanted = tuple(r[-1] if padding.upper() == "SAME" else r[0] for r in accepted)
    else:
        wanted = int_tuple(output_shape, n, "output_shape", op)
    for axis, (o, ok) in enumerate(zip(wanted, accepted)):
        if o not in ok:
            raise ValueError(
                f"animate({op!r}): output_shape={output_shape!r} is not one TensorFlow accepts for input "
                f"{sizes} (axis {axis}: {o} not in {list(ok)})"
            )
    pads = resolve_padding(padding.lower(), wanted, spans, stride, SameConvention.TF)
    return tuple(Axis(o, k, s, d, pad) for o, k, s, d, pad in zip(wanted, kernel, stride, dilation, pads))


def _transpose_values(
    fop: str,
    x: np.ndarray,
    w: np.ndarray,
    forward: tuple[Axis, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
) -> np.ndarray:
    """The transposed convolution computed by convscope.functional, cropped as the padding says.

    ``conv_transpose`` without padding gives the full output; padding
    ``(low, high)`` crops ``low`` cells at the start (cells past the full
    output, from output_padding or a TF output_shape, receive zero).
    """
    full = getattr(F, fop)(x[None, None], w[None, None], None, stride, 0, 0, 1, dilation)[0, 0]
    out = np.zeros(tuple(a.size for a in forward))
    src = tuple(slice(a.pad[0], min(a.pad[0] + a.size, full.shape[i])) for i, a in enumerate(forward))
    dst = tuple(slice(0, s.stop - s.start) for s in src)
    out[dst] = full[src]
    return out


# -- pooling ---------------------------------------------------------------------------------------
def _pool_axes(
    op: str, fop: str, sizes: tuple[int, ...], p: dict[str, Any], convention: str
) -> tuple[Axis, ...]:
    n = len(sizes)
    if convention == "torch":
        return pool_axes(
            fop,
            sizes,
            p["kernel_size"],
            p.get("stride"),
            p.get("padding", 0),
            p.get("dilation", 1),
            bool(p.get("ceil_mode", False)),
        )
    if p.get("ceil_mode") or p.get("dilation", 1) != 1:
        raise ValueError(
            f"animate({op!r}): TensorFlow pooling has no ceil_mode or dilation, got "
            f"ceil_mode={p.get('ceil_mode')!r}, dilation={p.get('dilation')!r}"
        )
    kernel = positive(int_tuple(p["kernel_size"], n, "kernel_size", fop), "kernel_size", fop)
    stride = (
        kernel
        if p.get("stride") is None
        else positive(int_tuple(p["stride"], n, "stride", fop), "stride", fop)
    )
    padding = p.get("padding", "valid")
    if not isinstance(padding, str):
        raise ValueError(
            f"animate({op!r}): with convention='tf', padding must be 'same' or 'valid', "
            f"got padding={padding!r}"
        )
    pads = _tf_pairs(op, padding, sizes, kernel, stride)
    axes = tuple(Axis(i, k, s, 1, pad) for i, k, s, pad in zip(sizes, kernel, stride, pads))
    if any(a.out_size < 1 for a in axes):
        raise ValueError(
            f"animate({op!r}): input {sizes} is smaller than kernel_size={kernel} with VALID padding"
        )
    return axes


def _torch_pad(pads: tuple[tuple[int, int], ...]) -> list[int]:
    """(low, high) pairs per axis as torch.nn.functional.pad's last-axis-first list."""
    return [v for pair in reversed(pads) for v in pair]


def pool(kind: str, input: Any, **params: Any) -> Animation:
    op = f"{kind}_pool"
    allowed = ["kernel_size", "stride", "padding", "ceil_mode", "convention"]
    allowed += ["dilation"] if kind == "max" else ["count_include_pad"]
    p = A.take(op, params, allowed)
    sizes = A.sizes(op, input)
    n = len(sizes)
    fop = f"{op}{n}d"
    A.required(op, p, "kernel_size", ("stride", "padding", "dilation"))
    convention = A.convention(op, p.get("convention", "torch"))
    axes = _pool_axes(op, fop, sizes, p, convention)
    canvases = _canvases(op, p, input, axes)
    kernel = tuple(a.kernel for a in axes)
    stride = tuple(a.stride for a in axes)
    pads = tuple(a.pad for a in axes)
    dilation = tuple(a.dilation for a in axes)
    include = bool(p.get("count_include_pad", True)) and convention == "torch"
    in_values = out_values = None
    marked = None
    if p["values"]:
        in_values, _ = _seeded_values(p["seed"], sizes)
        x = in_values[None, None]
        if kind == "max":
            marked_flat, out_values = _max_values(fop, x, axes, convention)
            marked = [np.array([m]) for m in marked_flat.ravel()]
        else:
            out_values = _avg_values(fop, x, axes, convention, include)
    resolved: dict[str, Any] = {
        "input": sizes,
        "kernel_size": kernel,
        "stride": stride,
        "padding": pads,
        "ceil_mode": any(a.ceil_mode for a in axes),
        "convention": convention,
    }
    extra = ""
    if kind == "max":
        resolved["dilation"] = dilation
    else:
        resolved["count_include_pad"] = include
        extra = ", padding counted" if include and any(any(pr) for pr in pads) else ""
    if resolved["ceil_mode"]:
        extra += ", ceil_mode"
    return _assemble(
        op,
        n,
        resolved,
        canvases,
        in_values,
        out_values,
        None,
        name=fop,
        subtitle=_describe(kernel, stride, pads, dilation, convention, extra),
        footprint_label="window",
        verb="pools",
        marked=marked,
        fill=float("nan") if kind == "max" else 0.0,
    )


def _max_values(
    fop: str, x: np.ndarray, axes: tuple[Axis, ...], convention: str
) -> tuple[np.ndarray, np.ndarray]:
    """Max-pooled values and the flat input index of each maximum (torch's indices)."""
    kernel = tuple(a.kernel for a in axes)
    stride = tuple(a.stride for a in axes)
    if convention == "torch":
        out, index = getattr(F, fop)(
            x,
            kernel,
            stride,
            tuple(a.pad[0] for a in axes),
            tuple(a.dilation for a in axes),
            axes[0].ceil_mode,
            True,
        )
        return index[0, 0], out[0, 0]
    pads = tuple(a.pad for a in axes)
    padded = F.pad(x, _torch_pad(pads), value=float("-inf"))
    out, index = getattr(F, fop)(padded, kernel, stride, 0, 1, False, True)
    coords = np.unravel_index(index[0, 0], padded.shape[2:])
    real = np.ravel_multi_index(tuple(c - pad[0] for c, pad in zip(coords, pads)), x.shape[2:])
    return real, out[0, 0]


def _avg_values(
    fop: str, x: np.ndarray, axes: tuple[Axis, ...], convention: str, include: bool
) -> np.ndarray:
    kernel = tuple(a.kernel for a in axes)
    stride = tuple(a.stride for a in axes)
    if convention == "torch":
        out = getattr(F, fop)(x, kernel, stride, tuple(a.pad[0] for a in axes), axes[0].ceil_mode, include)
        result: np.ndarray = out[0, 0]
        return result
    # TensorFlow averages over the real cells of each window only
    pads = _torch_pad(tuple(a.pad for a in axes))
    sums = getattr(F, fop)(F.pad(x, pads), kernel, stride, divisor_override=1)
    counts = getattr(F, fop)(F.pad(np.ones_like(x), pads), kernel, stride, divisor_override=1)
    quotient: np.ndarray = (sums / counts)[0, 0]
    return quotient
