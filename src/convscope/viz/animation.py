"""The :class:`Animation` object: frames plus every way to render them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ..core.window import is_int
from . import palette as pal
from .layout import (
    cell_text,
    footprint_items,
    format_value,
    frame_layout,
    frame_scene,
    header_scene,
    output_items,
    static_items,
)
from .model import Frame, Grid, OutCell
from .raster import gif_bytes, image, png_bytes, sheet_size, tile
from .scene import Item, Rect, Scene, Text
from .svg import animated_groups, grid_svg, item_svg, open_svg
from .text import dims

#: Largest PNG frame strip, in pixels (about 150 MB of RGB while it is painted).
STRIP_PIXELS = 48_000_000
#: Animations up to this many frames are written as GIFs at 2 pixels per unit, longer ones at 1.
SHARP_FRAMES = 64
#: Total footprint taps beyond which the notebook view shows the complete result instead of playing.
HTML_TAP_LIMIT = 60_000


@dataclass(frozen=True, eq=False)
class Animation:
    """An operator drawn step by step: one :class:`~convscope.viz.model.Frame` per output (group).

    Built by :func:`convscope.viz.animate`; every cell state comes from the
    geometry core. ``len(animation)`` is the number of frames.

    Attributes
    ----------
    op : str
        The operator (``'conv'``, ``'conv_transpose'``, ...).
    ndim : int
        Spatial axes (1 or 2).
    params : dict
        The resolved configuration (per-axis tuples, ``(low, high)`` padding).
    input, output : Grid
        The input canvas and the output grid (final states).
    frames : list of Frame
    kernel : numpy.ndarray or None
        The weights as applied on the canvas (flipped for a transposed
        convolution), when ``values=True``.
    """

    op: str
    ndim: int
    params: Mapping[str, Any]
    input: Grid
    output: Grid
    frames: list[Frame]
    title: str
    subtitle: str
    input_label: str
    output_label: str
    footprint_label: str
    summary: str
    kernel: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.frames)

    def __repr__(self) -> str:
        return f"<Animation {self.title!r}: {len(self)} frames>"

    # -- single pictures ----------------------------------------------------------
    def _check_frame(self, frame: int | None) -> int | None:
        if frame is None:
            return None
        if not is_int(frame):
            raise TypeError(f"Animation: frame must be an int or None, got frame={frame!r}")
        if not -len(self) <= frame < len(self):
            raise ValueError(f"Animation: frame={frame} is out of range for {len(self)} frames")
        return int(frame) % len(self)

    def footprint(self, frame: int) -> np.ndarray:
        """Boolean mask over the input canvas (``input.shape``): the cells under step ``frame``'s taps.

        Together with ``input.states`` (the same at every step) and
        ``frames[frame].output`` it is the full cell state of that step.

        Examples
        --------
        >>> from convscope.viz import animate
        >>> animate("conv", 4, kernel_size=2, stride=2).footprint(1).astype(int)
        array([[0, 0, 1, 1]])
        """
        index = self._check_frame(frame)
        mask = np.zeros(self.input.shape, dtype=bool)
        if index is not None:
            mask[tuple(self.frames[index].taps.T)] = True
        return mask

    def scene(self, frame: int | None = None) -> Scene:
        """The laid-out picture of ``frame`` (``None``: the complete result)."""
        return frame_scene(self, self._check_frame(frame))

    def svg(self, frame: int | None = None) -> str:
        """One frame as an SVG document; ``None`` (default) draws the complete result."""
        from .svg import scene_svg

        return scene_svg(self.scene(frame))

    def png(self, frame: int | None = None) -> bytes:
        """One frame as PNG bytes; ``None`` (default) draws the complete result."""
        return png_bytes(image(self.scene(frame)))

    # -- several frames -------------------------------------------------------------
    def strip(self, fmt: Literal["svg", "png"] = "svg", columns: int = 4) -> str | bytes:
        """Every frame, then the complete result, tiled ``columns`` per row (SVG text or PNG bytes).

        A PNG sheet is kept under :data:`STRIP_PIXELS` pixels: 2 pixels per
        layout unit when that fits, else 1, else smaller cells (no numbers).
        """
        if fmt not in ("svg", "png"):
            raise ValueError(f"Animation.strip: fmt must be 'svg' or 'png', got fmt={fmt!r}")
        if isinstance(columns, bool) or not isinstance(columns, int) or columns < 1:
            raise ValueError(f"Animation.strip: columns must be a positive int, got columns={columns!r}")
        if fmt == "svg":
            scenes = self._scenes(None)
            return grid_svg(scenes, columns, self.title, header_scene(self, scenes[0].width))
        for cell, scale in ((None, 2), (None, 1), (16.0, 1), (12.0, 1), (8.0, 1), (5.0, 1)):
            lay = frame_layout(self, cell, compact=True)
            probe = [Scene(lay.width, lay.height)] * (len(self) + 1)
            header = header_scene(self, lay.width)
            width, height = sheet_size(probe, columns, scale, header)
            if width * height <= STRIP_PIXELS:
                return png_bytes(tile(self._scenes(cell), columns, scale, header))
        raise ValueError(
            f"Animation.strip: {len(self)} frames do not fit in one PNG of {STRIP_PIXELS:,} pixels; "
            "write the GIF or the SVG strip instead"
        )

    def _scenes(self, cell: float | None) -> list[Scene]:
        scenes = [frame_scene(self, i, cell, compact=True) for i in range(len(self))]
        return [*scenes, frame_scene(self, None, cell, compact=True)]

    def _frame_items(self) -> tuple[Scene, list[list[Item]]]:
        lay = frame_layout(self)
        background = Scene(lay.width, lay.height, static_items(self, lay), title=self.title)
        frames: list[list[Item]] = [
            output_items(self, lay, f.output) + footprint_items(self, lay, f) for f in self.frames
        ]
        frames.append(
            [*output_items(self, lay, self.output.states), Text(16, lay.caption_y, self.summary, 12)]
        )
        return background, frames

    def gif(self, fps: float = 2.0, scale: int | None = None) -> bytes:
        """An animated GIF: every frame, then the complete result (held twice as long); loops.

        ``scale`` is pixels per layout unit: by default 2 up to :data:`SHARP_FRAMES`
        frames, 1 beyond (keeps long animations small and fast to write).
        """
        if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not 0.1 <= fps <= 50:
            raise ValueError(f"Animation.gif: fps must be a number between 0.1 and 50, got fps={fps!r}")
        if scale is None:
            scale = 2 if len(self) <= SHARP_FRAMES else 1
        if isinstance(scale, bool) or scale not in (1, 2, 3):
            raise ValueError(f"Animation.gif: scale must be 1, 2 or 3, got scale={scale!r}")
        background, frames = self._frame_items()
        return gif_bytes(background, frames, float(fps), scale=scale)

    def html(self, seconds: float = 0.7) -> str:
        """An SVG that plays the animation in a browser or notebook (SMIL), ``seconds`` per frame.

        Output cells change colour through per-cell animations, so the
        document grows with the footprints, not with frames times cells.
        Above :data:`HTML_TAP_LIMIT` taps in all it shows the complete result.
        """
        if sum(len(f.taps) for f in self.frames) > HTML_TAP_LIMIT:
            return self.svg()
        lay = frame_layout(self)
        n = len(self) + 1
        total = seconds * n
        parts = [open_svg(lay.width, lay.height, self.title)]
        parts.extend(item_svg(i) for i in static_items(self, lay))
        states = np.stack([f.output.ravel() for f in self.frames] + [self.output.states.ravel()])
        box, values = lay.out, self.output.values
        for flat in np.flatnonzero(states.any(axis=0)):
            seq = states[:, flat]
            changes = [0] + [i for i in range(1, n) if seq[i] != seq[i - 1]]
            fills = ";".join(pal.OUT_FILL[OutCell(int(seq[i]))] for i in changes)
            times = ";".join(f"{i / n:.6f}" for i in changes)
            x, y = box.flat_origin(flat)
            rect = item_svg(Rect(x, y, box.cell, box.cell, pal.WHITE, pal.GRID_LINE, 1))[:-2]
            parts.append(
                f'{rect}><animate attributeName="fill" values="{fills}" keyTimes="{times}" '
                f'dur="{total:.3f}s" calcMode="discrete" repeatCount="indefinite"/></rect>'
            )
            if lay.numbers and values is not None and format_value(float(values.flat[flat])):
                first = int(np.argmax(seq > 0))
                text = item_svg(cell_text(box, x, y, format_value(float(values.flat[flat])), lay.font))
                parts.append(
                    f'<g display="none"><animate attributeName="display" values="none;inline" '
                    f'keyTimes="0;{first / n:.6f}" dur="{total:.3f}s" calcMode="discrete" '
                    f'repeatCount="indefinite"/>{text}</g>'
                )
        frames = [footprint_items(self, lay, f) for f in self.frames]
        frames.append([Text(16, lay.caption_y, self.summary, 12)])
        parts.extend(animated_groups(frames, seconds))
        parts.append("</svg>")
        return "".join(parts)

    def _repr_html_(self) -> str:
        return f'<div style="overflow:auto">{self.html()}</div>'

    def save(self, path: str | Path, fps: float = 2.0) -> Path:
        """Write ``.gif`` (animated), ``.svg`` or ``.png`` (the frame strip), or ``.html`` (playing SVG)."""
        target = Path(path)
        suffix = target.suffix.lower()
        if suffix == ".gif":
            target.write_bytes(self.gif(fps))
        elif suffix == ".svg":
            target.write_text(str(self.strip("svg")))
        elif suffix == ".png":
            data = self.strip("png")
            assert isinstance(data, bytes)
            target.write_bytes(data)
        elif suffix == ".html":
            target.write_text(
                f"<!doctype html><meta charset='utf-8'><title>{self.title}</title>{self.html()}"
            )
        else:
            raise ValueError(f"Animation.save: path={str(path)!r} must end in .gif, .svg, .png or .html")
        return target

    def to_dict(self) -> dict[str, Any]:
        """The animation as JSON-ready data: grids (states, sources, values) and frames."""

        def grid(g: Grid) -> dict[str, Any]:
            return {
                "shape": list(g.shape),
                "sizes": list(g.sizes),
                "states": g.states.tolist(),
                "source": g.source.tolist(),
                "values": None if g.values is None else _finite_or_none(g.values),
            }

        return {
            "op": self.op,
            "ndim": self.ndim,
            "params": {k: _jsonable(v) for k, v in self.params.items()},
            "title": self.title,
            "subtitle": self.subtitle,
            "summary": self.summary,
            "input": grid(self.input),
            "output": grid(self.output),
            "frames": [f.to_dict() for f in self.frames],
        }


def _finite_or_none(values: np.ndarray) -> Any:
    """Nested lists of floats, with ``None`` for NaN and infinities (JSON has neither)."""
    shown = values.astype(object)
    shown[~np.isfinite(values)] = None
    return shown.tolist()


def _jsonable(value: Any) -> Any:
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def frame_outputs(count: int, targets: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Output states after each step of a scatter: earlier targets DONE, this step's CURRENT."""
    done = np.zeros(count, dtype=bool)
    states = []
    for t in targets:
        s = np.where(done, OutCell.DONE, OutCell.EMPTY).astype(np.int8)
        s[t] = OutCell.CURRENT
        states.append(s)
        done[t] = True
    return states


def stepped_animation(
    op: str,
    ndim: int,
    params: dict[str, Any],
    inp: Grid,
    out: Grid,
    frames: list[Frame],
    *,
    title: str,
    subtitle: str,
    footprint: str,
    in_label: str = "",
    out_label: str = "",
    kernel: np.ndarray | None = None,
    mapping: str | None = None,
) -> Animation:
    """An :class:`Animation` summarised as ``mapping`` (else the two labels) and its step count.

    A label not given names the grid and its real sizes (``input 4x4``).
    """
    in_label = in_label or f"input {dims(inp.sizes)}"
    out_label = out_label or f"output {dims(out.sizes)}"
    return Animation(
        op=op,
        ndim=ndim,
        params=params,
        input=inp,
        output=out,
        frames=frames,
        title=title,
        subtitle=subtitle,
        input_label=in_label,
        output_label=out_label,
        footprint_label=footprint,
        summary=f"complete: {mapping or f'{in_label} -> {out_label}'} in {len(frames)} steps",
        kernel=kernel,
    )
