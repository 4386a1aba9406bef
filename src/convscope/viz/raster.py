"""Painting a :class:`~convscope.viz.scene.Scene` with Pillow: PNG images and animated GIFs."""

from __future__ import annotations

import io
import itertools
from collections.abc import Sequence
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from .scene import Item, Line, Rect, Scene, Text

#: pixels per scene unit (2: crisp on high-density screens, and text stays legible)
SCALE = 2


@lru_cache(maxsize=16)
def _font(size: int, bold: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for name in ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf", "Arial.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def _dashed(
    draw: ImageDraw.ImageDraw,
    points: list[tuple[float, float]],
    colour: str,
    width: int,
    dash: tuple[float, float],
) -> None:
    on, off = dash
    for (x1, y1), (x2, y2) in itertools.pairwise(points):
        length = max(abs(x2 - x1), abs(y2 - y1))
        t = 0.0
        while t < length:
            t2 = min(t + on, length)
            a, b = t / length, t2 / length
            draw.line(
                [(x1 + (x2 - x1) * a, y1 + (y2 - y1) * a), (x1 + (x2 - x1) * b, y1 + (y2 - y1) * b)],
                fill=colour,
                width=width,
            )
            t += on + off


def paint(draw: ImageDraw.ImageDraw, item: Item, scale: int = SCALE) -> None:
    """Paint one primitive, ``scale`` pixels per scene unit."""
    s, dx, dy = scale, 0.0, 0.0
    if isinstance(item, Rect):
        x0, y0 = (item.x + dx) * s, (item.y + dy) * s
        x1, y1 = x0 + item.w * s - 1, y0 + item.h * s - 1
        if item.fill:
            draw.rectangle([x0, y0, x1, y1], fill=item.fill)
        if item.stroke:
            width = max(1, round(item.width * s))
            if item.dash:
                on, off = (float(v) * s for v in item.dash.split(","))
                corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
                _dashed(draw, corners, item.stroke, width, (on, off))
            else:
                draw.rectangle([x0, y0, x1, y1], outline=item.stroke, width=width)
    elif isinstance(item, Line):
        draw.line(
            [((item.x1 + dx) * s, (item.y1 + dy) * s), ((item.x2 + dx) * s, (item.y2 + dy) * s)],
            fill=item.stroke,
            width=max(1, round(item.width * s)),
        )
    elif isinstance(item, Text):
        anchor = {"start": "ls", "middle": "ms", "end": "rs"}[item.anchor]
        draw.text(
            ((item.x + dx) * s, (item.y + dy) * s),
            item.text,
            fill=item.fill,
            font=_font(round(item.size * s), item.bold),
            anchor=anchor,
        )


def image(scene: Scene, scale: int = SCALE) -> Image.Image:
    """The scene as an RGB image, ``scale`` pixels per unit."""
    picture = Image.new("RGB", (round(scene.width * scale), round(scene.height * scale)), scene.background)
    draw = ImageDraw.Draw(picture)
    for item in scene.items:
        paint(draw, item, scale)
    return picture


def png_bytes(picture: Image.Image) -> bytes:
    buffer = io.BytesIO()
    # optimize tries every filter: worth it for one picture, too slow for a large sheet
    picture.save(buffer, format="PNG", optimize=picture.width * picture.height < 4_000_000)
    return buffer.getvalue()


def sheet_size(
    scenes: Sequence[Scene], columns: int, scale: int, header: Scene | None = None
) -> tuple[int, int]:
    """Pixel size of :func:`tile` for these scenes."""
    width = max(round(s.width * scale) for s in scenes)
    height = max(round(s.height * scale) for s in scenes)
    top = round(header.height * scale) if header else 0
    total = max(width * min(columns, len(scenes)), round(header.width * scale) if header else 0)
    return total, top + height * -(-len(scenes) // columns)


def tile(
    scenes: Sequence[Scene], columns: int, scale: int = SCALE, header: Scene | None = None
) -> Image.Image:
    """Scenes painted one at a time into a sheet, row by row, under an optional header.

    Only one frame is held in memory besides the sheet.
    """
    width = max(round(s.width * scale) for s in scenes)
    height = max(round(s.height * scale) for s in scenes)
    sheet = Image.new("RGB", sheet_size(scenes, columns, scale, header), "#FFFFFF")
    top = 0
    if header:
        sheet.paste(image(header, scale), (0, 0))
        top = round(header.height * scale)
    for i, scene in enumerate(scenes):
        sheet.paste(image(scene, scale), ((i % columns) * width, top + (i // columns) * height))
    return sheet


def gif_bytes(
    background: Scene, frames: Sequence[Sequence[Item]], fps: float, hold: int = 2, scale: int = 1
) -> bytes:
    """An animated GIF: ``background`` painted once, each frame's items over a copy of it.

    All frames share one palette, taken from the last frame (which shows
    every colour the animation uses), so no frame is quantized on its own.
    The last frame is held ``hold`` times as long so a loop reads as finished.
    """
    base = image(background, scale)

    def render(items: Sequence[Item]) -> Image.Image:
        picture = base.copy()
        draw = ImageDraw.Draw(picture)
        for item in items:
            paint(draw, item, scale)
        return picture

    reference = render(
        [item for items in frames for item in items if isinstance(item, Rect)][:2000] + list(frames[-1])
    )
    palette = reference.quantize(colors=96, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    pictures = [render(items).quantize(palette=palette, dither=Image.Dither.NONE) for items in frames]
    duration = max(20, round(1000 / fps))
    durations = [duration] * len(pictures)
    durations[-1] = duration * hold
    buffer = io.BytesIO()
    pictures[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=pictures[1:],
        duration=durations,
        loop=0,
        disposal=1,
        optimize=False,
    )
    return buffer.getvalue()
