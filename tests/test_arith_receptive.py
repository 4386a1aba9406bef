"""Receptive fields (Araujo, Norris & Sim, Distill 2019) against the seeds, published tables and autograd.

Published numbers: the table of "Computing Receptive Fields of Convolutional
Neural Networks" (https://distill.pub/2019/computing-receptive-fields/,
section "Discussion: receptive fields of modern networks") and the per
end-point table of its library,
https://github.com/google-research/receptive_field/blob/master/receptive_field/RECEPTIVE_FIELD_TABLE.md
(receptive field r / effective stride S / effective padding P, TF-Slim models):

- alexnet_v2: conv1 11/4/0, pool1 19/8/0, conv2 51/8/16, conv3 99/16/32,
  conv4 131/16/48, conv5 163/16/64, pool5 195/32/64.
- vgg_16: conv1_1 3/1/1, pool1 6/2/2, conv2_1 10/2/4, pool2 16/4/6,
  conv3_1 24/4/10, conv3_2 32/4/14, pool3 44/8/18, conv4_1 60/8/26,
  conv4_2 76/8/34, pool4 100/16/42, conv5_1 132/16/58, conv5_2 164/16/74,
  pool5 212/32/90.
- resnet_v1_50 at 224x224: block1 35/8/15, block2 99/16/47, block3 291/32/143,
  block4 483/32/239 (P depends on the resolution through TF's SAME pooling).
"""

from __future__ import annotations

from fractions import Fraction

import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st

from convscope.arith import Layer, conv_output_size, parse_layers, receptive_field

# -- the three classic networks, layer by layer along one axis (TF-Slim definitions) --------
ALEXNET_V2 = [
    ("conv1", Layer("conv", 11, 4)),  # VALID
    ("pool1", Layer("pool", 3, 2)),
    ("conv2", Layer("conv", 5, 1, 2)),  # SAME, stride 1
    ("pool2", Layer("pool", 3, 2)),
    ("conv3", Layer("conv", 3, 1, 1)),
    ("conv4", Layer("conv", 3, 1, 1)),
    ("conv5", Layer("conv", 3, 1, 1)),
    ("pool5", Layer("pool", 3, 2)),
]
ALEXNET_TABLE = {
    "conv1": (11, 4, 0),
    "pool1": (19, 8, 0),
    "conv2": (51, 8, 16),
    "conv3": (99, 16, 32),
    "conv4": (131, 16, 48),
    "conv5": (163, 16, 64),
    "pool5": (195, 32, 64),
}


def _vgg16() -> list[tuple[str, Layer]]:
    layers = []
    for block, convs in enumerate((2, 2, 3, 3, 3), start=1):
        layers += [(f"conv{block}_{i}", Layer("conv", 3, 1, 1)) for i in range(1, convs + 1)]
        layers.append((f"pool{block}", Layer("pool", 2, 2)))
    return layers


VGG16_TABLE = {
    "conv1_1": (3, 1, 1),
    "pool1": (6, 2, 2),
    "conv2_1": (10, 2, 4),
    "pool2": (16, 4, 6),
    "conv3_1": (24, 4, 10),
    "conv3_2": (32, 4, 14),
    "pool3": (44, 8, 18),
    "conv4_1": (60, 8, 26),
    "conv4_2": (76, 8, 34),
    "pool4": (100, 16, 42),
    "conv5_1": (132, 16, 58),
    "conv5_2": (164, 16, 74),
    "pool5": (212, 32, 90),
}


def _resnet_v1_50() -> list[tuple[str, Layer]]:
    """The longest path: conv1, pool1, then each bottleneck's 1x1 -> 3x3 -> 1x1.

    TF-Slim: conv1 is conv2d_same (explicit pad 3), pool1 is a 3x3/2 SAME max
    pool (at 224: input 112, padding (0, 1)), and each block's last unit
    carries the stride on its 3x3 convolution (padding 1 either way).
    """
    layers = [("conv1", Layer("conv", 7, 2, 3)), ("pool1", Layer("pool", 3, 2, (0, 1)))]
    for block, (units, stride) in enumerate(((3, 2), (4, 2), (6, 2), (3, 1)), start=1):
        for unit in range(1, units + 1):
            step = stride if unit == units else 1
            layers += [
                (f"block{block}/unit{unit}/conv1", Layer("conv", 1, 1)),
                (f"block{block}/unit{unit}/conv2", Layer("conv", 3, step, 1)),
                (f"block{block}/unit{unit}/conv3", Layer("conv", 1, 1)),
            ]
        layers[-1] = (f"block{block}", layers[-1][1])
    return layers


RESNET50_TABLE = {
    "block1": (35, 8, 15),
    "block2": (99, 16, 47),
    "block3": (291, 32, 143),
    "block4": (483, 32, 239),
}

NETWORKS = {
    "alexnet_v2": (ALEXNET_V2, ALEXNET_TABLE),
    "vgg_16": (_vgg16(), VGG16_TABLE),
    "resnet_v1_50": (_resnet_v1_50(), RESNET50_TABLE),
}


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_published_receptive_fields(name: str) -> None:
    named, table = NETWORKS[name]
    fields = dict(zip([n for n, _ in named], receptive_field([layer for _, layer in named])))
    got = {end: (fields[end].size, fields[end].stride, fields[end].padding) for end in table}
    assert got == table


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_published_networks_against_autograd(name: str) -> None:
    """The same chains run in torch (1-d, all-ones weights): an interior output sees exactly [u, v] + j S."""
    layers = [layer for _, layer in NETWORKS[name][0]]
    field = receptive_field(layers)[-1]
    j = -(-field.padding // field.stride)
    assert _support(layers, field.v + j * field.stride + 1, j) == field.interval(j)


# -- the seeds' worked numbers ---------------------------------------------------------------
def test_seed_7x7_input_conv_k3_s2_then_k2_s1() -> None:
    """Seed 000: 7x7 input, conv k3 s2 -> 3x3 map with field 3, conv k2 s1 -> 2x2 map with field 5."""
    first, second = receptive_field("conv k3 s2; conv k2 s1")
    assert (first.size, second.size) == (3, 5)
    assert conv_output_size((7, 7), 3, 2) == (3, 3)
    assert conv_output_size((3, 3), 2, 1) == (2, 2)


def test_seed_dilations_1_2_4_grow_the_field_to_3_7_15() -> None:
    """Seed 000: k3, s1, dilation 1, 2, 4 stacked: fields 3, 7, 15 (the effective kernel d (k-1) + 1)."""
    fields = receptive_field([Layer("conv", 3, dilation=d) for d in (1, 2, 4)])
    assert [f.size for f in fields] == [3, 7, 15]


@pytest.mark.parametrize("rates", [(1, 2, 3), (2, 2, 2)])
def test_seed_hdc_rates_both_reach_13(rates: tuple[int, int, int]) -> None:
    """Seed 002: HDC rates (1, 2, 3) and DeepLab's (2, 2, 2) both see 13 inputs."""
    assert receptive_field([Layer("conv", 3, dilation=r) for r in rates])[-1].size == 13


# -- the autograd oracle -------------------------------------------------------------------
def _torch_chain(layers: list[Layer], n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Run the chain in 1-d with all-ones weights; pools are average pools (positive weights)."""
    x = torch.ones((1, 1, n), dtype=torch.float64, requires_grad=True)
    y = x
    for layer in layers:
        ones = torch.ones((1, 1, layer.kernel_size), dtype=torch.float64)
        lo, hi = layer.pad
        if layer.kind == "transpose":
            y = TF.conv_transpose1d(y, ones, stride=layer.step, padding=lo, dilation=layer.dilation)
        elif layer.kind == "pool" and layer.dilation == 1 and lo == hi and 2 * lo <= layer.kernel_size:
            y = TF.avg_pool1d(y, layer.kernel_size, layer.step, lo)
        else:
            y = TF.conv1d(TF.pad(y, [lo, hi]), ones, stride=layer.step, dilation=layer.dilation)
    return x, y


def _support(layers: list[Layer], n: int, index: int) -> tuple[int, int] | None:
    """Bounding interval of the input samples output ``index`` depends on (gradient support)."""
    x, y = _torch_chain(layers, n)
    y[0, 0, index].backward()
    assert x.grad is not None
    nonzero = torch.nonzero(x.grad[0, 0]).flatten()
    return (int(nonzero.min()), int(nonzero.max())) if len(nonzero) else None


@st.composite
def chains(draw: st.DrawFn, transpose: bool = False) -> list[Layer]:
    layers = []
    kinds = ["conv", "pool", "transpose"] if transpose else ["conv", "pool"]
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(kinds))
        k = draw(st.integers(1, 4))
        s = draw(st.integers(1, 3))
        d = draw(st.integers(1, 3)) if kind != "pool" else 1
        span = d * (k - 1) + 1
        if kind == "pool":
            pad: int | tuple[int, int] = draw(st.integers(0, k // 2))
        elif kind == "transpose":
            pad = draw(st.integers(0, span - 1))
        else:  # the window of output 0 must reach a real sample: p_lo <= span - 1
            pad = (draw(st.integers(0, span - 1)), draw(st.integers(0, 2)))
        layers.append(Layer(kind, k, s, pad, d))
    return layers


@settings(max_examples=60)
@given(chains(), st.integers(0, 3))
def test_receptive_field_is_the_support_of_the_gradient(layers: list[Layer], extra: int) -> None:
    field = receptive_field(layers)[-1]
    assert isinstance(field.size, int) and isinstance(field.stride, int) and isinstance(field.padding, int)
    assert (field.u, field.v) == (-field.padding, field.size - field.padding - 1)
    j = -(-field.padding // field.stride) + extra  # first output whose field lies inside the input
    n = field.v + j * field.stride + 1 + extra
    # output 0: its field is [u, v] = [-P, r - P - 1]; negative indices are padding, not input
    # samples, so the measured support starts at or after max(u, 0) (exactly u when P = 0)
    low, high = _support(layers, n, 0) or (None, None)
    assert high == field.v
    assert low == field.u if field.padding == 0 else max(field.u, 0) <= low <= high
    # an output whose field lies inside the input: exactly [u + j S, v + j S]
    assert _support(layers, n, j) == field.interval(j)


@settings(max_examples=40)
@given(chains(transpose=True))
def test_transposed_chains_stay_inside_the_fractional_interval(layers: list[Layer]) -> None:
    field = receptive_field(layers)[-1]
    n = 40
    try:
        support = _support(layers, n, 0)
    except RuntimeError:  # torch refuses a chain that crops everything
        return
    if support is not None:
        assert max(field.u, 0) <= support[0] and support[1] <= field.v


def test_transposed_convolution_rule() -> None:
    """Stride 1/s, low padding (span - 1 - p)/s and span (span - 1)/s + 1, in the real input's samples."""
    (field,) = receptive_field([Layer("transpose", 4, 2, 1)])
    assert (field.size, field.stride, field.padding) == (Fraction(5, 2), Fraction(1, 2), 1)
    assert (field.u, field.v, field.centre) == (-1, Fraction(1, 2), Fraction(-1, 4))
    # output 0 of this transposed convolution reads inputs -1 (tap 3) and 0 (tap 1): inside [u, v]
    assert _support([Layer("transpose", 4, 2, 1)], 5, 2) == (0, 1)  # output 2 = taps 3 and 1 of inputs 0, 1
    # a stride-2 convolution followed by its transpose has unit effective stride
    down_up = receptive_field("conv k3 s2 p1; transpose k4 s2 p1")[-1]
    assert down_up.stride == 1 and down_up.size == 6


# -- the text form -------------------------------------------------------------------------
def test_parse_layers() -> None:
    layers = parse_layers("conv k3 s2; pool k2; conv k3 d2 p2\ntranspose k4 s2 p1; maxpool k3 s2 p0,1")
    assert layers == (
        Layer("conv", 3, 2),
        Layer("pool", 2),
        Layer("conv", 3, None, 2, 2),
        Layer("transpose", 4, 2, 1),
        Layer("pool", 3, 2, (0, 1)),
    )
    assert layers[1].step == 2 and layers[2].step == 1
    assert receptive_field("conv k3 s2; pool k2; conv k3 d2 p2")[-1].size == 3 + 1 * 2 + 4 * 4


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "no layers"),
        ("dense k3", "unknown layer kind"),
        ("conv s2", "no kernel size"),
        ("conv k3 k4", "cannot read"),
        ("conv k3 s1,2", "cannot read"),
        ("conv k3 x9", "cannot read"),
        ("conv k0", "kernel_size"),
        ("transpose k3 p0,1", "one int padding"),
    ],
)
def test_parse_layers_refusals(text: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        parse_layers(text)
