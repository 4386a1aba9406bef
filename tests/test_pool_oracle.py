"""Pooling and max-unpooling against ``torch.nn.functional``, values and gradients.

Max pooling only selects elements, so its values (and its ``return_indices``)
must agree with torch *exactly*, ties and NaNs included; averaging, power and
adaptive pooling are held to the dtype tolerance of ``support.assert_close``.
Gradients are ``convscope.vjp`` against ``torch.autograd.grad`` with a random
cotangent. Every configuration drawn is one torch accepts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import convscope
import convscope.functional as F
from support import assert_close, to_numpy, tt

ND = [1, 2, 3]


def ours(name: str, nd: int):
    return getattr(F, f"{name}{nd}d")


def theirs(name: str, nd: int):
    return getattr(TF, f"{name}{nd}d")


def _assert_exact(out, ref, dtype, err_msg=""):
    ref = to_numpy(ref)
    assert isinstance(out, np.ndarray), f"expected a numpy array, got {type(out).__name__}"
    assert out.dtype == np.dtype(dtype), f"dtype {out.dtype} != {np.dtype(dtype)}. {err_msg}"
    assert out.shape == ref.shape, f"shape {out.shape} != torch's {ref.shape}. {err_msg}"
    np.testing.assert_array_equal(out, ref, err_msg=err_msg)


def _assert_indices(idx, ref, err_msg=""):
    ref = to_numpy(ref)
    assert isinstance(idx, np.ndarray), f"indices must be a numpy array, got {type(idx).__name__}"
    assert idx.dtype == np.int64, f"indices dtype {idx.dtype} != int64"
    assert idx.shape == ref.shape, f"indices shape {idx.shape} != torch's {ref.shape}. {err_msg}"
    np.testing.assert_array_equal(idx, ref, err_msg=f"indices differ from torch's. {err_msg}")


def _compute(dtype) -> Any:
    """torch computes float16 references in float32 (on the float16-rounded inputs)."""
    return np.float32 if np.dtype(dtype) == np.float16 else dtype


def _cotangent(data, shape, dtype=np.float64):
    seed = data.draw(st.integers(0, 2**32 - 1), label="cot_seed")
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _torch_grad(forward, x, cot):
    """(output, d<cot, forward(x)>/dx) by torch autograd."""
    t = tt(x, grad=True)
    out = forward(t)
    if isinstance(out, tuple):
        out = out[0]
    (g,) = torch.autograd.grad(out, [t], tt(cot))
    return out.detach().numpy(), g.numpy()


def _check_pullback(grads, ref, x, dtype=np.float64, err_msg=""):
    assert isinstance(grads, tuple), f"pullback must return a tuple, got {type(grads).__name__}"
    assert len(grads) == 1, len(grads)
    assert np.shape(grads[0]) == np.shape(x), (np.shape(grads[0]), np.shape(x))
    assert_close(grads[0], ref, dtype, scale=max(1.0, float(np.abs(ref).max(initial=0.0))), err_msg=err_msg)


def _fmt(draw, values: tuple[int, ...]) -> Any:
    """Pass a per-axis parameter as an int (when all equal, sometimes) or as a tuple."""
    if len(set(values)) == 1 and draw(st.booleans()):
        return values[0]
    return tuple(values)


# ---------------------------------------------------------------------------
# configurations
# ---------------------------------------------------------------------------


@dataclass
class PoolCase:
    nd: int
    x: np.ndarray
    kernel: Any
    stride: Any  # None: torch's default (the kernel)
    padding: Any
    dilation: Any
    ceil_mode: bool

    def max_kw(self) -> dict[str, Any]:
        return dict(
            kernel_size=self.kernel,
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            ceil_mode=self.ceil_mode,
        )

    def avg_kw(self) -> dict[str, Any]:
        return dict(
            kernel_size=self.kernel, stride=self.stride, padding=self.padding, ceil_mode=self.ceil_mode
        )

    def __repr__(self) -> str:
        return (
            f"PoolCase(nd={self.nd}, x{tuple(self.x.shape)}, kernel={self.kernel!r}, stride={self.stride!r}, "
            f"padding={self.padding!r}, dilation={self.dilation!r}, ceil_mode={self.ceil_mode})"
        )


def _has_empty_window(nd, sizes, kw) -> bool:
    """A dilated window lying wholly in the padding (torch answers -inf there); asked of torch."""
    probe = torch.zeros((1, 1, *sizes), dtype=torch.float64)
    return bool(torch.isinf(theirs("max_pool", nd)(probe, **kw)).any())


@st.composite
def pool_cases(
    draw,
    nd: int,
    *,
    dilation: bool = True,
    padding: bool = True,
    allow_unbatched: bool = True,
    values: str = "normal",
    kernel_fits: bool = False,
) -> PoolCase:
    """A pooling geometry torch accepts: padding <= kernel // 2 and an output of size >= 1.

    ``values``: "normal" (distinct reals, no ties), "positive" (in [0.5, 2.5)),
    "ties" (small integers as floats: many ties). ``kernel_fits``: the kernel fits the
    *unpadded* input too (torch's avg_pool3d demands it; 1-d/2-d only need the padded one).
    """
    small = nd == 3
    kmax = 3 if small else 4
    kernel = tuple(draw(st.integers(1, kmax)) for _ in range(nd))
    dil = tuple(draw(st.integers(1, 2 if small else 3)) if dilation else 1 for _ in range(nd))
    pads = tuple(draw(st.integers(0, k // 2)) if padding else 0 for k in kernel)
    stride = None if draw(st.booleans()) else tuple(draw(st.integers(1, 3)) for _ in range(nd))
    ceil_mode = draw(st.booleans())
    mins = [max(1, d * (k - 1) + 1 - (0 if kernel_fits else 2 * p)) for k, d, p in zip(kernel, dil, pads)]
    sizes = tuple(m + draw(st.integers(0, 3 if small else 5)) for m in mins)
    c = draw(st.integers(1, 2 if small else 3))
    n = draw(st.integers(1, 2))
    batched = draw(st.booleans()) if allow_unbatched else True
    shape = ((n,) if batched else ()) + (c, *sizes)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if values == "normal":
        x = rng.standard_normal(shape)
    elif values == "positive":
        x = rng.uniform(0.5, 2.5, shape)
    elif values == "ties":
        x = rng.integers(-2, 3, shape).astype(np.float64)
    else:  # pragma: no cover
        raise AssertionError(values)
    case = PoolCase(
        nd,
        x,
        _fmt(draw, kernel),
        None if stride is None else _fmt(draw, stride),
        _fmt(draw, pads),
        _fmt(draw, dil),
        ceil_mode,
    )
    if dilation:
        assume(not _has_empty_window(nd, sizes, case.max_kw()))
    return case


# ---------------------------------------------------------------------------
# max pooling
# ---------------------------------------------------------------------------


def _assert_pooled(out, ref, ref_idx, with_indices: bool, msg: str) -> None:
    """``out`` is torch's float64 values, and with ``with_indices`` a (values, indices) pair."""
    if with_indices:
        assert isinstance(out, tuple) and len(out) == 2, type(out)
        _assert_exact(out[0], ref, np.float64, msg)
        _assert_indices(out[1], ref_idx, msg)
    else:
        _assert_exact(out, ref, np.float64, msg)


@pytest.mark.parametrize("nd", ND)
@given(data=st.data())
def test_max_pool_matches_torch_exactly(nd, data):
    case = data.draw(pool_cases(nd), label="case")
    x0 = case.x.copy()
    with_indices = data.draw(st.booleans(), label="return_indices")
    out = ours("max_pool", nd)(case.x, **case.max_kw(), return_indices=with_indices)
    ref, ref_idx = theirs("max_pool", nd)(tt(case.x), **case.max_kw(), return_indices=True)
    _assert_pooled(out, ref, ref_idx, with_indices, repr(case))
    np.testing.assert_array_equal(case.x, x0)  # the input is not modified


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("nd", ND)
@settings(max_examples=15)
@given(data=st.data())
def test_max_pool_float32_float16(nd, dtype, data):
    """Values are copies, so exact; float16 against torch in float32 on the rounded inputs."""
    case = data.draw(pool_cases(nd), label="case")
    x = case.x.astype(dtype)
    vals, idx = ours("max_pool", nd)(x, **case.max_kw(), return_indices=True)
    ref, ref_idx = theirs("max_pool", nd)(tt(x, _compute(dtype)), **case.max_kw(), return_indices=True)
    _assert_exact(vals, to_numpy(ref).astype(dtype), dtype, repr(case))
    _assert_indices(idx, ref_idx, repr(case))


@pytest.mark.parametrize("nd", ND)
@settings(max_examples=25)
@given(data=st.data())
def test_max_pool_ties_pick_torch_element(nd, data):
    """Small-integer inputs tie everywhere; the index must be the one torch picks (the first)."""
    case = data.draw(pool_cases(nd, values="ties"), label="case")
    vals, idx = ours("max_pool", nd)(case.x, **case.max_kw(), return_indices=True)
    ref, ref_idx = theirs("max_pool", nd)(tt(case.x), **case.max_kw(), return_indices=True)
    _assert_exact(vals, ref, np.float64, repr(case))
    _assert_indices(idx, ref_idx, repr(case))


@pytest.mark.parametrize("dtype", [np.int64, np.int32])
@pytest.mark.parametrize("nd", ND)
@settings(max_examples=15)
@given(data=st.data())
def test_max_pool_integers_like_torch(nd, dtype, data):
    """torch max-pools integer tensors (1-d: only with return_indices); exact, beyond 2**53."""
    case = data.draw(pool_cases(nd), label="case")
    info = np.iinfo(dtype)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    x = rng.integers(info.min // 2, info.max // 2, size=case.x.shape, dtype=dtype)
    if dtype == np.int64:
        x.flat[0] = 2**62 + 1  # not representable in float64
        x.flat[-1] = 2**62
    vals, idx = ours("max_pool", nd)(x, **case.max_kw(), return_indices=True)
    ref, ref_idx = theirs("max_pool", nd)(torch.from_numpy(x.copy()), **case.max_kw(), return_indices=True)
    _assert_exact(vals, ref, dtype, repr(case))
    _assert_indices(idx, ref_idx, repr(case))
    if nd > 1:  # torch's 1-d int path exists only with indices
        ref = theirs("max_pool", nd)(torch.from_numpy(x.copy()), **case.max_kw())
        _assert_exact(ours("max_pool", nd)(x, **case.max_kw()), ref, dtype, repr(case))


@pytest.mark.parametrize("op", ["avg_pool", "lp_pool"])
@pytest.mark.parametrize("nd", ND)
@settings(max_examples=10)
@given(data=st.data())
def test_avg_and_lp_pool_int64_like_torch_or_refused(nd, op, data):
    """torch average-pools int64 (truncating) and lp-pools it into float32: convscope must give
    torch's dtype and values, or refuse with a TypeError/ValueError -- never another answer."""
    case = data.draw(
        pool_cases(nd, dilation=False, padding=op == "avg_pool", kernel_fits=nd == 3), label="case"
    )
    x = np.random.default_rng(0).integers(-6, 7, size=case.x.shape, dtype=np.int64)
    if op == "avg_pool":
        args: tuple = ()
        kw = case.avg_kw()
    else:
        args = (data.draw(st.sampled_from([1, 2, 3]), label="norm_type"),)
        kw = _lp_args(case, nd)
    ref = to_numpy(theirs(op, nd)(torch.from_numpy(x.copy()), *args, **kw))
    try:
        out = ours(op, nd)(x, *args, **kw)
    except (TypeError, ValueError):
        return  # refusing integers is allowed (the API promises float outputs)
    assert out.dtype == ref.dtype, f"dtype {out.dtype} != torch's {ref.dtype}; {case!r} {args}"
    if ref.dtype.kind == "f":
        assert_close(out, ref, ref.dtype, err_msg=f"{case!r} {args}")
    else:
        _assert_exact(out, ref, ref.dtype, f"{case!r} {args}")


@pytest.mark.parametrize("nd", ND)
@settings(max_examples=20)
@given(data=st.data())
def test_max_pool_nan_propagates_like_torch(nd, data):
    """A NaN in a window wins (torch: ``val > max || isnan(val)``; the last NaN's index)."""
    case = data.draw(pool_cases(nd), label="case")
    x = case.x.copy()
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    x[rng.random(x.shape) < 0.15] = np.nan
    x[rng.random(x.shape) < 0.1] = -np.inf
    vals, idx = ours("max_pool", nd)(x, **case.max_kw(), return_indices=True)
    ref, ref_idx = theirs("max_pool", nd)(tt(x), **case.max_kw(), return_indices=True)
    _assert_exact(vals, ref, np.float64, repr(case))  # assert_array_equal: NaN == NaN
    _assert_indices(idx, ref_idx, repr(case))


# (input size, kernel, stride, padding, dilation): with ceil_mode the formula's last window
# would start in the right padding (or past the input) and torch drops it.
CEIL_EDGES = [
    (5, 2, 2, 1, 1),  # (5+2-2)/2 -> ceil 3.5; the 4th window would start at 5 (padding): dropped
    (6, 3, 2, 1, 1),
    (4, 2, 3, 1, 1),
    (8, 2, 3, 1, 1),
    (5, 4, 3, 2, 1),
    (6, 2, 4, 1, 1),
    (4, 2, 2, 1, 2),
    (8, 3, 3, 1, 2),
    (6, 3, 2, 0, 1),  # no padding: the last window runs past the input
    (2, 2, 3, 1, 1),
]


@pytest.mark.parametrize("nd", ND)
@pytest.mark.parametrize("edge", CEIL_EDGES, ids=[str(e) for e in CEIL_EDGES])
def test_pool_ceil_mode_edges(nd, edge):
    size, k, s, p, d = edge
    sizes = tuple(size + i for i in range(nd))  # the first axis is the edge; others nearby
    x = np.random.default_rng(size * 31 + k).standard_normal((2, 2, *sizes))
    kw = dict(kernel_size=k, stride=s, padding=p, ceil_mode=True)
    ref, ref_idx = theirs("max_pool", nd)(tt(x), **kw, dilation=d, return_indices=True)
    if not torch.isinf(ref).any():
        vals, idx = ours("max_pool", nd)(x, **kw, dilation=d, return_indices=True)
        _assert_exact(vals, ref, np.float64, str(edge))
        _assert_indices(idx, ref_idx, str(edge))
    for cip in (True, False):
        ref = theirs("avg_pool", nd)(tt(x), **kw, count_include_pad=cip)
        assert_close(ours("avg_pool", nd)(x, **kw, count_include_pad=cip), ref, np.float64, err_msg=str(edge))
        if nd > 1:
            ref = theirs("avg_pool", nd)(tt(x), **kw, count_include_pad=cip, divisor_override=3)
            out = ours("avg_pool", nd)(x, **kw, count_include_pad=cip, divisor_override=3)
            assert_close(out, ref, np.float64, err_msg=str(edge))
    lp_kw = dict(kernel_size=k, stride=s, ceil_mode=True)
    if all(n >= k for n in sizes):
        xp = np.abs(x) + 0.5
        ref = theirs("lp_pool", nd)(tt(xp), 2, **lp_kw)
        assert_close(ours("lp_pool", nd)(xp, 2, **lp_kw), ref, np.float64, err_msg=str(edge))


def test_max_pool_window_wholly_in_padding_is_minus_inf_like_torch():
    """Dilation can leave a window with no input element; torch outputs -inf there."""
    x = np.random.default_rng(0).standard_normal((1, 2, 2))
    kw = dict(kernel_size=2, stride=1, padding=1, dilation=3)
    ref = TF.max_pool1d(tt(x), **kw)
    assert torch.isinf(ref).all()
    _assert_exact(F.max_pool1d(x, **kw), ref, np.float64)


def test_pool_accepts_torch_tensors_and_lists():
    x = np.random.default_rng(1).standard_normal((2, 3, 6, 5))
    ref = TF.max_pool2d(tt(x), 3, 2, 1)
    _assert_exact(F.max_pool2d(tt(x), 3, 2, 1), ref, np.float64)
    _assert_exact(F.max_pool2d(x.tolist(), 3, 2, 1), ref, np.float64)
    assert_close(F.avg_pool2d(tt(x), 2), TF.avg_pool2d(tt(x), 2), np.float64)


def test_pool_defaults_match_torch_signature():
    """stride defaults to the kernel, padding 0, dilation 1, floor mode, count_include_pad=True."""
    x = np.random.default_rng(2).standard_normal((1, 2, 7, 9))
    _assert_exact(F.max_pool2d(x, 3), TF.max_pool2d(tt(x), 3), np.float64)
    assert_close(F.avg_pool2d(x, 3, padding=1), TF.avg_pool2d(tt(x), 3, padding=1), np.float64)
    assert_close(F.lp_pool2d(np.abs(x), 2, 3), TF.lp_pool2d(tt(np.abs(x)), 2, 3), np.float64)
    out = F.max_pool2d(x, 3, 2, 0, 1, False, True)  # positional, as torch's order
    ref = TF.max_pool2d(tt(x), 3, 2, 0, 1, False, True)
    _assert_exact(out[0], ref[0], np.float64)
    _assert_indices(out[1], ref[1])


# ---------------------------------------------------------------------------
# average pooling
# ---------------------------------------------------------------------------


def _torch_avg(nd, t, kw, count_include_pad, divisor_override):
    """torch's avg_pool; for 1-d with divisor_override (convscope's extension) via avg_pool2d."""
    if nd == 1 and divisor_override is not None:

        def lift(v, first):
            return None if v is None else (first, *np.atleast_1d(v).tolist())

        out = TF.avg_pool2d(
            t.unsqueeze(-2),
            kernel_size=lift(kw["kernel_size"], 1),
            stride=lift(kw["stride"], 1),
            padding=lift(kw["padding"], 0),
            ceil_mode=kw["ceil_mode"],
            count_include_pad=count_include_pad,
            divisor_override=divisor_override,
        )
        return out.squeeze(-2)
    if nd == 1:
        return TF.avg_pool1d(t, **kw, count_include_pad=count_include_pad)
    return theirs("avg_pool", nd)(
        t, **kw, count_include_pad=count_include_pad, divisor_override=divisor_override
    )


def _avg_options(data, nd):
    cip = data.draw(st.booleans(), label="count_include_pad")
    div = data.draw(st.one_of(st.none(), st.integers(1, 7)), label="divisor_override")
    return cip, div


@pytest.mark.parametrize("nd", ND)
@given(data=st.data())
def test_avg_pool_matches_torch(nd, data):
    case = data.draw(pool_cases(nd, dilation=False, kernel_fits=nd == 3), label="case")
    cip, div = _avg_options(data, nd)
    kw = case.avg_kw()
    extra = dict(count_include_pad=cip) if div is None else dict(count_include_pad=cip, divisor_override=div)
    out = ours("avg_pool", nd)(case.x, **kw, **extra)
    ref = _torch_avg(nd, tt(case.x), kw, cip, div)
    assert_close(out, ref, np.float64, err_msg=f"{case!r} cip={cip} div={div}")


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("nd", ND)
@settings(max_examples=15)
@given(data=st.data())
def test_avg_pool_float32_float16(nd, dtype, data):
    case = data.draw(pool_cases(nd, dilation=False, kernel_fits=nd == 3), label="case")
    cip, div = _avg_options(data, nd)
    x = case.x.astype(dtype)
    extra = dict(count_include_pad=cip) if div is None else dict(count_include_pad=cip, divisor_override=div)
    out = ours("avg_pool", nd)(x, **case.avg_kw(), **extra)
    ref = _torch_avg(nd, tt(x, _compute(dtype)), case.avg_kw(), cip, div)
    assert_close(out, ref, dtype, err_msg=repr(case))


def test_avg_pool_border_divisors_like_torch():
    """A constant input shows every border divisor (count_include_pad, ceil_mode) at once."""
    x = np.ones((1, 1, 5, 7))
    for cip in (True, False):
        for ceil_mode in (True, False):
            kw = dict(
                kernel_size=(3, 4), stride=(2, 3), padding=(1, 2), ceil_mode=ceil_mode, count_include_pad=cip
            )
            assert_close(F.avg_pool2d(x, **kw), TF.avg_pool2d(tt(x), **kw), np.float64, err_msg=str(kw))


# ---------------------------------------------------------------------------
# power-average pooling
# ---------------------------------------------------------------------------

NORMS = [1, 2, 3, 1.5]


def _lp_args(case: PoolCase, nd: int) -> dict[str, Any]:
    # torch's lp_pool1d multiplies by kernel_size, so it needs an int there
    k = case.kernel
    if nd == 1 and not isinstance(k, int):
        k = k[0]
    s = case.stride
    return dict(kernel_size=k, stride=s, ceil_mode=case.ceil_mode)


def _lp_input(case: PoolCase, norm_type) -> np.ndarray:
    """Signed inputs for p = 1, 2 (torch's answer is real there); positive ones otherwise
    (torch gives NaN for a negative power sum under an odd root, or x**1.5 of x < 0)."""
    if norm_type in (1, 2):
        return case.x
    return np.abs(case.x) + 0.25


@pytest.mark.parametrize("norm_type", NORMS)
@pytest.mark.parametrize("nd", ND)
@settings(max_examples=25)
@given(data=st.data())
def test_lp_pool_matches_torch(nd, norm_type, data):
    case = data.draw(pool_cases(nd, dilation=False, padding=False), label="case")
    x = _lp_input(case, norm_type)
    kw = _lp_args(case, nd)
    out = ours("lp_pool", nd)(x, norm_type, **kw)
    ref = theirs("lp_pool", nd)(tt(x), norm_type, **kw)
    assert_close(out, ref, np.float64, err_msg=f"{case!r} p={norm_type}")


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("nd", ND)
@settings(max_examples=12)
@given(data=st.data())
def test_lp_pool_float32_float16(nd, dtype, data):
    case = data.draw(pool_cases(nd, dilation=False, padding=False, values="positive"), label="case")
    p = data.draw(st.sampled_from(NORMS), label="norm_type")
    x = case.x.astype(dtype)
    kw = _lp_args(case, nd)
    ref = theirs("lp_pool", nd)(tt(x, _compute(dtype)), p, **kw)
    assert_close(ours("lp_pool", nd)(x, p, **kw), ref, dtype, err_msg=f"{case!r} p={p}")


# ---------------------------------------------------------------------------
# adaptive pooling
# ---------------------------------------------------------------------------


@dataclass
class AdaptiveCase:
    nd: int
    x: np.ndarray
    output_size: Any

    def __repr__(self) -> str:
        return f"AdaptiveCase(nd={self.nd}, x{tuple(self.x.shape)}, output_size={self.output_size!r})"


@st.composite
def adaptive_cases(draw, nd: int, *, values: str = "normal", allow_zero: bool = False) -> AdaptiveCase:
    """Output sizes smaller and larger than the input; None entries (2-d/3-d, as torch)."""
    small = nd == 3
    sizes = tuple(draw(st.integers(1, 5 if small else 9)) for _ in range(nd))
    lo = 0 if allow_zero else 1
    outs: list[Any] = [draw(st.integers(lo, n + (2 if small else 4))) for n in sizes]
    if nd > 1:
        outs = [None if draw(st.integers(0, 4)) == 0 else o for o in outs]
    if nd == 1:
        output_size: Any = outs[0] if draw(st.booleans()) else (outs[0],)
    elif len(set(outs)) == 1 and outs[0] is not None and draw(st.booleans()):
        output_size = outs[0]
    else:
        output_size = tuple(outs)
    c = draw(st.integers(1, 3))
    batched = draw(st.booleans())
    shape = ((draw(st.integers(1, 2)),) if batched else ()) + (c, *sizes)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.integers(-1, 2, shape).astype(np.float64) if values == "ties" else rng.standard_normal(shape)
    return AdaptiveCase(nd, x, output_size)


@pytest.mark.parametrize("nd", ND)
@given(data=st.data())
def test_adaptive_avg_pool_matches_torch(nd, data):
    case = data.draw(adaptive_cases(nd), label="case")
    out = ours("adaptive_avg_pool", nd)(case.x, case.output_size)
    ref = theirs("adaptive_avg_pool", nd)(tt(case.x), case.output_size)
    assert_close(out, ref, np.float64, err_msg=repr(case))


@pytest.mark.parametrize("nd", ND)
@given(data=st.data())
def test_adaptive_max_pool_matches_torch(nd, data):
    values = data.draw(st.sampled_from(["normal", "ties"]), label="values")
    case = data.draw(adaptive_cases(nd, values=values), label="case")
    with_indices = data.draw(st.booleans(), label="return_indices")
    out = ours("adaptive_max_pool", nd)(case.x, case.output_size, return_indices=with_indices)
    ref, ref_idx = theirs("adaptive_max_pool", nd)(tt(case.x), case.output_size, return_indices=True)
    _assert_pooled(out, ref, ref_idx, with_indices, repr(case))


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("nd", ND)
@settings(max_examples=12)
@given(data=st.data())
def test_adaptive_pools_float32_float16(nd, dtype, data):
    case = data.draw(adaptive_cases(nd), label="case")
    x = case.x.astype(dtype)
    ref = theirs("adaptive_avg_pool", nd)(tt(x, _compute(dtype)), case.output_size)
    assert_close(ours("adaptive_avg_pool", nd)(x, case.output_size), ref, dtype, err_msg=repr(case))
    vals, idx = ours("adaptive_max_pool", nd)(x, case.output_size, return_indices=True)
    ref, ref_idx = theirs("adaptive_max_pool", nd)(
        tt(x, _compute(dtype)), case.output_size, return_indices=True
    )
    _assert_exact(vals, to_numpy(ref).astype(dtype), dtype, repr(case))
    _assert_indices(idx, ref_idx, repr(case))


@pytest.mark.parametrize("nd", [2, 3])
def test_adaptive_zero_output_size_like_torch(nd):
    """torch accepts a 0 in output_size and returns an empty array of that shape."""
    x = np.random.default_rng(3).standard_normal((2, 3, *range(4, 4 + nd)))
    size = (0,) + (2,) * (nd - 1)
    assert_close(
        ours("adaptive_avg_pool", nd)(x, size), theirs("adaptive_avg_pool", nd)(tt(x), size), np.float64
    )
    vals, idx = ours("adaptive_max_pool", nd)(x, size, return_indices=True)
    ref, ref_idx = theirs("adaptive_max_pool", nd)(tt(x), size, return_indices=True)
    _assert_exact(vals, ref, np.float64)
    _assert_indices(idx, ref_idx)


def test_adaptive_nan_like_torch():
    x = np.random.default_rng(4).standard_normal((2, 3, 7, 5))
    x[0, 1, 2, 3] = x[1, 0, 6, 0] = x[1, 0, 5, 1] = np.nan
    vals, idx = F.adaptive_max_pool2d(x, (3, 4), return_indices=True)
    ref, ref_idx = TF.adaptive_max_pool2d(tt(x), (3, 4), return_indices=True)
    _assert_exact(vals, ref, np.float64)
    _assert_indices(idx, ref_idx)
    assert_close(F.adaptive_avg_pool2d(x, (3, 4)), TF.adaptive_avg_pool2d(tt(x), (3, 4)), np.float64)


# ---------------------------------------------------------------------------
# max unpooling
# ---------------------------------------------------------------------------


@dataclass
class UnpoolCase:
    nd: int
    y: np.ndarray
    indices: np.ndarray
    kernel: Any
    stride: Any
    padding: Any
    output_size: Any

    def kw(self) -> dict[str, Any]:
        return dict(
            kernel_size=self.kernel, stride=self.stride, padding=self.padding, output_size=self.output_size
        )

    def torch_forward(self, t):
        return theirs("max_unpool", self.nd)(t, torch.from_numpy(self.indices.copy()), **self.kw())

    def __repr__(self) -> str:
        return (
            f"UnpoolCase(nd={self.nd}, y{tuple(self.y.shape)}, kernel={self.kernel!r}, "
            f"stride={self.stride!r}, padding={self.padding!r}, output_size={self.output_size!r})"
        )


def _default_unpool_size(in_sizes, k, s, p):
    return [(i - 1) * s_ - 2 * p_ + k_ for i, k_, s_, p_ in zip(in_sizes, k, s, p)]


@st.composite
def unpool_cases(draw, nd: int, *, random_indices: bool = False) -> UnpoolCase:
    """Indices from torch's own max_pool(return_indices=True), or unique random ones per plane.

    output_size: None, the pooled input's own size (when torch allows it), or another size in
    torch's open range (default - stride, default + stride) that holds every index.
    """
    case = draw(pool_cases(nd, dilation=False), label="pool")
    x = case.x
    sp = x.shape[-nd:]
    k = np.broadcast_to(case.kernel, (nd,)).tolist()
    s = k if case.stride is None else np.broadcast_to(case.stride, (nd,)).tolist()
    p = np.broadcast_to(case.padding, (nd,)).tolist()
    kw = dict(kernel_size=case.kernel, stride=case.stride, padding=case.padding)
    y, idx = theirs("max_pool", nd)(tt(x), **kw, ceil_mode=case.ceil_mode, return_indices=True)
    y, idx = y.numpy(), idx.numpy()
    default = _default_unpool_size(y.shape[-nd:], k, s, p)
    assume(all(d >= 1 for d in default))
    choice = draw(st.sampled_from(["none", "input", "random"]), label="output_size")
    lo = [max(1, d - s_ + 1) for d, s_ in zip(default, s)]
    hi = [d + s_ - 1 for d, s_ in zip(default, s)]
    if choice == "input" and all(a <= n <= b for a, n, b in zip(lo, sp, hi)):
        sizes = list(sp)
    elif choice == "random":
        sizes = [draw(st.integers(a, b)) for a, b in zip(lo, hi)]
    else:
        sizes = default
    plane = int(np.prod(sizes))
    if random_indices:
        assume(plane >= int(np.prod(y.shape[-nd:])))
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        lead = y.shape[:-nd]
        m = int(np.prod(y.shape[-nd:]))
        flat = [rng.permutation(plane)[:m] for _ in range(int(np.prod(lead)))]
        idx = np.stack(flat).reshape(y.shape).astype(np.int64) if flat else idx
    assume(idx.size == 0 or int(idx.max()) < plane)
    if choice == "none":
        output_size = None
    else:
        full = draw(st.booleans()) and y.ndim == nd + 2
        output_size = (tuple(y.shape[:2]) if full else ()) + tuple(sizes)
        if not full and nd == 1 and draw(st.booleans()):
            output_size = list(output_size)
    return UnpoolCase(nd, y, idx, case.kernel, case.stride, case.padding, output_size)


@pytest.mark.parametrize("random_indices", [False, True], ids=["pool_indices", "random_indices"])
@pytest.mark.parametrize("nd", ND)
@given(data=st.data())
def test_max_unpool_matches_torch(nd, random_indices, data):
    case = data.draw(unpool_cases(nd, random_indices=random_indices), label="case")
    idx0 = case.indices.copy()
    out = ours("max_unpool", nd)(case.y, case.indices, **case.kw())
    ref = case.torch_forward(tt(case.y))
    _assert_exact(out, ref, np.float64, repr(case))
    np.testing.assert_array_equal(case.indices, idx0)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("nd", ND)
@settings(max_examples=10)
@given(data=st.data())
def test_max_unpool_float32_float16(nd, dtype, data):
    case = data.draw(unpool_cases(nd), label="case")
    y = case.y.astype(dtype)
    ref = to_numpy(case.torch_forward(tt(y, _compute(dtype)))).astype(dtype)
    _assert_exact(ours("max_unpool", nd)(y, case.indices, **case.kw()), ref, dtype, repr(case))


def test_max_unpool_inverts_max_pool_at_the_maxima_like_torch():
    """The torch docs' example: unpool(pool(x)) keeps the maxima, zeros elsewhere."""
    x = tt(np.arange(1.0, 17.0).reshape(1, 1, 4, 4))
    y, idx = TF.max_pool2d(x, 2, 2, return_indices=True)
    ref = TF.max_unpool2d(y, idx, 2, 2)
    _assert_exact(F.max_unpool2d(y.numpy(), idx.numpy(), 2, 2), ref, np.float64)
    ref5 = TF.max_unpool2d(y, idx, 2, 2, output_size=(5, 5))
    _assert_exact(F.max_unpool2d(y.numpy(), idx.numpy(), 2, 2, output_size=(5, 5)), ref5, np.float64)


# ---------------------------------------------------------------------------
# gradients
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("nd", ND)
@settings(max_examples=30)
@given(data=st.data())
def test_max_pool_vjp_matches_torch(nd, data):
    case = data.draw(pool_cases(nd), label="case")
    with_indices = data.draw(st.booleans(), label="return_indices")
    out, pullback = convscope.vjp(ours("max_pool", nd), case.x, **case.max_kw(), return_indices=with_indices)
    values = out[0] if with_indices else out
    cot = _cotangent(data, np.shape(values))
    ref_out, ref_grad = _torch_grad(lambda t: theirs("max_pool", nd)(t, **case.max_kw()), case.x, cot)
    _assert_exact(values, ref_out, np.float64, repr(case))
    if with_indices:
        _, ref_idx = theirs("max_pool", nd)(tt(case.x), **case.max_kw(), return_indices=True)
        _assert_indices(out[1], ref_idx, repr(case))
    _check_pullback(pullback(cot), ref_grad, case.x, err_msg=repr(case))


@pytest.mark.parametrize("nd", ND)
@settings(max_examples=25)
@given(data=st.data())
def test_max_pool_vjp_ties_route_like_torch(nd, data):
    """With many ties the gradient lands on the element torch picks (exact: one cotangent each)."""
    case = data.draw(pool_cases(nd, values="ties"), label="case")
    out, pullback = convscope.vjp(ours("max_pool", nd), case.x, **case.max_kw())
    cot = _cotangent(data, np.shape(out))
    ref_out, ref_grad = _torch_grad(lambda t: theirs("max_pool", nd)(t, **case.max_kw()), case.x, cot)
    _assert_exact(out, ref_out, np.float64, repr(case))
    _check_pullback(pullback(cot), ref_grad, case.x, err_msg=repr(case))
    # the support of the gradient is exactly torch's (no splitting among tied elements)
    g = pullback(np.ones_like(cot))[0]
    _, ref_ones = _torch_grad(lambda t: theirs("max_pool", nd)(t, **case.max_kw()), case.x, np.ones_like(cot))
    np.testing.assert_array_equal(g, ref_ones, err_msg=f"tie routing differs from torch; {case!r}")


@pytest.mark.parametrize("nd", ND)
@settings(max_examples=30)
@given(data=st.data())
def test_avg_pool_vjp_matches_torch(nd, data):
    case = data.draw(pool_cases(nd, dilation=False, kernel_fits=nd == 3), label="case")
    cip, div = _avg_options(data, nd)
    kw = case.avg_kw()
    extra = dict(count_include_pad=cip) if div is None else dict(count_include_pad=cip, divisor_override=div)
    out, pullback = convscope.vjp(ours("avg_pool", nd), case.x, **kw, **extra)
    cot = _cotangent(data, np.shape(out))
    ref_out, ref_grad = _torch_grad(lambda t: _torch_avg(nd, t, kw, cip, div), case.x, cot)
    assert_close(out, ref_out, np.float64, err_msg=repr(case))
    _check_pullback(pullback(cot), ref_grad, case.x, err_msg=f"{case!r} cip={cip} div={div}")


@pytest.mark.parametrize("nd", ND)
@settings(max_examples=30)
@given(data=st.data())
def test_lp_pool_vjp_matches_torch(nd, data):
    case = data.draw(pool_cases(nd, dilation=False, padding=False), label="case")
    p = data.draw(st.sampled_from(NORMS), label="norm_type")
    x = _lp_input(case, p)
    kw = _lp_args(case, nd)
    out, pullback = convscope.vjp(ours("lp_pool", nd), x, norm_type=p, **kw)
    cot = _cotangent(data, np.shape(out))
    ref_out, ref_grad = _torch_grad(lambda t: theirs("lp_pool", nd)(t, p, **kw), x, cot)
    # signed p=1/2 windows can sum to ~0, where the p-th root's derivative blows up
    assume(np.isfinite(ref_grad).all() and np.abs(ref_out).min(initial=1.0) > 1e-3)
    assert_close(out, ref_out, np.float64, err_msg=f"{case!r} p={p}")
    _check_pullback(pullback(cot), ref_grad, x, err_msg=f"{case!r} p={p}")


@pytest.mark.parametrize("nd", ND)
@settings(max_examples=30)
@given(data=st.data())
def test_adaptive_avg_pool_vjp_matches_torch(nd, data):
    case = data.draw(adaptive_cases(nd), label="case")
    out, pullback = convscope.vjp(ours("adaptive_avg_pool", nd), case.x, output_size=case.output_size)
    cot = _cotangent(data, np.shape(out))
    ref_out, ref_grad = _torch_grad(
        lambda t: theirs("adaptive_avg_pool", nd)(t, case.output_size), case.x, cot
    )
    assert_close(out, ref_out, np.float64, err_msg=repr(case))
    _check_pullback(pullback(cot), ref_grad, case.x, err_msg=repr(case))


@pytest.mark.parametrize("nd", ND)
@settings(max_examples=30)
@given(data=st.data())
def test_adaptive_max_pool_vjp_matches_torch(nd, data):
    """Distinct values and many-tie inputs: the gradient routes where torch's does."""
    values = data.draw(st.sampled_from(["normal", "ties"]), label="values")
    case = data.draw(adaptive_cases(nd, values=values), label="case")
    with_indices = data.draw(st.booleans(), label="return_indices")
    out, pullback = convscope.vjp(
        ours("adaptive_max_pool", nd), case.x, output_size=case.output_size, return_indices=with_indices
    )
    vals = out[0] if with_indices else out
    cot = _cotangent(data, np.shape(vals))
    ref_out, ref_grad = _torch_grad(
        lambda t: theirs("adaptive_max_pool", nd)(t, case.output_size), case.x, cot
    )
    _assert_exact(vals, ref_out, np.float64, repr(case))
    _check_pullback(pullback(cot), ref_grad, case.x, err_msg=repr(case))


@pytest.mark.parametrize("random_indices", [False, True], ids=["pool_indices", "random_indices"])
@pytest.mark.parametrize("nd", ND)
@settings(max_examples=25)
@given(data=st.data())
def test_max_unpool_vjp_matches_torch(nd, random_indices, data):
    case = data.draw(unpool_cases(nd, random_indices=random_indices), label="case")
    out, pullback = convscope.vjp(ours("max_unpool", nd), case.y, indices=case.indices, **case.kw())
    cot = _cotangent(data, np.shape(out))
    ref_out, ref_grad = _torch_grad(case.torch_forward, case.y, cot)
    _assert_exact(out, ref_out, np.float64, repr(case))
    _check_pullback(pullback(cot), ref_grad, case.y, err_msg=repr(case))


@pytest.mark.parametrize("op", ["max_pool", "avg_pool", "lp_pool", "adaptive_avg_pool", "adaptive_max_pool"])
@settings(max_examples=10)
@given(data=st.data())
def test_pool_vjp_float32(op, data):
    case = data.draw(
        pool_cases(2, dilation=op == "max_pool", padding=op != "lp_pool", values="positive"), label="case"
    )
    x = case.x.astype(np.float32)
    args: tuple = ()
    if op == "max_pool":
        kw = case.max_kw()
    elif op == "avg_pool":
        kw = case.avg_kw()
    elif op == "lp_pool":
        args = (2,)
        kw = dict(kernel_size=case.kernel, stride=case.stride, ceil_mode=case.ceil_mode)
    else:
        kw = dict(output_size=(3, 2))
    out, pullback = convscope.vjp(ours(op, 2), x, **({"norm_type": 2} if args else {}), **kw)
    cot = _cotangent(data, np.shape(out), np.float32)
    ref_out, ref_grad = _torch_grad(lambda t: theirs(op, 2)(t, *args, **kw), x, cot)
    assert_close(out, ref_out, np.float32, err_msg=repr(case))
    _check_pullback(pullback(cot), ref_grad, x, np.float32, err_msg=repr(case))
