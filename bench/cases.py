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
]  # fmt: skip


TARGETS: list[Target] = [
    Target("forward: geometric mean <= 1.5", ("forward",), "geomean", 1.5),
    Target("forward: every case <= 3.0", ("forward",), "max", 3.0),
    Target("transposed: geometric mean <= 1.5", ("transposed",), "geomean", 1.5),
    Target("backward: geometric mean <= 2.0", ("backward",), "geomean", 2.0),
    Target("large-kernel: every case < 1.0", ("large-kernel",), "max", 1.0, strict=True),
]

# Outputs must agree with torch to this max relative difference
# (max |convscope - torch| / max |torch|, per output, float32).
AGREEMENT_TOL = 1e-4
