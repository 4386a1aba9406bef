"""Drawing primitives shared by the SVG and the Pillow renderers.

A picture is laid out once as a :class:`Scene` of rectangles, lines and
text; :mod:`.svg` writes it as SVG and :mod:`.raster` paints it with Pillow,
so both formats show the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Anchor = Literal["start", "middle", "end"]


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str | None
    stroke: str | None = None
    width: float = 1.0
    dash: str = ""


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str
    width: float = 1.0


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    size: float = 12.0
    fill: str = "#222222"
    anchor: Anchor = "start"
    bold: bool = False


Item = Rect | Line | Text


@dataclass
class Scene:
    """A picture: its size and the items painted in order."""

    width: float
    height: float
    items: list[Item] = field(default_factory=list)
    background: str = "#FFFFFF"
    title: str = ""


def text_width(text: str, size: float) -> float:
    """Rough width of ``text`` in the sans-serif fonts used (for layout only)."""
    return 0.6 * size * len(text)
