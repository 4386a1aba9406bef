"""The geometry core against independent oracles: torch's shapes and unfold, NumPy's pad."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from convscope.core import Axis, PadMode, source_index

sizes = st.integers(1, 20)
kernels = st.integers(1, 5)
steps = st.integers(1, 4)


@settings(max_examples=200, deadline=None)
@given(size=sizes, kernel=kernels, stride=steps, dilation=steps, pad=st.integers(0, 4), ceil=st.booleans())
def test_out_size_matches_torch_pooling_including_ceil_mode(size, kernel, stride, dilation, pad, ceil):
    assume(pad <= kernel // 2)  # torch's pooling rule
    axis = Axis(size, kernel, stride, dilation, (pad, pad), ceil_mode=ceil)
    assume(axis.out_size >= 1)
    x = torch.zeros(1, 1, size)
    out = torch.nn.functional.max_pool1d(x, kernel, stride, pad, dilation, ceil_mode=ceil)
    assert axis.out_size == out.shape[-1]


@settings(max_examples=200, deadline=None)
@given(size=sizes, kernel=kernels, stride=steps, dilation=steps, lo=st.integers(0, 4), hi=st.integers(0, 4))
def test_index_map_matches_torch_unfold(size, kernel, stride, dilation, lo, hi):
    axis = Axis(size, kernel, stride, dilation, (lo, hi))
    assume(axis.out_size >= 1)
    # Values 1..size mark real samples; the zero padding reads as 0.
    x = torch.nn.functional.pad(torch.arange(1.0, size + 1).reshape(1, 1, 1, size), (lo, hi))
    cols = torch.nn.functional.unfold(x, (1, kernel), dilation=(1, dilation), stride=(1, stride))
    expected = cols[0].T.numpy().astype(int) - 1  # (out, kernel), -1 on padding
    np.testing.assert_array_equal(axis.index_map(), expected)


@settings(max_examples=200, deadline=None)
@given(
    size=st.integers(1, 12),
    kernel=kernels,
    stride=steps,
    dilation=steps,
    pad=st.integers(0, 4),
    extra=st.integers(0, 3),
)
def test_transposed_axis_matches_torch_and_its_direct_view(size, kernel, stride, dilation, pad, extra):
    output_padding = extra % max(stride, dilation)
    axis = Axis.transposed(size, kernel, stride, (pad, pad), output_padding, dilation)
    assume(axis.size >= 1)
    y = torch.nn.functional.conv_transpose1d(
        torch.zeros(1, 1, size), torch.zeros(1, 1, kernel), None, stride, pad, output_padding, 1, dilation
    )
    assert axis.size == y.shape[-1]
    assert axis.out_size == size
    assert axis.direct_view().out_size == axis.size


NUMPY_MODES = {
    PadMode.REFLECT: "reflect",
    PadMode.SYMMETRIC: "symmetric",
    PadMode.REPLICATE: "edge",
    PadMode.CIRCULAR: "wrap",
}


@settings(max_examples=200, deadline=None)
@given(
    size=st.integers(2, 9),
    lo=st.integers(0, 8),
    hi=st.integers(0, 8),
    mode=st.sampled_from(list(NUMPY_MODES)),
)
def test_source_index_matches_numpy_pad(size, lo, hi, mode):
    expected = np.pad(np.arange(size), (lo, hi), mode=NUMPY_MODES[mode])
    np.testing.assert_array_equal(source_index(size, (lo, hi), mode), expected)
