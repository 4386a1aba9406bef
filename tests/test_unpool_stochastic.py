"""Average unpooling and stochastic pooling: no torch twin, so every expectation is
built from torch ops (or is a mathematical property of the definition).

avg_unpool (see the API): with ``B`` the 0/1 window-membership matrix of the pooling
(``B x == torch avg_pool(x, ..., divisor_override=1)``, the window sum) and ``C`` the
number of windows covering each cell (``C == B^T 1``),
``avg_unpool(y) = C^+ B^T y``, so ``<C avg_unpool(y), x> == <y, B x>`` and uncovered
cells are 0. ``B`` and ``B^T`` (by torch autograd) come from torch.

stochastic_pool2d (Zeiler & Fergus): evaluation mode is ``sum(a^2) / sum(a)`` per window
(torch avg_pool ratio); training mode draws one element with probability ``a_i / sum(a)``.
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
from scipy import stats

import convscope
import convscope.functional as F
from support import TORCH_CONVT, assert_close, inner, to_numpy, tt

ND = [1, 2, 3]


def avg_unpool(nd: int):
    return getattr(F, f"avg_unpool{nd}d")


def _cotangent(data, shape, dtype=np.float64):
    seed = data.draw(st.integers(0, 2**32 - 1), label="cot_seed")
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# ---------------------------------------------------------------------------
# torch-built references for avg_unpool
# ---------------------------------------------------------------------------


def _planes(t: torch.Tensor, nd: int) -> torch.Tensor:
    """(..., *spatial) -> (planes, 1, D, H, W): every plane as a 3-d volume (singletons in front)."""
    sp = tuple(t.shape[-nd:])
    return t.reshape(-1, 1, *((1,) * (3 - nd)), *sp)


def torch_window_sum(x: torch.Tensor, nd: int, k, s, p) -> torch.Tensor:
    """B x: torch's avg_pool3d with divisor_override=1 (the window sum), of the zero-padded planes."""
    lead = tuple(x.shape[:-nd])
    pad: list[int] = []
    for pp in reversed(p):
        pad += [pp, pp]
    v = TF.pad(_planes(x, nd), pad)
    kk = (1,) * (3 - nd) + tuple(k)
    ss = (1,) * (3 - nd) + tuple(s)
    out = TF.avg_pool3d(v, kk, ss, 0, divisor_override=1)
    return out.reshape(*lead, *out.shape[-nd:])


def torch_adjoint(y: np.ndarray, nd: int, k, s, p, out_sizes) -> tuple[np.ndarray, np.ndarray]:
    """(B^T y, C = B^T 1) by torch autograd of the window sum over an input of ``out_sizes``."""
    x = torch.zeros((*y.shape[:-nd], *out_sizes), dtype=torch.float64, requires_grad=True)
    bx = torch_window_sum(x, nd, k, s, p)
    assert tuple(bx.shape) == y.shape, (tuple(bx.shape), y.shape)
    (bty,) = torch.autograd.grad(bx, [x], tt(y), retain_graph=True)
    (c,) = torch.autograd.grad(bx, [x], torch.ones_like(bx))
    return bty.numpy(), c.numpy()


def torch_avg_unpool_map(t: torch.Tensor, nd: int, k, s, p, out_sizes) -> torch.Tensor:
    """The same linear map from different torch ops: conv_transpose with a ones kernel / coverage."""
    lead = tuple(t.shape[:-nd])
    default = [(i - 1) * s_ - 2 * p_ + k_ for i, k_, s_, p_ in zip(t.shape[-nd:], k, s, p)]
    opad = tuple(o - d for o, d in zip(out_sizes, default))
    planes = t.reshape(-1, 1, *t.shape[-nd:])
    w = torch.ones((1, 1, *k), dtype=t.dtype)
    spread = TORCH_CONVT[nd](planes, w, None, tuple(s), tuple(p), opad)
    count = TORCH_CONVT[nd](torch.ones_like(planes), w, None, tuple(s), tuple(p), opad)
    out = torch.where(count > 0, spread / count.clamp(min=1), torch.zeros_like(spread))
    return out.reshape(*lead, *out.shape[-nd:])


@dataclass
class UnpoolCase:
    nd: int
    y: np.ndarray
    k: tuple[int, ...]
    s: tuple[int, ...]
    p: tuple[int, ...]
    out_sizes: tuple[int, ...]
    kernel_arg: Any
    stride_arg: Any
    padding_arg: Any
    output_size: Any

    def kw(self) -> dict[str, Any]:
        return dict(
            kernel_size=self.kernel_arg,
            stride=self.stride_arg,
            padding=self.padding_arg,
            output_size=self.output_size,
        )

    def __repr__(self) -> str:
        return f"AvgUnpoolCase(nd={self.nd}, y{self.y.shape}, {self.kw()})"


def _fmt(draw, values: tuple[int, ...]) -> Any:
    if len(set(values)) == 1 and draw(st.booleans()):
        return values[0]
    return tuple(values)


@st.composite
def avg_unpool_cases(draw, nd: int, *, tiling: bool = False) -> UnpoolCase:
    """Kernel/stride/padding (padding <= kernel // 2, as avg_pool) and an output size in
    [default, default + stride - 1], where pooling an input of that size gives exactly y's windows.
    ``tiling``: stride == kernel, no padding, output a multiple of the kernel (windows tile it).
    """
    small = nd == 3
    k = tuple(draw(st.integers(1, 3 if small else 4)) for _ in range(nd))
    if tiling:
        s, p = k, (0,) * nd
    else:
        s = tuple(draw(st.integers(1, 3)) for _ in range(nd))
        p = tuple(draw(st.integers(0, kk // 2)) for kk in k)
    ins = tuple(draw(st.integers(1, 3 if small else 5)) for _ in range(nd))
    default = tuple((i - 1) * s_ - 2 * p_ + k_ for i, k_, s_, p_ in zip(ins, k, s, p))
    assume(all(d >= 1 for d in default))
    choice = draw(st.sampled_from(["none", "default", "larger"]))
    if tiling or choice != "larger":
        out_sizes = default
    else:
        out_sizes = tuple(d + draw(st.integers(0, s_ - 1)) for d, s_ in zip(default, s))
    batched = draw(st.booleans())
    c = draw(st.integers(1, 3))
    lead = ((draw(st.integers(1, 2)),) if batched else ()) + (c,)
    y = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).standard_normal((*lead, *ins))
    if choice == "none":
        output_size = None
    elif batched and draw(st.booleans()):
        output_size = (*lead, *out_sizes)
    else:
        output_size = tuple(out_sizes)
    stride_arg = None if s == k and draw(st.booleans()) else _fmt(draw, s)
    return UnpoolCase(nd, y, k, s, p, out_sizes, _fmt(draw, k), stride_arg, _fmt(draw, p), output_size)


# ---------------------------------------------------------------------------
# avg_unpool
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("nd", ND)
@given(data=st.data())
def test_avg_unpool_is_coverage_normalised_adjoint_of_window_sum(nd, data):
    """C * avg_unpool(y) == B^T y (torch autograd), 0 where no window covers, and
    <C avg_unpool(y), x> == <y, B x> for a random x (B x: torch avg_pool, divisor_override=1)."""
    case = data.draw(avg_unpool_cases(nd), label="case")
    y0 = case.y.copy()
    u = avg_unpool(nd)(case.y, **case.kw())
    bty, c = torch_adjoint(case.y, nd, case.k, case.s, case.p, case.out_sizes)
    expected = np.divide(bty, c, out=np.zeros_like(bty), where=c > 0)
    assert_close(u, expected, np.float64, err_msg=repr(case))
    assert np.all(u[c == 0] == 0), f"uncovered cells must be 0; {case!r}"
    x = _cotangent(data, u.shape)
    bx = torch_window_sum(tt(x), nd, case.k, case.s, case.p).numpy()
    lhs, rhs = inner(c * u, x), inner(case.y, bx)
    scale = inner(np.abs(c * u), np.abs(x)) + 1.0
    assert abs(lhs - rhs) <= 1e-10 * scale, (lhs, rhs, case)
    np.testing.assert_array_equal(case.y, y0)


@pytest.mark.parametrize("nd", ND)
@settings(max_examples=25)
@given(data=st.data())
def test_avg_unpool_tiling_inverts_avg_pool_and_is_nearest_upsampling(nd, data):
    """stride == kernel, no padding: torch avg_pool(avg_unpool(y)) == y, and avg_unpool(y) is
    torch's nearest interpolation of y to the output size."""
    case = data.draw(avg_unpool_cases(nd, tiling=True), label="case")
    u = avg_unpool(nd)(case.y, **case.kw())
    ut = tt(u)
    batched = case.y.ndim == nd + 2
    if not batched:
        ut = ut[None]
    pooled = getattr(TF, f"avg_pool{nd}d")(ut, case.k, case.k)
    assert_close(to_numpy(pooled if batched else pooled[0]), case.y, np.float64, err_msg=repr(case))
    yt = tt(case.y) if batched else tt(case.y)[None]
    near = TF.interpolate(yt, size=case.out_sizes, mode="nearest")
    assert_close(u, near if batched else near[0], np.float64, err_msg=repr(case))


@pytest.mark.parametrize("nd", ND)
@settings(max_examples=30)
@given(data=st.data())
def test_avg_unpool_vjp_matches_torch_linear_map(nd, data):
    """vjp against torch autograd of the same map built from conv_transpose(ones) / coverage."""
    case = data.draw(avg_unpool_cases(nd), label="case")
    out, pullback = convscope.vjp(avg_unpool(nd), case.y, **case.kw())
    cot = _cotangent(data, np.shape(out))
    t = tt(case.y, grad=True)
    ref = torch_avg_unpool_map(t, nd, case.k, case.s, case.p, case.out_sizes)
    (g,) = torch.autograd.grad(ref, [t], tt(cot))
    assert_close(out, ref.detach(), np.float64, err_msg=repr(case))
    grads = pullback(cot)
    assert isinstance(grads, tuple) and len(grads) == 1, type(grads)
    assert_close(grads[0], g, np.float64, err_msg=repr(case))


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("nd", ND)
@settings(max_examples=10)
@given(data=st.data())
def test_avg_unpool_float32_float16(nd, dtype, data):
    case = data.draw(avg_unpool_cases(nd), label="case")
    y = case.y.astype(dtype)
    compute = torch.float32
    ref = torch_avg_unpool_map(tt(y).to(compute), nd, case.k, case.s, case.p, case.out_sizes)
    assert_close(avg_unpool(nd)(y, **case.kw()), ref, dtype, err_msg=repr(case))


def test_avg_unpool_overlap_takes_mean_of_averages():
    """1-d, kernel 3, stride 1: cell j gets the mean of the averages of the windows covering it."""
    y = np.array([[[1.0, 4.0, 10.0]]])
    # windows cover cells {0,1,2}, {1,2,3}, {2,3,4}: torch conv_transpose(ones) / coverage
    ref = torch_avg_unpool_map(tt(y), 1, (3,), (1,), (0,), (5,))
    np.testing.assert_allclose(to_numpy(ref)[0, 0], [1.0, 2.5, 5.0, 7.0, 10.0])
    assert_close(F.avg_unpool1d(y, 3, 1), ref, np.float64)


# ---------------------------------------------------------------------------
# stochastic_pool2d
# ---------------------------------------------------------------------------


def torch_expectation(x: np.ndarray, k, s) -> np.ndarray:
    """sum(a^2) / sum(a) per window with torch avg_pool (divisors cancel); 0 where sum(a) == 0."""
    t = tt(x)
    num = TF.avg_pool2d(t * t, k, s, divisor_override=1)
    den = TF.avg_pool2d(t, k, s, divisor_override=1)
    return torch.where(den > 0, num / den.clamp(min=torch.finfo(t.dtype).tiny), torch.zeros_like(den)).numpy()


@st.composite
def stochastic_cases(draw, *, zeros: bool = True, distinct: bool = False):
    k = tuple(draw(st.integers(1, 3)) for _ in range(2))
    s = None if draw(st.booleans()) else tuple(draw(st.integers(1, 3)) for _ in range(2))
    sizes = tuple(kk + draw(st.integers(0, 5)) for kk in k)
    batched = draw(st.booleans())
    lead = ((draw(st.integers(1, 2)),) if batched else ()) + (draw(st.integers(1, 3)),)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    shape = (*lead, *sizes)
    if distinct:
        x = (rng.permutation(int(np.prod(shape))) + 1.0).reshape(shape) / 7.0
    else:
        x = rng.uniform(0.0, 3.0, shape)
        if zeros:
            x[rng.random(shape) < 0.4] = 0.0  # some windows entirely zero
    kernel = k[0] if k[0] == k[1] and draw(st.booleans()) else k
    return x, kernel, s


def _pair(v, default):
    v = default if v is None else v
    return (v, v) if isinstance(v, int) else tuple(v)


@settings(max_examples=40)
@given(case=stochastic_cases())
def test_stochastic_pool_eval_is_expectation(case):
    x, k, s = case
    out = F.stochastic_pool2d(x, k, s, training=False)
    xb = x if x.ndim == 4 else x[None]
    ref = torch_expectation(xb, _pair(k, k), _pair(s, k))
    assert_close(out, ref if x.ndim == 4 else ref[0], np.float64, err_msg=str((x.shape, k, s)))


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@settings(max_examples=10)
@given(case=stochastic_cases())
def test_stochastic_pool_eval_float32_float16(dtype, case):
    x, k, s = case
    x = x.astype(dtype)
    xb = x if x.ndim == 4 else x[None]
    ref = torch_expectation(xb.astype(np.float32), _pair(k, k), _pair(s, k))
    assert_close(F.stochastic_pool2d(x, k, s, training=False), ref if x.ndim == 4 else ref[0], dtype)


def _windows(x: np.ndarray, k, s) -> np.ndarray:
    """(N, C, taps, L) window contents by torch unfold."""
    n, c = x.shape[:2]
    cols = TF.unfold(tt(x).reshape(n * c, 1, *x.shape[2:]), _pair(k, k), stride=_pair(s, k))
    return cols.reshape(n, c, cols.shape[1], cols.shape[2]).numpy()


@settings(max_examples=40)
@given(case=stochastic_cases(), seed=st.integers(0, 2**32 - 1))
def test_stochastic_pool_training_draws_a_member_of_each_window(case, seed):
    """Each output is one of its window's (torch unfold) elements, never a zero unless all are."""
    x, k, s = case
    out = F.stochastic_pool2d(x, k, s, training=True, rng=seed)
    xb, ob = (x, out) if x.ndim == 4 else (x[None], out[None])
    win = _windows(xb, k, s)
    ref_shape = torch_expectation(xb, _pair(k, k), _pair(s, k)).shape
    assert ob.shape == ref_shape, (ob.shape, ref_shape)
    flat = ob.reshape(*ob.shape[:2], 1, -1)
    assert np.all(np.any(win == flat, axis=2)), "an output is not an element of its window"
    all_zero = np.all(win == 0, axis=2)
    assert np.all((flat[:, :, 0] > 0) | all_zero), "a zero was drawn from a window with positive mass"
    assert np.all(flat[:, :, 0][all_zero] == 0)


def test_stochastic_pool_all_zero_window_gives_zero():
    x = np.zeros((2, 3, 4, 6))
    x[0, 0, :2, :2] = [[0.0, 1.0], [2.0, 0.0]]
    for training in (True, False):
        out = F.stochastic_pool2d(x, 2, training=training, rng=0)
        ref = torch_expectation(x, (2, 2), (2, 2))
        assert out.shape == ref.shape
        mask = ref == 0  # the all-zero windows (torch avg_pool)
        assert mask.sum() == ref.size - 1
        np.testing.assert_array_equal(out[mask], 0.0)
        assert np.isfinite(out).all()


def _tile(window: np.ndarray, reps: tuple[int, int]) -> np.ndarray:
    return np.tile(window, reps)[None, None]


@pytest.mark.parametrize(
    "window",
    [
        [[1.0, 2.0], [3.0, 4.0]],
        [[0.0, 5.0], [1.0, 0.0]],  # zeros never drawn
        [[0.5, 0.25, 3.0]],
    ],
    ids=["1234", "with_zeros", "1x3"],
)
def test_stochastic_pool_training_frequencies_chi_square(window):
    """20000 identical windows: the drawn values' frequencies are a_i / sum(a) (chi-square)."""
    w = np.array(window)
    x = _tile(w, (200, 100))
    out = F.stochastic_pool2d(x, w.shape, training=True, rng=12345)
    n_windows = (x.shape[2] // w.shape[0]) * (x.shape[3] // w.shape[1])
    assert out.size == n_windows >= 20000
    vals = w.ravel()
    p = vals / vals.sum()
    counts = np.array([(out == v).sum() for v in vals])
    assert counts.sum() == out.size, "every output must be one of the window's values"
    assert np.all(counts[p == 0] == 0), "zero-probability elements were drawn"
    live = p > 0
    res = stats.chisquare(counts[live], p[live] * out.size)
    assert res.pvalue > 1e-6, (counts, p * out.size, res)


def test_stochastic_pool_training_tied_positions_by_gradient():
    """Equal values in a window: which *position* was drawn shows in the gradient
    (ones cotangent). Frequencies per position follow a_i / sum(a) (binomial bounds)."""
    w = np.array([[1.0, 1.0], [2.0, 0.0]])
    x = _tile(w, (100, 100))  # 10000 windows
    out, pullback = convscope.vjp(F.stochastic_pool2d, x, kernel_size=2, training=True, rng=7)
    (g,) = pullback(np.ones_like(out))
    # per window exactly one position gets the cotangent, and it holds the drawn value
    per_window = g.reshape(100, 2, 100, 2).transpose(0, 2, 1, 3).reshape(-1, 4)
    np.testing.assert_array_equal(per_window.sum(axis=1), 1.0)
    np.testing.assert_array_equal(np.count_nonzero(per_window, axis=1), 1)
    chosen_vals = np.tile(w.ravel(), (per_window.shape[0], 1))[per_window == 1]
    np.testing.assert_array_equal(chosen_vals, out.ravel())
    counts = per_window.sum(axis=0)
    p = w.ravel() / w.sum()
    n = per_window.shape[0]
    for c, pi in zip(counts, p):
        lo, hi = stats.binom.ppf([1e-7, 1 - 1e-7], n, pi)
        assert lo <= c <= hi, (counts, p * n)


def test_stochastic_pool_reproducible_with_seed_and_generator():
    x = np.random.default_rng(0).uniform(0, 1, (2, 3, 16, 16))
    a = F.stochastic_pool2d(x, 2, rng=123)
    b = F.stochastic_pool2d(x, 2, rng=123)
    np.testing.assert_array_equal(a, b)
    g1 = F.stochastic_pool2d(x, 2, rng=np.random.default_rng(99))
    g2 = F.stochastic_pool2d(x, 2, rng=np.random.default_rng(99))
    np.testing.assert_array_equal(g1, g2)
    # a generator is consumed: the next draw from the same generator differs (192 windows)
    gen = np.random.default_rng(99)
    first, second = F.stochastic_pool2d(x, 2, rng=gen), F.stochastic_pool2d(x, 2, rng=gen)
    assert not np.array_equal(first, second)
    assert not np.array_equal(F.stochastic_pool2d(x, 2, rng=1), F.stochastic_pool2d(x, 2, rng=2))


@pytest.mark.parametrize("training", [True, False])
def test_stochastic_pool_refuses_negative_input(training):
    x = np.ones((1, 1, 4, 4))
    x[0, 0, 1, 2] = -0.5
    with pytest.raises(ValueError, match=r"(?i)negative|input|activation"):
        F.stochastic_pool2d(x, 2, training=training, rng=0)


@settings(max_examples=30)
@given(case=stochastic_cases(zeros=False), data=st.data())
def test_stochastic_pool_eval_vjp_matches_torch(case, data):
    """Evaluation mode: vjp against torch autograd of avg_pool(a^2) / avg_pool(a)."""
    x, k, s = case
    x = x + 0.1  # every window sum > 0
    out, pullback = convscope.vjp(F.stochastic_pool2d, x, kernel_size=k, stride=s, training=False)
    cot = _cotangent(data, np.shape(out))
    t = tt(x, grad=True)
    tb = t if x.ndim == 4 else t[None]
    kk, ss = _pair(k, k), _pair(s, k)
    ref = TF.avg_pool2d(tb * tb, kk, ss) / TF.avg_pool2d(tb, kk, ss)
    ref = ref if x.ndim == 4 else ref[0]
    (g,) = torch.autograd.grad(ref, [t], tt(cot))
    assert_close(out, ref.detach(), np.float64)
    grads = pullback(cot)
    assert isinstance(grads, tuple) and len(grads) == 1
    assert_close(grads[0], g, np.float64)


@settings(max_examples=30)
@given(case=stochastic_cases(distinct=True), seed=st.integers(0, 2**32 - 1), data=st.data())
def test_stochastic_pool_training_vjp_routes_to_drawn_element(case, seed, data):
    """Training mode: distinct values, so the drawn element is the window cell equal to the output;
    the gradient is the cotangent scattered there (torch unfold mask, folded back by torch fold)."""
    x, k, s = case
    out, pullback = convscope.vjp(F.stochastic_pool2d, x, kernel_size=k, stride=s, training=True, rng=seed)
    cot = _cotangent(data, np.shape(out))
    (g,) = pullback(cot)
    xb, ob, cb = (x, out, cot) if x.ndim == 4 else (x[None], out[None], cot[None])
    win = _windows(xb, k, s)  # (N, C, taps, L)
    mask = win == ob.reshape(*ob.shape[:2], 1, -1)
    np.testing.assert_array_equal(mask.sum(axis=2), 1)  # one drawn cell per window
    cols = mask * cb.reshape(*cb.shape[:2], 1, -1)
    n, c = xb.shape[:2]
    ref = TF.fold(
        tt(cols.reshape(n * c, cols.shape[2], cols.shape[3])),
        xb.shape[2:],
        _pair(k, k),
        stride=_pair(s, k),
    ).reshape(xb.shape)
    assert_close(g, ref if x.ndim == 4 else ref[0], np.float64)
