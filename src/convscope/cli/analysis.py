"""The analysis subcommands: ``convscope shape``, ``rf``, ``overlap``, ``gridding``, ``matrix``, ``cost``
and ``summary``.

Each subcommand is one function that asks :mod:`convscope.arith` (and, for
padding resolution, :mod:`convscope.core`) and returns a result dict of plain
JSON data, plus a text renderer for people. ``--json`` prints the dict as one
JSON object. Nothing here computes a size: formulas are *text*, written from
the values, and every number printed after ``=`` is the answer of an arith
call. Values arith refuses (``ValueError``/``TypeError``) become one line on
stderr, ``convscope <cmd>: error: <message>``, and exit status 2.

Non-integer numbers (the receptive field of a transposed convolution, in
samples of the network input) are written as fractions, ``"1/2"``, in JSON.

Examples
--------
>>> from convscope.cli.main import main
>>> main(["shape", "conv", "--input", "7", "--kernel", "3", "--stride", "2", "--padding", "1"])
conv: input 7 -> output 4
axis  input  kernel  stride  dilation  padding  output
----  -----  ------  ------  --------  -------  ------
   L      7       3       2         1   (1, 1)       4
L_out = floor((7 + 2*1 - 1*(3-1) - 1)/2) + 1 = 4
0
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import sys
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

import convscope.arith as arith
import convscope.core as core
import convscope.nn as nn

__all__ = [
    "COMMANDS",
    "DENSE_LIMIT",
    "add_analysis_commands",
    "cost_result",
    "gridding_result",
    "matrix_result",
    "overlap_result",
    "rf_result",
    "shape_result",
    "summary_result",
]

Result = dict[str, Any]

#: Largest matrix (rows x columns) ``convscope matrix`` prints densely; ``--json`` has no limit.
DENSE_LIMIT = 4096


# -- argument types -------------------------------------------------------------
def _int_list(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(item) for item in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an int or comma-separated ints such as 3 or 3,3, got {text!r}"
        ) from None


def _ints(text: str) -> int | tuple[int, ...]:
    values = _int_list(text)
    return values[0] if len(values) == 1 else values


def _floats(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(item) for item in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None


def _padding(text: str) -> int | str | tuple[Any, ...]:
    """An int, per-axis ints ``1,2``, ``(low:high)`` pairs ``1:2,0:1``, ``same`` or ``valid``."""
    word = text.strip().lower()
    if word in ("same", "valid"):
        return word
    items = text.split(",")
    try:
        if any(":" in item for item in items):
            pairs = []
            for item in items:
                parts = item.split(":") * (1 if ":" in item else 2)
                if len(parts) != 2:
                    raise ValueError(item)
                pairs.append((int(parts[0]), int(parts[1])))
            return tuple(pairs)
        values = tuple(int(item) for item in items)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an int, per-axis ints (1,2), low:high pairs (1:2,0:1), 'same' or 'valid', got {text!r}"
        ) from None
    return values[0] if len(values) == 1 else values


# -- shared formatting --------------------------------------------------------
def _text(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{value:.4g}"
    if isinstance(value, tuple) and all(isinstance(v, (int, np.integer)) for v in value):
        return str(value[0]) if len(value) == 1 else "(" + ", ".join(str(v) for v in value) + ")"
    return str(value)


def _table(rows: Sequence[Sequence[Any]], headers: Sequence[str] | None = None) -> str:
    """Right-aligned columns, with a rule under ``headers`` when given (also used for grids of numbers)."""
    cells = [[_text(v) for v in row] for row in ([headers] if headers else []) + list(rows)]
    widths = [max(len(row[i]) for row in cells if i < len(row)) for i in range(max(map(len, cells)))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    if headers:
        lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _grid(values: Any, hole: str | None = None) -> str:
    """A 1-d or 2-d array as rows of numbers; zeros shown as ``hole`` when given."""
    array = np.asarray(values)
    if array.ndim > 2:
        raise ValueError(f"can only show 1-d or 2-d maps, got {array.ndim}-d")
    rows = np.atleast_2d(array).tolist()
    return _table([[hole if hole is not None and v == 0 else v for v in row] for row in rows])


def _fraction(value: Any) -> str:
    return str(value) if isinstance(value, Fraction) else _text(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _each(value: Any, n: int) -> tuple[Any, ...]:
    """A per-axis argument (already accepted by arith) as one value per axis."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    return values * n if len(values) == 1 else values


def _axis_names(n: int) -> tuple[str, ...]:
    return {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}.get(n, tuple(f"X{i + 1}" for i in range(n)))


def _shape_text(values: Sequence[int]) -> str:
    return "x".join(str(v) for v in values)


# -- shape --------------------------------------------------------------------
_OPS = {
    "conv": "conv",
    "conv_transpose": "conv_transpose",
    "transposed": "conv_transpose",
    "pool": "max_pool",
    "maxpool": "max_pool",
    "avgpool": "avg_pool",
}


def _pad_sum(lo: int, hi: int) -> str:
    return f"2*{lo}" if lo == hi else f"{lo} + {hi}"


def shape_result(args: argparse.Namespace) -> Result:
    """Output size per axis of a convolution, transposed convolution or pooling, with its formula.

    Parameters
    ----------
    args : argparse.Namespace
        ``op``, ``input``, ``kernel``, ``stride``, ``padding``, ``dilation``,
        ``output_padding``, ``ceil_mode`` and ``convention`` as the
        ``convscope shape`` options parse them.

    Returns
    -------
    dict
        ``op``, ``input``, ``output`` and one entry per axis in ``axes`` with
        the resolved ``(low, high)`` padding, the ``output`` (from
        :mod:`convscope.arith`) and the ``formula`` with the numbers written in;
        for ``conv_transpose`` also the ``alternatives`` reachable through
        ``output_padding``.

    Raises
    ------
    ValueError, TypeError
        Options that do not apply to ``op``, and everything arith refuses.
    """
    op = _OPS[args.op]
    sizes: tuple[int, ...] = args.input
    n = len(sizes)
    names = _axis_names(n)
    given = {
        "--output-padding": (args.output_padding is not None, op == "conv_transpose"),
        "--ceil-mode": (args.ceil_mode, op in ("max_pool", "avg_pool")),
        "--convention": (args.convention is not None, op == "conv"),
        "--dilation": (args.dilation is not None, op != "avg_pool"),
    }
    for option, (present, applies) in given.items():
        if present and not applies:
            raise ValueError(f"{option} does not apply to {args.op}")
    kernel, padding = args.kernel, args.padding
    dilation = 1 if args.dilation is None else args.dilation
    result: Result = {"command": "shape", "op": op, "input": list(sizes)}
    pairs: tuple[tuple[int, int], ...]
    if op == "conv":
        stride = 1 if args.stride is None else args.stride
        convention = args.convention or "torch"
        result["convention"] = convention
        if padding == "same" and convention == "tf":
            pairs = arith.same_padding(sizes, kernel, stride, dilation, convention="tf")
            out = arith.conv_output_size(sizes, kernel, stride, pairs, dilation)
        else:
            out = arith.conv_output_size(sizes, kernel, stride, padding, dilation)
            if padding == "same":
                pairs = arith.same_padding(sizes, kernel, stride, dilation, convention="torch")
            else:
                spans = arith.effective_kernel_size(_each(kernel, n), dilation)
                pairs = core.resolve_padding(padding, sizes, spans, _each(stride, n))
    elif op == "conv_transpose":
        stride = 1 if args.stride is None else args.stride
        out_pad = 0 if args.output_padding is None else args.output_padding
        out = arith.conv_transpose_output_size(sizes, kernel, stride, padding, out_pad, dilation)
        spans = arith.effective_kernel_size(_each(kernel, n), dilation)
        pairs = core.resolve_padding(padding, sizes, spans, _each(stride, n))
        alternatives = arith.transpose_output_sizes(sizes, kernel, stride, padding, dilation)
    else:
        out = arith.pool_output_size(sizes, kernel, args.stride, padding, dilation, bool(args.ceil_mode))
        stride = kernel if args.stride is None else args.stride  # PyTorch's default
        pairs = tuple((p, p) for p in _each(padding, n))
        result["ceil_mode"] = bool(args.ceil_mode)
    axes = []
    for a, (name, i, k, s, d, (lo, hi), o) in enumerate(
        zip(names, sizes, _each(kernel, n), _each(stride, n), _each(dilation, n), pairs, out)
    ):
        axis: Result = {"name": name, "input": i, "kernel": k, "stride": s, "dilation": d}
        axis["padding"] = [lo, hi]
        if op == "conv_transpose":
            q = _each(out_pad, n)[a]
            pad = f"2*{lo}" if lo == hi else f"({lo} + {hi})"
            formula = f"({i}-1)*{s} - {pad} + {d}*({k}-1) + {q} + 1"
            axis["output_padding"] = q
            axis["alternatives"] = [{"size": size, "output_padding": p} for size, p in alternatives[a]]
        else:
            rounding = "ceil" if result.get("ceil_mode") else "floor"
            formula = f"{rounding}(({i} + {_pad_sum(lo, hi)} - {d}*({k}-1) - 1)/{s}) + 1"
        axis["output"] = o
        axis["formula"] = f"{name}_out = {formula} = {o}"
        axes.append(axis)
    result["output"] = list(out)
    result["axes"] = axes
    return result


def _render_shape(result: Result) -> str:
    axes = result["axes"]
    transposed = result["op"] == "conv_transpose"
    headers = ["axis", "input", "kernel", "stride", "dilation", "padding"]
    headers += ["output_padding", "output"] if transposed else ["output"]
    rows = [
        [a["name"], a["input"], a["kernel"], a["stride"], a["dilation"], tuple(a["padding"])]
        + ([a["output_padding"]] if transposed else [])
        + [a["output"]]
        for a in axes
    ]
    lines = [
        f"{result['op']}: input {_shape_text(result['input'])} -> output {_shape_text(result['output'])}",
        _table(rows, headers),
    ]
    lines += [a["formula"] for a in axes]
    if result.get("convention") == "tf":
        lines.append("tf SAME: total padding max((ceil(i/s)-1)*s + d*(k-1) + 1 - i, 0), extra cell high:")
        lines += [f"  {a['name']}: (low, high) = {_text(tuple(a['padding']))}" for a in axes]
    if result.get("ceil_mode"):
        lines.append("ceil_mode: a last window that would start past the input and low padding is dropped")
    if transposed:
        lines.append("sizes reachable with output_padding (0 <= output_padding < max(stride, dilation)):")
        for a in axes:
            choices = ", ".join(
                f"{c['size']} (output_padding={c['output_padding']})" for c in a["alternatives"]
            )
            lines.append(f"  {a['name']}_out: {choices}")
    return "\n".join(lines)


# -- rf -------------------------------------------------------------------------
_LAYER_KEYS = ("kind", "kernel_size", "stride", "padding", "dilation")


def _read_layers(path: Path) -> tuple[arith.Layer, ...]:
    """Layers from a JSON (or, with PyYAML installed, YAML) list of layer objects."""
    try:
        text = path.read_text()
    except OSError as error:
        raise ValueError(f"cannot read {str(path)!r}: {error.strerror}") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            yaml = importlib.import_module("yaml")
        except ImportError:
            raise ValueError(
                f"reading {str(path)!r} needs PyYAML, which is not installed; use JSON"
            ) from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise ValueError(f"{str(path)!r} is not valid YAML: {' '.join(str(error).split())}") from None
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"{str(path)!r} is not valid JSON: {error}") from None
    if not isinstance(data, list) or not data or not all(isinstance(item, dict) for item in data):
        raise ValueError(
            f"{str(path)!r} must hold a non-empty list of layer objects {{{', '.join(_LAYER_KEYS)}}}"
        )
    layers = []
    for i, item in enumerate(data):
        unknown = sorted(set(item) - set(_LAYER_KEYS))
        if unknown or "kind" not in item or "kernel_size" not in item:
            raise ValueError(
                f"layer {i} in {str(path)!r} must have kind and kernel_size (and optionally stride, padding, "
                f"dilation), got keys {sorted(item)}"
            )
        fields = dict(item)
        if isinstance(fields.get("padding"), list):
            fields["padding"] = tuple(fields["padding"])
        layers.append(arith.Layer(**fields))
    return tuple(layers)


def _describe(layer: arith.Layer) -> str:
    words = [layer.kind, f"k{layer.kernel_size}", f"s{layer.step}"]
    lo, hi = layer.pad
    words += [f"p{lo}" if lo == hi else f"p{lo},{hi}"] if (lo, hi) != (0, 0) else []
    words += [f"d{layer.dilation}"] if layer.dilation != 1 else []
    return " ".join(words)


def rf_result(args: argparse.Namespace) -> Result:
    """Receptive field, effective stride and padding after every layer (Araujo et al., 2019).

    Parameters
    ----------
    args : argparse.Namespace
        ``layers`` (text for :func:`convscope.arith.parse_layers`) or ``file``
        (a JSON/YAML list of layer objects), exactly one of them.

    Returns
    -------
    dict
        ``layers``: per layer ``r`` (size), ``S`` (stride), ``P`` (padding),
        ``u``, ``v`` (input interval of output 0) and ``centre``, relative to
        the network input; ``receptive_field``: the last ``r``.
    """
    if (args.layers is None) == (args.file is None):
        raise ValueError("give the layers either as text (LAYERS) or with --file, exactly one of them")
    layers = arith.parse_layers(args.layers) if args.file is None else _read_layers(args.file)
    fields = arith.receptive_field(layers)
    rows = []
    for field in fields:
        layer = field.layer
        rows.append(
            {
                "layer": _describe(layer),
                "kind": layer.kind,
                "kernel_size": layer.kernel_size,
                "stride": layer.step,
                "padding": list(layer.pad),
                "dilation": layer.dilation,
                "r": field.size,
                "S": field.stride,
                "P": field.padding,
                "u": field.u,
                "v": field.v,
                "centre": field.centre,
            }
        )
    return {"command": "rf", "layers": rows, "receptive_field": fields[-1].size}


def _render_rf(result: Result) -> str:
    rows = [
        [
            i + 1,
            r["layer"],
            *(_fraction(r[key]) for key in ("r", "S", "P")),
            f"[{_fraction(r['u'])}, {_fraction(r['v'])}]",
            _fraction(r["centre"]),
        ]
        for i, r in enumerate(result["layers"])
    ]
    last = result["layers"][-1]
    return "\n".join(
        [
            _table(rows, ["#", "layer", "r", "S", "P", "[u, v]", "centre"]),
            "r: receptive field size, S: effective stride, P: effective padding (on the network input);",
            "output j sees input [u + j*S, v + j*S], centred on centre + j*S.",
            f"receptive field: {_fraction(last['r'])}, stride {_fraction(last['S'])}",
        ]
    )


# -- overlap --------------------------------------------------------------------
def overlap_result(args: argparse.Namespace) -> Result:
    """Uneven overlap (checkerboard) of a transposed convolution, or of a convolution's gradient.

    Parameters
    ----------
    args : argparse.Namespace
        ``kernel``, ``stride``, ``dilation``, ``input``, ``padding``,
        ``output_padding``, ``two_d`` (make ints 2-d) and ``gradient`` (use
        :func:`convscope.arith.gradient_overlap`).

    Returns
    -------
    dict
        ``counts`` (contributions per output cell, or windows per input cell
        with ``gradient``), ``period``, ``interior``, ``unevenness``, ``is_uneven``.
    """
    kernel = args.kernel
    values = (kernel, args.stride, args.dilation, args.input, args.padding, args.output_padding)
    if any(isinstance(v, tuple) and len(v) > 2 for v in values):
        raise ValueError("overlap shows 1-d or 2-d maps: give at most two values per option")
    if args.two_d and isinstance(kernel, int):
        kernel = (kernel, kernel)
    common = {"dilation": args.dilation, "input_size": args.input, "padding": args.padding}
    if args.gradient:
        if args.output_padding != 0:
            raise ValueError("--output-padding applies to the transposed convolution, not to --gradient")
        overlap = arith.gradient_overlap(kernel, args.stride, **common)
    else:
        overlap = arith.overlap_map(kernel, args.stride, output_padding=args.output_padding, **common)
    return {
        "command": "overlap",
        "mode": "gradient" if args.gradient else "transposed",
        "kernel": kernel,
        "stride": args.stride,
        "dilation": args.dilation,
        "input": args.input,
        "counts": overlap.counts,
        "period": overlap.period,
        "interior": overlap.interior,
        "unevenness": overlap.unevenness,
        "is_uneven": overlap.is_uneven,
    }


def _render_overlap(result: Result) -> str:
    what = (
        "input-gradient of a convolution (all-ones kernel and cotangent): windows reading each input cell"
        if result["mode"] == "gradient"
        else "transposed convolution of all-ones input and kernel: contributions per output cell"
    )
    verdict = "uneven overlap (checkerboard)" if result["is_uneven"] else "even overlap (no checkerboard)"
    return "\n".join(
        [
            f"kernel {_text(result['kernel'])}, stride {_text(result['stride'])}, "
            f"dilation {_text(result['dilation'])}: {what}",
            _grid(result["counts"]),
            f"period {_text(tuple(result['period']))}; interior pattern (one period):",
            _grid(result["interior"]),
            f"unevenness (max - min) / mean = {result['unevenness']:.4g}: {verdict}",
        ]
    )


# -- gridding -------------------------------------------------------------------
def gridding_result(args: argparse.Namespace) -> Result:
    """HDC analysis and exact coverage of stacked dilated convolutions (Wang et al., 2018).

    Parameters
    ----------
    args : argparse.Namespace
        ``rates`` (tuple of int), ``kernel`` (int) and ``two_d`` (show the
        ``K x K`` coverage).

    Returns
    -------
    dict
        ``distances``, ``satisfies_hdc``, ``common_factor``, ``coverage`` (paths
        from each input cell of the receptive field; 0 is a hole),
        ``receptive_field``, ``holes``, ``has_holes``.
    """
    g = arith.gridding(args.rates, args.kernel)
    result: Result = {
        "command": "gridding",
        "rates": g.rates,
        "kernel_size": g.kernel_size,
        "distances": g.distances,
        "satisfies_hdc": g.satisfies_hdc,
        "common_factor": g.common_factor,
        "coverage": g.coverage,
        "receptive_field": g.receptive_field,
        "holes": g.holes,
        "has_holes": g.has_holes,
    }
    if args.two_d:
        result["coverage_2d"] = g.coverage_2d
    return result


def _render_gridding(result: Result) -> str:
    holes = f"{result['holes']} holes (gridding)" if result["has_holes"] else "no holes"
    lines = [
        f"rates {_text(tuple(result['rates']))}, kernel {result['kernel_size']}: "
        f"receptive field {result['receptive_field']}, {holes}",
        f"HDC distances M = {_text(tuple(result['distances']))}; common factor {result['common_factor']}; "
        f"satisfies HDC (M_2 <= K, no common factor > 1): {'yes' if result['satisfies_hdc'] else 'no'}",
        "coverage (paths from each input cell to the output; '.' is a hole):",
        _grid(result["coverage"], hole="."),
    ]
    if "coverage_2d" in result:
        lines += ["coverage of K x K layers:", _grid(result["coverage_2d"], hole=".")]
    return "\n".join(lines)


# -- matrix ---------------------------------------------------------------------
def matrix_result(args: argparse.Namespace) -> Result:
    """The matrix ``C`` of a single-channel convolution, ``conv(x).ravel() == C @ x.ravel()``.

    Parameters
    ----------
    args : argparse.Namespace
        ``input`` (spatial sizes), ``kernel``, ``stride``, ``padding``,
        ``dilation``, ``weight`` (row-major values; default the tap numbers
        ``1..n``), ``symbolic`` (``w11``-style labels, seed 004) and ``json``.

    Returns
    -------
    dict
        ``shape``, ``output`` (spatial output sizes), ``triplets`` (row,
        column, value of every stored entry) and ``dense`` when the matrix
        has at most :data:`DENSE_LIMIT` entries.

    Raises
    ------
    ValueError
        A matrix above :data:`DENSE_LIMIT` entries without ``--json``, a weight
        of the wrong size, and everything arith refuses.
    """
    sizes: tuple[int, ...] = args.input
    kernel = _each(args.kernel, len(sizes))
    if args.weight is None:
        weight: Any = (1, 1, *kernel)
    elif len(args.weight) != math.prod(kernel):
        raise ValueError(
            f"--weight has {len(args.weight)} values, expected {math.prod(kernel)} "
            f"for kernel {_shape_text(kernel)}"
        )
    else:
        weight = np.array(args.weight).reshape(1, 1, *kernel)
    matrix = arith.conv_matrix((1, *sizes), weight, args.stride, args.padding, args.dilation).tocoo()
    out = arith.conv_output_size(sizes, kernel, args.stride, args.padding, args.dilation)
    rows, cols = matrix.shape
    small = rows * cols <= DENSE_LIMIT
    if not small and not args.json:
        raise ValueError(
            f"the matrix is {rows}x{cols} = {rows * cols} entries, more than {DENSE_LIMIT} to print; "
            "use --json for its sparse (row, column, value) triplets"
        )
    if args.symbolic:
        labels = arith.symbolic_conv_matrix(sizes, kernel, args.stride, args.padding, args.dilation)
        values: list[Any] = labels[matrix.row, matrix.col].tolist()
        dense: Any = labels.tolist()
    else:
        values = matrix.data.tolist()
        dense = matrix.toarray().tolist() if small else None
    result: Result = {
        "command": "matrix",
        "input": list(sizes),
        "kernel": list(kernel),
        "output": list(out),
        "weights": "labels" if args.symbolic else "taps 1..n" if args.weight is None else list(args.weight),
        "shape": [rows, cols],
        "nnz": matrix.nnz,
        "triplets": [list(t) for t in zip(matrix.row.tolist(), matrix.col.tolist(), values)],
    }
    if small:
        result["dense"] = dense
    return result


def _render_matrix(result: Result) -> str:
    rows, cols = result["shape"]
    entries = {
        "labels": "w11 is the kernel's first tap (row, column, 1-based)",
        "taps 1..n": "tap numbers 1..n in row-major kernel order (w11 = 1, w12 = 2, ...)",
    }.get(result["weights"], "the given weights")
    return "\n".join(
        [
            f"y = C x: a {_shape_text(result['input'])} input and a {_shape_text(result['kernel'])} kernel "
            f"give a {_shape_text(result['output'])} output",
            f"C is {rows}x{cols}: row = output cell, column = input cell (row-major); entries: {entries}",
            _grid(np.array(result["dense"], dtype=object)),
        ]
    )


# -- cost -----------------------------------------------------------------------
#: The LayerSpec kinds :func:`convscope.arith.cost` accepts, read from LayerSpec's ``kind`` annotation.
COST_KINDS: tuple[str, ...] = typing.get_args(typing.get_type_hints(arith.LayerSpec)["kind"])
_CONV_KINDS = ("conv", "conv_transpose", "deform_conv", "depthwise_separable")
_CONV_OPTIONS = ("out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias")
_POOL_OPTIONS = ("kernel_size", "stride", "padding", "dilation", "ceil_mode")
#: The LayerSpec fields each kind uses besides ``in_channels`` (the input's C, for every kind); a cost
#: option outside them is refused.
_COST_FIELDS: dict[str, tuple[str, ...]] = {
    **{kind: _CONV_OPTIONS for kind in _CONV_KINDS},
    "conv_transpose": (*_CONV_OPTIONS, "output_padding"),
    "deform_conv": (*_CONV_OPTIONS, "mask"),
    "max_pool": _POOL_OPTIONS,
    "avg_pool": tuple(f for f in _POOL_OPTIONS if f != "dilation"),
    "adaptive_avg_pool": ("size",),
    "adaptive_max_pool": ("size",),
    "interpolate": ("size", "scale_factor", "mode", "align_corners"),
    "batch_norm": ("affine",),
    "elementwise": (),
}
#: LayerSpec field -> (argparse dest, value when the option was not given).
_COST_OPTIONS: dict[str, tuple[str, Any]] = {
    "in_channels": ("in_channels", None),
    "out_channels": ("out_channels", None),
    "kernel_size": ("kernel", None),
    "stride": ("stride", None),
    "padding": ("padding", None),
    "dilation": ("dilation", None),
    "groups": ("groups", None),
    "bias": ("bias", True),
    "output_padding": ("output_padding", None),
    "ceil_mode": ("ceil_mode", False),
    "mask": ("mask", False),
    "size": ("size", None),
    "scale_factor": ("scale", None),
    "mode": ("mode", None),
    "align_corners": ("align_corners", False),
    "affine": ("affine", True),
}
FLOP_CONVENTION = (
    "FLOPs = 2 x MACs (multiply + add, as torch's FlopCounterMode); zero-padding taps included; "
    "bias adds apart"
)


def _option(dest: str) -> str:
    return {"bias": "--no-bias", "affine": "--no-affine", "scale": "--scale"}.get(
        dest, "--" + dest.replace("_", "-")
    )


def cost_result(args: argparse.Namespace) -> Result:
    """Parameters, MACs, FLOPs, bias FLOPs and output shape of one layer (:func:`convscope.arith.cost`).

    Parameters
    ----------
    args : argparse.Namespace
        ``kind`` (a :class:`convscope.arith.LayerSpec` kind), ``input``
        (spatial sizes), ``batch`` and the LayerSpec fields as the
        ``convscope cost`` options parse them (``in_channels`` defaults to 1
        for the kinds without channels).

    Returns
    -------
    dict
        ``kind``, ``layer`` (the LayerSpec fields given), ``input_shape``,
        ``output_shape``, ``params``, ``macs``, ``flops``, ``bias_flops``,
        ``output_elements`` and the FLOP ``convention``.

    Raises
    ------
    ValueError, TypeError
        Options that do not apply to ``kind``, and everything arith refuses.
    """
    fields = _COST_FIELDS[args.kind]
    given = {field: getattr(args, dest) for field, (dest, unset) in _COST_OPTIONS.items()}
    given = {field: value for field, value in given.items() if value != _COST_OPTIONS[field][1]}
    for field in given:
        if field not in fields and field != "in_channels":
            raise ValueError(f"{_option(_COST_OPTIONS[field][0])} does not apply to {args.kind}")
    scale = given.get("scale_factor")
    if scale is not None and len(scale) == 1:
        given["scale_factor"] = scale[0]
    spec = arith.LayerSpec(args.kind, **given)
    channels = 1 if spec.in_channels is None else spec.in_channels
    shape = (args.batch, channels, *args.input)
    c = arith.cost(spec, shape)
    return {
        "command": "cost",
        "kind": args.kind,
        "layer": {k: list(v) if isinstance(v, tuple) else v for k, v in given.items()},
        "input_shape": list(shape),
        "output_shape": list(c.output_shape),
        "params": c.params,
        "macs": c.macs,
        "flops": c.flops,
        "bias_flops": c.bias_flops,
        "output_elements": c.output_elements,
        "convention": FLOP_CONVENTION,
    }


def _render_cost(result: Result) -> str:
    layer = ", ".join(
        f"{key}={_text(tuple(value) if isinstance(value, list) else value)}"
        for key, value in result["layer"].items()
    )
    rows = [
        ["params", f"{result['params']:,}"],
        ["MACs", f"{result['macs']:,}"],
        ["FLOPs", f"{result['flops']:,}"],
        ["bias FLOPs", f"{result['bias_flops']:,}"],
        ["output shape", _shape_text(result["output_shape"])],
    ]
    return "\n".join(
        [
            f"{result['kind']}({layer}): input {_shape_text(result['input_shape'])} "
            f"-> output {_shape_text(result['output_shape'])}",
            _table(rows),
            result["convention"],
        ]
    )


# -- summary --------------------------------------------------------------------
#: ``convscope summary`` layer words -> convscope.nn module; conv, pool and convt take rf's tokens.
_SUMMARY_LAYERS: dict[str, Any] = {
    "conv": nn.Conv2d,
    "convt": nn.ConvTranspose2d,
    "transpose": nn.ConvTranspose2d,
    "deconv": nn.ConvTranspose2d,
    "pool": nn.MaxPool2d,
    "maxpool": nn.MaxPool2d,
    "avgpool": nn.AvgPool2d,
    "bn": nn.BatchNorm2d,
    "relu": nn.ReLU,
}


def _build_layers(text: str, channels: int) -> nn.Sequential:
    """A 2-d nn.Sequential from layer text: rf's grammar plus ``c<channels>``, ``bn`` and ``relu``.

    Each ``;``-separated layer is a word of :data:`_SUMMARY_LAYERS`; conv,
    convt (transpose, deconv) and the pools take the tokens of
    :func:`convscope.arith.parse_layers` (``k s p d``, symmetric padding
    only), conv and convt also ``c<out_channels>`` (default: unchanged);
    bn and relu take no tokens.
    """
    modules: list[nn.Module] = []
    for chunk in filter(str.strip, text.replace("\n", ";").split(";")):
        word, *tokens = chunk.split()
        module = _SUMMARY_LAYERS.get(word.lower())
        if module is None:
            raise ValueError(
                f"unknown layer {word!r} in {chunk.strip()!r}, expected one of {sorted(_SUMMARY_LAYERS)}"
            )
        if module in (nn.BatchNorm2d, nn.ReLU):
            if tokens:
                raise ValueError(f"{word} takes no tokens, got {chunk.strip()!r}")
            modules.append(nn.BatchNorm2d(channels) if module is nn.BatchNorm2d else nn.ReLU())
            continue
        out = channels
        rest = []
        for token in tokens:
            if token[:1].lower() == "c" and module in (nn.Conv2d, nn.ConvTranspose2d):
                if not token[1:].isdigit() or int(token[1:]) < 1:
                    raise ValueError(f"cannot read {token!r} in {chunk.strip()!r}: expected c<channels>")
                out = int(token[1:])
            else:
                rest.append(token)
        (layer,) = arith.parse_layers(" ".join([word, *rest]))
        if layer.pad[0] != layer.pad[1]:
            raise ValueError(f"summary builds nn layers, which pad both sides alike: {chunk.strip()!r}")
        kernel, stride, pad, dilation = layer.kernel_size, layer.stride, layer.pad[0], layer.dilation
        if module is nn.Conv2d:
            modules.append(nn.Conv2d(channels, out, kernel, stride or 1, pad, dilation, rng=0))
        elif module is nn.ConvTranspose2d:
            modules.append(
                nn.ConvTranspose2d(channels, out, kernel, stride or 1, pad, dilation=dilation, rng=0)
            )
        elif module is nn.MaxPool2d:
            modules.append(nn.MaxPool2d(kernel, stride, pad, dilation))
        elif dilation != 1:
            raise ValueError(f"avgpool has no dilation: {chunk.strip()!r}")
        else:
            modules.append(nn.AvgPool2d(kernel, stride, pad))
        channels = out
    if not modules:
        raise ValueError(f"no layers in {text!r}")
    return nn.Sequential(*modules)


def _load_model(target: str) -> Any:
    """``module:attribute``: a convscope.nn Module, or a zero-argument callable returning one."""
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"--model must be module:attribute, got {target!r}")
    try:
        model: Any = importlib.import_module(module_name)
    except ImportError as error:
        raise ValueError(f"cannot import {module_name!r}: {error}") from None
    for name in attribute.split("."):
        if not hasattr(model, name):
            raise ValueError(f"{module_name!r} has no attribute {attribute!r}")
        model = getattr(model, name)
    if not isinstance(model, nn.Module) and callable(model):
        model = model()
    if not isinstance(model, nn.Module):
        raise ValueError(f"{target!r} is neither a convscope.nn.Module nor a callable returning one")
    return model


def summary_result(args: argparse.Namespace) -> Result:
    """Per-layer shapes, parameters, MACs and receptive field of a model (:func:`convscope.arith.summary`).

    Parameters
    ----------
    args : argparse.Namespace
        ``input`` (``N,C,H,W``) and either ``layers`` (text, see
        :func:`_build_layers`) or ``model`` (``module:attribute``).

    Returns
    -------
    dict
        ``rows`` (one per leaf call: ``name``, ``type``, ``depth``,
        ``input_shape``, ``output_shape``, ``params``, ``macs``, ``rf_size``,
        ``rf_stride``, ``rf_aligned``), the totals ``params``, ``macs``,
        ``flops``, the ``input_shape``, ``output_shape`` and ``table`` (the text).
    """
    if (args.layers is None) == (args.model is None):
        raise ValueError("give the model either as layer text (LAYERS) or with --model, exactly one of them")
    if args.layers is not None:
        if len(args.input) != 4:
            raise ValueError(
                f"layer text builds 2-d layers: --input must be N,C,H,W, got {_text(args.input)}"
            )
        model = _build_layers(args.layers, args.input[1])
    else:
        model = _load_model(args.model)
    s = arith.summary(model, args.input)
    rows = [
        {
            "name": r.name,
            "type": r.type,
            "depth": r.depth,
            "input_shape": list(r.input_shape),
            "output_shape": list(r.output_shape),
            "params": r.params,
            "macs": r.macs,
            "rf_size": None if r.rf_size is None else list(r.rf_size),
            "rf_stride": None if r.rf_stride is None else list(r.rf_stride),
            "rf_aligned": r.rf_aligned,
        }
        for r in s.rows
    ]
    return {
        "command": "summary",
        "input_shape": list(s.input_shape),
        "output_shape": list(s.output_shape),
        "rows": rows,
        "params": s.params,
        "macs": s.macs,
        "flops": s.flops,
        "table": str(s),
    }


def _render_summary(result: Result) -> str:
    return str(result["table"])


# -- registration -------------------------------------------------------------
@dataclass(frozen=True)
class _Command:
    name: str
    summary: str
    examples: str
    arguments: Callable[[argparse.ArgumentParser], None]
    build: Callable[[argparse.Namespace], Result]
    render: Callable[[Result], str]


def _shape_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "op",
        choices=sorted(_OPS),
        metavar="OP",
        help="conv, conv_transpose (alias transposed), pool (= maxpool) or avgpool",
    )
    p.add_argument(
        "--input",
        type=_int_list,
        required=True,
        metavar="SIZES",
        help="spatial input sizes, one per axis (L; H,W; D,H,W)",
    )
    p.add_argument("--kernel", type=_ints, required=True, help="kernel size: an int or one per axis")
    p.add_argument("--stride", type=_ints, help="stride (default 1; for pooling the kernel size)")
    p.add_argument(
        "--padding",
        type=_padding,
        default=0,
        help="an int, per-axis ints 1,2, low:high pairs 1:2,0:1, 'same' or 'valid' (conv)",
    )
    p.add_argument("--dilation", type=_ints, help="kernel dilation (default 1; not for avgpool)")
    p.add_argument("--output-padding", type=_ints, help="conv_transpose only: extra cells on the high side")
    p.add_argument("--ceil-mode", action="store_true", help="pooling only: round the window count up")
    p.add_argument(
        "--convention",
        choices=("torch", "tf"),
        help="conv only: what padding 'same' means (torch: stride 1 only; tf: TensorFlow SAME)",
    )


def _rf_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "layers",
        nargs="?",
        metavar="LAYERS",
        help="layers as text, e.g. 'conv k3 s2; pool k2; conv k3 d2 p1,0' (kinds conv, pool, "
        "maxpool, avgpool, transpose, convt, deconv; k kernel, s stride, p padding, d dilation)",
    )
    p.add_argument(
        "--file",
        type=Path,
        help="a JSON (or YAML, with PyYAML) list of objects {kind, kernel_size, stride, padding, dilation}",
    )


def _overlap_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kernel", type=_ints, required=True, help="kernel size: an int or one per axis")
    p.add_argument("--stride", type=_ints, required=True, help="stride: an int or one per axis")
    p.add_argument("--dilation", type=_ints, default=1, help="kernel dilation (default 1)")
    p.add_argument(
        "--input",
        type=_ints,
        metavar="N",
        help="input cells per axis (default: enough for two interior periods)",
    )
    p.add_argument("--padding", type=_ints, default=0, help="padding (default 0)")
    p.add_argument("--output-padding", type=_ints, default=0, help="transposed only (default 0)")
    p.add_argument("--2d", dest="two_d", action="store_true", help="a 2-d map (an int kernel is K x K)")
    p.add_argument(
        "--gradient",
        action="store_true",
        help="the input-gradient of the strided convolution instead (same checkerboard)",
    )


def _gridding_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rates", type=_int_list, required=True, help="dilation rates, first layer first: 1,2,3")
    p.add_argument("--kernel", type=int, default=3, help="kernel size of every layer (default 3)")
    p.add_argument("--2d", dest="two_d", action="store_true", help="also show the K x K coverage")


def _matrix_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input", type=_int_list, required=True, metavar="SIZES", help="spatial input sizes: 3,3")
    p.add_argument("--kernel", type=_ints, required=True, help="kernel size: 2,2 (an int for all axes)")
    p.add_argument("--stride", type=_ints, default=1, help="stride (default 1)")
    p.add_argument(
        "--padding",
        type=_padding,
        default=0,
        help="an int, per-axis ints, low:high pairs, 'same' or 'valid' (default 0)",
    )
    p.add_argument("--dilation", type=_ints, default=1, help="dilation (default 1)")
    p.add_argument("--weight", type=_floats, help="kernel values, row-major (default: tap numbers 1..n)")
    p.add_argument("--symbolic", action="store_true", help="label entries w11, w12, ... (seed 004)")


def _cost_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("kind", choices=COST_KINDS, metavar="KIND", help=", ".join(COST_KINDS))
    p.add_argument(
        "--input", type=_int_list, required=True, metavar="SIZES", help="spatial input sizes: H[,W[,D]]"
    )
    p.add_argument("--batch", type=int, default=1, help="batch size N (default 1)")
    p.add_argument("--in-channels", type=int, help="input channels (convs, batch_norm; otherwise 1)")
    p.add_argument("--out-channels", type=int, help="output channels (convs)")
    p.add_argument("--kernel", type=_ints, help="kernel size: an int or one per axis")
    p.add_argument("--stride", type=_ints, help="stride (default 1; for pooling the kernel size)")
    p.add_argument(
        "--padding", type=_padding, help="an int, per-axis ints, low:high pairs, 'same' or 'valid' (conv)"
    )
    p.add_argument("--dilation", type=_ints, help="kernel dilation (default 1)")
    p.add_argument("--groups", type=int, help="convolution groups (default 1)")
    p.add_argument("--no-bias", dest="bias", action="store_false", help="convs: no bias")
    p.add_argument("--output-padding", type=_ints, help="conv_transpose only: extra cells on the high side")
    p.add_argument("--ceil-mode", action="store_true", help="max_pool, avg_pool: round the window count up")
    p.add_argument("--mask", action="store_true", help="deform_conv: modulated (DCNv2) sampling")
    p.add_argument("--size", type=_ints, help="interpolate, adaptive pools: output size")
    p.add_argument("--scale", type=_floats, help="interpolate: scale factor (one, or one per axis)")
    p.add_argument("--mode", help="interpolate: nearest, nearest-exact, linear, bilinear, bicubic, area, ...")
    p.add_argument("--align-corners", action="store_true", help="interpolate: align corners")
    p.add_argument("--no-affine", dest="affine", action="store_false", help="batch_norm: no weight and bias")


def _summary_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "layers",
        nargs="?",
        metavar="LAYERS",
        help="layers as text, e.g. 'conv k3 s2 c64; bn; relu; pool k2; convt k2 s2 c32': rf's grammar "
        "(k s p d) plus c<out channels> for conv and convt, and the words bn, relu, avgpool",
    )
    p.add_argument(
        "--model",
        metavar="MODULE:ATTR",
        help="an importable (PYTHONPATH) convscope.nn model, or a zero-argument callable returning one",
    )
    p.add_argument("--input", type=_int_list, required=True, metavar="SHAPE", help="input shape N,C,H,W")


COMMANDS: tuple[_Command, ...] = (
    _Command(
        "shape",
        "output size per axis of conv, conv_transpose or pooling, with the formula",
        "convscope shape conv --input 7,7 --kernel 3 --stride 2 --padding 1\n"
        "convscope shape conv --input 5 --kernel 2 --stride 2 --padding same --convention tf\n"
        "convscope shape transposed --input 3 --kernel 3 --stride 2 --padding 1 --output-padding 1\n"
        "convscope shape pool --input 6 --kernel 3 --stride 2 --ceil-mode",
        _shape_arguments,
        shape_result,
        _render_shape,
    ),
    _Command(
        "rf",
        "receptive field, effective stride and padding after every layer",
        "convscope rf 'conv k3 s2; conv k2'\nconvscope rf 'conv k3; conv k3 d2; conv k3 d4'\n"
        "convscope rf --file layers.json",
        _rf_arguments,
        rf_result,
        _render_rf,
    ),
    _Command(
        "overlap",
        "checkerboard: uneven overlap of a transposed convolution (or a conv's gradient)",
        "convscope overlap --kernel 3 --stride 2 --input 4\nconvscope overlap --kernel 4 --stride 2 --2d\n"
        "convscope overlap --kernel 3 --stride 2 --gradient --input 7",
        _overlap_arguments,
        overlap_result,
        _render_overlap,
    ),
    _Command(
        "gridding",
        "gridding of stacked dilated convolutions: HDC rule, coverage and holes",
        "convscope gridding --rates 1,2,3\nconvscope gridding --rates 2,2,2 --kernel 3",
        _gridding_arguments,
        gridding_result,
        _render_gridding,
    ),
    _Command(
        "matrix",
        "the convolution as a matrix C (y = C x; the transposed convolution is C^T)",
        "convscope matrix --input 3,3 --kernel 2,2\nconvscope matrix --input 3,3 --kernel 2,2 --symbolic\n"
        "convscope matrix --input 32,32 --kernel 3 --json",
        _matrix_arguments,
        matrix_result,
        _render_matrix,
    ),
    _Command(
        "cost",
        "parameters, MACs, FLOPs and output shape of one layer",
        "convscope cost conv --input 32,32 --in-channels 3 --out-channels 8 --kernel 3 --padding 1\n"
        "convscope cost conv_transpose --input 4,4 --in-channels 8 --out-channels 4 --kernel 4 --stride 2\n"
        "convscope cost depthwise_separable --input 56,56 --in-channels 32 --out-channels 64 --kernel 3\n"
        "convscope cost interpolate --input 8,8 --in-channels 3 --scale 2 --mode bilinear",
        _cost_arguments,
        cost_result,
        _render_cost,
    ),
    _Command(
        "summary",
        "torchinfo-style table of a model: shapes, parameters, MACs and receptive field per layer",
        "convscope summary 'conv k3 p1 c8; relu; pool k2; conv k3 c16' --input 1,3,32,32\n"
        "convscope summary --model mypackage.models:build --input 1,3,64,64",
        _summary_arguments,
        summary_result,
        _render_summary,
    ),
)


def _run(command: _Command, args: argparse.Namespace) -> int:
    try:
        result = command.build(args)
    except (ValueError, TypeError) as error:
        message = " ".join(str(error).split())
        print(f"convscope {command.name}: error: {message}", file=sys.stderr)
        return 2
    try:
        print(json.dumps(result, default=_json_default) if args.json else command.render(result))
    except BrokenPipeError:  # e.g. `convscope matrix ... --json | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def add_analysis_commands(commands: argparse._SubParsersAction[Any]) -> None:
    """Register every subcommand of :data:`COMMANDS` on ``commands`` (the ``convscope`` subparsers).

    Each parsed namespace gets ``run``, which prints the result (text, or one
    JSON object with ``--json``) and returns the exit status.
    """
    for command in COMMANDS:
        parser = commands.add_parser(
            command.name,
            help=command.summary,
            description=command.summary[0].upper() + command.summary[1:] + ".",
            epilog="examples:\n" + "\n".join("  " + line for line in command.examples.splitlines()),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.arguments(parser)
        parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
        parser.set_defaults(run=partial(_run, command))
