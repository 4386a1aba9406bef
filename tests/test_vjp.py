"""Gradients: ``convscope.vjp`` against ``torch.autograd.grad`` (float64, 1e-10),
plus central finite differences of convscope's own forward pass as a second,
torch-independent oracle.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st

import convscope
import convscope.functional as F
from support import (
    ALGORITHMS,
    PADDING_MODES,
    TINY_WORKSPACE,
    TRANSFORM_ALGORITHMS,
    assert_close,
    conv_cases,
    conv_transpose_cases,
    fold_cases,
    inner,
    our_conv,
    our_conv_transpose,
    pad_cases,
    tt,
)

ND = [1, 2, 3]


def _cotangent(data, shape, dtype=np.float64):
    seed = data.draw(st.integers(0, 2**32 - 1), label="cot_seed")
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _torch_vjp(forward, primals, cot):
    """(output, grads) from torch autograd; grads[i] is None where primals[i] is None."""
    ts = [None if p is None else tt(p, grad=True) for p in primals]
    out = forward(*ts)
    live = [t for t in ts if t is not None]
    gs = iter(torch.autograd.grad(out, live, tt(cot)))
    return out.detach().numpy(), [None if t is None else next(gs).numpy() for t in ts]


def _check_grads(grads, ref_grads, primals, dtype=np.float64, err_msg=""):
    assert isinstance(grads, tuple), f"pullback must return a tuple, got {type(grads).__name__}"
    assert len(grads) == len(primals), (len(grads), len(primals))
    for i, (g, r, p) in enumerate(zip(grads, ref_grads, primals)):
        if p is None:
            assert g is None, f"gradient {i} of a None primal must be None"
            continue
        assert np.shape(g) == np.shape(p), f"grad {i}: shape {np.shape(g)} != {np.shape(p)}"
        assert_close(g, r, dtype, err_msg=f"grad {i}; {err_msg}")


# ---------------------------------------------------------------------------
# against torch autograd
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("nd", ND)
@settings(max_examples=40)
@given(data=st.data())
def test_conv_vjp_matches_torch(nd, data):
    case = data.draw(conv_cases(nd, padding_modes=PADDING_MODES, allow_unbatched=True), label="case")
    x, w, b = case.arrays()
    if b is None and data.draw(st.booleans(), label="two_primals"):
        primals: tuple = (x, w)
    else:
        primals = (x, w, b)
    out, pullback = convscope.vjp(our_conv(nd), *primals, **case.params())
    cot = _cotangent(data, np.shape(out))
    ref_out, ref_grads = _torch_vjp(
        lambda *t: case.torch_forward(t[0], t[1], t[2] if len(t) > 2 else None), primals, cot
    )
    assert_close(out, ref_out, np.float64, err_msg=repr(case))
    _check_grads(pullback(cot), ref_grads, primals, err_msg=repr(case))


@pytest.mark.parametrize("padding_mode", ["reflect", "replicate", "circular"])
@settings(max_examples=20)
@given(data=st.data())
def test_conv2d_vjp_padding_modes_with_groups(padding_mode, data):
    """Non-zero padding modes fold the boundary gradient back into the input."""
    case = data.draw(conv_cases(2, padding_modes=(padding_mode,), bias=True), label="case")
    x, w, b = case.arrays()
    out, pullback = convscope.vjp(F.conv2d, x, w, b, **case.params())
    cot = _cotangent(data, np.shape(out))
    ref_out, ref_grads = _torch_vjp(case.torch_forward, (x, w, b), cot)
    assert_close(out, ref_out, np.float64, err_msg=repr(case))
    _check_grads(pullback(cot), ref_grads, (x, w, b), err_msg=repr(case))


@pytest.mark.parametrize("nd", [1, 2])
@settings(max_examples=15)
@given(data=st.data())
def test_conv_vjp_float32(nd, data):
    case = data.draw(conv_cases(nd, bias=True), label="case")
    x, w, b = case.arrays(np.float32)
    out, pullback = convscope.vjp(our_conv(nd), x, w, b, **case.params())
    cot = _cotangent(data, np.shape(out), np.float32)
    ref_out, ref_grads = _torch_vjp(case.torch_forward, (x, w, b), cot)
    assert_close(out, ref_out, np.float32, err_msg=repr(case))
    grads = pullback(cot)
    for g, r in zip(grads, ref_grads):
        assert_close(g, r, np.float32, scale=max(1.0, float(np.abs(r).max())), err_msg=repr(case))


@pytest.mark.parametrize("nd", ND)
@settings(max_examples=40)
@given(data=st.data())
def test_conv_transpose_vjp_matches_torch(nd, data):
    case = data.draw(conv_transpose_cases(nd, allow_unbatched=True), label="case")
    x, w, b = case.arrays()
    primals = (x, w, b)
    out, pullback = convscope.vjp(our_conv_transpose(nd), *primals, **case.params())
    cot = _cotangent(data, np.shape(out))
    ref_out, ref_grads = _torch_vjp(case.torch_forward, primals, cot)
    assert_close(out, ref_out, np.float64, err_msg=repr(case))
    _check_grads(pullback(cot), ref_grads, primals, err_msg=repr(case))


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@settings(max_examples=30)
@given(data=st.data())
def test_pad_vjp_matches_torch(mode, data):
    case = data.draw(pad_cases(mode, allow_negative=(mode == "constant")), label="case")
    out, pullback = convscope.vjp(F.pad, case.x, **case.kwargs())
    cot = _cotangent(data, np.shape(out))
    kw = {k: v for k, v in case.kwargs().items() if k != "pad"}
    ref_out, ref_grads = _torch_vjp(lambda t: TF.pad(t, case.pad, **kw), (case.x,), cot)
    assert_close(out, ref_out, np.float64, err_msg=repr(case))
    _check_grads(pullback(cot), ref_grads, (case.x,), err_msg=repr(case))


@settings(max_examples=40)
@given(data=st.data())
def test_unfold_vjp_matches_torch(data):
    case = data.draw(fold_cases(), label="case")
    out, pullback = convscope.vjp(F.unfold, case.x, **case.params())
    cot = _cotangent(data, np.shape(out))
    ref_out, ref_grads = _torch_vjp(lambda t: TF.unfold(t, **case.params()), (case.x,), cot)
    assert_close(out, ref_out, np.float64, err_msg=repr(case))
    _check_grads(pullback(cot), ref_grads, (case.x,), err_msg=repr(case))


@settings(max_examples=40)
@given(data=st.data())
def test_fold_vjp_matches_torch(data):
    case = data.draw(fold_cases(), label="case")
    shape = tuple(TF.unfold(tt(case.x), **case.params()).shape)
    cols = _cotangent(data, shape)
    out, pullback = convscope.vjp(F.fold, cols, output_size=case.output_size, **case.params())
    cot = _cotangent(data, np.shape(out))
    ref_out, ref_grads = _torch_vjp(lambda t: TF.fold(t, case.output_size, **case.params()), (cols,), cot)
    assert_close(out, ref_out, np.float64, err_msg=repr(case))
    _check_grads(pullback(cot), ref_grads, (cols,), err_msg=repr(case))


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("nd", ND)
@settings(max_examples=12)
@given(data=st.data())
def test_conv_and_transpose_vjp_every_algorithm_and_tiny_workspace(nd, algorithm, data):
    """The gradient kernels (input and weight) of every engine, chunked, against torch."""
    tight = data.draw(st.booleans(), label="tiny_workspace")
    tol = (1e-9, 1e-9) if algorithm in TRANSFORM_ALGORITHMS else None
    ws = TINY_WORKSPACE if tight else None
    case = data.draw(conv_cases(nd, padding_modes=PADDING_MODES, bias=True), label="case")
    x, w, b = case.arrays()
    with convscope.options(conv_algorithm=algorithm, workspace_bytes=ws):
        out, pullback = convscope.vjp(our_conv(nd), x, w, b, **case.params())
        cot = _cotangent(data, np.shape(out))
        grads = pullback(cot)
    ref_out, ref_grads = _torch_vjp(case.torch_forward, (x, w, b), cot)
    assert_close(out, ref_out, np.float64, tol=tol, err_msg=repr(case))
    for i, (g, r) in enumerate(zip(grads, ref_grads)):
        assert_close(g, r, np.float64, tol=tol, err_msg=f"conv grad {i}; {case!r}")

    tcase = data.draw(conv_transpose_cases(nd, bias=True), label="tcase")
    x, w, b = tcase.arrays()
    with convscope.options(conv_algorithm=algorithm, workspace_bytes=ws):
        out, pullback = convscope.vjp(our_conv_transpose(nd), x, w, b, **tcase.params())
        cot = _cotangent(data, np.shape(out))
        grads = pullback(cot)
    ref_out, ref_grads = _torch_vjp(tcase.torch_forward, (x, w, b), cot)
    assert_close(out, ref_out, np.float64, tol=tol, err_msg=repr(tcase))
    for i, (g, r) in enumerate(zip(grads, ref_grads)):
        assert_close(g, r, np.float64, tol=tol, err_msg=f"conv_transpose grad {i}; {tcase!r}")


def test_vjp_pullback_can_be_called_twice():
    """The pullback is a pure function of the cotangent (linear, reusable)."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 4, 6, 5))
    w = rng.standard_normal((6, 2, 3, 2))
    b = rng.standard_normal(6)
    out, pullback = convscope.vjp(F.conv2d, x, w, b, stride=2, padding=1, groups=2)
    c1, c2 = rng.standard_normal(out.shape), rng.standard_normal(out.shape)
    g1, g2, g12 = pullback(c1), pullback(c2), pullback(c1 + 2.0 * c2)
    ref = _torch_vjp(lambda a, bw, bb: TF.conv2d(a, bw, bb, stride=2, padding=1, groups=2), (x, w, b), c2)[1]
    for g, r in zip(g2, ref):
        assert_close(g, r, np.float64)
    for a, bb, ab in zip(g1, g2, g12):
        assert_close(ab, a + 2.0 * bb, np.float64)


def test_pullback_accepts_torch_cotangent_and_refuses_wrong_shape():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 2, 5, 6))
    w = rng.standard_normal((3, 2, 3, 2))
    out, pullback = convscope.vjp(F.conv2d, x, w, padding=1)
    cot = rng.standard_normal(out.shape)
    ref = _torch_vjp(lambda a, bw: TF.conv2d(a, bw, padding=1), (x, w), cot)[1]
    _check_grads(pullback(tt(cot)), ref, (x, w))
    # torch refuses a cotangent of the wrong shape, and so must we
    tx = tt(x, grad=True)
    with pytest.raises(RuntimeError):
        torch.autograd.grad(TF.conv2d(tx, tt(w), padding=1), tx, tt(cot[:1]))
    with pytest.raises((ValueError, TypeError), match=r"(?i)cotangent|shape"):
        pullback(cot[:1])


# ---------------------------------------------------------------------------
# finite differences: a second oracle that does not involve torch
# ---------------------------------------------------------------------------


def _loss(fn, primals, params, cot):
    return inner(fn(*primals, **params), cot)


def _full_fd_gradient(fn, primals, params, cot, index, h=1e-3):
    """Central-difference gradient of <fn(primals), cot> w.r.t. primals[index], entry by entry."""
    base = [np.array(p, dtype=np.float64, copy=True) if p is not None else None for p in primals]
    target = base[index]
    grad = np.zeros_like(target)
    for k in range(target.size):
        orig = target.flat[k]
        target.flat[k] = orig + h
        up = _loss(fn, base, params, cot)
        target.flat[k] = orig - h
        down = _loss(fn, base, params, cot)
        target.flat[k] = orig
        grad.flat[k] = (up - down) / (2 * h)
    return grad


@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "circular"])
def test_conv2d_gradient_by_central_differences(padding_mode):
    """Every entry of dL/dx, dL/dw, dL/db on a tiny strided, dilated, grouped conv2d."""
    rng = np.random.default_rng(42)
    x = rng.standard_normal((2, 4, 5, 6))
    w = rng.standard_normal((6, 2, 3, 2))
    b = rng.standard_normal(6)
    params = dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2)
    if padding_mode != "zeros":
        params["padding_mode"] = padding_mode
    out, pullback = convscope.vjp(F.conv2d, x, w, b, **params)
    cot = rng.standard_normal(out.shape)
    grads = pullback(cot)
    for i in range(3):
        fd = _full_fd_gradient(F.conv2d, (x, w, b), params, cot, i)
        scale = max(1.0, float(np.abs(fd).max()))
        np.testing.assert_allclose(grads[i], fd, rtol=1e-6, atol=1e-8 * scale, err_msg=f"primal {i}")


def test_conv_transpose2d_gradient_by_central_differences():
    rng = np.random.default_rng(43)
    x = rng.standard_normal((2, 4, 3, 4))
    w = rng.standard_normal((4, 3, 3, 2))
    b = rng.standard_normal(6)
    params = dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2), groups=2, dilation=(1, 2))
    out, pullback = convscope.vjp(F.conv_transpose2d, x, w, b, **params)
    cot = rng.standard_normal(out.shape)
    grads = pullback(cot)
    for i in range(3):
        fd = _full_fd_gradient(F.conv_transpose2d, (x, w, b), params, cot, i)
        scale = max(1.0, float(np.abs(fd).max()))
        np.testing.assert_allclose(grads[i], fd, rtol=1e-6, atol=1e-8 * scale, err_msg=f"primal {i}")


def _directional_check(fn, primals, params, data, h=1e-2):
    """d/dt <fn(p + t v), c> at t = 0 by central differences == sum_i <grad_i, v_i>.

    Every operator here is linear in each primal separately (conv is bilinear in
    input and weight), so the central difference is exact up to rounding.
    """
    out, pullback = convscope.vjp(fn, *primals, **params)
    cot = _cotangent(data, np.shape(out))
    grads = pullback(cot)
    dirs = [None if p is None else _cotangent(data, np.shape(p)) for p in primals]
    plus = [None if p is None else p + h * v for p, v in zip(primals, dirs)]
    minus = [None if p is None else p - h * v for p, v in zip(primals, dirs)]
    fd = (_loss(fn, plus, params, cot) - _loss(fn, minus, params, cot)) / (2 * h)
    predicted = math.fsum(inner(g, v) for g, v in zip(grads, dirs) if v is not None)
    # scale of rounding: |out| * |cot| summed
    scale = max(1.0, inner(np.abs(out), np.abs(cot)))
    assert abs(fd - predicted) <= 1e-9 * scale + 1e-7 * abs(predicted), (fd, predicted, scale)


@pytest.mark.parametrize("nd", ND)
@settings(max_examples=25)
@given(data=st.data())
def test_conv_directional_derivative(nd, data):
    case = data.draw(conv_cases(nd, padding_modes=PADDING_MODES), label="case")
    _directional_check(our_conv(nd), case.arrays(), case.params(), data)


@pytest.mark.parametrize("nd", ND)
@settings(max_examples=25)
@given(data=st.data())
def test_conv_transpose_directional_derivative(nd, data):
    case = data.draw(conv_transpose_cases(nd), label="case")
    _directional_check(our_conv_transpose(nd), case.arrays(), case.params(), data)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@settings(max_examples=20)
@given(data=st.data())
def test_pad_directional_derivative(mode, data):
    case = data.draw(pad_cases(mode), label="case")
    kw = case.kwargs()
    kw.pop("value", None)  # value shifts the output but not the derivative; keep it linear
    _directional_check(F.pad, (case.x,), kw, data)


MEDIUM = {1: (8, 32, (700,)), 2: (4, 16, (50, 45)), 3: (2, 8, (20, 22, 21))}


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("nd", ND)
@settings(max_examples=3)
@given(data=st.data())
def test_conv_medium_size_forward_and_vjp(nd, algorithm, data):
    """Inputs over 1 MiB, where copies are split over threads, forward and gradients."""
    n, c, spatial = MEDIUM[nd]
    groups = data.draw(st.sampled_from([1, 2, c]), label="groups")
    cout = data.draw(st.sampled_from([groups, 2 * groups]), label="cout")
    kernel = tuple(data.draw(st.integers(1, 3 if nd == 3 else 4), label="k") for _ in range(nd))
    stride = tuple(data.draw(st.integers(1, 2), label="s") for _ in range(nd))
    padding = tuple(data.draw(st.integers(0, 2), label="p") for _ in range(nd))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    x = rng.standard_normal((n, c, *spatial))
    w = rng.standard_normal((cout, c // groups, *kernel))
    b = rng.standard_normal(cout)
    params = dict(stride=stride, padding=padding, groups=groups)
    tol = (1e-9, 1e-9) if algorithm in TRANSFORM_ALGORITHMS else None
    with convscope.options(conv_algorithm=algorithm):
        out, pullback = convscope.vjp(our_conv(nd), x, w, b, **params)
        cot = rng.standard_normal(out.shape)
        grads = pullback(cot)
    torch_conv = {1: TF.conv1d, 2: TF.conv2d, 3: TF.conv3d}[nd]
    ref_out, ref_grads = _torch_vjp(lambda a, bw, bb: torch_conv(a, bw, bb, **params), (x, w, b), cot)
    assert_close(out, ref_out, np.float64, tol=tol)
    for i, (g, r) in enumerate(zip(grads, ref_grads)):
        assert_close(g, r, np.float64, tol=tol, err_msg=f"grad {i}")
