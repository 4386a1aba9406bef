"""convscope.tf's resizers beyond the golden replay (``tests/tf_cases/resize.py``).

Live against TensorFlow (skipped without it): the public surface (names,
argument names, defaults, ``ResizeMethod`` values), each method's per-axis
matrix on sizes larger than the golden file holds, and Python-list inputs
(which TensorFlow converts to int32/float32). Without TensorFlow: properties
TensorFlow documents -- a constant image stays constant, ``antialias`` does
nothing when up-sampling, nearest neighbour is an exact selection -- and the
refusals' messages.
"""

from __future__ import annotations

import importlib.util
import inspect
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tf_cases  # (imported first: sets TensorFlow's environment before it is imported)
from convscope import tf as ctf

HAVE_TF = importlib.util.find_spec("tensorflow") is not None
needs_tf = pytest.mark.skipif(not HAVE_TF, reason="TensorFlow is not installed")

V2_METHODS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic")
LEGACY = ("resize_bilinear", "resize_nearest_neighbor", "resize_bicubic", "resize_area")


def _tf() -> Any:
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")  # the TF1 resizers log a deprecation notice per call
    return tf


def _axis_matrix(module: Any, call: str, in_size: int, out_size: int, **options: Any) -> np.ndarray:
    """The ``(out_size, in_size)`` matrix a resizer applies along the height axis.

    An identity stacked along the channels, resized in height only, yields
    the matrix column by column.
    """
    eye = np.eye(in_size, dtype=np.float32).reshape(1, in_size, 1, in_size)
    return np.asarray(tf_cases.resolve(module, call)(eye, [out_size, 1], **options))[0, :, 0, :]


def assert_same_matrix(call: str, in_size: int, out_size: int, **options: Any) -> None:
    ours = _axis_matrix(ctf, call, in_size, out_size, **options)
    theirs = _axis_matrix(_tf(), call, in_size, out_size, **options)
    label = f"{call}({in_size} -> {out_size}, {options})"
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=2e-6, err_msg=label)


# -- the public surface ----------------------------------------------------------------


@needs_tf
@pytest.mark.parametrize(
    "path",
    ["image.resize", *(f"compat.v1.image.{name}" for name in (*LEGACY, "resize", "resize_images"))],
)
def test_signature_is_tensorflows(path: str) -> None:
    mine = inspect.signature(tf_cases.resolve(ctf, path))
    reference = inspect.signature(tf_cases.resolve(_tf(), path))
    assert [(p.name, p.default) for p in mine.parameters.values()] == [
        (p.name, p.default) for p in reference.parameters.values()
    ]


@needs_tf
def test_resize_method_constants_are_tensorflows() -> None:
    tf = _tf()
    for mine, theirs in (
        (ctf.image.ResizeMethod, tf.image.ResizeMethod),
        (ctf.compat.v1.image.ResizeMethod, tf.compat.v1.image.ResizeMethod),
    ):
        names = {k: v for k, v in vars(theirs).items() if not k.startswith("_")}
        assert {k: getattr(mine, k) for k in names} == names


# -- per-axis matrices on larger sizes ---------------------------------------------------


@needs_tf
@settings(max_examples=25)
@given(
    method=st.sampled_from(V2_METHODS),
    antialias=st.booleans(),
    in_size=st.integers(1, 48),
    out_size=st.integers(1, 72),
)
def test_resize_axis_matrix(method: str, antialias: bool, in_size: int, out_size: int) -> None:
    assert_same_matrix("image.resize", in_size, out_size, method=method, antialias=antialias)


@needs_tf
@settings(max_examples=25)
@given(
    name=st.sampled_from(LEGACY),
    flags=st.sampled_from([(False, False), (True, False), (False, True)]),
    in_size=st.integers(1, 48),
    out_size=st.integers(1, 72),
)
def test_legacy_axis_matrix(name: str, flags: tuple[bool, bool], in_size: int, out_size: int) -> None:
    corners, centres = flags
    options = (
        {"align_corners": corners}
        if name == "resize_area"
        else {"align_corners": corners, "half_pixel_centers": centres}
    )
    assert_same_matrix(f"compat.v1.image.{name}", in_size, out_size, **options)


@needs_tf
@pytest.mark.parametrize("method", ["bilinear", "nearest"])
def test_python_lists_convert_as_tensorflow_converts(method: str) -> None:
    tf = _tf()
    for images in ([[[1], [2]], [[3], [4]]], [[[1.5], [2.0]], [[3.0], [4.25]]]):
        ours = ctf.image.resize(images, [3, 3], method=method)
        theirs = tf.image.resize(images, [3, 3], method=method).numpy()
        assert ours.dtype == theirs.dtype
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


# -- properties TensorFlow documents ----------------------------------------------------


@settings(max_examples=30)
@given(
    method=st.sampled_from(V2_METHODS),
    antialias=st.booleans(),
    shape=st.tuples(st.integers(1, 7), st.integers(1, 7), st.integers(1, 3)),
    size=st.tuples(st.integers(1, 11), st.integers(1, 11)),
    value=st.floats(-100, 100, width=32),
)
def test_constant_image_stays_constant(
    method: str, antialias: bool, shape: tuple[int, int, int], size: tuple[int, int], value: float
) -> None:
    images = np.full(shape, value, np.float32)
    out = ctf.image.resize(images, list(size), method=method, antialias=antialias)
    assert out.shape == (*size, shape[2])
    np.testing.assert_allclose(out, value, rtol=1e-5, atol=1e-5)


@settings(max_examples=20)
@given(
    method=st.sampled_from(["bilinear", "bicubic", "lanczos3", "lanczos5", "gaussian", "mitchellcubic"]),
    shape=st.tuples(st.integers(1, 6), st.integers(1, 6)),
    factor=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    seed=st.integers(0, 2**16),
)
def test_antialias_does_nothing_when_upsampling(
    method: str, shape: tuple[int, int], factor: tuple[int, int], seed: int
) -> None:
    images = np.random.default_rng(seed).normal(size=(*shape, 2)).astype(np.float32)
    size = [shape[0] * factor[0], shape[1] * factor[1]]
    plain = ctf.image.resize(images, size, method=method)
    smooth = ctf.image.resize(images, size, method=method, antialias=True)
    if method == "bicubic":  # the TF1 kernel quantises its weights to a 1/1024 table
        np.testing.assert_allclose(smooth, plain, atol=2e-3 * np.abs(images).max())
    else:
        np.testing.assert_allclose(smooth, plain, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int64, np.float16, np.float64])
def test_nearest_is_an_exact_selection(dtype: Any) -> None:
    info = np.iinfo(dtype) if np.issubdtype(dtype, np.integer) else np.finfo(dtype)
    images = np.array([[info.min, info.max], [1, 0]], dtype=dtype)[:, :, None]
    out = ctf.image.resize(images, [4, 3], method="nearest")
    assert out.dtype == np.dtype(dtype)
    assert set(np.unique(out)) <= set(np.unique(images))
    assert out[0, 0, 0] == info.min and out[0, -1, 0] == info.max


def test_other_methods_return_float32() -> None:
    images = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    for method in V2_METHODS:
        expected = np.float64 if method == "nearest" else np.float32
        assert ctf.image.resize(images, [5, 2], method=method).dtype == expected


# -- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "kwargs", "error", "words"),
    [
        (ctf.image.resize, {"size": [3, 3], "method": "cubic"}, ValueError, "method"),
        (ctf.image.resize, {"size": [3]}, ValueError, "size"),
        (ctf.image.resize, {"size": [3.0, 3]}, ValueError, "size"),
        (ctf.image.resize, {"size": [0, 3]}, ValueError, "positive"),
        (ctf.image.resize, {"size": [3, 3], "method": "bilinear", "antialias": 1}, TypeError, "antialias"),
        (ctf.compat.v1.image.resize_bilinear, {"size": [3.0, 3]}, TypeError, "size"),
        (
            ctf.compat.v1.image.resize_bicubic,
            {"size": [3, 3], "align_corners": True, "half_pixel_centers": True},
            ValueError,
            "half_pixel_centers",
        ),
        (
            ctf.compat.v1.image.resize_nearest_neighbor,
            {"size": [3, 3], "align_corners": 1},
            TypeError,
            "align_corners",
        ),
    ],
)
def test_refusals_name_the_argument(call: Any, kwargs: dict[str, Any], error: type, words: str) -> None:
    with pytest.raises(error, match=words):
        call(np.ones((1, 4, 4, 1), np.float32), **kwargs)


def test_refused_dtypes_and_ranks() -> None:
    with pytest.raises(TypeError, match="uint32"):
        ctf.image.resize(np.ones((4, 4, 1), np.uint32), [2, 2])
    with pytest.raises(ValueError, match="3 or 4 dimensions"):
        ctf.image.resize(np.ones((4, 4)), [2, 2])
    with pytest.raises(ValueError, match="4-dimensional"):
        ctf.compat.v1.image.resize_area(np.ones((4, 4, 1)), [2, 2])
    with pytest.raises(ValueError, match="channel"):
        ctf.image.resize(np.ones((4, 4, 0)), [2, 2])
