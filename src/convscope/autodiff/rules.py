"""Pullbacks of the operators in :mod:`convscope.functional`.

Convolution and transposed convolution share one geometry and swap roles:
the input-gradient of a convolution is the transposed convolution, and the
input-gradient of a transposed convolution is the convolution.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import functional as F
from ..functional.conv import ConvPlan, plan_conv, plan_conv_transpose, run_conv, run_conv_transpose
from ..functional.fold import plan_fold, plan_unfold
from ..functional.pad import plan_pad
from ..kernels import fold as fold_kernel
from ..kernels.conv import conv_forward, conv_input_grad, conv_weight_grad
from ..kernels.pad import pad as pad_kernel
from ..kernels.pad import pad_adjoint
from .registry import Gradients, Pullback, cotangent_like, register, require_float

Rule = Callable[..., tuple[np.ndarray, Pullback]]


def _cotangent(value: Any, out: np.ndarray, plan: ConvPlan) -> np.ndarray:
    g = cotangent_like(value, out, plan.op)
    return g[None] if plan.unbatched else g


def _bias_grad(plan: ConvPlan, g: np.ndarray) -> np.ndarray | None:
    return None if plan.bias is None else g.sum(axis=(0, *range(2, g.ndim)))


def _conv_rule(spatial: int) -> Rule:
    def rule(input: Any, weight: Any, bias: Any = None, **params: Any) -> tuple[np.ndarray, Pullback]:
        plan = plan_conv(spatial, input, weight, bias, **params)
        require_float(plan.op, plan.x, plan.weight)
        out = run_conv(plan)

        def pullback(cotangent: Any) -> Gradients:
            g = _cotangent(cotangent, out, plan)
            gx = conv_input_grad(g, plan.weight, geometry=plan.geometry)  # = conv_transpose(g)
            if plan.pads:
                gx = pad_adjoint(gx, plan.input_shape, plan.pads, plan.pad_mode)
            gw = conv_weight_grad(plan.x, g, geometry=plan.geometry)
            return (gx[0] if plan.unbatched else gx), gw, _bias_grad(plan, g)

        return out, pullback

    return rule


def _conv_transpose_rule(spatial: int) -> Rule:
    def rule(input: Any, weight: Any, bias: Any = None, **params: Any) -> tuple[np.ndarray, Pullback]:
        plan = plan_conv_transpose(spatial, input, weight, bias, **params)
        require_float(plan.op, plan.x, plan.weight)
        out = run_conv_transpose(plan)

        def pullback(cotangent: Any) -> Gradients:
            g = _cotangent(cotangent, out, plan)
            gx = conv_forward(g, plan.weight, None, geometry=plan.geometry)  # = conv(g)
            gw = conv_weight_grad(g, plan.x, geometry=plan.geometry)
            return (gx[0] if plan.unbatched else gx), gw, _bias_grad(plan, g)

        return out, pullback

    return rule


for _n, _conv, _transpose in (
    (1, F.conv1d, F.conv_transpose1d),
    (2, F.conv2d, F.conv_transpose2d),
    (3, F.conv3d, F.conv_transpose3d),
):
    register(_conv, 3)(_conv_rule(_n))
    register(_transpose, 3)(_conv_transpose_rule(_n))


@register(F.pad, 1)
def _pad_rule(input: Any, **params: Any) -> tuple[np.ndarray, Pullback]:
    plan = plan_pad(input, **params)
    require_float("pad", plan.x)
    out = pad_kernel(plan.x, plan.pairs, plan.mode, plan.value)

    def pullback(cotangent: Any) -> Gradients:
        g = cotangent_like(cotangent, out, "pad")
        return (pad_adjoint(g, plan.x.shape, plan.pairs, plan.mode),)

    return out, pullback


def _fold_pair_rule(name: str, plan_fn: Callable[..., Any], forward: Any, adjoint: Any) -> Rule:
    """unfold and fold are each other's adjoint: each one's pullback runs the other."""

    def rule(input: Any, **params: Any) -> tuple[np.ndarray, Pullback]:
        plan = plan_fn(input, **params)
        require_float(name, plan.x)
        result = forward(plan.x, plan.geometry)
        out = result[0] if plan.unbatched else result

        def pullback(cotangent: Any) -> Gradients:
            g = cotangent_like(cotangent, out, name)
            grad = adjoint(g[None] if plan.unbatched else g, plan.geometry)
            return (grad[0] if plan.unbatched else grad,)

        return out, pullback

    return rule


register(F.unfold, 1)(_fold_pair_rule("unfold", plan_unfold, fold_kernel.unfold, fold_kernel.fold))
register(F.fold, 1)(_fold_pair_rule("fold", plan_fold, fold_kernel.fold, fold_kernel.unfold))
