"""The output shape of any operator of the family, per axis, with its formula written out.

:func:`shape_report` answers "what size comes out, and why" for every window
and resampling operator, under PyTorch's or TensorFlow's convention, as one
frozen :class:`ShapeReport`: resolved ``(low, high)`` padding, kernel, stride,
dilation and ``output_padding`` per axis, the formula with the numbers
substituted, and, for transposed operators, every size the same input can
produce. The command line (``convscope shape``), ``convscope animate`` and the
web explorer render it; ``to_dict()`` is its JSON form.

Every number is asked of the geometry core (:class:`~convscope.core.Axis`,
:func:`~convscope.core.resolve_padding`, :func:`~convscope.core.tf_window_size`,
:func:`~convscope.core.tf_transpose_sizes`, :func:`~convscope.core.scaled_size`)
or of :mod:`.sizes`; formulas here are text written from those numbers.
Arguments are torch's names (``kernel_size``, ``stride``, ``padding``,
``dilation``, ``output_padding``, ``ceil_mode``, ``output_size``, ``size``,
``scale_factor``, ``mode``, ``align_corners``, ``recompute_scale_factor``,
``upscale_factor``, ``downscale_factor``), plus ``output_shape`` for
TensorFlow's transposed convolution. Refusals are the operators' own
(``ValueError``/``TypeError`` naming the argument).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..core import (
    Axis,
    SameConvention,
    adaptive_output_sizes,
    interpolate_sizes,
    pixel_shuffle_factor,
    pixel_unshuffle_factor,
    same_pad_total,
    split_same,
    tf_transpose_sizes,
    tf_window_size,
    unpool_output_sizes,
)
from ..core.window import is_int as _is_int
from .sizes import (
    _conv_axes,
    _kernel_stride_dilation,
    _pairs,
    _per_axis,
    _pool_axes,
    _spans,
    _transposed_axes,
    transpose_output_sizes,
)

__all__ = ["OPS", "TF_OPS", "Alternative", "AxisShape", "ShapeReport", "shape_parameters", "shape_report"]

#: The operators configured by a kernel_size (windows and their unpooling inverses), named alike everywhere.
KernelOp = Literal["conv", "conv_transpose", "max_pool", "avg_pool", "max_unpool", "avg_unpool"]
Op = Literal[
    KernelOp,
    "interpolate",
    "adaptive_avg_pool",
    "adaptive_max_pool",
    "pixel_shuffle",
    "pixel_unshuffle",
    "deform_conv",
]
Convention = Literal["torch", "tf"]

_REQUIRED = object()

#: Each operator's arguments (torch's names) and their defaults; ``None`` padding is the convention's
#: default (0 for torch, 'VALID' for TensorFlow).
_PARAMS: dict[str, dict[str, Any]] = {
    "conv": {"kernel_size": _REQUIRED, "stride": 1, "padding": None, "dilation": 1},
    "conv_transpose": {
        "kernel_size": _REQUIRED,
        "stride": 1,
        "padding": None,
        "output_padding": 0,
        "dilation": 1,
        "output_shape": None,
    },
    "max_pool": {
        "kernel_size": _REQUIRED,
        "stride": None,
        "padding": None,
        "dilation": 1,
        "ceil_mode": False,
    },
    "avg_pool": {
        "kernel_size": _REQUIRED,
        "stride": None,
        "padding": None,
        "ceil_mode": False,
        "count_include_pad": True,
        "divisor_override": None,
    },
    "max_unpool": {"kernel_size": _REQUIRED, "stride": None, "padding": 0, "output_size": None},
    "avg_unpool": {"kernel_size": _REQUIRED, "stride": None, "padding": 0, "output_size": None},
    "interpolate": {
        "size": None,
        "scale_factor": None,
        "mode": "nearest",
        "align_corners": None,
        "recompute_scale_factor": None,
        "antialias": False,
    },
    "adaptive_avg_pool": {"output_size": _REQUIRED},
    "adaptive_max_pool": {"output_size": _REQUIRED},
    "pixel_shuffle": {"upscale_factor": _REQUIRED, "in_channels": None},
    "pixel_unshuffle": {"downscale_factor": _REQUIRED, "in_channels": None},
    "deform_conv": {"kernel_size": _REQUIRED, "stride": 1, "padding": 0, "dilation": 1},
}
#: The operator names :func:`shape_report` takes.
OPS: tuple[str, ...] = tuple(_PARAMS)
#: The operators with a TensorFlow convention.
TF_OPS: tuple[str, ...] = ("conv", "conv_transpose", "max_pool", "avg_pool")


@dataclass(frozen=True)
class Alternative:
    """Another output size the same input reaches, through ``output_padding`` or TF's ``output_shape``.

    ``padding`` is the ``(low, high)`` crop (torch) or the forward convolution's padding TensorFlow
    uses for that size; ``output_padding`` the extra high cells (for TensorFlow the equivalent torch
    ``output_padding``; for unpooling the offset from the default size, possibly negative).
    """

    size: int
    output_padding: int
    padding: tuple[int, int]


@dataclass(frozen=True)
class AxisShape:
    """One spatial axis of a :class:`ShapeReport`; fields that do not apply to the operator are None."""

    name: str
    input: int
    output: int
    formula: str
    kernel: int | None = None
    stride: int | None = None
    dilation: int | None = None
    padding: tuple[int, int] | None = None
    output_padding: int | None = None
    scale_factor: float | None = None
    alternatives: tuple[Alternative, ...] = ()


@dataclass(frozen=True)
class ShapeReport:
    """What :func:`shape_report` found: sizes, per-axis geometry and formulas of one operator call.

    Attributes
    ----------
    op, convention : str
    input, output : tuple of int
        Spatial sizes.
    axes : tuple of AxisShape
    options : tuple of (name, value)
        Operator-wide options after defaults (``ceil_mode``, ``mode``, ``align_corners``, ...).
    channels : (in, out) or None
        Pixel (un)shuffle with ``in_channels`` given: how the channel count changes.
    notes : tuple of str
        The rule behind the numbers, in words (TF SAME, ceil_mode, align_corners, ...).
    """

    op: str
    convention: str
    input: tuple[int, ...]
    output: tuple[int, ...]
    axes: tuple[AxisShape, ...]
    options: tuple[tuple[str, Any], ...] = ()
    channels: tuple[int, int] | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def formulas(self) -> tuple[str, ...]:
        return tuple(a.formula for a in self.axes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data: lists for tuples, ``options`` as an object.

        Examples
        --------
        >>> shape_report("max_pool", (5,), kernel_size=2).to_dict()["axes"][0]["formula"]
        'L_out = floor((5 + 2*0 - 1*(2-1) - 1)/2) + 1 = 2'
        """
        return {
            "op": self.op,
            "convention": self.convention,
            "input": list(self.input),
            "output": list(self.output),
            "options": {name: _plain(value) for name, value in self.options},
            "channels": None if self.channels is None else list(self.channels),
            "axes": [
                {
                    "name": a.name,
                    "input": a.input,
                    "kernel": a.kernel,
                    "stride": a.stride,
                    "dilation": a.dilation,
                    "padding": None if a.padding is None else list(a.padding),
                    "output_padding": a.output_padding,
                    "scale_factor": a.scale_factor,
                    "output": a.output,
                    "formula": a.formula,
                    "alternatives": [
                        {"size": c.size, "output_padding": c.output_padding, "padding": list(c.padding)}
                        for c in a.alternatives
                    ],
                }
                for a in self.axes
            ],
            "notes": list(self.notes),
        }

    def _repr_html_(self) -> str | None:
        """Notebook view, drawn by :mod:`convscope.viz` (imported here: arith does not depend on it)."""
        from convscope.viz import notebook_html

        return notebook_html(self)


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


# -- helpers ------------------------------------------------------------------------
def _names(n: int) -> tuple[str, ...]:
    return {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}.get(n, tuple(f"X{i + 1}" for i in range(n)))


def _pad_text(lo: int, hi: int) -> str:
    return f"2*{lo}" if lo == hi else f"{lo} + {hi}"


def _window_formula(name: str, ax: Axis, out: int, rounding: str = "floor") -> str:
    lo, hi = ax.pad
    body = f"({ax.size} + {_pad_text(lo, hi)} - {ax.dilation}*({ax.kernel}-1) - 1"
    if out != ax.out_size and rounding == "floor":  # TensorFlow truncates a negative numerator to 0
        return f"{name}_out = trunc({body} + {ax.stride})/{ax.stride}) = {out}"
    return f"{name}_out = {rounding}({body})/{ax.stride}) + 1 = {out}"


def _window_axis(name: str, ax: Axis, out: int, rounding: str = "floor") -> AxisShape:
    return AxisShape(
        name,
        ax.size,
        out,
        _window_formula(name, ax, out, rounding),
        ax.kernel,
        ax.stride,
        ax.dilation,
        ax.pad,
    )


def _check_ndim(op: str, sizes: tuple[int, ...], allowed: Sequence[int]) -> None:
    if len(sizes) not in allowed:
        wanted = " or ".join(str(n) for n in allowed)
        raise ValueError(f"{op}: input has {len(sizes)} spatial axes {sizes}, expected {wanted}")


def _flag(op: str, name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{op}: {name} must be a bool, got {name}={value!r}")
    return value


def _report(
    op: str,
    convention: str,
    sizes: tuple[int, ...],
    axes: Sequence[AxisShape],
    options: Mapping[str, Any] | None = None,
    notes: Sequence[str] = (),
    channels: tuple[int, int] | None = None,
) -> ShapeReport:
    return ShapeReport(
        op,
        convention,
        sizes,
        tuple(a.output for a in axes),
        tuple(axes),
        tuple((options or {}).items()),
        channels,
        tuple(notes),
    )


# -- PyTorch ---------------------------------------------------------------------------
def _torch_conv(op: str, sizes: tuple[int, ...], p: dict[str, Any]) -> ShapeReport:
    _check_ndim(op, sizes, (1, 2, 3))
    padding = 0 if p["padding"] is None else p["padding"]
    axes, _ = _conv_axes(op, sizes, p["kernel_size"], p["stride"], padding, p["dilation"])
    notes = []
    if isinstance(padding, str) and padding.lower() == "same":
        notes.append(
            "torch 'same' (stride 1 only): total padding d*(k-1), an odd total puts the extra cell high"
        )
    return _report(
        op,
        "torch",
        sizes,
        [_window_axis(n, a, a.out_size) for n, a in zip(_names(len(sizes)), axes)],
        notes=notes,
    )


def _deform_conv(op: str, sizes: tuple[int, ...], p: dict[str, Any]) -> ShapeReport:
    _check_ndim(op, sizes, (2,))
    if isinstance(p["padding"], str):
        raise TypeError(
            f"{op}: padding must be an int or a pair of ints (torchvision), got padding={p['padding']!r}"
        )
    pad = _per_axis(op, "padding", p["padding"], 2, 0)  # symmetric only, as torchvision
    axes, _ = _conv_axes(op, sizes, p["kernel_size"], p["stride"], pad, p["dilation"])
    notes = [
        "deformable convolution: the output grid of the plain convolution; offsets move taps, not the grid"
    ]
    return _report(
        op, "torch", sizes, [_window_axis(n, a, a.out_size) for n, a in zip(_names(2), axes)], notes=notes
    )


def _torch_conv_transpose(op: str, sizes: tuple[int, ...], p: dict[str, Any]) -> ShapeReport:
    _check_ndim(op, sizes, (1, 2, 3))
    if p["output_shape"] is not None:
        raise TypeError(
            f"{op}: output_shape is TensorFlow's argument (convention='tf'); with convention='torch' "
            f"choose the size with output_padding, got output_shape={p['output_shape']!r}"
        )
    padding = 0 if p["padding"] is None else p["padding"]
    kernel, stride, dilation, out_pad = p["kernel_size"], p["stride"], p["dilation"], p["output_padding"]
    axes, _ = _transposed_axes(op, sizes, kernel, stride, padding, out_pad, dilation)
    if any(a.size < 1 for a in axes):
        raise ValueError(
            f"{op}: output size {tuple(a.size for a in axes)} is too small (input {sizes}, "
            f"kernel_size={kernel!r}, padding={padding!r} crops everything)"
        )
    n = len(sizes)
    kernels, strides, dils = _kernel_stride_dilation(op, kernel, stride, dilation, n)
    qs = _per_axis(op, "output_padding", out_pad, n, 0)
    pairs = _pairs(op, padding, sizes, _spans(kernels, dils), strides, False, allow_strings=False)
    choices = transpose_output_sizes(sizes, kernels, strides, pairs, dils)
    records = []
    for name, i, k, s, d, (lo, hi), q, ax, alts in zip(
        _names(n), sizes, kernels, strides, dils, pairs, qs, axes, choices
    ):
        crop = f"2*{lo}" if lo == hi else f"({lo} + {hi})"
        formula = f"{name}_out = ({i}-1)*{s} - {crop} + {d}*({k}-1) + {q} + 1 = {ax.size}"
        records.append(
            AxisShape(
                name,
                i,
                ax.size,
                formula,
                k,
                s,
                d,
                (lo, hi),
                q,
                alternatives=tuple(Alternative(size, c, (lo, hi)) for size, c in alts),
            )
        )
    notes = ["output_padding (0 <= output_padding < max(stride, dilation)) adds cells on the high side"]
    return _report(op, "torch", sizes, records, notes=notes)


def _torch_pool(op: str, sizes: tuple[int, ...], p: dict[str, Any]) -> ShapeReport:
    _check_ndim(op, sizes, (1, 2, 3))
    ceil_mode = _flag(op, "ceil_mode", p["ceil_mode"])
    padding = 0 if p["padding"] is None else p["padding"]
    options: dict[str, Any] = {"ceil_mode": ceil_mode}
    if op == "avg_pool":
        options["count_include_pad"] = _flag(op, "count_include_pad", p["count_include_pad"])
        override = p["divisor_override"]
        if override is not None and not _is_int(override):
            raise TypeError(
                f"{op}: divisor_override must be an int or None, got divisor_override={override!r}"
            )
        if override == 0:
            raise ValueError(f"{op}: divisor_override must be non-zero, got divisor_override=0")
        options["divisor_override"] = override
    axes, _ = _pool_axes(op, sizes, p["kernel_size"], p["stride"], padding, p.get("dilation", 1), ceil_mode)
    if op == "avg_pool" and len(sizes) == 3 and any(a.size < a.kernel for a in axes):  # torch's 3-d rule
        raise ValueError(
            f"{op}: input of spatial size {sizes} is smaller than "
            f"kernel_size={tuple(a.kernel for a in axes)} (avg_pool3d refuses it)"
        )
    rounding = "ceil" if ceil_mode else "floor"
    notes = (
        ["ceil_mode: a last window that would start past the input and low padding is dropped"]
        if ceil_mode
        else []
    )
    return _report(
        op,
        "torch",
        sizes,
        [_window_axis(n, a, a.out_size, rounding) for n, a in zip(_names(len(sizes)), axes)],
        options,
        notes,
    )


def _unpool(op: str, sizes: tuple[int, ...], p: dict[str, Any]) -> ShapeReport:
    _check_ndim(op, sizes, (1, 2, 3))
    n = len(sizes)
    kernel = _per_axis(op, "kernel_size", p["kernel_size"], n, 1)
    stride = kernel if p["stride"] is None else _per_axis(op, "stride", p["stride"], n, 1)
    pad = _per_axis(op, "padding", p["padding"], n, 0)
    wanted = p["output_size"]
    default, outs = unpool_output_sizes(op, sizes, kernel, stride, pad, wanted)
    records = []
    for name, i, k, s, q, base, o in zip(_names(n), sizes, kernel, stride, pad, default, outs):
        extra = "" if o == base else f" {'+' if o > base else '-'} {abs(o - base)}"
        formula = f"{name}_out = ({i}-1)*{s} - 2*{q} + {k}{extra} = {o}"
        alts = tuple(Alternative(size, size - base, (q, q)) for size in range(max(base - s + 1, 0), base + s))
        records.append(AxisShape(name, i, o, formula, k, s, None, (q, q), o - base, alternatives=alts))
    notes = [
        "unpooling has the geometry of a transposed convolution; output_size may move each size by "
        "less than one stride"
    ]
    return _report(
        op, "torch", sizes, records, {"output_size": None if wanted is None else tuple(outs)}, notes
    )


def _interpolate(op: str, sizes: tuple[int, ...], p: dict[str, Any]) -> ShapeReport:
    mode, size, factor = p["mode"], p["size"], p["scale_factor"]
    align, recompute, antialias = p["align_corners"], p["recompute_scale_factor"], p["antialias"]
    _flag(op, "antialias", antialias)
    call = interpolate_sizes(sizes, size, factor, mode, align, recompute, antialias)
    names = _names(len(sizes))
    outs = call.out_sizes
    if call.scale_factors is None:
        formulas = [f"{name}_out = size = {o}" for name, o in zip(names, outs)]
    else:
        formulas = [
            f"{name}_out = floor({i} * {f:g}) = {o}"
            for name, i, f, o in zip(names, sizes, call.scale_factors, outs)
        ]
    scales = call.scale_factors or (None,) * len(sizes)
    notes = [_coordinates_note(mode, align, recompute, size is not None)]
    records = [
        AxisShape(name, i, o, f, scale_factor=s)
        for name, i, o, f, s in zip(names, sizes, outs, formulas, scales)
    ]
    options = {
        "mode": mode,
        "align_corners": align,
        "recompute_scale_factor": recompute,
        "antialias": antialias,
    }
    return _report(op, "torch", sizes, records, options, notes)


def _coordinates_note(mode: str, align: bool | None, recompute: bool | None, sized: bool) -> str:
    if mode == "area":
        return "area: adaptive average pooling, output o averages input [floor(o*i/out), ceil((o+1)*i/out))"
    if mode == "nearest":
        return "nearest (torch's legacy rule): output o copies input floor(o * scale), scale = i/out"
    if mode == "nearest-exact":
        return "nearest-exact: output o copies input floor((o + 0.5) * scale)"
    if align:
        return "align_corners=True: corner pixel centres coincide, source = o * (i-1)/(out-1)"
    scale = "i/out" if sized or recompute else "1/scale_factor"
    return f"align_corners=False: pixel areas coincide, source = (o + 0.5) * {scale} - 0.5"


def _adaptive(op: str, sizes: tuple[int, ...], p: dict[str, Any]) -> ShapeReport:
    _check_ndim(op, sizes, (1, 2, 3))
    n = len(sizes)
    outs = adaptive_output_sizes(op, sizes, p["output_size"])
    records = [
        AxisShape(name, i, o, f"{name}_out = output_size = {o}") for name, i, o in zip(_names(n), sizes, outs)
    ]
    notes = [
        "adaptive window o reads input [floor(o*i/out), ceil((o+1)*i/out)): lengths vary, windows may overlap"
    ]
    return _report(op, "torch", sizes, records, {"output_size": outs}, notes)


def _pixel(op: str, sizes: tuple[int, ...], p: dict[str, Any]) -> ShapeReport:
    _check_ndim(op, sizes, (2,))
    name = "upscale_factor" if op == "pixel_shuffle" else "downscale_factor"
    channels = p["in_channels"]
    if channels is not None and (not _is_int(channels) or channels < 1):
        raise ValueError(f"{op}: in_channels must be a positive int, got in_channels={channels!r}")
    if op == "pixel_shuffle":
        r = pixel_shuffle_factor(p[name], channels)
    else:
        r = pixel_unshuffle_factor(p[name], *sizes)
    records = []
    if op == "pixel_shuffle":
        # sub-pixel convolution: a stride-r transposed window of r taps, which tiles without overlap
        for axis_name, i in zip(_names(2), sizes):
            o = Axis.transposed(i, r, r).size
            records.append(AxisShape(axis_name, i, o, f"{axis_name}_out = {i} * {r} = {o}", r, r, 1, (0, 0)))
        pair = None if channels is None else (channels, channels // (r * r))
        note = f"channel c*{r * r} + i*{r} + j at (h, w) moves to (h*{r} + i, w*{r} + j) of channel c"
    else:
        for axis_name, i in zip(_names(2), sizes):
            o = Axis(i, r, r).out_size  # r x r blocks, stride r
            records.append(AxisShape(axis_name, i, o, f"{axis_name}_out = {i} / {r} = {o}", r, r, 1, (0, 0)))
        pair = None if channels is None else (channels, channels * r * r)
        note = f"each {r}x{r} block becomes {r * r} channels (the inverse of pixel_shuffle)"
    return _report(op, "torch", sizes, records, {name: int(r)}, [note], pair)


# -- TensorFlow ------------------------------------------------------------------------
def _tf_name(op: str, n: int) -> str:
    return {
        "conv": f"tf.nn.conv{n}d",
        "conv_transpose": f"tf.nn.conv{n}d_transpose",
        "max_pool": f"tf.nn.max_pool{n}d",
        "avg_pool": f"tf.nn.avg_pool{n}d",
    }[op]


def _tf_padding(
    op: str, padding: Any, sizes: tuple[int, ...], explicit_ranks: Sequence[int]
) -> str | tuple[tuple[int, int], ...]:
    """``'SAME'``, ``'VALID'`` or explicit ``(low, high)`` pairs, where TensorFlow's operator takes them."""
    if padding is None:
        return "VALID"
    if isinstance(padding, str):
        word = padding.upper()
        if word not in ("SAME", "VALID"):
            raise ValueError(
                f"{op}: padding={padding!r} is not 'SAME', 'VALID' or explicit (low, high) pairs"
            )
        return word
    n = len(sizes)
    if n not in explicit_ranks:
        raise ValueError(
            f"{op}: {_tf_name(op, n)} takes padding 'SAME' or 'VALID' only (explicit padding: "
            f"{' and '.join(_tf_name(op, r) for r in explicit_ranks) or 'none'}), got padding={padding!r}"
        )
    ones = (1,) * n
    return _pairs(op, padding, sizes, ones, ones, False, allow_strings=False)


def _tf_same(
    sizes: Sequence[int], spans: Sequence[int], strides: Sequence[int]
) -> tuple[tuple[int, int], ...]:
    return tuple(
        split_same(same_pad_total(i, span, s, SameConvention.TF), SameConvention.TF)
        for i, span, s in zip(sizes, spans, strides)
    )


_TF_SAME_NOTE = (
    "TensorFlow SAME: ceil(i/s) outputs; total padding max((ceil(i/s)-1)*s + d*(k-1) + 1 - i, 0), "
    "an odd total puts the extra cell high (bottom/right)"
)


def _tf_windows(
    op: str,
    sizes: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    padding: str | tuple[tuple[int, int], ...],
) -> list[AxisShape]:
    if isinstance(padding, str):
        same = padding == "SAME"
        pairs = _tf_same(sizes, _spans(kernel, dilation), stride) if same else ((0, 0),) * len(sizes)
    else:
        pairs = padding
    records = []
    for name, i, k, s, d, pad in zip(_names(len(sizes)), sizes, kernel, stride, dilation, pairs):
        ax = Axis(i, k, s, d, pad)
        try:
            out = tf_window_size(i, ax.span, s, ax.pad)
        except ValueError as error:
            raise ValueError(
                f"{op}: kernel_size={kernel} does not fit input {sizes} on axis {name}: {error}"
            ) from None
        records.append(_window_axis(name, ax, out))
    return records


def _tf_conv(op: str, sizes: tuple[int, ...], p: dict[str, Any]) -> ShapeReport:
    _check_ndim(op, sizes, (1, 2, 3))
    n = len(sizes)
    kernel, stride, dilation = _kernel_stride_dilation(op, p["kernel_size"], p["stride"], p["dilation"], n)
    if n == 3 and any(d > 1 for d in dilation):
        raise ValueError(
            f"{op}: TensorFlow's CPU tf.nn.conv3d supports only dilation 1, got dilation={p['dilation']!r}"
        )
    padding = _tf_padding(op, p["padding"], sizes, (2,))
    records = _tf_windows(op, sizes, kernel, stride, dilation, padding)
    notes = [_TF_SAME_NOTE] if padding == "SAME" else []
    if any(r.output == 0 for r in records):
        notes.append(
            "TensorFlow truncates toward zero: a kernel overhanging by less than a stride gives 0 outputs"
        )
    return _report(
        op, "tf", sizes, records, {"padding": padding if isinstance(padding, str) else "EXPLICIT"}, notes
    )


def _tf_pool(op: str, sizes: tuple[int, ...], p: dict[str, Any]) -> ShapeReport:
    _check_ndim(op, sizes, (1, 2, 3))
    n = len(sizes)
    for name, default in (
        ("dilation", 1),
        ("ceil_mode", False),
        ("count_include_pad", True),
        ("divisor_override", None),
    ):
        if name in p and p[name] != default:
            raise ValueError(f"{op}: TensorFlow's {_tf_name(op, n)} has no {name}, got {name}={p[name]!r}")
    kernel = _per_axis(op, "kernel_size", p["kernel_size"], n, 1)
    stride = kernel if p["stride"] is None else _per_axis(op, "stride", p["stride"], n, 1)
    padding = _tf_padding(op, p["padding"], sizes, (1, 2) if op == "max_pool" else ())
    if not isinstance(padding, str):
        for k, (lo, hi) in zip(kernel, padding):
            if lo >= k or hi >= k:
                raise ValueError(
                    f"{op}: padding {(lo, hi)} needs to be smaller than the window size {k} on each side "
                    f"(TensorFlow's rule), got padding={p['padding']!r}"
                )
    records = _tf_windows(op, sizes, kernel, stride, (1,) * n, padding)
    notes = [_TF_SAME_NOTE] if padding == "SAME" else []
    if padding == "SAME" and op == "avg_pool":
        notes.append("TensorFlow's SAME average divides by the real cells only (padding excluded)")
    return _report(
        op, "tf", sizes, records, {"padding": padding if isinstance(padding, str) else "EXPLICIT"}, notes
    )


def _tf_conv_transpose(op: str, sizes: tuple[int, ...], p: dict[str, Any]) -> ShapeReport:
    _check_ndim(op, sizes, (1, 2, 3))
    n = len(sizes)
    if p["output_padding"] != 0:
        raise TypeError(
            f"{op}: output_padding is PyTorch's; TensorFlow chooses the size with output_shape, "
            f"got output_padding={p['output_padding']!r}"
        )
    kernel, stride, dilation = _kernel_stride_dilation(op, p["kernel_size"], p["stride"], p["dilation"], n)
    if any(d > 1 for d in dilation):
        raise ValueError(
            f"{op}: TensorFlow's CPU {_tf_name(op, n)} supports only dilation 1, "
            f"got dilation={p['dilation']!r}"
        )
    padding = _tf_padding(op, p["padding"], sizes, (2,))
    spans = _spans(kernel, dilation)
    specs: list[str | tuple[int, int]] = [padding] * n if isinstance(padding, str) else list(padding)
    accepted = [tf_transpose_sizes(i, span, s, spec) for i, span, s, spec in zip(sizes, spans, stride, specs)]
    ranges = ", ".join(f"{name} {_range_text(r)}" for name, r in zip(_names(n), accepted))
    wanted = p["output_shape"]
    if wanted is None:
        raise TypeError(f"{op}: TensorFlow needs output_shape (spatial sizes); this input accepts {ranges}")
    outs = _per_axis(op, "output_shape", wanted, n, 0)
    if any(o not in r for o, r in zip(outs, accepted)):
        raise ValueError(
            f"{op}: output_shape={tuple(outs)} is not one TensorFlow accepts for input {sizes}: {ranges}"
        )

    def pads(o: int, i: int, k: int, s: int, spec: str | tuple[int, int]) -> tuple[tuple[int, int], int]:
        if isinstance(spec, str):
            pair = _tf_same((o,), (k,), (s,))[0] if spec == "SAME" else (0, 0)
        else:
            pair = spec
        return pair, o - Axis.transposed(i, k, s, pair).size

    records = []
    for name, i, k, s, spec, r, o in zip(_names(n), sizes, kernel, stride, specs, accepted, outs):
        (lo, hi), q = pads(o, i, k, s, spec)
        crop = f"2*{lo}" if lo == hi else f"({lo} + {hi})"
        formula = f"{name}_out = ({i}-1)*{s} - {crop} + 1*({k}-1) + {q} + 1 = {o}"
        alts = []
        for size in r:
            pair, extra = pads(size, i, k, s, spec)
            alts.append(Alternative(size, extra, pair))
        records.append(AxisShape(name, i, o, formula, k, s, 1, (lo, hi), q, alternatives=tuple(alts)))
    notes = [
        "TensorFlow runs the transposed convolution as the input gradient of the convolution from "
        "output_shape back to the input: it accepts every size that convolution maps onto the input; "
        "padding is that convolution's (low, high), output_padding the torch equivalent",
    ]
    if padding == "SAME":
        notes.append(_TF_SAME_NOTE)
    options = {"padding": padding if isinstance(padding, str) else "EXPLICIT", "output_shape": tuple(outs)}
    return _report(op, "tf", sizes, records, options, notes)


def _range_text(sizes: range) -> str:
    if len(sizes) == 0:
        return "none"
    return str(sizes.start) if len(sizes) == 1 else f"{sizes.start}..{sizes.stop - 1}"


_TORCH: dict[str, Callable[[str, tuple[int, ...], dict[str, Any]], ShapeReport]] = {
    "conv": _torch_conv,
    "conv_transpose": _torch_conv_transpose,
    "max_pool": _torch_pool,
    "avg_pool": _torch_pool,
    "max_unpool": _unpool,
    "avg_unpool": _unpool,
    "interpolate": _interpolate,
    "adaptive_avg_pool": _adaptive,
    "adaptive_max_pool": _adaptive,
    "pixel_shuffle": _pixel,
    "pixel_unshuffle": _pixel,
    "deform_conv": _deform_conv,
}
_TF: dict[str, Callable[[str, tuple[int, ...], dict[str, Any]], ShapeReport]] = {
    "conv": _tf_conv,
    "conv_transpose": _tf_conv_transpose,
    "max_pool": _tf_pool,
    "avg_pool": _tf_pool,
}


def shape_parameters(op: str) -> tuple[str, ...]:
    """The keyword arguments :func:`shape_report` takes for ``op`` (besides ``convention``).

    Examples
    --------
    >>> shape_parameters("max_pool")
    ('kernel_size', 'stride', 'padding', 'dilation', 'ceil_mode')
    """
    if op not in _PARAMS:
        raise ValueError(f"shape_parameters: op={op!r} is not one of {', '.join(OPS)}")
    return tuple(_PARAMS[op])


def shape_report(
    op: Op | str, input: int | Sequence[int], *, convention: Convention | str = "torch", **params: Any
) -> ShapeReport:
    """Output size of ``op`` on spatial ``input`` sizes, per axis, with the geometry and formula behind it.

    Parameters
    ----------
    op : str
        ``'conv'``, ``'conv_transpose'``, ``'max_pool'``, ``'avg_pool'``,
        ``'max_unpool'``, ``'avg_unpool'``, ``'interpolate'``,
        ``'adaptive_avg_pool'``, ``'adaptive_max_pool'``, ``'pixel_shuffle'``,
        ``'pixel_unshuffle'`` or ``'deform_conv'`` (see :data:`OPS`).
    input : int or sequence of int
        Spatial input sizes (``L``; ``H, W``; ``D, H, W``), without batch and channels.
    convention : {'torch', 'tf'}
        ``'tf'`` (conv, conv_transpose, max_pool, avg_pool) follows TensorFlow:
        ``padding`` is ``'SAME'``/``'VALID'`` (any case; default ``'VALID'``)
        or explicit ``(low, high)`` pairs where TensorFlow takes them (conv2d,
        conv2d_transpose, max_pool1d/2d); SAME pads to ``ceil(i / s)`` outputs
        with the extra cell high; ``conv_transpose`` needs ``output_shape``.
    **params
        The operator's arguments under torch's names: ``kernel_size``,
        ``stride``, ``padding``, ``dilation``, ``output_padding``,
        ``ceil_mode``, ``count_include_pad``, ``divisor_override`` (pools);
        ``output_size`` (unpooling, adaptive pools); ``size``,
        ``scale_factor``, ``mode``, ``align_corners``,
        ``recompute_scale_factor``, ``antialias`` (interpolate);
        ``upscale_factor`` / ``downscale_factor`` and optionally
        ``in_channels`` (pixel shuffle); ``output_shape`` (TensorFlow's
        transposed convolution, spatial sizes). A parameter given as
        ``None`` counts as not given (as in :func:`convscope.viz.animate`).

    Returns
    -------
    ShapeReport

    Raises
    ------
    ValueError, TypeError
        An unknown operator or argument, or any configuration the framework
        refuses; the message names the argument.

    Examples
    --------
    >>> r = shape_report("conv", (7, 7), kernel_size=3, stride=2, padding=1)
    >>> r.output, r.axes[0].formula
    ((4, 4), 'H_out = floor((7 + 2*1 - 1*(3-1) - 1)/2) + 1 = 4')
    >>> shape_report("conv", 5, kernel_size=2, stride=2, padding="same", convention="tf").axes[0].padding
    (0, 1)
    >>> r = shape_report("conv_transpose", 4, kernel_size=3, stride=2, padding="same",
    ...                  output_shape=7, convention="tf")
    >>> [(c.size, c.padding) for c in r.axes[0].alternatives]
    [(7, (1, 1)), (8, (0, 1))]
    >>> shape_report("interpolate", (2, 3), scale_factor=2.5, mode="bilinear").output
    (5, 7)
    """
    if op not in _PARAMS:
        raise ValueError(f"shape_report: op={op!r} is not one of {', '.join(OPS)}")
    if convention not in ("torch", "tf"):
        raise ValueError(f"shape_report: convention must be 'torch' or 'tf', got convention={convention!r}")
    if convention == "tf" and op not in _TF:
        raise ValueError(f"{op}: convention='tf' covers {', '.join(_TF)}; {op} has PyTorch's convention only")
    allowed = _PARAMS[op]
    params = {name: value for name, value in params.items() if value is not None}  # None: the default
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise TypeError(f"{op}: unexpected argument {unknown[0]!r} (it takes {', '.join(allowed)})")
    missing = [name for name, default in allowed.items() if default is _REQUIRED and name not in params]
    if missing:
        raise TypeError(f"{op}: missing required argument {missing[0]!r}")
    sizes = _input_sizes(op, input)
    values = {**allowed, **params}
    padding = values.get("padding")
    if _is_int(input) and op in ("conv", "conv_transpose") and _is_pair(padding):
        values["padding"] = [padding]  # one axis: a pair is its (low, high), as in conv_output_size
    return (_TF if convention == "tf" else _TORCH)[op](op, sizes, values)


def _input_sizes(op: str, input: Any) -> tuple[int, ...]:
    if _is_int(input):
        sizes: tuple[int, ...] = (int(input),)
    elif isinstance(input, Sequence) and not isinstance(input, str) and input and all(map(_is_int, input)):
        sizes = tuple(int(v) for v in input)
    else:
        raise TypeError(f"{op}: input must be an int or a non-empty sequence of ints, got input={input!r}")
    if any(v < 1 for v in sizes):
        raise ValueError(f"{op}: input sizes must be positive, got input={input!r}")
    return sizes


def _is_pair(value: Any) -> bool:
    return (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and len(value) == 2
        and all(map(_is_int, value))
    )
