"""``pad`` with PyTorch's semantics (pad-tuple order, modes, rank rules)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..core import PadMode
from ..kernels.pad import pad as pad_kernel
from ._args import as_array

PadModeName = Literal["constant", "reflect", "replicate", "circular"]
_MODES = {m.value: m for m in (PadMode.CONSTANT, PadMode.REFLECT, PadMode.REPLICATE, PadMode.CIRCULAR)}


def check_mode_padding(
    op: str, shape: Sequence[int], pairs: Sequence[tuple[int, int]], mode: PadMode
) -> None:
    """PyTorch's limits for reflect (pad < size) and circular (pad <= size) padding."""
    first = len(shape) - len(pairs)
    for axis, (n, (lo, hi)) in enumerate(zip(shape[first:], pairs), start=first):
        if mode is PadMode.REFLECT and max(lo, hi) >= n:
            raise ValueError(
                f"{op}: reflect padding must be smaller than the input size, but got padding "
                f"({lo}, {hi}) for dimension {axis} of size {n} (input of shape {tuple(shape)})"
            )
        if mode is PadMode.CIRCULAR and max(lo, hi) > n:
            raise ValueError(
                f"{op}: circular padding ({lo}, {hi}) for dimension {axis} of size {n} would wrap "
                f"around more than once (input of shape {tuple(shape)})"
            )


def _fill_value(op: str, value: float | None, dtype: np.dtype[Any]) -> float | int:
    """The constant fill in ``dtype``: PyTorch truncates a fractional fill toward zero for
    integer inputs and refuses one the dtype cannot hold."""
    if value is None:
        return 0
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: value must be a number, got {value!r}")
    if dtype.kind in "iu":
        if not math.isfinite(value):
            raise ValueError(f"{op}: value={value!r} cannot be converted to {dtype}")
        fill = int(value)  # toward zero, as PyTorch
        info = np.iinfo(dtype)
        if not info.min <= fill <= info.max:
            raise ValueError(f"{op}: value={value!r} cannot be converted to {dtype} without overflow")
        return fill
    if math.isfinite(value) and abs(float(value)) > float(np.finfo(dtype).max):
        raise ValueError(f"{op}: value={value!r} cannot be converted to {dtype} without overflow")
    return float(value)


@dataclass(frozen=True)
class PadPlan:
    x: np.ndarray
    pairs: tuple[tuple[int, int], ...]
    mode: PadMode
    value: float | int


def plan_pad(input: Any, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> PadPlan:
    op = "pad"
    x = as_array(input, "input", op)
    if mode not in _MODES:
        raise ValueError(f"{op}: unrecognised padding mode {mode!r}; expected one of {tuple(_MODES)}")
    if isinstance(pad, (str, bytes)) or not isinstance(pad, Sequence | np.ndarray):
        raise TypeError(f"{op}: pad must be a sequence of ints, got {pad!r}")
    values = []
    for v in pad:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{op}: pad must be a sequence of ints, got pad={tuple(pad)!r}")
        values.append(int(v))
    if len(values) % 2:
        raise ValueError(f"{op}: padding length must be divisible by 2, got pad={tuple(values)}")
    k = len(values) // 2
    if k > x.ndim:
        raise ValueError(
            f"{op}: pad={tuple(values)} pads {k} dimensions but input of shape {x.shape} has {x.ndim}"
        )
    # PyTorch lists the last dimension first.
    pairs = tuple((values[2 * i], values[2 * i + 1]) for i in reversed(range(k)))
    kind = _MODES[mode]
    if kind is PadMode.CONSTANT:
        for axis, (n, (lo, hi)) in enumerate(zip(x.shape[x.ndim - k :], pairs), start=x.ndim - k):
            if n + lo + hi < 0:
                raise ValueError(
                    f"{op}: pad ({lo}, {hi}) leaves a negative size {n + lo + hi} for "
                    f"dimension {axis} of input of shape {x.shape}"
                )
        return PadPlan(x, pairs, kind, _fill_value(op, value, x.dtype))
    if value not in (None, 0, 0.0):
        raise ValueError(f"{op}: padding mode {mode!r} doesn't take in value argument (got value={value!r})")
    if k not in (1, 2, 3) or x.ndim not in (k + 1, k + 2):
        raise ValueError(
            f"{op}: mode={mode!r} pads the last 1, 2 or 3 dimensions of a 2-d/3-d, 3-d/4-d or "
            f"4-d/5-d input; got pad={tuple(values)} ({k} dimensions) for input of shape {x.shape}"
        )
    check_mode_padding(op, x.shape, pairs, kind)
    return PadPlan(x, pairs, kind, 0)


def pad(
    input: Any, pad: Sequence[int], mode: PadModeName = "constant", value: float | None = None
) -> np.ndarray:
    """Pad the trailing dimensions of ``input``, as ``torch.nn.functional.pad``.

    Parameters
    ----------
    input : array_like
    pad : sequence of int
        ``(last_low, last_high, second_last_low, second_last_high, ...)``.
        Negative values crop.
    mode : {'constant', 'reflect', 'replicate', 'circular'}
        Non-constant modes pad 1, 2 or 3 trailing dimensions of an input with
        one or two more dimensions (PyTorch's rule); reflect padding must be
        smaller than the size, circular at most the size.
    value : float, optional
        Fill for ``'constant'`` (default 0). Integer inputs keep their dtype
        and are padded exactly; a fractional fill is truncated toward zero and
        one the dtype cannot hold is refused, both as PyTorch does.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> import numpy as np
    >>> pad(np.arange(4.0).reshape(1, 4), (3, 3), mode="reflect")
    array([[3., 2., 1., 0., 1., 2., 3., 2., 1., 0.]])
    >>> pad(np.arange(4.0).reshape(1, 4), (3, 3), mode="circular")
    array([[1., 2., 3., 0., 1., 2., 3., 0., 1., 2.]])
    >>> pad(np.array([[1, 2]]), (1, -1), value=7)
    array([[7, 1]])
    """
    plan = plan_pad(input, pad, mode, value)
    return pad_kernel(plan.x, plan.pairs, plan.mode, plan.value)
