"""Winograd F(4, 3) against torch, on the configurations it serves: 3 taps, unit stride.

Random configurations rarely draw exactly those, so this file draws them on purpose
(every padding, dilation, groups and rank), forward and both gradients.
"""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import convscope
import convscope.functional as F

OURS = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
TORCH = {1: torch.nn.functional.conv1d, 2: torch.nn.functional.conv2d, 3: torch.nn.functional.conv3d}
OURS_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
TORCH_T = {
    1: torch.nn.functional.conv_transpose1d,
    2: torch.nn.functional.conv_transpose2d,
    3: torch.nn.functional.conv_transpose3d,
}


@st.composite
def cases(draw: st.DrawFn) -> dict:
    nd = draw(st.sampled_from([1, 2, 3]))
    groups = draw(st.sampled_from([1, 2, 3]))
    per_in = draw(st.integers(1, 3))
    per_out = draw(st.integers(1, 3))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    padding = tuple(draw(st.integers(0, 2 * d)) for d in dilation)
    low = {1: 9, 2: 5, 3: 4}[nd]
    sizes = tuple(
        draw(st.integers(max(1, 2 * d + 1 - 2 * p), low + 6 - i))
        for i, (d, p) in enumerate(zip(dilation, padding))
    )
    return {
        "nd": nd,
        "x": (draw(st.integers(1, 3)), groups * per_in, *sizes),
        "w": (groups * per_out, per_in, *(3,) * nd),
        "padding": padding,
        "dilation": dilation,
        "groups": groups,
    }


def assert_close_to_torch(ours: np.ndarray, ref: torch.Tensor) -> None:
    ref_np = ref.detach().numpy()
    scale = max(1.0, float(np.abs(ref_np).max()))
    np.testing.assert_allclose(ours, ref_np, rtol=1e-10, atol=1e-11 * scale)


@settings(max_examples=60, deadline=None)
@given(case=cases(), seed=st.integers(0, 2**16))
def test_winograd_conv_and_gradients_match_torch(case: dict, seed: int) -> None:
    rng = np.random.default_rng(seed)
    nd = case["nd"]
    x = rng.standard_normal(case["x"])
    w = rng.standard_normal(case["w"])
    b = rng.standard_normal(case["w"][0])
    params = {"padding": case["padding"], "dilation": case["dilation"], "groups": case["groups"]}
    with convscope.options(conv_algorithm="winograd"):
        out, pullback = convscope.vjp(OURS[nd], x, w, b, **params)
        cot = rng.standard_normal(out.shape)
        gx, gw, gb = pullback(cot)
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    bt = torch.tensor(b, requires_grad=True)
    ref = TORCH[nd](xt, wt, bt, 1, params["padding"], params["dilation"], params["groups"])
    rx, rw, rb = torch.autograd.grad(ref, (xt, wt, bt), torch.tensor(cot))
    for ours, theirs in ((out, ref), (gx, rx), (gw, rw), (gb, rb)):
        assert_close_to_torch(ours, theirs)


@settings(max_examples=40, deadline=None)
@given(case=cases(), seed=st.integers(0, 2**16))
def test_winograd_transposed_convolution_matches_torch(case: dict, seed: int) -> None:
    rng = np.random.default_rng(seed)
    nd = case["nd"]
    x = rng.standard_normal(case["x"])
    w = rng.standard_normal((case["x"][1], case["w"][0] // case["groups"], *(3,) * nd))
    padding = tuple(min(p, d) for p, d in zip(case["padding"], case["dilation"]))  # output stays non-empty
    with convscope.options(conv_algorithm="winograd"):
        ours = OURS_T[nd](x, w, None, 1, padding, 0, case["groups"], case["dilation"])
    ref = TORCH_T[nd](torch.tensor(x), torch.tensor(w), None, 1, padding, 0, case["groups"], case["dilation"])
    assert_close_to_torch(ours, ref)


def test_winograd_float32_within_design_tolerance() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 16, 30, 29)).astype(np.float32)
    w = rng.standard_normal((24, 16, 3, 3)).astype(np.float32)
    with convscope.options(conv_algorithm="winograd"):
        ours = F.conv2d(x, w, padding=1)
    ref = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), padding=1).numpy()
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-4 * np.abs(ref).max())
