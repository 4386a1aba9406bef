"""The tour's gallery: one animation per seed example, and the analysis figures, with an index page.

``convscope tour -o DIR`` calls :func:`write_gallery`, which draws every
entry of :data:`ANIMATIONS` (GIF, via :func:`convscope.viz.animate`) and
:data:`FIGURES` (PNG, via :func:`convscope.viz.figure`) into ``DIR/gallery``
and writes ``DIR/index.html`` linking them, each with the seed it comes from
and the ``convscope`` command that draws it again.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["ANIMATIONS", "FIGURES", "Entry", "write_gallery"]


@dataclass(frozen=True)
class Entry:
    """One picture: the seed document it illustrates, a caption, and what to draw."""

    seed: str
    name: str
    caption: str
    kind: str  # an operator of viz.animate, or a figure kind of viz.figure
    input: tuple[int, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    figure: bool = False


ANIMATIONS: tuple[Entry, ...] = (
    Entry(
        "000",
        "checkerboard-k3s2",
        "Transposed convolution, kernel 3, stride 2, 1-d: footprints overlap unevenly, 1 2 1 2 ... "
        "(the checkerboard of Odena et al.)",
        "conv_transpose",
        (4,),
        {"kernel_size": 3, "stride": 2},
    ),
    Entry(
        "001",
        "conv-4x4-k3",
        "nn.Conv2d: a 3x3 kernel over a 4x4 input gives 2x2",
        "conv",
        (4, 4),
        {"kernel_size": 3},
    ),
    Entry(
        "001",
        "conv-5x5-k4-p2",
        "nn.Conv2d with padding 2: a 4x4 kernel over a 5x5 input gives 6x6",
        "conv",
        (5, 5),
        {"kernel_size": 4, "padding": 2},
    ),
    Entry(
        "001",
        "transposed-2x2-k3-s2",
        "nn.ConvTranspose2d: 2x2 input, 3x3 kernel, stride 2 -> 5x5 (inserted zeros and implicit padding)",
        "conv_transpose",
        (2, 2),
        {"kernel_size": 3, "stride": 2},
    ),
    Entry(
        "001",
        "max-pool",
        "Max pooling, 2x2 windows, stride 2, with the numbers",
        "max_pool",
        (4, 4),
        {"kernel_size": 2, "values": True},
    ),
    Entry(
        "001",
        "max-unpool",
        "Max unpooling: each maximum back in its cell, zeros elsewhere",
        "max_unpool",
        (2, 2),
        {"kernel_size": 2, "values": True},
    ),
    Entry(
        "001",
        "avg-unpool",
        "Average unpooling: each average spread over its window",
        "avg_unpool",
        (2, 2),
        {"kernel_size": 2, "values": True},
    ),
    Entry(
        "001", "upsample-nearest", "Nearest up-sampling x2", "upsample_nearest", (2, 2), {"scale_factor": 2}
    ),
    Entry(
        "001",
        "upsample-bilinear",
        "Bilinear up-sampling x2 (UpsamplingBilinear2d: align_corners=True)",
        "upsample_bilinear",
        (2, 2),
        {"scale_factor": 2, "align_corners": True},
    ),
    Entry(
        "001",
        "pixel-shuffle",
        "Pixel shuffle, upscale factor 2: four channels become one 2x larger",
        "pixel_shuffle",
        (2, 2),
        {"upscale_factor": 2},
    ),
    Entry(
        "002",
        "atrous-rate-2",
        "ASPP branch: 3x3 atrous convolution, rate 2, padding 2 keeps the size",
        "conv",
        (5, 5),
        {"kernel_size": 3, "dilation": 2, "padding": 2},
    ),
    Entry(
        "003",
        "tf-same-5x5-k2-s2",
        "tf.nn.conv2d, SAME, 5x5 input, 2x2 kernel, stride 2: the extra padding cell goes bottom/right",
        "conv",
        (5, 5),
        {"kernel_size": 2, "stride": 2, "padding": "same", "convention": "tf"},
    ),
    Entry(
        "003",
        "tf-transpose-same-s2",
        "tf.nn.conv2d_transpose, SAME, stride 2, output_shape 4x4",
        "conv_transpose",
        (2, 2),
        {"kernel_size": 2, "stride": 2, "padding": "same", "convention": "tf", "output_shape": (4, 4)},
    ),
    Entry(
        "004",
        "dilated-7x7-d2",
        "Dilated convolution: a 3x3 kernel with dilation 2 spans 5x5; a 7x7 input gives 3x3",
        "conv",
        (7, 7),
        {"kernel_size": 3, "dilation": 2},
    ),
    Entry("004", "conv1d", "1-d convolution, kernel 3", "conv", (8,), {"kernel_size": 3}),
)

FIGURES: tuple[Entry, ...] = (
    Entry(
        "000",
        "overlap-k3s2",
        "Overlap of kernel 3, stride 2: uneven, a checkerboard",
        "overlap",
        params={"kernel_size": (3, 3), "stride": (2, 2)},
        figure=True,
    ),
    Entry(
        "000",
        "overlap-k4s2",
        "Overlap of kernel 4, stride 2: even",
        "overlap",
        params={"kernel_size": (4, 4), "stride": (2, 2)},
        figure=True,
    ),
    Entry(
        "001",
        "rf-k3s2-k2",
        "Receptive field of conv k3 s2 then conv k2 (the 7x7 example)",
        "rf",
        params={"layers": "conv k3 s2; conv k2"},
        figure=True,
    ),
    Entry(
        "002",
        "gridding-222",
        "Gridding: three 3x3 layers at rate 2 leave holes",
        "gridding",
        params={"rates": (2, 2, 2)},
        figure=True,
    ),
    Entry(
        "002",
        "gridding-123",
        "Rates 1, 2, 3 (HDC): every cell is reached",
        "gridding",
        params={"rates": (1, 2, 3)},
        figure=True,
    ),
    Entry(
        "004",
        "matrix-3x3-k2",
        "The convolution matrix C of a 2x2 kernel on a 3x3 input",
        "matrix",
        params={"input": (3, 3), "kernel_size": (2, 2), "symbolic": True},
        figure=True,
    ),
)


def _option(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return ",".join(_option(v) for v in value)
    return str(value)


_FLAGS = {
    "kernel_size": "--kernel",
    "upscale_factor": "--upscale-factor",
    "scale_factor": "--scale-factor",
}


def command(entry: Entry, path: str) -> str:
    """The ``convscope`` command line that draws ``entry`` into ``path``.

    >>> command(ANIMATIONS[1], "conv.gif")
    'convscope animate conv --input 4,4 --kernel 3 -o conv.gif'
    """
    words = ["convscope", "figure" if entry.figure else "animate", entry.kind]
    if entry.input:
        words += ["--input", _option(entry.input)]
    for key, value in entry.params.items():
        if key == "layers":
            words.append(repr(value))
        elif value is True:
            words.append("--2d" if key == "2d" else "--" + key.replace("_", "-"))
        else:
            words += [_FLAGS.get(key, "--" + key.replace("_", "-")), _option(value)]
    return " ".join([*words, "-o", path])


def _page(sections: list[tuple[str, list[tuple[Entry, str]]]]) -> str:
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8"><title>convscope tour gallery</title>',
        "<style>body{font:15px/1.45 system-ui,sans-serif;margin:1.5rem;color:#222}"
        ".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(30rem,1fr));gap:1.5rem}"
        "figure{margin:0}figure img{max-width:100%;max-height:34rem;border:1px solid #ddd}"
        "code{font-size:0.8rem;color:#444;word-break:break-all}</style></head><body>",
        "<h1>convscope tour gallery</h1>",
        "<p>Every picture below is drawn by convscope from its geometry core; under each, the command "
        'that draws it again. The worked examples themselves are in <a href="tour.md">tour.md</a>.</p>',
    ]
    for title, items in sections:
        parts.append(f'<h2>{html.escape(title)}</h2><div class="grid">')
        for entry, path in items:
            parts.append(
                f'<figure><a href="{html.escape(path)}"><img src="{html.escape(path)}" '
                f'alt="{html.escape(entry.caption)}"></a><figcaption>seed {entry.seed}: '
                f"{html.escape(entry.caption)}<br><code>{html.escape(command(entry, path))}</code>"
                "</figcaption></figure>"
            )
        parts.append("</div>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_gallery(output: Path, echo: Callable[[str], None] = print) -> list[Path]:
    """Draw every gallery entry into ``output/gallery`` and write ``output/index.html``; the written paths.

    Each animation is a looping GIF (every step, then the complete result);
    each figure a PNG.
    """
    import convscope.viz as viz

    folder = output / "gallery"
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    sections: list[tuple[str, list[tuple[Entry, str]]]] = []
    for title, entries in (("Animations", ANIMATIONS), ("Analysis figures", FIGURES)):
        drawn: list[tuple[Entry, str]] = []
        for entry in entries:
            path = folder / f"{entry.seed}-{entry.name}.{'png' if entry.figure else 'gif'}"
            path.write_bytes(
                viz.figure(entry.kind, **entry.params).png()
                if entry.figure
                else viz.animate(entry.kind, entry.input, **entry.params).gif()
            )
            drawn.append((entry, f"gallery/{path.name}"))
            written.append(path)
        sections.append((title, drawn))
    index = output / "index.html"
    index.write_text(_page(sections), encoding="utf-8")
    written.append(index)
    echo(f"wrote {len(ANIMATIONS)} animations and {len(FIGURES)} figures to {folder}, linked from {index}")
    return written
