"""deform_conv2d against a deformable convolution written in plain torch operations.

torchvision (the operator's home) has no build for this CPU torch, so the
oracle is ``_reference`` below: per tap, the four neighbours of every
sample are read with ``torch.gather`` from the flattened image and weighted
explicitly; torch's autograd differentiates it. It shares no code or method
with convscope's sparse-matrix kernel, and it is itself checked first:
against ``F.conv2d`` for zero offsets, and against ``F.grid_sample`` (whose
zero padding is the same per-neighbour rule) for the sampling and its
gradients.

torchvision's ``bilinear_interpolate`` also returns 0 when ``y <= -1``,
``y >= H``, ``x <= -1`` or ``x >= W``. The reference leaves that test out: it
changes no value (every neighbour is outside there, or weighs 0 at exactly
-1), and torchvision's offset gradient (``get_coordinate_weight``) leaves it
out too, so autograd of the reference is torchvision's gradient everywhere,
taken from above at integer positions as ``floor`` makes it.
"""

from __future__ import annotations

import math
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

# ---------------------------------------------------------------------------
# the reference
# ---------------------------------------------------------------------------


def _bilinear(image: torch.Tensor, y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Sample ``image`` ``(N, C, H, W)`` at pixel coordinates ``y, x`` ``(N, P)``: ``(N, C, P)``.

    A neighbour outside the image contributes 0.
    """
    n, c, h, w = image.shape
    flat = image.reshape(n, c, h * w)
    y0, x0 = torch.floor(y), torch.floor(x)
    fy, fx = y - y0, x - x0
    total = image.new_zeros(n, c, y.shape[1])
    for row, weight_y in ((y0, 1 - fy), (y0 + 1, fy)):
        for col, weight_x in ((x0, 1 - fx), (x0 + 1, fx)):
            inside = (row >= 0) & (row <= h - 1) & (col >= 0) & (col <= w - 1)
            where = torch.where(inside, row * w + col, torch.zeros_like(row)).long()
            values = torch.gather(flat, 2, where[:, None, :].expand(n, c, -1))
            weight = torch.where(inside, weight_y * weight_x, torch.zeros_like(fy))
            total = total + values * weight[:, None, :]
    return total


def _pair(v: Any) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (v[0], v[1])


def _reference(
    x: torch.Tensor,
    offset: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """torchvision's deform_conv2d, one tap and one offset group at a time."""
    n, c, _, _ = x.shape
    c_out, c_group, kh, kw = weight.shape
    groups, taps = c // c_group, kh * kw
    offset_groups = offset.shape[1] // (2 * taps)
    ho, wo = offset.shape[2:]
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    oy = torch.arange(ho, dtype=x.dtype).reshape(ho, 1).expand(ho, wo).reshape(-1)
    ox = torch.arange(wo, dtype=x.dtype).reshape(1, wo).expand(ho, wo).reshape(-1)
    per_group = c // offset_groups
    columns = []  # per input channel block: (N, per_group, taps, P)
    for g in range(offset_groups):
        tap_samples = []
        for i in range(kh):
            for j in range(kw):
                k = g * taps + i * kw + j
                y = (oy * sh - ph + i * dh) + offset[:, 2 * k].reshape(n, -1)
                xx = (ox * sw - pw + j * dw) + offset[:, 2 * k + 1].reshape(n, -1)
                sample = _bilinear(x[:, g * per_group : (g + 1) * per_group], y, xx)
                if mask is not None:
                    sample = sample * mask[:, k].reshape(n, 1, -1)
                tap_samples.append(sample)
        columns.append(torch.stack(tap_samples, dim=2))
    cols = torch.cat(columns, dim=1)  # (N, C, taps, P)
    out = []
    per_out = c_out // groups
    for g in range(groups):
        block = cols[:, g * c_group : (g + 1) * c_group].reshape(n, c_group * taps, -1)
        w_g = weight[g * per_out : (g + 1) * per_out].reshape(per_out, c_group * taps)
        out.append(torch.einsum("ok,nkp->nop", w_g, block))
    result = torch.cat(out, dim=1).reshape(n, c_out, ho, wo)
    return result if bias is None else result + bias.reshape(1, -1, 1, 1)


# ---------------------------------------------------------------------------
# cases
# ---------------------------------------------------------------------------


@dataclass
class DeformCase:
    x: np.ndarray
    offset: np.ndarray
    weight: np.ndarray
    bias: np.ndarray | None
    mask: np.ndarray | None
    stride: Any
    padding: Any
    dilation: Any

    def params(self) -> dict[str, Any]:
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation)

    def primals(self) -> list[np.ndarray | None]:
        return [self.x, self.offset, self.weight, self.bias, self.mask]

    def __repr__(self) -> str:
        return (
            f"DeformCase(x{self.x.shape}, offset{self.offset.shape}, weight{self.weight.shape}, "
            f"bias={None if self.bias is None else self.bias.shape}, "
            f"mask={None if self.mask is None else self.mask.shape}, {self.params()})"
        )


def _out_size(size: int, k: int, s: int, p: int, d: int) -> int:
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


@st.composite
def deform_cases(draw: Any, offsets: str = "mixed") -> DeformCase:
    groups = draw(st.sampled_from([1, 1, 2]))
    offset_groups = draw(st.sampled_from([1, 1, 2, 3]))
    channels = math.lcm(groups, offset_groups) * draw(st.integers(1, 2))
    c_out = groups * draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = draw(st.sampled_from([1, 2, (1, 2)]))
    padding = draw(st.sampled_from([0, 1, 2, (0, 1)]))
    dilation = draw(st.sampled_from([1, 2, (2, 1)]))
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    h = max(1, dh * (kh - 1) + 1 - 2 * ph) + draw(st.integers(0, 4))
    w = max(1, dw * (kw - 1) + 1 - 2 * pw) + draw(st.integers(0, 4))
    n = draw(st.integers(1, 2))
    ho, wo = _out_size(h, kh, sh, ph, dh), _out_size(w, kw, sw, pw, dw)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((n, channels, h, w))
    weight = rng.standard_normal((c_out, channels // groups, kh, kw))
    bias = rng.standard_normal(c_out) if draw(st.booleans()) else None
    shape = (n, 2 * offset_groups * kh * kw, ho, wo)
    if offsets == "zero":
        offset = np.zeros(shape)
    else:
        offset = rng.normal(0.0, draw(st.sampled_from([0.7, 2.0, 6.0])), shape)
        # Exactly integer offsets (samples on pixels, the kinks of bilinear interpolation,
        # including the edge at -1) and far ones (every neighbour outside the image).
        integer = rng.random(shape) < draw(st.sampled_from([0.0, 0.3, 1.0]))
        offset = np.where(integer, np.round(offset), offset)
        far = rng.random(shape) < 0.1
        offset = np.where(far, rng.choice([-40.0, 35.5, 1e4], shape), offset)
    mask_kind = draw(st.sampled_from(["none", "random", "ones"]))
    mask = None
    if mask_kind != "none":
        mask = np.ones((n, offset_groups * kh * kw, ho, wo))
        if mask_kind == "random":
            mask = rng.uniform(-0.5, 1.5, mask.shape)
            mask[rng.random(mask.shape) < 0.1] = 0.0
    return DeformCase(x, offset, weight, bias, mask, stride, padding, dilation)


def _torch_vjp(case: DeformCase, dtype: Any, cotangent: np.ndarray) -> tuple[np.ndarray, list[Any]]:
    """The reference's output and its gradients in every present primal, computed in ``dtype``."""
    tensors = [tt(a, dtype, grad=True) for a in case.primals()]
    x, offset, weight, bias, mask = tensors
    out = _reference(x, offset, weight, bias, mask=mask, **case.params())
    present = [t for t in tensors if t is not None]
    grads = iter(torch.autograd.grad(out, present, tt(cotangent, dtype), allow_unused=True))
    result = []
    for t in tensors:
        g = None if t is None else next(grads)
        result.append(None if t is None else (np.zeros(t.shape, dtype) if g is None else to_numpy(g)))
    return to_numpy(out), result


NAMES = ("input", "offset", "weight", "bias", "mask")


def _check(case: DeformCase, dtype: Any, seed: int) -> None:
    primals = [None if a is None else a.astype(dtype) for a in case.primals()]
    out, pullback = convscope.vjp(F.deform_conv2d, *primals, **case.params())
    cotangent = np.random.default_rng(seed).standard_normal(out.shape).astype(dtype)
    ref_out, ref_grads = _torch_vjp(case, dtype, cotangent)
    assert_close(out, ref_out, dtype, err_msg=repr(case))
    grads = pullback(cotangent)
    assert len(grads) == 5
    for name, ours, ref in zip(NAMES, grads, ref_grads):
        if ref is None:
            assert ours is None, f"{name} gradient should be None; {case!r}"
        else:
            assert_close(ours, ref, dtype, err_msg=f"{name} gradient; {case!r}")


# ---------------------------------------------------------------------------
# the reference against torch
# ---------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(case=deform_cases(offsets="zero"))
def test_reference_with_zero_offsets_is_conv2d(case: DeformCase) -> None:
    x, offset, weight, bias, mask = (tt(a) for a in case.primals())
    got = _reference(
        x, offset, weight, bias, mask=None if mask is None else torch.ones_like(mask), **case.params()
    )
    want = TF.conv2d(x, weight, bias, groups=x.shape[1] // weight.shape[1], **case.params())
    np.testing.assert_allclose(to_numpy(got), to_numpy(want), rtol=1e-12, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    size=st.tuples(st.integers(1, 6), st.integers(1, 6)),
    reach=st.sampled_from([1.5, 4.0]),
    seed=st.integers(0, 2**32 - 1),
)
def test_reference_sampling_is_grid_sample(size: tuple[int, int], reach: float, seed: int) -> None:
    """Pixel coordinates mapped to grid_sample's (align_corners=False): same values and gradients."""
    h, w = size
    rng = np.random.default_rng(seed)
    image = tt(rng.standard_normal((2, 3, h, w)), grad=True)
    y = tt(rng.uniform(-reach, h - 1 + reach, (2, 7)), grad=True)
    x = tt(rng.uniform(-reach, w - 1 + reach, (2, 7)), grad=True)
    ours = _bilinear(image, y, x)
    grid = torch.stack([(2 * x + 1) / w - 1, (2 * y + 1) / h - 1], dim=-1)[:, None]  # (N, 1, P, 2)
    theirs = TF.grid_sample(image, grid, mode="bilinear", padding_mode="zeros", align_corners=False)[:, :, 0]
    np.testing.assert_allclose(to_numpy(ours), to_numpy(theirs), rtol=1e-10, atol=1e-10)
    cot = tt(rng.standard_normal(ours.shape))
    for a, b in zip(
        torch.autograd.grad(ours, (image, y, x), cot), torch.autograd.grad(theirs, (image, y, x), cot)
    ):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-9, atol=1e-9)


# ---------------------------------------------------------------------------
# convscope against the reference
# ---------------------------------------------------------------------------


@settings(max_examples=70, deadline=None)
@given(case=deform_cases(), seed=st.integers(0, 2**32 - 1))
def test_matches_reference_float64(case: DeformCase, seed: int) -> None:
    _check(case, np.float64, seed)


@settings(max_examples=30, deadline=None)
@given(case=deform_cases(), seed=st.integers(0, 2**32 - 1))
def test_matches_reference_float32(case: DeformCase, seed: int) -> None:
    _check(case, np.float32, seed)


def test_float16_is_computed_in_float32() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 4, 6, 5)).astype(np.float16)
    weight = rng.standard_normal((3, 4, 3, 3)).astype(np.float16)
    offset = rng.normal(0, 2, (2, 18, 6, 5)).astype(np.float16)
    mask = rng.random((2, 9, 6, 5)).astype(np.float16)
    out = F.deform_conv2d(x, offset, weight, padding=1, mask=mask)
    ref = _reference(*(tt(a, np.float32) for a in (x, offset, weight)), padding=1, mask=tt(mask, np.float32))
    assert_close(out, ref, np.float16)


@settings(max_examples=20, deadline=None)
@given(case=deform_cases(offsets="zero"))
def test_zero_offsets_equal_conv2d(case: DeformCase) -> None:
    mask = None if case.mask is None else np.ones_like(case.mask)
    out = F.deform_conv2d(case.x, case.offset, case.weight, case.bias, mask=mask, **case.params())
    groups = case.x.shape[1] // case.weight.shape[1]
    want = TF.conv2d(tt(case.x), tt(case.weight), tt(case.bias), groups=groups, **case.params())
    assert_close(out, want, np.float64, err_msg=repr(case))


def _shifted_canvas(x: np.ndarray, dy: int, dx: int, pad: tuple[int, int]) -> np.ndarray:
    """The padded input as an integer offset reads it.

    ``canvas[r, c] = x[r - pad_h + dy, c - pad_w + dx]``, zero outside ``x``.
    """
    margin = abs(dy) + abs(dx) + max(pad)
    big = np.pad(x, ((0, 0), (0, 0), (margin, margin), (margin, margin)))
    h, w = x.shape[2:]
    top, left = margin - pad[0] + dy, margin - pad[1] + dx
    return big[:, :, top : top + h + 2 * pad[0], left : left + w + 2 * pad[1]]


@settings(max_examples=30, deadline=None)
@given(case=deform_cases(offsets="zero"), dy=st.integers(-4, 4), dx=st.integers(-4, 4))
def test_integer_offset_is_conv2d_of_shifted_input(case: DeformCase, dy: int, dx: int) -> None:
    offset = case.offset.copy()
    offset[:, 0::2], offset[:, 1::2] = dy, dx
    out = F.deform_conv2d(case.x, offset, case.weight, case.bias, **case.params())
    canvas = _shifted_canvas(case.x, dy, dx, _pair(case.padding))
    groups = case.x.shape[1] // case.weight.shape[1]
    want = TF.conv2d(
        tt(canvas), tt(case.weight), tt(case.bias), stride=case.stride, dilation=case.dilation, groups=groups
    )
    assert_close(out, want, np.float64, err_msg=f"offset ({dy}, {dx}); {case!r}")


def _big_case(n: int = 3) -> DeformCase:
    """Large enough that the sampling runs in several threads and a small workspace cuts the batch."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((n, 16, 20, 19))
    weight = rng.standard_normal((8, 8, 3, 3))
    offset = rng.normal(0, 2, (n, 2 * 2 * 9, 10, 10))
    mask = rng.random((n, 2 * 9, 10, 10))
    return DeformCase(x, offset, weight, rng.standard_normal(8), mask, 2, 1, 1)


def test_chunked_and_threaded_runs_agree_with_the_reference() -> None:
    case = _big_case()
    _check(case, np.float64, 0)
    with convscope.options(workspace_bytes=4096):
        _check(case, np.float64, 0)


def test_mask_by_keyword_gets_no_gradient_and_none_bias_gets_none() -> None:
    case = _big_case(1)
    primals = (case.x, case.offset, case.weight, None)
    out, pullback = convscope.vjp(F.deform_conv2d, *primals, mask=case.mask, **case.params())
    grads = pullback(np.ones_like(out))
    assert len(grads) == 4 and grads[3] is None
    full = convscope.vjp(F.deform_conv2d, *primals, case.mask, **case.params())[1](np.ones_like(out))
    for a, b in zip(grads[:3], full[:3]):
        np.testing.assert_array_equal(a, b)


def test_infinite_offsets_sample_zero() -> None:
    """torchvision's early exit (``y <= -1 or y >= H ...`` -> 0) only matters at infinity (NaN weights)."""
    case = _big_case(1)
    offset, mask = case.offset.copy(), case.mask.copy()
    far = np.random.default_rng(5).random(offset.shape) < 0.2
    offset[far] = np.where(np.random.default_rng(6).random(offset.shape) < 0.5, np.inf, -np.inf)[far]
    hit = far.reshape(1, -1, 2, *offset.shape[2:]).any(axis=2).reshape(mask.shape)
    zeroed = np.where(hit, 0.0, mask)
    finite = np.where(far, 0.0, offset)
    out, pullback = convscope.vjp(F.deform_conv2d, case.x, offset, case.weight, None, mask, **case.params())
    want = F.deform_conv2d(case.x, finite, case.weight, mask=zeroed, **case.params())
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-12)
    assert all(np.isfinite(g).all() for g in pullback(np.ones_like(out)) if g is not None)


def test_accepts_torch_tensors_and_returns_numpy() -> None:
    case = _big_case(1)
    out = F.deform_conv2d(
        tt(case.x), tt(case.offset), tt(case.weight), padding=1, stride=2, mask=tt(case.mask)
    )
    assert isinstance(out, np.ndarray) and out.dtype == np.float64
    want = F.deform_conv2d(case.x, case.offset, case.weight, padding=1, stride=2, mask=case.mask)
    np.testing.assert_array_equal(out, want)


# ---------------------------------------------------------------------------
# refusals
# ---------------------------------------------------------------------------
# torch has no deform_conv2d, and torchvision is not installable here: each case
# below is one torchvision refuses, per the checks of torchvision/ops/deform_conv.py
# and the TORCH_CHECKs of its deform_conv2d kernel (quoted in the comments). Where
# the refusal is about the convolution geometry alone, torch's conv2d refuses the
# same configuration, and that is checked too (``conv2d_refuses``).


def _arrays(
    n: int = 2, c: int = 4, h: int = 6, w: int = 5, c_out: int = 6, k: int = 3, og: int = 1
) -> dict[str, Any]:
    return dict(
        input=np.zeros((n, c, h, w)),
        offset=np.zeros((n, 2 * og * k * k, h - k + 1, w - k + 1)),
        weight=np.zeros((c_out, c, k, k)),
    )


def _with(**changes: Any) -> dict[str, Any]:
    args = _arrays()
    args.update(changes)
    return args


REFUSALS: list[tuple[str, dict[str, Any], type[Exception], str, bool]] = [
    # (label, arguments, error, message fragment, torch's conv2d refuses the same geometry)
    # `_, n_in_channels, _, _ = input.shape` and TORCH_CHECK(input.ndimension() == 4): no unbatched input
    ("3-d input", _with(input=np.zeros((4, 6, 5))), ValueError, "input", False),
    ("5-d input", _with(input=np.zeros((2, 4, 6, 5, 1))), ValueError, "input", False),
    ("3-d offset", _with(offset=np.zeros((18, 4, 3))), ValueError, "offset", False),
    ("3-d weight", _with(weight=np.zeros((6, 4, 3))), ValueError, "weight", False),
    ("3-d mask", _with(mask=np.zeros((9, 4, 3))), ValueError, "mask", False),
    # "the shape of the offset tensor at dimension 1 is not valid" (n_offset_grps == 0)
    ("offset channels < 2*kh*kw", _with(offset=np.zeros((2, 16, 4, 3))), ValueError, "shape[1]=16", False),
    # TORCH_CHECK(offset.size(1) == n_offset_grps * 2 * weight_h * weight_w)
    ("offset channels", _with(offset=np.zeros((2, 20, 4, 3))), ValueError, "offset.shape[1]=20", False),
    # TORCH_CHECK(input.size(1) % n_offset_grps == 0)
    ("offset groups", _with(offset=np.zeros((2, 54, 4, 3))), ValueError, "offset groups", False),
    # TORCH_CHECK(weight.size(1) * n_weight_grps == input.size(1))
    ("weight groups", _with(weight=np.zeros((6, 3, 3, 3))), ValueError, "weight.shape[1]=3", True),
    # TORCH_CHECK(weight.size(0) % n_weight_grps == 0)
    ("out channels", _with(weight=np.zeros((3, 2, 3, 3))), ValueError, "weight.shape[0]=3", True),
    # "invalid batch size of offset"
    ("offset batch", _with(offset=np.zeros((1, 18, 4, 3))), ValueError, "offset", False),
    # "offset output dims: ... computed output dims"
    ("offset spatial size", _with(offset=np.zeros((2, 18, 4, 4))), ValueError, "offset", False),
    # "mask.shape[1] is not valid"
    ("mask channels", _with(mask=np.zeros((2, 8, 4, 3))), ValueError, "mask", False),
    # "invalid batch size of mask"
    ("mask batch", _with(mask=np.zeros((1, 9, 4, 3))), ValueError, "mask", False),
    # "mask output dims: ..."
    ("mask spatial size", _with(mask=np.zeros((2, 9, 3, 3))), ValueError, "mask", False),
    # out + bias.view(1, out_channels, 1, 1) fails for any other bias
    ("bias size", _with(bias=np.zeros(5)), ValueError, "bias", False),
    # TORCH_CHECK(stride_h > 0 && stride_w > 0), pad_h >= 0, dilation_h > 0
    ("zero stride", _with(stride=0), ValueError, "stride", True),
    ("negative padding", _with(padding=(0, -1)), ValueError, "padding", True),
    ("zero dilation", _with(dilation=(1, 0)), ValueError, "dilation", True),
    ("three strides", _with(stride=(1, 1, 1)), ValueError, "stride", True),
    # "Calculated output size too small"
    ("kernel > input", _with(input=np.zeros((2, 4, 2, 5))), ValueError, "too small", True),
    # addmm refuses mixed dtypes; the kernels dispatch floating types only
    ("mixed dtypes", _with(weight=np.zeros((6, 4, 3, 3), np.float32)), TypeError, "dtype", True),
    ("integer input", _with(input=np.zeros((2, 4, 6, 5), np.int64)), TypeError, "input", False),
]


@pytest.mark.parametrize(
    ("label", "args", "error", "fragment", "conv2d_refuses"), REFUSALS, ids=[r[0] for r in REFUSALS]
)
def test_refusals(
    label: str, args: dict[str, Any], error: type[Exception], fragment: str, conv2d_refuses: bool
) -> None:
    with pytest.raises(error, match="deform_conv2d") as raised:
        F.deform_conv2d(**args)
    assert fragment in str(raised.value), str(raised.value)
    if conv2d_refuses:
        x, w = tt(args["input"]), tt(args["weight"])
        geometry = {k: args[k] for k in ("stride", "padding", "dilation") if k in args}
        groups = max(1, x.shape[1] // max(1, w.shape[1]))
        with pytest.raises((RuntimeError, ValueError, TypeError)):
            TF.conv2d(x, w, groups=groups, **geometry)
