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

tf = pytest.importorskip("tensorflow")


def nhwc(x: np.ndarray) -> object:
    return tf.constant(x[None, ..., None], dtype=tf.float64)


def tf_reads(fn, sizes: tuple[int, ...]) -> np.ndarray:
    """Rows: output cells; True where TensorFlow's output depends on the input cell."""
    x = nhwc(np.zeros(sizes))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reshape(fn(x), [-1])
    jac = tape.jacobian(y, x).numpy()
    return np.abs(jac.reshape(jac.shape[0], -1)) > 0


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
    sizes = tuple(draw(st.integers(low, 7)) for _ in range(n))
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(n))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(n))
    return sizes, kernel, stride, draw(st.sampled_from(["same", "valid"]))


@settings(max_examples=12)
@given(st.data())
def test_tf_conv(data: st.DataObject) -> None:
    sizes, kernel, stride, padding = config(data.draw)
    if padding == "valid" and any(k > n for k, n in zip(kernel, sizes)):
        kernel = sizes
    anim = viz.animate(
        "conv", sizes, kernel_size=kernel, stride=stride, padding=padding, convention="tf", values=True
    )
    w = anim.kernel.reshape(*kernel, 1, 1)
    conv = tf.nn.conv1d if len(sizes) == 1 else tf.nn.conv2d
    fn = lambda t: conv(t, tf.constant(w + 10.0), list(stride), padding.upper())  # noqa: E731
    assert_reads(anim, tf_reads(fn, sizes))
    out = conv(nhwc(real_input(anim)), tf.constant(w), list(stride), padding.upper()).numpy()[0, ..., 0]
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
            [1, *out_shape, 1],
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
