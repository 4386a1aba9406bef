"""Pullback of ``deform_conv2d`` in its input, offset, weight, bias and mask.

The primals are ``(input, offset, weight, bias, mask)``, in that order; the
mask may also come by keyword, and then gets no gradient. The offset
gradient is torchvision's: one-sided (from above) where a sample position
is an integer, since bilinear interpolation has a kink there.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import functional as F
from ..functional.deform import plan_deform_conv2d
from .registry import Gradients, Pullback, cotangent_like, register


@register(F.deform_conv2d, 5)
def _deform_conv2d_rule(
    input: Any, offset: Any, weight: Any, bias: Any = None, mask: Any = None, **params: Any
) -> tuple[np.ndarray, Pullback]:
    plan = plan_deform_conv2d(input, offset, weight, bias, mask=mask, **params)
    out, saved = plan.forward(keep=True)

    def pullback(cotangent: Any) -> Gradients:
        g = cotangent_like(cotangent, out, "deform_conv2d")
        grads = plan.backward(g, saved)
        # Half precision sums in float32, as the rest of the gradient is computed.
        wide = np.float64 if g.dtype == np.float64 else np.float32
        grad_bias = None if plan.bias is None else g.sum(axis=(0, 2, 3), dtype=wide).astype(g.dtype)
        return grads.input, grads.offset, grads.weight, grad_bias, grads.mask

    return out, pullback
