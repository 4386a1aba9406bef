"""interpolate, upsample* and pixel_(un)shuffle against ``torch.nn.functional``, values and gradients.

Every configuration drawn is one torch accepts (output sizes >= 1, the right
rank for the mode, ``align_corners`` only for the interpolating modes,
``antialias`` only for bilinear/bicubic, ``recompute_scale_factor=True`` only
with a scale factor). Interpolation is held to the dtype tolerance of
``support.assert_close``; pixel (un)shuffle only moves values, so it must agree
exactly. Gradients are ``convscope.vjp`` against ``torch.autograd.grad`` with a
random cotangent.
"""

from __future__ import annotations

import math
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

# convscope's upsample* are deprecated like torch's; calling them is the point here
pytestmark = pytest.mark.filterwarnings("ignore:upsample.* is deprecated:DeprecationWarning")

#: the interpolating modes and the one spatial rank torch allows each
LINEAR_MODES = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
#: the modes with antialias; lanczos (Lanczos-3) has nothing else
ANTIALIAS_MODES = ("bilinear", "bicubic", "lanczos")
#: (mode, number of spatial dims): every combination torch accepts
MODE_ND = [(m, nd) for m in ("nearest", "nearest-exact", "area") for nd in (1, 2, 3)] + list(
    LINEAR_MODES.items()
)
MODE_ND_IDS = [f"{m}-{nd}d" for m, nd in MODE_ND]

#: scale factors: integer (as int) and non-integer, down- and up-sampling
SCALES = (2, 3, 0.37, 0.5, 0.8, 1.0, 1.25, 1.5, 2.5, 2.7, 1.7)
DOWN_SCALES = (0.37, 0.5, 0.25, 0.6, 0.8, 0.45, 0.3)


def _deprecated_torch(name: str):
    """torch's deprecated ``upsample*`` functions, their deprecation warning silenced."""
    fn = getattr(TF, name)

    def call(*args: Any, **kwargs: Any) -> torch.Tensor:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return fn(*args, **kwargs)

    return call


def _torch_aa_forward_is_wrong(shape: tuple[int, ...], kwargs: dict[str, Any]) -> bool:
    """The two corners where torch's (2.x, CPU) antialias *forward* disagrees with its own backward.

    1. Output width 1 and height > 1: every output row repeats the first.
       ``interpolate(arange(1., 4.).reshape(1, 1, 3, 1), size=(2, 1), mode='bilinear',
       antialias=True)`` gives [1.375, 1.375]; torch's backward has the Jacobian rows
       [0.625, 0.375, 0] and [0, 0.375, 0.625], i.e. [1.375, 2.625] (also torch's answer
       for the transposed image).
    2. An axis whose output size equals its input size is skipped (copied) even when the
       scale in use is not 1 (a scale_factor != 1, not recomputed, corners not aligned):
       ``interpolate(x, scale_factor=1.25, mode='bicubic', antialias=True)`` on a 1x1x1x2
       image returns x unchanged; the backward interpolates with scale 1/1.25.
    Elsewhere torch's forward and backward agree (checked for all sizes 1-6 and these scales).
    """
    if not kwargs.get("antialias"):
        return False
    with torch.no_grad():
        out = TF.interpolate(torch.zeros(shape, dtype=torch.float64), **kwargs).shape[-2:]
    if out[1] == 1 and out[0] > 1:
        return True
    sf = kwargs.get("scale_factor")
    if sf is None or kwargs.get("recompute_scale_factor") or kwargs.get("align_corners"):
        return False
    factors = sf if isinstance(sf, tuple) else (sf, sf)
    return any(i == o and f != 1 for i, o, f in zip(shape[-2:], out, factors))


def _torch_nearest_backward_is_wrong(shape: tuple[int, ...], kwargs: dict[str, Any]) -> bool:
    """Where torch's (2.x, CPU) nearest *backward* is not the gradient of its forward.

    For 3-d and 5-d input, torch's forward maps output i to source floor(i / scale_factor) on
    every axis, but its backward (like its 4-d forward) takes a shortcut where an axis' output
    size equals its input size (source i) or twice it (source i // 2), whatever the scale:
    ``interpolate(x, scale_factor=1.25)`` on a 1x1x2 signal gives [x0, x0], and torch's
    gradient for the cotangent [0, 1] is [0, 1] instead of [1, 0]. The 4-d forward takes the
    shortcut too, so there torch is consistent.
    """
    sf = kwargs.get("scale_factor")
    if kwargs.get("mode", "nearest") != "nearest" or len(shape) not in (3, 5) or sf is None:
        return False
    if kwargs.get("recompute_scale_factor"):
        return False
    with torch.no_grad():
        out = TF.interpolate(torch.zeros((1, 1, *shape[2:]), dtype=torch.float64), **kwargs).shape[2:]
    factors = sf if isinstance(sf, tuple) else (sf,) * len(out)
    return any((o == i and f != 1) or (o == 2 * i and f != 2) for i, o, f in zip(shape[2:], out, factors))


def _torch_matrix(t: torch.Tensor, kwargs: dict[str, Any], *, from_backward: bool) -> torch.Tensor:
    """``J t`` for the per-plane matrix ``J`` of torch's interpolate (differentiable in ``t``).

    ``J`` is read off torch's backward (rows: basis cotangents riding in the batch dimension,
    one call) or off torch's forward (columns: basis images in the batch dimension, one call).
    """
    spatial = tuple(t.shape[2:])
    k_in = math.prod(spatial)
    with torch.enable_grad():
        out_spatial = tuple(
            TF.interpolate(torch.zeros((1, 1, *spatial), dtype=torch.float64), **kwargs).shape[2:]
        )
        k_out = math.prod(out_spatial)
        if from_backward:
            probe = torch.zeros((k_out, 1, *spatial), dtype=torch.float64, requires_grad=True)
            basis = torch.eye(k_out, dtype=torch.float64).reshape(k_out, 1, *out_spatial)
            (rows,) = torch.autograd.grad(TF.interpolate(probe, **kwargs), probe, basis)
            jac = rows.reshape(k_out, k_in)
        else:
            basis = torch.eye(k_in, dtype=torch.float64).reshape(k_in, 1, *spatial)
            jac = TF.interpolate(basis, **kwargs).reshape(k_in, k_out).T
    jac = jac.to(t.dtype)
    return (t.reshape(-1, k_in) @ jac.T).reshape(*t.shape[:2], *out_spatial)


def torch_interpolate_tensor(t: torch.Tensor, **kwargs: Any) -> torch.Tensor:
    """``TF.interpolate(t, **kwargs)`` (differentiable), except where torch contradicts itself:
    where its antialias forward is wrong, the forward its backward implies; where its nearest
    backward is wrong, its forward as a matrix (whose gradient is the true one)."""
    shape = tuple(t.shape)
    if _torch_aa_forward_is_wrong(shape, kwargs):
        return _torch_matrix(t, kwargs, from_backward=True)
    if _torch_nearest_backward_is_wrong(shape, kwargs):
        return _torch_matrix(t, kwargs, from_backward=False)
    return TF.interpolate(t, **kwargs)


def torch_interpolate(x: np.ndarray, **kwargs: Any) -> np.ndarray:
    with torch.no_grad():
        return to_numpy(torch_interpolate_tensor(tt(x), **kwargs))


@pytest.mark.parametrize(
    ("shape", "kwargs", "torch_forward"),
    [
        ((1, 1, 3, 1), dict(size=(2, 1), mode="bilinear", antialias=True), [1.375, 1.375]),
        ((1, 1, 1, 2), dict(scale_factor=1.25, mode="bicubic", antialias=True), [1.0, 2.0]),
    ],
)
def test_torch_antialias_forward_corners_use_torchs_backward(shape, kwargs, torch_forward):
    """Documents the torch behaviour worked around above, and holds convscope to the forward that
    torch's backward implies (which is also torch's forward for the transposed image in case 1)."""
    x = np.arange(1.0, 1.0 + math.prod(shape)).reshape(shape)
    assert _torch_aa_forward_is_wrong(shape, kwargs)
    np.testing.assert_allclose(to_numpy(TF.interpolate(tt(x), **kwargs)).ravel(), torch_forward)
    implied = torch_interpolate(x, **kwargs)
    assert not np.allclose(implied.ravel(), torch_forward)
    if kwargs.get("size") == (2, 1):
        transposed = TF.interpolate(tt(x).transpose(-1, -2), size=(1, 2), mode="bilinear", antialias=True)
        np.testing.assert_allclose(implied, to_numpy(transposed.transpose(-1, -2)), rtol=1e-12)
    assert_close(F.interpolate(x, **kwargs), implied, np.float64)


@pytest.mark.parametrize("nd", [1, 3])
def test_torch_nearest_backward_corner_uses_gradient_of_torchs_forward(nd):
    """Documents the torch behaviour worked around above; convscope's pullback must be the
    gradient of (torch's) forward."""
    shape = (1, 1, *(1,) * (nd - 1), 2)
    kwargs = dict(scale_factor=(1.0,) * (nd - 1) + (1.25,), mode="nearest")
    assert _torch_nearest_backward_is_wrong(shape, kwargs)
    x = np.array([3.0, 5.0]).reshape(shape)
    cot = np.array([0.0, 1.0]).reshape(shape)
    t = tt(x, grad=True)
    y = TF.interpolate(t, **kwargs)
    np.testing.assert_array_equal(y.detach().numpy().ravel(), [3.0, 3.0])  # both from x[0]
    (g,) = torch.autograd.grad(y, t, tt(cot))
    np.testing.assert_array_equal(g.numpy().ravel(), [0.0, 1.0])  # torch's, not d<cot, y>/dx
    _check_vjp(
        F.interpolate, lambda u: torch_interpolate_tensor(u, **kwargs), x, kwargs, cot, err_msg=str(kwargs)
    )
    _, pullback = convscope.vjp(F.interpolate, x, **kwargs)
    np.testing.assert_array_equal(pullback(cot)[0].ravel(), [1.0, 0.0])


# ---------------------------------------------------------------------------
# cases
# ---------------------------------------------------------------------------


@dataclass
class InterpCase:
    x: np.ndarray
    kwargs: dict[str, Any]

    def torch_ref(self, x: np.ndarray | None = None) -> np.ndarray:
        return torch_interpolate(self.x if x is None else x, **self.kwargs)

    def __repr__(self) -> str:
        return f"InterpCase(x{tuple(self.x.shape)}, {self.kwargs})"


def _min_size(f: float) -> int:
    """The smallest input size torch scales by ``f`` to an output of at least 1."""
    s = 1
    while math.floor(s * f) < 1:
        s += 1
    return s


@st.composite
def interp_cases(
    draw,
    mode: str,
    nd: int,
    *,
    antialias: bool | None = None,
    down: bool = False,
    legacy: bool = False,
) -> InterpCase:
    """An ``interpolate`` call torch accepts.

    ``down``: every axis shrinks (or keeps its size); ``antialias``: forced
    value (None: drawn where the mode takes it); ``legacy``: only the
    arguments ``upsample`` has (no recompute_scale_factor, no antialias).
    """
    hi = 5 if nd == 3 else (12 if down else 8)
    n = draw(st.integers(1, 2))
    c = draw(st.integers(1, 3))
    by = draw(st.sampled_from(["size", "scale"]))
    kwargs: dict[str, Any] = {}
    if by == "size":
        sizes = [draw(st.integers(2 if down else 1, hi)) for _ in range(nd)]
        outs = [draw(st.integers(1, s if down else hi + 3)) for s in sizes]
        if len(set(outs)) == 1 and draw(st.booleans()):
            kwargs["size"] = outs[0]  # one int for every axis
        else:
            kwargs["size"] = tuple(outs)
        if not legacy and draw(st.booleans()):
            kwargs["recompute_scale_factor"] = draw(st.sampled_from([None, False]))
    else:
        pool = DOWN_SCALES if down else SCALES
        if nd > 1 and draw(st.booleans()):
            factors: list[Any] = [draw(st.sampled_from(pool)) for _ in range(nd)]
            kwargs["scale_factor"] = tuple(factors)
        else:
            f = draw(st.sampled_from(pool))
            factors = [f] * nd
            kwargs["scale_factor"] = f
        sizes = [draw(st.integers(_min_size(f), max(hi, _min_size(f)))) for f in factors]
        if not legacy and draw(st.booleans()):
            kwargs["recompute_scale_factor"] = draw(st.sampled_from([None, True, False]))
    kwargs["mode"] = mode
    if mode in LINEAR_MODES or mode == "lanczos":
        ac = draw(st.sampled_from([None, False] if mode == "lanczos" else [None, True, False]))
        if ac is not None or draw(st.booleans()):
            kwargs["align_corners"] = ac
    if mode == "lanczos":
        kwargs["antialias"] = True  # torch has lanczos only antialiased
    elif not legacy and mode in ANTIALIAS_MODES:
        aa = draw(st.booleans()) if antialias is None else antialias
        if aa or draw(st.booleans()):
            kwargs["antialias"] = aa
    seed = draw(st.integers(0, 2**32 - 1))
    x = np.random.default_rng(seed).standard_normal((n, c, *sizes))
    return InterpCase(x, kwargs)


def _cotangent(data, shape, dtype=np.float64):
    seed = data.draw(st.integers(0, 2**32 - 1), label="cot_seed")
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _torch_grad(forward, x, cot):
    """(output, d<cot, forward(x)>/dx) by torch autograd."""
    t = tt(x, grad=True)
    out = forward(t)
    (g,) = torch.autograd.grad(out, [t], tt(cot))
    return out.detach().numpy(), g.numpy()


def _check_vjp(fn, torch_fn, x, params, cot, dtype=np.float64, err_msg=""):
    out, pullback = convscope.vjp(fn, x, **params)
    ref_out, ref_g = _torch_grad(torch_fn, x, cot)
    assert_close(out, ref_out, dtype, err_msg=err_msg)
    grads = pullback(cot)
    assert isinstance(grads, tuple), f"pullback must return a tuple, got {type(grads).__name__}"
    assert len(grads) == 1, len(grads)
    assert_close(grads[0], ref_g, dtype, err_msg=err_msg)


def _assert_exact(ours, ref, dtype, err_msg=""):
    ref = to_numpy(ref)
    assert isinstance(ours, np.ndarray), f"expected a numpy array, got {type(ours).__name__}"
    assert ours.dtype == np.dtype(dtype), (ours.dtype, dtype)
    assert ours.shape == ref.shape, f"shape {ours.shape} != torch's {ref.shape}. {err_msg}"
    np.testing.assert_array_equal(ours, ref, err_msg=err_msg)


# ---------------------------------------------------------------------------
# interpolate: values
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "nd"), MODE_ND, ids=MODE_ND_IDS)
@settings(max_examples=80)
@given(data=st.data())
def test_interpolate_matches_torch(mode, nd, data):
    case = data.draw(interp_cases(mode, nd), label="case")
    x0 = case.x.copy()
    ours = F.interpolate(case.x, **case.kwargs)
    assert_close(ours, case.torch_ref(), np.float64, err_msg=repr(case))
    np.testing.assert_array_equal(case.x, x0)  # the input is not written to


@pytest.mark.parametrize(("mode", "nd"), MODE_ND, ids=MODE_ND_IDS)
@settings(max_examples=40)
@given(data=st.data())
def test_interpolate_down_sampling_matches_torch(mode, nd, data):
    case = data.draw(interp_cases(mode, nd, down=True), label="case")
    assert_close(F.interpolate(case.x, **case.kwargs), case.torch_ref(), np.float64, err_msg=repr(case))


@pytest.mark.parametrize(("mode", "nd"), MODE_ND, ids=MODE_ND_IDS)
@settings(max_examples=20)
@given(data=st.data())
def test_interpolate_float32(mode, nd, data):
    case = data.draw(interp_cases(mode, nd), label="case")
    x = case.x.astype(np.float32)
    assert_close(F.interpolate(x, **case.kwargs), case.torch_ref(x), np.float32, err_msg=repr(case))


@pytest.mark.parametrize("mode", ANTIALIAS_MODES)
@pytest.mark.parametrize("down", [True, False], ids=["down", "up-or-any"])
@settings(max_examples=60)
@given(data=st.data())
def test_interpolate_antialias_matches_torch(mode, down, data):
    case = data.draw(interp_cases(mode, 2, antialias=True, down=down), label="case")
    assert_close(F.interpolate(case.x, **case.kwargs), case.torch_ref(), np.float64, err_msg=repr(case))


@pytest.mark.parametrize("mode", ANTIALIAS_MODES)
@settings(max_examples=15)
@given(data=st.data())
def test_interpolate_antialias_float32(mode, data):
    case = data.draw(interp_cases(mode, 2, antialias=True, down=True), label="case")
    x = case.x.astype(np.float32)
    assert_close(F.interpolate(x, **case.kwargs), case.torch_ref(x), np.float32, err_msg=repr(case))


@pytest.mark.parametrize(("mode", "nd"), MODE_ND, ids=MODE_ND_IDS)
def test_interpolate_accepts_torch_tensor(mode, nd):
    x = np.random.default_rng(nd).standard_normal((2, 3, *(4, 5, 3)[:nd]))
    kwargs = dict(scale_factor=1.5, mode=mode)
    ref = TF.interpolate(tt(x), **kwargs)
    assert_close(F.interpolate(tt(x), **kwargs), ref, np.float64)


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "linear", "area"])
@pytest.mark.parametrize(
    ("length", "scale"),
    [
        (100, 0.29),
        (100, 0.57),
        (10, 0.7),
        (10, 1.1),
        (7, 1 / 3),
        (9, 2 / 3),
        (30, 0.1),
        (49, 0.07),
        (10, 2.09),
        (10, 1.05),
    ],
)
@pytest.mark.parametrize("recompute", [None, True])
def test_interpolate_output_size_and_scale_rounding_like_torch(mode, length, scale, recompute):
    """Output size floor(in * scale) in double (100 * 0.29 -> 28), and the scale used for the
    source positions: 1/scale_factor unless recomputed (then in/out), exactly as torch."""
    x = np.random.default_rng(length).standard_normal((1, 2, length))
    kwargs = dict(scale_factor=scale, mode=mode, recompute_scale_factor=recompute)
    ref = TF.interpolate(tt(x), **kwargs)
    assert_close(F.interpolate(x, **kwargs), ref, np.float64, err_msg=str(kwargs))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
@pytest.mark.parametrize("scale", [1 / 3, 0.37, 2.7, 1.7, 3.3, 0.7])
def test_interpolate_nearest_source_index_arithmetic_like_torch(mode, scale, nd, dtype):
    """torch picks the nearest source in the input's precision (double for float64, float for
    float32); a long last axis exposes any difference (at 2.7 the two disagree)."""
    shape = (1, 1, *(3,) * (nd - 1), 200)
    factors = (2,) * (nd - 1) + (scale,)
    x = np.broadcast_to(np.arange(200, dtype=dtype), shape).copy()
    ref = TF.interpolate(tt(x), scale_factor=factors, mode=mode)
    ours = F.interpolate(x, scale_factor=factors, mode=mode)
    _assert_exact(ours, ref, dtype, err_msg=f"scale_factor={factors}")


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
@pytest.mark.parametrize(("length", "scale"), [(2, 1.25), (10, 1.05), (10, 2.09), (7, 2.2)])
def test_interpolate_nearest_same_or_double_size_with_scale_like_torch(mode, length, scale, nd, rng):
    """Output size equal to (or twice) the input size while the scale_factor is not 1 (or 2):
    torch's answers, forward and gradient, for every rank (they differ between ranks)."""
    shape = (1, 2, *(1,) * (nd - 1), length)
    factors = (1.0,) * (nd - 1) + (scale,)
    x = rng.standard_normal(shape)
    kwargs = dict(scale_factor=factors, mode=mode)
    ref = TF.interpolate(tt(x), **kwargs)
    assert_close(F.interpolate(x, **kwargs), ref, np.float64, err_msg=str(kwargs))
    cot = rng.standard_normal(tuple(ref.shape))
    _check_vjp(
        F.interpolate, lambda t: torch_interpolate_tensor(t, **kwargs), x, kwargs, cot, err_msg=str(kwargs)
    )


# ---------------------------------------------------------------------------
# interpolate: gradients
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "nd"), MODE_ND, ids=MODE_ND_IDS)
@settings(max_examples=40)
@given(data=st.data())
def test_interpolate_vjp_matches_torch(mode, nd, data):
    case = data.draw(interp_cases(mode, nd), label="case")
    ref_shape = case.torch_ref().shape
    cot = _cotangent(data, ref_shape)
    _check_vjp(
        F.interpolate,
        lambda t: torch_interpolate_tensor(t, **case.kwargs),
        case.x,
        case.kwargs,
        cot,
        err_msg=repr(case),
    )


@pytest.mark.parametrize("mode", ANTIALIAS_MODES)
@pytest.mark.parametrize("down", [True, False], ids=["down", "up-or-any"])
@settings(max_examples=30)
@given(data=st.data())
def test_interpolate_antialias_vjp_matches_torch(mode, down, data):
    case = data.draw(interp_cases(mode, 2, antialias=True, down=down), label="case")
    cot = _cotangent(data, case.torch_ref().shape)
    _check_vjp(
        F.interpolate,
        lambda t: torch_interpolate_tensor(t, **case.kwargs),
        case.x,
        case.kwargs,
        cot,
        err_msg=repr(case),
    )


@pytest.mark.parametrize(("mode", "nd"), [("nearest", 2), ("area", 2), ("bilinear", 2), ("bicubic", 2)])
@settings(max_examples=8)
@given(data=st.data())
def test_interpolate_vjp_float32(mode, nd, data):
    case = data.draw(interp_cases(mode, nd), label="case")
    x = case.x.astype(np.float32)
    cot = _cotangent(data, case.torch_ref().shape, np.float32)
    _check_vjp(
        F.interpolate,
        lambda t: torch_interpolate_tensor(t, **case.kwargs),
        x,
        case.kwargs,
        cot,
        dtype=np.float32,
        err_msg=repr(case),
    )


# ---------------------------------------------------------------------------
# the seed document's example
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(mode="nearest"),
        dict(mode="bilinear", align_corners=True),
        dict(mode="bilinear", align_corners=False),
    ],
    ids=["nearest", "bilinear-align_corners", "bilinear"],
)
def test_seed_example_2x2_upsampled_x2(kwargs):
    """The seed example: ``arange(1, 5)`` as a 1x1x2x2 image, up-sampled x2 (torch's answers)."""
    x = np.arange(1, 5, dtype=np.float64).reshape(1, 1, 2, 2)
    ref = to_numpy(TF.interpolate(tt(x), scale_factor=2, **kwargs))
    assert ref.shape == (1, 1, 4, 4)
    ours = F.interpolate(x, scale_factor=2, **kwargs)
    assert_close(ours, ref, np.float64)
    # torch's numbers, printed as the seed document shows them
    assert np.array2string(ours[0, 0], precision=4) == np.array2string(ref[0, 0], precision=4)
    x32 = x.astype(np.float32)
    assert_close(
        F.interpolate(x32, scale_factor=2, **kwargs),
        TF.interpolate(tt(x32), scale_factor=2, **kwargs),
        np.float32,
    )


# ---------------------------------------------------------------------------
# upsample, upsample_nearest, upsample_bilinear (torch's deprecated twins)
# ---------------------------------------------------------------------------

UPSAMPLE_MODE_ND = [(m, nd) for m, nd in MODE_ND if m != "nearest-exact"]


@pytest.mark.parametrize(("mode", "nd"), UPSAMPLE_MODE_ND, ids=[f"{m}-{nd}d" for m, nd in UPSAMPLE_MODE_ND])
@settings(max_examples=15)
@given(data=st.data())
def test_upsample_matches_torch(mode, nd, data):
    case = data.draw(interp_cases(mode, nd, legacy=True), label="case")
    ref = _deprecated_torch("upsample")(tt(case.x), **case.kwargs)
    assert_close(F.upsample(case.x, **case.kwargs), ref, np.float64, err_msg=repr(case))


@pytest.mark.parametrize("nd", [1, 2, 3])
@settings(max_examples=15)
@given(data=st.data())
def test_upsample_nearest_matches_torch(nd, data):
    case = data.draw(interp_cases("nearest", nd, legacy=True), label="case")
    kw = {k: v for k, v in case.kwargs.items() if k in ("size", "scale_factor")}
    ref = _deprecated_torch("upsample_nearest")(tt(case.x), **kw)
    assert_close(F.upsample_nearest(case.x, **kw), ref, np.float64, err_msg=repr(case))


@settings(max_examples=25)
@given(data=st.data())
def test_upsample_bilinear_matches_torch(data):
    """torch's upsample_bilinear is bilinear with align_corners=True."""
    case = data.draw(interp_cases("bilinear", 2, legacy=True), label="case")
    kw = {k: v for k, v in case.kwargs.items() if k in ("size", "scale_factor")}
    ref = _deprecated_torch("upsample_bilinear")(tt(case.x), **kw)
    assert_close(F.upsample_bilinear(case.x, **kw), ref, np.float64, err_msg=repr(case))
    x32 = case.x.astype(np.float32)
    ref32 = _deprecated_torch("upsample_bilinear")(tt(x32), **kw)
    assert_close(F.upsample_bilinear(x32, **kw), ref32, np.float32, err_msg=repr(case))


def test_upsample_defaults_like_torch():
    """Positional size; default mode nearest; upsample_bilinear's corners aligned."""
    x = np.random.default_rng(7).standard_normal((1, 2, 3, 4))
    assert_close(F.upsample(x, (5, 7)), _deprecated_torch("upsample")(tt(x), (5, 7)), np.float64)
    assert_close(
        F.upsample_nearest(x, None, 2), _deprecated_torch("upsample_nearest")(tt(x), None, 2), np.float64
    )
    assert_close(
        F.upsample_bilinear(x, (6, 5)), _deprecated_torch("upsample_bilinear")(tt(x), (6, 5)), np.float64
    )


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("upsample", dict(scale_factor=2, mode="bicubic", align_corners=False)),
        ("upsample_nearest", dict(scale_factor=1.5)),
        ("upsample_bilinear", dict(size=(3, 7))),
    ],
)
def test_upsample_vjp_matches_torch(name, kwargs, rng):
    x = rng.standard_normal((2, 3, 4, 5))
    torch_fn = _deprecated_torch(name)
    cot = rng.standard_normal(tuple(torch_fn(tt(x), **kwargs).shape))
    _check_vjp(getattr(F, name), lambda t: torch_fn(t, **kwargs), x, kwargs, cot, err_msg=f"{name} {kwargs}")


# ---------------------------------------------------------------------------
# pixel_shuffle / pixel_unshuffle
# ---------------------------------------------------------------------------


@dataclass
class ShuffleCase:
    x: np.ndarray
    factor: int

    def __repr__(self) -> str:
        return f"ShuffleCase(x{tuple(self.x.shape)}, factor={self.factor})"


@st.composite
def shuffle_cases(draw, *, unshuffle: bool) -> ShuffleCase:
    """Inputs of shape (*lead, C, H, W) torch accepts; ``lead`` has 0 to 3 dims."""
    r = draw(st.integers(1, 3))
    lead = draw(st.lists(st.integers(1, 2), min_size=0, max_size=3))
    c = draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    shape = (*lead, c, h * r, w * r) if unshuffle else (*lead, c * r * r, h, w)
    seed = draw(st.integers(0, 2**32 - 1))
    return ShuffleCase(np.random.default_rng(seed).standard_normal(shape), r)


#: (ours, torch's, keyword of the factor, whether the input is the shuffled side)
SHUFFLES = {
    "shuffle": (F.pixel_shuffle, TF.pixel_shuffle, "upscale_factor", False),
    "unshuffle": (F.pixel_unshuffle, TF.pixel_unshuffle, "downscale_factor", True),
}


@pytest.mark.parametrize("which", sorted(SHUFFLES))
@settings(max_examples=30)
@given(data=st.data())
def test_pixel_shuffle_and_unshuffle_match_torch(which, data):
    ours, theirs, _, unshuffle = SHUFFLES[which]
    case = data.draw(shuffle_cases(unshuffle=unshuffle), label="case")
    _assert_exact(ours(case.x, case.factor), theirs(tt(case.x), case.factor), np.float64, err_msg=repr(case))
    x32 = case.x.astype(np.float32)
    _assert_exact(ours(x32, case.factor), theirs(tt(x32), case.factor), np.float32)


@pytest.mark.parametrize("which", sorted(SHUFFLES))
@settings(max_examples=15)
@given(data=st.data())
def test_pixel_shuffle_and_unshuffle_vjp_match_torch(which, data):
    ours, theirs, keyword, unshuffle = SHUFFLES[which]
    case = data.draw(shuffle_cases(unshuffle=unshuffle), label="case")
    cot = _cotangent(data, tuple(theirs(tt(case.x), case.factor).shape))
    _check_vjp(
        ours,
        lambda t: theirs(t, case.factor),
        case.x,
        {keyword: case.factor},
        cot,
        err_msg=repr(case),
    )


def test_pixel_shuffle_then_unshuffle_like_torch(rng):
    """The docs' round trip, answered by torch: unshuffle(shuffle(x)) is x."""
    x = rng.standard_normal((2, 18, 4, 5))
    ref = TF.pixel_unshuffle(TF.pixel_shuffle(tt(x), 3), 3)
    _assert_exact(F.pixel_unshuffle(F.pixel_shuffle(x, 3), 3), ref, np.float64)
