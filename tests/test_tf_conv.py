"""convscope.tf convolutions beyond the golden replay (tests/tf_cases/conv.py).

* refusals name the operator, the argument and the value;
* the calls TensorFlow runs and convscope refuses by design (see the module
  docstring of ``convscope.tf._conv``) are refused with a clear message;
* ``conv2d_transpose`` is the adjoint of ``conv2d`` under TensorFlow's SAME,
  VALID and explicit paddings (an identity, no framework needed);
* with TensorFlow installed, the transposed ``output_shape``s convscope
  accepts are exactly TensorFlow's, swept over every size up to a bound.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tf_cases  # noqa: F401  (sets TensorFlow's environment before it is imported)
from convscope import tf as cs

HAVE_TF = importlib.util.find_spec("tensorflow") is not None

X4 = np.ones((1, 5, 5, 2), np.float32)
W4 = np.ones((2, 2, 2, 3), np.float32)
Y4 = np.ones((1, 2, 2, 3), np.float32)

REFUSALS: list[tuple[str, dict[str, Any], str]] = [
    ("conv2d", {"input": X4, "filters": W4, "strides": 1, "padding": "same"}, r"conv2d: padding='same'"),
    ("conv2d", {"input": X4, "filters": W4, "strides": 1, "padding": "EXPLICIT"}, r"padding='EXPLICIT'"),
    (
        "conv2d",
        {
            "input": np.moveaxis(X4, -1, 1),
            "filters": W4,
            "strides": 1,
            "padding": "SAME",
            "data_format": "NCHW",
        },
        r"conv2d: data_format='NCHW'",
    ),
    (
        "conv2d",
        {"input": X4, "filters": W4, "strides": 1, "padding": "SAME", "data_format": "NWC"},
        r"data_format='NWC' is not one of",
    ),
    (
        "conv2d",
        {"input": X4, "filters": W4, "strides": [2, 1, 1, 1], "padding": "SAME"},
        r"strides=\[2, 1, 1, 1\]",
    ),
    ("conv2d", {"input": X4, "filters": W4, "strides": [1, 1, 1], "padding": "SAME"}, r"strides=\[1, 1, 1\]"),
    ("conv2d", {"input": X4, "filters": W4, "strides": 0, "padding": "SAME"}, r"strides=0"),
    (
        "conv2d",
        {"input": X4, "filters": W4, "strides": 1, "padding": [[0, 0], [-1, 0], [0, 0], [0, 0]]},
        r"padding=\[\[0, 0\], \[-1, 0\]",
    ),
    (
        "conv2d",
        {"input": X4, "filters": W4, "strides": 1, "padding": [[1, 0], [0, 0], [0, 0], [0, 0]]},
        r"batch or channel",
    ),
    ("conv2d", {"input": X4, "filters": W4, "strides": 1, "padding": [[1, 0], [0, 0]]}, r"must list 4"),
    (
        "conv2d",
        {"input": X4[..., :1], "filters": W4, "strides": 1, "padding": "SAME"},
        r"input channels \(1\)",
    ),
    (
        "conv2d",
        {"input": X4[0], "filters": W4, "strides": 1, "padding": "SAME"},
        r"input must be at least 4-D",
    ),
    (
        "conv2d",
        {"input": X4, "filters": np.ones((7, 1, 2, 1), np.float32), "strides": 1, "padding": "VALID"},
        r"computed output size would be negative",
    ),
    (
        "conv2d",
        {"input": X4.astype(np.int64), "filters": W4.astype(np.int64), "strides": 1, "padding": "SAME"},
        r"input has dtype int64",
    ),
    (
        "conv1d",
        {"input": X4[0], "filters": W4[0], "stride": 1, "padding": [[0, 0], [1, 1], [0, 0]]},
        r"conv1d: padding must be 'SAME' or 'VALID'",
    ),
    (
        "conv3d",
        {
            "input": np.ones((1, 3, 3, 3, 1)),
            "filters": np.ones((2, 2, 2, 1, 1)),
            "strides": 1,
            "padding": "SAME",
        },
        r"conv3d: strides must be a list of 5 ints, got 1",
    ),
    (
        "conv3d",
        {
            "input": np.ones((1, 3, 3, 3, 1)),
            "filters": np.ones((2, 2, 2, 1, 1)),
            "strides": [1] * 5,
            "padding": "SAME",
            "dilations": [1, 2, 2, 2, 1],
        },
        r"dilations=\[1, 2, 2, 2, 1\]",
    ),
    (
        "conv3d",
        {
            "input": np.ones((1, 3, 3, 3, 4)),
            "filters": np.ones((1, 1, 1, 2, 2)),
            "strides": [1] * 5,
            "padding": "SAME",
        },
        r"no groups",
    ),
    (
        "conv2d_transpose",
        {"input": Y4, "filters": W4, "output_shape": [1, 5, 5, 2], "strides": 2},
        r"conv2d_transpose: output_shape=\[1, 5, 5, 2\]: size 5 on spatial axis 0 .* sizes that do: 3..4",
    ),
    (
        "conv2d_transpose",
        {"input": Y4, "filters": W4, "output_shape": [2, 4, 4, 2], "strides": 2},
        r"output_shape=\[2, 4, 4, 2\] has batch 2",
    ),
    (
        "conv2d_transpose",
        {"input": Y4, "filters": W4, "output_shape": [1, 4, 4, 4], "strides": 2},
        r"has 4 channels, the filter 2",
    ),
    (
        "conv2d_transpose",
        {"input": Y4, "filters": W4, "output_shape": [1, 4, 4], "strides": 2},
        r"must have 4 or 2 entries",
    ),
    (
        "conv2d_transpose",
        {"input": Y4, "filters": W4, "output_shape": [1, 4.0, 4, 2], "strides": 2},
        r"output_shape must be a 1-D list of ints",
    ),
    (
        "conv2d_transpose",
        {"input": Y4, "filters": W4, "output_shape": [1, 4, 4, 2], "strides": 2, "dilations": 2},
        r"dilations=2",
    ),
    (
        "conv2d_transpose",
        {"input": Y4[..., :2], "filters": W4, "output_shape": [1, 4, 4, 2], "strides": 2},
        r"input channels \(2\) must equal the filter's in_channels",
    ),
    (
        "conv_transpose",
        {"input": Y4, "filters": W4, "output_shape": [1, 4], "strides": 2},
        r"conv_transpose: output_shape=\[1, 4\] must have 3, 4 or 5 entries",
    ),
    (
        "depthwise_conv2d",
        {"input": X4, "filter": W4[:, :, :, :1], "strides": [1, 2, 1, 1], "padding": "SAME"},
        r"depthwise_conv2d: strides=\[1, 2, 1, 1\]: .*equal row and column",
    ),
    (
        "depthwise_conv2d",
        {"input": X4, "filter": W4[:, :, :, :1], "strides": 1, "padding": "SAME"},
        r"strides must be a list of 4 ints, got 1",
    ),
    (
        "depthwise_conv2d",
        {"input": X4[..., :1], "filter": W4[:, :, :, :1], "strides": [1, 1, 1, 1], "padding": "SAME"},
        r"input channels \(1\) must equal",
    ),
    (
        "separable_conv2d",
        {
            "input": X4,
            "depthwise_filter": W4[:, :, :, :1],
            "pointwise_filter": np.ones((2, 2, 2, 1), np.float32),
            "strides": [1, 1, 1, 1],
            "padding": "SAME",
        },
        r"pointwise_filter must be \[1, 1, channels, out_channels\]",
    ),
    ("atrous_conv2d", {"value": X4, "filters": W4, "rate": 0, "padding": "SAME"}, r"atrous_conv2d: rate=0"),
    (
        "atrous_conv2d",
        {"value": X4, "filters": W4, "rate": 1, "padding": [[0, 0], [1, 0], [0, 1], [0, 0]]},
        r"explicit padding needs a rate above 1",
    ),
]


@pytest.mark.parametrize(
    ("call", "kwargs", "message"), REFUSALS, ids=[f"{c}-{m[:30]}" for c, _, m in REFUSALS]
)
def test_refusals_name_the_argument(call: str, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message) as raised:
        getattr(cs.nn, call)(**kwargs)
    assert str(raised.value).startswith(f"{call}: ") or call == "conv_transpose"


DEVIATIONS: list[tuple[str, dict[str, Any], str]] = [
    # TensorFlow casts a NumPy filter to the input's dtype; convscope refuses mixed dtypes.
    (
        "conv2d",
        {"input": X4, "filters": W4.astype(np.float64), "strides": 1, "padding": "SAME"},
        r"share one dtype \(input is float32, filters is float64\)",
    ),
    # TensorFlow truncates float strides (2.5 -> 2).
    ("conv2d", {"input": X4, "filters": W4, "strides": 2.5, "padding": "SAME"}, r"strides must be an int"),
    ("atrous_conv2d", {"value": X4, "filters": W4, "rate": 2.0, "padding": "SAME"}, r"rate must be an int"),
    # TensorFlow only warns, then computes a space-to-batch result that is no strided dilated convolution.
    (
        "depthwise_conv2d",
        {
            "input": X4,
            "filter": W4[:, :, :, :1],
            "strides": [1, 2, 2, 1],
            "padding": "SAME",
            "dilations": [2, 2],
        },
        r"strides of 1 when dilating",
    ),
    (
        "separable_conv2d",
        {
            "input": X4,
            "depthwise_filter": W4[:, :, :, :1],
            "pointwise_filter": np.ones((1, 1, 2, 1), np.float32),
            "strides": [1, 2, 2, 1],
            "padding": "VALID",
            "dilations": [2, 1],
        },
        r"strides of 1 when dilating",
    ),
]


@pytest.mark.parametrize(("call", "kwargs", "message"), DEVIATIONS, ids=[c for c, _, _ in DEVIATIONS])
def test_deviations_are_refused(call: str, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        getattr(cs.nn, call)(**kwargs)


def test_dtypes_are_preserved() -> None:
    for dtype in (np.float16, np.float32, np.float64):
        y = cs.nn.conv2d(X4.astype(dtype), W4.astype(dtype), strides=2, padding="SAME")
        assert y.dtype == dtype
    y = cs.nn.conv2d(X4.astype(np.int32), W4.astype(np.int32), strides=1, padding="VALID")
    assert y.dtype == np.int32 and int(y.max()) == 8
    with pytest.raises(TypeError, match="conv3d: input has dtype int32"):
        cs.nn.conv3d(np.ones((1, 2, 2, 2, 1), np.int32), np.ones((1, 1, 1, 1, 1), np.int32), [1] * 5, "SAME")


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 7), min_size=2, max_size=2),
    kernel=st.lists(st.integers(1, 4), min_size=2, max_size=2),
    strides=st.lists(st.integers(1, 3), min_size=2, max_size=2),
    padding=st.one_of(
        st.sampled_from(["SAME", "VALID"]),
        st.lists(st.lists(st.integers(0, 2), min_size=2, max_size=2), min_size=2, max_size=2),
    ),
    channels=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    seed=st.integers(0, 2**16),
)
def test_conv2d_transpose_is_the_adjoint_of_conv2d(
    sizes: list[int],
    kernel: list[int],
    strides: list[int],
    padding: Any,
    channels: tuple[int, int],
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    pad = padding if isinstance(padding, str) else [[0, 0], *padding, [0, 0]]
    x = rng.normal(size=(2, *sizes, channels[0]))
    w = rng.normal(size=(*kernel, *channels))
    try:
        y_shape = cs.nn.conv2d(x, w, strides, pad).shape
    except ValueError:
        return  # the window does not fit: nothing to transpose
    assert y_shape[:1] == (2,) and y_shape[-1] == channels[1]
    if 0 in y_shape:
        return
    y = rng.normal(size=y_shape)
    # The transposed filter [*k, out, in] of the transpose is the forward filter [*k, in, out].
    back = cs.nn.conv2d_transpose(y, w, list(x.shape), strides, pad)
    lhs = float(np.vdot(cs.nn.conv2d(x, w, strides, pad), y))
    rhs = float(np.vdot(x, back))
    assert lhs == pytest.approx(rhs, rel=1e-10, abs=1e-10)


def test_atrous_is_the_dilated_convolution() -> None:
    rng = np.random.default_rng(5)
    x, w = rng.normal(size=(1, 9, 8, 2)), rng.normal(size=(3, 2, 2, 3))
    for padding in ("SAME", "VALID"):
        a = cs.nn.atrous_conv2d(x, w, rate=[2, 3], padding=padding)
        b = cs.nn.conv2d(x, w, strides=1, padding=padding, dilations=[2, 3])
        np.testing.assert_array_equal(a, b)


@pytest.mark.skipif(not HAVE_TF, reason="TensorFlow is not installed")
@pytest.mark.parametrize("padding", ["SAME", "VALID", [[0, 0], [0, 0], [1, 2], [0, 0]]], ids=str)
def test_transpose_output_sizes_are_tensorflows(padding: Any) -> None:
    """Every output width from 0 to 11, for inputs 0-3, kernels 1-3 and strides 1-3: same verdict."""
    import tensorflow as tf

    def accepts(module: Any, y: np.ndarray, w: np.ndarray, width: int, stride: int) -> bool:
        try:
            module.nn.conv2d_transpose(y, w, [1, 1, width, 1], [1, stride], padding)
        except Exception:  # TensorFlow refuses with several exception types
            return False
        return True

    disagreements = []
    for size in range(4):
        for k in range(1, 4):
            y, w = np.ones((1, 1, size, 1), np.float32), np.ones((1, k, 1, 1), np.float32)
            for stride in range(1, 4):
                for width in range(12):
                    ours, theirs = accepts(cs, y, w, width, stride), accepts(tf, y, w, width, stride)
                    if ours != theirs:
                        disagreements.append((size, k, stride, width, ours, theirs))
    assert not disagreements


ZERO_CHANNEL_CALLS = [
    ("conv1d", (np.ones((2, 1, 0, 2), np.float32), np.ones((1, 1, 1), np.float32), 3, "SAME", "NCW", [2])),
    ("conv1d", (np.ones((2, 2, 0), np.float32), np.ones((1, 1, 1), np.float32), 3, "SAME", "NWC", [2])),
    ("conv2d", (np.ones((2, 3, 3, 0), np.float32), np.ones((2, 2, 2, 3), np.float32), 1, "VALID")),
    ("conv2d", (np.ones((2, 0, 3, 3), np.float32), np.ones((2, 2, 1, 3), np.float32), 1, "VALID", "NCHW")),
    ("conv3d", (np.ones((1, 3, 3, 3, 0)), np.ones((2, 2, 2, 1, 3)), [1] * 5, "VALID")),
]


@pytest.mark.skipif(not HAVE_TF, reason="TensorFlow is not installed")
@pytest.mark.parametrize(("call", "args"), ZERO_CHANNEL_CALLS)
def test_inputs_without_channels_as_tensorflow(call: str, args: tuple[Any, ...]) -> None:
    """Conv2D returns zeros for an input with no channels before its other checks; Conv3D refuses."""
    import tensorflow as tf

    try:
        expected = np.asarray(getattr(tf.nn, call)(*args))
    except Exception:  # TensorFlow's own error types
        with pytest.raises(ValueError, match="input channels"):
            getattr(cs.nn, call)(*args)
        return
    ours = getattr(cs.nn, call)(*args)
    assert ours.shape == expected.shape
    np.testing.assert_array_equal(ours, expected)
