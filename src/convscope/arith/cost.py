"""Parameters, multiply-accumulates and FLOPs of one layer, as plain data.

Conventions (stated once, used everywhere in convscope):

- **MACs** count every multiplication of a weight by an input sample that the
  operator performs, each followed by one accumulation. For a convolution
  that is ``N * out_positions * C_out * (C_in / groups) * prod(kernel)``:
  taps that fall on **zero padding are included**, as torchinfo, fvcore and
  ``torch.utils.flop_counter.FlopCounterMode`` count them. A transposed
  convolution is counted in its scatter form, as PyTorch computes it (every
  input sample times every tap: ``N * in_positions * C_in * (C_out / groups)
  * prod(kernel)``), products that land in the cropped ``padding`` included.
- **FLOPs = 2 * MACs** (one multiply and one add per MAC), the convention of
  ``FlopCounterMode`` (``conv_flop_count`` returns ``2 * MACs``).
- **Bias adds** are reported apart, in ``bias_flops`` (one add per output
  element), and are not part of ``flops``.
- **Deformable convolution**: the convolution's MACs plus bilinear sampling,
  4 MACs (four corner weights times four samples) per sampled value per input
  channel, i.e. ``4 * N * C_in * out_positions * prod(kernel)``; a DCNv2
  ``mask`` adds 1 MAC per sampled value. The offset-predicting layer is a
  separate layer and is not included.
- **Pooling**: one MAC-equivalent per window cell per output, window cells on
  padding included (average pooling *is* a depthwise convolution with weights
  ``1 / n``; for max pooling the unit is one compare-and-select). Adaptive
  pooling counts the cells of its actual (variable) windows.
- **Interpolation**: one MAC per tap, taps per output per axis from the
  geometry core's interpolation tables (nearest 1, linear 2, cubic 4; area:
  the adaptive window), multiplied across axes (bilinear 4 per output,
  bicubic 16): the direct, non-separable count.
- **Batch norm** (inference, folded): 1 MAC per element (``x * a + b``), its
  ``b`` not counted apart. Element-wise activations, dropout: 0.

Every size is asked of :mod:`convscope.core` (through :mod:`.sizes`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from ..core import (
    INTERPOLATE_MODES,
    Axis,
    Interpolation,
    SameConvention,
    adaptive_taps,
    conv_geometry,
    conv_transpose_geometry,
    interpolation_taps,
    resolve_padding,
    scaled_size,
)
from .sizes import conv_output_size, conv_transpose_output_size, pool_output_size

__all__ = ["Cost", "LayerSpec", "cost"]

LayerKind = Literal[
    "conv",
    "conv_transpose",
    "deform_conv",
    "depthwise_separable",
    "max_pool",
    "avg_pool",
    "adaptive_avg_pool",
    "adaptive_max_pool",
    "interpolate",
    "batch_norm",
    "elementwise",
]
KINDS: tuple[str, ...] = LayerKind.__args__  # type: ignore[attr-defined]
_CONVS = ("conv", "conv_transpose", "deform_conv", "depthwise_separable")
_POOLS = ("max_pool", "avg_pool")
_ADAPTIVE = ("adaptive_avg_pool", "adaptive_max_pool")

#: interpolate's modes as the core names them (lanczos, antialiased only, is not costed)
_MODES = {mode: kind for mode, (kind, _) in INTERPOLATE_MODES.items() if kind is not Interpolation.LANCZOS}


@dataclass(frozen=True)
class LayerSpec:
    """A layer described by its hyper-parameters (PyTorch's argument names), not a module.

    Parameters
    ----------
    kind : str
        One of ``'conv'``, ``'conv_transpose'``, ``'deform_conv'``,
        ``'depthwise_separable'`` (a ``k x k`` depthwise conv, then a 1x1 conv
        to ``out_channels``; ``bias`` applies to both), ``'max_pool'``,
        ``'avg_pool'``, ``'adaptive_avg_pool'``, ``'adaptive_max_pool'``,
        ``'interpolate'``, ``'batch_norm'``, ``'elementwise'``.
    in_channels, out_channels : int or None
        Required for the convolutions; ``in_channels`` also for batch norm.
    kernel_size, stride, padding, dilation, groups, bias, output_padding
        As in ``torch.nn.Conv*`` / ``ConvTranspose*`` / ``MaxPool*``.
        ``stride=None`` means 1 for convolutions, ``kernel_size`` for pools.
        ``padding`` may be ``'same'``/``'valid'`` or ``(low, high)`` pairs
        for ``'conv'``.
    ceil_mode : bool
        Pools.
    mask : bool
        ``'deform_conv'``: modulated (DCNv2) sampling.
    size, scale_factor, mode, align_corners
        ``'interpolate'`` as ``torch.nn.functional.interpolate``; ``size`` is
        also the output size of the adaptive pools.
    affine : bool
        ``'batch_norm'``: learnable weight and bias.

    Examples
    --------
    >>> LayerSpec("conv", 3, 8, 3, padding=1).stride_or_default
    1
    >>> LayerSpec("max_pool", kernel_size=2).stride_or_default
    2
    """

    kind: LayerKind
    in_channels: int | None = None
    out_channels: int | None = None
    kernel_size: int | tuple[int, ...] = 1
    stride: int | tuple[int, ...] | None = None
    padding: Any = 0
    dilation: int | tuple[int, ...] = 1
    groups: int = 1
    bias: bool = True
    output_padding: int | tuple[int, ...] = 0
    ceil_mode: bool = False
    mask: bool = False
    size: int | tuple[int, ...] | None = None
    scale_factor: float | tuple[float, ...] | None = None
    mode: str = "nearest"
    align_corners: bool | None = None
    affine: bool = True

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"LayerSpec: kind must be one of {KINDS}, got kind={self.kind!r}")
        if self.kind in _CONVS:
            for name in ("in_channels", "out_channels"):
                value = getattr(self, name)
                if not isinstance(value, int) or value < 1:
                    raise ValueError(f"LayerSpec: {self.kind} needs a positive {name}, got {name}={value!r}")
            if self.groups < 1 or self.in_channels % self.groups or self.out_channels % self.groups:  # type: ignore[operator]
                raise ValueError(
                    f"LayerSpec: in_channels={self.in_channels} and out_channels={self.out_channels} "
                    f"must be divisible by groups={self.groups}"
                )
        if self.kind == "interpolate" and self.mode not in _MODES:
            raise ValueError(f"LayerSpec: mode must be one of {sorted(_MODES)}, got mode={self.mode!r}")

    @property
    def stride_or_default(self) -> int | tuple[int, ...]:
        """The stride with PyTorch's default filled in (``kernel_size`` for pools, else 1)."""
        if self.stride is not None:
            return self.stride
        return self.kernel_size if self.kind in _POOLS else 1


@dataclass(frozen=True)
class Cost:
    """What one layer costs on one input shape (conventions: module docstring).

    Attributes
    ----------
    params : int
        Learnable parameters (weights and biases).
    macs : int
        Multiply-accumulates (zero-padding taps included).
    flops : int
        ``2 * macs``; bias adds are not included.
    output_shape : tuple of int
        ``(N, C, *spatial)``.
    output_elements : int
    bias_flops : int
        One add per output element of each biased convolution.
    """

    params: int
    macs: int
    flops: int
    output_shape: tuple[int, ...]
    output_elements: int
    bias_flops: int


def _tuple(value: Any, n: int, name: str) -> tuple[int, ...]:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),) * n
    items = tuple(int(v) for v in value)
    if len(items) == 1:
        items *= n
    if len(items) != n:
        raise ValueError(f"cost: {name}={value!r} must be an int or {n} ints (one per spatial axis)")
    return items


def _cost(params: int, macs: int, shape: Sequence[int], bias_flops: int = 0) -> Cost:
    shape = tuple(int(v) for v in shape)
    return Cost(params, macs, 2 * macs, shape, math.prod(shape), bias_flops)


def resolved_padding(spec: LayerSpec, spatial: Sequence[int]) -> tuple[tuple[int, int], ...]:
    """``(low, high)`` padding per axis of a convolution or pool on inputs of size ``spatial``.

    Examples
    --------
    >>> resolved_padding(LayerSpec("conv", 1, 1, 4, padding="same"), (9, 9))
    ((1, 2), (1, 2))
    """
    n = len(spatial)
    kernel = _tuple(spec.kernel_size, n, "kernel_size")
    dil = _tuple(spec.dilation, n, "dilation")
    step = _tuple(spec.stride_or_default, n, "stride")
    spans = tuple(Axis(1, k, dilation=d).span for k, d in zip(kernel, dil))
    return resolve_padding(spec.padding, spatial, spans, step, SameConvention.TORCH)


def _conv(spec: LayerSpec, shape: tuple[int, ...]) -> Cost:
    batch, spatial = shape[0], shape[2:]
    n = len(spatial)
    kernel = _tuple(spec.kernel_size, n, "kernel_size")
    step = _tuple(spec.stride_or_default, n, "stride")
    dil = _tuple(spec.dilation, n, "dilation")
    c_in, c_out, groups = int(spec.in_channels), int(spec.out_channels), spec.groups  # type: ignore[arg-type]
    weights = c_out * (c_in // groups) * math.prod(kernel)
    params = weights + (c_out if spec.bias else 0)
    if spec.kind == "conv_transpose":
        pad = _tuple(spec.padding, n, "padding")
        out_pad = _tuple(spec.output_padding, n, "output_padding")
        conv_transpose_output_size(spatial, kernel, step, pad, out_pad, dil)  # PyTorch's refusals
        geometry = conv_transpose_geometry(
            shape, (c_in, c_out // groups, *kernel), step, [(p, p) for p in pad], out_pad, dil, groups
        )
        out = geometry.in_shape  # the transposed convolution's output
        macs = geometry.macs
    else:
        conv_output_size(spatial, kernel, step, spec.padding, dil)  # PyTorch's refusals
        geometry = conv_geometry(
            shape, (c_out, c_in // groups, *kernel), step, resolved_padding(spec, spatial), dil, groups
        )
        out, macs = geometry.out_shape, geometry.macs
        if spec.kind == "deform_conv":
            samples = batch * c_in * geometry.out_positions * geometry.taps
            macs += samples * (5 if spec.mask else 4)
    return _cost(params, macs, out, math.prod(out) if spec.bias else 0)


def _pool(spec: LayerSpec, shape: tuple[int, ...]) -> Cost:
    spatial = shape[2:]
    n = len(spatial)
    kernel = _tuple(spec.kernel_size, n, "kernel_size")
    pad = _tuple(spec.padding, n, "padding")
    dil = _tuple(spec.dilation, n, "dilation")
    outs = pool_output_size(spatial, kernel, spec.stride_or_default, pad, dil, spec.ceil_mode)
    out = (*shape[:2], *outs)
    return _cost(0, math.prod(out) * math.prod(kernel), out)


def _resampled(spec: LayerSpec, spatial: tuple[int, ...]) -> tuple[int, ...]:
    n = len(spatial)
    if (spec.size is None) == (spec.scale_factor is None):
        raise ValueError(f"cost: {spec.kind} needs exactly one of size and scale_factor, got {spec!r}")
    if spec.size is not None:
        return _tuple(spec.size, n, "size")
    factors = (spec.scale_factor,) * n if isinstance(spec.scale_factor, (int, float)) else spec.scale_factor
    if factors is None or len(factors) != n:
        raise ValueError(f"cost: scale_factor={spec.scale_factor!r} needs {n} entries")
    return tuple(scaled_size(i, float(f)) for i, f in zip(spatial, factors))


def _window_cells(spec: LayerSpec, spatial: tuple[int, ...], outs: tuple[int, ...]) -> int:
    """Product over axes of the taps all outputs of that axis read (from the core's tables)."""
    total = 1
    for i, o in zip(spatial, outs):
        if spec.kind in _ADAPTIVE:
            taps = adaptive_taps(i, o)
        else:
            taps = interpolation_taps(_MODES[spec.mode], i, o, bool(spec.align_corners))
        total *= int(np.count_nonzero(taps.index >= 0))
    return total


def _resample(spec: LayerSpec, shape: tuple[int, ...]) -> Cost:
    spatial = shape[2:]
    outs = _resampled(spec, spatial)
    if any(o < 1 for o in outs):
        raise ValueError(f"cost: {spec.kind} output size {outs} is empty for input {shape}")
    return _cost(0, shape[0] * shape[1] * _window_cells(spec, spatial, outs), (*shape[:2], *outs))


def cost(layer: LayerSpec, input_shape: Sequence[int]) -> Cost:
    """Parameters, MACs, FLOPs and output shape of ``layer`` on a batched input.

    Conventions (see the module docstring): MACs count every weight-times-sample
    product the operator performs, zero padding included (as torchinfo and
    fvcore do); ``flops = 2 * macs``; bias adds in ``bias_flops`` only.

    Parameters
    ----------
    layer : LayerSpec
    input_shape : sequence of int
        ``(N, C, *spatial)``.

    Returns
    -------
    Cost

    Raises
    ------
    ValueError
        A shape that does not fit the layer (channels, too small an input),
        or a configuration PyTorch refuses; the message names the argument.

    Examples
    --------
    Seed 004: a 3x3 convolution, 6 channels in 3 groups, on a 1x6x5x5 input.

    >>> c = cost(LayerSpec("conv", 6, 6, 3, padding=1, groups=3), (1, 6, 5, 5))
    >>> c.params, c.macs, c.flops, c.output_shape, c.bias_flops
    (114, 2700, 5400, (1, 6, 5, 5), 150)

    Depthwise separable (seed 004: ``H*W*M*K*K + H*W*M*N`` MACs, ``M*K*K + M*N`` weights):

    >>> c = cost(LayerSpec("depthwise_separable", 3, 6, 3, padding=1, bias=False), (1, 3, 5, 5))
    >>> c.macs == 5 * 5 * 3 * 9 + 5 * 5 * 3 * 6, c.params == 3 * 9 + 3 * 6
    (True, True)
    >>> cost(LayerSpec("interpolate", scale_factor=2, mode="bilinear"), (1, 1, 2, 2)).macs
    64
    """
    if not isinstance(layer, LayerSpec):
        raise TypeError(f"cost: layer must be a LayerSpec, got {type(layer).__name__}")
    shape = tuple(int(v) for v in input_shape)
    if len(shape) < 3 or any(v < 1 for v in shape):
        raise ValueError(
            f"cost: input_shape must be (N, C, *spatial) with positive sizes, got {input_shape!r}"
        )
    channels = layer.in_channels
    if channels is not None and shape[1] != channels:
        raise ValueError(f"cost: input_shape={shape} has {shape[1]} channels, the layer expects {channels}")
    kind = layer.kind
    if kind == "depthwise_separable":
        c_in = int(channels)  # type: ignore[arg-type]
        depthwise = replace(layer, kind="conv", out_channels=c_in, groups=c_in)
        pointwise = LayerSpec("conv", c_in, layer.out_channels, 1, bias=layer.bias)
        first = cost(depthwise, shape)
        second = cost(pointwise, first.output_shape)
        return _cost(
            first.params + second.params,
            first.macs + second.macs,
            second.output_shape,
            first.bias_flops + second.bias_flops,
        )
    if kind in _CONVS:
        return _conv(layer, shape)
    if kind in _POOLS:
        return _pool(layer, shape)
    if kind in _ADAPTIVE:
        return _resample(replace(layer, scale_factor=None), shape)
    if kind == "interpolate":
        return _resample(layer, shape)
    elements = math.prod(shape)
    if kind == "batch_norm":
        return _cost(2 * shape[1] if layer.affine else 0, elements, shape)
    return _cost(0, 0, shape)
