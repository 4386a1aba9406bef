"""Algebraic identities that tie the operators to each other.

These do not involve torch: they check relations that must hold between
*different* convscope operators (an adjoint pair, linearity, fold/unfold),
and so catch errors that a shared misunderstanding of torch could hide.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convscope
import convscope.functional as F
from support import (
    PADDING_MODES,
    conv_cases,
    conv_transpose_cases,
    fold_cases,
    inner,
    our_conv,
    our_conv_transpose,
    pad_cases,
    same_sizes_output_padding,
)

ND = [1, 2, 3]


def assert_rel_close(a: float, b: float, scale: float, tol: float = 1e-10) -> None:
    assert abs(a - b) <= tol * max(1.0, scale), (a, b, scale)


def _seeded(data, shape):
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("nd", ND)
@settings(max_examples=40)
@given(data=st.data())
def test_conv_transpose_is_adjoint_of_conv(nd, data):
    """<conv(x, w), y> == <x, conv_transpose(y, w)> with output_padding reaching x's size."""
    case = data.draw(conv_cases(nd, pad_kinds=("int", "tuple")), label="case")
    x, w, _ = case.arrays()
    padding = case.padding if isinstance(case.padding, tuple) else (case.padding,) * nd
    y_shape = our_conv(nd)(x, w, None, **case.params()).shape
    y = _seeded(data, y_shape)
    out_padding = same_sizes_output_padding(
        x.shape[2:], y_shape[2:], w.shape[2:], case.stride, padding, case.dilation
    )
    # torch accepts output_padding < stride or < dilation; by construction it is < stride
    assert all(0 <= op < s for op, s in zip(out_padding, case.stride))
    xt = our_conv_transpose(nd)(
        y,
        w,
        None,
        stride=case.stride,
        padding=padding,
        output_padding=out_padding,
        groups=case.groups,
        dilation=case.dilation,
    )
    assert xt.shape == x.shape
    lhs = inner(our_conv(nd)(x, w, None, **case.params()), y)
    rhs = inner(x, xt)
    assert_rel_close(lhs, rhs, inner(np.abs(x), np.abs(xt)) + abs(lhs))


@pytest.mark.parametrize("nd", ND)
@settings(max_examples=25)
@given(data=st.data())
def test_conv_input_gradient_is_conv_transpose(nd, data):
    """vjp's input gradient equals conv_transpose of the cotangent with the same weight."""
    case = data.draw(conv_cases(nd, pad_kinds=("int", "tuple")), label="case")
    x, w, _ = case.arrays()
    padding = case.padding if isinstance(case.padding, tuple) else (case.padding,) * nd
    out, pullback = convscope.vjp(our_conv(nd), x, w, **case.params())
    cot = _seeded(data, out.shape)
    gx = pullback(cot)[0]
    op = same_sizes_output_padding(
        x.shape[2:], out.shape[2:], w.shape[2:], case.stride, padding, case.dilation
    )
    xt = our_conv_transpose(nd)(cot, w, None, case.stride, padding, op, case.groups, case.dilation)
    np.testing.assert_allclose(gx, xt, rtol=1e-10, atol=1e-10 * max(1.0, np.abs(xt).max()))


@pytest.mark.parametrize("nd", ND)
@settings(max_examples=30)
@given(data=st.data())
def test_conv_is_linear_in_input_and_weight(nd, data):
    case = data.draw(conv_cases(nd, padding_modes=PADDING_MODES), label="case")
    x, w, _ = case.arrays()
    x2, w2 = _seeded(data, x.shape), _seeded(data, w.shape)
    a, c = data.draw(st.floats(-3, 3), label="a"), data.draw(st.floats(-3, 3), label="c")
    f = our_conv(nd)
    p = case.params()
    lin_x = f(a * x + c * x2, w, None, **p)
    exp_x = a * f(x, w, None, **p) + c * f(x2, w, None, **p)
    np.testing.assert_allclose(lin_x, exp_x, rtol=1e-9, atol=1e-9 * max(1.0, np.abs(exp_x).max()))
    lin_w = f(x, a * w + c * w2, None, **p)
    exp_w = a * f(x, w, None, **p) + c * f(x, w2, None, **p)
    np.testing.assert_allclose(lin_w, exp_w, rtol=1e-9, atol=1e-9 * max(1.0, np.abs(exp_w).max()))


@pytest.mark.parametrize("nd", ND)
@settings(max_examples=20)
@given(data=st.data())
def test_conv_bias_adds_per_channel(nd, data):
    """conv(x, w, b) - conv(x, w) is b broadcast over batch and space."""
    case = data.draw(conv_cases(nd, padding_modes=PADDING_MODES, bias=True), label="case")
    x, w, b = case.arrays()
    f = our_conv(nd)
    diff = f(x, w, b, **case.params()) - f(x, w, None, **case.params())
    expected = np.broadcast_to(b.reshape((1, -1) + (1,) * nd), diff.shape)
    np.testing.assert_allclose(diff, expected, rtol=1e-9, atol=1e-9 * max(1.0, np.abs(diff).max()))


@pytest.mark.parametrize("nd", ND)
@settings(max_examples=25)
@given(data=st.data())
def test_conv_transpose_is_linear(nd, data):
    case = data.draw(conv_transpose_cases(nd), label="case")
    x, w, _ = case.arrays()
    x2, w2 = _seeded(data, x.shape), _seeded(data, w.shape)
    f = our_conv_transpose(nd)
    p = case.params()
    lin = f(2.0 * x - 0.5 * x2, w, None, **p)
    exp = 2.0 * f(x, w, None, **p) - 0.5 * f(x2, w, None, **p)
    np.testing.assert_allclose(lin, exp, rtol=1e-9, atol=1e-9 * max(1.0, np.abs(exp).max()))
    lin = f(x, 3.0 * w + w2, None, **p)
    exp = 3.0 * f(x, w, None, **p) + f(x, w2, None, **p)
    np.testing.assert_allclose(lin, exp, rtol=1e-9, atol=1e-9 * max(1.0, np.abs(exp).max()))


@settings(max_examples=50)
@given(data=st.data())
def test_fold_is_adjoint_of_unfold(data):
    """<unfold(x), c> == <x, fold(c)>."""
    case = data.draw(fold_cases(), label="case")
    cols = F.unfold(case.x, **case.params())
    c = _seeded(data, cols.shape)
    folded = F.fold(c, case.output_size, **case.params())
    assert folded.shape == case.x.shape
    lhs, rhs = inner(cols, c), inner(case.x, folded)
    assert_rel_close(lhs, rhs, inner(np.abs(cols), np.abs(c)))


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@settings(max_examples=30)
@given(data=st.data())
def test_pad_adjoint_via_vjp(mode, data):
    """<pad(x), y> == <x, pullback(y)> (pad with value 0 is linear)."""
    case = data.draw(pad_cases(mode, allow_negative=(mode == "constant")), label="case")
    kw = case.kwargs()
    kw.pop("value", None)
    out, pullback = convscope.vjp(F.pad, case.x, **kw)
    y = _seeded(data, out.shape)
    (gx,) = pullback(y)
    lhs, rhs = inner(out, y), inner(case.x, gx)
    assert_rel_close(lhs, rhs, inner(np.abs(out), np.abs(y)))


@settings(max_examples=25)
@given(data=st.data())
def test_conv_with_padding_mode_equals_pad_then_valid_conv(data):
    """conv(x, padding=p, padding_mode=m) == conv(pad(x, p, mode), padding=0)."""
    case = data.draw(
        conv_cases(2, pad_kinds=("int", "tuple", "pairs"), padding_modes=PADDING_MODES),
        label="case",
    )
    x, w, b = case.arrays()
    mode = {"zeros": "constant"}.get(case.padding_mode, case.padding_mode)
    pad = []
    for lo, hi in reversed(case.pairs):
        pad += [lo, hi]
    padded = F.pad(x, tuple(pad), mode=mode)
    direct = F.conv2d(x, w, b, **case.params())
    via_pad = F.conv2d(padded, w, b, stride=case.stride, dilation=case.dilation, groups=case.groups)
    np.testing.assert_allclose(direct, via_pad, rtol=1e-10, atol=1e-10 * max(1.0, np.abs(via_pad).max()))
