"""conv1d / conv2d / conv3d against PyTorch (CPU) over random configurations.

Every expected value is torch's: ``torch.nn.functional.convNd`` for zero
padding, the ``torch.nn.ConvNd`` module (weights swapped in) for the other
padding modes, and ``torch.nn.functional.pad`` followed by an unpadded
convolution for the ``(low, high)`` pair extension.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, reject, settings
from hypothesis import strategies as st

import convscope
from support import (
    ALGORITHMS,
    FFT_TOLERANCE,
    PAD_KINDS,
    PADDING_MODES,
    TINY_WORKSPACE,
    assert_close,
    assert_close_for_algorithm,
    conv_cases,
    our_conv,
    tt,
)

ND = [1, 2, 3]


@pytest.mark.parametrize("nd", ND)
@settings(max_examples=60)
@given(data=st.data())
def test_conv_float64_matches_torch(nd, data):
    case = data.draw(conv_cases(nd, allow_unbatched=True), label="case")
    x, w, b = case.arrays(np.float64)
    before = (x.copy(), w.copy(), None if b is None else b.copy())
    ours = our_conv(nd)(x, w, b, **case.params())
    assert_close(ours, case.torch_ref(np.float64), np.float64, err_msg=repr(case))
    # inputs are not modified
    np.testing.assert_array_equal(x, before[0])
    np.testing.assert_array_equal(w, before[1])
    if b is not None:
        np.testing.assert_array_equal(b, before[2])


@pytest.mark.parametrize("nd", ND)
@settings(max_examples=40)
@given(data=st.data())
def test_conv_float32_matches_torch(nd, data):
    case = data.draw(conv_cases(nd, allow_unbatched=True), label="case")
    assert_close(case.ours(np.float32), case.torch_ref(np.float32), np.float32, err_msg=repr(case))


@pytest.mark.parametrize("nd", ND)
@settings(max_examples=25)
@given(data=st.data())
def test_conv_float16_matches_torch_float32(nd, data):
    case = data.draw(conv_cases(nd), label="case")
    ours = case.ours(np.float16)
    assert ours.dtype == np.float16
    # torch in float32 on the same float16-rounded inputs
    assert_close(ours, case.torch_ref(np.float16), np.float16, err_msg=repr(case))


@pytest.mark.parametrize("pad_kind", PAD_KINDS)
@pytest.mark.parametrize("nd", ND)
@settings(max_examples=20)
@given(data=st.data())
def test_conv_every_padding_spec(nd, pad_kind, data):
    case = data.draw(conv_cases(nd, pad_kinds=(pad_kind,), allow_unbatched=True), label="case")
    assert_close(case.ours(), case.torch_ref(), np.float64, err_msg=repr(case))


@pytest.mark.parametrize("padding_mode", [m for m in PADDING_MODES if m != "zeros"])
@pytest.mark.parametrize("nd", ND)
@settings(max_examples=30)
@given(data=st.data())
def test_conv_padding_mode_matches_torch_module(nd, padding_mode, data):
    case = data.draw(conv_cases(nd, padding_modes=(padding_mode,), allow_unbatched=True), label="case")
    assert_close(case.ours(), case.torch_ref(), np.float64, err_msg=repr(case))


@pytest.mark.parametrize("padding_mode", [m for m in PADDING_MODES if m != "zeros"])
@settings(max_examples=15)
@given(data=st.data())
def test_conv2d_padding_mode_float32(padding_mode, data):
    case = data.draw(conv_cases(2, padding_modes=(padding_mode,)), label="case")
    assert_close(case.ours(np.float32), case.torch_ref(np.float32), np.float32, err_msg=repr(case))


@pytest.mark.parametrize("nd", ND)
@settings(max_examples=20)
@given(data=st.data())
def test_conv_unbatched_input(nd, data):
    case = data.draw(conv_cases(nd, padding_modes=PADDING_MODES), label="case")
    case.x = case.x[0]  # (C, *S)
    ours = case.ours()
    assert ours.ndim == nd + 1
    assert_close(ours, case.torch_ref(), np.float64, err_msg=repr(case))


@pytest.mark.parametrize("nd", ND)
@settings(max_examples=15)
@given(data=st.data())
def test_conv_accepts_torch_tensors(nd, data):
    case = data.draw(conv_cases(nd), label="case")
    for dtype in (np.float64, np.float32):
        x, w, b = case.arrays(dtype)
        ours = our_conv(nd)(tt(x), tt(w), tt(b), **case.params())
        assert_close(ours, case.torch_ref(dtype), dtype, err_msg=repr(case))


@pytest.mark.parametrize("nd", ND)
@settings(max_examples=15)
@given(data=st.data())
def test_conv_accepts_nested_lists(nd, data):
    case = data.draw(conv_cases(nd), label="case")
    b = None if case.b is None else case.b.tolist()
    ours = our_conv(nd)(case.x.tolist(), case.w.tolist(), b, **case.params())
    assert_close(ours, case.torch_ref(np.float64), np.float64, err_msg=repr(case))


@settings(max_examples=20)
@given(data=st.data())
def test_conv2d_keyword_arguments_like_torch(data):
    case = data.draw(conv_cases(2, padding_modes=PADDING_MODES), label="case")
    x, w, b = case.arrays()
    ours = convscope.functional.conv2d(input=x, weight=w, bias=b, **case.params())
    assert_close(ours, case.torch_ref(), np.float64, err_msg=repr(case))


@pytest.mark.parametrize("nd", ND)
@settings(max_examples=15)
@given(data=st.data())
def test_conv_non_contiguous_inputs(nd, data):
    """Strided views (every other element, reversed) give the same answer as torch."""
    case = data.draw(conv_cases(nd), label="case")
    x, w, b = case.arrays()
    big = np.zeros((x.shape[0], 2 * x.shape[1], *x.shape[2:-1], 2 * x.shape[-1] + 1))
    big[:, ::2, ..., 1::2] = x[..., ::-1]
    x_view = big[:, ::2, ..., 1::2][..., ::-1]  # strided view with a negative stride
    w_view = np.asfortranarray(w)
    assert x_view.strides[-1] < 0
    np.testing.assert_array_equal(x_view, x)
    ours = our_conv(nd)(x_view, w_view, b, **case.params())
    assert_close(ours, case.torch_ref(), np.float64, err_msg=repr(case))


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("nd", ND)
@settings(max_examples=25)
@given(data=st.data())
def test_conv_every_algorithm_float64(nd, algorithm, data):
    case = data.draw(conv_cases(nd, padding_modes=PADDING_MODES, allow_unbatched=True), label="case")
    with convscope.options(conv_algorithm=algorithm):
        ours = case.ours()
    ref = case.torch_ref()
    assert_close_for_algorithm(ours, ref, algorithm, case)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("nd", [1, 2])
@settings(max_examples=15)
@given(data=st.data())
def test_conv_every_algorithm_float32(nd, algorithm, data):
    case = data.draw(conv_cases(nd, padding_modes=PADDING_MODES), label="case")
    with convscope.options(conv_algorithm=algorithm):
        ours = case.ours(np.float32)
    assert_close(ours, case.torch_ref(np.float32), np.float32, scale=case.magnitude(), err_msg=repr(case))


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("nd", ND)
@settings(max_examples=15)
@given(data=st.data())
def test_conv_tiny_workspace(nd, algorithm, data):
    """A 4 KiB workspace forces chunking; the answer is still torch's."""
    case = data.draw(conv_cases(nd, padding_modes=PADDING_MODES), label="case")
    with convscope.options(conv_algorithm=algorithm), convscope.options(workspace_bytes=TINY_WORKSPACE):
        ours = case.ours()
    ref = case.torch_ref()
    assert_close_for_algorithm(ours, ref, algorithm, case)


@pytest.mark.parametrize("nd", ND)
def test_conv_tiny_workspace_larger_batch(nd):
    """A batch and channel count big enough that 4 KiB must be split many ways."""
    rng = np.random.default_rng(nd)
    spatial = {1: (23,), 2: (11, 9), 3: (7, 6, 5)}[nd]
    kernel = {1: (3,), 2: (3, 2), 3: (2, 3, 2)}[nd]
    x = rng.standard_normal((5, 6, *spatial))
    w = rng.standard_normal((4, 3, *kernel))
    b = rng.standard_normal(4)
    params = dict(stride=2, padding=1, dilation=1, groups=2)
    ref = {1: torch.nn.functional.conv1d, 2: torch.nn.functional.conv2d, 3: torch.nn.functional.conv3d}[nd](
        tt(x), tt(w), tt(b), **params
    ).numpy()
    with convscope.options(workspace_bytes=TINY_WORKSPACE):
        ours = our_conv(nd)(x, w, b, **params)
    assert_close(ours, ref, np.float64)


def test_options_nest_and_restore():
    """Options are scoped: the algorithm set inside a block does not leak out."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 7, 6))
    w = rng.standard_normal((5, 3, 3, 2))
    ref = torch.nn.functional.conv2d(tt(x), tt(w), padding=1).numpy()
    with convscope.options(conv_algorithm="fft"):
        with convscope.options(workspace_bytes=TINY_WORKSPACE):
            inner_out = convscope.functional.conv2d(x, w, padding=1)
        outer_out = convscope.functional.conv2d(x, w, padding=1)
    after = convscope.functional.conv2d(x, w, padding=1)
    for out in (inner_out, outer_out):
        assert_close(out, ref, np.float64, tol=FFT_TOLERANCE)
    assert_close(after, ref, np.float64)


def test_options_reject_unknown_algorithm():
    with (
        pytest.raises((ValueError, TypeError), match="conv_algorithm"),
        convscope.options(conv_algorithm="winograd-magic"),
    ):
        pass


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("dtype", [np.int64, np.int32])
@pytest.mark.parametrize("nd", ND)
@settings(max_examples=10)
@given(data=st.data())
def test_conv_integer_arrays_exact_like_torch(nd, dtype, algorithm, data):
    """torch 2.13 convolves int64/int32 tensors on CPU exactly; so must we (any engine)."""
    case = data.draw(conv_cases(nd, pad_kinds=("int", "tuple", "valid", "pairs")), label="case")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    x = rng.integers(-8, 9, case.x.shape).astype(dtype)
    w = rng.integers(-8, 9, case.w.shape).astype(dtype)
    b = None if case.b is None else rng.integers(-8, 9, case.b.shape).astype(dtype)
    try:
        with torch.no_grad():
            ref = case.torch_forward(tt(x), tt(w), tt(b)).numpy()
    except NotImplementedError:  # torch has int32 kernels for some geometries only
        if dtype == np.int64:
            raise
        reject()
    with convscope.options(conv_algorithm=algorithm):
        ours = our_conv(nd)(x, w, b, **case.params())
    assert ours.dtype == np.dtype(dtype)
    assert ours.shape == ref.shape
    np.testing.assert_array_equal(ours, ref)


@pytest.mark.parametrize("nd", ND)
def test_conv_empty_batch_like_torch(nd):
    """A zero-size batch is legal in torch and gives an empty output of the right shape."""
    rng = np.random.default_rng(nd)
    spatial = {1: (7,), 2: (7, 6), 3: (5, 6, 4)}[nd]
    x = np.zeros((0, 4, *spatial))
    w = rng.standard_normal((6, 2, *((3,) * nd)))
    b = rng.standard_normal(6)
    params = dict(stride=2, padding=1, dilation=1, groups=2)
    ref = {1: torch.nn.functional.conv1d, 2: torch.nn.functional.conv2d, 3: torch.nn.functional.conv3d}[nd](
        tt(x), tt(w), tt(b), **params
    ).numpy()
    assert_close(our_conv(nd)(x, w, b, **params), ref, np.float64)


def test_conv2d_list_valued_arguments_like_torch():
    """Lists are accepted wherever torch takes an int tuple."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 4, 9, 7))
    w = rng.standard_normal((6, 2, 3, 2))
    params = dict(stride=[2, 1], padding=[1, 2], dilation=[1, 2], groups=2)
    ref = torch.nn.functional.conv2d(tt(x), tt(w), None, **params).numpy()
    assert_close(convscope.functional.conv2d(x, w, None, **params), ref, np.float64)


@settings(max_examples=20)
@given(data=st.data())
def test_conv2d_larger_kernels_and_images(data):
    """Kernels up to 7x7 on images up to ~24 pixels: 'auto' may pick fft or im2col here."""
    kh, kw = data.draw(st.integers(3, 7), label="kh"), data.draw(st.integers(2, 7), label="kw")
    sh, sw = data.draw(st.integers(1, 3), label="sh"), data.draw(st.integers(1, 2), label="sw")
    ph, pw = data.draw(st.integers(0, 3), label="ph"), data.draw(st.integers(0, 3), label="pw")
    h = data.draw(st.integers(max(1, kh - 2 * ph), 24), label="h")
    w_ = data.draw(st.integers(max(1, kw - 2 * pw), 20), label="w")
    groups = data.draw(st.sampled_from([1, 2]), label="groups")
    cin, cout = (3 if groups == 1 else 4), 6
    n = data.draw(st.integers(1, 3), label="n")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    x = rng.standard_normal((n, cin, h, w_))
    w = rng.standard_normal((cout, cin // groups, kh, kw))
    b = rng.standard_normal(cout)
    params = dict(stride=(sh, sw), padding=(ph, pw), groups=groups)
    ref = torch.nn.functional.conv2d(tt(x), tt(w), tt(b), **params).numpy()
    ours = convscope.functional.conv2d(x, w, b, **params)
    assert_close(ours, ref, np.float64)
    out, pullback = convscope.vjp(convscope.functional.conv2d, x, w, b, **params)
    cot = rng.standard_normal(out.shape)
    tx, tw, tb = tt(x, grad=True), tt(w, grad=True), tt(b, grad=True)
    refs = torch.autograd.grad(torch.nn.functional.conv2d(tx, tw, tb, **params), (tx, tw, tb), tt(cot))
    for g, r in zip(pullback(cot), refs):
        assert_close(g, r.numpy(), np.float64)


@pytest.mark.parametrize("nd", ND)
@settings(max_examples=10)
@given(data=st.data())
def test_conv_read_only_and_broadcast_inputs(nd, data):
    """Read-only arrays and zero-stride broadcast weights are valid inputs (never written)."""
    case = data.draw(conv_cases(nd, padding_modes=PADDING_MODES), label="case")
    x, w, b = case.arrays()
    x.setflags(write=False)
    w_b = np.broadcast_to(w[:1], w.shape)  # every output channel has the same filter
    assert not w_b.flags.writeable
    case.w = np.ascontiguousarray(w_b)
    ours = our_conv(nd)(x, w_b, b, **case.params())
    assert_close(ours, case.torch_ref(), np.float64, err_msg=repr(case))
