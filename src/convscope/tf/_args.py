"""Argument checking shared by the TensorFlow-style frontend.

TensorFlow spells per-axis options (``strides``, ``dilations``, ``ksize``) as
an int, a list of one, a list of one per spatial axis, or a list covering every
axis of the data (batch and channels included, which must then be 1); and the
layout as a ``data_format`` string. These helpers turn both into the spatial
tuples and channels-first arrays the geometry core and the kernels take.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, Protocol, TypeVar

import numpy as np

from ..functional._args import as_array

#: The layouts TensorFlow accepts, channels-last first, per number of spatial axes.
DATA_FORMATS = {1: ("NWC", "NCW"), 2: ("NHWC", "NCHW"), 3: ("NDHWC", "NCDHW")}


def channels_last(data_format: Any, spatial: int, op: str, accepted: Sequence[str] | None = None) -> bool:
    """Whether ``data_format`` puts channels last; anything TensorFlow refuses raises ``ValueError``.

    Examples
    --------
    >>> channels_last("NHWC", 2, "conv2d"), channels_last("NCHW", 2, "conv2d")
    (True, False)
    """
    formats = tuple(accepted) if accepted is not None else DATA_FORMATS[spatial]
    if not isinstance(data_format, str) or data_format not in formats:
        raise ValueError(f"{op}: data_format={data_format!r} is not one of {', '.join(map(repr, formats))}")
    return data_format.endswith("C")


def spatial_ints(
    value: Any,
    spatial: int,
    name: str,
    op: str,
    *,
    last: bool,
    lengths: Sequence[int] | None = None,
    minimum: int = 1,
) -> tuple[int, ...]:
    """``strides``/``dilations``/``ksize`` as one int per spatial axis, TensorFlow's way.

    Parameters
    ----------
    value
        An int, or a list of length 1, ``spatial`` or ``spatial + 2`` (the last
        form names every axis of the data, whose batch and channel entries
        must be 1).
    spatial
        Number of spatial axes.
    name, op
        For messages.
    last
        Whether channels are the last axis (where the full form keeps them).
    lengths
        The list lengths this operator takes (default: 1, spatial, spatial + 2).
    minimum
        Smallest value accepted per axis.

    Examples
    --------
    >>> spatial_ints([1, 2, 3, 1], 2, "strides", "conv2d", last=True)
    (2, 3)
    >>> spatial_ints(2, 2, "strides", "conv2d", last=False)
    (2, 2)
    """
    allowed = tuple(lengths) if lengths is not None else (1, spatial, spatial + 2)
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        items = [int(value)]
        if 1 not in allowed:
            raise ValueError(f"{op}: {name}={value!r} must be a list of length {_lengths(allowed)}")
    else:
        if isinstance(value, str) or not isinstance(value, (Sequence, np.ndarray)):
            raise TypeError(f"{op}: {name} must be an int or a list of ints, got {value!r}")
        items = list(value)
        if not all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in items):
            raise TypeError(f"{op}: {name} must be an int or a list of ints, got {value!r}")
        items = [int(v) for v in items]
        if len(items) not in allowed:
            raise ValueError(f"{op}: {name}={value!r} must have length {_lengths(allowed)}")
    if len(items) == spatial + 2 and spatial + 2 != 1:
        outer = (items[0], items[-1]) if last else (items[0], items[1])
        if outer != (1, 1):
            raise ValueError(
                f"{op}: {name}={value!r} moves along the batch or channel axis; "
                "TensorFlow supports only 1 there"
            )
        items = items[1:-1] if last else items[2:]
    if len(items) == 1:
        items = items * spatial
    for v in items:
        if v < minimum:
            raise ValueError(f"{op}: {name}={value!r} must be >= {minimum} on every axis")
    return tuple(items)


def _lengths(allowed: Sequence[int]) -> str:
    return " or ".join(str(n) for n in allowed)


def to_channels_first(x: np.ndarray, last: bool) -> np.ndarray:
    """``(N, *spatial, C)`` as ``(N, C, *spatial)`` (a view); channels-first input unchanged."""
    return np.moveaxis(x, -1, 1) if last else x


def from_channels_first(y: np.ndarray, last: bool) -> np.ndarray:
    """Back to the caller's layout, as a contiguous array."""
    return np.ascontiguousarray(np.moveaxis(y, 1, -1) if last else y)


def tensor(value: Any, name: str, op: str, rank: int) -> np.ndarray:
    """An array of exactly ``rank`` dimensions (TensorFlow takes no unbatched inputs here)."""
    array = as_array(value, name, op)
    if array.ndim != rank:
        raise ValueError(f"{op}: {name} must be {rank}-D, got shape {array.shape}")
    return array


_INT32 = np.iinfo(np.int32)


def tf_convert(value: Any, name: str, op: str) -> np.ndarray:
    """``value`` as an array, converted as ``tf.convert_to_tensor`` would (the dtype is not checked).

    Python lists become float32 or int32 (int64 when an int does not fit),
    as TensorFlow makes them; arrays and torch tensors keep their dtype.

    Examples
    --------
    >>> tf_convert([[1.5, 2.0]], "input", "max_pool1d").dtype, tf_convert([-2**31], "x", "op").dtype
    (dtype('float32'), dtype('int32'))
    """
    if value is None:
        raise TypeError(f"{op}: {name} must be an array, got None")
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor
        value = value.detach().cpu().numpy()
    from_python = not hasattr(value, "dtype")
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{op}: {name} could not be converted to an array ({error})") from None
    if from_python and array.dtype == np.float64:
        return array.astype(np.float32)
    if (
        from_python
        and array.dtype == np.int64
        and (array.size == 0 or (_INT32.min <= array.min() and array.max() <= _INT32.max))
    ):
        return array.astype(np.int32)
    return array


Params = ParamSpec("Params")
Result = TypeVar("Result", covariant=True)


class Plan(Protocol[Result]):
    """A checked call (the frontends' ``*Run`` classes): its kernels run on :meth:`run`."""

    def run(self) -> Result: ...


def runs_plan(
    plan: Callable[Params, Plan[Result]], doc: str, returns: str = "np.ndarray"
) -> Callable[Params, Result]:
    """The public operator ``plan_<op>`` plans: it checks a call with ``plan`` and runs it (one signature).

    The operator takes ``plan``'s parameters, belongs to ``plan``'s module
    (so its docstring's examples run there), documents itself with ``doc`` and
    shows ``returns`` as its return annotation to ``help`` and ``inspect``.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class Doubled:
    ...     x: int
    ...     def run(self) -> int:
    ...         return 2 * self.x
    >>> def plan_double(x: int) -> Doubled:
    ...     return Doubled(x)
    >>> double = runs_plan(plan_double, "Twice ``x``.")
    >>> double(x=21), double.__name__, list(inspect.signature(double).parameters)
    (42, 'double', ['x'])
    """

    def operator(*args: Params.args, **kwargs: Params.kwargs) -> Result:
        return plan(*args, **kwargs).run()

    operator.__name__ = operator.__qualname__ = plan.__name__.removeprefix("plan_")
    operator.__doc__ = doc
    operator.__module__ = plan.__module__
    operator.__annotations__ = {**plan.__annotations__, "return": returns}
    signature = inspect.signature(plan).replace(return_annotation=returns)
    setattr(operator, "__signature__", signature)  # noqa: B010 (mypy knows no such attribute)
    return operator
