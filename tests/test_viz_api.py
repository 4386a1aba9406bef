"""The public API of convscope.viz: refusals, size caps, and the notebook views of core and arith."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import torch
import torch.nn.functional as TF

import convscope.arith as arith
import convscope.viz as viz
from convscope.core import Axis, conv_geometry


@pytest.mark.parametrize(
    "op, size, params, name",
    [
        ("conv", viz.MAX_CELLS + 1, {"kernel_size": 3}, "input"),
        ("conv", (30, 30), {"kernel_size": 1}, "input"),  # 900 frames
        ("conv", 10, {"kernel_size": 3, "padding": 40}, "padding"),
        ("conv_transpose", 30, {"kernel_size": 3, "stride": 4}, "stride"),
        ("upsample_nearest", 8, {"scale_factor": 16}, "scale_factor"),
        ("pixel_shuffle", (8, 8), {"upscale_factor": 5}, "upscale_factor"),
        ("max_pool", 10**9, {"kernel_size": 2}, "input"),
        ("conv", 8, {"kernel_size": 10**9}, "kernel_size"),
    ],
)
def test_size_caps_name_the_argument(op: str, size, params: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        viz.animate(op, size, **params)


@pytest.mark.parametrize(
    "call, op, params",
    [
        (
            lambda: TF.conv1d(torch.zeros(1, 1, 5), torch.zeros(1, 1, 3), stride=2, padding="same"),
            "conv",
            {"kernel_size": 3, "stride": 2, "padding": "same"},
        ),
        (
            lambda: TF.max_pool1d(torch.zeros(1, 1, 5), 2, padding=2),
            "max_pool",
            {"kernel_size": 2, "padding": 2},
        ),
        (
            lambda: TF.conv_transpose1d(
                torch.zeros(1, 1, 5), torch.zeros(1, 1, 3), stride=2, output_padding=2
            ),
            "conv_transpose",
            {"kernel_size": 3, "stride": 2, "output_padding": 2},
        ),
    ],
    ids=["same-strided", "pool-padding", "output-padding"],
)
def test_torch_refusals_are_refused(call, op: str, params: dict) -> None:
    with pytest.raises(RuntimeError):
        call()  # torch refuses ...
    with pytest.raises(ValueError):  # ... and so does animate
        viz.animate(op, 5, **params)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="op"):
        viz.animate("deconv", 5, kernel_size=3)
    with pytest.raises(TypeError, match="upscale_factor"):
        viz.animate("conv", 5, kernel_size=3, upscale_factor=2)
    with pytest.raises(TypeError, match="kernel_size"):
        viz.animate("conv", 5)
    with pytest.raises(ValueError, match="convention"):
        viz.animate("conv", 5, kernel_size=3, convention="jax")
    with pytest.raises(ValueError, match="input"):
        viz.animate("conv", (2, 2, 2), kernel_size=1)
    with pytest.raises(ValueError, match="pixel_shuffle"):
        viz.animate("pixel_shuffle", 4, upscale_factor=2)
    # None means "not given", so a command line can pass every option through
    assert len(viz.animate("conv", 5, kernel_size=3, stride=None, output_padding=None)) == 3
    anim = viz.animate("conv", 5, kernel_size=3)
    with pytest.raises(ValueError, match="frame"):
        anim.svg(3)
    with pytest.raises(ValueError, match="fps"):
        anim.gif(fps=0)


def test_figure_refusals() -> None:
    with pytest.raises(ValueError, match="kind"):
        viz.figure("heat")
    with pytest.raises(TypeError, match="rates"):
        viz.figure("gridding")
    with pytest.raises(TypeError, match="unexpected"):
        viz.figure("rf", layers="conv k3", rates=(1, 2))
    with pytest.raises(ValueError, match="limit"):
        viz.figure("matrix", input=(30, 30), kernel_size=3)


def assert_svg(text: str | None) -> None:
    assert text is not None
    assert ET.fromstring(text).tag.endswith("svg")


def test_core_and_arith_draw_themselves_in_a_notebook() -> None:
    assert_svg(Axis(size=7, kernel=3, stride=2, pad=(1, 1))._repr_svg_())
    assert_svg(Axis.transposed(3, 3, 2).direct_view()._repr_svg_())
    assert_svg(conv_geometry((1, 2, 5, 6), (4, 2, 3, 3), (2, 1), ((1, 1), (0, 0)), (1, 2))._repr_svg_())
    assert_svg(arith.overlap_map(3, 2)._repr_svg_())
    assert_svg(arith.gradient_overlap((3, 3), 2)._repr_svg_())
    assert_svg(arith.gridding((1, 2, 3))._repr_svg_())
    assert_svg(arith.receptive_field("conv k3 s2; conv k3")[-1]._repr_svg_())
    html = arith.shape_report("conv", (5, 5), kernel_size=3)._repr_html_()
    assert html is not None and "<table>" in html and "formula" in html
    # too large to draw: the notebook falls back to the text repr
    assert Axis(size=10_000, kernel=3)._repr_svg_() is None
