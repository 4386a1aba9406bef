"""Laying out an animation frame as a :class:`~convscope.viz.scene.Scene`.

The picture: a title with the configuration, the input canvas (real cells,
padding, inserted zeros, cells outside) with its axis indices, the output
grid beside it (2-d) or below it (1-d), the kernel footprint of the current
step, a caption and a legend. Items are split into the *static* part,
painted once, and the part that changes with the frame.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from . import palette as pal
from .model import Frame, Grid, InCell, OutCell
from .scene import Item, Line, Rect, Scene, Text, text_width

if TYPE_CHECKING:
    from .animation import Animation

MARGIN = 16.0
LABEL = 10.0


def format_value(value: float) -> str:
    """A cell's number, short: integers as such, else two decimals.

    >>> format_value(3.0), format_value(-0.125), format_value(7.5), format_value(float("-inf"))
    ('3', '-0.12', '7.5', '-inf')
    """
    if math.isnan(value):
        return ""
    if math.isinf(value):
        return "-inf" if value < 0 else "inf"
    if float(value).is_integer() and abs(value) < 1e5:
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class GridBox:
    """Where a grid's cells are drawn: planes side by side, rows top to bottom."""

    grid: Grid
    x: float
    y: float
    cell: float

    @property
    def rows(self) -> int:
        return 1 if len(self.grid.shape) == 2 else self.grid.shape[1]

    @property
    def cols(self) -> int:
        return self.grid.shape[-1]

    @property
    def gap(self) -> float:
        return self.cell

    @property
    def width(self) -> float:
        return self.grid.planes * self.cols * self.cell + (self.grid.planes - 1) * self.gap

    @property
    def height(self) -> float:
        return self.rows * self.cell

    def origin(self, coords: Sequence[Any] | np.ndarray) -> tuple[float, float]:
        """Top-left corner of the cell at canvas coordinates ``(plane, *spatial)``."""
        plane, *spatial = (int(c) for c in coords)
        row, col = (0, spatial[0]) if len(spatial) == 1 else (spatial[0], spatial[1])
        x = self.x + plane * (self.cols * self.cell + self.gap) + col * self.cell
        return x, self.y + row * self.cell

    def flat_origin(self, flat: int | np.integer[Any]) -> tuple[float, float]:
        return self.origin(np.unravel_index(int(flat), self.grid.shape))

    def cells(self) -> list[tuple[tuple[int, ...], float, float]]:
        return [(idx, *self.origin(idx)) for idx in np.ndindex(*self.grid.shape)]


@dataclass(frozen=True)
class FrameLayout:
    """Positions of everything in an animation's frames."""

    inp: GridBox
    out: GridBox
    width: float
    height: float
    caption_y: float
    legend_y: float
    compact: bool = False

    @property
    def cell(self) -> float:
        return self.inp.cell

    @property
    def font(self) -> float:
        return max(8.0, round(self.cell * 0.42))

    @property
    def numbers(self) -> bool:
        return self.cell >= 18


def _cell_size(inp: Grid, out: Grid, side_by_side: bool) -> float:
    in_cols = inp.planes * (inp.shape[-1] + 1)
    out_cols = out.planes * (out.shape[-1] + 1)
    rows = max(1 if len(g.shape) == 2 else g.shape[1] for g in (inp, out))
    across = in_cols + out_cols + 2 if side_by_side else max(in_cols, out_cols)
    return float(max(10, min(36, int(780 / max(across, 1)), int(560 / max(rows, 1)))))


def legend_entries(anim: Animation) -> list[tuple[str, str | None, str, str]]:
    """``(label, fill, stroke, dash)`` of the legend swatches this animation needs."""
    names = {
        InCell.INPUT: "input",
        InCell.ZERO: "inserted zero",
        InCell.PADDING: "padding" + (" (-inf)" if anim.op == "max_pool" else ""),
        InCell.OUTSIDE: "outside (never read)",
    }
    entries: list[tuple[str, str | None, str, str]] = [
        (names[state], pal.IN_FILL[state], pal.GRID_LINE, pal.IN_DASH[state])
        for state in InCell
        if anim.input.count(state)
    ]
    entries.append((anim.footprint_label, pal.FOOTPRINT_FILL, pal.FOOTPRINT, ""))
    if any(f.marked.size for f in anim.frames):
        entries.append(("maximum (argmax)", None, pal.MARK, ""))
    if any(f.window.size for f in anim.frames):
        entries.append(("pooling window", None, pal.WINDOW, "4,2"))
    entries.append(("output written", pal.OUT_FILL[OutCell.DONE], pal.GRID_LINE, ""))
    entries.append(("current output", pal.OUT_FILL[OutCell.CURRENT], pal.GRID_LINE, ""))
    return entries


def frame_layout(anim: Animation, cell: float | None = None, compact: bool = False) -> FrameLayout:
    """Where everything goes; ``compact`` leaves out the title and legend (tiles of a strip)."""
    side_by_side = anim.ndim == 2
    size = cell or _cell_size(anim.input, anim.output, side_by_side)
    top = (0.0 if compact else 50.0) + LABEL + 6
    left = MARGIN + (3 * LABEL if side_by_side else 0)
    inp = GridBox(anim.input, left, top, size)
    if side_by_side:
        out = GridBox(anim.output, left + inp.width + 3 * LABEL + 40, top, size)
    else:
        out = GridBox(anim.output, left, top + inp.height + 2 * LABEL + 40, size)
    bottom = max(inp.y + inp.height, out.y + out.height) + 2 * LABEL + 14
    caption_y = bottom + 8
    legend_y = caption_y + 22
    width = max(out.x + out.width, inp.x + inp.width) + MARGIN
    captions = [f.caption for f in anim.frames] + [anim.summary]
    width = max(width, max(text_width(c, 12) for c in captions) + 2 * MARGIN)
    if compact:
        return FrameLayout(inp, out, width, caption_y + 12, caption_y, caption_y, True)
    width = max(width, text_width(anim.title, 14) + 2 * MARGIN, text_width(anim.subtitle, 11) + 2 * MARGIN)
    width = max(width, 420.0)
    rows = _legend_rows(legend_entries(anim), width)
    return FrameLayout(inp, out, width, legend_y + 18 * len(rows) + 6, caption_y, legend_y)


def header_scene(anim: Animation, width: float) -> Scene:
    """Title, configuration and legend alone: the head of a frame strip."""
    items: list[Item] = [
        Text(MARGIN, 22, anim.title, 14, pal.INK, bold=True),
        Text(MARGIN, 40, anim.subtitle, 11, pal.MUTED),
    ]
    width = max(width, text_width(anim.title, 14) + 2 * MARGIN, text_width(anim.subtitle, 11) + 2 * MARGIN)
    rows = _legend_rows(legend_entries(anim), width)
    items += _legend_items(rows, 52.0)
    return Scene(width, 52.0 + 18 * len(rows) + 4, items, title=anim.title)


def _legend_items(rows: list[list[tuple[float, tuple[str, str | None, str, str]]]], top: float) -> list[Item]:
    items: list[Item] = []
    for row_index, row in enumerate(rows):
        y = top + 18 * row_index
        for x, (label, fill, stroke, dash) in row:
            items.append(Rect(x, y, 13, 13, fill or pal.WHITE, stroke, 2 if fill is None else 1, dash))
            items.append(Text(x + 18, y + 11, label, 11, pal.INK))
    return items


def _legend_rows(
    entries: list[tuple[str, str | None, str, str]], width: float
) -> list[list[tuple[float, tuple[str, str | None, str, str]]]]:
    rows: list[list[tuple[float, tuple[str, str | None, str, str]]]] = [[]]
    x = MARGIN
    for entry in entries:
        w = 18 + text_width(entry[0], 11) + 14
        if rows[-1] and x + w > width - MARGIN:
            rows.append([])
            x = MARGIN
        rows[-1].append((x, entry))
        x += w
    return rows


def cell_text(box: GridBox, x: float, y: float, text: str, font: float, fill: str = pal.INK) -> Text:
    """A number centred in a cell, in a smaller font when it would not fit."""
    font = min(font, (box.cell - 4) / (0.62 * max(len(text), 1)))
    return Text(x + box.cell / 2, y + box.cell / 2 + font * 0.35, text, font, fill, "middle")


def _axis_labels(box: GridBox, name: str) -> list[Item]:
    items: list[Item] = []
    grid = box.grid
    step = 1 if box.cell >= 16 else 5
    cols = grid.axis_source[-1]
    for plane in range(grid.planes):
        for c, real in enumerate(cols):
            if real >= 0 and real % step == 0:
                x, _ = box.origin((plane, *([0] * (len(grid.shape) - 2)), c))
                items.append(Text(x + box.cell / 2, box.y - 4, str(real), LABEL, pal.MUTED, "middle"))
    if len(grid.shape) == 3:
        for r, real in enumerate(grid.axis_source[0]):
            if real >= 0 and real % step == 0:
                items.append(
                    Text(
                        box.x - 4,
                        box.y + r * box.cell + box.cell / 2 + 3.5,
                        str(real),
                        LABEL,
                        pal.MUTED,
                        "end",
                    )
                )
    if grid.planes > 1:
        for plane in range(grid.planes):
            x, _ = box.origin((plane, *([0] * (len(grid.shape) - 1))))
            items.append(Text(x, box.y + box.height + LABEL + 4, f"channel {plane}", LABEL, pal.MUTED))
        items.append(Text(box.x, box.y + box.height + 2 * LABEL + 8, name, 11, pal.INK))
    else:
        items.append(Text(box.x, box.y + box.height + LABEL + 6, name, 11, pal.INK))
    return items


def static_items(anim: Animation, lay: FrameLayout) -> list[Item]:
    """What every frame shares: title, input canvas, empty output grid, labels, legend."""
    items: list[Item] = []
    if not lay.compact:
        items += [
            Text(MARGIN, 22, anim.title, 14, pal.INK, bold=True),
            Text(MARGIN, 40, anim.subtitle, 11, pal.MUTED),
        ]
    box, grid = lay.inp, anim.input
    for coords, x, y in box.cells():
        state = InCell(int(grid.states[coords]))
        items.append(Rect(x, y, box.cell, box.cell, pal.IN_FILL[state], pal.GRID_LINE, 1, pal.IN_DASH[state]))
        if lay.numbers and grid.values is not None and state is not InCell.OUTSIDE:
            text = format_value(float(grid.values[coords]))
            if text:
                items.append(cell_text(box, x, y, text, lay.font, pal.MUTED if state else pal.INK))
    items += _axis_labels(box, anim.input_label)
    out = lay.out
    for _, x, y in out.cells():
        items.append(Rect(x, y, out.cell, out.cell, pal.WHITE, pal.GRID_LINE, 1))
    items += _axis_labels(out, anim.output_label)
    if anim.ndim == 2:
        mid_y = lay.inp.y + min(lay.inp.height, lay.out.height) / 2
        start = lay.inp.x + lay.inp.width + 10
        end = lay.out.x - 3 * LABEL - 2
        items.append(Line(start, mid_y, end, mid_y, pal.MUTED, 2))
        items.append(Line(end - 7, mid_y - 5, end, mid_y, pal.MUTED, 2))
        items.append(Line(end - 7, mid_y + 5, end, mid_y, pal.MUTED, 2))
    if not lay.compact:
        items += _legend_items(_legend_rows(legend_entries(anim), lay.width), lay.legend_y)
    return items


def output_items(anim: Animation, lay: FrameLayout, states: np.ndarray) -> list[Item]:
    """The output cells that are not empty, with their numbers."""
    items: list[Item] = []
    box, values = lay.out, anim.output.values
    for flat in np.flatnonzero(states.ravel()):
        state = OutCell(int(states.flat[flat]))
        x, y = box.flat_origin(flat)
        items.append(Rect(x, y, box.cell, box.cell, pal.OUT_FILL[state], pal.GRID_LINE, 1))
        if lay.numbers and values is not None:
            text = format_value(float(values.flat[flat]))
            if text:
                items.append(cell_text(box, x, y, text, lay.font))
    return items


def footprint_items(anim: Animation, lay: FrameLayout, frame: Frame) -> list[Item]:
    """The kernel footprint on the input, marks, the window on the output, and the caption."""
    items: list[Item] = []
    box, grid = lay.inp, anim.input
    inset = 1.5
    for i, (coords, read) in enumerate(zip(frame.taps, frame.reads)):
        x, y = box.origin(coords)
        fill = pal.FOOTPRINT_FILL if read >= 0 else None
        items.append(
            Rect(x + inset, y + inset, box.cell - 2 * inset, box.cell - 2 * inset, fill, pal.FOOTPRINT, 2.5)
        )
        if read >= 0 and lay.numbers and grid.values is not None:
            text = format_value(float(grid.values[tuple(coords)]))
            if text:
                items.append(cell_text(box, x, y, text, lay.font))
        if frame.weights is not None and box.cell >= 26:
            weight = format_value(float(frame.weights[i]))
            items.append(
                Text(
                    x + box.cell - 3,
                    y + box.cell - 3,
                    weight,
                    max(7.0, box.cell * 0.26),
                    pal.FOOTPRINT,
                    "end",
                )
            )
    for flat in frame.marked:
        for coords in np.argwhere(grid.source == flat):
            x, y = box.origin(coords)
            items.append(Rect(x + 4, y + 4, box.cell - 8, box.cell - 8, None, pal.MARK, 3))
    out = lay.out
    for flat in frame.window:
        x, y = out.flat_origin(flat)
        items.append(Rect(x + 2, y + 2, out.cell - 4, out.cell - 4, None, pal.WINDOW, 2.5, "4,2"))
    items.append(Text(MARGIN, lay.caption_y, frame.caption, 12, pal.INK))
    return items


def frame_scene(
    anim: Animation, frame: int | None, cell: float | None = None, compact: bool = False
) -> Scene:
    """The whole picture of one frame (``None``: the complete result, no footprint)."""
    lay = frame_layout(anim, cell, compact)
    items = static_items(anim, lay)
    if frame is None:
        items += output_items(anim, lay, anim.output.states)
        items.append(Text(MARGIN, lay.caption_y, anim.summary, 12, pal.INK))
    else:
        current = anim.frames[frame]
        items += output_items(anim, lay, current.output)
        items += footprint_items(anim, lay, current)
    return Scene(lay.width, lay.height, items, title=anim.title)
