"""The worked examples of the project's seed documents, shapes *and* values.

Each example states the module, the input shape and the output shape; the
values are checked too, with random weights, via convscope's functional API
against torch's module (weights copied in).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import convscope.functional as F
from support import assert_close, tt


def _module_case(module: torch.nn.Module, in_shape, seed):
    torch.manual_seed(seed)
    module = module.double()
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn_like(p))
    x = np.random.default_rng(seed).standard_normal(in_shape)
    with torch.no_grad():
        ref = module(tt(x)).numpy()
    w = module.weight.detach().numpy().copy()
    b = None if module.bias is None else module.bias.detach().numpy().copy()
    return x, w, b, ref


SEEDS = [
    # (id, module factory, input shape, stated output shape, weight shape or None, our call)
    (
        "conv2d_1_1_3",
        lambda: torch.nn.Conv2d(1, 1, 3),
        (1, 1, 4, 4),
        (1, 1, 2, 2),
        None,
        lambda x, w, b: F.conv2d(x, w, b),
    ),
    (
        "conv2d_k4_pad2",
        lambda: torch.nn.Conv2d(1, 1, 4, padding=2),
        (1, 1, 5, 5),
        (1, 1, 6, 6),
        None,
        lambda x, w, b: F.conv2d(x, w, b, padding=2),
    ),
    (
        "convT2d_k3",
        lambda: torch.nn.ConvTranspose2d(1, 1, 3),
        (1, 1, 2, 2),
        (1, 1, 4, 4),
        None,
        lambda x, w, b: F.conv_transpose2d(x, w, b),
    ),
    (
        "convT2d_k4_pad2",
        lambda: torch.nn.ConvTranspose2d(1, 1, 4, padding=2),
        (1, 1, 6, 6),
        (1, 1, 5, 5),
        None,
        lambda x, w, b: F.conv_transpose2d(x, w, b, padding=2),
    ),
    (
        "convT2d_k3_pad2",
        lambda: torch.nn.ConvTranspose2d(1, 1, 3, padding=2),
        (1, 1, 7, 7),
        (1, 1, 5, 5),
        None,
        lambda x, w, b: F.conv_transpose2d(x, w, b, padding=2),
    ),
    (
        "convT2d_k3_stride2",
        lambda: torch.nn.ConvTranspose2d(1, 1, 3, stride=2),
        (1, 1, 2, 2),
        (1, 1, 5, 5),
        None,
        lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2),
    ),
    (
        "conv1d_256_128_3",
        lambda: torch.nn.Conv1d(256, 128, 3),
        (32, 256, 15),
        (32, 128, 13),
        (128, 256, 3),
        lambda x, w, b: F.conv1d(x, w, b),
    ),
    (
        "group_conv2d",
        lambda: torch.nn.Conv2d(6, 6, 3, padding=1, groups=3),
        (1, 6, 5, 5),
        (1, 6, 5, 5),
        (6, 2, 3, 3),
        lambda x, w, b: F.conv2d(x, w, b, padding=1, groups=3),
    ),
    (
        "convT2d_1_3_2",
        lambda: torch.nn.ConvTranspose2d(1, 3, 2),
        (1, 1, 3, 3),
        (1, 3, 4, 4),
        (1, 3, 2, 2),
        lambda x, w, b: F.conv_transpose2d(x, w, b),
    ),
    (
        "convT2d_3_3_2_stride2",
        lambda: torch.nn.ConvTranspose2d(3, 3, 2, stride=2),
        (1, 3, 3, 3),
        (1, 3, 6, 6),
        (3, 3, 2, 2),
        lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2),
    ),
    (
        "dilated_conv2d",
        lambda: torch.nn.Conv2d(1, 1, 3, dilation=2),
        (1, 1, 5, 5),
        (1, 1, 1, 1),
        None,
        lambda x, w, b: F.conv2d(x, w, b, dilation=2),
    ),
]


@pytest.mark.parametrize(
    "factory,in_shape,out_shape,weight_shape,ours", [s[1:] for s in SEEDS], ids=[s[0] for s in SEEDS]
)
def test_seed_example(factory, in_shape, out_shape, weight_shape, ours):
    x, w, b, ref = _module_case(factory(), in_shape, seed=len(in_shape) * 1000 + sum(in_shape))
    assert ref.shape == out_shape  # the seed document agrees with torch
    if weight_shape is not None:
        assert w.shape == weight_shape
    got = ours(x, w, b)
    assert got.shape == out_shape
    assert_close(got, ref, np.float64)
    # float32 too: the dtype follows the input
    got32 = ours(x.astype(np.float32), w.astype(np.float32), b.astype(np.float32))
    assert_close(got32, ref, np.float32, scale=max(1.0, float(np.abs(ref).max())))


def test_seed_depthwise_then_pointwise():
    """Depthwise Conv2d(3, 3, 3, padding=1, groups=3) then pointwise Conv2d(3, 6, 1)."""
    torch.manual_seed(0)
    dw = torch.nn.Conv2d(3, 3, 3, padding=1, groups=3).double()
    pw = torch.nn.Conv2d(3, 6, 1).double()
    x = np.random.default_rng(0).standard_normal((1, 3, 5, 5))
    with torch.no_grad():
        mid_ref = dw(tt(x))
        ref = pw(mid_ref).numpy()
    assert dw.weight.shape == (3, 1, 3, 3)
    assert ref.shape == (1, 6, 5, 5)
    mid = F.conv2d(x, dw.weight.detach().numpy(), dw.bias.detach().numpy(), padding=1, groups=3)
    assert_close(mid, mid_ref.numpy(), np.float64)
    out = F.conv2d(mid, pw.weight.detach().numpy(), pw.bias.detach().numpy())
    assert out.shape == (1, 6, 5, 5)
    assert_close(out, ref, np.float64)


def test_seed_conv2d_values_by_hand_are_torchs():
    """Conv2d(1,1,3) on a 4x4 ramp with an all-ones kernel: torch's 2x2 window sums."""
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    w = np.ones((1, 1, 3, 3))
    ref = torch.nn.functional.conv2d(tt(x), tt(w)).numpy()
    got = F.conv2d(x, w)
    assert_close(got, ref, np.float64)
    # and both are cross-correlation, not flipped convolution: an asymmetric kernel tells
    k = np.zeros((1, 1, 3, 3))
    k[0, 0, 0, 0] = 1.0  # picks the top-left of each window
    ref_k = torch.nn.functional.conv2d(tt(x), tt(k)).numpy()
    assert_close(F.conv2d(x, k), ref_k, np.float64)
