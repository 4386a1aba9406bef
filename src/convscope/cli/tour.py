"""The tour: the seed documents' worked examples, run through convscope.

Each stop states what a seed shows, computes it with convscope, and prints
the result with the formula behind it. ``convscope tour -o DIR`` also writes
``tour.md`` and ``tour.json`` into DIR. Later issues add stops.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import convscope
import convscope.functional as F
from convscope import nn
from convscope.core import (
    Axis,
    Interpolation,
    conv_geometry,
    hdc_distances,
    interpolation_taps,
    satisfies_hdc,
)


@dataclass
class Stop:
    """One worked example: where it comes from, what it shows, and what we computed."""

    seed: str
    title: str
    lines: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def say(self, line: str) -> None:
        self.lines.append(line)


def _matrix(a: np.ndarray) -> str:
    return np.array2string(a, precision=3, suppress_small=True, max_line_width=100)


def _conv_shapes() -> Stop:
    stop = Stop("001", "Convolution output sizes (nn.Conv2d)")
    cases = [((1, 1, 4, 4), 3, 0), ((1, 1, 5, 5), 4, 2)]
    for shape, k, p in cases:
        out = F.conv2d(np.ones(shape), np.ones((1, 1, k, k)), padding=p)
        ax = Axis(shape[-1], k, pad=(p, p))
        stop.say(
            f"input {shape}, kernel {k}, padding {p}: output {out.shape}  "
            f"[H_out = floor(({ax.size} + 2*{p} - 1*({k}-1) - 1)/1) + 1 = {ax.out_size}]"
        )
        stop.facts[f"conv k{k} p{p} on {shape}"] = list(out.shape)
    return stop


def _transposed_shapes() -> Stop:
    stop = Stop("001", "Transposed convolution output sizes (nn.ConvTranspose2d)")
    cases = [
        ((1, 1, 2, 2), 3, 0, 1),
        ((1, 1, 6, 6), 4, 2, 1),
        ((1, 1, 7, 7), 3, 2, 1),
        ((1, 1, 2, 2), 3, 0, 2),
    ]
    for shape, k, p, s in cases:
        out = F.conv_transpose2d(np.ones(shape), np.ones((1, 1, k, k)), stride=s, padding=p)
        stop.say(
            f"input {shape}, kernel {k}, padding {p}, stride {s}: output {out.shape}  "
            f"[H_out = ({shape[-1]}-1)*{s} - 2*{p} + ({k}-1) + 1 = {out.shape[-1]}]"
        )
        stop.facts[f"transposed k{k} p{p} s{s} on {shape}"] = list(out.shape)
    ones = F.conv_transpose2d(np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3)), stride=2)[0, 0]
    stop.say("kernel 3, stride 2 on a 2x2 input of ones: overlapping footprints add up")
    stop.say(_matrix(ones))
    stop.facts["uneven overlap (k3 s2)"] = ones.tolist()
    return stop


def _checkerboard() -> Stop:
    stop = Stop("000", "Checkerboard: uneven overlap when the kernel is not a multiple of the stride")
    for k, s in ((3, 2), (4, 2)):
        taps = F.conv_transpose1d(np.ones((1, 1, 6)), np.ones((1, 1, k)), stride=s)[0, 0]
        interior = taps[k:-k]
        verdict = "uneven (checkerboard)" if interior.min() != interior.max() else "even"
        stop.say(
            f"kernel {k}, stride {s}: taps reaching each output cell {taps.astype(int).tolist()} -> {verdict}"
        )
        stop.facts[f"overlap k{k} s{s}"] = taps.astype(int).tolist()
    return stop


def _dilated() -> Stop:
    stop = Stop("004", "Dilated (atrous) convolution: same weights, wider reach")
    x = np.ones((1, 1, 5, 5))
    w = np.ones((1, 1, 3, 3))
    for d in (1, 2):
        out = F.conv2d(x, w, dilation=d)
        span = Axis(5, 3, dilation=d).span
        stop.say(f"3x3 kernel, dilation {d}: effective kernel {span}x{span}, 5x5 input -> {out.shape[-2:]}")
        stop.facts[f"dilation {d}"] = list(out.shape)
    return stop


def _grouped_and_separable() -> Stop:
    stop = Stop("004", "Group, depthwise-separable and 1-d convolution: parameter shapes")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 6, 5, 5))
    standard = np.zeros((6, 6, 3, 3))
    grouped = np.zeros((6, 2, 3, 3))
    stop.say(f"Conv2d(6, 6, 3): weight {standard.shape}, {standard.size} weights")
    out = F.conv2d(x, grouped, padding=1, groups=3)
    stop.say(
        f"Conv2d(6, 6, 3, groups=3): weight {grouped.shape}, {grouped.size} weights (1/3), output {out.shape}"
    )
    x3 = rng.standard_normal((1, 3, 5, 5))
    depth = F.conv2d(x3, rng.standard_normal((3, 1, 3, 3)), padding=1, groups=3)
    point = F.conv2d(depth, rng.standard_normal((6, 3, 1, 1)))
    stop.say(
        f"depthwise Conv2d(3, 3, 3, groups=3) -> {depth.shape}, pointwise Conv2d(3, 6, 1) -> {point.shape}: "
        f"{3 * 9 + 3 * 6} weights instead of {3 * 6 * 9}"
    )
    seq = F.conv1d(rng.standard_normal((32, 256, 15)).astype(np.float32), np.zeros((128, 256, 3), np.float32))
    stop.say(f"Conv1d(256, 128, 3) on (32, 256, 15): output {seq.shape}, weight (128, 256, 3)")
    stop.facts.update(
        grouped_weight=list(grouped.shape),
        separable_out=list(point.shape),
        conv1d_out=list(seq.shape),
    )
    return stop


def _as_matrix() -> Stop:
    stop = Stop("004", "Convolution is a matrix C; transposed convolution is C^T")
    w = np.array([[1.0, 2.0], [3.0, 4.0]])
    geometry = conv_geometry((1, 1, 3, 3), (1, 1, 2, 2))
    basis = np.eye(9).reshape(9, 1, 1, 3, 3)
    columns = [F.conv2d(e, w[None, None]).ravel() for e in basis]
    c = np.stack(columns, axis=1)
    stop.say(f"3x3 input, 2x2 kernel [[w11, w12], [w21, w22]] = {w.tolist()}: C is {c.shape[0]}x{c.shape[1]}")
    stop.say(_matrix(c))
    y = np.arange(1.0, 5.0)
    back = F.conv_transpose2d(y.reshape(1, 1, 2, 2), w[None, None]).ravel()
    stop.say(
        f"C^T y for y = {y.tolist()}: {back.tolist()} == conv_transpose2d(y): {np.allclose(back, c.T @ y)}"
    )
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    out, pullback = convscope.vjp(F.conv2d, x, w[None, None])
    grad_x = pullback(y.reshape(out.shape))[0]
    same = grad_x is not None and np.allclose(grad_x.ravel(), back)
    stop.say(f"and the gradient of conv2d in its input is the same C^T y: {same}")
    stop.facts.update(matrix=c.tolist(), geometry=str(geometry))
    return stop


def _upsampling() -> Stop:
    stop = Stop("000", "Up-sampling by interpolation: nearest and bilinear, align_corners True and False")
    x = np.arange(1.0, 5.0).reshape(1, 1, 2, 2)
    stop.say(f"input arange(1, 5) as 2x2: {x[0, 0].tolist()}")
    results = {
        "UpsamplingNearest2d(scale_factor=2)": F.upsample_nearest(x, scale_factor=2),
        "UpsamplingBilinear2d(scale_factor=2) = bilinear, align_corners=True": F.upsample_bilinear(
            x, scale_factor=2
        ),
        "Upsample(scale_factor=2, mode='bilinear', align_corners=False)": F.interpolate(
            x, scale_factor=2, mode="bilinear", align_corners=False
        ),
    }
    for name, out in results.items():
        stop.say(f"{name}:")
        stop.say(_matrix(out[0, 0]))
        stop.facts[name] = out[0, 0].tolist()
    for corners in (True, False):
        taps = interpolation_taps(Interpolation.LINEAR, 2, 4, align_corners=corners)
        stop.say(
            f"each axis is a 4x2 interpolation matrix (align_corners={corners}); "
            "the image is M @ X @ M^T and the gradient M^T @ G @ M:"
        )
        stop.say(_matrix(taps.matrix()))
        stop.facts[f"matrix align_corners={corners}"] = taps.matrix().tolist()
    return stop


def _pooling_and_unpooling() -> Stop:
    stop = Stop("001", "Pooling down, unpooling up: max, average and stochastic")
    x = np.array([[1.0, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]).reshape(1, 1, 4, 4)
    stop.say(f"input 4x4: {x[0, 0].tolist()}; 2x2 windows, stride 2")
    pooled, where = F.max_pool2d(x, 2, return_indices=True)
    mean = F.avg_pool2d(x, 2)
    expected = F.stochastic_pool2d(x, 2, training=False)
    sampled = F.stochastic_pool2d(x, 2, rng=0)
    stop.say(f"max pooling {pooled[0, 0].tolist()} (flat indices {where[0, 0].tolist()})")
    stop.say(f"average pooling {mean[0, 0].tolist()}")
    stop.say(
        f"stochastic pooling: one draw (seed 0) {sampled[0, 0].tolist()}; "
        f"its expectation sum(a^2)/sum(a) {expected[0, 0].round(3).tolist()}"
    )
    unpooled = F.max_unpool2d(pooled, where, 2)
    spread = F.avg_unpool2d(mean, 2)
    stop.say("max unpooling: each maximum back in its cell, zeros elsewhere")
    stop.say(_matrix(unpooled[0, 0]))
    stop.say("average unpooling: each average spread over its window")
    stop.say(_matrix(spread[0, 0]))
    _, pullback = convscope.vjp(F.max_pool2d, x, kernel_size=2)
    routed = pullback(np.ones((1, 1, 2, 2)))[0]
    same = routed is not None and np.array_equal(routed, unpooled != 0)
    stop.say(f"the gradient of max pooling is max unpooling of the cotangent: {same}")
    stop.facts.update(
        max_pool=pooled[0, 0].tolist(),
        indices=where[0, 0].tolist(),
        avg_pool=mean[0, 0].tolist(),
        stochastic_expectation=expected[0, 0].tolist(),
        max_unpool=unpooled[0, 0].tolist(),
        avg_unpool=spread[0, 0].tolist(),
    )
    return stop


def _three_upsamplers() -> Stop:
    stop = Stop(
        "001", "Up-sampling without a checkerboard: interpolation and pixel shuffle vs transposed convolution"
    )
    ones = np.ones((1, 1, 3, 3))
    bilinear = F.interpolate(ones, scale_factor=2, mode="bilinear")
    transposed = F.conv_transpose2d(ones, np.ones((1, 1, 3, 3)), stride=2, padding=1, output_padding=1)
    shuffled = F.pixel_shuffle(np.ones((1, 4, 3, 3)), 2)
    for name, out in (
        ("bilinear x2", bilinear),
        ("transposed conv k3 s2 (ones)", transposed),
        ("pixel shuffle of 4 channels", shuffled),
    ):
        values = np.unique(out.round(6))
        verdict = "flat" if values.size == 1 else f"uneven: {values.tolist()}"
        stop.say(f"{name} on a constant 3x3 -> {out.shape[-2:]}: {verdict}")
        stop.facts[name] = values.tolist()
    stop.say("a constant stays constant under interpolation and sub-pixel shuffling; k3 s2 overlap does not")
    return stop


class _SeedASPP(nn.Module):
    """Seed 002's ASPP, "without bn version": image pooling, a 1x1 and three atrous 3x3 branches."""

    def __init__(self, in_channel: int = 512, depth: int = 256) -> None:
        super().__init__()
        self.mean = nn.AdaptiveAvgPool2d((1, 1))
        self.conv = nn.Conv2d(in_channel, depth, 1, 1, rng=0)
        self.atrous_block1 = nn.Conv2d(in_channel, depth, 1, 1, rng=1)
        self.atrous_block6 = nn.Conv2d(in_channel, depth, 3, 1, padding=6, dilation=6, rng=6)
        self.atrous_block12 = nn.Conv2d(in_channel, depth, 3, 1, padding=12, dilation=12, rng=12)
        self.atrous_block18 = nn.Conv2d(in_channel, depth, 3, 1, padding=18, dilation=18, rng=18)
        self.conv_1x1_output = nn.Conv2d(depth * 5, depth, 1, 1, rng=5)

    def branches(self, x: np.ndarray) -> dict[str, np.ndarray]:
        image = F.interpolate(self.conv(self.mean(x)), size=x.shape[2:], mode="bilinear")
        named = {"image_features": image}
        for name in ("atrous_block1", "atrous_block6", "atrous_block12", "atrous_block18"):
            named[name] = getattr(self, name)(x)
        return named

    def forward(self, x: np.ndarray) -> np.ndarray:
        return self.conv_1x1_output(np.concatenate(list(self.branches(x).values()), axis=1))  # type: ignore[no-any-return]


def _count(module: nn.Module) -> int:
    return sum(p.size for p in module.parameters())


def _aspp_and_hdc() -> Stop:
    stop = Stop("002", "ASPP: parallel atrous branches; HDC: rates that do not grid")
    seed = _SeedASPP()
    x = np.random.default_rng(0).standard_normal((1, 512, 33, 33)).astype(np.float32)
    for name, out in seed.branches(x).items():
        if name == "image_features":
            stop.say(f"{name}: global average pool, 1x1 conv, bilinear back to 33x33 -> {out.shape}")
            continue
        module = getattr(seed, name)
        span = Axis(33, module.kernel_size[0], dilation=module.dilation[0]).span
        stop.say(
            f"{name}: kernel {module.kernel_size}, dilation {module.dilation} (span {span}) -> {out.shape}"
        )
    fused = seed(x)
    stop.say(f"concatenated 5 x 256 channels -> conv_1x1_output -> {fused.shape}; {_count(seed)} parameters")
    torchvision_aspp = nn.ASPP(512, (6, 12, 18), 256, rng=0)
    stop.say(
        f"nn.ASPP(512, (6, 12, 18), 256), torchvision's layout with BatchNorm: {_count(torchvision_aspp)} "
        f"parameters, keys {list(torchvision_aspp.state_dict())[:2]} ..."
    )
    for rates in ((1, 2, 3), (2, 2, 2)):
        field = 1 + sum(Axis(64, 3, dilation=r).span - 1 for r in rates)
        verdict = "covers every pixel" if satisfies_hdc(rates) else "grids (holes)"
        stop.say(
            f"3x3 convs with rates {rates}: receptive field {field}, HDC distances {hdc_distances(rates)} "
            f"-> {verdict}"
        )
        stop.facts[f"rates {rates}"] = {"receptive_field": field, "hdc": satisfies_hdc(rates)}
    stop.facts.update(seed_aspp_parameters=_count(seed), aspp_parameters=_count(torchvision_aspp))
    return stop


def _separable_parameters() -> Stop:
    stop = Stop("004", "Depthwise-separable and group convolution layers: parameter counts")
    layers = {
        "nn.Conv2d(32, 64, 3, bias=False)": nn.Conv2d(32, 64, 3, bias=False, rng=0),
        "nn.Conv2d(32, 64, 3, groups=4, bias=False)": nn.Conv2d(32, 64, 3, groups=4, bias=False, rng=0),
        "nn.DepthwiseSeparableConv2d(32, 64, norm=False)": nn.DepthwiseSeparableConv2d(
            32, 64, norm=False, rng=0
        ),
    }
    for name, layer in layers.items():
        shapes = [tuple(p.shape) for p in layer.parameters()]
        stop.say(f"{name}: weights {shapes}, {_count(layer)} parameters")
        stop.facts[name] = _count(layer)
    return stop


def _tf_padding_and_transpose() -> Stop:
    stop = Stop("003", "TensorFlow SAME/VALID conv2d and conv2d_transpose output_shape, ported to PyTorch")
    from convscope import arith
    from convscope import tf as ctf
    from convscope.core import tf_transpose_sizes

    ones = np.ones
    stop.say("all-ones inputs, 2x2 all-ones filters; TensorFlow pads (low, high) = (top/left, bottom/right)")
    convs: list[tuple[int, Any, int]] = [(4, "SAME", 1), (4, "VALID", 1), (4, "SAME", 2), (4, "VALID", 2)]
    convs += [(5, "SAME", 2), (5, "VALID", 2)]
    for size, padding, stride in convs:
        out = ctf.nn.conv2d(ones((1, size, size, 1)), ones((2, 2, 1, 1)), stride, padding)[0, :, :, 0]
        port = arith.tf_padding_to_torch((size, size), 2, stride, padding)
        x = ones((1, 1, size, size))
        if port.pre_pad is not None:
            x = F.pad(x, port.pre_pad)
        torch_way = F.conv2d(x, ones((1, 1, 2, 2)), stride=stride, padding=port.padding)[0, 0]
        call = f"F.pad{port.pre_pad} + " if port.pre_pad else ""
        odd = " (the odd cell goes bottom/right)" if port.pre_pad else ""
        stop.say(
            f"tf.nn.conv2d {size}x{size}, strides={stride}, padding={padding!r} -> "
            f"{out.shape[0]}x{out.shape[1]}; pads {port.pairs[0]} per axis{odd}; "
            f"PyTorch: {call}conv2d(padding={port.padding[0]}) equal: {np.array_equal(out, torch_way)}"
        )
        stop.say(_matrix(out))
        key = f"conv2d {size}x{size} {padding} s{stride}"
        stop.facts[key] = {"output": out.tolist(), "pads": port.pairs[0]}
    stop.say("conv2d_transpose of a 2x2 input of ones with a 2x2 filter of ones (the gradient of conv2d):")
    transposes: list[tuple[int, int, Any]] = [(2, 1, "SAME"), (3, 1, "VALID")]
    transposes += [(4, 2, "SAME"), (4, 2, "VALID")]
    for output, stride, padding in transposes:
        accepted = list(tf_transpose_sizes(2, span=2, stride=stride, padding=padding))
        shapes = {}
        x, w = ones((1, 2, 2, 1)), ones((2, 2, 1, 1))
        for o in accepted:
            shapes[o] = ctf.nn.conv2d_transpose(x, w, [1, o, o, 1], stride, padding)[0, :, :, 0]
        t = arith.tf_transpose_to_torch((2, 2), 2, (output, output), stride, padding)
        torch_way = F.conv_transpose2d(
            ones((1, 1, 2, 2)), ones((1, 1, 2, 2)), None, stride, t.padding, t.output_padding
        )
        if t.post_pad is not None:
            torch_way = F.pad(torch_way, t.post_pad)
        crop = f", then F.pad{t.post_pad} crops {t.crop[0]}" if t.post_pad else ""
        stop.say(
            f"output_shape=[1, {output}, {output}, 1], strides={stride}, padding={padding!r}: TensorFlow "
            f"accepts output sizes {accepted}; pads of the forward conv {t.pairs[0]}; PyTorch: "
            f"conv_transpose2d(padding={t.padding[0]}, output_padding={t.output_padding[0]}){crop}, "
            f"equal: {np.array_equal(shapes[output], torch_way[0, 0])}"
        )
        stop.say(_matrix(shapes[output]))
        for o, out in shapes.items():
            if o != output:
                stop.say(f"  also accepted, output_shape=[1, {o}, {o}, 1]:")
                stop.say(_matrix(out))
        stop.facts[f"conv2d_transpose {output}x{output} {padding} s{stride}"] = {
            "accepted": accepted,
            "outputs": {str(o): out.tolist() for o, out in shapes.items()},
            "pads": t.pairs[0],
        }
    stop.say(
        "SAME with stride 2 also accepts 3x3 (the last row/column cropped) and VALID also 5x5 (a zero row "
        "and column added): output_shape picks among the sizes a stride-2 conv maps back onto 2x2"
    )
    return stop


STOPS: list[Callable[[], Stop]] = [
    _conv_shapes,
    _transposed_shapes,
    _checkerboard,
    _dilated,
    _grouped_and_separable,
    _as_matrix,
    _upsampling,
    _pooling_and_unpooling,
    _three_upsamplers,
    _aspp_and_hdc,
    _separable_parameters,
    _tf_padding_and_transpose,
]


def run_tour(output: Path | None = None, echo: Callable[[str], None] = print) -> list[Stop]:
    """Run every stop, print it, and write ``tour.md`` / ``tour.json`` and the gallery under ``output``.

    The gallery (:func:`convscope.cli.gallery.write_gallery`) is ``output/gallery/`` (GIF animations,
    PNG figures) and ``output/index.html`` linking them.
    """
    stops = [make() for make in STOPS]
    text: list[str] = []
    for number, stop in enumerate(stops, start=1):
        text.append(f"## {number}. {stop.title} (seed {stop.seed})")
        text.extend(stop.lines)
        text.append("")
    for line in text:
        echo(line)
    if output is not None:
        output.mkdir(parents=True, exist_ok=True)
        (output / "tour.md").write_text("# convscope tour\n\n" + "\n".join(text) + "\n")
        facts = [{"seed": s.seed, "title": s.title, "facts": s.facts} for s in stops]
        (output / "tour.json").write_text(json.dumps(facts, indent=2))
        echo(f"wrote {output / 'tour.md'} and {output / 'tour.json'}")
        from .gallery import write_gallery  # the pictures: one animation per seed example, the figures

        write_gallery(output, echo)
    return stops
