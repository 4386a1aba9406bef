"""Pullbacks of ``grid_sample`` (in the input and the grid) and ``affine_grid`` (in theta).

``grid_sample`` is linear in its input, so the input gradient scatters the
cotangent back through the sampling weights; in the grid it is piecewise
smooth, and its gradient follows PyTorch's one-sided conventions: zero for
nearest sampling, and zero where border or reflection padding clips a
position (borders included).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import functional as F
from ..functional.grid import plan_affine_grid, plan_grid_sample
from .registry import Gradients, Pullback, cotangent_like, register


@register(F.grid_sample, 2)
def _grid_sample_rule(input: Any, grid: Any, **params: Any) -> tuple[np.ndarray, Pullback]:
    plan = plan_grid_sample(input, grid, **params)
    out = plan.forward()

    def pullback(cotangent: Any) -> Gradients:
        return plan.backward(cotangent_like(cotangent, out, "grid_sample"))

    return out, pullback


@register(F.affine_grid, 1)
def _affine_grid_rule(theta: Any, **params: Any) -> tuple[np.ndarray, Pullback]:
    plan = plan_affine_grid(theta, **params)
    out = plan.forward()

    def pullback(cotangent: Any) -> Gradients:
        return (plan.backward(cotangent_like(cotangent, out, "affine_grid")),)

    return out, pullback
