"""Notebook views of the geometry core and the analysis results.

The classes of :mod:`convscope.core` and :mod:`convscope.arith` define
``_repr_svg_``/``_repr_html_`` methods that import :func:`notebook_svg` or
:func:`notebook_html` from here inside the method, so neither package
depends on :mod:`convscope.viz` when imported. A view returns ``None`` (the
notebook then shows the text repr) when the object is too large to draw.
"""

from __future__ import annotations

from html import escape
from typing import Any

import numpy as np

from ..core import Axis, ConvGeometry
from . import palette as pal
from .figures import Figure, gridding_figure, overlap_figure, rf_figure
from .frames import MAX_CELLS, canvas_axis
from .model import InCell
from .scene import Item, Rect, Scene, Text, text_width
from .svg import scene_svg

MARGIN = 16.0


def axis_items(axis: Axis, x: float, y: float, cell: float) -> tuple[list[Item], float, float]:
    """One row per output: the canvas of ``axis`` with that output's taps outlined.

    Returns the items, their width and their height.
    """
    canvas = canvas_axis(axis)
    items: list[Item] = []
    left = x + 44
    for c, real in enumerate(canvas.source):
        if real >= 0:
            items.append(Text(left + c * cell + cell / 2, y + 10, str(real), 9, pal.MUTED, "middle"))
    top = y + 14
    for o in range(axis.out_size):
        ry = top + o * cell
        items.append(Text(x, ry + cell / 2 + 4, f"out {o}", 10, pal.INK))
        for c, state in enumerate(canvas.states):
            s = InCell(int(state))
            items.append(
                Rect(left + c * cell, ry, cell, cell, pal.IN_FILL[s], pal.GRID_LINE, 0.6, pal.IN_DASH[s])
            )
        for tap, (c, read) in enumerate(zip(canvas.taps[o], canvas.reads[o])):
            fill = pal.FOOTPRINT_FILL if read >= 0 else None
            items.append(Rect(left + c * cell + 1, ry + 1, cell - 2, cell - 2, fill, pal.FOOTPRINT, 2))
            if cell >= 16:
                items.append(
                    Text(left + c * cell + cell / 2, ry + cell / 2 + 4, str(tap), 9, pal.INK, "middle")
                )
    return items, 44 + canvas.length * cell, 14 + axis.out_size * cell


def _legend(x: float, y: float) -> list[Item]:
    items: list[Item] = []
    for label, fill, stroke, dash in (
        ("input", pal.IN_FILL[InCell.INPUT], pal.GRID_LINE, ""),
        ("inserted zero", pal.IN_FILL[InCell.ZERO], pal.GRID_LINE, pal.IN_DASH[InCell.ZERO]),
        ("padding", pal.IN_FILL[InCell.PADDING], pal.GRID_LINE, pal.IN_DASH[InCell.PADDING]),
        ("outside", pal.IN_FILL[InCell.OUTSIDE], pal.GRID_LINE, pal.IN_DASH[InCell.OUTSIDE]),
        ("taps of the window (number = tap)", pal.FOOTPRINT_FILL, pal.FOOTPRINT, ""),
    ):
        items.append(Rect(x, y, 12, 12, fill, stroke, 1, dash))
        items.append(Text(x + 16, y + 10, label, 10, pal.INK))
        x += 16 + text_width(label, 10) + 12
    return items


def axes_scene(axes: tuple[Axis, ...], title: str) -> Scene | None:
    """The index maps of several axes, one block per axis."""
    if any(canvas_axis(a).length > 2 * MAX_CELLS or a.out_size > MAX_CELLS or a.out_size < 1 for a in axes):
        return None
    cell = 18.0 if max(canvas_axis(a).length for a in axes) <= 40 else 10.0
    items: list[Item] = [Text(MARGIN, 20, title, 12, pal.INK, bold=True)]
    y, width = 30.0, text_width(title, 12) + 2 * MARGIN
    for i, axis in enumerate(axes):
        label = (
            f"axis {i}: size {axis.size}, kernel {axis.kernel}, stride {axis.stride}, dilation "
            f"{axis.dilation}, padding {axis.pad}"
            + (f", input dilation {axis.input_dilation}" if axis.input_dilation > 1 else "")
            + (", ceil_mode" if axis.ceil_mode else "")
            + f" -> {axis.out_size} outputs"
        )
        items.append(Text(MARGIN, y + 12, label, 11, pal.MUTED))
        block, w, h = axis_items(axis, MARGIN, y + 18, cell)
        items += block
        width = max(width, MARGIN * 2 + w, text_width(label, 11) + 2 * MARGIN)
        y += 18 + h + 14
    items += _legend(MARGIN, y)
    return Scene(max(width, 520), y + 22, items, title=title)


def shape_report_html(report: Any) -> str:
    """A :class:`convscope.arith.ShapeReport` as an HTML table with its formulas and notes."""
    head = ["axis", "input", "kernel", "stride", "dilation", "padding", "output_padding", "output", "formula"]
    rows = []
    for a in report.axes:
        cells = [
            a.name,
            a.input,
            a.kernel,
            a.stride,
            a.dilation,
            a.padding,
            a.output_padding,
            a.output,
            a.formula,
        ]
        rows.append(
            "<tr>"
            + "".join(
                f"<td style='text-align:left'><code>{escape('' if v is None else str(v))}</code></td>"
                for v in cells
            )
            + "</tr>"
        )
    notes = "".join(f"<li>{escape(str(n))}</li>" for n in report.notes)
    options = ", ".join(f"{k}={v!r}" for k, v in report.options)
    return (
        f"<div><b>{escape(report.op)}</b> ({escape(report.convention)}): input "
        f"{escape(str(tuple(report.input)))} &rarr; output {escape(str(tuple(report.output)))}"
        + (f" <span style='color:#666'>{escape(options)}</span>" if options else "")
        + "<table><thead><tr>"
        + "".join(f"<th>{h}</th>" for h in head)
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
        + (f"<ul>{notes}</ul>" if notes else "")
        + "</div>"
    )


def notebook_figure(obj: Any) -> Figure | Scene | None:
    """The picture of a core or arith object, or None when it has none (or is too large)."""
    from .. import arith

    if isinstance(obj, Axis):
        return axes_scene((obj,), "Axis: which input cell each output reads at each tap")
    if isinstance(obj, ConvGeometry):
        return axes_scene(obj.axes, str(obj))
    if isinstance(obj, arith.Overlap):
        if obj.counts.ndim > 2 or max(obj.counts.shape) > 4 * MAX_CELLS:
            return None
        return overlap_figure(obj, "overlap counts", f"period {obj.period}, unevenness {obj.unevenness:.2f}")
    if isinstance(obj, arith.Gridding):
        return gridding_figure(obj) if obj.receptive_field <= 2 * MAX_CELLS else None
    if isinstance(obj, arith.ReceptiveField):
        return rf_figure([obj], "receptive field of this layer's outputs on the network input")
    return None


def notebook_svg(obj: Any) -> str | None:
    """SVG for ``_repr_svg_`` of a core or arith object (None: no picture).

    >>> from convscope.core import Axis
    >>> notebook_svg(Axis(size=5, kernel=3, stride=2)).startswith("<svg")
    True
    """
    picture = notebook_figure(obj)
    if picture is None:
        return None
    if isinstance(picture, Figure):
        return picture.svg()
    return scene_svg(picture)


def notebook_html(obj: Any) -> str | None:
    """HTML for ``_repr_html_`` (shape reports: a table; others: their SVG)."""
    from .. import arith

    if isinstance(obj, getattr(arith, "ShapeReport", ())):
        return shape_report_html(obj)
    return notebook_svg(obj)


__all__ = ["notebook_html", "notebook_svg", "shape_report_html"]
_ = np  # numpy is part of this module's public types via Figure.values
