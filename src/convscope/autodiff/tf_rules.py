"""Pullbacks of :mod:`convscope.tf`: TensorFlow's operators, differentiated as TensorFlow does.

A rule plans its call with the frontend's own planning function (the one
the forward pass runs, so the geometry is built once) and differentiates
through the kernels' adjoints: a convolution's input gradient is its
transposed convolution, a pooling's a scatter over the same windows, a
resize's the transposed taps, a space/depth move the inverse move.

Where TensorFlow routes a gradient its own way, so does the rule:

* ``MaxPool`` (``max_pool1d``/``2d``, ``pool`` with ``'MAX'`` below 3-d) and
  ``max_pool_with_argmax`` send each output's gradient to the first maximum
  of its window in row-major order (a NaN only at the window's first cell),
  as ``MaxPoolGrad`` recomputes it;
* ``MaxPool3D`` sends it to *every* cell within ``1e-5`` of its window's
  maximum (``MaxPool3DGrad`` compares ``|x - max| < 1e-5``): tied cells each
  get the whole gradient.

Where TensorFlow 2.21's CPU has no gradient, the rule still gives the exact
adjoint (for a max, the argmax routing) of the forward pass: ``ResizeArea``
(``image.resize(method='area')``, ``compat.v1`` ``resize_area``), depthwise
max pooling (``ksize`` over channels; the first maximum of each channel group
gets it), dilated and grouped convolutions (the backprop kernels refuse
them), ``ScaleAndTranslate`` of float64 images (its gradient kernel is
float32 only) and ``max_pool_with_argmax`` with ``output_dtype=int32``
(``MaxPoolGradWithArgmax`` takes int64 indices only).

One deliberate difference: ``conv3d``, ``max_pool3d`` and ``avg_pool3d`` with
SAME and a window smaller than its stride. TensorFlow's forward kernels
(Eigen) centre such a window, its gradient kernels pad it the 2-d way, so
TensorFlow's gradient is not the derivative of its own output (it reaches a
cell the output never read); the rule's is.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..functional.pool import divisors
from ..kernels import window
from ..kernels.conv import conv_forward, conv_input_grad, conv_weight_grad
from ..kernels.resample import resample_adjoint
from ..tf import _conv, _pool, _resize
from ..tf import image as tf_image
from ..tf import nn as tf_nn
from ..tf._args import from_channels_first, to_channels_first
from ..tf.compat import _legacy_resize
from ..tf.compat.v1 import image as v1_image
from .registry import Gradients, Pullback, cotangent_like, register, require_float

Rule = Callable[..., tuple[Any, Pullback]]
#: ``grad(run, out, g)``: the input gradient of a planned call ``run`` (output ``out``, cotangent ``g``)
InputGrad = Callable[[Any, np.ndarray, np.ndarray], np.ndarray]

#: ``MaxPool3DGrad`` routes the gradient to every cell this close to its window's maximum.
MAX_POOL_3D_TIE = 1e-5


# -- convolutions ------------------------------------------------------------------------------


def _conv_grads(run: _conv.ConvRun, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Input and filter gradients of one planned (transposed) convolution, in TensorFlow's layouts."""
    if run.geometry is None:  # an empty input or output: nothing flows
        return np.zeros(run.input_shape, run.xc.dtype), np.zeros(run.filter_shape, run.wc.dtype)
    gc = run.kernel_layout(g)
    if run.transposed:  # the transpose of a convolution is differentiated by that convolution
        gx = conv_forward(gc, run.wc, None, geometry=run.geometry)
        gw = conv_weight_grad(gc, run.xc, geometry=run.geometry)
    else:
        gx = conv_input_grad(gc, run.wc, geometry=run.geometry)
        gw = conv_weight_grad(run.xc, gc, geometry=run.geometry)
    return run.input_layout(gx), run.filter_layout(gw)


def _conv_rule(op: str, plan: Callable[..., _conv.ConvRun]) -> Rule:
    def rule(*primals: Any, **params: Any) -> tuple[np.ndarray, Pullback]:
        run = plan(*primals, **params)
        require_float(op, run.xc, run.wc)
        out = run.run()

        def pullback(cotangent: Any) -> Gradients:
            return _conv_grads(run, cotangent_like(cotangent, out, op))

        return out, pullback

    return rule


def _separable_rule(*primals: Any, **params: Any) -> tuple[np.ndarray, Pullback]:
    op = "separable_conv2d"
    run = _conv.plan_separable_conv2d(*primals, **params)
    require_float(op, run.depthwise.xc)
    point = run.pointwise(run.depthwise.run())
    out = point.run()

    def pullback(cotangent: Any) -> Gradients:
        g_middle, g_pointwise = _conv_grads(point, cotangent_like(cotangent, out, op))
        g_input, g_depthwise = _conv_grads(run.depthwise, g_middle)
        return g_input, g_depthwise, g_pointwise

    return out, pullback


_CONVOLUTIONS: dict[Callable[..., Any], Callable[..., _conv.ConvRun]] = {
    tf_nn.conv1d: _conv.plan_conv1d,
    tf_nn.conv2d: _conv.plan_conv2d,
    tf_nn.conv3d: _conv.plan_conv3d,
    tf_nn.convolution: _conv.plan_convolution,
    tf_nn.atrous_conv2d: _conv.plan_atrous_conv2d,
    tf_nn.depthwise_conv2d: _conv.plan_depthwise_conv2d,
    tf_nn.conv1d_transpose: _conv.plan_conv1d_transpose,
    tf_nn.conv2d_transpose: _conv.plan_conv2d_transpose,
    tf_nn.conv3d_transpose: _conv.plan_conv3d_transpose,
    tf_nn.conv_transpose: _conv.plan_conv_transpose,
}
for _function, _plan in _CONVOLUTIONS.items():
    register(_function, 2)(_conv_rule(_function.__name__, _plan))
register(tf_nn.separable_conv2d, 3)(_separable_rule)


# -- pooling ---------------------------------------------------------------------------------


def _wide(g: np.ndarray) -> np.ndarray:
    """float16 gradients are accumulated in float32."""
    return g.astype(np.float32) if g.dtype == np.float16 else g


def _planar(g: np.ndarray) -> np.ndarray:
    return to_channels_first(_wide(g), True)


def _near_max_scatter(
    x: np.ndarray, out: np.ndarray, g: np.ndarray, maps: Sequence[np.ndarray], in_sizes: Sequence[int]
) -> np.ndarray:
    """``MaxPool3DGrad``: each window's gradient added onto every cell within the tie tolerance of its max.

    One pass per tap of the window (not per pixel): gather the tap's cell for
    every output, keep the outputs it (nearly) equals, scatter their gradient.
    """
    grad = np.zeros((*g.shape[:2], *in_sizes), g.dtype)
    x = np.ascontiguousarray(x)
    for taps in itertools.product(*(range(m.shape[1]) for m in maps)):
        # this tap's cell along each axis, shaped to broadcast over the output grid
        columns = [
            m[:, t].reshape([-1 if a == b else 1 for b in range(len(maps))])
            for a, (m, t) in enumerate(zip(maps, taps))
        ]
        inside = functools.reduce(np.logical_and, [c >= 0 for c in columns])
        cells = np.ravel_multi_index([np.maximum(c, 0) for c in columns], tuple(in_sizes))
        index = np.ascontiguousarray(np.broadcast_to(cells, out.shape))
        with np.errstate(invalid="ignore"):  # inf - inf: no tie, as in TensorFlow
            tied = inside & (np.abs(window.gather_at_indices(x, index, in_sizes) - out) < MAX_POOL_3D_TIE)
        grad += window.scatter_to_indices(np.where(tied, g, 0).astype(g.dtype), index, in_sizes)
    return grad


def _planned_rule(op: str, plan: Callable[..., Any], grad: InputGrad) -> Rule:
    """The rule of an operator that runs ``plan``'s run: ``grad(run, out, g)`` is its input's gradient."""

    def rule(*primals: Any, **params: Any) -> tuple[np.ndarray, Pullback]:
        run = plan(*primals, **params)
        require_float(op, run.x)
        out = run.run()

        def pullback(cotangent: Any) -> Gradients:
            g = cotangent_like(cotangent, out, op)
            return (grad(run, out, g).astype(run.x.dtype, copy=False),)

        return out, pullback

    return rule


def _pool_grad(run: _pool.PoolRun, out: np.ndarray, g: np.ndarray) -> np.ndarray:
    if run.channels is not None:  # TensorFlow refuses this gradient; the first maximum gets it
        maps = [run.channels.index_map()]
        _, indices = window.argmax_reduce(run.x, maps, [run.channels.first_inside()])
        return window.scatter_to_indices(_wide(g), indices, (run.x.shape[-1],))
    assert run.call is not None
    tf_plan = run.call.plan()
    if not run.maximum:
        divisor = run.divisor if run.divisor is not None else divisors(tf_plan.axes, False, None)
        gp = _planar(g)
        spread = window.sum_scatter(gp / np.asarray(divisor, gp.dtype), tf_plan.maps, tf_plan.in_sizes)
        return from_channels_first(spread, True)
    if run.floor_at_lowest:  # MaxPool: the first maximum, as MaxPoolGrad recomputes it
        _, indices = _pool.first_max_planar(run.call)
        return from_channels_first(window.scatter_to_indices(_planar(g), indices, tf_plan.in_sizes), True)
    routed = _near_max_scatter(tf_plan.x, _planar(out), _planar(g), tf_plan.maps, tf_plan.in_sizes)
    return from_channels_first(routed, True)


_POOLS: dict[Callable[..., Any], Callable[..., _pool.PoolRun]] = {
    tf_nn.max_pool: _pool.plan_max_pool,
    tf_nn.avg_pool: _pool.plan_avg_pool,
    tf_nn.pool: _pool.plan_pool,
}
for _n in (1, 2, 3):
    for _kind in ("max", "avg"):
        _POOLS[getattr(tf_nn, f"{_kind}_pool{_n}d")] = _pool.pool_planner(_kind, _n)
for _function, _pool_plan in _POOLS.items():
    register(_function, 1)(_planned_rule(_function.__name__, _pool_plan, _pool_grad))


@register(tf_nn.max_pool_with_argmax, 1)
def _argmax_rule(*primals: Any, **params: Any) -> tuple[Any, Pullback]:
    """The maxima and their indices; the pullback takes the maxima's cotangent (indices have none)."""
    op = "max_pool_with_argmax"
    run = _pool.plan_max_pool_with_argmax(*primals, **params)
    require_float(op, run.call.x)
    values, index = run.run()
    _, planar_index = run.first_max()
    in_sizes = run.call.x.shape[1:-1]

    def pullback(cotangent: Any) -> Gradients:
        g = _planar(cotangent_like(cotangent, values, op))
        grad = from_channels_first(window.scatter_to_indices(g, planar_index, in_sizes), True)
        return (grad.astype(run.call.x.dtype, copy=False),)

    return (values, index), pullback


# -- space and depth --------------------------------------------------------------------------


def _block_rule(op: str, forward: Callable[..., np.ndarray], inverse: Callable[..., np.ndarray]) -> Rule:
    """depth_to_space and space_to_depth only move values: each one's pullback is the other."""

    def rule(input: Any, block_size: int, **params: Any) -> tuple[np.ndarray, Pullback]:
        out = forward(input, block_size, **params)
        require_float(op, out)
        return out, lambda g: (inverse(cotangent_like(g, out, op), block_size),)

    return rule


register(tf_nn.depth_to_space, 1)(_block_rule("depth_to_space", tf_nn.depth_to_space, tf_nn.space_to_depth))
register(tf_nn.space_to_depth, 1)(_block_rule("space_to_depth", tf_nn.space_to_depth, tf_nn.depth_to_space))


# -- resizing -------------------------------------------------------------------------------


def _resize_grad(run: _resize.ResizeRun, out: np.ndarray, g: np.ndarray) -> np.ndarray:
    if run.taps is None:  # returned as it was
        return g
    if run.x.size == 0:
        return np.zeros_like(run.x)
    batched = g[None] if run.x.ndim == 3 else g
    grad = from_channels_first(resample_adjoint(to_channels_first(batched, True), run.taps), True)
    return grad[0] if run.x.ndim == 3 else grad


_RESIZERS: dict[Callable[..., Any], Callable[..., _resize.ResizeRun]] = {
    tf_image.resize: _resize.plan_resize,
    v1_image.resize_bilinear: _legacy_resize.plan_resize_bilinear,
    v1_image.resize_nearest_neighbor: _legacy_resize.plan_resize_nearest_neighbor,
    v1_image.resize_bicubic: _legacy_resize.plan_resize_bicubic,
    v1_image.resize_area: _legacy_resize.plan_resize_area,
    v1_image.resize_images: _legacy_resize.plan_resize_images,  # also v1_image.resize, the same function
}
for _function, _resize_plan in _RESIZERS.items():
    register(_function, 1)(_planned_rule(_function.__name__, _resize_plan, _resize_grad))
