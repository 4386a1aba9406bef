"""The analysis subcommands: ``convscope shape``, ``rf``, ``overlap``, ``gridding``, ``matrix``, ``cost``
and ``summary``.

Each subcommand is one function that asks :mod:`convscope.arith` and returns
a result dict of plain JSON data, plus a renderer for people that returns
blocks (lines of text and tables). ``--json`` prints the dict as one JSON
object; otherwise the blocks are drawn as rich tables when stdout is a
terminal and as plain aligned text when it is a pipe or a file (or with
``--plain``), so scripts and tests read stable text. Nothing here computes a
size: formulas are *text*, written from the values, and every number printed
after ``=`` is the answer of an arith call. Values arith refuses
(``ValueError``/``TypeError``) become one line on stderr, ``convscope <cmd>:
error: <message>``, and exit status 2; so does a request that would
materialise more than :data:`MAP_LIMIT` cells (checked before allocating).

The operator options of ``shape`` (shared with ``convscope animate``) are
declared and read in :mod:`convscope.cli.operators`.

Non-integer numbers (the receptive field of a transposed convolution, in
samples of the network input) are written as fractions, ``"1/2"``, in JSON.

Examples
--------
>>> from convscope.cli.main import main
>>> main(["shape", "conv", "--input", "7", "--kernel", "3", "--stride", "2", "--padding", "1"])
conv: input 7 -> output 4
axis  input  kernel  stride  dilation  padding  output
----  -----  ------  ------  --------  -------  ------
L         7       3       2         1   (1, 1)       4
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
import convscope.nn as nn

from .figure_options import add_gridding_options, add_matrix_options, add_overlap_options, add_symbolic_option
from .operators import _floats, _int_list, _ints, _padding, add_operator_arguments, operator_params

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

#: Largest matrix (rows x columns) ``convscope matrix`` prints densely.
DENSE_LIMIT = 4096
#: Most cells a command materialises (an overlap or coverage map, matrix entries, a model's input):
#: larger requests are refused with one line before anything is allocated.
MAP_LIMIT = 1 << 22


# -- shared formatting --------------------------------------------------------
def _text(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{value:.4g}"
    if isinstance(value, tuple) and all(isinstance(v, (int, np.integer)) for v in value):
        return str(value[0]) if len(value) == 1 else "(" + ", ".join(str(v) for v in value) + ")"
    return str(value)


def _table(
    rows: Sequence[Sequence[Any]], headers: Sequence[str] | None = None, left: Sequence[int] = ()
) -> str:
    """Right-aligned columns (``left`` ones left-aligned), a rule under ``headers`` when given."""
    cells = [[_text(v) for v in row] for row in ([headers] if headers else []) + list(rows)]
    widths = [max(len(row[i]) for row in cells if i < len(row)) for i in range(max(map(len, cells)))]
    lines = [
        "  ".join(
            c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))
        ).rstrip()
        for row in cells
    ]
    if headers:
        lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


@dataclass(frozen=True)
class _Tab:
    """A table (with ``headers``) or a grid of numbers (without) in a rendered result."""

    rows: Sequence[Sequence[Any]]
    headers: Sequence[str] | None = None
    left: tuple[int, ...] = ()  # columns aligned left
    plain_headers: bool = True  # print the headers in plain text too


#: A rendered result is a list of blocks: lines of text and tables.
Block = str | _Tab


def _grid(values: Any, hole: str | None = None) -> _Tab:
    """A 1-d or 2-d array as rows of numbers; zeros shown as ``hole`` when given."""
    array = np.asarray(values)
    if array.ndim > 2:
        raise ValueError(f"can only show 1-d or 2-d maps, got {array.ndim}-d")
    rows = np.atleast_2d(array).tolist()
    return _Tab([[hole if hole is not None and v == 0 else v for v in row] for row in rows])


def plain_text(blocks: Sequence[Block]) -> str:
    """The blocks as plain text: what a pipe, a file or ``--plain`` gets (tests read this)."""
    return "\n".join(
        _table(b.rows, b.headers if b.plain_headers else None, b.left) if isinstance(b, _Tab) else b
        for b in blocks
    )


def print_rich(blocks: Sequence[Block], console: Any) -> None:
    """The blocks on a terminal: rich tables with a header, grids as borderless tables.

    Colour only marks structure (the first line, headers), so the output reads
    the same under ``NO_COLOR``; a grid wider than the terminal is printed as
    plain lines rather than squeezed.
    """
    from rich import box
    from rich.table import Table
    from rich.text import Text

    for index, block in enumerate(blocks):
        if not isinstance(block, _Tab):
            console.print(Text(block, style="bold" if index == 0 else ""), soft_wrap=True)
            continue
        plain = _table(block.rows, block.headers)
        if block.headers is None and max(map(len, plain.splitlines())) + 4 > console.width:
            console.print(Text(plain), soft_wrap=True)
            continue
        if block.headers is None:
            table = Table(show_header=False, box=box.ROUNDED, padding=(0, 1))
            for _ in range(max(map(len, block.rows))):
                table.add_column(justify="right")
        else:
            table = Table(box=box.SIMPLE_HEAVY, header_style="bold")
            for column, header in enumerate(block.headers):
                # Text: a header such as "[u, v]" is not rich markup
                table.add_column(Text(header), justify="left" if column in block.left else "right")
        for row in block.rows:
            table.add_row(*(Text(_text(v)) for v in row))
        console.print(table)


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


def _shape_text(values: Sequence[int]) -> str:
    return "x".join(str(v) for v in values)


def _limit(cells: int, what: str, hint: str) -> None:
    """Refuse, before anything is allocated, a request that would materialise more than MAP_LIMIT cells."""
    if cells > MAP_LIMIT:
        raise ValueError(
            f"{what} would hold {cells:,} cells, more than the {MAP_LIMIT:,} this command builds; {hint}"
        )


# -- shape --------------------------------------------------------------------
def shape_result(args: argparse.Namespace) -> Result:
    """Output size per axis of any operator of :func:`convscope.arith.shape_report`, with its formula.

    Parameters
    ----------
    args : argparse.Namespace
        ``op``, ``input`` and the operator options as
        :func:`convscope.cli.operators.add_operator_arguments` declares them.

    Returns
    -------
    dict
        ``command`` and :meth:`convscope.arith.ShapeReport.to_dict`: ``op``,
        ``convention``, ``input``, ``output``, ``options``, ``channels``,
        ``axes`` (per axis the resolved ``(low, high)`` padding, kernel,
        stride, dilation, ``output_padding``, ``scale_factor``, ``output``,
        the ``formula`` with the numbers written in and the ``alternatives``)
        and ``notes``.

    Raises
    ------
    ValueError, TypeError
        Options that do not apply to ``op``, and everything arith refuses.
    """
    op, sizes, params = operator_params(args)
    report = arith.shape_report(op, sizes, **params)
    return {"command": "shape", **report.to_dict()}


#: Per-axis columns of the shape table, shown when some axis has a value.
_SHAPE_COLUMNS = ("kernel", "stride", "dilation", "padding", "output_padding", "scale_factor")


def _alternatives(result: Result) -> list[Block]:
    axes = [a for a in result["axes"] if a["alternatives"]]
    if not axes:
        return []
    op, tf = result["op"], result["convention"] == "tf"
    if tf:
        head = "sizes TensorFlow accepts as output_shape (padding: the forward convolution's (low, high)):"
    elif op == "conv_transpose":
        head = "sizes reachable with output_padding (0 <= output_padding < max(stride, dilation)):"
    else:
        head = "sizes reachable with output_size (within one stride of the default):"
    lines: list[Block] = [head]
    for a in axes:
        if tf:
            choices = ", ".join(
                f"{c['size']} (padding {_text(tuple(c['padding']))})" for c in a["alternatives"]
            )
        elif op == "conv_transpose":
            choices = ", ".join(
                f"{c['size']} (output_padding={c['output_padding']})" for c in a["alternatives"]
            )
        else:
            choices = ", ".join(str(c["size"]) for c in a["alternatives"])
        lines.append(f"  {a['name']}_out: {choices}")
    return lines


def _render_shape(result: Result) -> list[Block]:
    axes = result["axes"]
    columns = [c for c in _SHAPE_COLUMNS if any(a[c] is not None for a in axes)]
    headers = ["axis", "input", *columns, "output"]

    def cell(value: Any) -> Any:
        return "" if value is None else tuple(value) if isinstance(value, list) else value

    rows = [[a["name"], a["input"], *(cell(a[c]) for c in columns), a["output"]] for a in axes]
    title = f"{result['op']}: input {_shape_text(result['input'])} -> output {_shape_text(result['output'])}"
    if result["convention"] == "tf":
        title += " (TensorFlow)"
    if result["channels"] is not None:
        title += f"; channels {result['channels'][0]} -> {result['channels'][1]}"
    options = ", ".join(f"{k}={v}" for k, v in result["options"].items() if v is not None)
    blocks: list[Block] = [title, *([options] if options else [])]
    blocks += [_Tab(rows, headers, left=(0,))]
    blocks += [a["formula"] for a in axes]
    blocks += result["notes"]
    return blocks + _alternatives(result)


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


def _render_rf(result: Result) -> list[Block]:
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
    return [
        _Tab(rows, ["#", "layer", "r", "S", "P", "[u, v]", "centre"], left=(1,)),
        "r: receptive field size, S: effective stride, P: effective padding (on the network input);",
        "output j sees input [u + j*S, v + j*S], centred on centre + j*S.",
        f"receptive field: {_fraction(last['r'])}, stride {_fraction(last['S'])}",
    ]


# -- overlap --------------------------------------------------------------------
def _overlap_cells(args: argparse.Namespace, kernel: Any) -> int:
    """Cells of the map ``overlap`` builds (0 when arith will refuse the values anyway)."""
    options = (kernel, args.stride, args.dilation, args.input, args.padding, args.output_padding)
    ndim = max(len(v) if isinstance(v, tuple) else 1 for v in options)

    def at(value: Any, axis: int) -> Any:
        return value[axis] if isinstance(value, tuple) and len(value) > 1 else _each(value, 1)[0]

    cells = 1
    try:
        for a in range(ndim):
            k, s, d = at(kernel, a), at(args.stride, a), at(args.dilation, a)
            # without --input arith takes two periods of the kernel span; twice the span bounds it
            n = at(args.input, a) if args.input is not None else 2 * arith.effective_kernel_size(k, d) + 2
            if args.gradient:  # the map covers the convolution's input
                cells *= n
            else:
                p, q = at(args.padding, a), at(args.output_padding, a)
                cells *= arith.conv_transpose_output_size(n, k, s, p, q, d)
    except (ValueError, TypeError):
        return 0
    return cells


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
    _limit(_overlap_cells(args, kernel), "the overlap map", "use a smaller --input, --kernel or --stride")
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


def _render_overlap(result: Result) -> list[Block]:
    what = (
        "input-gradient of a convolution (all-ones kernel and cotangent): windows reading each input cell"
        if result["mode"] == "gradient"
        else "transposed convolution of all-ones input and kernel: contributions per output cell"
    )
    verdict = "uneven overlap (checkerboard)" if result["is_uneven"] else "even overlap (no checkerboard)"
    return [
        f"kernel {_text(result['kernel'])}, stride {_text(result['stride'])}, "
        f"dilation {_text(result['dilation'])}: {what}",
        _grid(result["counts"]),
        f"period {_text(tuple(result['period']))}; interior pattern (one period):",
        _grid(result["interior"]),
        f"unevenness (max - min) / mean = {result['unevenness']:.4g}: {verdict}",
    ]


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
    try:  # the coverage spans the receptive field (squared for --2d): refuse a huge one first
        layers = [arith.Layer("conv", args.kernel, dilation=rate) for rate in args.rates]
        field = int(arith.receptive_field(layers)[-1].size)
    except (ValueError, TypeError):
        field = 0  # arith.gridding names the bad value
    _limit(field ** (2 if args.two_d else 1), "the coverage map", "use smaller --rates or --kernel")
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


def _render_gridding(result: Result) -> list[Block]:
    holes = f"{result['holes']} holes (gridding)" if result["has_holes"] else "no holes"
    lines: list[Block] = [
        f"rates {_text(tuple(result['rates']))}, kernel {result['kernel_size']}: "
        f"receptive field {result['receptive_field']}, {holes}",
        f"HDC distances M = {_text(tuple(result['distances']))}; common factor {result['common_factor']}; "
        f"satisfies HDC (M_2 <= K, no common factor > 1): {'yes' if result['satisfies_hdc'] else 'no'}",
        "coverage (paths from each input cell to the output; '.' is a hole):",
        _grid(result["coverage"], hole="."),
    ]
    if "coverage_2d" in result:
        lines += ["coverage of K x K layers:", _grid(result["coverage_2d"], hole=".")]
    return lines


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
    out = arith.conv_output_size(sizes, kernel, args.stride, args.padding, args.dilation)
    rows, cols = math.prod(out), math.prod(sizes)
    small = rows * cols <= DENSE_LIMIT
    if not small and not args.json:
        raise ValueError(
            f"the matrix is {rows}x{cols} = {rows * cols} entries, more than {DENSE_LIMIT} to print; "
            "use --json for its sparse (row, column, value) triplets"
        )
    hint = "use a smaller --input or --kernel"
    _limit(rows * math.prod(kernel), f"the {rows}x{cols} matrix's stored entries", hint)
    if args.symbolic:
        _limit(rows * cols, f"the {rows}x{cols} symbolic matrix", hint)
    matrix = arith.conv_matrix((1, *sizes), weight, args.stride, args.padding, args.dilation).tocoo()
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


def _render_matrix(result: Result) -> list[Block]:
    rows, cols = result["shape"]
    entries = {
        "labels": "w11 is the kernel's first tap (row, column, 1-based)",
        "taps 1..n": "tap numbers 1..n in row-major kernel order (w11 = 1, w12 = 2, ...)",
    }.get(result["weights"], "the given weights")
    return [
        f"y = C x: a {_shape_text(result['input'])} input and a {_shape_text(result['kernel'])} kernel "
        f"give a {_shape_text(result['output'])} output",
        f"C is {rows}x{cols}: row = output cell, column = input cell (row-major); entries: {entries}",
        _grid(np.array(result["dense"], dtype=object)),
    ]


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
    if args.kind in ("interpolate", "adaptive_avg_pool", "adaptive_max_pool"):
        # their cost reads per-axis tap tables as long as the input and output axes
        factors = given.get("scale_factor") or (1.0,)
        longest = max(max(args.input) * max(_each(factors, 1)), max(_each(given.get("size") or 0, 1)))
        _limit(int(longest), "an axis's tap table", "use smaller --input, --size or --scale")
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


def _render_cost(result: Result) -> list[Block]:
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
    return [
        f"{result['kind']}({layer}): input {_shape_text(result['input_shape'])} "
        f"-> output {_shape_text(result['output_shape'])}",
        _Tab(rows, ["", "value"], left=(0,), plain_headers=False),
        result["convention"],
    ]


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
    _limit(math.prod(args.input), "the traced input", "use a smaller --input")  # summary runs the model
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


def _axes_text(values: Any) -> str:
    if values is None:
        return "?"
    return (" x " if any(isinstance(v, Fraction) for v in values) else "x").join(str(v) for v in values)


def _render_summary(result: Result) -> list[Block]:
    rows = [
        [
            "  " * max(r["depth"] - 1, 0) + (r["name"] or "(model)"),
            r["type"],
            _text(tuple(r["output_shape"])),
            f"{r['params']:,}",
            f"{r['macs']:,}",
            _axes_text(r["rf_size"]) + ("" if r["rf_aligned"] else "*"),
            _axes_text(r["rf_stride"]),
        ]
        for r in result["rows"]
    ]
    headers = ["Layer", "Type", "Output shape", "Params", "MACs", "RF", "Stride"]
    footer = [
        line for line in str(result["table"]).splitlines() if line.startswith(("Input shape", "Total", "*"))
    ]
    return [_Tab(rows, headers, left=(0, 1, 2, 5, 6)), *footer]


# -- registration -------------------------------------------------------------
@dataclass(frozen=True)
class _Command:
    name: str
    summary: str
    examples: str
    arguments: Callable[[argparse.ArgumentParser], None]
    build: Callable[[argparse.Namespace], Result]
    render: Callable[[Result], list[Block]]


def _layers_argument(p: argparse.ArgumentParser, grammar: str) -> None:
    """The optional LAYERS text of rf and summary; ``grammar`` is its help."""
    p.add_argument("layers", nargs="?", metavar="LAYERS", help=grammar)


def _rf_arguments(p: argparse.ArgumentParser) -> None:
    _layers_argument(
        p,
        "layers as text, e.g. 'conv k3 s2; pool k2; conv k3 d2 p1,0' (kinds conv, pool, "
        "maxpool, avgpool, transpose, convt, deconv; k kernel, s stride, p padding, d dilation)",
    )
    p.add_argument(
        "--file",
        type=Path,
        help="a JSON (or YAML, with PyYAML) list of objects {kind, kernel_size, stride, padding, dilation}",
    )


def _gridding_arguments(p: argparse.ArgumentParser) -> None:
    add_gridding_options(p)
    p.add_argument("--2d", dest="two_d", action="store_true", help="also show the K x K coverage")


def _matrix_arguments(p: argparse.ArgumentParser) -> None:
    add_matrix_options(p)
    p.add_argument("--weight", type=_floats, help="kernel values, row-major (default: tap numbers 1..n)")
    add_symbolic_option(p)


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
    _layers_argument(
        p,
        "layers as text, e.g. 'conv k3 s2 c64; bn; relu; pool k2; convt k2 s2 c32': rf's grammar "
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
        "output size per axis of any operator (convolution, pooling, unpooling, resampling) and its formula",
        "convscope shape conv --input 7,7 --kernel 3 --stride 2 --padding 1\n"
        "convscope shape conv --input 5 --kernel 2 --stride 2 --padding same --convention tf\n"
        "convscope shape transposed --input 3 --kernel 3 --stride 2 --padding 1 --output-padding 1\n"
        "convscope shape conv_transpose --input 4 --kernel 3 --stride 2 --padding same --convention tf "
        "--output-shape 7\n"
        "convscope shape max_pool --input 6 --kernel 3 --stride 2 --ceil-mode\n"
        "convscope shape max_unpool --input 3,4 --kernel 2 --output-size 7,8\n"
        "convscope shape interpolate --input 3,5 --scale-factor 1.5 --mode bilinear --align-corners\n"
        "convscope shape adaptive_avg_pool --input 7,9 --output-size 3,none\n"
        "convscope shape pixel_shuffle --input 3,4 --upscale-factor 2 --in-channels 8",
        add_operator_arguments,
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
        add_overlap_options,
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


def _rich_console() -> Any:
    """A rich console on stdout when it is a terminal (rich also honours FORCE_COLOR, NO_COLOR), else None."""
    from rich.console import Console

    console = Console(highlight=False)
    return console if console.is_terminal else None


def _run(command: _Command, args: argparse.Namespace) -> int:
    try:
        result = command.build(args)
    except (ValueError, TypeError) as error:
        message = " ".join(str(error).split())
        print(f"convscope {command.name}: error: {message}", file=sys.stderr)
        return 2
    try:
        if args.json:
            print(json.dumps(result, default=_json_default))
        else:
            blocks = command.render(result)
            console = None if args.plain else _rich_console()
            if console is None:
                print(plain_text(blocks))
            else:
                print_rich(blocks, console)
    except BrokenPipeError:  # e.g. `convscope matrix ... --json | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def add_analysis_commands(commands: argparse._SubParsersAction[Any]) -> None:
    """Register every subcommand of :data:`COMMANDS` on ``commands`` (the ``convscope`` subparsers).

    Each parsed namespace gets ``run``, which prints the result and returns the
    exit status: rich tables on a terminal, plain text when stdout is a pipe or
    a file (or with ``--plain``), one JSON object with ``--json``.
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
        output = parser.add_mutually_exclusive_group()
        output.add_argument("--json", action="store_true", help="print the result as one JSON object")
        output.add_argument(
            "--plain", action="store_true", help="plain text even on a terminal (the default when piped)"
        )
        parser.set_defaults(run=partial(_run, command))
