"""The explorer's JSON API: one configuration in, everything the page draws out.

The page does no arithmetic. For a configuration it asks :func:`explore`,
which answers with the output shape and its per-axis formula
(:func:`convscope.arith.shape_report`), one frame of the animated diagram as
SVG and the number of frames (:func:`convscope.viz.animate`), the overlap map
and the receptive field as SVG figures (:func:`convscope.viz.figure`).
Stepping through the animation asks :func:`frame` for one frame at a time;
animations are kept in a small cache, so a step only draws.

Every refusal (a malformed field, a size over the caps, a configuration the
framework refuses) is an :class:`ApiError` whose message the page shows.
"""

from __future__ import annotations

import sys
import threading
import traceback
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import convscope.arith as arith
import convscope.viz as viz

from .params import ApiError, Request, read_request, schema

__all__ = ["ApiError", "explore", "frame", "schema"]

_CACHE_SIZE = 24
_cache: OrderedDict[str, viz.Animation] = OrderedDict()
_cache_lock = threading.Lock()


def _guard(call: Callable[[], Any]) -> Any:
    """Run a convscope call; its refusals become :class:`ApiError` with the same message."""
    try:
        return call()
    except ApiError:
        raise
    except (ValueError, TypeError, ArithmeticError) as error:
        raise ApiError(" ".join(str(error).split()) or type(error).__name__) from None


def _animation(request: Request) -> viz.Animation:
    key = request.key()
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    animation: viz.Animation = _guard(lambda: viz.animate(request.op, request.input, **request.params))
    if len(animation) == 0:
        raise ApiError("this configuration has no output cell to draw")
    with _cache_lock:
        _cache[key] = animation
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return animation


def _frame_index(fields: Mapping[str, Any], count: int) -> int:
    raw = fields.get("frame", 0)
    try:
        if isinstance(raw, (bool, float)):
            raise ValueError(raw)
        index = int(raw)
    except (TypeError, ValueError):
        raise ApiError(f"frame: expected an integer, got {raw!r}") from None
    if not 0 <= index < count:
        raise ApiError(f"frame={index} is out of range: this animation has {count} frames (0 to {count - 1})")
    return index


def _frame_payload(animation: viz.Animation, index: int) -> dict[str, Any]:
    """One frame and its neighbours' indices, so the page's controls need no arithmetic."""
    count = len(animation)
    return {
        "count": count,
        "frame": index,
        "last": count - 1,
        "next": (index + 1) % count,
        "previous": (index - 1) % count,
        "label": f"step {index + 1} / {count}",
        "caption": animation.frames[index].caption,
        "svg": _guard(lambda: animation.svg(frame=index)),
    }


def frame(fields: Mapping[str, Any]) -> dict[str, Any]:
    """One frame of the configuration's animation.

    Returns ``{"ok", "count", "frame", "last", "next", "previous", "label", "caption", "svg"}``.

    Examples
    --------
    >>> f = frame({"operator": "conv", "input": "4,4", "kernel_size": "3", "frame": "1"})
    >>> f["count"], f["frame"], f["svg"].lstrip().startswith(("<svg", "<?xml"))
    (4, 1, True)
    """
    request = read_request(fields)
    animation = _animation(request)
    return {"ok": True, **_frame_payload(animation, _frame_index(fields, len(animation)))}


def _shape_call(request: Request) -> tuple[str, dict[str, Any]]:
    """The operator and arguments of :func:`convscope.arith.shape_report` for the request."""
    params = {k: v for k, v in request.params.items() if k != "values"}
    if request.op == "upsample_nearest":
        return "interpolate", {"mode": "nearest", **params}
    if request.op == "upsample_bilinear":  # viz's default: align_corners=False, as nn.Upsample
        mode = "linear" if len(request.input) == 1 else "bilinear"
        return "interpolate", {"mode": mode, "align_corners": False, **params}
    return request.op, params


def _shape(request: Request) -> dict[str, Any]:
    op, params = _shape_call(request)
    report = _guard(lambda: arith.shape_report(op, request.input, **params))
    data: dict[str, Any] = _guard(report.to_dict)
    return data


def _figure(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    figure = _guard(lambda: viz.figure(kind, **params))
    return {"svg": _guard(figure.svg)}


def _per_axis(shape: dict[str, Any], key: str) -> tuple[Any, ...]:
    """One field of every axis of the shape report (the geometry as arith resolved it)."""
    return tuple(axis[key] for axis in shape["axes"])


_SCATTERS = ("conv_transpose", "max_unpool", "avg_unpool")
_WINDOWS = ("conv", "max_pool", "avg_pool")


def _overlap(request: Request, shape: dict[str, Any]) -> dict[str, Any]:
    """The overlap map, with the geometry of the shape report.

    A transposed convolution (or an unpooling, its geometry) gets the taps
    reaching each output cell; a convolution or pooling the windows reading
    each input cell (the overlap of its gradient).
    """
    if request.op not in _SCATTERS + _WINDOWS:
        return {"note": f"{request.operator.label} has no kernel whose footprints overlap"}
    pads = _per_axis(shape, "padding")
    symmetric = all(lo == hi for lo, hi in pads)
    params: dict[str, Any] = {
        "kernel_size": _per_axis(shape, "kernel"),
        "stride": _per_axis(shape, "stride"),
        "dilation": tuple(d or 1 for d in _per_axis(shape, "dilation")),
        "input": request.input,
    }
    if request.op in _SCATTERS:
        title = "overlap: kernel taps reaching each output cell (uneven = checkerboard)"
        if symmetric:
            params["padding"] = tuple(lo for lo, _ in pads)
            if request.op == "conv_transpose":
                params["output_padding"] = _per_axis(shape, "output_padding")
        else:  # padding only trims the borders; the interior pattern is the same
            title += ", before the asymmetric padding trims the borders"
        return {"title": title, **_figure("overlap", params)}
    if not symmetric:
        return {"note": "the gradient's overlap map is drawn for symmetric padding"}
    if shape.get("options", {}).get("ceil_mode"):
        return {"note": "the gradient's overlap map is drawn without ceil_mode"}
    params["padding"] = tuple(lo for lo, _ in pads)
    return {
        "title": "overlap of the gradient: windows reading each input cell",
        **_figure("overlap", {**params, "gradient": True}),
    }


def _rf(request: Request, shape: dict[str, Any]) -> dict[str, Any]:
    """The receptive field of the single layer on its input, first axis, with the shape report's geometry."""
    kinds = {"conv": "conv", "max_pool": "pool", "avg_pool": "pool", "conv_transpose": "transpose"}
    kind = kinds.get(request.op)
    if kind is None:
        return {
            "note": f"the receptive field is drawn for convolutions and pooling, not {request.operator.label}"
        }
    axis = shape["axes"][0]
    lo, hi = axis["padding"]
    layers = f"{kind} k{axis['kernel']} s{axis['stride']} p{lo},{hi} d{axis['dilation'] or 1}"
    where = " (first axis)" if len(shape["axes"]) > 1 else ""
    return {"title": f"receptive field of {layers}{where}", **_figure("rf", {"layers": layers})}


def _section(
    build: Callable[[Request, dict[str, Any]], dict[str, Any]], request: Request, shape: dict[str, Any]
) -> dict[str, Any]:
    """One panel; its refusal is shown in the panel rather than failing the whole page."""
    try:
        return build(request, shape)
    except ApiError as error:
        return {"note": str(error)}
    except Exception as error:  # a bug in one figure must not blank the page; it is logged
        traceback.print_exc(file=sys.stderr)
        return {"note": f"cannot draw this figure ({type(error).__name__}: {error})"}


def explore(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Everything the page draws for one configuration.

    Parameters
    ----------
    fields : mapping
        ``operator`` and its parameters (see :func:`convscope.web.params.read_request`),
        and optionally ``frame``.

    Returns
    -------
    dict
        ``ok``, ``request`` (the parameters as read), ``shape`` (the shape
        report), ``animation`` (``count``, ``frame``, ``caption``, ``svg``),
        ``overlap`` and ``rf`` (each ``svg`` and ``title``, or a ``note``
        saying why there is no such figure).

    Raises
    ------
    ApiError
        For anything the explorer or convscope refuses.

    Examples
    --------
    >>> r = explore({"operator": "conv", "input": "5,5", "kernel_size": "3", "stride": "2"})
    >>> r["ok"], r["shape"]["output"], r["animation"]["count"]
    (True, [2, 2], 4)
    """
    request = read_request(fields)
    shape = _shape(request)
    animation = _animation(request)
    index = _frame_index(fields, len(animation)) if "frame" in fields else 0
    return {
        "ok": True,
        "request": {
            "operator": request.operator.name,
            "input": list(request.input),
            **_jsonable(request.params),
        },
        "shape": shape,
        "animation": _frame_payload(animation, index),
        "overlap": _section(_overlap, request, shape),
        "rf": _section(_rf, request, shape),
    }


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        return [plain(v) for v in value] if isinstance(value, tuple) else value

    return {k: plain(v) for k, v in params.items()}
