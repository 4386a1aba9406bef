"""TensorFlow-convention animations against real TensorFlow (skipped when it is not installed).

SAME padding puts the odd cell on the high side; a transposed convolution is
drawn for the ``output_shape`` TensorFlow was asked for. The oracle is
TensorFlow itself: its Jacobian for which cells each step reads, its
outputs for the numbers shown.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convscope.viz as viz
import tf_cases  # noqa: F401  (sets TensorFlow's environment before the import below)
from convscope.core import tf_transpose_sizes
from support import draw_per_axis

tf = pytest.importorskip("tensorflow")


def nhwc(x: np.ndarray) -> object:
    return tf.constant(x[None, ..., None], dtype=tf.float64)


def tf_reads(fn, sizes: tuple[int, ...]) -> np.ndarray:
    """Rows: output cells; True where TensorFlow's output responds to a unit impulse at the input cell.

    ``fn`` is linear with positive weights, so the impulse responses are its
    dependency pattern (no backward kernel needed: TensorFlow's CPU backward
    of a dilated convolution is not implemented).
    """
    count = math.prod(sizes)
    impulses = tf.constant(np.eye(count).reshape(count, *sizes, 1), dtype=tf.float64)
    responses = fn(impulses).numpy().reshape(count, -1)
    return np.abs(responses.T) > 0


def assert_reads(anim: viz.Animation, pattern: np.ndarray) -> None:
    assert len(anim) == pattern.shape[0]
    for frame in anim.frames:
        assert frame.input_cells().tolist() == np.flatnonzero(pattern[frame.index]).tolist()


def real_input(anim: viz.Animation) -> np.ndarray:
    x = np.zeros(math.prod(anim.input.sizes))
    real = anim.input.source >= 0
    x[anim.input.source[real]] = anim.input.values[real]
    return x.reshape(anim.input.sizes)


def config(draw: st.DrawFn, low: int = 1) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], str]:
    n = draw(st.integers(1, 2))
    sizes = draw_per_axis(draw, n, low, 7)
    kernel = draw_per_axis(draw, n, 1, 4)
    stride = draw_per_axis(draw, n, 1, 3)
    return sizes, kernel, stride, draw(st.sampled_from(["same", "valid"]))


@settings(max_examples=12)
@given(st.data())
def test_tf_conv(data: st.DataObject) -> None:
    sizes, kernel, stride, padding = config(data.draw)
    dilation = tuple(data.draw(st.integers(1, 2)) for _ in sizes)
    if padding == "valid" and any(d * (k - 1) + 1 > n for k, d, n in zip(kernel, dilation, sizes)):
        dilation = (1,) * len(sizes)
        kernel = tuple(min(k, n) for k, n in zip(kernel, sizes))
    anim = viz.animate(
        "conv",
        sizes,
        kernel_size=kernel,
        stride=stride,
        dilation=dilation,
        padding=padding,
        convention="tf",
        values=True,
    )
    w = anim.kernel.reshape(*kernel, 1, 1)
    conv = tf.nn.conv1d if len(sizes) == 1 else tf.nn.conv2d
    rate = dilation[0] if len(sizes) == 1 else list(dilation)

    def fn(t, w=w):
        return conv(t, tf.constant(w), list(stride), padding.upper(), dilations=rate)

    assert_reads(anim, tf_reads(lambda t: fn(t, w + 10.0), sizes))
    out = fn(nhwc(real_input(anim))).numpy()[0, ..., 0]
    np.testing.assert_allclose(anim.output.values[0], out, rtol=1e-12, atol=1e-12)


@settings(max_examples=12)
@given(st.data())
def test_tf_conv_transpose(data: st.DataObject) -> None:
    sizes, kernel, stride, padding = config(data.draw)
    # any output_shape TensorFlow accepts (the set is core's; TensorFlow below is the judge)
    accepted = [tf_transpose_sizes(n, k, s, padding.upper()) for n, k, s in zip(sizes, kernel, stride)]
    shape = tuple(data.draw(st.sampled_from([o for o in r if o > 0])) for r in accepted)
    anim = viz.animate(
        "conv_transpose",
        sizes,
        kernel_size=kernel,
        stride=stride,
        padding=padding,
        convention="tf",
        output_shape=shape,
        values=True,
    )
    assert anim.output.sizes == shape
    out_shape = anim.output.sizes
    w = np.flip(anim.kernel).reshape(*kernel, 1, 1)  # the canvas shows the flipped kernel
    call = tf.nn.conv1d_transpose if len(sizes) == 1 else tf.nn.conv2d_transpose

    def fn(t, w=w):
        return call(
            t,
            tf.constant(w + 10.0),
            [int(t.shape[0]), *out_shape, 1],
            list(stride),
            padding.upper(),
        )

    assert_reads(anim, tf_reads(fn, sizes))
    out = call(nhwc(real_input(anim)), tf.constant(w), [1, *out_shape, 1], list(stride), padding.upper())
    np.testing.assert_allclose(anim.output.values[0], out.numpy()[0, ..., 0], rtol=1e-12, atol=1e-12)


@settings(max_examples=12)
@given(st.data(), st.sampled_from(["max", "avg"]))
def test_tf_pool(data: st.DataObject, kind: str) -> None:
    sizes, kernel, stride, padding = config(data.draw, low=2)
    kernel = tuple(min(k, n) for k, n in zip(kernel, sizes))
    anim = viz.animate(
        f"{kind}_pool",
        sizes,
        kernel_size=kernel,
        stride=stride,
        padding=padding,
        convention="tf",
        values=True,
    )
    pool = tf.nn.max_pool if kind == "max" else tf.nn.avg_pool
    fn = lambda t: pool(t, list(kernel), list(stride), padding.upper())  # noqa: E731
    if kind == "avg":
        assert_reads(anim, tf_reads(fn, sizes))
    out = fn(nhwc(real_input(anim))).numpy()[0, ..., 0]
    np.testing.assert_allclose(anim.output.values[0], out, rtol=1e-12)
    if kind == "max":  # the marked cell holds the window's maximum
        x = real_input(anim).ravel()
        assert [x[f.marked[0]] for f in anim.frames] == out.ravel().tolist()
        for frame in anim.frames:
            assert frame.marked[0] in frame.input_cells()


def test_tf_refuses_dilated_conv_transpose_on_cpu() -> None:
    x, w = tf.ones([1, 4, 4, 1]), tf.ones([3, 3, 1, 1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="dilation"):
        tf.nn.conv2d_transpose(x, w, [1, 4, 4, 1], 1, "SAME", dilations=2)
    with pytest.raises(ValueError, match="dilation"):
        viz.animate("conv_transpose", (4, 4), kernel_size=3, padding="same", dilation=2, convention="tf")
