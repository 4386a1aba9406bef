"""Refusals: convscope raises ValueError/TypeError naming the offending argument,
and only where torch refuses the same call too.

Each case is a pair of calls -- convscope's and torch's, with the same
arguments -- and a pattern the convscope message must contain.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import convscope.functional as F

TORCH_REFUSALS = (RuntimeError, ValueError, TypeError, NotImplementedError, IndexError)


def _arr(*shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed + sum(shape)).standard_normal(shape).astype(dtype)


def T(a):
    return torch.from_numpy(np.ascontiguousarray(a).copy())


X = _arr(1, 2, 5, 5)  # conv2d input
W = _arr(3, 2, 3, 3)  # conv2d weight (3 out, 2 in)
WT = _arr(2, 3, 3, 3)  # conv_transpose2d weight (2 in, 3 out)
X1 = _arr(1, 2, 5)  # 1-d signal of length 5
COLS = _arr(1, 12, 5)  # fold input
# a max_pool2d result and its indices, from torch, for the max_unpool refusals (4x4 planes)
Y_POOL, IDX_POOL = (t.numpy() for t in TF.max_pool2d(T(X[:, :, :4, :4]), 2, return_indices=True))


@dataclass
class Refusal:
    name: str
    ours: Callable[[], Any]
    theirs: Callable[[], Any]
    match: str


def _module_conv2d(x, w, padding, padding_mode):
    m = torch.nn.Conv2d(
        w.shape[1],
        w.shape[0],
        tuple(w.shape[2:]),
        padding=padding,
        padding_mode=padding_mode,
        bias=False,
    ).double()
    return torch.func.functional_call(m, {"weight": T(w)}, (T(x),))


# convscope's upsample is deprecated like torch's; calling it is the point of its cases
pytestmark = pytest.mark.filterwarnings("ignore:upsample is deprecated:DeprecationWarning")


def _torch_deprecated(name, *args, **kwargs):
    """torch's deprecated ``upsample*`` functions, their deprecation warning silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return getattr(TF, name)(*args, **kwargs)


X3 = _arr(1, 2, 6)  # interpolate: 1-d signal
X5 = _arr(1, 1, 3, 3, 3)  # interpolate: volume


CASES = [
    # -- input rank -----------------------------------------------------------
    Refusal("conv2d_input_2d", lambda: F.conv2d(X[0, 0], W), lambda: TF.conv2d(T(X[0, 0]), T(W)), r"input"),
    Refusal("conv2d_input_5d", lambda: F.conv2d(X[None], W), lambda: TF.conv2d(T(X[None]), T(W)), r"input"),
    Refusal(
        "conv1d_input_4d",
        lambda: F.conv1d(X, _arr(3, 2, 3)),
        lambda: TF.conv1d(T(X), T(_arr(3, 2, 3))),
        r"input",
    ),
    Refusal(
        "conv3d_input_3d",
        lambda: F.conv3d(X[0], _arr(3, 2, 3, 3, 3)),
        lambda: TF.conv3d(T(X[0]), T(_arr(3, 2, 3, 3, 3))),
        r"input",
    ),
    Refusal(
        "conv_transpose2d_input_2d",
        lambda: F.conv_transpose2d(X[0, 0], WT),
        lambda: TF.conv_transpose2d(T(X[0, 0]), T(WT)),
        r"input",
    ),
    # -- weight rank ----------------------------------------------------------
    Refusal("conv2d_weight_3d", lambda: F.conv2d(X, W[0]), lambda: TF.conv2d(T(X), T(W[0])), r"weight"),
    Refusal(
        "conv2d_weight_5d",
        lambda: F.conv2d(X, _arr(3, 2, 3, 3, 3)),
        lambda: TF.conv2d(T(X), T(_arr(3, 2, 3, 3, 3))),
        r"weight",
    ),
    Refusal("conv1d_weight_4d", lambda: F.conv1d(X1, W), lambda: TF.conv1d(T(X1), T(W)), r"weight"),
    # -- channels and groups --------------------------------------------------
    Refusal(
        "in_channels_mismatch",
        lambda: F.conv2d(X, _arr(3, 1, 3, 3)),
        lambda: TF.conv2d(T(X), T(_arr(3, 1, 3, 3))),
        r"input|weight|channel|groups",
    ),
    Refusal(
        "in_channels_mismatch_groups",
        lambda: F.conv2d(_arr(1, 6, 5, 5), _arr(4, 2, 3, 3), groups=2),
        lambda: TF.conv2d(T(_arr(1, 6, 5, 5)), T(_arr(4, 2, 3, 3)), groups=2),
        r"input|weight|channel|groups",
    ),
    Refusal(
        "out_channels_not_divisible_by_groups",
        lambda: F.conv2d(_arr(1, 4, 5, 5), _arr(3, 2, 3, 3), groups=2),
        lambda: TF.conv2d(T(_arr(1, 4, 5, 5)), T(_arr(3, 2, 3, 3)), groups=2),
        r"groups|weight|out_channels",
    ),
    Refusal(
        "groups_zero", lambda: F.conv2d(X, W, groups=0), lambda: TF.conv2d(T(X), T(W), groups=0), r"groups"
    ),
    Refusal(
        "conv_transpose_in_channels_mismatch",
        lambda: F.conv_transpose2d(X, _arr(3, 2, 3, 3)),
        lambda: TF.conv_transpose2d(T(X), T(_arr(3, 2, 3, 3))),
        r"input|weight|channel",
    ),
    Refusal(
        "conv_transpose_in_channels_not_divisible_by_groups",
        lambda: F.conv_transpose2d(_arr(1, 3, 5, 5), _arr(3, 2, 3, 3), groups=2),
        lambda: TF.conv_transpose2d(T(_arr(1, 3, 5, 5)), T(_arr(3, 2, 3, 3)), groups=2),
        r"input|weight|channel|groups",
    ),
    # -- kernel vs input ------------------------------------------------------
    Refusal(
        "kernel_larger_than_input",
        lambda: F.conv2d(X, _arr(3, 2, 6, 6)),
        lambda: TF.conv2d(T(X), T(_arr(3, 2, 6, 6))),
        r"kernel|weight|input|padding|size",
    ),
    Refusal(
        "kernel_larger_than_padded_input_one_axis",
        lambda: F.conv2d(X, _arr(3, 2, 8, 2), padding=1),
        lambda: TF.conv2d(T(X), T(_arr(3, 2, 8, 2)), padding=1),
        r"kernel|weight|input|padding|size",
    ),
    Refusal(
        "dilated_kernel_larger_than_input",
        lambda: F.conv1d(X1, _arr(3, 2, 3), dilation=3),
        lambda: TF.conv1d(T(X1), T(_arr(3, 2, 3)), dilation=3),
        r"kernel|weight|input|padding|dilation|size",
    ),
    # -- padding --------------------------------------------------------------
    Refusal(
        "same_with_stride",
        lambda: F.conv2d(X, W, padding="same", stride=2),
        lambda: TF.conv2d(T(X), T(W), padding="same", stride=2),
        r"padding|stride",
    ),
    Refusal(
        "same_with_stride_one_axis",
        lambda: F.conv1d(X1, _arr(3, 2, 3), padding="same", stride=(2,)),
        lambda: TF.conv1d(T(X1), T(_arr(3, 2, 3)), padding="same", stride=(2,)),
        r"padding|stride",
    ),
    Refusal(
        "unknown_padding_string",
        lambda: F.conv2d(X, W, padding="full"),
        lambda: TF.conv2d(T(X), T(W), padding="full"),
        r"padding",
    ),
    Refusal(
        "negative_padding",
        lambda: F.conv2d(X, W, padding=-1),
        lambda: TF.conv2d(T(X), T(W), padding=-1),
        r"padding",
    ),
    Refusal(
        "negative_padding_one_axis",
        lambda: F.conv2d(X, W, padding=(1, -1)),
        lambda: TF.conv2d(T(X), T(W), padding=(1, -1)),
        r"padding",
    ),
    Refusal(
        "padding_tuple_wrong_length",
        lambda: F.conv2d(X, W, padding=(1, 2, 3)),
        lambda: TF.conv2d(T(X), T(W), padding=(1, 2, 3)),
        r"padding",
    ),
    Refusal(
        "conv_transpose_negative_padding",
        lambda: F.conv_transpose2d(X, WT, padding=-1),
        lambda: TF.conv_transpose2d(T(X), T(WT), padding=-1),
        r"padding",
    ),
    Refusal(
        "unknown_padding_mode",
        lambda: F.conv2d(X, W, padding=1, padding_mode="mirror"),
        lambda: torch.nn.Conv2d(2, 3, 3, padding=1, padding_mode="mirror"),
        r"padding_mode",
    ),
    Refusal(
        "conv_reflect_padding_not_less_than_input",
        lambda: F.conv2d(X, W, padding=5, padding_mode="reflect"),
        lambda: _module_conv2d(X, W, 5, "reflect"),
        r"pad",
    ),
    Refusal(
        "conv_circular_padding_larger_than_input",
        lambda: F.conv2d(X, W, padding=6, padding_mode="circular"),
        lambda: _module_conv2d(X, W, 6, "circular"),
        r"pad",
    ),
    # -- stride / dilation ----------------------------------------------------
    Refusal(
        "stride_zero", lambda: F.conv2d(X, W, stride=0), lambda: TF.conv2d(T(X), T(W), stride=0), r"stride"
    ),
    Refusal(
        "stride_negative",
        lambda: F.conv2d(X, W, stride=(1, -1)),
        lambda: TF.conv2d(T(X), T(W), stride=(1, -1)),
        r"stride",
    ),
    Refusal(
        "dilation_zero",
        lambda: F.conv2d(X, W, dilation=0),
        lambda: TF.conv2d(T(X), T(W), dilation=0),
        r"dilation",
    ),
    Refusal(
        "dilation_negative",
        lambda: F.conv2d(X, W, dilation=-1),
        lambda: TF.conv2d(T(X), T(W), dilation=-1),
        r"dilation",
    ),
    Refusal(
        "conv_transpose_stride_zero",
        lambda: F.conv_transpose2d(X, WT, stride=0),
        lambda: TF.conv_transpose2d(T(X), T(WT), stride=0),
        r"stride",
    ),
    Refusal(
        "conv_transpose_dilation_zero",
        lambda: F.conv_transpose2d(X, WT, dilation=0),
        lambda: TF.conv_transpose2d(T(X), T(WT), dilation=0),
        r"dilation",
    ),
    # -- output_padding -------------------------------------------------------
    Refusal(
        "output_padding_equal_to_stride_and_dilation",
        lambda: F.conv_transpose2d(X, WT, stride=2, dilation=2, output_padding=2),
        lambda: TF.conv_transpose2d(T(X), T(WT), stride=2, dilation=2, output_padding=2),
        r"output_padding",
    ),
    Refusal(
        "output_padding_one_axis",
        lambda: F.conv_transpose2d(X, WT, stride=(2, 1), output_padding=(1, 1)),
        lambda: TF.conv_transpose2d(T(X), T(WT), stride=(2, 1), output_padding=(1, 1)),
        r"output_padding",
    ),
    Refusal(
        "output_padding_default_stride",
        lambda: F.conv_transpose1d(X1, _arr(2, 3, 3), output_padding=1),
        lambda: TF.conv_transpose1d(T(X1), T(_arr(2, 3, 3)), output_padding=1),
        r"output_padding",
    ),
    Refusal(
        "output_padding_negative",
        lambda: F.conv_transpose2d(X, WT, output_padding=-1),
        lambda: TF.conv_transpose2d(T(X), T(WT), output_padding=-1),
        r"output_padding",
    ),
    Refusal(
        "conv_transpose_output_size_not_positive",
        lambda: F.conv_transpose2d(X, WT, padding=10),
        lambda: TF.conv_transpose2d(T(X), T(WT), padding=10),
        r"padding|output|size|input",
    ),
    # -- dtypes ---------------------------------------------------------------
    Refusal(
        "float32_input_float64_weight",
        lambda: F.conv2d(X.astype(np.float32), W),
        lambda: TF.conv2d(T(X.astype(np.float32)), T(W)),
        r"input|weight|dtype",
    ),
    Refusal(
        "float64_input_float32_weight",
        lambda: F.conv2d(X, W.astype(np.float32)),
        lambda: TF.conv2d(T(X), T(W.astype(np.float32))),
        r"input|weight|dtype",
    ),
    Refusal(
        "conv_transpose_mixed_dtypes",
        lambda: F.conv_transpose2d(X, WT.astype(np.float32)),
        lambda: TF.conv_transpose2d(T(X), T(WT.astype(np.float32))),
        r"input|weight|dtype",
    ),
    Refusal(
        "float32_input_float16_weight",
        lambda: F.conv2d(X.astype(np.float32), W.astype(np.float16)),
        lambda: TF.conv2d(T(X.astype(np.float32)), T(W.astype(np.float16))),
        r"input|weight|dtype",
    ),
    Refusal(
        "integer_input_float_weight",
        lambda: F.conv2d(X.astype(np.int64), W),
        lambda: TF.conv2d(T(X.astype(np.int64)), T(W)),
        r"input|weight|dtype|integer",
    ),
    Refusal(
        "float_input_integer_weight",
        lambda: F.conv2d(X, W.astype(np.int64)),
        lambda: TF.conv2d(T(X), T(W.astype(np.int64))),
        r"input|weight|dtype|integer",
    ),
    # -- bias -----------------------------------------------------------------
    Refusal(
        "bias_dtype_differs",
        lambda: F.conv2d(X, W, np.zeros(3, np.float32)),
        lambda: TF.conv2d(T(X), T(W), T(np.zeros(3, np.float32))),
        r"bias|dtype",
    ),
    Refusal(
        "bias_wrong_length",
        lambda: F.conv2d(X, W, np.zeros(4)),
        lambda: TF.conv2d(T(X), T(W), T(np.zeros(4))),
        r"bias",
    ),
    Refusal(
        "bias_2d",
        lambda: F.conv2d(X, W, np.zeros((3, 1))),
        lambda: TF.conv2d(T(X), T(W), T(np.zeros((3, 1)))),
        r"bias",
    ),
    Refusal(
        "conv_transpose_bias_wrong_length",
        lambda: F.conv_transpose2d(X, WT, np.zeros(2)),
        lambda: TF.conv_transpose2d(T(X), T(WT), T(np.zeros(2))),
        r"bias",
    ),
    # -- pad ------------------------------------------------------------------
    Refusal(
        "reflect_pad_equal_to_size",
        lambda: F.pad(X1, (5, 0), mode="reflect"),
        lambda: TF.pad(T(X1), (5, 0), mode="reflect"),
        r"pad",
    ),
    Refusal(
        "reflect_pad_2d_high_side",
        lambda: F.pad(X, (0, 0, 0, 7), mode="reflect"),
        lambda: TF.pad(T(X), (0, 0, 0, 7), mode="reflect"),
        r"pad",
    ),
    Refusal(
        "circular_pad_larger_than_size",
        lambda: F.pad(X1, (0, 6), mode="circular"),
        lambda: TF.pad(T(X1), (0, 6), mode="circular"),
        r"pad",
    ),
    Refusal("pad_odd_length", lambda: F.pad(X, (1, 1, 1)), lambda: TF.pad(T(X), (1, 1, 1)), r"pad"),
    Refusal(
        "pad_longer_than_rank", lambda: F.pad(X, (1,) * 10), lambda: TF.pad(T(X), (1,) * 10), r"pad|input"
    ),
    Refusal(
        "reflect_pad_wrong_rank",
        lambda: F.pad(X, (1, 1), mode="reflect"),
        lambda: TF.pad(T(X), (1, 1), mode="reflect"),
        r"pad|input|mode",
    ),
    Refusal(
        "pad_value_overflows_int32",
        lambda: F.pad(np.zeros((1, 1, 3), np.int32), (1, 1), value=2**40),
        lambda: TF.pad(T(np.zeros((1, 1, 3), np.int32)), (1, 1), value=2**40),
        r"value",
    ),
    Refusal(
        "pad_value_overflows_uint8",
        lambda: F.pad(np.zeros((1, 1, 3), np.uint8), (1, 1), value=300),
        lambda: TF.pad(T(np.zeros((1, 1, 3), np.uint8)), (1, 1), value=300),
        r"value",
    ),
    Refusal(
        "pad_value_overflows_float16",
        lambda: F.pad(np.zeros((1, 1, 3), np.float16), (1, 1), value=1e6),
        lambda: TF.pad(T(np.zeros((1, 1, 3), np.float16)), (1, 1), value=1e6),
        r"value",
    ),
    Refusal(
        "replicate_pad_with_value",
        lambda: F.pad(X1, (1, 1), mode="replicate", value=1.0),
        lambda: TF.pad(T(X1), (1, 1), mode="replicate", value=1.0),
        r"value",
    ),
    Refusal(
        "constant_pad_negative_size",
        lambda: F.pad(X1, (-3, -3)),
        lambda: TF.pad(T(X1), (-3, -3)),
        r"pad",
    ),
    Refusal(
        "fold_input_4d",
        lambda: F.fold(_arr(1, 1, 4, 4), (4, 5), 2),
        lambda: TF.fold(T(_arr(1, 1, 4, 4)), (4, 5), 2),
        r"input",
    ),
    Refusal(
        "stride_tuple_wrong_length",
        lambda: F.conv2d(X, W, stride=(1, 1, 1)),
        lambda: TF.conv2d(T(X), T(W), stride=(1, 1, 1)),
        r"stride",
    ),
    Refusal(
        "string_input",
        lambda: F.conv2d("abc", W),
        lambda: TF.conv2d("abc", T(W)),
        r"input",
    ),
    Refusal(
        "bool_input",
        lambda: F.conv2d(X > 0, W > 0),
        lambda: TF.conv2d(T(X > 0), T(W > 0)),
        r"input|weight|dtype",
    ),
    Refusal(
        "unknown_pad_mode",
        lambda: F.pad(X, (1, 1), mode="wrap"),
        lambda: TF.pad(T(X), (1, 1), mode="wrap"),
        r"mode",
    ),
    # -- fold / unfold --------------------------------------------------------
    Refusal(
        "fold_wrong_block_count",
        lambda: F.fold(COLS, (4, 5), 2),
        lambda: TF.fold(T(COLS), (4, 5), 2),
        r"input|output_size|kernel_size|block|size",
    ),
    Refusal(
        "fold_wrong_block_count_strided",
        lambda: F.fold(_arr(1, 12, 6), (4, 5), 2, stride=2),
        lambda: TF.fold(T(_arr(1, 12, 6)), (4, 5), 2, stride=2),
        r"input|output_size|kernel_size|block|size",
    ),
    Refusal(
        "fold_channels_not_divisible",
        lambda: F.fold(_arr(1, 13, 12), (4, 5), 2),
        lambda: TF.fold(T(_arr(1, 13, 12)), (4, 5), 2),
        r"input|kernel_size",
    ),
    Refusal(
        "unfold_kernel_too_large",
        lambda: F.unfold(_arr(1, 1, 4, 5), 6),
        lambda: TF.unfold(T(_arr(1, 1, 4, 5)), 6),
        r"input|kernel_size|size",
    ),
    Refusal(
        "unfold_input_2d", lambda: F.unfold(_arr(4, 5), 2), lambda: TF.unfold(T(_arr(4, 5)), 2), r"input"
    ),
    Refusal(
        "unfold_stride_zero",
        lambda: F.unfold(_arr(1, 2, 4, 5), 2, stride=0),
        lambda: TF.unfold(T(_arr(1, 2, 4, 5)), 2, stride=0),
        r"stride",
    ),
    Refusal(
        "unfold_negative_padding",
        lambda: F.unfold(_arr(1, 2, 4, 5), 2, padding=-1),
        lambda: TF.unfold(T(_arr(1, 2, 4, 5)), 2, padding=-1),
        r"padding",
    ),
    # -- interpolate / upsample / pixel_shuffle ------------------------------
    Refusal(
        "interpolate_size_and_scale_factor",
        lambda: F.interpolate(X, size=3, scale_factor=2),
        lambda: TF.interpolate(T(X), size=3, scale_factor=2),
        r"size|scale_factor",
    ),
    Refusal(
        "interpolate_neither_size_nor_scale_factor",
        lambda: F.interpolate(X),
        lambda: TF.interpolate(T(X)),
        r"size|scale_factor",
    ),
    Refusal(
        "interpolate_align_corners_with_nearest",
        lambda: F.interpolate(X, scale_factor=2, align_corners=True),
        lambda: TF.interpolate(T(X), scale_factor=2, align_corners=True),
        r"align_corners",
    ),
    Refusal(
        "interpolate_align_corners_false_with_area",
        lambda: F.interpolate(X, size=3, mode="area", align_corners=False),
        lambda: TF.interpolate(T(X), size=3, mode="area", align_corners=False),
        r"align_corners",
    ),
    Refusal(
        "interpolate_align_corners_with_nearest_exact",
        lambda: F.interpolate(X, size=3, mode="nearest-exact", align_corners=True),
        lambda: TF.interpolate(T(X), size=3, mode="nearest-exact", align_corners=True),
        r"align_corners",
    ),
    Refusal(
        "interpolate_bilinear_on_3d",
        lambda: F.interpolate(X3, size=3, mode="bilinear"),
        lambda: TF.interpolate(T(X3), size=3, mode="bilinear"),
        r"input|mode|bilinear|dim",
    ),
    Refusal(
        "interpolate_bilinear_on_5d",
        lambda: F.interpolate(X5, size=2, mode="bilinear"),
        lambda: TF.interpolate(T(X5), size=2, mode="bilinear"),
        r"input|mode|bilinear|dim",
    ),
    Refusal(
        "interpolate_trilinear_on_4d",
        lambda: F.interpolate(X, size=3, mode="trilinear"),
        lambda: TF.interpolate(T(X), size=3, mode="trilinear"),
        r"input|mode|trilinear|dim",
    ),
    Refusal(
        "interpolate_linear_on_4d",
        lambda: F.interpolate(X, size=3, mode="linear"),
        lambda: TF.interpolate(T(X), size=3, mode="linear"),
        r"input|mode|linear|dim",
    ),
    Refusal(
        "interpolate_bicubic_on_3d",
        lambda: F.interpolate(X3, size=3, mode="bicubic"),
        lambda: TF.interpolate(T(X3), size=3, mode="bicubic"),
        r"input|mode|bicubic|dim",
    ),
    Refusal(
        "interpolate_bicubic_on_5d",
        lambda: F.interpolate(X5, size=2, mode="bicubic"),
        lambda: TF.interpolate(T(X5), size=2, mode="bicubic"),
        r"input|mode|bicubic|dim",
    ),
    Refusal(
        "interpolate_unbatched_2d_input",
        lambda: F.interpolate(X1[0], size=3),
        lambda: TF.interpolate(T(X1[0]), size=3),
        r"input|dim",
    ),
    Refusal(
        "interpolate_6d_input",
        lambda: F.interpolate(_arr(1, 1, 2, 2, 2, 2), size=3),
        lambda: TF.interpolate(T(_arr(1, 1, 2, 2, 2, 2)), size=3),
        r"input|dim",
    ),
    Refusal(
        "interpolate_lanczos_without_antialias",
        lambda: F.interpolate(X, size=3, mode="lanczos"),
        lambda: TF.interpolate(T(X), size=3, mode="lanczos"),
        r"antialias",
    ),
    Refusal(
        "interpolate_lanczos_align_corners",
        lambda: F.interpolate(X, size=3, mode="lanczos", antialias=True, align_corners=True),
        lambda: TF.interpolate(T(X), size=3, mode="lanczos", antialias=True, align_corners=True),
        r"align_corners",
    ),
    Refusal(
        "interpolate_lanczos_on_3d_input",
        lambda: F.interpolate(X3, size=3, mode="lanczos", antialias=True),
        lambda: TF.interpolate(T(X3), size=3, mode="lanczos", antialias=True),
        r"lanczos",
    ),
    Refusal(
        "interpolate_antialias_with_nearest",
        lambda: F.interpolate(X, size=3, antialias=True),
        lambda: TF.interpolate(T(X), size=3, antialias=True),
        r"antialias",
    ),
    Refusal(
        "interpolate_antialias_with_linear",
        lambda: F.interpolate(X3, size=3, mode="linear", antialias=True),
        lambda: TF.interpolate(T(X3), size=3, mode="linear", antialias=True),
        r"antialias",
    ),
    Refusal(
        "interpolate_antialias_with_trilinear",
        lambda: F.interpolate(X5, size=2, mode="trilinear", antialias=True),
        lambda: TF.interpolate(T(X5), size=2, mode="trilinear", antialias=True),
        r"antialias",
    ),
    Refusal(
        "interpolate_antialias_with_area",
        lambda: F.interpolate(X, size=3, mode="area", antialias=True),
        lambda: TF.interpolate(T(X), size=3, mode="area", antialias=True),
        r"antialias",
    ),
    Refusal(
        "interpolate_size_too_long",
        lambda: F.interpolate(X, size=(3, 3, 3)),
        lambda: TF.interpolate(T(X), size=(3, 3, 3)),
        r"size",
    ),
    Refusal(
        "interpolate_size_too_short",
        lambda: F.interpolate(X, size=(3,)),
        lambda: TF.interpolate(T(X), size=(3,)),
        r"size",
    ),
    Refusal(
        "interpolate_scale_factor_wrong_length",
        lambda: F.interpolate(X, scale_factor=(2.0, 2.0, 2.0)),
        lambda: TF.interpolate(T(X), scale_factor=(2.0, 2.0, 2.0)),
        r"scale_factor",
    ),
    Refusal(
        "interpolate_size_zero",
        lambda: F.interpolate(X, size=0),
        lambda: TF.interpolate(T(X), size=0),
        r"size",
    ),
    Refusal(
        "interpolate_size_negative_one_axis",
        lambda: F.interpolate(X, size=(3, -1)),
        lambda: TF.interpolate(T(X), size=(3, -1)),
        r"size",
    ),
    Refusal(
        "interpolate_scale_factor_zero",
        lambda: F.interpolate(X, scale_factor=0.0),
        lambda: TF.interpolate(T(X), scale_factor=0.0),
        r"scale_factor|size",
    ),
    Refusal(
        "interpolate_scale_factor_negative",
        lambda: F.interpolate(X, scale_factor=-2.0),
        lambda: TF.interpolate(T(X), scale_factor=-2.0),
        r"scale_factor|size",
    ),
    Refusal(
        "interpolate_scale_factor_output_empty",
        lambda: F.interpolate(X, scale_factor=0.1, mode="bilinear"),
        lambda: TF.interpolate(T(X), scale_factor=0.1, mode="bilinear"),
        r"scale_factor|size",
    ),
    Refusal(
        "interpolate_recompute_scale_factor_with_size",
        lambda: F.interpolate(X, size=3, recompute_scale_factor=True),
        lambda: TF.interpolate(T(X), size=3, recompute_scale_factor=True),
        r"recompute_scale_factor|size",
    ),
    Refusal(
        "interpolate_unknown_mode",
        lambda: F.interpolate(X, size=3, mode="cubic"),
        lambda: TF.interpolate(T(X), size=3, mode="cubic"),
        r"mode",
    ),
    Refusal(
        "interpolate_float_size",
        lambda: F.interpolate(X, size=3.5),
        lambda: TF.interpolate(T(X), size=3.5),
        r"size",
    ),
    Refusal(
        "upsample_bilinear_on_3d",
        lambda: F.upsample_bilinear(X3, size=3),
        lambda: _torch_deprecated("upsample_bilinear", T(X3), size=3),
        r"input|mode|bilinear|dim",
    ),
    Refusal(
        "upsample_nearest_size_and_scale_factor",
        lambda: F.upsample_nearest(X, size=3, scale_factor=2),
        lambda: _torch_deprecated("upsample_nearest", T(X), size=3, scale_factor=2),
        r"size|scale_factor",
    ),
    Refusal(
        "upsample_align_corners_with_nearest",
        lambda: F.upsample(X, size=3, align_corners=True),
        lambda: _torch_deprecated("upsample", T(X), size=3, align_corners=True),
        r"align_corners",
    ),
    Refusal(
        "pixel_shuffle_channels_not_divisible",
        lambda: F.pixel_shuffle(_arr(1, 6, 2, 2), 2),
        lambda: TF.pixel_shuffle(T(_arr(1, 6, 2, 2)), 2),
        r"channel|upscale_factor|input",
    ),
    Refusal(
        "pixel_shuffle_factor_zero",
        lambda: F.pixel_shuffle(_arr(1, 4, 2, 2), 0),
        lambda: TF.pixel_shuffle(T(_arr(1, 4, 2, 2)), 0),
        r"upscale_factor",
    ),
    Refusal(
        "pixel_shuffle_factor_negative",
        lambda: F.pixel_shuffle(_arr(1, 4, 2, 2), -2),
        lambda: TF.pixel_shuffle(T(_arr(1, 4, 2, 2)), -2),
        r"upscale_factor",
    ),
    Refusal(
        "pixel_shuffle_input_2d",
        lambda: F.pixel_shuffle(_arr(4, 2), 2),
        lambda: TF.pixel_shuffle(T(_arr(4, 2)), 2),
        r"input|dim",
    ),
    Refusal(
        "pixel_unshuffle_height_not_divisible",
        lambda: F.pixel_unshuffle(_arr(1, 1, 3, 4), 2),
        lambda: TF.pixel_unshuffle(T(_arr(1, 1, 3, 4)), 2),
        r"height|downscale_factor|input",
    ),
    Refusal(
        "pixel_unshuffle_width_not_divisible",
        lambda: F.pixel_unshuffle(_arr(1, 1, 4, 3), 2),
        lambda: TF.pixel_unshuffle(T(_arr(1, 1, 4, 3)), 2),
        r"width|downscale_factor|input",
    ),
    Refusal(
        "pixel_unshuffle_factor_zero",
        lambda: F.pixel_unshuffle(_arr(1, 1, 4, 4), 0),
        lambda: TF.pixel_unshuffle(T(_arr(1, 1, 4, 4)), 0),
        r"downscale_factor",
    ),
    Refusal(
        "pixel_unshuffle_input_2d",
        lambda: F.pixel_unshuffle(_arr(4, 4), 2),
        lambda: TF.pixel_unshuffle(T(_arr(4, 4)), 2),
        r"input|dim",
    ),
    # -- pooling --------------------------------------------------------------
    Refusal(
        "max_pool_kernel_larger_than_input",
        lambda: F.max_pool2d(X, 6),
        lambda: TF.max_pool2d(T(X), 6),
        r"kernel|input|padding|size",
    ),
    Refusal(
        "max_pool_kernel_larger_than_padded_input_one_axis",
        lambda: F.max_pool2d(X, (8, 2), padding=(1, 0)),
        lambda: TF.max_pool2d(T(X), (8, 2), padding=(1, 0)),
        r"kernel|input|padding|size",
    ),
    Refusal(
        "max_pool_dilated_kernel_larger_than_input",
        lambda: F.max_pool1d(X1, 3, dilation=3),
        lambda: TF.max_pool1d(T(X1), 3, dilation=3),
        r"kernel|input|dilation|size",
    ),
    Refusal(
        "avg_pool_kernel_larger_than_padded_input",
        lambda: F.avg_pool2d(X, 8, padding=1),
        lambda: TF.avg_pool2d(T(X), 8, padding=1),
        r"kernel|input|padding|size",
    ),
    Refusal(
        "avg_pool3d_kernel_larger_than_unpadded_input",
        lambda: F.avg_pool3d(_arr(1, 2, 2, 3), (1, 3, 2), padding=(0, 1, 1)),
        lambda: TF.avg_pool3d(T(_arr(1, 2, 2, 3)), (1, 3, 2), padding=(0, 1, 1)),
        r"kernel|input|size",
    ),
    Refusal(
        "lp_pool_kernel_larger_than_input",
        lambda: F.lp_pool2d(X, 2, 6),
        lambda: TF.lp_pool2d(T(X), 2, 6),
        r"kernel|input|size",
    ),
    Refusal(
        "max_pool_padding_more_than_half_kernel",
        lambda: F.max_pool2d(X, 3, padding=2),
        lambda: TF.max_pool2d(T(X), 3, padding=2),
        r"padding|pad",
    ),
    Refusal(
        "max_pool_padding_more_than_half_kernel_one_axis",
        lambda: F.max_pool2d(X, (3, 2), padding=(1, 2)),
        lambda: TF.max_pool2d(T(X), (3, 2), padding=(1, 2)),
        r"padding|pad",
    ),
    Refusal(
        "avg_pool_padding_more_than_half_kernel",
        lambda: F.avg_pool1d(X1, 2, padding=2),
        lambda: TF.avg_pool1d(T(X1), 2, padding=2),
        r"padding|pad",
    ),
    Refusal(
        "max_pool_negative_padding",
        lambda: F.max_pool2d(X, 2, padding=-1),
        lambda: TF.max_pool2d(T(X), 2, padding=-1),
        r"padding|pad",
    ),
    Refusal(
        "max_pool_kernel_zero",
        lambda: F.max_pool2d(X, 0),
        lambda: TF.max_pool2d(T(X), 0),
        r"kernel|stride",
    ),
    Refusal(
        "max_pool_kernel_negative_one_axis",
        lambda: F.max_pool2d(X, (2, -1)),
        lambda: TF.max_pool2d(T(X), (2, -1)),
        r"kernel",
    ),
    Refusal(
        "avg_pool_kernel_zero",
        lambda: F.avg_pool2d(X, 0),
        lambda: TF.avg_pool2d(T(X), 0),
        r"kernel|stride",
    ),
    Refusal(
        "lp_pool_kernel_zero",
        lambda: F.lp_pool2d(X, 2, 0),
        lambda: TF.lp_pool2d(T(X), 2, 0),
        r"kernel|stride",
    ),
    Refusal(
        "max_pool_stride_zero",
        lambda: F.max_pool2d(X, 2, stride=0),
        lambda: TF.max_pool2d(T(X), 2, stride=0),
        r"stride",
    ),
    Refusal(
        "max_pool1d_stride_negative",
        lambda: F.max_pool1d(X1, 2, stride=-1),
        lambda: TF.max_pool1d(T(X1), 2, stride=-1),
        r"stride",
    ),
    Refusal(
        "avg_pool_stride_zero",
        lambda: F.avg_pool2d(X, 2, stride=0),
        lambda: TF.avg_pool2d(T(X), 2, stride=0),
        r"stride",
    ),
    Refusal(
        "avg_pool3d_stride_zero",
        lambda: F.avg_pool3d(X[None], 1, stride=0),
        lambda: TF.avg_pool3d(T(X[None]), 1, stride=0),
        r"stride",
    ),
    Refusal(
        "max_pool_dilation_zero",
        lambda: F.max_pool2d(X, 2, dilation=0),
        lambda: TF.max_pool2d(T(X), 2, dilation=0),
        r"dilation",
    ),
    Refusal(
        "max_pool_kernel_tuple_wrong_length",
        lambda: F.max_pool2d(X, (2, 2, 2)),
        lambda: TF.max_pool2d(T(X), (2, 2, 2)),
        r"kernel",
    ),
    Refusal(
        "avg_pool_divisor_override_zero",
        lambda: F.avg_pool2d(X, 2, divisor_override=0),
        lambda: TF.avg_pool2d(T(X), 2, divisor_override=0),
        r"divisor",
    ),
    Refusal(
        "max_pool2d_input_2d",
        lambda: F.max_pool2d(X[0, 0], 2),
        lambda: TF.max_pool2d(T(X[0, 0]), 2),
        r"input",
    ),
    Refusal(
        "max_pool2d_input_5d",
        lambda: F.max_pool2d(X[None], 2),
        lambda: TF.max_pool2d(T(X[None]), 2),
        r"input",
    ),
    Refusal("max_pool1d_input_4d", lambda: F.max_pool1d(X, 2), lambda: TF.max_pool1d(T(X), 2), r"input"),
    Refusal(
        "max_pool3d_input_3d", lambda: F.max_pool3d(X[0], 2), lambda: TF.max_pool3d(T(X[0]), 2), r"input"
    ),
    Refusal(
        "avg_pool2d_input_2d",
        lambda: F.avg_pool2d(X[0, 0], 2),
        lambda: TF.avg_pool2d(T(X[0, 0]), 2),
        r"input",
    ),
    Refusal("avg_pool1d_input_4d", lambda: F.avg_pool1d(X, 2), lambda: TF.avg_pool1d(T(X), 2), r"input"),
    Refusal(
        "lp_pool2d_input_2d",
        lambda: F.lp_pool2d(X[0, 0], 2, 2),
        lambda: TF.lp_pool2d(T(X[0, 0]), 2, 2),
        r"input",
    ),
    Refusal(
        "max_pool_empty_spatial_input",
        lambda: F.max_pool2d(np.zeros((1, 1, 0, 4)), 1),
        lambda: TF.max_pool2d(torch.zeros(1, 1, 0, 4), 1),
        r"input|size|empty",
    ),
    # -- adaptive pooling -----------------------------------------------------
    Refusal(
        "adaptive_avg_pool2d_input_2d",
        lambda: F.adaptive_avg_pool2d(X[0, 0], 2),
        lambda: TF.adaptive_avg_pool2d(T(X[0, 0]), 2),
        r"input",
    ),
    Refusal(
        "adaptive_max_pool2d_input_5d",
        lambda: F.adaptive_max_pool2d(X[None], 2),
        lambda: TF.adaptive_max_pool2d(T(X[None]), 2),
        r"input",
    ),
    Refusal(
        "adaptive_avg_pool1d_input_4d",
        lambda: F.adaptive_avg_pool1d(X, 2),
        lambda: TF.adaptive_avg_pool1d(T(X), 2),
        r"input",
    ),
    Refusal(
        "adaptive_avg_pool2d_output_size_length_3",
        lambda: F.adaptive_avg_pool2d(X, (2, 2, 2)),
        lambda: TF.adaptive_avg_pool2d(T(X), (2, 2, 2)),
        r"output_size",
    ),
    Refusal(
        "adaptive_avg_pool2d_output_size_length_1",
        lambda: F.adaptive_avg_pool2d(X, (2,)),
        lambda: TF.adaptive_avg_pool2d(T(X), (2,)),
        r"output_size",
    ),
    Refusal(
        "adaptive_max_pool2d_output_size_length_3",
        lambda: F.adaptive_max_pool2d(X, (2, 2, 2)),
        lambda: TF.adaptive_max_pool2d(T(X), (2, 2, 2)),
        r"output_size",
    ),
    Refusal(
        "adaptive_max_pool1d_output_size_length_2",
        lambda: F.adaptive_max_pool1d(X1, (2, 2)),
        lambda: TF.adaptive_max_pool1d(T(X1), (2, 2)),
        r"output_size",
    ),
    Refusal(
        "adaptive_avg_pool2d_negative_output_size",
        lambda: F.adaptive_avg_pool2d(X, (-1, 2)),
        lambda: TF.adaptive_avg_pool2d(T(X), (-1, 2)),
        r"output_size",
    ),
    Refusal(
        "adaptive_max_pool2d_negative_output_size",
        lambda: F.adaptive_max_pool2d(X, (2, -2)),
        lambda: TF.adaptive_max_pool2d(T(X), (2, -2)),
        r"output_size",
    ),
    Refusal(
        "adaptive_avg_pool1d_negative_output_size",
        lambda: F.adaptive_avg_pool1d(X1, -1),
        lambda: TF.adaptive_avg_pool1d(T(X1), -1),
        r"output_size",
    ),
    Refusal(
        "adaptive_max_pool3d_negative_output_size",
        lambda: F.adaptive_max_pool3d(X[None], (2, -2, 1)),
        lambda: TF.adaptive_max_pool3d(T(X[None]), (2, -2, 1)),
        r"output_size",
    ),
    Refusal(
        "adaptive_avg_pool1d_none_output_size",
        lambda: F.adaptive_avg_pool1d(X1, None),
        lambda: TF.adaptive_avg_pool1d(T(X1), None),
        r"output_size",
    ),
    # -- max unpooling --------------------------------------------------------
    Refusal(
        "max_unpool_index_out_of_range",
        lambda: F.max_unpool2d(Y_POOL, IDX_POOL + 100, 2),
        lambda: TF.max_unpool2d(T(Y_POOL), T(IDX_POOL + 100), 2),
        r"indices|index",
    ),
    Refusal(
        "max_unpool_index_equal_to_plane_size",
        lambda: F.max_unpool2d(Y_POOL, np.full_like(IDX_POOL, 16), 2),
        lambda: TF.max_unpool2d(T(Y_POOL), T(np.full_like(IDX_POOL, 16)), 2),
        r"indices|index",
    ),
    Refusal(
        "max_unpool_negative_index",
        lambda: F.max_unpool2d(Y_POOL, IDX_POOL - 100, 2),
        lambda: TF.max_unpool2d(T(Y_POOL), T(IDX_POOL - 100), 2),
        r"indices|index",
    ),
    Refusal(
        "max_unpool_index_out_of_smaller_output_size",
        lambda: F.max_unpool2d(Y_POOL, IDX_POOL, 2, output_size=(3, 4)),
        lambda: TF.max_unpool2d(T(Y_POOL), T(IDX_POOL), 2, output_size=(3, 4)),
        r"indices|index|output_size",
    ),
    Refusal(
        "max_unpool_indices_shape_differs",
        lambda: F.max_unpool2d(Y_POOL, IDX_POOL[..., :1], 2),
        lambda: TF.max_unpool2d(T(Y_POOL), T(IDX_POOL[..., :1]), 2),
        r"indices|shape",
    ),
    Refusal(
        "max_unpool_float_indices",
        lambda: F.max_unpool2d(Y_POOL, IDX_POOL.astype(np.float64), 2),
        lambda: TF.max_unpool2d(T(Y_POOL), T(IDX_POOL.astype(np.float64)), 2),
        r"indices|dtype|int",
    ),
    Refusal(
        "max_unpool_output_size_too_large",
        lambda: F.max_unpool2d(Y_POOL, IDX_POOL, 2, output_size=(6, 6)),
        lambda: TF.max_unpool2d(T(Y_POOL), T(IDX_POOL), 2, output_size=(6, 6)),
        r"output_size",
    ),
    Refusal(
        "max_unpool_output_size_too_small",
        lambda: F.max_unpool2d(Y_POOL, IDX_POOL, 2, output_size=(2, 4)),
        lambda: TF.max_unpool2d(T(Y_POOL), T(IDX_POOL), 2, output_size=(2, 4)),
        r"output_size",
    ),
    Refusal(
        "max_unpool_output_size_wrong_length",
        lambda: F.max_unpool2d(Y_POOL, IDX_POOL, 2, output_size=(4,)),
        lambda: TF.max_unpool2d(T(Y_POOL), T(IDX_POOL), 2, output_size=(4,)),
        r"output_size",
    ),
    Refusal(
        "max_unpool_output_size_length_3",
        lambda: F.max_unpool2d(Y_POOL, IDX_POOL, 2, output_size=(2, 4, 4)),
        lambda: TF.max_unpool2d(T(Y_POOL), T(IDX_POOL), 2, output_size=(2, 4, 4)),
        r"output_size",
    ),
    Refusal(
        "max_unpool1d_output_size_too_large",
        lambda: F.max_unpool1d(Y_POOL[0], IDX_POOL[0], 2, output_size=(9,)),
        lambda: TF.max_unpool1d(T(Y_POOL[0]), T(IDX_POOL[0]), 2, output_size=(9,)),
        r"output_size",
    ),
    Refusal(
        "max_unpool2d_input_2d",
        lambda: F.max_unpool2d(Y_POOL[0, 0], IDX_POOL[0, 0], 2),
        lambda: TF.max_unpool2d(T(Y_POOL[0, 0]), T(IDX_POOL[0, 0]), 2),
        r"input",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_refusal_matches_torch(case: Refusal):
    with pytest.raises(TORCH_REFUSALS):
        case.theirs()
    with pytest.raises((ValueError, TypeError), match=f"(?i)({case.match})"):
        case.ours()


# ---------------------------------------------------------------------------
# absurd requests must fail fast with ValueError, before any allocation
# ---------------------------------------------------------------------------

HUGE = [
    Refusal(
        "kernel_1e6_wide",
        lambda: F.conv2d(np.zeros((1, 1, 3, 3)), np.broadcast_to(np.ones((1, 1, 1, 1)), (1, 1, 1, 10**6))),
        lambda: TF.conv2d(
            torch.zeros(1, 1, 3, 3, dtype=torch.float64),
            torch.ones(1, 1, 1, 1, dtype=torch.float64).expand(1, 1, 1, 10**6),
        ),
        r"kernel|weight|input|size",
    ),
    Refusal(
        "kernel_1e6_square",
        lambda: F.conv2d(
            np.zeros((1, 1, 3, 3)), np.broadcast_to(np.ones((1, 1, 1, 1)), (1, 1, 10**6, 10**6))
        ),
        lambda: TF.conv2d(
            torch.zeros(1, 1, 3, 3, dtype=torch.float64),
            torch.ones(1, 1, 1, 1, dtype=torch.float64).expand(1, 1, 10**6, 10**6),
        ),
        r"kernel|weight|input|size",
    ),
    Refusal(
        "conv_transpose_negative_output_size",
        lambda: F.conv_transpose2d(np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 3, 3)), padding=10**6),
        lambda: TF.conv_transpose2d(torch.zeros(1, 1, 3, 3), torch.zeros(1, 1, 3, 3), padding=10**6),
        r"padding|output|size|input",
    ),
    Refusal(
        "stride_minus_1e9",
        lambda: F.conv1d(np.zeros((1, 1, 3)), np.zeros((1, 1, 3)), stride=-(10**9)),
        lambda: TF.conv1d(torch.zeros(1, 1, 3), torch.zeros(1, 1, 3), stride=-(10**9)),
        r"stride",
    ),
    Refusal(
        "unfold_kernel_1e9",
        lambda: F.unfold(np.zeros((1, 1, 3, 3)), (1, 10**9)),
        lambda: TF.unfold(torch.zeros(1, 1, 3, 3), (1, 10**9)),
        r"input|kernel_size|size",
    ),
]


@pytest.mark.parametrize("case", HUGE, ids=[c.name for c in HUGE])
def test_huge_bad_request_fails_fast_with_value_error(case: Refusal):
    with pytest.raises(TORCH_REFUSALS):
        case.theirs()
    start = time.perf_counter()
    with pytest.raises(ValueError, match=f"(?i)({case.match})"):
        case.ours()  # MemoryError would escape pytest.raises(ValueError) and fail the test
    assert time.perf_counter() - start < 2.0, "the refusal must not do the work first"


def test_error_is_not_raised_for_valid_boundary_cases():
    """The limits themselves are legal in torch and must be legal here (answers from torch)."""
    # kernel exactly as large as the padded input; reflect pad = size - 1; circular pad = size
    cases = [
        (
            lambda m: m.conv2d(X, _arr(3, 2, 7, 5), padding=(1, 0)),
            lambda: TF.conv2d(T(X), T(_arr(3, 2, 7, 5)), padding=(1, 0)),
        ),
        (
            lambda m: m.conv_transpose2d(X, WT, stride=1, dilation=2, output_padding=1),
            lambda: TF.conv_transpose2d(T(X), T(WT), stride=1, dilation=2, output_padding=1),
        ),
        (lambda m: m.pad(X1, (4, 4), mode="reflect"), lambda: TF.pad(T(X1), (4, 4), mode="reflect")),
        (lambda m: m.pad(X1, (5, 5), mode="circular"), lambda: TF.pad(T(X1), (5, 5), mode="circular")),
        (
            lambda m: m.conv2d(X, W, padding=4, padding_mode="reflect"),
            lambda: _module_conv2d(X, W, 4, "reflect"),
        ),
        (
            lambda m: m.conv2d(X, W, padding=5, padding_mode="circular"),
            lambda: _module_conv2d(X, W, 5, "circular"),
        ),
    ]
    for ours, theirs in cases:
        ref = theirs().detach().numpy()
        out = ours(F)
        assert out.shape == ref.shape
        np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-10 * max(1, np.abs(ref).max()))
