"""Rendered output: SVG parses, PNG and GIF decode with the laid-out size and frame count."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

import convscope.viz as viz
from convscope.viz.animation import STRIP_PIXELS
from convscope.viz.layout import header_scene
from convscope.viz.raster import SCALE, sheet_size

SVG = "{http://www.w3.org/2000/svg}"

CASES = [
    ("conv", (5, 5), {"kernel_size": 3, "stride": 2, "padding": 1, "values": True}),
    ("conv", 7, {"kernel_size": 3, "dilation": 2}),
    ("conv_transpose", (2, 2), {"kernel_size": 2, "stride": 2, "output_padding": (1, 0), "values": True}),
    ("conv_transpose", 3, {"kernel_size": 4, "stride": 2, "padding": "same", "convention": "tf"}),
    ("max_pool", (5, 5), {"kernel_size": 2, "ceil_mode": True, "values": True}),
    ("avg_pool", 6, {"kernel_size": 3, "stride": 2, "padding": "same", "convention": "tf", "values": True}),
    ("max_unpool", (2, 2), {"kernel_size": 2, "values": True}),
    ("avg_unpool", 3, {"kernel_size": 3, "stride": 2}),
    ("upsample_nearest", (2, 3), {"scale_factor": 2}),
    ("upsample_bilinear", 3, {"size": 5, "align_corners": True, "values": True}),
    ("pixel_shuffle", (2, 2), {"upscale_factor": 2, "values": True}),
]


def assert_svg(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == SVG + "svg"
    assert float(root.get("width", "0")) > 0 and float(root.get("height", "0")) > 0
    return root


@pytest.mark.parametrize("op, size, params", CASES, ids=[c[0] for c in CASES])
def test_every_format_renders(op: str, size, params: dict) -> None:
    anim = viz.animate(op, size, **params)
    assert len(anim) == len(anim.frames) > 0
    # one frame and the complete state: SVG of the laid-out size
    for frame in (0, len(anim) - 1, None):
        root = assert_svg(anim.svg(frame))
        scene = anim.scene(frame)
        assert float(root.get("width")) == pytest.approx(scene.width, abs=0.01)
    # PNG: 2 pixels per layout unit
    png = Image.open(io.BytesIO(anim.png(0)))
    assert png.format == "PNG"
    assert png.size == (round(anim.scene(0).width * SCALE), round(anim.scene(0).height * SCALE))
    # GIF: every frame plus the complete state
    gif = Image.open(io.BytesIO(anim.gif(fps=4)))
    assert gif.format == "GIF" and gif.n_frames == len(anim) + 1
    assert gif.size == (round(anim.scene(0).width * 2), round(anim.scene(0).height * 2))
    # the strip tiles every frame and the complete state
    strip = assert_svg(str(anim.strip("svg", columns=3)))
    assert len(strip.findall(SVG + "g")) == len(anim) + 1
    sheet = Image.open(io.BytesIO(anim.strip("png", columns=3)))  # type: ignore[arg-type]
    tiles = anim._scenes(None)
    assert len(tiles) == len(anim) + 1
    header = header_scene(anim, tiles[0].width)
    rows = -(-len(tiles) // 3)
    tile_w, tile_h = round(tiles[0].width * SCALE), round(tiles[0].height * SCALE)
    assert sheet.size == (
        max(min(3, len(tiles)) * tile_w, round(header.width * SCALE)),
        round(header.height * SCALE) + rows * tile_h,
    )
    # the notebook view plays the frames (SMIL) and is well-formed
    html = anim._repr_html_()
    assert_svg(html[html.index("<svg") : html.rindex("</svg>") + 6])
    assert html.count('attributeName="display"') >= len(anim)


def test_long_gif_drops_to_one_pixel_per_unit() -> None:
    anim = viz.animate("conv", (10, 10), kernel_size=3, padding=1)
    assert len(anim) == 100
    gif = Image.open(io.BytesIO(anim.gif()))
    assert gif.n_frames == 101
    assert gif.size == (round(anim.scene(0).width), round(anim.scene(0).height))


def test_long_strip_shrinks_to_fit() -> None:
    anim = viz.animate("conv", (10, 10), kernel_size=3, padding=1)
    sheet = Image.open(io.BytesIO(anim.strip("png")))  # type: ignore[arg-type]
    assert sheet.width * sheet.height <= STRIP_PIXELS
    tiles = anim._scenes(None)
    header = header_scene(anim, tiles[0].width)
    assert sheet.size == sheet_size(tiles, 4, 1, header)  # one pixel per unit: two would not fit


def test_save_by_suffix(tmp_path) -> None:
    anim = viz.animate("conv", 5, kernel_size=3)
    assert Image.open(anim.save(tmp_path / "a.gif")).n_frames == len(anim) + 1
    assert Image.open(anim.save(tmp_path / "a.png")).format == "PNG"
    assert_svg(anim.save(tmp_path / "a.svg").read_text())
    assert "<svg" in anim.save(tmp_path / "a.html").read_text()
    with pytest.raises(ValueError, match="path"):
        anim.save(tmp_path / "a.jpg")


@settings(max_examples=10)
@given(
    st.sampled_from(["conv", "conv_transpose", "max_pool", "avg_pool"]),
    st.integers(1, 2).flatmap(lambda n: st.tuples(*[st.integers(2, 6)] * n)),
    st.integers(1, 3),
    st.integers(1, 2),
)
def test_random_configurations_render(op: str, sizes: tuple[int, ...], kernel: int, stride: int) -> None:
    anim = viz.animate(op, sizes, kernel_size=min(kernel, min(sizes)), stride=stride, values=True)
    root = assert_svg(anim.svg(len(anim) // 2))
    texts = [t.text for t in root.iter(SVG + "text")]
    assert anim.frames[len(anim) // 2].caption in texts
    # every canvas cell is drawn: at least one rect per input and output cell
    assert len(root.findall(SVG + "rect")) >= anim.input.states.size + anim.output.states.size


def test_numbers_shown_are_the_computed_values() -> None:
    anim = viz.animate("conv", (4, 4), kernel_size=2, stride=2, values=True)
    root = assert_svg(anim.svg())
    texts = {t.text for t in root.iter(SVG + "text")}
    for value in anim.output.values.ravel():
        assert str(int(value)) in texts
    assert np.all(anim.output.values == np.round(anim.output.values))


def test_to_dict_is_json() -> None:
    import json

    anim = viz.animate("max_pool", (3, 3), kernel_size=2, stride=1, values=True)
    data = json.loads(json.dumps(anim.to_dict()))
    assert len(data["frames"]) == len(anim)
    assert data["output"]["sizes"] == [2, 2]
    assert data["frames"][0]["marked"] == anim.frames[0].marked.tolist()
