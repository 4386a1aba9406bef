"""pad, unfold and fold against ``torch.nn.functional``.

Padding and unfolding only copy values, so they must agree with torch
*exactly*; fold sums overlapping blocks and is held to the float tolerance.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st

import convscope.functional as F
from support import assert_close, fold_cases, pad_cases, to_numpy, tt

PAD_MODES = ["constant", "reflect", "replicate", "circular"]


def _assert_exact(ours, ref, dtype):
    ref = to_numpy(ref)
    assert isinstance(ours, np.ndarray), type(ours)
    assert ours.dtype == np.dtype(dtype), (ours.dtype, dtype)
    assert ours.shape == ref.shape, (ours.shape, ref.shape)
    np.testing.assert_array_equal(ours, ref)


# ---------------------------------------------------------------------------
# pad
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", PAD_MODES)
@settings(max_examples=50)
@given(data=st.data())
def test_pad_matches_torch(mode, data):
    case = data.draw(pad_cases(mode), label="case")
    x0 = case.x.copy()
    ours = F.pad(case.x, **case.kwargs())
    _assert_exact(ours, case.torch_ref(), np.float64)
    np.testing.assert_array_equal(case.x, x0)


@settings(max_examples=50)
@given(data=st.data())
def test_pad_negative_constant_crops_like_torch(data):
    case = data.draw(pad_cases("constant", allow_negative=True), label="case")
    ours = F.pad(case.x, **case.kwargs())
    _assert_exact(ours, case.torch_ref(), np.float64)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("mode", PAD_MODES)
@settings(max_examples=15)
@given(data=st.data())
def test_pad_keeps_float_dtype(mode, dtype, data):
    case = data.draw(pad_cases(mode), label="case")
    x = case.x.astype(dtype)
    kw = case.kwargs()
    ref = TF.pad(tt(x), case.pad, **{k: v for k, v in kw.items() if k != "pad"})
    _assert_exact(F.pad(x, **kw), ref, dtype)


@pytest.mark.parametrize("dtype", [np.int64, np.int32])
@settings(max_examples=30)
@given(data=st.data())
def test_pad_constant_integers_exact(dtype, data):
    """Integers beyond float64's 53-bit mantissa survive constant padding exactly."""
    case = data.draw(pad_cases("constant", allow_negative=True), label="case")
    info = np.iinfo(dtype)
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    x = np.random.default_rng(seed).integers(info.min // 2, info.max // 2, size=case.x.shape, dtype=dtype)
    if dtype == np.int64:
        x.flat[0] = 2**62 + 1  # not representable in float64
    value = data.draw(st.sampled_from([0, 7, -(2**30) + 3]), label="value")
    ours = F.pad(x, case.pad, mode="constant", value=value)
    ref = TF.pad(torch.from_numpy(x.copy()), case.pad, mode="constant", value=value)
    _assert_exact(ours, ref, dtype)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@settings(max_examples=15)
@given(data=st.data())
def test_pad_non_constant_integers_like_torch(mode, data):
    """torch pads int64 tensors in every mode; values are copies, so exact."""
    case = data.draw(pad_cases(mode), label="case")
    x = np.random.default_rng(0).integers(-(2**60), 2**60, size=case.x.shape, dtype=np.int64)
    ours = F.pad(x, case.pad, mode=mode)
    ref = TF.pad(torch.from_numpy(x.copy()), case.pad, mode=mode)
    _assert_exact(ours, ref, np.int64)


@pytest.mark.parametrize("mode", PAD_MODES)
@settings(max_examples=10)
@given(data=st.data())
def test_pad_accepts_torch_tensor_and_lists(mode, data):
    case = data.draw(pad_cases(mode), label="case")
    ref = case.torch_ref()
    _assert_exact(F.pad(tt(case.x), **case.kwargs()), ref, np.float64)
    _assert_exact(F.pad(case.x.tolist(), **case.kwargs()), ref, np.float64)


def test_pad_default_mode_is_constant_zero():
    x = np.arange(12.0).reshape(3, 4)
    ref = TF.pad(tt(x), (1, 2, 2, 0))
    _assert_exact(F.pad(x, (1, 2, 2, 0)), ref, np.float64)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_pad_3d_volume_non_constant(mode):
    """Six-element pads of a 5-d batch: each axis gets its own (low, high)."""
    x = np.random.default_rng(3).standard_normal((2, 3, 4, 5, 6))
    pad = (1, 2, 0, 3, 2, 1)  # W: (1, 2), H: (0, 3), D: (2, 1)
    _assert_exact(F.pad(x, pad, mode=mode), TF.pad(tt(x), pad, mode=mode), np.float64)


# ---------------------------------------------------------------------------
# unfold / fold
# ---------------------------------------------------------------------------


@settings(max_examples=60)
@given(data=st.data())
def test_unfold_matches_torch(data):
    case = data.draw(fold_cases(), label="case")
    ours = F.unfold(case.x, **case.params())
    ref = TF.unfold(tt(case.x), **case.params())
    _assert_exact(ours, ref, np.float64)


@settings(max_examples=20)
@given(data=st.data())
def test_unfold_float32(data):
    case = data.draw(fold_cases(), label="case")
    x = case.x.astype(np.float32)
    _assert_exact(F.unfold(x, **case.params()), TF.unfold(tt(x), **case.params()), np.float32)


@settings(max_examples=60)
@given(data=st.data())
def test_fold_matches_torch(data):
    case = data.draw(fold_cases(), label="case")
    # a random input of the shape unfold would produce for this geometry
    shape = TF.unfold(tt(case.x), **case.params()).shape
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    cols = np.random.default_rng(seed).standard_normal(tuple(shape))
    c0 = cols.copy()
    ours = F.fold(cols, case.output_size, **case.params())
    ref = TF.fold(tt(cols), case.output_size, **case.params())
    assert_close(ours, ref, np.float64, err_msg=repr(case))
    np.testing.assert_array_equal(cols, c0)


@settings(max_examples=20)
@given(data=st.data())
def test_fold_float32(data):
    case = data.draw(fold_cases(), label="case")
    shape = TF.unfold(tt(case.x), **case.params()).shape
    cols = np.random.default_rng(1).standard_normal(tuple(shape)).astype(np.float32)
    ours = F.fold(cols, case.output_size, **case.params())
    ref = TF.fold(tt(cols), case.output_size, **case.params())
    assert_close(ours, ref, np.float32, err_msg=repr(case))


def test_fold_int_output_size_and_kernel():
    cols = np.random.default_rng(5).standard_normal((2, 3 * 9, 16))
    ref = TF.fold(tt(cols), 6, 3, stride=1, padding=0)
    assert_close(F.fold(cols, 6, 3, stride=1, padding=0), ref, np.float64)
    assert_close(F.fold(tt(cols), 6, 3), ref, np.float64)


def test_unfold_then_fold_counts_overlaps_like_torch():
    """fold(unfold(ones)) counts how many blocks cover each pixel (torch docs example)."""
    x = np.ones((1, 2, 5, 7))
    params = dict(kernel_size=(2, 3), dilation=(2, 1), padding=(1, 0), stride=(1, 2))
    ref = TF.fold(TF.unfold(tt(x), **params), (5, 7), **params)
    ours = F.fold(F.unfold(x, **params), (5, 7), **params)
    assert_close(ours, ref, np.float64)


@pytest.mark.parametrize("value", [1.5, -2.7, 2.5])
def test_pad_integer_input_with_fractional_value_like_torch(value):
    """torch accepts a float fill for an integer tensor and truncates it toward zero."""
    x = np.arange(12, dtype=np.int64).reshape(1, 3, 4)
    ref = TF.pad(torch.from_numpy(x.copy()), (1, 2), mode="constant", value=value)
    _assert_exact(F.pad(x, (1, 2), mode="constant", value=value), ref, np.int64)
