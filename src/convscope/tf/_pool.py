"""``tf.nn`` pooling: max, average and max-with-argmax, as TensorFlow's CPU kernels compute them.

One implementation serves every rank: a call is parsed into one
:class:`~convscope.core.Axis` per spatial axis (TensorFlow's SAME puts the odd
padding cell high, see :class:`~convscope.core.SameConvention`) and reduced by
the window kernels :mod:`convscope.functional` pools with.

What TensorFlow 2.21's CPU kernels do, and so does this module:

* only channels-last layouts run (``NCHW`` is refused: "Default MaxPoolingOp
  only supports NHWC on device type CPU");
* ``MaxPool`` (1-d and 2-d) skips NaN and never returns less than the lowest
  finite value (an all ``-inf`` window gives ``-3.4e38`` in float32);
  ``MaxPool3D`` keeps ``-inf``;
* SAME average pooling divides by the number of real cells in each window;
* a VALID window that overhangs the input by less than a stride gives an
  empty output rather than an error (C's truncating division);
* explicit padding (a list of ``(low, high)`` pairs, batch and channels
  included) exists for ``max_pool1d``/``max_pool2d`` only, each side smaller
  than the window;
* ``max_pool_with_argmax`` reports the first maximum in row-major window
  order, and a NaN only when it is the window's first real cell.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core import Axis, SameConvention, resolve_padding, tf_window_size
from ..functional.pool import PoolPlan, run_avg_pool
from ..kernels import window
from ._args import DATA_FORMATS, from_channels_first, runs_plan, tf_convert, to_channels_first

__all__ = [
    "avg_pool",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "max_pool",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "max_pool_with_argmax",
    "pool",
]


def _dtypes(*types: Any) -> tuple[np.dtype[Any], ...]:
    return tuple(np.dtype(t) for t in types)


_FLOATS = _dtypes(np.float16, np.float32, np.float64)
_SIGNED = _dtypes(np.int8, np.int16, np.int32, np.int64)
#: What each CPU kernel registers (bfloat16 and the quantized types have no NumPy spelling).
MAX_POOL_DTYPES = _FLOATS + _SIGNED + _dtypes(np.uint8, np.uint16)
AVG_POOL_DTYPES = _FLOATS
POOL3D_DTYPES = _dtypes(np.float32)
ARGMAX_DTYPES = _FLOATS + _SIGNED + _dtypes(np.uint8, np.uint16, np.uint32, np.uint64)


# -- arguments -------------------------------------------------------------------


def tf_array(value: Any, name: str, op: str, allowed: Sequence[np.dtype[Any]] | None) -> np.ndarray:
    """``value`` as an array, converted as ``tf.convert_to_tensor`` would, of a dtype in ``allowed``.

    Python lists become float32 or int32 (int64 when an int does not fit),
    as TensorFlow makes them; ``allowed=None`` takes every numeric dtype and bool.

    Examples
    --------
    >>> tf_array([[1.5, 2.0]], "input", "max_pool1d", None).dtype
    dtype('float32')
    """
    array = tf_convert(value, name, op)
    if allowed is None:
        if array.dtype.kind not in "biufc":
            raise TypeError(f"{op}: {name} has dtype {array.dtype}; expected a numeric or bool array")
    elif array.dtype not in allowed:
        names = ", ".join(d.name for d in allowed)
        raise TypeError(f"{op}: {name} has dtype {array.dtype}; TensorFlow's CPU kernel takes {names}")
    return array


def check_rank(op: str, x: np.ndarray, rank: int) -> None:
    if x.ndim != rank:
        raise ValueError(f"{op}: input must be {rank}-D, got shape {x.shape}")


def check_layout(op: str, data_format: Any, spatial: int, accepted: Sequence[str] | None = None) -> None:
    """TensorFlow's CPU kernels pool channels-last data only; anything else is refused."""
    last, first = DATA_FORMATS[spatial]
    if data_format is None or data_format == last:
        return
    known = isinstance(data_format, str) and data_format in (accepted if accepted is not None else (first,))
    why = "runs on TensorFlow's GPU only" if known else "is not a layout TensorFlow takes here"
    raise ValueError(f"{op}: data_format={data_format!r} {why}; its CPU kernels take only {last!r}")


def _as_int(value: Any, name: str, op: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{op}: {name} must be an int or a list of ints, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class WindowSpec:
    """``ksize`` or ``strides``: one entry per spatial axis, and the channel entry (1 unless given)."""

    spatial: tuple[int, ...]
    channel: int


def window_spec(value: Any, spatial: int, name: str, op: str) -> WindowSpec:
    """TensorFlow's forms of ``ksize``/``strides``: an int, or a list of 1, ``spatial`` or ``spatial + 2``.

    The long form names every axis of channels-last data; its batch entry
    must be 1. Every entry must be positive.

    Examples
    --------
    >>> window_spec([1, 3, 2, 1], 2, "ksize", "max_pool2d")
    WindowSpec(spatial=(3, 2), channel=1)
    >>> window_spec(2, 3, "strides", "avg_pool3d").spatial
    (2, 2, 2)
    """
    if isinstance(value, (list, tuple, np.ndarray)):
        items = [_as_int(v, name, op) for v in value]
    else:
        items = [_as_int(value, name, op)]
    if len(items) not in (1, spatial, spatial + 2):
        lengths = " or ".join(str(n) for n in sorted({1, spatial, spatial + 2}))
        raise ValueError(f"{op}: {name}={value!r} should be of length {lengths}")
    if any(v < 1 for v in items):
        raise ValueError(f"{op}: {name}={value!r} must be positive on every axis")
    if len(items) == spatial + 2:
        if items[0] != 1:
            raise ValueError(f"{op}: {name}={value!r}: pooling is not supported on the batch dimension")
        return WindowSpec(tuple(items[1:-1]), items[-1])
    return WindowSpec(tuple(items * spatial if len(items) == 1 else items), 1)


Padding = str | tuple[tuple[int, int], ...]


def padding_spec(op: str, padding: Any, spatial: int, explicit: bool) -> Padding:
    """``'SAME'``, ``'VALID'``, or (where TensorFlow takes it) a list of ``(low, high)`` pairs.

    The list has one pair per axis of the data, batch and channels included,
    which must be ``(0, 0)``; the spatial pairs are returned.
    """
    if isinstance(padding, str):
        if padding in ("SAME", "VALID"):
            return padding
        hint = "; for explicit padding pass a list of (low, high) pairs" if explicit else ""
        raise ValueError(f"{op}: padding={padding!r} is not 'SAME' or 'VALID' (upper case){hint}")
    if not explicit:
        raise TypeError(f"{op}: padding must be the string 'SAME' or 'VALID', got {padding!r}")
    if not isinstance(padding, (list, tuple)):
        raise TypeError(
            f"{op}: padding must be 'SAME', 'VALID' or a list of (low, high) pairs, got {padding!r}"
        )
    pairs = []
    for item in padding:
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            raise ValueError(
                f"{op}: each entry of padding={padding!r} must be a (low, high) pair, got {item!r}"
            )
        pairs.append((_as_int(item[0], "padding", op), _as_int(item[1], "padding", op)))
    if len(pairs) != spatial + 2:
        raise ValueError(
            f"{op}: padding={padding!r} must hold {spatial + 2} pairs (batch, {spatial} spatial, channels)"
        )
    if any(v < 0 for pair in pairs for v in pair):
        raise ValueError(f"{op}: padding={padding!r} must be non-negative")
    if pairs[0] != (0, 0) or pairs[-1] != (0, 0):
        raise ValueError(f"{op}: padding={padding!r}: the batch and channel pairs must be (0, 0)")
    return tuple(pairs[1:-1])


def window_axes(
    op: str,
    sizes: Sequence[int],
    ksize: Sequence[int],
    strides: Sequence[int],
    padding: Padding,
    dilations: Sequence[int] | None = None,
) -> tuple[Axis, ...]:
    """One :class:`Axis` per spatial axis, sized and refused as TensorFlow does.

    SAME pads as :attr:`SameConvention.TF` in 1-d and 2-d, and as
    :attr:`SameConvention.TF_EIGEN` in 3-d, where TensorFlow's CPU kernels
    centre a window smaller than its stride.

    Examples
    --------
    >>> [a.pad for a in window_axes("max_pool2d", (5, 4), (2, 3), (2, 2), "SAME")]
    [(0, 1), (0, 1)]
    >>> window_axes("max_pool1d", (5,), (2,), (3,), "VALID")[0].out_size
    2
    >>> window_axes("max_pool3d", (4, 1, 1), (1, 1, 1), (4, 1, 1), "SAME")[0].pad
    (-1, -2)
    """
    dil = tuple(dilations) if dilations is not None else (1,) * len(sizes)
    spans = [Axis(1, k, 1, d).span for k, d in zip(ksize, dil)]
    if isinstance(padding, str):
        convention = SameConvention.TF_EIGEN if len(sizes) == 3 else SameConvention.TF
        pads = resolve_padding(padding, sizes, spans, strides, convention)
    else:
        for pair, k in zip(padding, ksize):
            if max(pair) >= k:
                raise ValueError(
                    f"{op}: explicit padding {pair} must be smaller than the window size {k} on each side"
                )
        pads = padding
    for size, span, stride, pad in zip(sizes, spans, strides, pads):
        try:
            tf_window_size(size, span, stride, pad)
        except ValueError as error:
            raise ValueError(f"{op}: {error}") from None
    return tuple(Axis(n, k, s, d, p) for n, k, s, d, p in zip(sizes, ksize, strides, dil, pads))


# -- the reductions ------------------------------------------------------------------


@dataclass(frozen=True)
class TfPool:
    """A checked pooling call: channels-last data and the window of each spatial axis."""

    op: str
    x: np.ndarray
    axes: tuple[Axis, ...]

    def plan(self) -> PoolPlan:
        return PoolPlan(self.op, to_channels_first(self.x, True), self.axes, unbatched=False)


def _skip_nan(x: np.ndarray) -> np.ndarray:
    """NaN as ``-inf``: TensorFlow's MaxPool compares with ``<`` and so never picks one."""
    if x.dtype.kind == "f" and np.isnan(x).any():
        return np.where(np.isnan(x), x.dtype.type(-np.inf), x)
    return x


def run_max_pool(call: TfPool, floor_at_lowest: bool) -> np.ndarray:
    """Window maxima; ``floor_at_lowest`` is 1-d/2-d ``MaxPool``: NaN skipped, floored at lowest finite."""
    plan = call.plan()
    source = _skip_nan(plan.x) if floor_at_lowest else plan.x
    out = window.max_reduce(source, plan.maps)
    if floor_at_lowest and out.dtype.kind == "f":
        np.maximum(out, np.finfo(out.dtype).min, out=out)
    return from_channels_first(out, True)


def run_tf_avg_pool(call: TfPool, divisor: int | None = None) -> np.ndarray:
    """Window means over the real cells only (SAME padding is not counted), or sums over ``divisor``."""
    with np.errstate(invalid="ignore"):  # inf - inf in a window is NaN, silently, as in TensorFlow
        return from_channels_first(run_avg_pool(call.plan(), False, divisor), True)


def depth_pool_axis(op: str, x: np.ndarray, ksize: WindowSpec, strides: WindowSpec, padding: Padding) -> Axis:
    """TensorFlow's depthwise max pooling: the channels in groups of ``ksize.channel``, spatial sizes kept."""
    depth = x.shape[-1]
    if any(k != 1 for k in ksize.spatial):
        raise ValueError(
            f"{op}: ksize pools over channels and space at once; TensorFlow pools over exactly one of them"
        )
    if not isinstance(padding, str):
        raise ValueError(f"{op}: pooling over channels takes no explicit padding")
    if depth % ksize.channel:
        raise ValueError(f"{op}: the channel window {ksize.channel} must divide the {depth} input channels")
    if strides.channel != ksize.channel:
        raise ValueError(
            f"{op}: pooling over channels needs the channel stride {strides.channel} "
            f"to equal the channel window {ksize.channel}"
        )
    if any(s != 1 for s in strides.spatial):  # TensorFlow silently ignores them
        raise ValueError(
            f"{op}: strides={strides.spatial} along space have no effect when pooling over channels"
        )
    return Axis(depth, ksize.channel, ksize.channel)


@dataclass(frozen=True)
class PoolRun:
    """A checked pooling call: ``call`` pools space, or ``channels`` (depthwise max pooling) the channels.

    ``floor_at_lowest`` is ``MaxPool`` (1-d and 2-d) rather than ``MaxPool3D``;
    ``divisor`` replaces the count of real cells of an average (dilated windows).
    """

    x: np.ndarray
    maximum: bool
    call: TfPool | None = None
    channels: Axis | None = None
    floor_at_lowest: bool = True
    divisor: int | None = None

    def run(self) -> np.ndarray:
        if self.channels is not None:
            return window.max_reduce(self.x, [self.channels.index_map()])
        assert self.call is not None
        if self.maximum:
            return run_max_pool(self.call, self.floor_at_lowest)
        return run_tf_avg_pool(self.call, self.divisor)


# -- public operators --------------------------------------------------------------------


def _check_call(
    op: str,
    spatial: int,
    input: Any,
    ksize: Any,
    strides: Any,
    padding: Any,
    data_format: Any,
    *,
    maximum: bool,
) -> tuple[np.ndarray, WindowSpec, WindowSpec, Padding]:
    explicit = maximum and spatial < 3
    check_layout(op, data_format, spatial, ("NCHW", "NCHW_VECT_C", "NCW") if spatial < 3 else None)
    window_size = window_spec(ksize, spatial, "ksize", op)
    step = window_spec(strides, spatial, "strides", op)
    allowed = POOL3D_DTYPES if spatial == 3 else (MAX_POOL_DTYPES if maximum else AVG_POOL_DTYPES)
    x = tf_array(input, "input", op, allowed)
    check_rank(op, x, spatial + 2)
    return x, window_size, step, padding_spec(op, padding, spatial, explicit)


def plan_rank_pool(
    kind: str,
    spatial: int,
    input: Any,
    ksize: Any,
    strides: Any,
    padding: Any,
    data_format: Any = None,
    name: str | None = None,
) -> PoolRun:
    """Check a call of ``tf.nn.max_pool1d`` (``kind='max'``, ``spatial=1``), ... and plan its reduction."""
    maximum = kind == "max"
    op = f"{kind}_pool{spatial}d"
    x, window_size, step, pads = _check_call(
        op, spatial, input, ksize, strides, padding, data_format, maximum=maximum
    )
    if window_size.channel != 1:
        if not maximum or spatial == 3:
            raise ValueError(f"{op}: ksize={ksize!r}: TensorFlow pools over space only here")
        return PoolRun(x, True, channels=depth_pool_axis(op, x, window_size, step, pads))
    if step.channel != 1:  # TensorFlow's 2-d kernels ignore it silently, its 3-d ones refuse it
        raise ValueError(f"{op}: strides={strides!r} move along the channels, which are not pooled")
    call = TfPool(op, x, window_axes(op, x.shape[1:-1], window_size.spatial, step.spatial, pads))
    return PoolRun(x, maximum, call, floor_at_lowest=spatial < 3)


def pool_planner(kind: str, spatial: int | None) -> Callable[..., PoolRun]:
    """``plan_{kind}_pool{spatial}d``; with ``spatial=None``, ``plan_{kind}_pool`` (rank of input)."""
    op = f"{kind}_pool{spatial}d" if spatial is not None else f"{kind}_pool"
    default = DATA_FORMATS[spatial][0] if spatial is not None else None

    def plan(
        input: Any,
        ksize: Any,
        strides: Any,
        padding: Any,
        data_format: str | None = default,
        name: str | None = None,
    ) -> PoolRun:
        if spatial is None:
            return _plan_any_rank(kind, input, ksize, strides, padding, data_format)
        return plan_rank_pool(kind, spatial, input, ksize, strides, padding, data_format)

    plan.__name__ = plan.__qualname__ = f"plan_{op}"
    plan.__doc__ = f"Check a call of ``{op}`` and plan its kernels (:func:`{op}` runs the plan)."
    return plan


def _pool_op(kind: str, spatial: int) -> Callable[..., np.ndarray]:
    return runs_plan(pool_planner(kind, spatial), _doc(kind, spatial, DATA_FORMATS[spatial][0]))


def _doc(kind: str, spatial: int, layout: str) -> str:
    dims = "x".join(["2"] * spatial)
    lengths = "1 or 3" if spatial == 1 else f"1, {spatial} or {spatial + 2}"
    same = (
        "SAME puts the odd padding cell high."
        if spatial < 3
        else "SAME centres a window smaller than its stride (padding may be negative),\n"
        "    as TensorFlow's 3-d CPU kernels do; otherwise it puts the odd padding cell high."
    )
    if kind == "max":
        what = "Max pooling"
        notes = (
            "NaN is skipped and the result is never below the lowest finite value, as in TensorFlow's\n"
            "    ``MaxPool``."
            if spatial < 3
            else "An all ``-inf`` window gives ``-inf``; NaN propagates (TensorFlow's ``MaxPool3D``\n"
            "    handles NaN differently with the number of channels)."
        )
        dtypes = (
            "float32 only (TensorFlow's CPU kernel)"
            if spatial == 3
            else "float16/32/64, int8/16/32/64, uint8/16"
        )
        padding = (
            "``'SAME'`` or ``'VALID'``"
            if spatial == 3
            else "``'SAME'``, ``'VALID'`` or a list of\n"
            f"        {spatial + 2} ``(low, high)`` pairs (batch and channels ``(0, 0)``, each side\n"
            "        below ``ksize``)"
        )
        example = f"{dims} windows, stride 2, SAME: the output has ``ceil(3 / 2) = 2`` cells per axis"
    else:
        what = "Average pooling"
        notes = "With ``'SAME'`` each window is divided by the number of real (unpadded) cells it holds."
        dtypes = "float32 only (TensorFlow's CPU kernel)" if spatial == 3 else "float16, float32, float64"
        padding = "``'SAME'`` or ``'VALID'``"
        example = f"{dims} windows, stride 2, SAME: the last window holds only the last cell of each axis"
    return f"""{what} over ``{layout}`` data, as ``tf.nn.{kind}_pool{spatial}d``.

    {notes}

    {same}

    Parameters
    ----------
    input : array_like
        ``{layout}``; {dtypes}.
    ksize, strides : int or list of ints
        An int, or a list of {lengths} entries (the last form names
        every axis; its batch entry must be 1).
    padding : str or list
        {padding}.
    data_format : str
        ``{layout!r}``; the channels-first layout is refused, as on TensorFlow's CPU.
    name : str, optional
        Ignored (TensorFlow's op name).

    Returns
    -------
    numpy.ndarray
        ``{layout}`` of the input's dtype; SAME gives ``ceil(i / s)`` cells per axis,
        VALID ``(i - k + s) / s`` (truncated).

    Examples
    --------
    {example}:

    >>> import numpy as np
    >>> x = np.arange(27.0, dtype=np.float32)[:3 ** {spatial}].reshape((1,) + (3,) * {spatial} + (1,))
    >>> out = {kind}_pool{spatial}d(x, 2, 2, "SAME")
    >>> out.shape[1:-1], float(out.reshape(-1)[-1]) == float(x.reshape(-1)[-1])
    ({(2,) * spatial}, True)
    """


max_pool1d = _pool_op("max", 1)
max_pool2d = _pool_op("max", 2)
max_pool3d = _pool_op("max", 3)
avg_pool1d = _pool_op("avg", 1)
avg_pool2d = _pool_op("avg", 2)
avg_pool3d = _pool_op("avg", 3)


def _rank_of(op: str, input: Any) -> int:
    shape = np.shape(input) if input is not None else None
    if shape is None:
        raise TypeError(f"{op}: input must be an array, got None")
    spatial = len(shape) - 2
    if not 1 <= spatial <= 3:
        raise ValueError(f"{op}: input must be 3-D, 4-D or 5-D, got shape {tuple(shape)}")
    return spatial


def _plan_any_rank(
    kind: str, input: Any, ksize: Any, strides: Any, padding: Any, data_format: Any
) -> PoolRun:
    op = f"{kind}_pool"
    spatial = _rank_of(op, input)
    if kind == "max" and spatial == 3 and isinstance(padding, (list, tuple)):
        raise ValueError(f"{op}: explicit padding is not supported for 5-D input")
    layout = DATA_FORMATS[spatial][0] if data_format is None else data_format
    return plan_rank_pool(kind, spatial, input, ksize, strides, padding, layout)


plan_max_pool = pool_planner("max", None)
max_pool = runs_plan(
    plan_max_pool,
    """Max pooling of 3-D, 4-D or 5-D data, as ``tf.nn.max_pool``: the rank picks ``max_pool{1,2,3}d``.

    ``data_format=None`` means channels last. Explicit padding is refused for
    5-D input, as TensorFlow refuses it.

    Examples
    --------
    >>> import numpy as np
    >>> max_pool(np.arange(6.0).reshape(1, 6, 1), 3, 3, "VALID").ravel()
    array([2., 5.])
    """,
)
plan_avg_pool = pool_planner("avg", None)
avg_pool = runs_plan(
    plan_avg_pool,
    """Average pooling of 3-D, 4-D or 5-D data, as ``tf.nn.avg_pool``: the rank picks ``avg_pool{1,2,3}d``.

    Examples
    --------
    >>> import numpy as np
    >>> avg_pool(np.arange(5.0).reshape(1, 5, 1), 2, 2, "SAME").ravel()  # the last window holds one cell
    array([0.5, 2.5, 4. ])
    """,
)


def plan_pool(
    input: Any,
    window_shape: Sequence[int],
    pooling_type: str,
    strides: Sequence[int] | None = None,
    padding: Any = "VALID",
    data_format: str | None = None,
    dilations: Sequence[int] | None = None,
    name: str | None = None,
) -> PoolRun:
    """Check a ``pool`` call and plan its kernels (:func:`pool` runs the plan)."""
    op = "pool"
    if isinstance(window_shape, (str, bytes)) or not isinstance(window_shape, (Sequence, np.ndarray)):
        raise TypeError(f"{op}: window_shape must be a list of ints, got {window_shape!r}")
    window_size = tuple(_as_int(k, "window_shape", op) for k in window_shape)
    spatial = len(window_size)
    if not 1 <= spatial <= 3:
        raise ValueError(f"{op}: window_shape={window_shape!r} must have 1, 2 or 3 entries")
    step = _per_axis(strides, spatial, "strides", op)
    dil = _per_axis(dilations, spatial, "dilations", op)
    if any(s > 1 for s in step) and any(d > 1 for d in dil):
        raise ValueError(f"{op}: strides={step} above 1 cannot be combined with dilations={dil} above 1")
    if padding == "SAME" and any(d > 1 for d in dil):
        raise ValueError(f"{op}: padding='SAME' is not implemented with dilations={dil} above 1")
    if any(s > k for s, k in zip(step, window_size)):
        raise ValueError(f"{op}: strides={step} may not exceed window_shape={window_size}")
    if pooling_type not in ("MAX", "AVG"):
        raise ValueError(f"{op}: pooling_type={pooling_type!r} is not 'MAX' or 'AVG'")
    maximum = pooling_type == "MAX"
    if spatial == 1 and data_format not in (None, "NWC", "NCW"):
        raise ValueError(f"{op}: data_format={data_format!r} is not 'NWC' or 'NCW'")
    if isinstance(padding, (list, tuple)) and (not maximum or spatial != 2 or any(d > 1 for d in dil)):
        raise TypeError(f"{op}: explicit padding is taken for 2-D 'MAX' pooling without dilation only")
    if all(d == 1 for d in dil):
        layout = DATA_FORMATS[spatial][0] if data_format is None else data_format
        kind = "max" if maximum else "avg"
        return plan_rank_pool(kind, spatial, input, list(window_size), list(step), padding, layout)
    # Dilated windows: TensorFlow runs them through space_to_batch, whose
    # result is the dilated VALID window, sized and refused like it.
    x, _, _, pads = _check_call(op, spatial, input, window_size, 1, padding, data_format, maximum=maximum)
    call = TfPool(op, x, window_axes(op, x.shape[1:-1], window_size, step, pads, dil))
    # Dilated windows are VALID here, so every tap of an average is a real cell.
    divisor = None if maximum else math.prod(window_size)
    return PoolRun(x, maximum, call, floor_at_lowest=spatial < 3, divisor=divisor)


pool = runs_plan(
    plan_pool,
    """N-d max or average pooling with dilation, as ``tf.nn.pool``.

    Parameters
    ----------
    input : array_like
        ``[N, *spatial, C]`` with ``len(window_shape)`` spatial axes.
    window_shape : list of int
        The window, one entry per spatial axis (1 to 3).
    pooling_type : {'MAX', 'AVG'}
    strides, dilations : list of int, optional
        One entry per spatial axis (default 1). Strides above 1 and dilations
        above 1 exclude each other, and no stride may exceed the window.
    padding : {'VALID', 'SAME'}
        SAME is refused with dilation. Explicit pairs are taken for 2-D ``'MAX'``
        without dilation, as TensorFlow passes them on to ``max_pool2d``.
    data_format : str, optional
        Channels last (the default); channels first is refused, as on TensorFlow's CPU.

    Examples
    --------
    A dilated window reads every other cell:

    >>> import numpy as np
    >>> pool(np.arange(5.0).reshape(1, 5, 1), [2], "MAX", dilations=[2]).ravel()
    array([2., 3., 4.])
    """,
)


def _per_axis(value: Any, spatial: int, name: str, op: str) -> tuple[int, ...]:
    if value is None:
        return (1,) * spatial
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)):
        raise TypeError(f"{op}: {name} must be a list of {spatial} ints, got {value!r}")
    items = tuple(_as_int(v, name, op) for v in value)
    if len(items) != spatial:
        raise ValueError(f"{op}: {name}={value!r} must have {spatial} entries, one per spatial axis")
    if any(v < 1 for v in items):
        raise ValueError(f"{op}: {name}={value!r} must be positive")
    return items


def argmax_dtype(output_dtype: Any) -> np.dtype[Any]:
    """``output_dtype`` as a NumPy dtype: a TensorFlow ``DType`` (not imported), a name or a NumPy dtype.

    Examples
    --------
    >>> argmax_dtype("int32"), argmax_dtype(None), argmax_dtype(np.dtype("int64"))
    (dtype('int32'), dtype('int64'), dtype('int64'))
    """
    op = "max_pool_with_argmax"
    if output_dtype is None:
        return np.dtype(np.int64)
    if any(output_dtype is t for t in (int, float, bool, complex)):  # TensorFlow wants a DataType
        raise TypeError(f"{op}: output_dtype must be a dtype (int32 or int64), got {output_dtype!r}")
    candidate = getattr(output_dtype, "as_numpy_dtype", output_dtype)
    dtype: np.dtype[Any]
    try:
        dtype = np.dtype(candidate)
    except TypeError:
        try:
            dtype = np.dtype(str(getattr(output_dtype, "name", "")))
        except TypeError:
            raise TypeError(
                f"{op}: output_dtype must be a dtype (int32 or int64), got {output_dtype!r}"
            ) from None
    if dtype not in (np.dtype(np.int32), np.dtype(np.int64)):
        raise ValueError(f"{op}: output_dtype={output_dtype!r} is not int32 or int64")
    return dtype


def plan_max_pool_with_argmax(
    input: Any,
    ksize: Any,
    strides: Any,
    padding: str,
    data_format: str = "NHWC",
    output_dtype: Any = "int64",
    include_batch_in_index: bool = False,
    name: str | None = None,
) -> ArgmaxRun:
    """Check a ``max_pool_with_argmax`` call and plan it (:func:`max_pool_with_argmax` runs the plan)."""
    op = "max_pool_with_argmax"
    if data_format != "NHWC":
        raise ValueError(f"{op}: data_format={data_format!r} is not supported (only 'NHWC')")
    window_size = window_spec(ksize, 2, "ksize", op)
    step = window_spec(strides, 2, "strides", op)
    index_dtype = argmax_dtype(output_dtype)
    if not isinstance(include_batch_in_index, bool):
        raise TypeError(f"{op}: include_batch_in_index must be a bool, got {include_batch_in_index!r}")
    x = tf_array(input, "input", op, ARGMAX_DTYPES)
    pads = padding_spec(op, padding, 2, explicit=False)
    check_rank(op, x, 4)
    if x.size == 0:
        raise ValueError(f"{op}: input must not be empty, got shape {x.shape}")
    if window_size.channel != 1 or step.channel != 1:  # TensorFlow ignores both silently
        raise ValueError(f"{op}: ksize={ksize!r} and strides={strides!r} must be 1 along the channels")
    call = TfPool(op, x, window_axes(op, x.shape[1:-1], window_size.spatial, step.spatial, pads))
    return ArgmaxRun(call, index_dtype, include_batch_in_index)


max_pool_with_argmax = runs_plan(
    plan_max_pool_with_argmax,
    """2-d max pooling with the flat index of each maximum, as ``tf.nn.max_pool_with_argmax``.

    The index of input cell ``(b, y, x, c)`` is ``((b * height + y) * width + x) * channels + c``
    with ``include_batch_in_index``, and ``(y * width + x) * channels + c`` without.
    Ties go to the first maximum in row-major window order; a NaN wins only at
    the first real cell of its window (TensorFlow's CPU kernel compares with ``<``).

    Parameters
    ----------
    input : array_like
        ``NHWC``, not empty; float16/32/64, int8/16/32/64 or uint8/16/32/64.
    ksize, strides : int or list of ints
        As for :func:`max_pool2d`.
    padding : {'SAME', 'VALID'}
    data_format : {'NHWC'}
    output_dtype : dtype
        ``int32`` or ``int64`` (default): a TensorFlow dtype, a NumPy dtype or its name.
    include_batch_in_index : bool

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        The maxima (input dtype) and their indices (``output_dtype``).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1, 5, 5, 2], np.float32).reshape(1, 2, 2, 1)
    >>> values, indices = max_pool_with_argmax(x, 2, 2, "VALID")
    >>> float(values.item()), int(indices.item())  # the first of the tied fives
    (5.0, 1)
    """,
    "tuple[np.ndarray, np.ndarray]",
)


@dataclass(frozen=True)
class ArgmaxRun:
    """A checked ``max_pool_with_argmax`` call."""

    call: TfPool
    index_dtype: np.dtype[Any]
    include_batch_in_index: bool

    def first_max(self) -> tuple[np.ndarray, np.ndarray]:
        """Maxima and per-plane indices, channels-first (the kernels' layout), TensorFlow's NaN rule."""
        return first_max_planar(self.call)

    def run(self) -> tuple[np.ndarray, np.ndarray]:
        planar_values, planar_index = self.first_max()
        values, plane_index = (
            from_channels_first(planar_values, True),
            from_channels_first(planar_index, True),
        )
        batch, height, width, channels = self.call.x.shape
        index = plane_index * channels + np.arange(channels)
        if self.include_batch_in_index:
            index = index + (np.arange(batch) * (height * width * channels)).reshape(-1, 1, 1, 1)
        return values, index.astype(self.index_dtype)


def first_max_planar(call: TfPool) -> tuple[np.ndarray, np.ndarray]:
    """Maxima and their per-plane indices (``y * width + x``), channels first, with TensorFlow's NaN rule.

    TensorFlow's ``MaxPoolGrad`` recomputes these indices and routes each
    output's gradient to them.
    """
    plan = call.plan()
    cleaned = _skip_nan(plan.x)
    values, indices = window.argmax_reduce(cleaned, plan.maps, plan.firsts)
    if cleaned is not plan.x:
        # A window whose first real cell is NaN keeps it: TensorFlow always
        # takes the first cell and then only strictly larger values. Where that
        # cell lies is what the kernel reports for a window holding only -inf.
        blank = np.full((1, 1, *plan.in_sizes), -np.inf, plan.x.dtype)
        corners = np.broadcast_to(window.argmax_reduce(blank, plan.maps, plan.firsts)[1], indices.shape)
        nan_first = np.isnan(window.gather_at_indices(plan.x, np.ascontiguousarray(corners), plan.in_sizes))
        values = np.where(nan_first, plan.x.dtype.type(np.nan), values)
        indices = np.where(nan_first, corners, indices)
    return values, indices
