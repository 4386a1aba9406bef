"""Argument checking shared by the PyTorch-style frontend.

Every message names the operator, the argument, the value received and what
was expected; every check runs before any large allocation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
INT_DTYPES = tuple(np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64, np.uint8))


def as_array(value: Any, name: str, op: str) -> np.ndarray:
    """``numpy.asarray`` that also takes torch tensors (detached) and refuses odd dtypes."""
    if value is None:
        raise TypeError(f"{op}: {name} must be an array, got None")
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{op}: {name} could not be converted to an array ({error})") from None
    if array.dtype not in FLOAT_DTYPES and array.dtype not in INT_DTYPES:
        raise TypeError(
            f"{op}: {name} has dtype {array.dtype}; expected float16, float32, float64 or an integer type"
        )
    return array


def same_dtype(op: str, **arrays: np.ndarray | None) -> np.dtype[Any]:
    """The common dtype of the named arrays; mixing dtypes is refused, as PyTorch does."""
    present = {name: a for name, a in arrays.items() if a is not None}
    dtypes = {a.dtype for a in present.values()}
    if len(dtypes) > 1:
        described = ", ".join(f"{name} is {a.dtype}" for name, a in present.items())
        raise TypeError(f"{op}: arguments must share one dtype ({described})")
    return next(iter(dtypes))


def _as_int(value: Any, name: str, op: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{op}: {name} must be an int or a tuple of ints, got {value!r}")
    return int(value)


def int_tuple(value: Any, n: int, name: str, op: str) -> tuple[int, ...]:
    """An int or a sequence of ``n`` ints (or of one) as an ``n``-tuple."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return (int(value),) * n
    if isinstance(value, str) or not isinstance(value, Sequence | np.ndarray):
        raise TypeError(f"{op}: {name} must be an int or a tuple of ints, got {value!r}")
    items = [_as_int(v, name, op) for v in value]
    if len(items) == 1:
        items = items * n
    if len(items) != n:
        raise ValueError(
            f"{op}: expected {name} to be a single integer value or a list of {n} values "
            f"to match the convolution dimensions, but got {name}={list(value)!r}"
        )
    return tuple(items)


def positive(values: tuple[int, ...], name: str, op: str) -> tuple[int, ...]:
    if any(v <= 0 for v in values):
        raise ValueError(f"{op}: {name} must be positive, got {name}={values}")
    return values


def non_negative(values: tuple[int, ...], name: str, op: str) -> tuple[int, ...]:
    if any(v < 0 for v in values):
        raise ValueError(f"{op}: negative {name} is not supported, got {name}={values}")
    return values


def batched(x: np.ndarray, spatial: int, op: str, name: str = "input") -> tuple[np.ndarray, bool]:
    """Add the batch axis to an unbatched input; refuse other ranks."""
    if x.ndim == spatial + 2:
        return x, False
    if x.ndim == spatial + 1:
        return x[None], True
    raise ValueError(
        f"{op}: expected {spatial + 1}-d (unbatched) or {spatial + 2}-d (batched) {name}, "
        f"got {name} of shape {x.shape}"
    )
