"""1x1 convolutions as plain matrix products on the channels-first layout.

With one tap and no low padding, output ``o`` reads input ``o * stride``, so
the convolution is ``W @ x`` per group, batched over samples: no packing, no
copy when the stride is 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import ConvGeometry


def applies(geometry: ConvGeometry) -> bool:
    """One tap, no low padding, and every output reads a real input sample."""
    return geometry.taps == 1 and all(
        a.pad[0] == 0 and (a.out_size - 1) * a.stride < a.size for a in geometry.axes
    )


def _sampled(geometry: ConvGeometry) -> tuple[Any, ...]:
    """Index of the input samples the outputs read."""
    return (Ellipsis, *(slice(0, (a.out_size - 1) * a.stride + 1, a.stride) for a in geometry.axes))


def _grouped(array: np.ndarray, groups: int) -> np.ndarray:
    n, c = array.shape[:2]
    return array.reshape(n, groups, c // groups, -1)


def forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, geometry: ConvGeometry) -> np.ndarray:
    sampled = _grouped(np.ascontiguousarray(x[_sampled(geometry)]), geometry.groups)
    w = weight.reshape(geometry.groups, geometry.group_out, geometry.group_in)
    out = np.empty((geometry.batch, geometry.groups, geometry.group_out, sampled.shape[-1]), x.dtype)
    for g in range(geometry.groups):
        np.matmul(w[g], sampled[:, g], out=out[:, g])
    if bias is not None:
        out += bias.reshape(geometry.groups, geometry.group_out, 1)
    return out.reshape(geometry.out_shape)


def input_grad(grad_out: np.ndarray, weight: np.ndarray, geometry: ConvGeometry) -> np.ndarray:
    g_rows = _grouped(grad_out, geometry.groups)
    w = weight.reshape(geometry.groups, geometry.group_out, geometry.group_in)
    part = np.empty((geometry.batch, geometry.groups, geometry.group_in, g_rows.shape[-1]), grad_out.dtype)
    for g in range(geometry.groups):
        np.matmul(w[g].T, g_rows[:, g], out=part[:, g])
    result = np.zeros(geometry.in_shape, grad_out.dtype)
    result[_sampled(geometry)] = part.reshape(geometry.batch, geometry.in_channels, *grad_out.shape[2:])
    return result


def weight_grad(x: np.ndarray, grad_out: np.ndarray, geometry: ConvGeometry) -> np.ndarray:
    sampled = _grouped(np.ascontiguousarray(x[_sampled(geometry)]), geometry.groups)
    g_rows = _grouped(grad_out, geometry.groups)
    grad = np.empty((geometry.groups, geometry.group_out, geometry.group_in), x.dtype)
    for g in range(geometry.groups):
        # sum over samples and positions: (Og, n*L) @ (n*L, Cg)
        grad[g] = np.einsum("nol,ncl->oc", g_rows[:, g], sampled[:, g], optimize=True)
    return grad.reshape(geometry.weight_shape)
