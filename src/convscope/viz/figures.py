"""Static analysis figures: overlap (checkerboard), receptive field, gridding, convolution matrix.

Each figure draws the result of one :mod:`convscope.arith` call, kept as
:attr:`Figure.data` (and the array drawn as :attr:`Figure.values`), so a
picture never shows a number the analysis did not compute.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import arith
from . import palette as pal
from .layout import format_value
from .model import InCell
from .raster import image, png_bytes
from .scene import Item, Line, Rect, Scene, Text, text_width
from .svg import scene_svg

__all__ = ["FIGURES", "MATRIX_LIMIT", "Figure", "figure"]

#: the figure kinds :func:`figure` draws
FIGURES = ("overlap", "rf", "gridding", "matrix")
#: largest convolution matrix drawn, rows or columns
MATRIX_LIMIT = 400
MARGIN = 16.0


@dataclass(frozen=True, eq=False)
class Figure:
    """A static figure: the analysis result it draws and its picture.

    Attributes
    ----------
    kind : str
        ``'overlap'``, ``'rf'``, ``'gridding'``, ``'matrix'``, or ``'axis'``/``'geometry'``
        (the notebook views of the geometry core).
    data : object
        The :mod:`convscope.arith` (or :mod:`convscope.core`) result drawn.
    values : numpy.ndarray
        The array painted as cells (counts, coverage, matrix entries).
    """

    kind: str
    data: Any
    values: np.ndarray
    scene: Scene

    def svg(self) -> str:
        """The figure as an SVG document."""
        return scene_svg(self.scene)

    def png(self) -> bytes:
        """The figure as PNG bytes."""
        return png_bytes(image(self.scene))

    def save(self, path: str | Path) -> Path:
        """Write ``.svg`` or ``.png`` by the path's suffix."""
        target = Path(path)
        suffix = target.suffix.lower()
        if suffix == ".svg":
            target.write_text(self.svg())
        elif suffix == ".png":
            target.write_bytes(self.png())
        else:
            raise ValueError(f"Figure.save: path={str(path)!r} must end in .svg or .png")
        return target

    def _repr_svg_(self) -> str:
        return self.svg()

    def __repr__(self) -> str:
        return f"<Figure {self.kind}: {self.scene.title!r}>"


# -- drawing helpers ---------------------------------------------------------------------------------
def _cell_size(rows: int, cols: int, width: float = 760, height: float = 520, most: float = 34) -> float:
    return max(3.0, min(most, width / max(cols, 1), height / max(rows, 1)))


def heatmap(
    values: np.ndarray,
    x: float,
    y: float,
    cell: float,
    low: float,
    high: float,
    hole: Callable[[float], bool] = lambda v: False,
    numbers: bool = True,
) -> list[Item]:
    """A 2-d array as coloured cells (sequential ramp) with its numbers; ``hole`` cells get a cross."""
    items: list[Item] = []
    font = max(7.0, round(cell * 0.4))
    for (r, c), v in np.ndenumerate(values):
        fill = pal.WHITE if hole(float(v)) else pal.ramp(float(v), low, high)
        cx, cy = x + c * cell, y + r * cell
        items.append(Rect(cx, cy, cell, cell, fill, pal.GRID_LINE if cell >= 6 else None, 0.6))
        if hole(float(v)) and cell >= 8:
            items.append(Line(cx + 3, cy + 3, cx + cell - 3, cy + cell - 3, pal.OKABE_ITO["vermillion"], 1.5))
            items.append(Line(cx + cell - 3, cy + 3, cx + 3, cy + cell - 3, pal.OKABE_ITO["vermillion"], 1.5))
        elif numbers and cell >= 16:
            items.append(
                Text(
                    cx + cell / 2,
                    cy + cell / 2 + font * 0.35,
                    format_value(float(v)),
                    font,
                    pal.text_on(fill),
                    "middle",
                )
            )
    return items


def colour_key(x: float, y: float, low: int, high: int) -> list[Item]:
    """A legend of the ramp from ``low`` to ``high`` (integers)."""
    items: list[Item] = [Text(x, y + 11, "count:", 11, pal.INK)]
    x += 48
    steps = sorted({round(float(v)) for v in np.linspace(low, high, min(high - low + 1, 9))})
    for v in steps:
        fill = pal.ramp(v, low, high)
        items.append(Rect(x, y, 22, 14, fill, pal.GRID_LINE, 0.6))
        items.append(Text(x + 11, y + 11, str(v), 9, pal.text_on(fill), "middle"))
        x += 24
    return items


def _scene(title: str, subtitle: str, items: list[Item], width: float, height: float) -> Scene:
    head: list[Item] = [
        Text(MARGIN, 22, title, 14, pal.INK, bold=True),
        Text(MARGIN, 40, subtitle, 11, pal.MUTED),
    ]
    width = max(width, text_width(title, 14) + 2 * MARGIN, text_width(subtitle, 11) + 2 * MARGIN, 360)
    return Scene(width, height, head + items, title=title)


def _as_2d(values: np.ndarray) -> np.ndarray:
    return values.reshape(1, -1) if values.ndim == 1 else values


# -- overlap --------------------------------------------------------------------------------------
def overlap_figure(result: arith.Overlap, title: str, subtitle: str) -> Figure:
    """The overlap counts as a heatmap, with one period of the interior pattern beside it."""
    counts = _as_2d(result.counts)
    interior = _as_2d(result.interior)
    low, high = int(min(counts.min(), interior.min())), int(max(counts.max(), interior.max()))
    cell = _cell_size(counts.shape[0], counts.shape[1] + interior.shape[1] + 3)
    top = 62.0
    items = heatmap(counts, MARGIN, top, cell, low, high)
    items.append(
        Text(
            MARGIN, top + counts.shape[0] * cell + 16, f"counts {'x'.join(map(str, result.counts.shape))}", 11
        )
    )
    ix = MARGIN + counts.shape[1] * cell + 2 * cell + 10
    items += heatmap(interior, ix, top, cell, low, high)
    period = f"interior period {'x'.join(map(str, result.period))}"
    items.append(Text(ix, top + interior.shape[0] * cell + 16, period, 11))
    bottom = top + max(counts.shape[0], interior.shape[0]) * cell + 30
    verdict = (
        f"uneven (checkerboard): unevenness {result.unevenness:.2f}"
        if result.is_uneven
        else "even: every interior cell gets the same count"
    )
    items.append(Text(MARGIN, bottom + 4, verdict, 12, pal.INK))
    items += colour_key(MARGIN, bottom + 16, low, high)
    width = ix + max(interior.shape[1] * cell, text_width(period, 11)) + MARGIN
    return Figure("overlap", result, result.counts, _scene(title, subtitle, items, width, bottom + 40))


def _overlap(params: Mapping[str, Any]) -> Figure:
    allowed = {"kernel_size", "stride", "dilation", "input", "padding", "output_padding", "stack", "gradient"}
    _only("overlap", params, allowed)
    size = params.get("input")
    if params.get("stack") is not None:
        stack = params["stack"]
        if params.get("kernel_size") is not None:
            raise TypeError("figure('overlap'): give kernel_size (one layer) or stack (layers), not both")
        result = arith.overlap_map_stack(stack, size)
        layers = "; ".join(", ".join(f"{k}={v}" for k, v in layer.items()) for layer in stack)
        return overlap_figure(result, f"overlap through {len(stack)} transposed convolutions", layers)
    if params.get("kernel_size") is None:
        raise TypeError("figure('overlap'): missing kernel_size (or stack)")
    k, s, d = params["kernel_size"], params.get("stride", 1), params.get("dilation", 1)
    described = f"kernel {k}, stride {s}, dilation {d}"
    if params.get("gradient"):
        result = arith.gradient_overlap(k, s, d, size, params.get("padding", 0))
        return overlap_figure(
            result,
            "gradient overlap of a strided convolution",
            described + ": windows reading each input cell",
        )
    result = arith.overlap_map(k, s, d, size, params.get("padding", 0), params.get("output_padding", 0))
    return overlap_figure(
        result, "overlap of a transposed convolution", described + ": taps reaching each output cell"
    )


# -- receptive field -----------------------------------------------------------------------------------
def rf_figure(fields: Sequence[arith.ReceptiveField], title: str) -> Figure:
    """Each layer's receptive field on the input: output 0's interval [u, v] and output 1's, as bars."""
    lows = [float(f.u) for f in fields] + [0.0]
    highs = [float(f.v) + float(f.stride) for f in fields] + [0.0]
    left, right = math.floor(min(lows)), math.ceil(max(highs))
    span = right - left + 1
    cell = _cell_size(1, span, 700, 100, 28)
    label_w = max(text_width(_layer_text(f.layer), 11) for f in fields) + 12
    x0 = MARGIN + label_w
    top = 62.0
    items: list[Item] = []
    # the input ruler: padding (negative indices) shaded
    for i in range(left, right + 1):
        cx = x0 + (i - left) * cell
        fill = pal.IN_FILL[InCell.PADDING] if i < 0 else pal.IN_FILL[InCell.INPUT]
        items.append(Rect(cx, top, cell, 14, fill, pal.GRID_LINE, 0.6, "3,2" if i < 0 else ""))
        if cell >= 14 or i % 5 == 0:
            items.append(Text(cx + cell / 2, top - 3, str(i), 9, pal.MUTED, "middle"))
    items.append(Text(MARGIN, top + 11, "input index", 11))
    row_h = 24.0
    for row, f in enumerate(fields):
        y = top + 26 + row * row_h
        items.append(Text(MARGIN, y + 12, _layer_text(f.layer), 11))
        for j, colour in ((1, pal.OKABE_ITO["sky_blue"]), (0, pal.OKABE_ITO["blue"])):
            u, v = (float(e) for e in f.interval(j))
            bx = x0 + (u - left) * cell
            items.append(Rect(bx, y + (2 if j == 0 else 8), (v - u + 1) * cell, 8, colour, None))
        items.append(Text(x0 + span * cell + 10, y + 12, _rf_text(f), 11))
    bottom = top + 26 + len(fields) * row_h + 8
    items.append(Rect(MARGIN, bottom, 13, 8, pal.OKABE_ITO["blue"], None))
    items.append(Text(MARGIN + 18, bottom + 8, "field of output 0", 11))
    items.append(Rect(MARGIN + 150, bottom + 0, 13, 8, pal.OKABE_ITO["sky_blue"], None))
    items.append(Text(MARGIN + 168, bottom + 8, "field of output 1 (one stride S later)", 11))
    items.append(
        Rect(MARGIN + 420, bottom - 2, 13, 12, pal.IN_FILL[InCell.PADDING], pal.GRID_LINE, 0.6, "3,2")
    )
    items.append(Text(MARGIN + 438, bottom + 8, "padding", 11))
    width = x0 + span * cell + 10 + max(text_width(_rf_text(f), 11) for f in fields) + MARGIN
    values = np.array(
        [[float(f.size), float(f.stride), float(f.padding), float(f.u), float(f.v)] for f in fields]
    )
    return Figure(
        "rf",
        tuple(fields),
        values,
        _scene(
            title,
            "Araujo et al. (Distill 2019): size r, stride S, padding P per layer",
            items,
            max(width, 600),
            bottom + 22,
        ),
    )


def _rf_text(f: arith.ReceptiveField) -> str:
    return f"r={f.size}  S={f.stride}  P={f.padding}  [u, v]=[{f.u}, {f.v}]"


def _layer_text(layer: arith.Layer) -> str:
    text = f"{layer.kind} k{layer.kernel_size} s{layer.step}"
    lo, hi = layer.pad
    if lo or hi:
        text += f" p{lo}" if lo == hi else f" p{lo},{hi}"
    if layer.dilation > 1:
        text += f" d{layer.dilation}"
    return text


def _rf(params: Mapping[str, Any]) -> Figure:
    _only("rf", params, {"layers"})
    layers = params.get("layers")
    if layers is None:
        raise TypeError("figure('rf'): missing layers (text such as 'conv k3 s2; pool k2' or Layer objects)")
    fields = arith.receptive_field(layers)
    return rf_figure(fields, f"receptive field through {len(fields)} layers")


# -- gridding --------------------------------------------------------------------------------------
def gridding_figure(result: arith.Gridding) -> Figure:
    """The 2-d coverage of one output cell by a stack of dilated K x K layers; holes crossed out."""
    cover = result.coverage_2d
    cell = _cell_size(cover.shape[0], cover.shape[1], 600, 520, 30)
    top = 62.0
    items = heatmap(cover, MARGIN, top, cell, 0, int(cover.max()), hole=lambda v: v == 0)
    bottom = top + cover.shape[0] * cell + 18
    verdict = (
        f"grids: {result.holes} of {result.receptive_field} cells per axis never reach the output"
        if result.has_holes
        else "no holes: every cell of the receptive field is used"
    )
    hdc = "satisfies" if result.satisfies_hdc else "violates"
    items.append(Text(MARGIN, bottom, verdict, 12))
    items.append(
        Text(
            MARGIN,
            bottom + 16,
            f"HDC (Wang et al. 2018): distances M = {result.distances}, {hdc} the "
            f"rule; gcd of rates = {result.common_factor}",
            11,
            pal.MUTED,
        )
    )
    items += colour_key(MARGIN, bottom + 26, 0, int(cover.max()))
    items.append(Rect(MARGIN + 330, bottom + 26, 14, 14, pal.WHITE, pal.GRID_LINE, 0.6))
    items.append(Line(MARGIN + 333, bottom + 29, MARGIN + 341, bottom + 37, pal.OKABE_ITO["vermillion"], 1.5))
    items.append(Line(MARGIN + 341, bottom + 29, MARGIN + 333, bottom + 37, pal.OKABE_ITO["vermillion"], 1.5))
    items.append(Text(MARGIN + 350, bottom + 37, "hole (never read)", 11))
    width = max(MARGIN * 2 + cover.shape[1] * cell, 520)
    title = f"gridding of dilation rates {', '.join(map(str, result.rates))} (kernel {result.kernel_size})"
    return Figure(
        "gridding",
        result,
        cover,
        _scene(
            title,
            f"paths from each input cell to one output cell, receptive field "
            f"{result.receptive_field}x{result.receptive_field}",
            items,
            width,
            bottom + 50,
        ),
    )


def _gridding(params: Mapping[str, Any]) -> Figure:
    _only("gridding", params, {"rates", "kernel_size"})
    if params.get("rates") is None:
        raise TypeError("figure('gridding'): missing rates (e.g. rates=(1, 2, 3))")
    result = arith.gridding(params["rates"], params.get("kernel_size", 3))
    if result.receptive_field > MATRIX_LIMIT // 2:
        raise ValueError(
            f"figure('gridding'): rates={params['rates']!r} give a receptive field of "
            f"{result.receptive_field} cells; the limit is {MATRIX_LIMIT // 2}"
        )
    return gridding_figure(result)


# -- convolution matrix ------------------------------------------------------------------------------
TAP_COLOURS = [
    pal.OKABE_ITO[n]
    for n in ("sky_blue", "orange", "bluish_green", "yellow", "blue", "vermillion", "reddish_purple")
]


def matrix_figure(
    numbers: np.ndarray, names: np.ndarray | None, title: str, subtitle: str, data: Any
) -> Figure:
    """The matrix C: one row per output cell, one column per input cell, taps coloured by tap number."""
    rows, cols = numbers.shape
    cell = _cell_size(rows, cols, 820, 560, 30)
    top, left = 62.0, MARGIN + 26
    items: list[Item] = []
    font = max(6.0, round(cell * 0.33))
    for (r, c), v in np.ndenumerate(numbers):
        x, y = left + c * cell, top + r * cell
        if v == 0:
            items.append(Rect(x, y, cell, cell, pal.WHITE, "#CCCCCC" if cell >= 6 else None, 0.5))
            continue
        fill = TAP_COLOURS[(int(v) - 1) % len(TAP_COLOURS)]
        items.append(Rect(x, y, cell, cell, fill, pal.GRID_LINE if cell >= 6 else None, 0.5))
        if cell >= 18:
            label = str(names[r, c]) if names is not None else str(int(v))
            items.append(
                Text(x + cell / 2, y + cell / 2 + font * 0.35, label, font, pal.text_on(fill), "middle")
            )
    step = 1 if cell >= 14 else 5
    for c in range(0, cols, step):
        items.append(Text(left + c * cell + cell / 2, top - 3, str(c), 8, pal.MUTED, "middle"))
    for r in range(0, rows, step):
        items.append(Text(left - 3, top + r * cell + cell / 2 + 3, str(r), 8, pal.MUTED, "end"))
    bottom = top + rows * cell + 16
    items.append(
        Text(
            MARGIN,
            bottom,
            f"C is {rows}x{cols}: rows = output cells, columns = input cells (row-major); y = C x",
            11,
        )
    )
    items.append(
        Text(
            MARGIN,
            bottom + 16,
            "each colour is one kernel tap; C transposed is the transposed convolution",
            11,
            pal.MUTED,
        )
    )
    width = max(left + cols * cell + MARGIN, 520)
    return Figure("matrix", data, numbers, _scene(title, subtitle, items, width, bottom + 28))


def _matrix(params: Mapping[str, Any]) -> Figure:
    _only("matrix", params, {"input", "kernel_size", "stride", "padding", "dilation", "symbolic"})
    if params.get("input") is None or params.get("kernel_size") is None:
        raise TypeError("figure('matrix'): input and kernel_size are required")
    size, kernel = params["input"], params["kernel_size"]
    sizes = (size,) if isinstance(size, int) else tuple(size)
    kernels = (kernel,) * len(sizes) if isinstance(kernel, int) else tuple(kernel)
    if math.prod(sizes) > MATRIX_LIMIT:
        raise ValueError(
            f"figure('matrix'): input={size!r} has {math.prod(sizes)} cells; the limit is "
            f"{MATRIX_LIMIT} columns"
        )
    stride, padding, dilation = params.get("stride", 1), params.get("padding", 0), params.get("dilation", 1)
    numbers = arith.conv_matrix((1, *sizes), (1, 1, *kernels), stride, padding, dilation).toarray()
    if numbers.shape[0] > MATRIX_LIMIT:
        raise ValueError(
            f"figure('matrix'): the matrix has {numbers.shape[0]} rows; the limit is {MATRIX_LIMIT}"
        )
    names = None
    data: Any = numbers
    if params.get("symbolic"):
        names = arith.symbolic_conv_matrix(sizes, kernels, stride, padding, dilation)
        data = names
    return matrix_figure(
        numbers,
        names,
        f"convolution matrix of a {'x'.join(map(str, kernels))} kernel on {'x'.join(map(str, sizes))}",
        f"stride {stride}, padding {padding}, dilation {dilation}",
        data,
    )


def _only(kind: str, params: Mapping[str, Any], allowed: set[str]) -> None:
    for key, value in params.items():
        if key not in allowed and value is not None:
            raise TypeError(
                f"figure({kind!r}): unexpected argument {key}={value!r}; "
                f"{kind} takes {', '.join(sorted(allowed))}"
            )


_BUILDERS: dict[str, Callable[[Mapping[str, Any]], Figure]] = {
    "overlap": _overlap,
    "rf": _rf,
    "gridding": _gridding,
    "matrix": _matrix,
}


def figure(kind: str, **params: Any) -> Figure:
    """An analysis figure drawn from :mod:`convscope.arith`.

    Parameters
    ----------
    kind : {'overlap', 'rf', 'gridding', 'matrix'}
    **params
        ``overlap``: ``kernel_size``, ``stride``, ``dilation``, ``padding``,
        ``output_padding``, ``input`` (size or sizes; a pair makes it 2-d),
        or ``stack`` (a list of layer dicts for
        :func:`~convscope.arith.overlap_map_stack`), ``gradient=True`` for a
        strided convolution's gradient (:func:`~convscope.arith.gradient_overlap`).
        ``rf``: ``layers`` (text for :func:`~convscope.arith.parse_layers`, or
        :class:`~convscope.arith.Layer` objects). ``gridding``: ``rates``,
        ``kernel_size`` (default 3). ``matrix``: ``input`` (spatial sizes),
        ``kernel_size``, ``stride``, ``padding``, ``dilation``, ``symbolic``
        (label entries ``w11``, ...). ``None`` counts as not given.

    Returns
    -------
    Figure
        ``.data`` is the arith result drawn; ``.svg()``, ``.png()``, ``.save(path)``.

    Examples
    --------
    >>> f = figure("gridding", rates=(2, 2, 2))
    >>> f.data.has_holes, f.values.shape
    (True, (13, 13))
    >>> figure("matrix", input=(3, 3), kernel_size=2).values.shape
    (4, 9)
    """
    if kind not in _BUILDERS:
        raise ValueError(f"figure: unknown kind={kind!r}; expected one of {', '.join(FIGURES)}")
    return _BUILDERS[kind](params)
