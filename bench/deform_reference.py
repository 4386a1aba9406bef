"""A deformable convolution in plain torch operations: what convscope's ``deform_conv2d`` is timed against.

torchvision's compiled operator is not installable beside the CPU build of
torch this benchmark uses, so the baseline is the usual "pure PyTorch" port
(as in mmcv's and detectron2's fallbacks): every tap's four neighbours are
read with one ``torch.gather`` over all channels of an offset group, weighted,
masked, and the columns feed a grouped ``matmul``. torch's autograd gives the
gradients, so the backward case needs no extra code.
"""

from __future__ import annotations

import torch


def _pair(v: int | tuple[int, int]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def deform_conv2d(
    input: torch.Tensor,
    offset: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """torchvision.ops.deform_conv2d's forward, differentiable by autograd."""
    n, c, h, w = input.shape
    c_out, c_group, kh, kw = weight.shape
    taps = kh * kw
    groups = c // c_group
    offset_groups = offset.shape[1] // (2 * taps)
    out_h, out_w = offset.shape[2:]
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)

    grid_y = torch.arange(out_h, dtype=input.dtype) * sh - ph
    grid_x = torch.arange(out_w, dtype=input.dtype) * sw - pw
    tap_y = torch.arange(kh, dtype=input.dtype).repeat_interleave(kw) * dh
    tap_x = torch.arange(kw, dtype=input.dtype).repeat(kh) * dw
    base_y = (tap_y[:, None, None] + grid_y[None, :, None]).expand(taps, out_h, out_w)
    base_x = (tap_x[:, None, None] + grid_x[None, None, :]).expand(taps, out_h, out_w)
    off = offset.reshape(n, offset_groups, taps, 2, out_h, out_w)
    y = base_y + off[:, :, :, 0]  # (n, offset_groups, taps, out_h, out_w)
    x = base_x + off[:, :, :, 1]

    y0, x0 = torch.floor(y), torch.floor(x)
    ly, lx = y - y0, x - x0
    image = input.reshape(n, offset_groups, c // offset_groups, h * w)
    sampled = input.new_zeros(n, offset_groups, c // offset_groups, taps * out_h * out_w)
    for dy, wy in ((0, 1 - ly), (1, ly)):
        for dx, wx in ((0, 1 - lx), (1, lx)):
            yy, xx = y0 + dy, x0 + dx
            inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
            index = (yy.clamp(0, h - 1) * w + xx.clamp(0, w - 1)).long()
            index = index.reshape(n, offset_groups, 1, -1).expand(-1, -1, c // offset_groups, -1)
            weight_q = torch.where(inside, wy * wx, torch.zeros_like(wy)).reshape(n, offset_groups, 1, -1)
            sampled = sampled + torch.gather(image, 3, index) * weight_q
    if mask is not None:
        sampled = sampled * mask.reshape(n, offset_groups, 1, -1)
    columns = sampled.reshape(n, groups, c_group * taps, out_h * out_w)
    out = torch.matmul(weight.reshape(1, groups, c_out // groups, c_group * taps), columns)
    out = out.reshape(n, c_out, out_h, out_w)
    return out if bias is None else out + bias.reshape(1, -1, 1, 1)
