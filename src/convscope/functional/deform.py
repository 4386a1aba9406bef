"""``deform_conv2d`` with torchvision's semantics (``torchvision.ops.deform_conv2d``).

Each kernel tap of each output position reads the input at its regular
convolution position plus a learned offset, by bilinear interpolation;
DCNv2's mask scales each sample (Dai et al., arXiv 1703.06211; Zhu et al.,
arXiv 1811.11168). Arguments are checked here, as torchvision checks them;
the regular positions and the output size come from the convolution
geometry, and the numerics from :mod:`convscope.kernels.deform`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core import conv_geometry
from ..kernels import deform as kernels
from ._args import FLOAT_DTYPES, as_array, int_tuple, non_negative, positive, same_dtype

_OP = "deform_conv2d"


@dataclass(frozen=True)
class DeformPlan:
    """A checked ``deform_conv2d`` call."""

    x: np.ndarray
    offset: np.ndarray
    weight: np.ndarray
    bias: np.ndarray | None
    mask: np.ndarray | None
    shape: kernels.DeformShape

    def forward(self, keep: bool = False) -> tuple[np.ndarray, kernels.DeformSaved | None]:
        """The output and, with ``keep``, the samples the backward pass may reuse."""
        return kernels.deform_conv2d(self.x, self.offset, self.mask, self.weight, self.bias, self.shape, keep)

    def backward(
        self, cotangent: np.ndarray, saved: kernels.DeformSaved | None = None
    ) -> kernels.DeformGradients:
        return kernels.deform_conv2d_backward(
            self.x, self.offset, self.mask, self.weight, cotangent, self.shape, saved
        )


def _float_array(value: Any, name: str) -> np.ndarray:
    array = as_array(value, name, _OP)
    if array.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{_OP}: {name} has dtype {array.dtype}; expected float16, float32 or float64")
    if array.ndim != 4:
        raise ValueError(f"{_OP}: expected a 4-d {name}, got {name} of shape {array.shape}")
    return array


def plan_deform_conv2d(
    input: Any,
    offset: Any,
    weight: Any,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    mask: Any = None,
) -> DeformPlan:
    """Check a call as torchvision does and translate it into a :class:`DeformPlan`."""
    x = _float_array(input, "input")
    off = _float_array(offset, "offset")
    w = _float_array(weight, "weight")
    m = None if mask is None else _float_array(mask, "mask")
    b = None if bias is None else as_array(bias, "bias", _OP)
    same_dtype(_OP, input=x, offset=off, weight=w, bias=b, mask=m)
    stride_t = positive(int_tuple(stride, 2, "stride", _OP), "stride", _OP)
    padding_t = non_negative(int_tuple(padding, 2, "padding", _OP), "padding", _OP)
    dilation_t = positive(int_tuple(dilation, 2, "dilation", _OP), "dilation", _OP)

    n, channels = x.shape[:2]
    c_out, c_group, kh, kw = w.shape
    if kh == 0 or kw == 0:
        raise ValueError(f"{_OP}: weight must have a non-empty kernel, got weight of shape {w.shape}")
    if c_group == 0 or channels % c_group:
        raise ValueError(
            f"{_OP}: weight.shape[1]={c_group} must divide the input's {channels} channels "
            f"(input of shape {x.shape}, weight of shape {w.shape})"
        )
    groups = channels // c_group
    if c_out % groups:
        raise ValueError(
            f"{_OP}: the {groups} weight groups (input channels / weight.shape[1]) must divide "
            f"weight.shape[0]={c_out} (weight of shape {w.shape})"
        )
    taps = kh * kw
    offset_groups = off.shape[1] // (2 * taps)
    if offset_groups == 0 or off.shape[1] != offset_groups * 2 * taps:
        raise ValueError(
            f"{_OP}: offset.shape[1]={off.shape[1]} must be a positive multiple of "
            f"2 * kh * kw = {2 * taps} (offset of shape {off.shape}, weight of shape {w.shape})"
        )
    if channels % offset_groups:
        raise ValueError(
            f"{_OP}: the {offset_groups} offset groups (offset.shape[1] / (2 * kh * kw)) must divide "
            f"the input's {channels} channels (input of shape {x.shape}, offset of shape {off.shape})"
        )
    if b is not None and b.shape != (c_out,):
        raise ValueError(
            f"{_OP}: bias must be 1-d with {c_out} elements (one per output channel), "
            f"got bias of shape {b.shape}"
        )
    pads = tuple((p, p) for p in padding_t)
    geometry = conv_geometry(x.shape, w.shape, stride_t, pads, dilation_t, groups)
    out_size = tuple(a.out_size for a in geometry.axes)
    if any(s <= 0 for s in out_size):
        raise ValueError(
            f"{_OP}: the (dilated) kernel {tuple(a.span for a in geometry.axes)} is larger than the "
            f"padded input {tuple(a.padded_size for a in geometry.axes)} (input of shape {x.shape}, "
            f"padding={padding_t}), so the output size {out_size} is too small"
        )
    expected = (n, 2 * offset_groups * taps, *out_size)
    if off.shape != expected:
        raise ValueError(
            f"{_OP}: offset must have shape (N, 2 * offset_groups * kh * kw, H_out, W_out) = {expected}, "
            f"got offset of shape {off.shape}"
        )
    if m is not None and m.shape != (n, offset_groups * taps, *out_size):
        raise ValueError(
            f"{_OP}: mask must have shape (N, offset_groups * kh * kw, H_out, W_out) = "
            f"{(n, offset_groups * taps, *out_size)}, got mask of shape {m.shape}"
        )
    return DeformPlan(x, off, w, b, m, kernels.DeformShape(geometry, offset_groups))


def deform_conv2d(
    input: Any,
    offset: Any,
    weight: Any,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    mask: Any = None,
) -> np.ndarray:
    """Deformable convolution (v1), or modulated deformable convolution (v2) with ``mask``.

    Mirrors ``torchvision.ops.deform_conv2d`` argument for argument. Output
    ``(oy, ox)``, tap ``(i, j)`` of offset group ``g`` reads the input's
    channels of that group at

    ``y = oy * stride_h - pad_h + i * dilation_h + offset[n, 2 * (g * kh * kw + i * kw + j), oy, ox]``

    (``x`` likewise from channel ``2 * (...) + 1``), by bilinear interpolation
    in which a neighbour outside the image counts as zero; the sample is
    multiplied by ``mask[n, g * kh * kw + i * kw + j, oy, ox]`` when a mask is
    given, then weighted and summed as in ``conv2d``.

    Parameters
    ----------
    input : array_like
        ``(N, C_in, H, W)`` (batched only, as torchvision).
    offset : array_like
        ``(N, 2 * offset_groups * kh * kw, H_out, W_out)``, ``(dy, dx)`` pairs
        per offset group and tap; ``offset_groups`` must divide ``C_in``.
    weight : array_like
        ``(C_out, C_in / groups, kh, kw)``; ``groups = C_in / weight.shape[1]``.
    bias : array_like, optional
        ``(C_out,)``.
    stride, padding, dilation : int or tuple of int
        As in ``conv2d`` (zero padding, symmetric).
    mask : array_like, optional
        ``(N, offset_groups * kh * kw, H_out, W_out)``.

    Returns
    -------
    numpy.ndarray
        ``(N, C_out, H_out, W_out)`` in the input's dtype (float16 is computed
        in float32).

    Shape
    -----
    ``out = floor((in + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1``
    per spatial axis, as ``conv2d`` (Dumoulin & Visin 2016, relationship 15).

    Examples
    --------
    Zero offsets give the regular convolution; an offset of one row down on
    every tap reads the input shifted up.

    >>> import numpy as np
    >>> from convscope.functional import conv2d
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4); w = np.ones((1, 1, 2, 2))
    >>> offset = np.zeros((1, 8, 3, 3))
    >>> np.array_equal(deform_conv2d(x, offset, w), conv2d(x, w))
    True
    >>> offset[:, 0::2] = 1.0
    >>> deform_conv2d(x, offset, w)[0, 0]
    array([[26., 30., 34.],
           [42., 46., 50.],
           [25., 27., 29.]])
    """
    return plan_deform_conv2d(input, offset, weight, bias, stride, padding, dilation, mask).forward()[0]
