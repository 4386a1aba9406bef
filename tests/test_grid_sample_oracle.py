"""grid_sample and affine_grid against ``torch.nn.functional``: forward, both gradients, refusals.

Grids reach past [-1, 1] (every padding mode matters there) and include the
values where the sampled position sits exactly on a pixel centre or edge,
where the bilinear grid gradient jumps and nearest sampling ties. One test
walks the few ulps around those points: matching torch there means rounding
each position as torch's CPU kernel of that rank does.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st

import convscope
import convscope.functional as F
from support import assert_close, to_numpy, tt

MODES = ("bilinear", "nearest", "bicubic")
PADDINGS = ("zeros", "border", "reflection")
TORCH_REFUSALS = (RuntimeError, ValueError, TypeError, NotImplementedError)


def _torch_grid_sample(x, grid, **params):
    with warnings.catch_warnings():  # torch's note on the align_corners default
        warnings.simplefilter("ignore", UserWarning)
        return TF.grid_sample(x, grid, **params)


def _torch_affine_grid(theta, size, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return TF.affine_grid(theta, size, **params)


def _landmarks(size: int, align_corners: bool) -> list[float]:
    """Grid values of every pixel centre and edge of an axis, and the two ends."""
    i = np.arange(size)
    if align_corners:
        centres = 2 * i / max(size - 1, 1) - 1
        edges = (2 * i + 1) / max(size - 1, 1) - 1
    else:
        centres = (2 * i + 1) / size - 1
        edges = 2 * i / size - 1
    return sorted({-1.0, 1.0, 0.0, *centres.tolist(), *edges.tolist()})


@dataclass
class GridCase:
    x: np.ndarray
    grid: np.ndarray
    mode: str
    padding_mode: str
    align_corners: bool | None

    def params(self) -> dict[str, Any]:
        return dict(mode=self.mode, padding_mode=self.padding_mode, align_corners=self.align_corners)

    def __repr__(self) -> str:
        return f"GridCase(x{self.x.shape}, grid{self.grid.shape}, {self.params()})"


@st.composite
def grid_cases(draw, nd: int | None = None) -> GridCase:
    nd = draw(st.sampled_from([2, 3])) if nd is None else nd
    mode = draw(st.sampled_from(MODES if nd == 2 else MODES[:2]))
    padding_mode = draw(st.sampled_from(PADDINGS))
    align_corners = draw(st.sampled_from([None, False, True]))
    top = 6 if nd == 2 else 4
    in_sizes = draw(st.lists(st.integers(1, top), min_size=nd, max_size=nd))
    out_sizes = draw(st.lists(st.integers(1, top), min_size=nd, max_size=nd))
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((n, c, *in_sizes))
    reach = draw(st.sampled_from([1.3, 1.3, 4.5]))  # 4.5: reflected more than once
    grid = rng.uniform(-reach, reach, (n, *out_sizes, nd))
    on_landmark = draw(st.sampled_from([0.0, 0.3, 1.0]))
    for component, size in enumerate(reversed(in_sizes)):  # x is the last spatial axis
        marks = np.array(_landmarks(size, bool(align_corners)))
        hit = rng.random(grid.shape[:-1]) < on_landmark
        grid[..., component] = np.where(hit, rng.choice(marks, grid.shape[:-1]), grid[..., component])
    return GridCase(x, grid, mode, padding_mode, align_corners)


def _torch_vjp(case: GridCase, dtype, cotangent: np.ndarray):
    compute = np.float32 if np.dtype(dtype) == np.float16 else dtype
    x = tt(case.x.astype(dtype), compute, grad=True)
    grid = tt(case.grid.astype(dtype), compute, grad=True)
    out = _torch_grid_sample(x, grid, **case.params())
    gx, ggrid = torch.autograd.grad(out, (x, grid), tt(cotangent.astype(dtype), compute))
    return to_numpy(out), to_numpy(gx), to_numpy(ggrid)


def _check_case(case: GridCase, dtype, seed: int) -> None:
    x, grid = case.x.astype(dtype), case.grid.astype(dtype)
    out, pullback = convscope.vjp(F.grid_sample, x, grid, **case.params())
    cotangent = np.random.default_rng(seed).standard_normal(out.shape).astype(dtype)
    ref_out, ref_gx, ref_grid = _torch_vjp(case, dtype, cotangent)
    assert_close(out, ref_out, dtype, err_msg=repr(case))
    gx, ggrid = pullback(cotangent)
    assert_close(gx, ref_gx, dtype, err_msg=f"input gradient; {case!r}")
    assert_close(ggrid, ref_grid, dtype, err_msg=f"grid gradient; {case!r}")


# ---------------------------------------------------------------------------
# grid_sample
# ---------------------------------------------------------------------------


@settings(max_examples=150)
@given(case=grid_cases(), seed=st.integers(0, 2**32 - 1))
def test_grid_sample_and_gradients_match_torch_float64(case, seed):
    _check_case(case, np.float64, seed)


@settings(max_examples=60)
@given(case=grid_cases(), seed=st.integers(0, 2**32 - 1))
def test_grid_sample_and_gradients_match_torch_float32(case, seed):
    _check_case(case, np.float32, seed)


@settings(max_examples=20)
@given(case=grid_cases(), seed=st.integers(0, 2**32 - 1))
def test_grid_sample_float16_is_float32_of_rounded_inputs(case, seed):
    """float16 in, float16 out (and gradients), computed as torch does in float32 on the rounded inputs."""
    _check_case(case, np.float16, seed)


def _ulp_cases():
    for nd, mode, padding, corners in itertools.product((2, 3), MODES, PADDINGS, (False, True)):
        if not (nd == 3 and mode == "bicubic"):
            yield pytest.param(nd, mode, padding, corners, id=f"{nd}d-{mode}-{padding}-{corners}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("nd", "mode", "padding_mode", "align_corners"), list(_ulp_cases()))
def test_grid_values_a_few_ulps_from_pixel_centres_match_torch(nd, mode, padding_mode, align_corners, dtype):
    """Positions within 4 ulps of integers (half-integers for nearest), beyond both ends too.

    The output and both gradients jump there, so this fails if a position is
    rounded differently from torch (e.g. without the fused multiply-add of
    torch's 2-d kernel).
    """
    rng = np.random.default_rng(7)
    for size in (7, 100):
        half = 0.5 if mode == "nearest" else 0.0
        k = rng.integers(-3, size + 3, 400) + half
        exact = 2 * k / (size - 1) - 1 if align_corners else (2 * k + 1) / size - 1
        g = exact.astype(dtype)
        g = g + (rng.integers(-4, 5, g.size) * np.spacing(np.abs(g))).astype(dtype)
        row = (np.arange(size) - size / 3) ** 2 + np.arange(size)
        x = np.stack([row, 0.5 * row + 3]).reshape(1, 2, *(1,) * (nd - 1), size).astype(dtype)
        grid = np.zeros((1, *(1,) * (nd - 1), g.size, nd), dtype)
        grid[..., 0] = g
        case = GridCase(x, grid, mode, padding_mode, align_corners)
        _check_case(case, dtype, seed=size)


@pytest.mark.parametrize(
    ("x_shape", "grid_shape"),
    [((0, 2, 3, 4), (0, 5, 6, 2)), ((2, 0, 3, 4), (2, 5, 6, 2)), ((2, 3, 3, 4), (2, 0, 6, 2)),
     ((1, 2, 3, 4, 5), (1, 2, 0, 2, 3))],
)  # fmt: skip
def test_empty_batch_channels_or_grid_like_torch(x_shape, grid_shape):
    x, grid = np.ones(x_shape), np.zeros(grid_shape)
    xt, gt = tt(x, grad=True), tt(grid, grad=True)
    ref = _torch_grid_sample(xt, gt, align_corners=False)
    ref_gx, ref_grid = torch.autograd.grad(ref, (xt, gt), torch.ones_like(ref))
    out, pullback = convscope.vjp(F.grid_sample, x, grid, align_corners=False)
    gx, ggrid = pullback(np.ones(out.shape))
    assert_close(out, ref, np.float64)
    assert_close(gx, ref_gx, np.float64)
    assert_close(ggrid, ref_grid, np.float64)


@pytest.mark.parametrize("workspace", [None, 1 << 16])
@pytest.mark.parametrize(("mode", "padding_mode"), [("bilinear", "zeros"), ("bicubic", "reflection")])
def test_large_batch_split_over_chunks_and_threads_matches_torch(mode, padding_mode, workspace):
    """Big enough to be split over threads; a tiny workspace also cuts the batch into chunks."""
    rng = np.random.default_rng(9)
    case = GridCase(
        rng.standard_normal((5, 8, 40, 36)), rng.uniform(-1.2, 1.2, (5, 30, 44, 2)), mode, padding_mode, False
    )
    if workspace is None:
        _check_case(case, np.float64, seed=1)
    else:
        with convscope.options(workspace_bytes=workspace):
            _check_case(case, np.float64, seed=1)


def test_grid_sample_accepts_torch_tensors_and_lists():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 4, 5))
    grid = rng.uniform(-1.2, 1.2, (2, 3, 2, 2))
    ref = _torch_grid_sample(tt(x), tt(grid), mode="bicubic", padding_mode="reflection", align_corners=True)
    params = dict(mode="bicubic", padding_mode="reflection", align_corners=True)
    assert_close(F.grid_sample(tt(x), tt(grid), **params), ref, np.float64)
    assert_close(F.grid_sample(x.tolist(), grid.tolist(), **params), ref, np.float64)


def test_grid_sample_reads_non_contiguous_arrays_like_torch():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 4, 6, 5)).transpose(1, 0, 3, 2)[:, :, ::2]  # (4, 3, 3, 6), strided
    grid = rng.uniform(-1.1, 1.1, (4, 5, 2, 2))[:, ::-1, :, ::-1]  # reversed strides
    ref = _torch_grid_sample(tt(x), tt(grid), padding_mode="border", align_corners=False)
    assert_close(F.grid_sample(x, grid, padding_mode="border", align_corners=False), ref, np.float64)


# ---------------------------------------------------------------------------
# affine_grid
# ---------------------------------------------------------------------------


@st.composite
def affine_cases(draw):
    nd = draw(st.sampled_from([2, 3]))
    align_corners = draw(st.sampled_from([None, False, True]))
    spatial = draw(st.lists(st.integers(1, 6), min_size=nd, max_size=nd))
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    theta = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).standard_normal((n, nd, nd + 1))
    size = draw(st.sampled_from([list, tuple, torch.Size]))([n, c, *spatial])
    return theta, size, align_corners


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@settings(max_examples=30)
@given(case=affine_cases(), seed=st.integers(0, 2**32 - 1))
def test_affine_grid_and_gradient_match_torch(case, seed, dtype):
    theta, size, align_corners = case
    theta = theta.astype(dtype)
    out, pullback = convscope.vjp(F.affine_grid, theta, size=size, align_corners=align_corners)
    t = tt(theta, grad=True)
    ref = _torch_affine_grid(t, size, align_corners=align_corners)
    assert_close(out, ref, dtype, err_msg=repr(case))
    cotangent = np.random.default_rng(seed).standard_normal(out.shape).astype(dtype)
    (ref_theta,) = torch.autograd.grad(ref, t, tt(cotangent))
    (g_theta,) = pullback(cotangent)
    assert_close(g_theta, ref_theta, dtype, err_msg=repr(case))


def test_affine_grid_float16_like_torch():
    theta = np.random.default_rng(2).standard_normal((2, 3, 4)).astype(np.float16)
    ref = _torch_affine_grid(tt(theta), [2, 3, 4, 5, 6], align_corners=False)
    assert_close(F.affine_grid(theta, [2, 3, 4, 5, 6], align_corners=False), ref, np.float16)


@pytest.mark.parametrize("align_corners", [False, True])
def test_spatial_transformer_end_to_end_gradient_in_theta(align_corners):
    """affine_grid then grid_sample, chained by hand through both pullbacks, against torch autograd."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 3, 5, 6))
    theta = np.array([[[0.9, -0.3, 0.1], [0.2, 1.1, -0.2]], [[1.2, 0.4, 0.3], [-0.5, 0.8, 0.05]]])
    size = (2, 3, 4, 7)
    grid, grid_pullback = convscope.vjp(F.affine_grid, theta, size=size, align_corners=align_corners)
    out, sample_pullback = convscope.vjp(F.grid_sample, x, grid, align_corners=align_corners)
    cotangent = rng.standard_normal(out.shape)
    gx, ggrid = sample_pullback(cotangent)
    (gtheta,) = grid_pullback(ggrid)

    xt, tht = tt(x, grad=True), tt(theta, grad=True)
    ref = _torch_grid_sample(xt, _torch_affine_grid(tht, size, align_corners=align_corners),
                             align_corners=align_corners)  # fmt: skip
    ref_gx, ref_theta = torch.autograd.grad(ref, (xt, tht), tt(cotangent))
    assert_close(out, ref, np.float64)
    assert_close(gx, ref_gx, np.float64)
    assert_close(gtheta, ref_theta, np.float64)


def test_affine_grid_unit_size_quirk_like_torch():
    """torch skips its positivity check when align_corners meets a unit spatial size."""
    theta = np.random.default_rng(0).standard_normal((2, 2, 3))
    ref = _torch_affine_grid(tt(theta), [2, 0, 1, 5], align_corners=True)
    assert_close(F.affine_grid(theta, [2, 0, 1, 5], align_corners=True), ref, np.float64)


# ---------------------------------------------------------------------------
# refusals
# ---------------------------------------------------------------------------

X4 = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
G4 = np.random.default_rng(1).uniform(-1, 1, (2, 6, 7, 2))
X5 = np.random.default_rng(2).standard_normal((2, 3, 4, 5, 6))
G5 = np.random.default_rng(3).uniform(-1, 1, (2, 3, 2, 4, 3))
THETA = np.random.default_rng(4).standard_normal((2, 2, 3))

GRID_SAMPLE_REFUSALS = [
    ("unbatched input", (X4[0], G4[0]), {}, "input of shape"),
    ("3-d input", (X4[0, 0], G4[0, :, :, 0]), {}, "input of shape"),
    ("6-d input", (np.ones((1, 1, 2, 2, 2, 2)), np.zeros((1, 2, 2, 2, 2, 4))), {}, "input of shape"),
    ("4-d input with 5-d grid", (X4, G5), {}, "grid of shape"),
    ("grid with 3 coordinates for 4-d input", (X4, np.zeros((2, 6, 7, 3))), {}, "grid of shape"),
    ("batch mismatch", (X4, G4[:1]), {}, "batch size"),
    ("empty spatial axis", (np.ones((2, 3, 0, 5)), G4), {}, "non-empty spatial"),
    ("mode", (X4, G4), {"mode": "linear"}, "mode='linear'"),
    ("mode None", (X4, G4), {"mode": None}, "mode=None"),
    ("padding_mode", (X4, G4), {"padding_mode": "reflect"}, "padding_mode='reflect'"),
    ("bicubic 5-d", (X5, G5), {"mode": "bicubic"}, "bicubic"),
    ("dtype mismatch", (X4.astype(np.float32), G4), {}, "grid is float64"),
    ("integer input", (X4.astype(np.int64), G4.astype(np.int64)), {}, "input has dtype int64"),
    ("align_corners int", (X4, G4), {"align_corners": 1}, "align_corners=1"),
    ("align_corners str", (X4, G4), {"align_corners": "yes"}, "align_corners='yes'"),
]


@pytest.mark.parametrize(
    ("args", "kwargs", "match"), [pytest.param(*c[1:], id=c[0]) for c in GRID_SAMPLE_REFUSALS]
)
def test_grid_sample_refuses_what_torch_refuses(args, kwargs, match):
    with pytest.raises(TORCH_REFUSALS):
        _torch_grid_sample(*(tt(a) for a in args), **kwargs)
    with pytest.raises((ValueError, TypeError), match=match):
        F.grid_sample(*args, **kwargs)
    with pytest.raises((ValueError, TypeError), match=match):
        convscope.vjp(F.grid_sample, *args, **kwargs)


AFFINE_REFUSALS = [
    ("batch mismatch", (THETA, [3, 3, 4, 5]), {}, "batch of 3"),
    ("3x4 theta for 4-d size", (np.zeros((2, 3, 4)), [2, 3, 4, 5]), {}, r"\(2, 3, 4\)"),
    ("2x3 theta for 5-d size", (THETA, [2, 3, 4, 5, 6]), {}, r"\(2, 2, 3\)"),
    ("unbatched theta", (THETA[0], [2, 3, 4, 5]), {}, r"theta of shape \(2, 3\)"),
    ("3-d size", (THETA, [2, 3, 4]), {}, r"size=\[2, 3, 4\]"),
    ("zero size", (THETA, [2, 3, 0, 5]), {}, r"size=\[2, 3, 0, 5\]"),
    ("negative channels", (THETA, [2, -1, 4, 5]), {}, r"size=\[2, -1, 4, 5\]"),
    ("integer theta", (THETA.astype(np.int64), [2, 3, 4, 5]), {}, "theta of dtype int64"),
    ("align_corners int", (THETA, [2, 3, 4, 5]), {"align_corners": 0}, "align_corners=0"),
]


@pytest.mark.parametrize(
    ("args", "kwargs", "match"), [pytest.param(*c[1:], id=c[0]) for c in AFFINE_REFUSALS]
)
def test_affine_grid_refuses_what_torch_refuses(args, kwargs, match):
    theta, size = args
    with pytest.raises(TORCH_REFUSALS):
        _torch_affine_grid(tt(theta), size, **kwargs)
    with pytest.raises((ValueError, TypeError), match=match):
        F.affine_grid(theta, size, **kwargs)
