"""Checking the arguments of :func:`convscope.viz.animate` before anything is built."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from ..core.window import is_int
from .frames import MAX_CELLS

#: every keyword :func:`convscope.viz.animate` knows, for any operator
KNOWN = {
    "kernel_size",
    "stride",
    "padding",
    "dilation",
    "output_padding",
    "output_size",
    "ceil_mode",
    "count_include_pad",
    "scale_factor",
    "size",
    "align_corners",
    "upscale_factor",
    "convention",
    "output_shape",
    "values",
    "seed",
}


def take(op: str, params: Mapping[str, Any], allowed: Iterable[str]) -> dict[str, Any]:
    """The parameters ``op`` uses; ``None`` means "not given"; others are refused by name."""
    allowed = set(allowed) | {"values", "seed"}
    given = {k: v for k, v in params.items() if v is not None}
    for key in given:
        if key not in allowed:
            known = "" if key in KNOWN else " (unknown argument)"
            raise TypeError(
                f"animate({op!r}): unexpected argument {key}={given[key]!r}{known}; "
                f"{op} takes {', '.join(sorted(allowed))}"
            )
    values = given.get("values", False)
    if not isinstance(values, (bool, np.bool_)):
        raise TypeError(f"animate({op!r}): values must be True or False, got values={values!r}")
    seed = given.get("seed", 0)
    if not is_int(seed) or seed < 0:
        raise ValueError(f"animate({op!r}): seed must be a non-negative int, got seed={seed!r}")
    given["values"], given["seed"] = bool(values), int(seed)
    return given


def sizes(op: str, input: Any) -> tuple[int, ...]:
    """The spatial input sizes: an int (1-d) or a tuple of one or two ints, each in ``1..MAX_CELLS``."""
    items = (input,) if is_int(input) else input
    if isinstance(items, (str, bytes)) or not isinstance(items, (tuple, list)):
        raise TypeError(
            f"animate({op!r}): input must be an int or a tuple of 1 or 2 ints, got input={input!r}"
        )
    if len(items) not in (1, 2) or not all(is_int(n) for n in items):
        raise ValueError(
            f"animate({op!r}): input must be an int or a tuple of 1 or 2 ints (1-d or 2-d), "
            f"got input={input!r}"
        )
    result = tuple(int(n) for n in items)
    if any(n < 1 for n in result):
        raise ValueError(f"animate({op!r}): input sizes must be positive, got input={input!r}")
    if any(n > MAX_CELLS for n in result):
        raise ValueError(
            f"animate({op!r}): input={input!r} is larger than the limit of {MAX_CELLS} cells per axis"
        )
    return result


def small(op: str, name: str, value: Any) -> None:
    """Refuse an int (or ints) above :data:`MAX_CELLS` before it reaches an allocation."""
    items: Sequence[Any] = value if isinstance(value, (tuple, list)) else (value,)
    flat: list[Any] = []
    for item in items:
        flat.extend(item if isinstance(item, (tuple, list)) else (item,))
    numbers = [int(v) for v in flat if is_int(v)]
    if any(abs(v) > MAX_CELLS for v in numbers):
        raise ValueError(
            f"animate({op!r}): {name}={value!r} is larger than the limit of {MAX_CELLS} cells per axis"
        )


def required(op: str, params: Mapping[str, Any], name: str, also_small: Iterable[str] = ()) -> None:
    """Refuse a missing ``name``, then ``name`` or any of ``also_small`` too large to draw.

    Both checks come before planning, which would allocate arrays of these sizes.
    """
    if name not in params:
        raise TypeError(f"animate({op!r}): missing required argument {name}")
    for key in (name, *also_small):
        small(op, key, params.get(key))


def convention(op: str, value: Any) -> str:
    if value not in ("torch", "tf"):
        raise ValueError(f"animate({op!r}): convention must be 'torch' or 'tf', got convention={value!r}")
    return str(value)
