"""Pullbacks of pooling, unpooling and stochastic pooling.

Max-type pooling routes each output's gradient to the input its forward pass
picked (PyTorch's argmax, ties to the first); sum-type pooling spreads it
back over the window (the adjoint of a window sum is a scatter over the same
index maps). Unpooling swaps the two directions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import functional as F
from ..functional import pool, unpool
from ..kernels import window
from .registry import Gradients, Pullback, cotangent_like, register, require_float

Rule = Callable[..., tuple[Any, Pullback]]


def _wide(a: np.ndarray) -> np.ndarray:
    """float16 gradients are accumulated in float32 (as PyTorch accumulates them)."""
    return a.astype(np.float32) if a.dtype == np.float16 else a


def _batched_cotangent(value: Any, out: np.ndarray, op: str, unbatched: bool) -> np.ndarray:
    g = _wide(cotangent_like(value, out, op))
    return g[None] if unbatched else g


def _finish(grad: np.ndarray, like: np.ndarray, unbatched: bool) -> np.ndarray:
    grad = grad.astype(like.dtype, copy=False)
    return grad[0] if unbatched else grad


def _argmax_rule(
    op: str, plan: pool.PoolPlan | pool.AdaptivePlan, return_indices: bool
) -> tuple[Any, Pullback]:
    """Forward and pullback of a max-type pooling: the gradient goes to each window's argmax."""
    require_float(op, plan.x)
    values, indices = window.argmax_reduce(plan.x, plan.maps, plan.firsts)
    out = plan.unbatch(values)

    def pullback(cotangent: Any) -> Gradients:
        g = _batched_cotangent(cotangent, out, op, plan.unbatched)
        return (_finish(window.scatter_to_indices(g, indices, plan.in_sizes), plan.x, plan.unbatched),)

    return ((out, plan.unbatch(indices)) if return_indices else out), pullback


def _max_pool_rule(spatial: int) -> Rule:
    def rule(
        input: Any,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        ceil_mode: bool = False,
        return_indices: bool = False,
    ) -> tuple[Any, Pullback]:
        op = f"max_pool{spatial}d"
        plan = pool.plan_pool(op, spatial, input, kernel_size, stride, padding, dilation, ceil_mode)
        return _argmax_rule(op, plan, return_indices)

    return rule


def _adaptive_max_pool_rule(spatial: int) -> Rule:
    def rule(input: Any, output_size: Any, return_indices: bool = False) -> tuple[Any, Pullback]:
        op = f"adaptive_max_pool{spatial}d"
        plan = pool.plan_adaptive(op, spatial, input, output_size)
        return _argmax_rule(op, plan, return_indices)

    return rule


def _spread(g: np.ndarray, plan: Any, divisor: np.ndarray | int) -> np.ndarray:
    """The adjoint of ``window sums / divisor``."""
    # the integer counts must not promote a float32 cotangent to float64
    return window.sum_scatter(g / np.asarray(divisor, g.dtype), plan.maps, plan.in_sizes)


def _avg_pool_rule(spatial: int) -> Rule:
    def rule(
        input: Any,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> tuple[np.ndarray, Pullback]:
        op = f"avg_pool{spatial}d"
        override = pool.check_divisor(op, divisor_override)
        plan = pool.plan_pool(op, spatial, input, kernel_size, stride, padding, 1, ceil_mode)
        require_float(op, plan.x)
        out = pool.run_avg_pool(plan, count_include_pad, override)
        divisor = pool.divisors(plan.axes, count_include_pad, override)

        def pullback(cotangent: Any) -> Gradients:
            g = _batched_cotangent(cotangent, out, op, plan.unbatched)
            return (_finish(_spread(g, plan, divisor), plan.x, plan.unbatched),)

        return out, pullback

    return rule


def _adaptive_avg_pool_rule(spatial: int) -> Rule:
    def rule(input: Any, output_size: Any) -> tuple[np.ndarray, Pullback]:
        op = f"adaptive_avg_pool{spatial}d"
        plan = pool.plan_adaptive(op, spatial, input, output_size)
        require_float(op, plan.x)
        out = pool.run_adaptive_avg(plan)

        def pullback(cotangent: Any) -> Gradients:
            g = _batched_cotangent(cotangent, out, op, plan.unbatched)
            return (_finish(_spread(g, plan, pool.adaptive_counts(plan.maps)), plan.x, plan.unbatched),)

        return out, pullback

    return rule


def _lp_pool_rule(spatial: int) -> Rule:
    def rule(
        input: Any, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False
    ) -> tuple[np.ndarray, Pullback]:
        op = f"lp_pool{spatial}d"
        p = pool.check_norm_type(op, norm_type)
        plan = pool.plan_pool(op, spatial, input, kernel_size, stride, 0, 1, ceil_mode)
        require_float(op, plan.x)
        if np.isinf(p):
            # max (or min) of |x|: the gradient reaches the picked cell through |x|
            magnitude = np.abs(plan.x) if p > 0 else -np.abs(plan.x)
            values, indices = window.argmax_reduce(magnitude, plan.maps, plan.firsts)
            out, sums = plan.unbatch(values if p > 0 else -values), None
        else:
            out, sums = pool.run_lp_pool(plan, p)
        x = _wide(plan.x)

        def pullback(cotangent: Any) -> Gradients:
            g = _batched_cotangent(cotangent, out, op, plan.unbatched)
            with np.errstate(invalid="ignore", divide="ignore"):
                if np.isinf(p):
                    grad = window.scatter_to_indices(g, indices, plan.in_sizes) * np.sign(x)
                else:
                    assert sums is not None
                    volume = math.prod(a.kernel for a in plan.axes)
                    # d(S^(1/p))/dS = S^(1/p - 1) / p, taken as 0 where a window's sum S is 0
                    slope = np.where(sums == 0, 0.0, np.power(sums, 1.0 / p - 1.0))
                    per_window = g * slope * volume
                    grad = _spread(per_window, plan, pool.divisors(plan.axes, True, None))
                    grad *= np.power(x, p - 1.0)
            return (_finish(grad, plan.x, plan.unbatched),)

        return out, pullback

    return rule


def _max_unpool_rule(spatial: int) -> Rule:
    def rule(
        input: Any,
        indices: Any,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        output_size: Any = None,
    ) -> tuple[np.ndarray, Pullback]:
        op = f"max_unpool{spatial}d"
        plan = unpool.plan_unpool(op, spatial, input, kernel_size, stride, padding, output_size)
        require_float(op, plan.x)
        index = unpool.check_indices(plan, indices)
        out = plan.unbatch(window.place_at_indices(plan.x, index, plan.out_sizes))

        def pullback(cotangent: Any) -> Gradients:
            g = _batched_cotangent(cotangent, out, op, plan.unbatched)
            picked = window.gather_at_indices(g, index, plan.out_sizes)
            return (_finish(picked, plan.x, plan.unbatched),)

        return out, pullback

    return rule


def _avg_unpool_rule(spatial: int) -> Rule:
    def rule(
        input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, output_size: Any = None
    ) -> tuple[np.ndarray, Pullback]:
        op = f"avg_unpool{spatial}d"
        plan = unpool.plan_unpool(op, spatial, input, kernel_size, stride, padding, output_size)
        require_float(op, plan.x)
        out = unpool.run_avg_unpool(plan)

        def pullback(cotangent: Any) -> Gradients:
            g = _batched_cotangent(cotangent, out, op, plan.unbatched)
            counts = unpool.coverage(plan.axes)
            shared = np.divide(g, counts, out=np.zeros_like(g), where=counts > 0)
            grad = window.sum_reduce(shared, [a.index_map() for a in plan.axes])
            return (_finish(grad, plan.x, plan.unbatched),)

        return out, pullback

    return rule


@register(F.stochastic_pool2d, 1)
def _stochastic_pool_rule(
    input: Any, kernel_size: Any, stride: Any = None, *, training: bool = True, rng: Any = None
) -> tuple[np.ndarray, Pullback]:
    """Training: the gradient reaches the sampled cell. Evaluation: d/da_i of sum(a^2)/sum(a)."""
    op = "stochastic_pool2d"
    plan = unpool.plan_stochastic(input, kernel_size, stride)
    if training:
        values, indices = unpool.stochastic_sample(plan, rng)
        out = plan.unbatch(values)
    else:
        expectation, total = unpool.stochastic_expectation(plan)
        out = plan.unbatch(expectation)
    x = _wide(plan.x)

    def pullback(cotangent: Any) -> Gradients:
        g = _batched_cotangent(cotangent, out, op, plan.unbatched)
        if training:
            return (_finish(window.scatter_to_indices(g, indices, plan.in_sizes), plan.x, plan.unbatched),)
        # d/da_i [sum(a^2) / sum(a)] = (2 a_i - out) / sum(a); nothing flows through an empty window
        share = np.divide(g, total, out=np.zeros_like(g), where=total > 0)
        grad = 2 * x * _spread(share, plan, 1) - _spread(share * expectation, plan, 1)
        return (_finish(grad, plan.x, plan.unbatched),)

    return out, pullback


for _n in (1, 2, 3):
    register(getattr(F, f"max_pool{_n}d"), 1)(_max_pool_rule(_n))
    register(getattr(F, f"avg_pool{_n}d"), 1)(_avg_pool_rule(_n))
    register(getattr(F, f"lp_pool{_n}d"), 1)(_lp_pool_rule(_n))
    register(getattr(F, f"adaptive_max_pool{_n}d"), 1)(_adaptive_max_pool_rule(_n))
    register(getattr(F, f"adaptive_avg_pool{_n}d"), 1)(_adaptive_avg_pool_rule(_n))
    register(getattr(F, f"max_unpool{_n}d"), 1)(_max_unpool_rule(_n))
    register(getattr(F, f"avg_unpool{_n}d"), 1)(_avg_unpool_rule(_n))
