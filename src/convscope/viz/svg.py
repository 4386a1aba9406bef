"""Writing a :class:`~convscope.viz.scene.Scene` as SVG (hand-written, no dependency)."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from .scene import Item, Line, Rect, Scene

FONT = "DejaVu Sans, Verdana, Arial, sans-serif"


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def item_svg(item: Item) -> str:
    """One primitive as an SVG element."""
    if isinstance(item, Rect):
        attrs = [f'x="{_num(item.x)}" y="{_num(item.y)}" width="{_num(item.w)}" height="{_num(item.h)}"']
        attrs.append(f'fill="{item.fill}"' if item.fill else 'fill="none"')
        if item.stroke:
            attrs.append(f'stroke="{item.stroke}" stroke-width="{_num(item.width)}"')
            if item.dash:
                attrs.append(f'stroke-dasharray="{item.dash}"')
        return f"<rect {' '.join(attrs)}/>"
    if isinstance(item, Line):
        return (
            f'<line x1="{_num(item.x1)}" y1="{_num(item.y1)}" x2="{_num(item.x2)}" y2="{_num(item.y2)}" '
            f'stroke="{item.stroke}" stroke-width="{_num(item.width)}" stroke-linecap="round"/>'
        )
    weight = ' font-weight="bold"' if item.bold else ""
    return (
        f'<text x="{_num(item.x)}" y="{_num(item.y)}" font-size="{_num(item.size)}" fill="{item.fill}" '
        f'text-anchor="{item.anchor}"{weight}>{escape(item.text)}</text>'
    )


def open_svg(width: float, height: float, title: str, background: str = "#FFFFFF") -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_num(width)}" height="{_num(height)}" '
        f'viewBox="0 0 {_num(width)} {_num(height)}" font-family={quoteattr(FONT)}>'
        f"<title>{escape(title)}</title>"
        f'<rect x="0" y="0" width="{_num(width)}" height="{_num(height)}" fill="{background}"/>'
    )


def scene_svg(scene: Scene) -> str:
    """The scene as a standalone SVG document."""
    body = "".join(item_svg(item) for item in scene.items)
    return open_svg(scene.width, scene.height, scene.title, scene.background) + body + "</svg>"


def grid_svg(scenes: Sequence[Scene], columns: int, title: str, header: Scene | None = None) -> str:
    """Several scenes tiled row by row into one SVG (a strip of frames), under an optional header."""
    width = max(s.width for s in scenes)
    height = max(s.height for s in scenes)
    rows = -(-len(scenes) // columns)
    top = header.height if header else 0.0
    total = max(width * min(columns, len(scenes)), header.width if header else 0.0)
    parts = [open_svg(total, top + height * rows, title)]
    if header:
        parts.extend(item_svg(item) for item in header.items)
    for i, scene in enumerate(scenes):
        x, y = (i % columns) * width, top + (i // columns) * height
        parts.append(f'<g transform="translate({_num(x)},{_num(y)})">')
        parts.extend(item_svg(item) for item in scene.items)
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def animated_groups(frames: Sequence[Sequence[Item]], seconds: float) -> list[str]:
    """One SVG group per frame, shown from ``i / n`` to ``(i + 1) / n`` of a looping cycle (SMIL).

    Browsers and Jupyter play it without script; a viewer without SMIL shows
    none of the groups, only what lies under them.
    """
    n = max(len(frames), 1)
    total = seconds * n
    groups = []
    for i, items in enumerate(frames):
        begin, end = i / n, (i + 1) / n
        groups.append(
            f'<g display="none"><animate attributeName="display" values="none;inline;none" '
            f'keyTimes="0;{begin:.6f};{end:.6f}" dur="{total:.3f}s" calcMode="discrete" '
            f'repeatCount="indefinite"/>' + "".join(item_svg(item) for item in items) + "</g>"
        )
    return groups
