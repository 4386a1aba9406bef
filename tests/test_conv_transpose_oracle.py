"""conv_transpose1d / 2d / 3d against ``torch.nn.functional.conv_transposeNd``.

Random stride, padding, output_padding (always < stride or < dilation, which
is what torch accepts), groups (including depthwise) and dilation.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convscope
from support import (
    ALGORITHMS,
    TINY_WORKSPACE,
    TORCH_CONVT,
    assert_close,
    assert_close_for_algorithm,
    conv_transpose_cases,
    our_conv_transpose,
    tt,
)

ND = [1, 2, 3]


@pytest.mark.parametrize("nd", ND)
@settings(max_examples=60)
@given(data=st.data())
def test_conv_transpose_float64_matches_torch(nd, data):
    case = data.draw(conv_transpose_cases(nd, allow_unbatched=True), label="case")
    x, w, b = case.arrays()
    x0, w0 = x.copy(), w.copy()
    ours = our_conv_transpose(nd)(x, w, b, **case.params())
    assert_close(ours, case.torch_ref(), np.float64, err_msg=repr(case))
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(w, w0)


@pytest.mark.parametrize("nd", ND)
@settings(max_examples=40)
@given(data=st.data())
def test_conv_transpose_float32_matches_torch(nd, data):
    case = data.draw(conv_transpose_cases(nd, allow_unbatched=True), label="case")
    assert_close(case.ours(np.float32), case.torch_ref(np.float32), np.float32, err_msg=repr(case))


@pytest.mark.parametrize("nd", ND)
@settings(max_examples=20)
@given(data=st.data())
def test_conv_transpose_float16_matches_torch_float32(nd, data):
    case = data.draw(conv_transpose_cases(nd), label="case")
    ours = case.ours(np.float16)
    assert ours.dtype == np.float16
    assert_close(ours, case.torch_ref(np.float16), np.float16, err_msg=repr(case))


@pytest.mark.parametrize("nd", ND)
@settings(max_examples=20)
@given(data=st.data())
def test_conv_transpose_unbatched(nd, data):
    case = data.draw(conv_transpose_cases(nd), label="case")
    case.x = case.x[0]
    ours = case.ours()
    assert ours.ndim == nd + 1
    assert_close(ours, case.torch_ref(), np.float64, err_msg=repr(case))


@pytest.mark.parametrize("nd", ND)
@settings(max_examples=15)
@given(data=st.data())
def test_conv_transpose_torch_tensor_and_list_inputs(nd, data):
    case = data.draw(conv_transpose_cases(nd), label="case")
    x, w, b = case.arrays()
    ref = case.torch_ref()
    fn = our_conv_transpose(nd)
    assert_close(fn(tt(x), tt(w), tt(b), **case.params()), ref, np.float64, err_msg=repr(case))
    blist = None if b is None else b.tolist()
    assert_close(fn(x.tolist(), w.tolist(), blist, **case.params()), ref, np.float64, err_msg=repr(case))


@settings(max_examples=20)
@given(data=st.data())
def test_conv_transpose2d_keyword_arguments_like_torch(data):
    case = data.draw(conv_transpose_cases(2), label="case")
    x, w, b = case.arrays()
    ours = convscope.functional.conv_transpose2d(input=x, weight=w, bias=b, **case.params())
    assert_close(ours, case.torch_ref(), np.float64, err_msg=repr(case))


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("nd", ND)
@settings(max_examples=25)
@given(data=st.data())
def test_conv_transpose_every_algorithm(nd, algorithm, data):
    case = data.draw(conv_transpose_cases(nd, allow_unbatched=True), label="case")
    with convscope.options(conv_algorithm=algorithm):
        ours = case.ours()
    ref = case.torch_ref()
    assert_close_for_algorithm(ours, ref, algorithm, case)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("nd", ND)
@settings(max_examples=12)
@given(data=st.data())
def test_conv_transpose_tiny_workspace(nd, algorithm, data):
    case = data.draw(conv_transpose_cases(nd), label="case")
    with convscope.options(conv_algorithm=algorithm), convscope.options(workspace_bytes=TINY_WORKSPACE):
        ours = case.ours()
    ref = case.torch_ref()
    assert_close_for_algorithm(ours, ref, algorithm, case)


@pytest.mark.parametrize("nd", ND)
def test_conv_transpose_output_padding_beyond_stride_with_dilation(nd):
    """output_padding >= stride is legal in torch when it is < dilation."""
    rng = np.random.default_rng(7 + nd)
    spatial = {1: (4,), 2: (4, 3), 3: (3, 4, 2)}[nd]
    x = rng.standard_normal((2, 4, *spatial))
    w = rng.standard_normal((4, 3, *((3,) * nd)))
    b = rng.standard_normal(6)
    params = dict(stride=1, padding=1, output_padding=2, groups=2, dilation=3)
    ref = TORCH_CONVT[nd](tt(x), tt(w), tt(b), **params).numpy()
    assert_close(our_conv_transpose(nd)(x, w, b, **params), ref, np.float64)


@pytest.mark.parametrize("nd", ND)
def test_conv_transpose_tiny_workspace_larger_batch(nd):
    rng = np.random.default_rng(11 * nd)
    spatial = {1: (13,), 2: (7, 5), 3: (4, 5, 3)}[nd]
    x = rng.standard_normal((5, 6, *spatial))
    w = rng.standard_normal((6, 2, *((3,) * nd)))
    b = rng.standard_normal(6)
    params = dict(stride=2, padding=1, output_padding=1, groups=3, dilation=1)
    ref = TORCH_CONVT[nd](tt(x), tt(w), tt(b), **params).numpy()
    with convscope.options(workspace_bytes=TINY_WORKSPACE):
        ours = our_conv_transpose(nd)(x, w, b, **params)
    assert_close(ours, ref, np.float64)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("nd", ND)
@settings(max_examples=10)
@given(data=st.data())
def test_conv_transpose_integer_arrays_exact_like_torch(nd, algorithm, data):
    """torch 2.13 runs int64 transposed convolutions on CPU exactly."""
    case = data.draw(conv_transpose_cases(nd), label="case")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    x = rng.integers(-8, 9, case.x.shape)
    w = rng.integers(-8, 9, case.w.shape)
    b = None if case.b is None else rng.integers(-8, 9, case.b.shape)
    ref = case.torch_forward(tt(x), tt(w), tt(b)).numpy()
    with convscope.options(conv_algorithm=algorithm):
        ours = our_conv_transpose(nd)(x, w, b, **case.params())
    assert ours.dtype == np.int64
    assert ours.shape == ref.shape
    np.testing.assert_array_equal(ours, ref)


@pytest.mark.parametrize("nd", ND)
def test_conv_transpose_empty_batch_like_torch(nd):
    rng = np.random.default_rng(nd)
    spatial = {1: (5,), 2: (4, 3), 3: (3, 4, 2)}[nd]
    x = np.zeros((0, 4, *spatial))
    w = rng.standard_normal((4, 3, *((2,) * nd)))
    b = rng.standard_normal(6)
    params = dict(stride=2, padding=0, output_padding=1, groups=2, dilation=1)
    ref = TORCH_CONVT[nd](tt(x), tt(w), tt(b), **params).numpy()
    assert_close(our_conv_transpose(nd)(x, w, b, **params), ref, np.float64)
