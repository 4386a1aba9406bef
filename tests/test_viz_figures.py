"""Static figures draw exactly the convscope.arith results they are built from."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

import convscope.arith as arith
import convscope.viz as viz
from convscope.viz.raster import SCALE

SVG = "{http://www.w3.org/2000/svg}"


def assert_renders(fig: viz.Figure) -> ET.Element:
    root = ET.fromstring(fig.svg())
    assert root.tag == SVG + "svg"
    assert fig._repr_svg_() == fig.svg()
    png = Image.open(io.BytesIO(fig.png()))
    assert png.size == (round(fig.scene.width * SCALE), round(fig.scene.height * SCALE))
    return root


def assert_same_overlap(a: arith.Overlap, b: arith.Overlap) -> None:
    np.testing.assert_array_equal(a.counts, b.counts)
    np.testing.assert_array_equal(a.interior, b.interior)
    assert a.period == b.period and a.unevenness == b.unevenness


@settings(max_examples=15)
@given(st.integers(1, 5), st.integers(1, 3), st.integers(1, 2), st.integers(1, 6), st.booleans())
def test_overlap_figure_is_arith_overlap(
    kernel: int, stride: int, dilation: int, size: int, two_d: bool
) -> None:
    sizes = (size, size + 1) if two_d else size
    fig = viz.figure("overlap", kernel_size=kernel, stride=stride, dilation=dilation, input=sizes)
    assert_same_overlap(fig.data, arith.overlap_map(kernel, stride, dilation, sizes))
    np.testing.assert_array_equal(fig.values, fig.data.counts)
    root = assert_renders(fig)
    shown = [t.text for t in root.iter(SVG + "text")]
    assert all(str(v) in shown for v in np.unique(fig.data.counts))


def test_overlap_stack_and_gradient() -> None:
    even = {"kernel_size": 4, "stride": 2, "padding": 1}
    stack = [even, even, {"kernel_size": 3, "stride": 2}]
    fig = viz.figure("overlap", stack=stack, input=3)
    assert_same_overlap(fig.data, arith.overlap_map_stack(stack, 3))
    assert_renders(fig)
    fig = viz.figure("overlap", kernel_size=(3, 3), stride=2, gradient=True, input=(7, 7), padding=1)
    assert_same_overlap(fig.data, arith.gradient_overlap((3, 3), 2, 1, (7, 7), 1))
    assert fig.values.shape == (7, 7)
    assert_renders(fig)


@pytest.mark.parametrize("layers", ["conv k3 s2 p1; pool k2; conv k3 d2 p2", "transpose k4 s2 p1; conv k3"])
def test_rf_figure_is_arith_receptive_field(layers: str) -> None:
    fig = viz.figure("rf", layers=layers)
    assert fig.data == arith.receptive_field(layers)
    assert fig.values[:, 0].tolist() == [float(f.size) for f in fig.data]
    root = assert_renders(fig)
    shown = " ".join(t.text or "" for t in root.iter(SVG + "text"))
    for f in fig.data:
        assert f"r={f.size}" in shown and f"[u, v]=[{f.u}, {f.v}]" in shown
    assert viz.figure("rf", layers=arith.parse_layers(layers)).data == fig.data


@pytest.mark.parametrize("rates", [(1, 2, 3), (2, 2, 2), (1, 2, 5, 9)])
def test_gridding_figure_is_arith_gridding(rates: tuple[int, ...]) -> None:
    fig = viz.figure("gridding", rates=rates)
    expected = arith.gridding(rates)
    np.testing.assert_array_equal(fig.values, expected.coverage_2d)
    assert fig.data.holes == expected.holes and fig.data.distances == expected.distances
    root = assert_renders(fig)
    # every hole is crossed out: two lines per zero cell
    assert len(root.findall(SVG + "line")) >= 2 * int(np.count_nonzero(expected.coverage_2d == 0))


@settings(max_examples=10)
@given(
    st.integers(1, 2).flatmap(lambda n: st.tuples(*[st.integers(3, 6)] * n)),
    st.integers(1, 3),
    st.integers(1, 2),
    st.integers(0, 1),
)
def test_matrix_figure_is_conv_matrix(sizes: tuple[int, ...], kernel: int, stride: int, padding: int) -> None:
    fig = viz.figure("matrix", input=sizes, kernel_size=kernel, stride=stride, padding=padding)
    kernels = (kernel,) * len(sizes)
    expected = arith.conv_matrix((1, *sizes), (1, 1, *kernels), stride, padding).toarray()
    np.testing.assert_array_equal(fig.values, expected)
    root = assert_renders(fig)
    coloured = [r for r in root.iter(SVG + "rect") if r.get("fill") not in ("#FFFFFF", None)]
    assert len(coloured) >= np.count_nonzero(expected)


def test_symbolic_matrix_labels() -> None:
    fig = viz.figure("matrix", input=(3, 3), kernel_size=2, symbolic=True)
    np.testing.assert_array_equal(fig.data, arith.symbolic_conv_matrix((3, 3), (2, 2)))
    shown = [t.text for t in assert_renders(fig).iter(SVG + "text")]
    assert shown.count("w11") == 4 and shown.count("w22") == 4


def test_save(tmp_path) -> None:
    fig = viz.figure("gridding", rates=(1, 2, 3))
    assert Image.open(fig.save(tmp_path / "g.png")).format == "PNG"
    assert ET.parse(fig.save(tmp_path / "g.svg")).getroot().tag == SVG + "svg"
    with pytest.raises(ValueError, match="path"):
        fig.save(tmp_path / "g.gif")
