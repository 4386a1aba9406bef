"""``tf.nn`` convolutions: ``conv1d/2d/3d``, their transposes, ``convolution``, atrous, depthwise, separable.

Every function parses TensorFlow's spelling of a call (channels-last data,
filters ``[*kernel, in_channels / groups, out_channels]``, transposed filters
``[*kernel, out_channels, in_channels]``, SAME / VALID / explicit padding) into
one :class:`~convscope.core.ConvGeometry` and runs the kernels
:mod:`convscope.functional` uses. A transposed convolution is the input
gradient of the convolution that maps ``output_shape`` back to the input
(TensorFlow's ``Conv2DBackpropInput``), with the SAME padding of that
convolution: the odd cell goes high (:class:`~convscope.core.SameConvention`).

What TensorFlow 2.21's CPU kernels do, and so does this module:

* only channels-last layouts run (``NCHW``, ``NCW`` and ``NCDHW`` are refused:
  "The Conv2D op currently only supports the NHWC tensor format on the CPU");
* ``conv2d`` and ``conv1d`` take grouped filters (input channels a multiple of
  the filter's), ``conv3d`` and the transposes do not; ``conv3d`` and every
  transpose refuse dilations above 1;
* a VALID window that overhangs the input by less than a stride gives an empty
  output (C's truncating division, :func:`~convscope.core.tf_window_size`);
* ``conv3d``'s SAME (Eigen's cuboid convolution) does not clamp the padding
  total at zero: a window smaller than its stride is centred, the low side
  cropped (:attr:`~convscope.core.SameConvention.TF_EIGEN`); ``conv2d`` clamps;
* a transposed ``output_shape`` is accepted exactly when the convolution of
  that size gives the input's size (:func:`~convscope.core.tf_transpose_sizes`);
* explicit padding (a list of ``(low, high)`` pairs, batch and channels
  included and zero there) exists for ``conv2d``, ``conv2d_transpose``,
  ``depthwise_conv2d`` and ``separable_conv2d``, and for ``atrous_conv2d`` and
  2-d ``convolution`` only when dilated; the dilated (space-to-batch) path
  ignores the batch and channel pairs;
* a channels-first call is shape-checked and returns an empty output when
  the output is empty (TensorFlow's order of checks);
* ``conv1d``, ``conv2d`` and ``atrous_conv2d`` fold extra leading batch axes;
* dtypes: float16, float32, float64, and int32 for the 2-d (and 1-d)
  convolution and transpose; the result has the input's dtype.

Deviations, all refusals of calls TensorFlow runs: mixed input and filter
dtypes (TensorFlow casts a NumPy filter to the input's dtype), non-integer
strides, rates and paddings (TensorFlow truncates ``2.5`` to ``2``), and
``depthwise_conv2d``/``separable_conv2d`` with both a stride and a dilation
above 1 (TensorFlow only warns, and its space-to-batch result is not a
strided dilated convolution).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..core import (
    Axis,
    ConvGeometry,
    SameConvention,
    conv_geometry,
    resolve_padding,
    tf_transpose_sizes,
    tf_window_size,
)
from ..functional._args import as_array
from ..kernels import conv as kernels
from ._args import (
    DATA_FORMATS,
    channels_last,
    from_channels_first,
    runs_plan,
    spatial_ints,
    to_channels_first,
)

__all__ = [
    "atrous_conv2d",
    "conv1d",
    "conv1d_transpose",
    "conv2d",
    "conv2d_transpose",
    "conv3d",
    "conv3d_transpose",
    "conv_transpose",
    "convolution",
    "depthwise_conv2d",
    "separable_conv2d",
]

Padding = Literal["SAME", "VALID"] | Sequence[Sequence[int]]
#: A resolved padding spec: ``'SAME'``, ``'VALID'`` or one ``(low, high)`` pair per spatial axis.
_Spec = str | tuple[tuple[int, int], ...]

_FLOATS = tuple(np.dtype(t) for t in (np.float16, np.float32, np.float64))
#: Conv2D and Conv2DBackpropInput are registered for int32 on the CPU; the others only for floats.
_WITH_INT32 = (*_FLOATS, np.dtype(np.int32))


# -- arguments ------------------------------------------------------------------------------


def _arrays(op: str, allowed: Sequence[np.dtype[Any]], **named: Any) -> list[np.ndarray]:
    arrays = [as_array(value, name, op) for name, value in named.items()]
    for name, array in zip(named, arrays):
        if array.dtype not in allowed:
            raise TypeError(
                f"{op}: {name} has dtype {array.dtype}; TensorFlow's kernel takes "
                f"{', '.join(str(d) for d in allowed)}"
            )
    if len({a.dtype for a in arrays}) > 1:
        described = ", ".join(f"{name} is {a.dtype}" for name, a in zip(named, arrays))
        raise TypeError(f"{op}: arguments must share one dtype ({described})")
    return arrays


def _layout(op: str, data_format: Any, spatial: int, accepted: Sequence[str] | None = None) -> bool:
    """Whether ``data_format`` (``None``: the default) puts channels last; unknown names raise."""
    formats = tuple(accepted) if accepted is not None else DATA_FORMATS[spatial]
    return data_format is None or channels_last(data_format, spatial, op, formats)


def _cpu_layout(op: str, data_format: Any) -> ValueError:
    return ValueError(
        f"{op}: data_format={data_format!r} is not supported: TensorFlow's CPU kernels "
        "run channels-last layouts only"
    )


def _rank(op: str, name: str, array: np.ndarray, rank: int, *, at_least: bool = False) -> None:
    if array.ndim < rank if at_least else array.ndim != rank:
        expected = f"at least {rank}-D" if at_least else f"{rank}-D"
        raise ValueError(f"{op}: {name} must be {expected}, got shape {array.shape}")


def _ints(
    op: str, name: str, value: Any, spatial: int, lengths: Sequence[int], last: bool = True
) -> tuple[int, ...]:
    """TensorFlow's ``_get_sequence`` forms of ``strides``/``dilations`` (``None`` means 1)."""
    if value is None:
        return (1,) * spatial
    return spatial_ints(value, spatial, name, op, last=last, lengths=lengths)


def _ints_1d(op: str, name: str, value: Any, last: bool = True) -> int:
    """``conv1d``'s ``stride``/``dilations``: an int, ``[s]`` or three entries.

    TensorFlow runs ``conv1d`` as ``conv2d`` over ``[1] + value``: three entries
    are ``[unit, s, channels]`` channels-last and ``[channels, unit, s]``
    channels-first, where ``unit`` steps along the inserted unit axis (any
    positive value does nothing) and the channel entry must be 1.
    """
    if value is None:
        return 1
    if isinstance(value, (list, tuple, np.ndarray)) and len(value) == 3:
        items = spatial_ints(list(value), 3, name, op, last=True, lengths=(3,))
        depth, step = (items[2], items[1]) if last else (items[0], items[2])
        if depth != 1:
            raise ValueError(
                f"{op}: {name}={value!r} moves along the channel axis; TensorFlow supports only 1 there"
            )
        return step
    return spatial_ints(value, 1, name, op, last=last, lengths=(1,))[0]


def _exact_list(op: str, name: str, value: Any, length: int) -> list[int]:
    """Arguments TensorFlow passes straight to the op: a list of exactly ``length`` ints."""
    if not isinstance(value, (list, tuple, np.ndarray)):
        raise TypeError(f"{op}: {name} must be a list of {length} ints, got {value!r}")
    return list(spatial_ints(list(value), length, name, op, last=True, lengths=(length,), minimum=-(2**31)))


def _padding(
    op: str, padding: Any, spatial: int, *, explicit: bool, outer_ignored: bool = False, last: bool = True
) -> _Spec:
    """``'SAME'``, ``'VALID'`` (exactly so spelt) or, where the op takes it, explicit pairs.

    ``outer_ignored``: TensorFlow's space-to-batch path (a rate above 1 in the
    atrous, depthwise and separable convolutions) drops the batch and channel
    pairs unchecked.
    """
    if isinstance(padding, str):
        if padding in ("SAME", "VALID"):
            return padding
        if padding == "EXPLICIT":
            raise ValueError(f"{op}: padding='EXPLICIT' is not valid; explicit padding is a list of pairs")
        raise ValueError(f"{op}: padding={padding!r} is not one of 'SAME', 'VALID'")
    if not isinstance(padding, (list, tuple)):
        raise TypeError(
            f"{op}: padding must be 'SAME', 'VALID' or a list of (low, high) pairs, got {padding!r}"
        )
    if not explicit:
        raise TypeError(
            f"{op}: padding must be 'SAME' or 'VALID' (TensorFlow has no explicit padding here), "
            f"got {padding!r}"
        )
    pairs = []
    for item in padding:
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            raise ValueError(
                f"{op}: padding={padding!r}: each element must be a (low, high) pair, got {item!r}"
            )
        if not all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in item):
            raise TypeError(f"{op}: padding={padding!r}: pads must be ints, got {item!r}")
        pairs.append((int(item[0]), int(item[1])))
    if len(pairs) != spatial + 2:
        raise ValueError(
            f"{op}: padding={padding!r} must list {spatial + 2} (low, high) pairs, "
            "batch and channels included"
        )
    if any(v < 0 for pair in pairs for v in pair):
        raise ValueError(f"{op}: padding={padding!r}: every pad must be non-negative")
    outer, inner = ((pairs[0], pairs[-1]), pairs[1:-1]) if last else ((pairs[0], pairs[1]), pairs[2:])
    if not outer_ignored and outer != ((0, 0), (0, 0)):
        raise ValueError(
            f"{op}: padding={padding!r} pads the batch or channel axis; TensorFlow supports only 0 there"
        )
    return tuple(inner)


def _pairs(
    spec: _Spec, sizes: Sequence[int], spans: Sequence[int], strides: Sequence[int]
) -> tuple[tuple[int, int], ...]:
    if isinstance(spec, str):
        return resolve_padding(spec, sizes, spans, strides, SameConvention.TF)
    return spec


def _spans(kernel: Sequence[int], dilations: Sequence[int]) -> tuple[int, ...]:
    return tuple(Axis(1, k, dilation=d).span for k, d in zip(kernel, dilations))


def _kernel(op: str, name: str, w: np.ndarray, spatial: int) -> tuple[int, ...]:
    kernel = tuple(w.shape[:spatial])
    if 0 in kernel:
        raise ValueError(f"{op}: {name} must not have a zero-sized window, got shape {w.shape}")
    return kernel


def _no_dilation(op: str, dilations: tuple[int, ...], value: Any) -> None:
    if any(d != 1 for d in dilations):
        raise ValueError(
            f"{op}: dilations={value!r}: TensorFlow's CPU kernel supports only dilations of 1 here"
        )


# -- execution ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConvRun:
    """A checked convolution (or transposed convolution) call, in the kernels' layout.

    ``xc`` is the input channels-first with its leading axes folded into one
    batch, ``wc`` the filter as ``(out, in / groups, *kernel)``. ``geometry``
    is ``None`` when the input or the output is empty (the result is zeros).
    A ``transposed`` call runs the input gradient of ``geometry``. The
    ``*_layout`` methods move arrays between TensorFlow's layout and the
    kernels'; :mod:`convscope.autodiff` differentiates a call through them.

    Examples
    --------
    >>> import numpy as np
    >>> run = plan_conv2d(np.ones((1, 5, 5, 2)), np.ones((3, 3, 2, 4)), strides=2, padding="SAME")
    >>> run.xc.shape, run.wc.shape, run.result_shape
    ((1, 2, 5, 5), (4, 2, 3, 3), (1, 3, 3, 4))
    >>> float(run.run()[0, 1, 1, 0])  # a full 3x3 window over 2 channels of ones
    18.0
    """

    input_shape: tuple[int, ...]
    filter_shape: tuple[int, ...]
    xc: np.ndarray
    wc: np.ndarray
    geometry: ConvGeometry | None
    folded_shape: tuple[int, ...]  # the result channels-last, leading axes folded into the batch
    result_shape: tuple[int, ...]
    transposed: bool

    def run(self) -> np.ndarray:
        if self.geometry is None:
            return np.zeros(self.result_shape, self.xc.dtype)
        if self.transposed:
            y = kernels.conv_input_grad(self.xc, self.wc, geometry=self.geometry)
        else:
            y = kernels.conv_forward(self.xc, self.wc, None, geometry=self.geometry)
        return from_channels_first(y, True).reshape(self.result_shape)

    def kernel_layout(self, result: np.ndarray) -> np.ndarray:
        """A result-shaped array (a cotangent) in the kernels' layout."""
        return to_channels_first(result.reshape(self.folded_shape), True)

    def input_layout(self, planar: np.ndarray) -> np.ndarray:
        """A kernel-layout input-shaped array in the input's layout."""
        return from_channels_first(planar, True).reshape(self.input_shape)

    def filter_layout(self, planar: np.ndarray) -> np.ndarray:
        """A ``(out, in / groups, *kernel)`` array in the filter's layout (the inverse of ``_hwio``)."""
        return np.transpose(planar, (*range(2, planar.ndim), 1, 0)).reshape(self.filter_shape)


@dataclass(frozen=True)
class SeparableRun:
    """``separable_conv2d``: the depthwise step, then the pointwise step planned on its result."""

    depthwise: ConvRun
    pointwise_filter: np.ndarray
    data_format: Any

    def pointwise(self, middle: np.ndarray) -> ConvRun:
        return _plan_forward(
            "separable_conv2d",
            middle,
            self.pointwise_filter,
            (1, 1),
            (1, 1),
            "VALID",
            data_format=self.data_format,
        )

    def run(self) -> np.ndarray:
        return self.pointwise(self.depthwise.run()).run()


def _hwio(w: np.ndarray) -> np.ndarray:
    """``[*kernel, a, b]`` as ``(b, a, *kernel)``: HWIO (and transposed HWOI) filters, convscope's layout."""
    spatial = w.ndim - 2
    return np.transpose(w, (spatial + 1, spatial, *range(spatial)))


def _plan_forward(
    op: str,
    x: np.ndarray,
    w: np.ndarray,
    strides: tuple[int, ...],
    dilations: tuple[int, ...],
    spec: _Spec,
    *,
    grouped: bool = True,
    dilation_refused: Any = None,
    data_format: Any = None,
    filter_shape: tuple[int, ...] | None = None,
) -> ConvRun:
    """Plan the convolution of ``x`` (leading axes folded into the batch) with HWIO ``w``.

    TensorFlow returns an empty result before some of its checks, and so does
    this: a channels-first ``data_format`` (refused by the CPU kernels), an
    ungrouped op's channel count, the groups dividing the output channels, a
    zero-sized window (``Conv2D``) and, where given, ``dilation_refused``.
    ``grouped=False`` is ``Conv3D``, which refuses an empty filter up front.
    """
    spatial = w.ndim - 2
    in_shape = x.shape
    last = data_format is None or data_format.endswith("C")
    lead = x.ndim - spatial - 1
    if not last:
        x = np.moveaxis(x, lead, -1)
    batch_shape = x.shape[:lead]
    x = x.reshape(math.prod(batch_shape), *x.shape[x.ndim - spatial - 1 :])
    kernel = tuple(w.shape[:spatial])
    channels, (depth, out_channels) = x.shape[-1], w.shape[-2:]
    if depth == 0:
        raise ValueError(f"{op}: filters must have a positive input depth, got shape {w.shape}")
    if not grouped and w.size == 0:
        raise ValueError(f"{op}: filters must not be empty, got shape {w.shape}")
    if channels % depth:
        raise ValueError(
            f"{op}: input channels ({channels}) must be a multiple of the filter's input depth ({depth}) "
            f"(input shape {x.shape}, filters shape {w.shape})"
        )
    groups = channels // depth
    sizes = x.shape[1:-1]
    spans = _spans(kernel, dilations)
    pairs = _pairs(spec, sizes, spans, strides)
    try:
        outs = tuple(tf_window_size(n, sp, s, p) for n, sp, s, p in zip(sizes, spans, strides, pairs))
    except ValueError as error:
        raise ValueError(f"{op}: {error}") from None
    shape = (x.shape[0], *outs, out_channels)
    # With no input channels Conv2D returns zeros before any of these checks (Conv3D still checks).
    if 0 not in shape and (channels or not grouped):
        _kernel(op, "filters", w, spatial)
        if not grouped and channels != depth:
            raise ValueError(
                f"{op}: input channels ({channels}) must equal the filter's input depth ({depth}): "
                "TensorFlow's CPU Conv3D has no groups"
            )
        if out_channels % groups:
            raise ValueError(
                f"{op}: the filter's output channels ({out_channels}) must be divisible by the number of "
                f"groups ({groups} = {channels} input channels / filter depth {depth})"
            )
        if not last:
            raise _cpu_layout(op, data_format)
        if dilation_refused is not None:
            _no_dilation(op, dilations, dilation_refused)
    xc, wc = to_channels_first(x, True), _hwio(w)
    geometry = None
    if not (0 in shape or x.size == 0):
        geometry = conv_geometry(xc.shape, wc.shape, strides, pairs, dilations, groups)
    # a channels-first call only gets this far with an empty output
    result = (*batch_shape, *outs, out_channels) if last else (*batch_shape, out_channels, *outs)
    return ConvRun(in_shape, filter_shape or w.shape, xc, wc, geometry, shape, result, transposed=False)


def _output_sizes(op: str, output_shape: Any, spatial: int, lengths: Sequence[int]) -> list[int]:
    try:
        shape = np.asarray(output_shape)
    except (TypeError, ValueError):
        shape = np.asarray(None)
    if shape.ndim != 1 or shape.dtype.kind not in "iu":
        raise TypeError(f"{op}: output_shape must be a 1-D list of ints, got {output_shape!r}")
    if len(shape) not in lengths:
        raise ValueError(
            f"{op}: output_shape={output_shape!r} must have {' or '.join(map(str, lengths))} entries"
        )
    if (shape < 0).any():
        raise ValueError(f"{op}: output_shape={output_shape!r} must not be negative")
    return [int(v) for v in shape]


def _plan_transpose(
    op: str,
    y: np.ndarray,
    w: np.ndarray,
    output_shape: Any,
    strides: tuple[int, ...],
    spec: _Spec,
    lengths: Sequence[int],
) -> ConvRun:
    """Plan the input gradient of the convolution of size ``output_shape`` whose output is ``y``."""
    spatial = w.ndim - 2
    kernel = _kernel(op, "filters", w, spatial)
    out_channels, in_channels = w.shape[-2:]
    batch, sizes = y.shape[0], y.shape[1:-1]
    requested = _output_sizes(op, output_shape, spatial, lengths)
    if len(requested) == spatial:
        requested = [batch, *requested, out_channels]
    if y.shape[-1] != in_channels:
        raise ValueError(
            f"{op}: input channels ({y.shape[-1]}) must equal the filter's in_channels (last axis, "
            f"{in_channels}; filters shape {w.shape})"
        )
    if out_channels == 0:
        raise ValueError(f"{op}: filters must have at least one output channel, got shape {w.shape}")
    if requested[0] != batch:
        raise ValueError(f"{op}: output_shape={output_shape!r} has batch {requested[0]}, the input {batch}")
    if requested[-1] != out_channels:
        raise ValueError(
            f"{op}: output_shape={output_shape!r} has {requested[-1]} channels, the filter {out_channels} "
            "(filters[..., out_channels, in_channels]; TensorFlow's CPU kernel has no groups here)"
        )
    outs = tuple(requested[1:-1])
    spans = _spans(kernel, (1,) * spatial)
    for axis, (o, n, span, s) in enumerate(zip(outs, sizes, spans, strides)):
        pad = spec if isinstance(spec, str) else spec[axis]
        accepted = tf_transpose_sizes(n, span, s, pad)
        if o not in accepted:
            reach = f"{accepted.start}..{accepted.stop - 1}" if len(accepted) else "none"
            raise ValueError(
                f"{op}: output_shape={output_shape!r}: size {o} on spatial axis {axis} does not "
                f"convolve back to the input's {n} (kernel {kernel[axis]}, stride {s}, "
                f"padding {pad!r}; sizes that do: {reach})"
            )
    shape = (batch, *outs, out_channels)
    yc, wc = to_channels_first(y, True), _hwio(w)
    geometry = None
    if not (0 in shape or y.size == 0):
        pairs = _pairs(spec, outs, spans, strides)
        geometry = conv_geometry((batch, out_channels, *outs), wc.shape, strides, pairs, (1,) * spatial)
    return ConvRun(y.shape, w.shape, yc, wc, geometry, shape, shape, transposed=True)


# -- one planner per kind, TensorFlow's per-rank quirks as data ------------------------------


@dataclass(frozen=True)
class _Variant:
    """One rank of ``convNd`` or ``convNd_transpose``: what TensorFlow does differently there."""

    op: str
    spatial: int
    dtypes: tuple[np.dtype[Any], ...]
    #: The ``data_format`` names taken; ``None``: the rank's own (:data:`DATA_FORMATS`).
    formats: tuple[str, ...] | None = None
    #: Explicit ``(low, high)`` padding pairs are taken (the 2-d ops only).
    explicit: bool = False
    #: ``conv1d``'s name for its strides.
    stride_name: str = "strides"
    #: TensorFlow runs the op as its 2-d one over an inserted unit axis (:func:`_ints_1d`).
    unit_axis: bool = False
    #: Eigen's cuboid ``Conv3D``: strides and dilations only as full lists, SAME centring a window
    #: smaller than its stride, no groups, and dilations refused once the output is not empty.
    cuboid: bool = False
    #: The lengths a transpose's ``output_shape`` may have.
    output_lengths: tuple[int, ...] = ()


_CONVS = {
    1: _Variant(
        "conv1d", 1, _WITH_INT32, ("NWC", "NCW", "NHWC", "NCHW"), stride_name="stride", unit_axis=True
    ),
    2: _Variant("conv2d", 2, _WITH_INT32, explicit=True),
    3: _Variant("conv3d", 3, _FLOATS, cuboid=True),
}
_TRANSPOSES = {
    1: _Variant("conv1d_transpose", 1, _WITH_INT32, unit_axis=True, output_lengths=(3,)),
    2: _Variant("conv2d_transpose", 2, _WITH_INT32, explicit=True, output_lengths=(4, 2)),
    3: _Variant("conv3d_transpose", 3, _FLOATS, output_lengths=(5,)),
}


def _steps(
    variant: _Variant, name: str, value: Any, last: bool, *, required: bool = False
) -> tuple[int, ...]:
    """``strides``/``dilations`` per spatial axis, in the forms ``variant``'s op takes.

    ``None`` means 1, except for a ``required`` full list (``conv3d``'s strides).
    """
    op, spatial = variant.op, variant.spatial
    if variant.unit_axis:
        return (_ints_1d(op, name, value, last),)
    if variant.cuboid and (value is not None or required):
        full = _exact_list(op, name, value, spatial + 2)
        return _ints(op, name, full, spatial, (spatial + 2,), last)
    return _ints(op, name, value, spatial, (1, spatial, spatial + 2), last)


def _plan_rank_conv(
    variant: _Variant,
    input: Any,
    filters: Any,
    strides: Any,
    padding: Any,
    data_format: Any,
    dilations: Any,
) -> ConvRun:
    """``conv1d``, ``conv2d`` or ``conv3d`` (by ``variant``): check the call, plan its kernels."""
    op, spatial = variant.op, variant.spatial
    x, w = _arrays(op, variant.dtypes, input=input, filters=filters)
    last = _layout(op, data_format, spatial, variant.formats)
    _rank(op, "input", x, spatial + 2, at_least=True)
    _rank(op, "filters", w, spatial + 2)
    stride_t = _steps(variant, variant.stride_name, strides, last, required=True)
    dilation_t = _steps(variant, "dilations", dilations, last)
    spec = _padding(op, padding, spatial, explicit=variant.explicit, last=last)
    if variant.cuboid and spec == "SAME":
        # The CPU kernel (Eigen's cuboid convolution) centres a window smaller than its stride.
        sizes = x.shape[-spatial - 1 : -1] if last else x.shape[-spatial:]
        spans = _spans(_kernel(op, "filters", w, spatial), dilation_t)
        spec = resolve_padding(spec, sizes, spans, stride_t, SameConvention.TF_EIGEN)
    return _plan_forward(
        op,
        x,
        w,
        stride_t,
        dilation_t,
        spec,
        grouped=not variant.cuboid,
        dilation_refused=dilations if variant.cuboid else None,
        data_format=data_format,
    )


def _unit_axis_output(op: str, output_shape: Any, y: np.ndarray, w: np.ndarray) -> list[int]:
    """``conv1d_transpose``'s ``output_shape``: three entries, or ``[1]`` (see the message)."""
    sizes = _output_sizes(op, output_shape, 1, (3, 1))
    if len(sizes) == 1:
        # TensorFlow inserts the unit axis into output_shape too: [o] becomes sizes (o, 1).
        if sizes != [1]:
            raise ValueError(
                f"{op}: output_shape={output_shape!r}: a single entry is read as the size of TensorFlow's "
                "inserted unit axis (and width 1), so only [1] works"
            )
        sizes = [y.shape[0], 1, w.shape[1]]
    return sizes


def _plan_rank_transpose(
    variant: _Variant,
    input: Any,
    filters: Any,
    output_shape: Any,
    strides: Any,
    padding: Any,
    data_format: Any,
    dilations: Any,
) -> ConvRun:
    """``conv1d/2d/3d_transpose`` (by ``variant``): check the call, plan its kernels."""
    op, spatial = variant.op, variant.spatial
    y, w = _arrays(op, variant.dtypes, input=input, filters=filters)
    if not _layout(op, data_format, spatial):
        raise _cpu_layout(op, data_format)
    _rank(op, "input", y, spatial + 2)
    _rank(op, "filters", w, spatial + 2)
    stride_t = _steps(variant, "strides", strides, True)
    _no_dilation(op, _steps(variant, "dilations", dilations, True), dilations)
    spec = _padding(op, padding, spatial, explicit=variant.explicit)
    if variant.unit_axis:
        output_shape = _unit_axis_output(op, output_shape, y, w)
    return _plan_transpose(op, y, w, output_shape, stride_t, spec, variant.output_lengths)


# -- convolutions ---------------------------------------------------------------------------


def plan_conv1d(
    input: Any,
    filters: Any,
    stride: Any,
    padding: Literal["SAME", "VALID"],
    data_format: str | None = "NWC",
    dilations: Any = None,
    name: str | None = None,
) -> ConvRun:
    """Check a ``conv1d`` call and plan its kernels (:func:`conv1d` runs the plan)."""
    return _plan_rank_conv(_CONVS[1], input, filters, stride, padding, data_format, dilations)


conv1d = runs_plan(
    plan_conv1d,
    """1-D convolution, as ``tf.nn.conv1d``.

    Parameters
    ----------
    input : array_like
        ``batch_shape + [width, in_channels]`` (at least 3-D).
    filters : array_like
        ``[filter_width, in_channels / groups, out_channels]``.
    stride, dilations : int or list of int
        An int, ``[s]`` or ``[1, s, 1]``.
    padding : {'SAME', 'VALID'}
    data_format : {'NWC', 'NCW'}
        ``'NCW'`` is refused, as TensorFlow's CPU kernel does.
    name : str, optional
        Ignored.

    Returns
    -------
    numpy.ndarray
        ``batch_shape + [out_width, out_channels]``; SAME gives ``ceil(width / stride)``.

    Examples
    --------
    >>> import numpy as np
    >>> conv1d(np.ones((1, 5, 1)), np.ones((2, 1, 1)), stride=2, padding="SAME")[0, :, 0]
    array([2., 2., 1.])
    """,
)


def plan_conv2d(
    input: Any,
    filters: Any,
    strides: Any,
    padding: Padding,
    data_format: str | None = "NHWC",
    dilations: Any = None,
    name: str | None = None,
) -> ConvRun:
    """Check a ``conv2d`` call and plan its kernels (:func:`conv2d` runs the plan)."""
    return _plan_rank_conv(_CONVS[2], input, filters, strides, padding, data_format, dilations)


conv2d = runs_plan(
    plan_conv2d,
    """2-D convolution (cross-correlation), as ``tf.nn.conv2d``.

    Parameters
    ----------
    input : array_like
        ``batch_shape + [height, width, in_channels]`` (at least 4-D).
    filters : array_like
        ``[filter_height, filter_width, in_channels / groups, out_channels]``:
        input channels that are a multiple of the filter's make a grouped
        convolution.
    strides, dilations : int or list of int
        An int, one per spatial axis, or ``[1, sh, sw, 1]``.
    padding : 'SAME', 'VALID' or list of pairs
        Explicit: ``[[0, 0], [top, bottom], [left, right], [0, 0]]``.
    data_format : {'NHWC', 'NCHW'}
        ``'NCHW'`` is refused, as TensorFlow's CPU kernel does.
    name : str, optional
        Ignored.

    Returns
    -------
    numpy.ndarray
        ``batch_shape + [out_height, out_width, out_channels]``.

    Shape
    -----
    SAME: ``ceil(i / s)``, padding ``max((o - 1) * s + span - i, 0)`` split
    with the odd cell high; otherwise ``(i + p_lo + p_hi - span) // s + 1``
    (empty, not an error, when the window overhangs by less than a stride).

    Examples
    --------
    Seed 003: all-ones 4x4 and 5x5 inputs, a 2x2 all-ones filter. SAME pads
    the high side first.

    >>> import numpy as np
    >>> w = np.ones((2, 2, 1, 1), np.float32)
    >>> conv2d(np.ones((1, 4, 4, 1), np.float32), w, strides=1, padding="SAME")[0, :, :, 0]
    array([[4., 4., 4., 2.],
           [4., 4., 4., 2.],
           [4., 4., 4., 2.],
           [2., 2., 2., 1.]], dtype=float32)
    >>> conv2d(np.ones((1, 5, 5, 1), np.float32), w, strides=2, padding="SAME")[0, :, :, 0]
    array([[4., 4., 2.],
           [4., 4., 2.],
           [2., 2., 1.]], dtype=float32)
    >>> conv2d(np.ones((1, 5, 5, 1), np.float32), w, strides=2, padding="VALID").shape
    (1, 2, 2, 1)
    """,
)


def plan_conv3d(
    input: Any,
    filters: Any,
    strides: Any,
    padding: Literal["SAME", "VALID"],
    data_format: str | None = "NDHWC",
    dilations: Any = None,
    name: str | None = None,
) -> ConvRun:
    """Check a ``conv3d`` call and plan its kernels (:func:`conv3d` runs the plan)."""
    return _plan_rank_conv(_CONVS[3], input, filters, strides, padding, data_format, dilations)


conv3d = runs_plan(
    plan_conv3d,
    """3-D convolution, as ``tf.nn.conv3d``.

    Parameters
    ----------
    input : array_like
        ``batch_shape + [depth, height, width, in_channels]`` (at least 5-D).
    filters : array_like
        ``[d, h, w, in_channels, out_channels]`` (no groups on the CPU).
    strides : list of int
        Exactly ``[1, sd, sh, sw, 1]`` (TensorFlow passes it to the op as is).
    padding : {'SAME', 'VALID'}
    data_format : {'NDHWC', 'NCDHW'}
        ``'NCDHW'`` is refused, as TensorFlow's CPU kernel does.
    dilations : list of int, optional
        ``[1, 1, 1, 1, 1]``: the CPU kernel refuses dilation.
    name : str, optional
        Ignored.

    Returns
    -------
    numpy.ndarray
        ``batch_shape + [out_depth, out_height, out_width, out_channels]``.

    Examples
    --------
    >>> import numpy as np
    >>> conv3d(np.ones((1, 5, 4, 3, 2)), np.ones((2, 2, 2, 2, 3)), [1, 2, 2, 2, 1], "SAME").shape
    (1, 3, 2, 2, 3)
    """,
)


# -- transposed convolutions ------------------------------------------------------------------


_TRANSPOSE_DOC = """The transpose (input gradient) of :func:`conv{n}d`, as ``tf.nn.conv{n}d_transpose``.

    Parameters
    ----------
    input : array_like
        ``[batch, {sizes}, in_channels]``.
    filters : array_like
        ``[{kernel}, out_channels, in_channels]``.
    output_shape : {output_shape}
    strides : int or list of int
        {strides}
    padding : {padding}
    data_format : {{'{last}', '{first}'}}
        ``'{first}'`` is refused, as TensorFlow's CPU kernel does.
    dilations : optional
        Must be 1 (the CPU kernel refuses more).
    name : str, optional
        Ignored.

    Returns
    -------
    numpy.ndarray
        Of shape ``output_shape``.

    Examples
    --------
    {examples}
    """


def plan_conv1d_transpose(
    input: Any,
    filters: Any,
    output_shape: Any,
    strides: Any,
    padding: Literal["SAME", "VALID"] = "SAME",
    data_format: str | None = "NWC",
    dilations: Any = None,
    name: str | None = None,
) -> ConvRun:
    """Check a ``conv1d_transpose`` call and plan its kernels (:func:`conv1d_transpose` runs the plan)."""
    return _plan_rank_transpose(
        _TRANSPOSES[1], input, filters, output_shape, strides, padding, data_format, dilations
    )


conv1d_transpose = runs_plan(
    plan_conv1d_transpose,
    _TRANSPOSE_DOC.format(
        n=1,
        sizes="width",
        kernel="filter_width",
        output_shape="""list of 3 ints
        ``[batch, out_width, out_channels]``; ``out_width`` must convolve back
        to ``width`` (:func:`~convscope.core.tf_transpose_sizes`). TensorFlow
        also takes ``[1]``, read as its inserted unit axis: width 1.""",
        strides="An int, ``[s]`` or ``[1, s, 1]``.",
        padding="{'SAME', 'VALID'}",
        last="NWC",
        first="NCW",
        examples=""">>> import numpy as np
    >>> conv1d_transpose(np.ones((1, 2, 1)), np.ones((2, 1, 1)), [1, 4, 1], strides=2)[0, :, 0]
    array([1., 1., 1., 1.])""",
    ),
)


def plan_conv2d_transpose(
    input: Any,
    filters: Any,
    output_shape: Any,
    strides: Any,
    padding: Padding = "SAME",
    data_format: str | None = "NHWC",
    dilations: Any = None,
    name: str | None = None,
) -> ConvRun:
    """Check a ``conv2d_transpose`` call and plan its kernels (:func:`conv2d_transpose` runs the plan)."""
    return _plan_rank_transpose(
        _TRANSPOSES[2], input, filters, output_shape, strides, padding, data_format, dilations
    )


conv2d_transpose = runs_plan(
    plan_conv2d_transpose,
    _TRANSPOSE_DOC.format(
        n=2,
        sizes="height, width",
        kernel="filter_height, filter_width",
        output_shape="""list of 4 (or 2) ints
        ``[batch, out_height, out_width, out_channels]`` or just the two
        sizes; each size must convolve back to the input's
        (:func:`~convscope.core.tf_transpose_sizes`): several sizes may.""",
        strides="An int, one per spatial axis, or ``[1, sh, sw, 1]``.",
        padding="""'SAME', 'VALID' or list of pairs
        Of the convolution being transposed: SAME removes the padding that
        convolution would add (odd cell high), explicit pairs crop.""",
        last="NHWC",
        first="NCHW",
        examples="""Seed 003: a 2x2 all-ones input and filter. SAME with stride 1 keeps 2x2;
    VALID gives 3x3; stride 2 reaches 3x3 or 4x4 with SAME and 4x4 or 5x5 with
    VALID.

    >>> import numpy as np
    >>> x, w = np.ones((1, 2, 2, 1), np.float32), np.ones((2, 2, 1, 1), np.float32)
    >>> conv2d_transpose(x, w, [1, 2, 2, 1], strides=1, padding="SAME")[0, :, :, 0]
    array([[1., 2.],
           [2., 4.]], dtype=float32)
    >>> conv2d_transpose(x, w, [1, 3, 3, 1], strides=1, padding="VALID")[0, :, :, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]], dtype=float32)
    >>> conv2d_transpose(x, w, [1, 3, 3, 1], strides=2, padding="SAME")[0, :, :, 0]
    array([[1., 1., 1.],
           [1., 1., 1.],
           [1., 1., 1.]], dtype=float32)
    >>> conv2d_transpose(x, w, [1, 5, 5, 1], strides=2, padding="SAME")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: conv2d_transpose: output_shape=[1, 5, 5, 1]: size 5 on spatial axis 0 does not ...""",
    ),
)


def plan_conv3d_transpose(
    input: Any,
    filters: Any,
    output_shape: Any,
    strides: Any,
    padding: Literal["SAME", "VALID"] = "SAME",
    data_format: str | None = "NDHWC",
    dilations: Any = None,
    name: str | None = None,
) -> ConvRun:
    """Check a ``conv3d_transpose`` call and plan its kernels (:func:`conv3d_transpose` runs the plan)."""
    return _plan_rank_transpose(
        _TRANSPOSES[3], input, filters, output_shape, strides, padding, data_format, dilations
    )


conv3d_transpose = runs_plan(
    plan_conv3d_transpose,
    _TRANSPOSE_DOC.format(
        n=3,
        sizes="depth, height, width",
        kernel="d, h, w",
        output_shape="""list of 5 ints
        ``[batch, out_depth, out_height, out_width, out_channels]``.""",
        strides="An int, one per spatial axis, or ``[1, sd, sh, sw, 1]``.",
        padding="{'SAME', 'VALID'}",
        last="NDHWC",
        first="NCDHW",
        examples=""">>> import numpy as np
    >>> conv3d_transpose(np.ones((1, 2, 2, 2, 1)), np.ones((3, 3, 3, 4, 1)), [1, 4, 3, 4, 4], 2).shape
    (1, 4, 3, 4, 4)""",
    ),
)


def plan_conv_transpose(
    input: Any,
    filters: Any,
    output_shape: Any,
    strides: Any,
    padding: Padding = "SAME",
    data_format: str | None = None,
    dilations: Any = None,
    name: str | None = None,
) -> ConvRun:
    """Check a ``conv_transpose`` call and plan its kernels (:func:`conv_transpose` runs the plan)."""
    try:
        count = len(output_shape)
    except TypeError:
        raise TypeError(
            f"conv_transpose: output_shape must be a list of ints, got {output_shape!r}"
        ) from None
    if not 3 <= count <= 5:
        raise ValueError(f"conv_transpose: output_shape={output_shape!r} must have 3, 4 or 5 entries")
    # data_format None is each rank's channels-last default, as in TensorFlow
    variant = _TRANSPOSES[count - 2]
    return _plan_rank_transpose(
        variant, input, filters, output_shape, strides, padding, data_format, dilations
    )


conv_transpose = runs_plan(
    plan_conv_transpose,
    """``conv1d_transpose``, ``conv2d_transpose`` or ``conv3d_transpose`` by ``len(output_shape)``.

    Examples
    --------
    >>> import numpy as np
    >>> conv_transpose(np.ones((1, 2, 1)), np.ones((3, 1, 1)), [1, 5, 1], 2, "VALID")[0, :, 0]
    array([1., 1., 2., 1., 1.])
    """,
)


def _sequence(op: str, name: str, value: Any, spatial: int, last: bool) -> list[int]:
    """TensorFlow's ``_get_sequence``: ``None``, an int, 1, ``spatial`` or ``spatial + 2`` ints; full list."""
    if value is None:
        return [1] * (spatial + 2)
    if isinstance(value, (list, tuple, np.ndarray)) and len(value) == spatial + 2:
        return _exact_list(op, name, value, spatial + 2)
    inner = list(_ints(op, name, value, spatial, (1, spatial), last))
    return [1, *inner, 1] if last else [1, 1, *inner]


def plan_convolution(
    input: Any,
    filters: Any,
    strides: Any = None,
    padding: Padding = "VALID",
    data_format: str | None = None,
    dilations: Any = None,
    name: str | None = None,
) -> ConvRun:
    """Check a ``convolution`` call and plan its kernels (:func:`convolution` runs the plan)."""
    op = "convolution"
    w = as_array(filters, "filters", op)
    spatial = w.ndim - 2
    if spatial not in (1, 2, 3):
        raise ValueError(f"{op}: filters must be 3-D, 4-D or 5-D (1 to 3 spatial axes), got shape {w.shape}")
    variant = _CONVS[spatial]
    last = _layout(op, data_format, spatial, variant.formats)
    full_dilations = _sequence(op, "dilations", dilations, spatial, last)
    full_strides = _sequence(op, "strides", strides, spatial, last)
    if all(d == 1 for d in full_dilations):
        # Undilated, TensorFlow hands the string straight to the op: no explicit padding.
        named: Any = _padding(op, padding, spatial, explicit=False)
        return _plan_rank_conv(variant, input, filters, full_strides, named, data_format, full_dilations)
    # Dilated: space-to-batch keeps the spatial entries only, unchecked elsewhere.
    inner = slice(1, -1) if last else slice(2, None)
    stride_t, dilation_t = tuple(full_strides[inner]), tuple(full_dilations[inner])
    if min(stride_t) < 1 or min(dilation_t) < 1:
        raise ValueError(f"{op}: strides={strides!r} and dilations={dilations!r} must be positive")
    if max(stride_t) > 1:
        raise ValueError(f"{op}: strides={strides!r} above 1 are not supported with dilations={dilations!r}")
    x, w = _arrays(op, variant.dtypes, input=input, filters=filters)
    _rank(op, "input", x, spatial + 2, at_least=True)
    spec = _padding(op, padding, spatial, explicit=variant.explicit, outer_ignored=True, last=last)
    grouped = not variant.cuboid
    return _plan_forward(op, x, w, stride_t, dilation_t, spec, grouped=grouped, data_format=data_format)


convolution = runs_plan(
    plan_convolution,
    """N-d convolution chosen by the filter's rank, as ``tf.nn.convolution``.

    Undilated, it is :func:`conv1d`, :func:`conv2d` (without explicit padding)
    or :func:`conv3d`. Dilated, TensorFlow runs the undilated op on a
    space-to-batch rearrangement: the result is the dilated convolution, with
    strides of 1 only, explicit padding for 2-d only (batch and channel pairs
    ignored), and dilated 3-d convolution allowed.

    Examples
    --------
    >>> import numpy as np
    >>> convolution(np.ones((1, 7, 7, 7, 1)), np.ones((2, 2, 2, 1, 1)), padding="SAME", dilations=2).shape
    (1, 7, 7, 7, 1)
    """,
)


# -- atrous, depthwise and separable ------------------------------------------------------------


def plan_atrous_conv2d(
    value: Any, filters: Any, rate: Any, padding: Padding, name: str | None = None
) -> ConvRun:
    """Check an ``atrous_conv2d`` call and plan its kernels (:func:`atrous_conv2d` runs the plan)."""
    op = "atrous_conv2d"
    x, w = _arrays(op, _WITH_INT32, value=value, filters=filters)
    _rank(op, "value", x, 4, at_least=True)
    _rank(op, "filters", w, 4)
    rates = _ints(op, "rate", rate, 2, (1, 2))
    spec = _padding(op, padding, 2, explicit=True, outer_ignored=True)
    if not isinstance(spec, str) and rates == (1, 1):
        # Undilated, TensorFlow calls Conv2D without converting explicit padding.
        raise TypeError(
            f"{op}: padding={padding!r}: explicit padding needs a rate above 1 (TensorFlow's quirk)"
        )
    return _plan_forward(op, x, w, (1, 1), rates, spec)


atrous_conv2d = runs_plan(
    plan_atrous_conv2d,
    """Atrous (dilated) 2-D convolution at stride 1, as ``tf.nn.atrous_conv2d``.

    TensorFlow computes it by space-to-batch; the result is the convolution
    with ``dilations=rate`` (same shapes and padding, SAME's odd cell high).

    Parameters
    ----------
    value : array_like
        ``batch_shape + [height, width, in_channels]``.
    filters : array_like
        ``[filter_height, filter_width, in_channels / groups, out_channels]``.
    rate : int or list of int
        Dilation, one value or one per spatial axis.
    padding : 'SAME', 'VALID' or list of pairs
    name : str, optional
        Ignored.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> import numpy as np
    >>> atrous_conv2d(np.ones((1, 7, 7, 1)), np.ones((3, 3, 1, 1)), rate=2, padding="VALID").shape
    (1, 3, 3, 1)
    """,
)


def _depthwise_args(
    op: str, strides: Any, dilations: Any, data_format: Any
) -> tuple[tuple[int, ...], tuple[int, ...], bool]:
    """``strides`` exactly ``[1, s, s, 1]``, ``dilations`` (the rate) ``None`` or two ints; the layout."""
    last = _layout(op, data_format, 2)
    full = _exact_list(op, "strides", strides, 4)
    stride_t = _ints(op, "strides", full, 2, (4,), last)
    if stride_t[0] != stride_t[1]:
        raise ValueError(f"{op}: strides={strides!r}: TensorFlow supports only equal row and column strides")
    if dilations is None:
        return stride_t, (1, 1), last
    rates = _exact_list(op, "dilations", dilations, 2)
    dilation_t = _ints(op, "dilations", rates, 2, (2,))
    if any(d > 1 for d in dilation_t) and any(s > 1 for s in stride_t):
        raise ValueError(
            f"{op}: strides={strides!r} with dilations={dilations!r}: TensorFlow requires strides of 1 when "
            "dilating (it warns and returns a space-to-batch result, not a strided dilated convolution)"
        )
    return stride_t, dilation_t, last


def _plan_depthwise(
    op: str,
    x: np.ndarray,
    w: np.ndarray,
    filter_name: str,
    strides: Any,
    padding: Any,
    data_format: Any,
    dilations: Any,
) -> ConvRun:
    """The checks and plan of ``depthwise_conv2d`` (and ``separable_conv2d``'s first step)."""
    stride_t, dilation_t, last = _depthwise_args(op, strides, dilations, data_format)
    _rank(op, "input", x, 4)
    _rank(op, filter_name, w, 4)
    spec = _padding(op, padding, 2, explicit=True, outer_ignored=max(dilation_t) > 1, last=last)
    channels = w.shape[2]
    found = x.shape[-1] if data_format is None or data_format.endswith("C") else x.shape[1]
    if found != channels:
        raise ValueError(
            f"{op}: input channels ({found}) must equal the filter's in_channels ({channels}; "
            f"filter shape {w.shape})"
        )
    if channels == 0:
        raise ValueError(f"{op}: filter must have at least one input channel, got shape {w.shape}")
    # Output channel c * multiplier + m reads input channel c: a convolution with one group per channel.
    grouped = w.reshape(*w.shape[:2], 1, channels * w.shape[3])
    return _plan_forward(
        op, x, grouped, stride_t, dilation_t, spec, data_format=data_format, filter_shape=w.shape
    )


def plan_depthwise_conv2d(
    input: Any,
    filter: Any,
    strides: Any,
    padding: Padding,
    data_format: str | None = None,
    dilations: Any = None,
    name: str | None = None,
) -> ConvRun:
    """Check a ``depthwise_conv2d`` call and plan its kernels (:func:`depthwise_conv2d` runs the plan)."""
    op = "depthwise_conv2d"
    x, w = _arrays(op, _FLOATS, input=input, filter=filter)
    return _plan_depthwise(op, x, w, "filter", strides, padding, data_format, dilations)


depthwise_conv2d = runs_plan(
    plan_depthwise_conv2d,
    """Depthwise 2-D convolution, as ``tf.nn.depthwise_conv2d``.

    Parameters
    ----------
    input : array_like
        ``[batch, height, width, in_channels]``.
    filter : array_like
        ``[filter_height, filter_width, in_channels, channel_multiplier]``.
    strides : list of 4 ints
        ``[1, s, s, 1]``: equal row and column strides.
    padding : 'SAME', 'VALID' or list of pairs
    data_format : {'NHWC', 'NCHW'}, optional
        ``'NCHW'`` is refused, as TensorFlow's CPU kernel does.
    dilations : list of 2 ints, optional
        The rate; above 1 only with strides of 1.
    name : str, optional
        Ignored.

    Returns
    -------
    numpy.ndarray
        ``[batch, out_height, out_width, in_channels * channel_multiplier]``;
        output channel ``c * channel_multiplier + m`` filters input channel ``c``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(2.0).reshape(1, 1, 1, 2)
    >>> depthwise_conv2d(x, np.ones((1, 1, 2, 2)), [1, 1, 1, 1], "VALID")[0, 0, 0]
    array([0., 0., 1., 1.])
    """,
)


def plan_separable_conv2d(
    input: Any,
    depthwise_filter: Any,
    pointwise_filter: Any,
    strides: Any,
    padding: Padding,
    data_format: str | None = None,
    dilations: Any = None,
    name: str | None = None,
) -> SeparableRun:
    """Check a ``separable_conv2d`` call and plan its kernels (:func:`separable_conv2d` runs the plan)."""
    op = "separable_conv2d"
    x, dw, pw = _arrays(
        op, _FLOATS, input=input, depthwise_filter=depthwise_filter, pointwise_filter=pointwise_filter
    )
    _rank(op, "pointwise_filter", pw, 4)
    if pw.shape[:2] != (1, 1):
        raise ValueError(
            f"{op}: pointwise_filter must be [1, 1, channels, out_channels], got shape {pw.shape}"
        )
    depthwise = _plan_depthwise(op, x, dw, "depthwise_filter", strides, padding, data_format, dilations)
    return SeparableRun(depthwise, pw, data_format)


separable_conv2d = runs_plan(
    plan_separable_conv2d,
    """Depthwise then pointwise (1x1) convolution, as ``tf.nn.separable_conv2d``.

    Parameters
    ----------
    input : array_like
        ``[batch, height, width, in_channels]``.
    depthwise_filter : array_like
        ``[filter_height, filter_width, in_channels, channel_multiplier]``.
    pointwise_filter : array_like
        ``[1, 1, in_channels * channel_multiplier / groups, out_channels]``.
    strides, padding, data_format, dilations
        Of the depthwise step, as :func:`depthwise_conv2d`.
    name : str, optional
        Ignored.

    Returns
    -------
    numpy.ndarray
        ``[batch, out_height, out_width, out_channels]``.

    Examples
    --------
    >>> import numpy as np
    >>> separable_conv2d(np.ones((1, 5, 5, 3)), np.ones((3, 3, 3, 2)), np.ones((1, 1, 6, 4)),
    ...                  [1, 2, 2, 1], "SAME").shape
    (1, 3, 3, 4)
    """,
)
