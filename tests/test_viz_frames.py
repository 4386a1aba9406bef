"""Animation frames against the geometry core and against the real operators (torch).

The oracle for "which input cells does step j read" is the operator itself:
the non-zero pattern of torch's Jacobian (or, for max pooling, which outputs
change when one input cell is raised), never convscope's own index logic.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st

import convscope.viz as viz
from convscope.core import Axis
from convscope.viz import InCell, OutCell
from support import draw_per_axis, torch_pad_tuple


def jacobian_pattern(fn, x: torch.Tensor) -> np.ndarray:
    """Rows: output cells; columns: input cells; True where the output depends on the input."""
    jac = torch.autograd.functional.jacobian(lambda t: fn(t).reshape(-1), x)
    return jac.reshape(jac.shape[0], -1).abs().numpy() > 0


def assert_reads_match(anim: viz.Animation, pattern: np.ndarray) -> None:
    assert len(anim) == pattern.shape[0]
    for frame in anim.frames:
        expected = np.flatnonzero(pattern[frame.index])
        assert frame.input_cells().tolist() == expected.tolist(), (frame.index, frame.caption)


def assert_window_progress(anim: viz.Animation) -> None:
    """Window operators: step i writes output i; earlier outputs are done, later ones empty."""
    for frame in anim.frames:
        states = frame.output.ravel()
        assert frame.targets.tolist() == [frame.index]
        assert np.all(states[: frame.index] == OutCell.DONE)
        assert states[frame.index] == OutCell.CURRENT
        assert np.all(states[frame.index + 1 :] == OutCell.EMPTY)


def assert_footprint(anim: viz.Animation) -> None:
    """The footprint mask covers the tapped canvas cells; its real cells are the cells read."""
    for frame in anim.frames:
        mask = anim.footprint(frame.index)
        assert mask.sum() == len({tuple(t) for t in frame.taps.tolist()})
        real = anim.input.source[mask & (anim.input.states == InCell.INPUT)]
        assert sorted(real.tolist()) == frame.input_cells().tolist()


def weight(shape: tuple[int, ...]) -> torch.Tensor:
    """Positive weights, so no tap can cancel out of the Jacobian pattern."""
    return torch.rand(1, 1, *shape, dtype=torch.float64) + 0.5


def torch_conv(n: int):
    return TF.conv1d if n == 1 else TF.conv2d


@st.composite
def conv_configs(draw: st.DrawFn) -> dict:
    n = draw(st.integers(1, 2))
    sizes = draw_per_axis(draw, n, 1, 9)
    kernel = draw_per_axis(draw, n, 1, 4)
    stride = draw_per_axis(draw, n, 1, 3)
    dilation = draw_per_axis(draw, n, 1, 3)
    pads = tuple((draw(st.integers(0, 3)), draw(st.integers(0, 3))) for _ in range(n))
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    if any(sz + lo + hi < sp for sz, (lo, hi), sp in zip(sizes, pads, spans)):
        pads = tuple((lo, hi + sp) for (lo, hi), sp in zip(pads, spans))
    return {"input": sizes, "kernel_size": kernel, "stride": stride, "dilation": dilation, "padding": pads}


@settings(max_examples=25)
@given(conv_configs())
def test_conv_frames_read_what_torch_reads(cfg: dict) -> None:
    anim = viz.animate("conv", **cfg)
    sizes, n = cfg["input"], len(cfg["input"])
    x = torch.zeros(1, 1, *sizes, dtype=torch.float64)
    w = weight(cfg["kernel_size"])

    def fn(t: torch.Tensor) -> torch.Tensor:
        padded = TF.pad(t, torch_pad_tuple(cfg["padding"]))
        return torch_conv(n)(padded, w, None, cfg["stride"], 0, cfg["dilation"])

    assert anim.output.sizes == tuple(fn(x).shape[2:])
    assert_reads_match(anim, jacobian_pattern(fn, x))
    assert_window_progress(anim)
    assert_footprint(anim)
    # the canvas is the padded input: padding cells, and every real cell once
    axes = [
        Axis(s, k, st_, d, p)
        for s, k, st_, d, p in zip(sizes, cfg["kernel_size"], cfg["stride"], cfg["dilation"], cfg["padding"])
    ]
    assert anim.input.shape[1:] == tuple(a.padded_size + a.overhang for a in axes)
    assert anim.input.count(InCell.INPUT) == math.prod(sizes)
    assert sorted(anim.input.source[anim.input.source >= 0].tolist()) == list(range(math.prod(sizes)))


@settings(max_examples=20)
@given(st.data())
def test_conv_values_are_torch_conv(data: st.DataObject) -> None:
    cfg = data.draw(conv_configs())
    anim = viz.animate("conv", values=True, seed=data.draw(st.integers(0, 5)), **cfg)
    n = len(cfg["input"])
    real = anim.input.source >= 0
    x = np.zeros(math.prod(cfg["input"]))
    x[anim.input.source[real]] = anim.input.values[real]
    w = torch.tensor(anim.kernel)[None, None]
    xt = TF.pad(torch.tensor(x.reshape(1, 1, *cfg["input"])), torch_pad_tuple(cfg["padding"]))
    expected = torch_conv(n)(xt, w, None, cfg["stride"], 0, cfg["dilation"])[0, 0].numpy()
    np.testing.assert_allclose(anim.output.values, expected[None], rtol=1e-12)
    for frame in anim.frames:  # each frame's taps and weights give its output value
        on_input = frame.reads >= 0
        total = np.dot(frame.weights[on_input], x[frame.reads[on_input]])
        assert total == pytest.approx(anim.output.values.ravel()[frame.index])


@st.composite
def transpose_configs(draw: st.DrawFn) -> dict:
    n = draw(st.integers(1, 2))
    sizes = draw_per_axis(draw, n, 1, 5)
    kernel = draw_per_axis(draw, n, 1, 4)
    stride = draw_per_axis(draw, n, 1, 3)
    dilation = draw_per_axis(draw, n, 1, 2)
    padding = draw_per_axis(draw, n, 0, 2)
    output_padding = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    return {
        "input": sizes,
        "kernel_size": kernel,
        "stride": stride,
        "dilation": dilation,
        "padding": padding,
        "output_padding": output_padding,
    }


def torch_transpose(cfg: dict, w: torch.Tensor):
    fn = TF.conv_transpose1d if len(cfg["input"]) == 1 else TF.conv_transpose2d
    return lambda t: fn(t, w, None, cfg["stride"], cfg["padding"], cfg["output_padding"], 1, cfg["dilation"])


@settings(max_examples=25)
@given(transpose_configs())
def test_conv_transpose_frames_read_what_torch_reads(cfg: dict) -> None:
    x = torch.zeros(1, 1, *cfg["input"], dtype=torch.float64)
    fn = torch_transpose(cfg, weight(cfg["kernel_size"]))
    try:
        out_shape = tuple(fn(x).shape[2:])
    except RuntimeError:
        with pytest.raises(ValueError):
            viz.animate("conv_transpose", **cfg)
        return
    anim = viz.animate("conv_transpose", **cfg)
    assert anim.output.sizes == out_shape
    assert_reads_match(anim, jacobian_pattern(fn, x))
    assert_window_progress(anim)
    assert_footprint(anim)
    # zeros inserted between samples, drawn apart from padding: (size - 1) * (stride - 1) per axis
    per_axis_zero = [(n - 1) * (s - 1) for n, s in zip(cfg["input"], cfg["stride"])]
    dilated = [n + z for n, z in zip(cfg["input"], per_axis_zero)]
    if anim.input.count(InCell.OUTSIDE) == 0:  # nothing cropped by a padding larger than the kernel
        assert anim.input.count(InCell.ZERO) == math.prod(dilated) - math.prod(cfg["input"])
    else:
        assert anim.input.count(InCell.ZERO) < math.prod(dilated) - math.prod(cfg["input"]) + 1


@settings(max_examples=15)
@given(transpose_configs(), st.integers(0, 3))
def test_conv_transpose_values_are_torch(cfg: dict, seed: int) -> None:
    x = torch.zeros(1, 1, *cfg["input"], dtype=torch.float64)
    try:
        torch_transpose(cfg, weight(cfg["kernel_size"]))(x)
    except RuntimeError:
        return
    anim = viz.animate("conv_transpose", values=True, seed=seed, **cfg)
    real = anim.input.source >= 0
    xv = np.zeros(math.prod(cfg["input"]))
    xv[anim.input.source[real]] = anim.input.values[real]
    w = torch.tensor(np.flip(anim.kernel).copy())[None, None]  # the canvas shows the flipped kernel
    expected = torch_transpose(cfg, w)(torch.tensor(xv.reshape(1, 1, *cfg["input"])))[0, 0].numpy()
    np.testing.assert_allclose(anim.output.values, expected[None], rtol=1e-12, atol=1e-12)


@st.composite
def pool_configs(draw: st.DrawFn, dilated: bool) -> dict:
    n = draw(st.integers(1, 2))
    kernel = draw_per_axis(draw, n, 1, 4)
    dilation = tuple(draw(st.integers(1, 2)) if dilated else 1 for _ in range(n))
    sizes = tuple(draw(st.integers(d * (k - 1) + 1, 9)) for k, d in zip(kernel, dilation))
    stride = draw_per_axis(draw, n, 1, 3)
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    cfg = {
        "input": sizes,
        "kernel_size": kernel,
        "stride": stride,
        "padding": padding,
        "ceil_mode": draw(st.booleans()),
    }
    if dilated:
        cfg["dilation"] = dilation
    return cfg


@settings(max_examples=25)
@given(pool_configs(dilated=True))
def test_max_pool_windows_are_torchs(cfg: dict) -> None:
    n, sizes = len(cfg["input"]), cfg["input"]
    fn = TF.max_pool1d if n == 1 else TF.max_pool2d
    args = (cfg["kernel_size"], cfg["stride"], cfg["padding"], cfg["dilation"], cfg["ceil_mode"])
    count = math.prod(sizes)
    # raise one cell at a time far above the rest: exactly the windows holding it change
    base = torch.zeros(count, 1, *sizes, dtype=torch.float64)
    raised = base.clone().reshape(count, -1)
    raised[torch.arange(count), torch.arange(count)] = 1.0
    changed = (fn(raised.reshape(count, 1, *sizes), *args) != fn(base, *args)).reshape(count, -1)
    anim = viz.animate("max_pool", **cfg)
    assert anim.output.sizes == tuple(fn(base[:1], *args).shape[2:])
    assert_reads_match(anim, changed.numpy().T)
    assert_window_progress(anim)
    # with numbers, the marked cell is torch's argmax
    anim = viz.animate("max_pool", values=True, **cfg)
    real = anim.input.source >= 0
    x = np.zeros(count)
    x[anim.input.source[real]] = anim.input.values[real]
    out, index = fn(torch.tensor(x.reshape(1, 1, *sizes)), *args, return_indices=True)
    assert [int(f.marked[0]) for f in anim.frames] == index.reshape(-1).tolist()
    np.testing.assert_array_equal(anim.output.values.ravel(), out.reshape(-1).numpy())


@settings(max_examples=25)
@given(pool_configs(dilated=False), st.booleans())
def test_avg_pool_windows_and_values_are_torchs(cfg: dict, include: bool) -> None:
    n, sizes = len(cfg["input"]), cfg["input"]
    fn = TF.avg_pool1d if n == 1 else TF.avg_pool2d
    args = (cfg["kernel_size"], cfg["stride"], cfg["padding"], cfg["ceil_mode"], include)
    x = torch.zeros(1, 1, *sizes, dtype=torch.float64)
    anim = viz.animate("avg_pool", values=True, count_include_pad=include, **cfg)
    assert_reads_match(anim, jacobian_pattern(lambda t: fn(t, *args), x))
    real = anim.input.source >= 0
    xv = np.zeros(math.prod(sizes))
    xv[anim.input.source[real]] = anim.input.values[real]
    expected = fn(torch.tensor(xv.reshape(1, 1, *sizes)), *args).reshape(-1).numpy()
    np.testing.assert_allclose(anim.output.values.ravel(), expected, rtol=1e-12)


def test_ceil_mode_overhang_is_drawn_outside() -> None:
    # torch: 5 cells, kernel 2, stride 2, ceil_mode -> 3 windows, the last hangs one cell past the input
    out = TF.max_pool1d(torch.zeros(1, 1, 5), 2, 2, 0, 1, True)
    anim = viz.animate("max_pool", 5, kernel_size=2, ceil_mode=True)
    assert anim.output.sizes == tuple(out.shape[2:]) == (3,)
    assert anim.input.states.ravel().tolist() == [InCell.INPUT] * 5 + [InCell.OUTSIDE]
    assert anim.frames[-1].reads.tolist() == [4, -1]


@st.composite
def unpool_configs(draw: st.DrawFn) -> dict:
    n = draw(st.integers(1, 2))
    kernel = draw_per_axis(draw, n, 1, 3)
    stride = draw_per_axis(draw, n, 1, 3)
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    sizes = draw_per_axis(draw, n, 1, 4)
    return {"input": sizes, "kernel_size": kernel, "stride": stride, "padding": padding}


@settings(max_examples=25)
@given(unpool_configs())
def test_unpool_windows_are_torch_pooling_windows(cfg: dict) -> None:
    n = len(cfg["input"])
    try:
        anim = viz.animate("avg_unpool", **cfg)
    except ValueError as error:  # padding eats the whole output
        assert "empty" in str(error)
        return
    out_sizes = anim.output.sizes
    pool = TF.avg_pool1d if n == 1 else TF.avg_pool2d
    z = torch.zeros(1, 1, *out_sizes, dtype=torch.float64)
    args = (cfg["kernel_size"], cfg["stride"], cfg["padding"])
    try:
        pooled_shape = tuple(pool(z, *args).shape[2:])
    except RuntimeError:
        return
    assert pooled_shape == cfg["input"]
    # window j of the unpooling = the output cells pooling window j reads (torch's Jacobian)
    pattern = jacobian_pattern(lambda t: pool(t, *args), z)
    for frame in anim.frames:
        assert frame.window.tolist() == np.flatnonzero(pattern[frame.index]).tolist()
        assert frame.targets.tolist() == frame.window.tolist()
        assert frame.reads.tolist() == [frame.index]


@settings(max_examples=20)
@given(unpool_configs())
def test_max_unpool_values_are_torchs(cfg: dict) -> None:
    n = len(cfg["input"])
    try:
        anim = viz.animate("max_unpool", values=True, **cfg)
    except ValueError as error:  # padding eats the whole output
        assert "empty" in str(error)
        return
    indices = torch.tensor([int(f.targets[0]) for f in anim.frames]).reshape(1, 1, *cfg["input"])
    for frame in anim.frames:  # the target lies in the frame's window
        assert set(frame.targets.tolist()) <= set(frame.window.tolist())
    unpool = TF.max_unpool1d if n == 1 else TF.max_unpool2d
    x = torch.tensor(anim.input.values.reshape(1, 1, *cfg["input"]))
    expected = unpool(x, indices, cfg["kernel_size"], cfg["stride"], cfg["padding"])
    assert tuple(expected.shape[2:]) == anim.output.sizes
    np.testing.assert_array_equal(anim.output.values.ravel(), expected.reshape(-1).numpy())
    written = np.flatnonzero(anim.output.states.ravel() == OutCell.DONE)
    assert written.tolist() == sorted(set(indices.reshape(-1).tolist()))


@settings(max_examples=25)
@given(
    st.integers(1, 2).flatmap(lambda n: st.tuples(*[st.integers(1, 5)] * n)),
    st.sampled_from([2, 3, 1.5, 2.5, 0.75]),
    st.sampled_from(["nearest", "bilinear"]),
    st.booleans(),
)
def test_upsample_taps_are_torchs(sizes: tuple[int, ...], factor: float, mode: str, corners: bool) -> None:
    n = len(sizes)
    params = {"scale_factor": factor}
    torch_mode = mode if mode == "nearest" else ("linear" if n == 1 else "bilinear")
    kwargs = {} if mode == "nearest" else {"align_corners": corners}
    params.update(kwargs)
    x = torch.zeros(1, 1, *sizes, dtype=torch.float32)
    fn = lambda t: TF.interpolate(t, scale_factor=factor, mode=torch_mode, **kwargs)  # noqa: E731
    try:
        out_shape = tuple(fn(x).shape[2:])
    except RuntimeError:
        return
    anim = viz.animate(f"upsample_{mode}", sizes, **params)
    assert anim.output.sizes == out_shape
    jac = torch.autograd.functional.jacobian(lambda t: fn(t).reshape(-1), x).reshape(len(anim), -1).numpy()
    for frame in anim.frames:
        # torch computes the source coordinate in float32: a weight of ~1e-8 stands for an exact 0
        expected = np.flatnonzero(np.abs(jac[frame.index]) > 1e-6)
        assert frame.reads.tolist() == expected.tolist()
        np.testing.assert_allclose(frame.weights, jac[frame.index, expected], rtol=1e-5)
    assert_window_progress(anim)


@pytest.mark.parametrize("sizes, r", [((2, 3), 2), ((1, 2), 3), ((3, 1), 1)])
def test_pixel_shuffle_moves_what_torch_moves(sizes: tuple[int, int], r: int) -> None:
    x = torch.zeros(1, r * r, *sizes, dtype=torch.float64)
    jac = jacobian_pattern(lambda t: TF.pixel_shuffle(t, r), x)  # (outputs, inputs)
    anim = viz.animate("pixel_shuffle", sizes, upscale_factor=r, values=True)
    assert anim.output.sizes == (sizes[0] * r, sizes[1] * r)
    assert anim.input.shape == (r * r, *sizes)
    for frame in anim.frames:
        expected = np.flatnonzero(jac[:, frame.reads].any(axis=1))
        assert frame.targets.tolist() == expected.tolist()
        assert frame.reads.size == r * r
    expected_values = TF.pixel_shuffle(torch.tensor(anim.input.values[None]), r)[0, 0].numpy()
    np.testing.assert_array_equal(anim.output.values[0], expected_values)
    assert np.all(anim.frames[-1].output != OutCell.EMPTY)


def test_tf_same_conv_has_the_extra_pad_cell_high() -> None:
    # TensorFlow SAME, 6 cells, kernel 2, stride 2: total pad 0; 5 cells, kernel 4, stride 2: pad (1, 2)
    anim = viz.animate("conv", 5, kernel_size=4, stride=2, padding="same", convention="tf")
    assert anim.params["padding"] == ((1, 2),)
    assert anim.input.states.ravel().tolist() == [InCell.PADDING] + [InCell.INPUT] * 5 + [InCell.PADDING] * 2
    assert anim.output.sizes == (3,)  # ceil(5 / 2)


def test_tf_transposed_output_shape_is_checked() -> None:
    anim = viz.animate(
        "conv_transpose", 2, kernel_size=3, stride=2, padding="same", convention="tf", output_shape=3
    )
    assert anim.output.sizes == (3,)
    with pytest.raises(ValueError, match="output_shape"):
        viz.animate(
            "conv_transpose", 2, kernel_size=3, stride=2, padding="same", convention="tf", output_shape=6
        )


@settings(max_examples=15)
@given(unpool_configs(), st.data())
def test_unpool_output_size_is_torchs(cfg: dict, data: st.DataObject) -> None:
    n = len(cfg["input"])
    unpool = TF.max_unpool1d if n == 1 else TF.max_unpool2d
    args = (cfg["kernel_size"], cfg["stride"], cfg["padding"])
    x = torch.zeros(1, 1, *cfg["input"])
    default = tuple(unpool(x, torch.zeros_like(x, dtype=torch.int64), *args).shape[2:])
    wanted = tuple(d + data.draw(st.integers(-s + 1, s - 1)) for d, s in zip(default, cfg["stride"]))
    try:
        anim = viz.animate("max_unpool", values=True, output_size=wanted, **cfg)
    except ValueError as error:  # an empty output, or pooling that output does not give the input back
        assert "empty" in str(error) or "max pooling" in str(error)
        return
    assert anim.output.sizes == wanted
    indices = torch.tensor([int(f.targets[0]) for f in anim.frames]).reshape(1, 1, *cfg["input"])
    values = torch.tensor(anim.input.values.reshape(1, 1, *cfg["input"]))
    expected = unpool(values, indices, *args, output_size=wanted)
    np.testing.assert_array_equal(anim.output.values.ravel(), expected.reshape(-1).numpy())
