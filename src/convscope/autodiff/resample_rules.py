"""Pullbacks of resampling: the transposed interpolation matrices, and the inverse shuffle."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import functional as F
from ..functional import resample
from ..kernels import resample as resample_kernel
from .registry import Gradients, Pullback, cotangent_like, register, require_float


def _resample_rule(plan: resample.ResamplePlan) -> tuple[np.ndarray, Pullback]:
    require_float("interpolate", plan.x)
    out = resample.run_interpolate(plan)

    def pullback(cotangent: Any) -> Gradients:
        g = cotangent_like(cotangent, out, "interpolate").astype(plan.compute_dtype, copy=False)
        return (resample_kernel.resample_adjoint(g, plan.taps).astype(plan.x.dtype, copy=False),)

    return out, pullback


@register(F.interpolate, 1)
def _interpolate_rule(input: Any, **params: Any) -> tuple[np.ndarray, Pullback]:
    return _resample_rule(resample.plan_interpolate(input, **params))


@register(F.upsample, 1)
def _upsample_rule(input: Any, **params: Any) -> tuple[np.ndarray, Pullback]:
    return _resample_rule(resample.plan_interpolate(input, **params))


@register(F.upsample_nearest, 1)
def _upsample_nearest_rule(input: Any, **params: Any) -> tuple[np.ndarray, Pullback]:
    return _resample_rule(resample.plan_interpolate(input, mode="nearest", **params))


@register(F.upsample_bilinear, 1)
def _upsample_bilinear_rule(input: Any, **params: Any) -> tuple[np.ndarray, Pullback]:
    return _resample_rule(resample.plan_interpolate(input, mode="bilinear", align_corners=True, **params))


@register(F.pixel_shuffle, 1)
def _pixel_shuffle_rule(input: Any, upscale_factor: Any) -> tuple[np.ndarray, Pullback]:
    x, r = resample.check_pixel_shuffle(input, upscale_factor)
    out = resample.shuffle(x, r)
    return out, lambda g: (resample.unshuffle(cotangent_like(g, out, "pixel_shuffle"), r),)


@register(F.pixel_unshuffle, 1)
def _pixel_unshuffle_rule(input: Any, downscale_factor: Any) -> tuple[np.ndarray, Pullback]:
    x, r = resample.check_pixel_unshuffle(input, downscale_factor)
    out = resample.unshuffle(x, r)
    return out, lambda g: (resample.shuffle(cotangent_like(g, out, "pixel_unshuffle"), r),)
