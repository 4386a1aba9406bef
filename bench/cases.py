"""The benchmark cases and the performance targets, as tables.

A case is a name, a group, a direction ('forward' or 'backward') and a
builder.  ``build(impl, rng)`` makes the inputs once and returns two
zero-argument callables over them: ``(convscope_fn, torch_fn)``.  Each
returns the operator's output(s); the runner times the calls and compares
the outputs (arrays or tensors, or tuples of them).

To add cases (pooling, resampling, whole networks), append to ``CASES``
with a new group and, if it has a target, add a ``Target``.  Builders may
use anything of ``impl.functional`` / ``impl.vjp``; an ``AttributeError``
for an operator convscope does not have yet shows up as an error row.

What is timed:
- forward: ``convscope.functional.<op>(x, w, ...)`` against
  ``torch.nn.functional.<op>(x, w, ...)`` under ``torch.no_grad()``;
- backward: ``out, pb = convscope.vjp(F.<op>, x, w, ...); gx, gw = pb(g)``
  (forward + pullback) against ``torch.autograd.grad(F.<op>(x, w, ...),
  (x, w), g)`` (forward + backward), with x and w requiring grad.
All inputs are float32, NCHW, standard normal (weights scaled by
1/sqrt(fan_in)); torch gets its own copies of the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from bench import deform_reference

Fn = Callable[[], Any]
Builder = Callable[[Any, np.random.Generator], tuple[Fn, Fn]]


@dataclass(frozen=True)
class Case:
    name: str
    group: str
    build: Builder
    direction: str = "forward"  # 'forward' or 'backward'
    description: str = ""


@dataclass(frozen=True)
class Target:
    """``stat`` of the ratios of ``groups`` must be ``<= limit`` (``< limit`` if strict).

    ``stat`` is 'geomean' or 'max' (every case).
    """

    label: str
    groups: tuple[str, ...]
    stat: str
    limit: float
    strict: bool = False


def _randn(rng: np.random.Generator, shape: Sequence[int], scale: float = 1.0) -> np.ndarray:
    a = rng.standard_normal(tuple(shape), dtype=np.float32)
    if scale != 1.0:
        a *= np.float32(scale)
    return a


def _weight(rng: np.random.Generator, shape: Sequence[int]) -> np.ndarray:
    return _randn(rng, shape, 1.0 / math.sqrt(math.prod(shape[1:])))


def _torch_copy(a: np.ndarray, requires_grad: bool = False) -> torch.Tensor:
    t = torch.from_numpy(a.copy())
    return t.requires_grad_() if requires_grad else t


def op_forward(op: str, x_shape: Sequence[int], **params: Any) -> Builder:
    """Builder for a one-input operator ``F.<op>(x, **params)`` (pooling, resampling)."""

    def build(impl: Any, rng: np.random.Generator) -> tuple[Fn, Fn]:
        x = _randn(rng, x_shape)
        xt = _torch_copy(x)
        t_op = getattr(torch.nn.functional, op)
        functional = impl.functional

        def cs_fn() -> Any:
            return getattr(functional, op)(x, **params)

        def torch_fn() -> Any:
            with torch.no_grad():
                return t_op(xt, **params)

        return cs_fn, torch_fn

    return build


def op_backward(op: str, x_shape: Sequence[int], **params: Any) -> Builder:
    """Builder for the input gradient of ``F.<op>(x, **params)``, forward included."""

    def build(impl: Any, rng: np.random.Generator) -> tuple[Fn, Fn]:
        x = _randn(rng, x_shape)
        xt = _torch_copy(x, True)
        t_op = getattr(torch.nn.functional, op)
        with torch.no_grad():
            out_shape = tuple(t_op(xt, **params).shape)
        g = _randn(rng, out_shape)
        gt = _torch_copy(g)
        functional, vjp = impl.functional, impl.vjp

        def cs_fn() -> Any:
            _, pullback = vjp(getattr(functional, op), x, **params)
            return tuple(pullback(g))

        def torch_fn() -> Any:
            return torch.autograd.grad(t_op(xt, **params), (xt,), gt)

        return cs_fn, torch_fn

    return build


def _pooled_with_indices(
    rng: np.random.Generator, x_shape: Sequence[int], kernel_size: int, stride: int
) -> tuple[np.ndarray, np.ndarray]:
    """torch's max_pool2d of a random input: the values and indices max_unpool2d takes."""
    with torch.no_grad():
        y, idx = torch.nn.functional.max_pool2d(
            _torch_copy(_randn(rng, x_shape)), kernel_size, stride, return_indices=True
        )
    return y.numpy(), idx.numpy()


def max_unpool2d_forward(x_shape: Sequence[int], kernel_size: int, stride: int) -> Builder:
    """``F.max_unpool2d(y, idx, ...)`` with ``(y, idx)`` from torch's max_pool2d of ``x_shape``."""

    def build(impl: Any, rng: np.random.Generator) -> tuple[Fn, Fn]:
        y, idx = _pooled_with_indices(rng, x_shape, kernel_size, stride)
        yt, it = _torch_copy(y), _torch_copy(idx)
        functional = impl.functional

        def cs_fn() -> Any:
            return functional.max_unpool2d(y, idx, kernel_size, stride)

        def torch_fn() -> Any:
            with torch.no_grad():
                return torch.nn.functional.max_unpool2d(yt, it, kernel_size, stride)

        return cs_fn, torch_fn

    return build


def max_unpool2d_backward(x_shape: Sequence[int], kernel_size: int, stride: int) -> Builder:
    """The input gradient of max_unpool2d, forward included (indices by keyword, not a primal)."""

    def build(impl: Any, rng: np.random.Generator) -> tuple[Fn, Fn]:
        y, idx = _pooled_with_indices(rng, x_shape, kernel_size, stride)
        yt, it = _torch_copy(y, True), _torch_copy(idx)
        t_op = torch.nn.functional.max_unpool2d
        g = _randn(rng, x_shape)
        gt = _torch_copy(g)
        functional, vjp = impl.functional, impl.vjp

        def cs_fn() -> Any:
            _, pullback = vjp(functional.max_unpool2d, y, indices=idx, kernel_size=kernel_size, stride=stride)
            return tuple(pullback(g))

        def torch_fn() -> Any:
            out = t_op(yt, indices=it, kernel_size=kernel_size, stride=stride)
            return torch.autograd.grad(out, (yt,), gt)

        return cs_fn, torch_fn

    return build


def conv_forward(op: str, x_shape: Sequence[int], w_shape: Sequence[int], **params: Any) -> Builder:
    """Builder for ``F.<op>(x, w, **params)`` (no bias)."""

    def build(impl: Any, rng: np.random.Generator) -> tuple[Fn, Fn]:
        x = _randn(rng, x_shape)
        w = _weight(rng, w_shape)
        xt, wt = _torch_copy(x), _torch_copy(w)
        t_op = getattr(torch.nn.functional, op)
        functional = impl.functional

        def cs_fn() -> Any:
            # looked up per call (~0.1 us) so a missing operator is an error row, with torch still timed
            return getattr(functional, op)(x, w, **params)

        def torch_fn() -> Any:
            with torch.no_grad():
                return t_op(xt, wt, **params)

        return cs_fn, torch_fn

    return build


def conv_backward(op: str, x_shape: Sequence[int], w_shape: Sequence[int], **params: Any) -> Builder:
    """Builder for the input and weight gradients of ``F.<op>(x, w, **params)``, forward included."""

    def build(impl: Any, rng: np.random.Generator) -> tuple[Fn, Fn]:
        x = _randn(rng, x_shape)
        w = _weight(rng, w_shape)
        xt, wt = _torch_copy(x, True), _torch_copy(w, True)
        t_op = getattr(torch.nn.functional, op)
        with torch.no_grad():
            out_shape = tuple(t_op(xt, wt, **params).shape)
        g = _randn(rng, out_shape)
        gt = _torch_copy(g)
        functional, vjp = impl.functional, impl.vjp

        def cs_fn() -> Any:
            _, pullback = vjp(getattr(functional, op), x, w, **params)
            return tuple(pullback(g))

        def torch_fn() -> Any:
            return torch.autograd.grad(t_op(xt, wt, **params), (xt, wt), gt)

        return cs_fn, torch_fn

    return build



def _grid(rng: np.random.Generator, shape: Sequence[int]) -> np.ndarray:
    """Sampling points uniform in [-1, 1], the range of a spatial transformer's grid."""
    return rng.uniform(-1.0, 1.0, tuple(shape)).astype(np.float32)


def grid_sample_forward(x_shape: Sequence[int], grid_shape: Sequence[int], **params: Any) -> Builder:
    """Builder for ``F.grid_sample(x, grid, **params)``."""

    def build(impl: Any, rng: np.random.Generator) -> tuple[Fn, Fn]:
        x, grid = _randn(rng, x_shape), _grid(rng, grid_shape)
        xt, gt = _torch_copy(x), _torch_copy(grid)
        functional = impl.functional

        def cs_fn() -> Any:
            return functional.grid_sample(x, grid, **params)

        def torch_fn() -> Any:
            with torch.no_grad():
                return torch.nn.functional.grid_sample(xt, gt, **params)

        return cs_fn, torch_fn

    return build


def grid_sample_backward(x_shape: Sequence[int], grid_shape: Sequence[int], **params: Any) -> Builder:
    """Builder for the input and grid gradients of ``F.grid_sample(x, grid, **params)``, forward included."""

    def build(impl: Any, rng: np.random.Generator) -> tuple[Fn, Fn]:
        x, grid = _randn(rng, x_shape), _grid(rng, grid_shape)
        xt, gt = _torch_copy(x, True), _torch_copy(grid, True)
        t_op = torch.nn.functional.grid_sample
        with torch.no_grad():
            out_shape = tuple(t_op(xt, gt, **params).shape)
        g = _randn(rng, out_shape)
        g_t = _torch_copy(g)
        functional, vjp = impl.functional, impl.vjp

        def cs_fn() -> Any:
            _, pullback = vjp(functional.grid_sample, x, grid, **params)
            return tuple(pullback(g))

        def torch_fn() -> Any:
            return torch.autograd.grad(t_op(xt, gt, **params), (xt, gt), g_t)

        return cs_fn, torch_fn

    return build


def _deform_inputs(
    rng: np.random.Generator, x_shape: Sequence[int], w_shape: Sequence[int], padding: int
) -> tuple[np.ndarray, ...]:
    """Input, offset (N(0, 1) pixels: the scale learned offsets start at), weight and a mask in [0, 1]."""
    n, _, h, w = x_shape
    kh, kw = w_shape[2:]
    out = (n, kh * kw, h + 2 * padding - kh + 1, w + 2 * padding - kw + 1)
    offset = _randn(rng, (n, 2 * out[1], *out[2:]))
    mask = rng.random(out, dtype=np.float32)
    return _randn(rng, x_shape), offset, _weight(rng, w_shape), mask


def deform_forward(x_shape: Sequence[int], w_shape: Sequence[int], padding: int) -> Builder:
    """``F.deform_conv2d(x, offset, w, padding=..., mask=mask)`` against the plain-torch port."""

    def build(impl: Any, rng: np.random.Generator) -> tuple[Fn, Fn]:
        arrays = _deform_inputs(rng, x_shape, w_shape, padding)
        x, offset, w, mask = arrays
        xt, ot, wt, mt = (_torch_copy(a) for a in arrays)
        functional = impl.functional

        def cs_fn() -> Any:
            return functional.deform_conv2d(x, offset, w, padding=padding, mask=mask)

        def torch_fn() -> Any:
            with torch.no_grad():
                return deform_reference.deform_conv2d(xt, ot, wt, padding=padding, mask=mt)

        return cs_fn, torch_fn

    return build


def deform_backward(x_shape: Sequence[int], w_shape: Sequence[int], padding: int) -> Builder:
    """Gradients in input, offset, weight and mask, forward included, against the port's autograd."""

    def build(impl: Any, rng: np.random.Generator) -> tuple[Fn, Fn]:
        arrays = _deform_inputs(rng, x_shape, w_shape, padding)
        x, offset, w, mask = arrays
        xt, ot, wt, mt = (_torch_copy(a, True) for a in arrays)
        with torch.no_grad():
            out_shape = tuple(deform_reference.deform_conv2d(xt, ot, wt, padding=padding, mask=mt).shape)
        g = _randn(rng, out_shape)
        gt = _torch_copy(g)
        functional, vjp = impl.functional, impl.vjp

        def cs_fn() -> Any:
            _, pullback = vjp(functional.deform_conv2d, x, offset, w, None, mask, padding=padding)
            grad_x, grad_offset, grad_w, _, grad_mask = pullback(g)
            return grad_x, grad_offset, grad_w, grad_mask

        def torch_fn() -> Any:
            out = deform_reference.deform_conv2d(xt, ot, wt, padding=padding, mask=mt)
            return torch.autograd.grad(out, (xt, ot, wt, mt), gt)

        return cs_fn, torch_fn

    return build


def network_forward(network: str, x_shape: Sequence[int], **kwargs: Any) -> Builder:
    """Builder for a whole network of ``bench/networks.py`` in eval mode, float32.

    torch's network (seeded default initialisation, random BatchNorm statistics)
    is built with ``torch.nn``; convscope's with ``impl.nn_lib()`` and loaded with
    torch's ``state_dict()``. Timed: ``net(x)`` against torch's ``net(x)`` under
    ``torch.no_grad()``.
    """

    def build(impl: Any, rng: np.random.Generator) -> tuple[Fn, Fn]:
        from bench import networks

        lib = impl.nn_lib()
        factory = getattr(networks, network)
        ours, reference = networks.twins(lambda lb: factory(lb, **kwargs), lib, rng)
        x = _randn(rng, x_shape)
        xt = _torch_copy(x)

        def cs_fn() -> Any:
            return lib.run(ours, x)

        def torch_fn() -> Any:
            with torch.no_grad():
                return reference(xt)

        return cs_fn, torch_fn

    return build


CASES: list[Case] = [
    # -- forward convolutions (ResNet/DeepLab-like layer shapes) ------------
    Case("conv2d 3x3 64->64 56x56 b8 p1", "forward",
         conv_forward("conv2d", (8, 64, 56, 56), (64, 64, 3, 3), padding=1)),
    Case("conv2d 1x1 256->64 56x56 b8", "forward",
         conv_forward("conv2d", (8, 256, 56, 56), (64, 256, 1, 1))),
    Case("conv2d 3x3 s2 128->256 28x28 b8 p1", "forward",
         conv_forward("conv2d", (8, 128, 28, 28), (256, 128, 3, 3), stride=2, padding=1)),
    Case("depthwise 3x3 256ch 56x56 b8 p1 g256", "forward",
         conv_forward("conv2d", (8, 256, 56, 56), (256, 1, 3, 3), padding=1, groups=256)),
    Case("dilated 3x3 d2 256->256 33x33 b8 p2", "forward",
         conv_forward("conv2d", (8, 256, 33, 33), (256, 256, 3, 3), padding=2, dilation=2)),
    Case("dilated 3x3 d6 256->256 33x33 b8 p6", "forward",
         conv_forward("conv2d", (8, 256, 33, 33), (256, 256, 3, 3), padding=6, dilation=6)),
    Case("conv2d 7x7 s2 3->64 224x224 b8 p3", "forward",
         conv_forward("conv2d", (8, 3, 224, 224), (64, 3, 7, 7), stride=2, padding=3)),
    Case("conv1d k3 256->128 L1024 b32 p1", "forward",
         conv_forward("conv1d", (32, 256, 1024), (128, 256, 3), padding=1)),
    # -- transposed ---------------------------------------------------------
    Case("conv_transpose2d 4x4 s2 p1 256->128 16x16 b8", "transposed",
         conv_forward("conv_transpose2d", (8, 256, 16, 16), (256, 128, 4, 4), stride=2, padding=1)),
    # -- large kernels (where FFT should beat direct convolution) -----------
    Case("conv2d 15x15 16->16 128x128 b4 p7", "large-kernel",
         conv_forward("conv2d", (4, 16, 128, 128), (16, 16, 15, 15), padding=7)),
    Case("conv2d 31x31 16->16 128x128 b4 p15", "large-kernel",
         conv_forward("conv2d", (4, 16, 128, 128), (16, 16, 31, 31), padding=15)),
    # -- backward: input + weight gradients, forward included ---------------
    Case("backward conv2d 3x3 64->64 56x56 b8 p1", "backward",
         conv_backward("conv2d", (8, 64, 56, 56), (64, 64, 3, 3), padding=1),
         direction="backward"),
    Case("backward conv2d 3x3 s2 128->256 28x28 b8 p1", "backward",
         conv_backward("conv2d", (8, 128, 28, 28), (256, 128, 3, 3), stride=2, padding=1),
         direction="backward"),
    # -- pooling and resampling (ResNet stem pool, decoder up-sampling) -----
    Case("max_pool2d 3x3 s2 p1 64ch 112x112 b8", "pool-resample",
         op_forward("max_pool2d", (8, 64, 112, 112), kernel_size=3, stride=2, padding=1)),
    Case("avg_pool2d 3x3 s2 64ch 112x112 b8", "pool-resample",
         op_forward("avg_pool2d", (8, 64, 112, 112), kernel_size=3, stride=2)),
    Case("interpolate bilinear x2 64ch 56x56 b8", "pool-resample",
         op_forward("interpolate", (8, 64, 56, 56), scale_factor=2, mode="bilinear", align_corners=False)),
    Case("interpolate bicubic x2 64ch 56x56 b8", "pool-resample",
         op_forward("interpolate", (8, 64, 56, 56), scale_factor=2, mode="bicubic", align_corners=False)),
    Case("max_unpool2d 2x2 s2 64ch 56x56->112x112 b8", "pool-resample",
         max_unpool2d_forward((8, 64, 112, 112), kernel_size=2, stride=2)),
    Case("backward max_pool2d 3x3 s2 p1 64ch 112x112 b8", "pool-resample-backward",
         op_backward("max_pool2d", (8, 64, 112, 112), kernel_size=3, stride=2, padding=1),
         direction="backward"),
    Case("backward avg_pool2d 3x3 s2 64ch 112x112 b8", "pool-resample-backward",
         op_backward("avg_pool2d", (8, 64, 112, 112), kernel_size=3, stride=2),
         direction="backward"),
    Case("backward interpolate bilinear x2 64ch 56x56 b8", "pool-resample-backward",
         op_backward("interpolate", (8, 64, 56, 56), scale_factor=2, mode="bilinear", align_corners=False),
         direction="backward"),
    Case("backward interpolate bicubic x2 64ch 56x56 b8", "pool-resample-backward",
         op_backward("interpolate", (8, 64, 56, 56), scale_factor=2, mode="bicubic", align_corners=False),
         direction="backward"),
    Case("backward max_unpool2d 2x2 s2 64ch 56x56->112x112 b8", "pool-resample-backward",
         max_unpool2d_backward((8, 64, 112, 112), kernel_size=2, stride=2),
         direction="backward"),
    # -- grid_sample (spatial transformer sampling) ------------------------
    Case("grid_sample bilinear zeros 64ch 56x56 b8", "grid",
         grid_sample_forward((8, 64, 56, 56), (8, 56, 56, 2), align_corners=False)),
    Case("backward grid_sample bilinear zeros 64ch 56x56 b8", "grid",
         grid_sample_backward((8, 64, 56, 56), (8, 56, 56, 2), align_corners=False),
         direction="backward"),
    # -- deformable convolution (DCNv2: offsets and mask) against a plain-torch port ----------
    Case("deform_conv2d 3x3 64->64 28x28 b4 p1 mask", "deform",
         deform_forward((4, 64, 28, 28), (64, 64, 3, 3), padding=1)),
    Case("backward deform_conv2d 3x3 64->64 28x28 b4 p1 mask", "deform",
         deform_backward((4, 64, 28, 28), (64, 64, 3, 3), padding=1),
         direction="backward"),
    # -- whole networks (convscope.nn with torch's state_dict), eval mode --
    Case("U-Net depth 3 base 16 3ch 128x128 b1", "nn",
         network_forward("unet", (1, 3, 128, 128), base=16, depth=3)),
    Case("DeepLab head ASPP(6,12,18) 256ch 33x33 b2", "nn",
         network_forward("deeplab_head", (2, 256, 33, 33), in_channels=256, classes=21)),
    Case("MobileNet separable stack 32ch 56x56 b8", "nn",
         network_forward("mobilenet", (8, 32, 56, 56), channels=32, classes=10)),
]  # fmt: skip


TARGETS: list[Target] = [
    Target("forward: geometric mean <= 1.5", ("forward",), "geomean", 1.5),
    Target("forward: every case <= 3.0", ("forward",), "max", 3.0),
    Target("transposed: geometric mean <= 1.5", ("transposed",), "geomean", 1.5),
    Target("backward: geometric mean <= 2.0", ("backward",), "geomean", 2.0),
    Target("large-kernel: every case < 1.0", ("large-kernel",), "max", 1.0, strict=True),
    Target("pool-resample: every case <= 2.0", ("pool-resample", "pool-resample-backward"), "max", 2.0),
    Target("pool-resample: geometric mean <= 1.5", ("pool-resample",), "geomean", 1.5),
    Target("pool-resample-backward: geometric mean <= 1.5", ("pool-resample-backward",), "geomean", 1.5),
    Target("grid: every case <= 2.0", ("grid",), "max", 2.0),
    Target("nn: geometric mean <= 1.5", ("nn",), "geomean", 1.5),
    # torchvision's compiled operator does not install beside CPU torch; the baseline is the
    # plain-torch port of bench/deform_reference.py, which convscope must beat.
    Target("deform: every case < 1.0 (vs plain-torch port)", ("deform",), "max", 1.0, strict=True),
]

# Outputs must agree with torch to this max relative difference
# (max |convscope - torch| / max |torch|, per output, float32).
AGREEMENT_TOL = 1e-4
