"""convscope.tf pooling and space/depth ops: what the golden replay does not cover.

* a strict replay of ``tests/golden/tf_pool.npz``: maxima and indices bit for
  bit, averages with a tolerance scaled by the largest *finite* reference value
  (the shared comparison scales by the largest magnitude, which is ``inf``
  whenever a window holds only ``-inf``);
* the messages of refusals, and the places where convscope refuses what
  TensorFlow silently ignores;
* live checks, when TensorFlow is installed, of what NumPy inputs cannot show
  (``MaxPool`` casts a NumPy input to float32, so its other dtypes are fed as
  tensors), TensorFlow ``DType`` objects as ``output_dtype``, complex data, and
  the signatures.
"""

from __future__ import annotations

import importlib.util
import inspect
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tf_cases
from convscope import tf as ctf

HAVE_TF = importlib.util.find_spec("tensorflow") is not None
needs_tf = pytest.mark.skipif(not HAVE_TF, reason="TensorFlow is not installed")

EXACT_CALLS = ("nn.max_pool1d", "nn.max_pool2d", "nn.max_pool3d", "nn.max_pool", "nn.max_pool_with_argmax")


def _golden_pool() -> list[tuple[tf_cases.Case, tf_cases.Outcome]]:
    path = tf_cases.golden_path("pool")
    return [(c, o) for c, o in tf_cases.load(path)[1] if o.error is None] if path.exists() else []


def _exact(case: tf_cases.Case) -> bool:
    return case.call in EXACT_CALLS or case.options.get("pooling_type") == "MAX"


def assert_close_finite(mine: np.ndarray, ref: np.ndarray, case: tf_cases.Case) -> None:
    """Same NaN and infinity positions; finite values within the case's tolerance of the finite scale."""
    np.testing.assert_array_equal(np.isnan(mine), np.isnan(ref))
    np.testing.assert_array_equal(np.isinf(mine) * np.sign(mine), np.isinf(ref) * np.sign(ref))
    finite = np.isfinite(ref)
    if finite.any():
        scale = max(1.0, float(np.abs(ref[finite].astype(np.float64)).max()))
        np.testing.assert_allclose(
            mine[finite].astype(np.float64),
            ref[finite].astype(np.float64),
            rtol=case.rtol,
            atol=case.atol * scale,
        )


@pytest.mark.parametrize(
    ("case", "outcome"), [pytest.param(c, o, id=f"pool-{n}") for n, (c, o) in enumerate(_golden_pool())]
)
def test_golden_pool_strict(case: tf_cases.Case, outcome: tf_cases.Outcome) -> None:
    outputs = tf_cases.invoke(ctf, case)
    assert outcome.outputs is not None
    for mine, ref in zip(outputs, outcome.outputs):
        assert mine.shape == ref.shape and mine.dtype == ref.dtype
        if _exact(case):
            np.testing.assert_array_equal(mine, ref, err_msg=f"{case.call} {case.options}")
        else:
            assert_close_finite(mine, ref, case)


# -- messages and refusals ---------------------------------------------------------------

X4 = np.arange(2 * 5 * 6 * 3, dtype=np.float32).reshape(2, 5, 6, 3)


@pytest.mark.parametrize(
    ("call", "kwargs", "error", "words"),
    [
        (ctf.nn.max_pool2d, {"data_format": "NCHW"}, ValueError, ["max_pool2d", "data_format='NCHW'", "CPU"]),
        (ctf.nn.avg_pool2d, {"padding": "same"}, ValueError, ["avg_pool2d", "padding='same'"]),
        (
            ctf.nn.avg_pool2d,
            {"padding": [[0, 0], [1, 1], [1, 1], [0, 0]]},
            TypeError,
            ["avg_pool2d", "padding"],
        ),
        (ctf.nn.max_pool2d, {"padding": [[0, 0], [2, 0], [0, 0], [0, 0]]}, ValueError, ["smaller than", "2"]),
        (ctf.nn.max_pool2d, {"padding": [[1, 0], [0, 0], [0, 0], [0, 0]]}, ValueError, ["batch and channel"]),
        (ctf.nn.max_pool2d, {"ksize": [2, 2, 2, 1]}, ValueError, ["ksize", "batch"]),
        (ctf.nn.max_pool2d, {"ksize": 0}, ValueError, ["ksize=0", "positive"]),
        (ctf.nn.max_pool2d, {"ksize": [7, 1], "strides": 1, "padding": "VALID"}, ValueError, ["negative"]),
        (ctf.nn.max_pool2d, {"ksize": [1, 1, 1, 3], "strides": [1, 1, 1, 2]}, ValueError, ["channel stride"]),
    ],
)
def test_refusal_messages(
    call: Any, kwargs: dict[str, Any], error: type[Exception], words: list[str]
) -> None:
    args = {"input": X4, "ksize": 2, "strides": 2, "padding": "SAME", **kwargs}
    with pytest.raises(error) as caught:
        call(**args)
    assert all(word in str(caught.value) for word in words), str(caught.value)


def test_argmax_and_space_messages() -> None:
    with pytest.raises(ValueError, match="max_pool_with_argmax: input must not be empty"):
        ctf.nn.max_pool_with_argmax(X4[:0], 2, 2, "SAME")
    with pytest.raises(ValueError, match="output_dtype='int16' is not int32 or int64"):
        ctf.nn.max_pool_with_argmax(X4, 2, 2, "SAME", output_dtype="int16")
    with pytest.raises(ValueError, match="depth_to_space: block_size=1 must be at least 2"):
        ctf.nn.depth_to_space(X4, 1)
    with pytest.raises(ValueError, match="divisible by block_size\\*\\*2 = 4"):
        ctf.nn.depth_to_space(X4, 2)
    with pytest.raises(ValueError, match="space_to_depth: the input's height 5 and width 6"):
        ctf.nn.space_to_depth(X4, 2)


@pytest.mark.parametrize(
    ("call", "kwargs"),
    [
        # TensorFlow ignores a channel stride when the channel window is 1, and
        # the spatial strides of a depthwise pool; convscope refuses both.
        (ctf.nn.max_pool2d, {"strides": [1, 2, 2, 2]}),
        (ctf.nn.avg_pool1d, {"strides": [1, 2, 2]}),
        (ctf.nn.max_pool2d, {"ksize": [1, 1, 1, 3], "strides": [1, 2, 2, 3]}),
        # TensorFlow ignores a channel window here; convscope refuses it.
        (ctf.nn.max_pool_with_argmax, {"ksize": [1, 1, 1, 3], "strides": [1, 1, 1, 3]}),
        # TensorFlow takes integral floats as ints; convscope wants ints.
        (ctf.nn.max_pool2d, {"ksize": 2.0}),
    ],
)
def test_refuses_what_tensorflow_ignores(call: Any, kwargs: dict[str, Any]) -> None:
    args = {"input": X4, "ksize": 2, "strides": 2, "padding": "SAME", **kwargs}
    with pytest.raises((ValueError, TypeError)) as caught:
        call(**args)
    assert call.__name__ in str(caught.value)


class _FakeDType:
    """Quacks like ``tf.int32`` without TensorFlow."""

    name = "int32"
    as_numpy_dtype = np.int32


@pytest.mark.parametrize("spelling", [_FakeDType(), "int32", np.int32, np.dtype(np.int32)])
@pytest.mark.parametrize("spelling64", [np.dtype("int64"), np.int64, "int64", None])
def test_argmax_output_dtype_spellings(spelling: Any, spelling64: Any) -> None:
    _, index = ctf.nn.max_pool_with_argmax(X4, 2, 2, "SAME", output_dtype=spelling)
    _, index64 = ctf.nn.max_pool_with_argmax(X4, 2, 2, "SAME", output_dtype=spelling64)
    assert index.dtype == np.int32 and index64.dtype == np.int64
    np.testing.assert_array_equal(index, index64)


def test_depth_to_space_inverts_space_to_depth_and_differs_from_pixel_shuffle() -> None:
    from convscope.functional import pixel_shuffle

    x = np.arange(2 * 3 * 4 * 8).reshape(2, 3, 4, 8)
    assert np.array_equal(ctf.nn.space_to_depth(ctf.nn.depth_to_space(x, 2), 2), x)
    torch_order = np.moveaxis(pixel_shuffle(np.moveaxis(x, -1, 1), 2), 1, -1)
    assert not np.array_equal(ctf.nn.depth_to_space(x, 2), torch_order)


# -- live, against TensorFlow ------------------------------------------------------------


@pytest.fixture(scope="module")
def tf() -> Any:
    if not HAVE_TF:
        pytest.skip("TensorFlow is not installed")
    return pytest.importorskip("tensorflow")


POOL_NAMES = [
    "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
    "max_pool", "avg_pool", "pool", "max_pool_with_argmax", "depth_to_space", "space_to_depth",
]  # fmt: skip


@needs_tf
@pytest.mark.parametrize("name", POOL_NAMES)
def test_signature_matches_tensorflow(tf: Any, name: str) -> None:
    theirs = inspect.signature(getattr(tf.nn, name)).parameters
    mine = inspect.signature(getattr(ctf.nn, name)).parameters
    assert list(mine) == list(theirs)
    for key, parameter in theirs.items():
        if key != "output_dtype":  # tf.int64 there, "int64" here
            assert mine[key].default == parameter.default, key


@needs_tf
@settings(max_examples=25)
@given(
    dtype=st.sampled_from(["float16", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16"]),
    seed=st.integers(0, 2**31 - 1),
    padding=st.sampled_from(["SAME", "VALID"]),
)
def test_max_pool2d_dtypes_live(tf: Any, dtype: str, seed: int, padding: str) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(-50, 50, size=(2, 5, 4, 3)).astype(dtype)
    if x.dtype.kind == "u":
        x = np.abs(x.astype(np.int64)).astype(dtype)
    ksize, strides = [int(v) for v in rng.integers(1, 4, 2)], [int(v) for v in rng.integers(1, 4, 2)]
    theirs = np.asarray(tf.nn.max_pool2d(tf.constant(x), ksize, strides, padding))
    mine = ctf.nn.max_pool2d(x, ksize, strides, padding)
    assert mine.dtype == theirs.dtype
    np.testing.assert_array_equal(mine, theirs)


@needs_tf
def test_argmax_with_tensorflow_dtype_object(tf: Any) -> None:
    x = np.round(np.random.default_rng(3).normal(size=(2, 5, 7, 3))).astype(np.float32)
    values, index = tf.nn.max_pool_with_argmax(
        x, 3, 2, "SAME", output_dtype=tf.int32, include_batch_in_index=True
    )
    mine = ctf.nn.max_pool_with_argmax(x, 3, 2, "SAME", output_dtype=tf.int32, include_batch_in_index=True)
    np.testing.assert_array_equal(mine[0], np.asarray(values))
    np.testing.assert_array_equal(mine[1], np.asarray(index))
    assert mine[1].dtype == np.int32


@needs_tf
@pytest.mark.parametrize("op", ["depth_to_space", "space_to_depth"])
def test_space_ops_complex_live(tf: Any, op: str) -> None:
    rng = np.random.default_rng(5)
    x = (rng.normal(size=(2, 4, 6, 9)) + 1j * rng.normal(size=(2, 4, 6, 9))).astype(np.complex64)
    block = 3 if op == "depth_to_space" else 2
    theirs = np.asarray(getattr(tf.nn, op)(tf.constant(x), block))
    np.testing.assert_array_equal(getattr(ctf.nn, op)(x, block), theirs)
