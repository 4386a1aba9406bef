"""The explorer's operators, their parameters, and the reading of what the page sends.

The page builds its form from :func:`schema` and sends the fields back as
text (``"3"``, ``"3,2"``, ``"same"``, ``"1:2,0:1"``), or JSON numbers and
lists. :func:`read_request` turns them into the keyword arguments
``convscope.viz.animate`` and ``convscope.arith.shape_report`` take, and
refuses, with a message naming the field, anything malformed or over the
explorer's caps (small enough that every picture renders in well under a
second). No geometry is computed here: sizes are only compared with caps.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CAPS",
    "OPERATORS",
    "PARAMETERS",
    "ApiError",
    "Operator",
    "Parameter",
    "Request",
    "read_request",
    "schema",
]


class ApiError(ValueError):
    """A request the explorer refuses; the message is shown on the page as it is."""


#: Upper bounds the server enforces before any work (a configuration outside them is refused).
CAPS: dict[str, int] = {
    "ndim": 2,  # spatial axes: the diagrams are 1-d or 2-d
    "input": 16,  # cells per input axis
    "kernel_size": 7,
    "stride": 6,
    "dilation": 6,
    "padding": 6,
    "output_padding": 5,
    "output_shape": 48,
    "upscale_factor": 4,
    "scale_factor": 6,
}

Value = Any


@dataclass(frozen=True)
class Parameter:
    """One field of the form: its kind (ints, int, floats, padding, bool, choice) and help text."""

    name: str
    kind: str
    label: str
    help: str
    choices: tuple[str, ...] = ()


PARAMETERS: dict[str, Parameter] = {
    p.name: p
    for p in (
        Parameter("input", "ints", "input size", "cells per axis: 7 (1-d) or 5,5 (2-d)"),
        Parameter("kernel_size", "ints", "kernel size", "taps per axis: 3 or 3,2"),
        Parameter("stride", "ints", "stride", "step per axis (empty: the default)"),
        Parameter(
            "padding",
            "padding",
            "padding",
            "an int, per-axis ints 1,0, low:high pairs 1:2,0:1, 'same' or 'valid'",
        ),
        Parameter("dilation", "ints", "dilation", "gap between kernel taps, 1 = none"),
        Parameter("output_padding", "ints", "output padding", "extra cells on the high side"),
        Parameter(
            "output_shape", "ints", "output shape", "TensorFlow's conv_transpose output_shape (spatial)"
        ),
        Parameter("ceil_mode", "bool", "ceil mode", "round the number of windows up"),
        Parameter("scale_factor", "floats", "scale factor", "one, or one per axis"),
        Parameter("align_corners", "bool", "align corners", "corner pixels map to corner pixels"),
        Parameter("upscale_factor", "int", "upscale factor", "r: C*r*r channels -> r-times larger"),
        Parameter("convention", "choice", "convention", "whose semantics", ("torch", "tf")),
        Parameter("values", "bool", "numbers", "show the numbers of a real computation"),
    )
}


@dataclass(frozen=True)
class Operator:
    """One entry of the operator menu: the ``viz.animate`` op it draws and its form."""

    name: str
    op: str
    label: str
    group: str
    defaults: dict[str, Value] = field(default_factory=dict)

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(self.defaults)


_WINDOW = {"convention": "torch", "values": False}
OPERATORS: dict[str, Operator] = {
    o.name: o
    for o in (
        Operator(
            "conv",
            "conv",
            "convolution",
            "convolution",
            {"input": "5,5", "kernel_size": "3", "stride": "1", "padding": "0", "dilation": "1", **_WINDOW},
        ),
        Operator(
            "dilated",
            "conv",
            "dilated (atrous) convolution",
            "convolution",
            {"input": "7,7", "kernel_size": "3", "stride": "1", "padding": "0", "dilation": "2", **_WINDOW},
        ),
        Operator(
            "conv_transpose",
            "conv_transpose",
            "transposed convolution",
            "convolution",
            {
                "input": "3,3",
                "kernel_size": "3",
                "stride": "2",
                "padding": "0",
                "output_padding": "0",
                "dilation": "1",
                "output_shape": "",
                **_WINDOW,
            },
        ),
        Operator(
            "max_pool",
            "max_pool",
            "max pooling",
            "pooling",
            {
                "input": "6,6",
                "kernel_size": "2",
                "stride": "",
                "padding": "0",
                "dilation": "1",
                "ceil_mode": False,
                **_WINDOW,
            },
        ),
        Operator(
            "avg_pool",
            "avg_pool",
            "average pooling",
            "pooling",
            {"input": "6,6", "kernel_size": "2", "stride": "", "padding": "0", "ceil_mode": False, **_WINDOW},
        ),
        Operator(
            "max_unpool",
            "max_unpool",
            "max unpooling",
            "unpooling",
            {"input": "2,2", "kernel_size": "2", "stride": "", "padding": "0", "values": False},
        ),
        Operator(
            "avg_unpool",
            "avg_unpool",
            "average unpooling",
            "unpooling",
            {"input": "2,2", "kernel_size": "2", "stride": "", "padding": "0", "values": False},
        ),
        Operator(
            "upsample_nearest",
            "upsample_nearest",
            "nearest up-sampling",
            "up-sampling",
            {"input": "3,3", "scale_factor": "2", "values": False},
        ),
        Operator(
            "upsample_bilinear",
            "upsample_bilinear",
            "bilinear up-sampling",
            "up-sampling",
            {"input": "3,3", "scale_factor": "2", "align_corners": True, "values": False},
        ),
        Operator(
            "pixel_shuffle",
            "pixel_shuffle",
            "pixel shuffle",
            "up-sampling",
            {"input": "2,2", "upscale_factor": "2", "values": False},
        ),
    )
}


@dataclass(frozen=True)
class Request:
    """A read request: the menu entry, and the keyword arguments for viz and arith."""

    operator: Operator
    input: tuple[int, ...]
    params: dict[str, Value]

    @property
    def op(self) -> str:
        return self.operator.op

    def key(self) -> str:
        """A canonical text of the request (a cache key)."""
        return repr((self.operator.name, self.input, sorted(self.params.items())))


# -- reading one field ----------------------------------------------------------------
def _text(name: str, value: Value) -> str:
    if isinstance(value, bool):
        raise ApiError(f"{name}: expected a number or text, got {value!r}")
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return ",".join(_text(name, v) for v in value)
    if isinstance(value, str):
        if len(value) > 200:
            raise ApiError(f"{name}: value too long ({len(value)} characters)")
        return value.strip().strip("()[]").replace(" ", "")
    raise ApiError(f"{name}: expected a number or text, got {type(value).__name__}")


def _int(name: str, item: str) -> int:
    try:
        return int(item)
    except ValueError:
        raise ApiError(f"{name}: {item!r} is not an integer") from None


def _cap(name: str, values: tuple[Any, ...]) -> None:
    cap = CAPS.get(name)
    if cap is not None and any(abs(v) > cap for v in values):
        raise ApiError(f"{name}={_show(values)} is too large for the explorer (at most {cap} here)")


def _show(values: tuple[Any, ...]) -> str:
    return str(values[0]) if len(values) == 1 else ",".join(str(v) for v in values)


def _ints(name: str, value: Value) -> int | tuple[int, ...]:
    items = _text(name, value).replace("x", ",").split(",")  # 5x5 reads as 5,5
    if any(not i for i in items):
        raise ApiError(f"{name}: expected an int or comma-separated ints such as 3 or 3,2, got {value!r}")
    values = tuple(_int(name, i) for i in items)
    _cap(name, values)
    return values[0] if len(values) == 1 else values


def _floats(name: str, value: Value) -> float | tuple[float, ...]:
    items = _text(name, value).split(",")
    try:
        values = tuple(float(i) for i in items)
    except ValueError:
        raise ApiError(f"{name}: expected a number or comma-separated numbers, got {value!r}") from None
    if not all(math.isfinite(v) for v in values):
        raise ApiError(f"{name}: expected finite numbers, got {value!r}")
    _cap(name, values)
    return values[0] if len(values) == 1 else values


def _padding(name: str, value: Value) -> Value:
    text = _text(name, value)
    if text.lower() in ("same", "valid"):
        return text.lower()
    items = text.split(",")
    if any(":" in i for i in items):
        pairs = []
        for item in items:
            parts = item.split(":")
            if len(parts) == 1:
                parts *= 2
            if len(parts) != 2 or not all(parts):
                raise ApiError(f"{name}: {item!r} is not an int or a low:high pair")
            pair = (_int(name, parts[0]), _int(name, parts[1]))
            _cap(name, pair)
            pairs.append(pair)
        return tuple(pairs)
    if any(not i for i in items):
        raise ApiError(
            f"{name}: expected an int, per-axis ints, low:high pairs, 'same' or 'valid', got {value!r}"
        )
    return _ints(name, value)


def _bool(name: str, value: Value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "on", "yes"):
        return True
    if text in ("false", "0", "off", "no", ""):
        return False
    raise ApiError(f"{name}: expected true or false, got {value!r}")


def _choice(parameter: Parameter, value: Value) -> str:
    text = str(value).strip().lower()
    if text not in parameter.choices:
        raise ApiError(f"{parameter.name}: expected one of {', '.join(parameter.choices)}, got {value!r}")
    return text


_READERS: dict[str, Callable[[str, Value], Value]] = {
    "ints": _ints,
    "int": lambda n, v: _ints(n, v),
    "floats": _floats,
    "padding": _padding,
    "bool": _bool,
}


def _read(parameter: Parameter, value: Value) -> Value:
    if parameter.kind == "choice":
        return _choice(parameter, value)
    read = _READERS[parameter.kind]
    result = read(parameter.name, value)
    if parameter.kind == "int" and isinstance(result, tuple):
        raise ApiError(f"{parameter.name}: expected one integer, got {value!r}")
    return result


def read_request(fields: Mapping[str, Value]) -> Request:
    """Read the page's fields into a :class:`Request`; refuse anything malformed or too large.

    Parameters
    ----------
    fields : mapping
        ``operator`` (a key of :data:`OPERATORS`), then that operator's
        parameters as text or JSON values; empty fields take the default of
        the operator (the framework's). Unknown fields are refused.

    Examples
    --------
    >>> r = read_request({"operator": "conv", "input": "5,5", "kernel_size": "3", "padding": "1"})
    >>> r.op, r.input, r.params["padding"], "stride" in r.params
    ('conv', (5, 5), 1, False)
    >>> read_request({"operator": "conv", "input": "99"})
    Traceback (most recent call last):
    ...
    convscope.web.params.ApiError: input=99 is too large for the explorer (at most 16 here)
    """
    name = str(fields.get("operator", "conv"))
    operator = OPERATORS.get(name)
    if operator is None:
        raise ApiError(f"operator: expected one of {', '.join(OPERATORS)}, got {name!r}")
    unknown = sorted(set(fields) - {"operator", "frame"} - set(operator.parameters))
    if unknown:
        raise ApiError(f"{', '.join(unknown)}: not a parameter of {operator.label}")
    params: dict[str, Value] = {}
    for key in operator.parameters:
        value = fields.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue  # the framework's default
        params[key] = _read(PARAMETERS[key], value)
    if operator.name == "dilated" and "dilation" not in params:
        params["dilation"] = 2
    raw_input = params.pop("input", None)
    if raw_input is None:
        raise ApiError("input: give the input size, e.g. 5,5")
    sizes = raw_input if isinstance(raw_input, tuple) else (raw_input,)
    if not 1 <= len(sizes) <= CAPS["ndim"]:
        raise ApiError(f"input={_show(sizes)}: the explorer draws 1-d or 2-d inputs")
    if any(s < 1 for s in sizes):
        raise ApiError(f"input={_show(sizes)}: every size must be at least 1")
    if params.get("convention") == "torch":
        del params["convention"]  # the default; keeps requests for torch free of it
    if "output_shape" in params:
        shape = params["output_shape"]
        params["output_shape"] = shape if isinstance(shape, tuple) else (shape,)
    if params.get("values") is False:
        del params["values"]
    return Request(operator, sizes, params)


def schema() -> dict[str, Any]:
    """What the page builds its form from: operators with defaults, parameter help, caps.

    Examples
    --------
    >>> s = schema()
    >>> [o["name"] for o in s["operators"]][:3], s["caps"]["input"]
    (['conv', 'dilated', 'conv_transpose'], 16)
    """
    return {
        "ok": True,
        "operators": [
            {"name": o.name, "op": o.op, "label": o.label, "group": o.group, "defaults": o.defaults}
            for o in OPERATORS.values()
        ],
        "parameters": {
            p.name: {"kind": p.kind, "label": p.label, "help": p.help, "choices": list(p.choices)}
            for p in PARAMETERS.values()
        },
        "caps": dict(CAPS),
    }
