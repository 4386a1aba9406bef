"""``conv1d/2d/3d`` and ``conv_transpose1d/2d/3d`` with PyTorch's semantics.

Each call is planned (arguments checked and translated into a
:class:`~convscope.core.ConvGeometry`), then executed by a kernel. The plans
are also what :func:`convscope.vjp` differentiates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np

from ..core import (
    Axis,
    ConvGeometry,
    PadMode,
    conv_geometry,
    conv_transpose_geometry,
    resolve_padding,
)
from ..kernels import conv as kernels
from ..kernels.pad import pad as pad_kernel
from ._args import (
    as_array,
    batched,
    int_tuple,
    non_negative,
    positive,
    same_dtype,
)
from .pad import check_mode_padding

PaddingMode = Literal["zeros", "reflect", "replicate", "circular"]
Padding = int | str | tuple[int, ...] | tuple[tuple[int, int], ...]
_PADDING_MODES = {
    "zeros": PadMode.CONSTANT,
    "reflect": PadMode.REFLECT,
    "replicate": PadMode.REPLICATE,
    "circular": PadMode.CIRCULAR,
}


@dataclass(frozen=True)
class ConvPlan:
    """A checked call: arrays in convscope's batched layout plus the geometry.

    ``x`` is already padded when ``padding_mode`` is not ``'zeros'``
    (``pads`` then records what was added, for the gradient).
    """

    op: str
    x: np.ndarray
    weight: np.ndarray
    bias: np.ndarray | None
    geometry: ConvGeometry
    unbatched: bool
    input_shape: tuple[int, ...]
    pad_mode: PadMode = PadMode.CONSTANT
    pads: tuple[tuple[int, int], ...] = ()


def _arrays(
    op: str, input: Any, weight: Any, bias: Any, spatial: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, bool]:
    x = as_array(input, "input", op)
    w = as_array(weight, "weight", op)
    b = None if bias is None else as_array(bias, "bias", op)
    same_dtype(op, input=x, weight=w, bias=b)
    x, unbatched = batched(x, spatial, op)
    if w.ndim != spatial + 2:
        raise ValueError(
            f"{op}: weight must be {spatial + 2}-d (out_channels, in_channels/groups, "
            f"{', '.join('k' + str(i) for i in range(spatial))}), got weight of shape {w.shape}"
        )
    return x, w, b, unbatched


def _groups(groups: Any, op: str) -> int:
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)):
        raise TypeError(f"{op}: groups must be an int, got {groups!r}")
    if groups <= 0:
        raise ValueError(f"{op}: non-positive groups is not supported, got groups={groups}")
    return int(groups)


def _check_channels(op: str, x: np.ndarray, w: np.ndarray, groups: int, transposed: bool) -> None:
    lead = w.shape[0]
    if lead == 0 and not transposed:
        raise ValueError(f"{op}: weight must have at least one output channel, got weight of shape {w.shape}")
    if lead % groups:
        raise ValueError(
            f"{op}: groups={groups} must divide weight.shape[0]={lead} (weight of shape {w.shape})"
        )
    expected = lead if transposed else w.shape[1] * groups
    if x.shape[1] != expected:
        rule = "weight.shape[0]" if transposed else f"weight.shape[1] * groups = {w.shape[1]} * {groups}"
        raise ValueError(
            f"{op}: input has {x.shape[1]} channels but {rule} = {expected} are expected "
            f"(input of shape {x.shape}, weight of shape {w.shape}, groups={groups})"
        )


def _check_bias(op: str, b: np.ndarray | None, channels: int) -> None:
    if b is not None and b.shape != (channels,):
        raise ValueError(
            f"{op}: bias must be 1-d with {channels} elements (one per output channel), "
            f"got bias of shape {b.shape}"
        )


def _check_fits(op: str, geometry: ConvGeometry, x_shape: tuple[int, ...]) -> None:
    if any(a.out_size <= 0 for a in geometry.axes):
        padded = tuple(a.padded_size for a in geometry.axes)
        spans = tuple(a.span for a in geometry.axes)
        raise ValueError(
            f"{op}: the (dilated) kernel {spans} is larger than the padded input {padded} "
            f"(input of shape {x_shape}, padding {tuple(a.pad for a in geometry.axes)})"
        )


def _resolve_conv_padding(
    op: str, padding: Any, sizes: tuple[int, ...], spans: tuple[int, ...], stride: tuple[int, ...]
) -> tuple[tuple[int, int], ...]:
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(
                f"{op}: invalid padding string {padding!r}, should be one of {{'valid', 'same'}}"
            )
        if padding == "same" and any(s != 1 for s in stride):
            raise ValueError(
                f"{op}: padding='same' is not supported for strided convolutions (stride={stride})"
            )
    elif not isinstance(padding, (int, np.integer, tuple, list)) or isinstance(padding, bool):
        raise TypeError(f"{op}: padding must be an int, a tuple, 'same' or 'valid', got {padding!r}")
    try:
        pairs = resolve_padding(padding, sizes, spans, stride)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{op}: {error}") from None
    non_negative(tuple(v for pair in pairs for v in pair), "padding", op)
    return pairs


def plan_conv(
    spatial: int,
    input: Any,
    weight: Any,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: Any = 1,
    padding_mode: str = "zeros",
) -> ConvPlan:
    """Check a ``conv{spatial}d`` call and translate it into a :class:`ConvPlan`."""
    op = f"conv{spatial}d"
    x, w, b, unbatched = _arrays(op, input, weight, bias, spatial)
    stride_t = positive(int_tuple(stride, spatial, "stride", op), "stride", op)
    dilation_t = positive(int_tuple(dilation, spatial, "dilation", op), "dilation", op)
    groups_i = _groups(groups, op)
    _check_channels(op, x, w, groups_i, transposed=False)
    _check_bias(op, b, w.shape[0])
    if padding_mode not in _PADDING_MODES:
        raise ValueError(
            f"{op}: padding_mode must be one of {tuple(_PADDING_MODES)}, got padding_mode={padding_mode!r}"
        )
    spans = tuple(Axis(n, k, dilation=d).span for n, k, d in zip(x.shape[2:], w.shape[2:], dilation_t))
    pairs = _resolve_conv_padding(op, padding, x.shape[2:], spans, stride_t)
    mode = _PADDING_MODES[padding_mode]
    input_shape = x.shape
    pads: tuple[tuple[int, int], ...] = ()
    if mode is not PadMode.CONSTANT and any(p != (0, 0) for p in pairs):
        check_mode_padding(op, x.shape, pairs, mode)
        x = pad_kernel(x, pairs, mode)
        pads, pairs = pairs, ((0, 0),) * spatial
    geometry = conv_geometry(x.shape, w.shape, stride_t, pairs, dilation_t, groups_i)
    _check_fits(op, geometry, input_shape)
    return ConvPlan(op, x, w, b, geometry, unbatched, input_shape, mode, pads)


def plan_conv_transpose(
    spatial: int,
    input: Any,
    weight: Any,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: Any = 1,
    dilation: Any = 1,
) -> ConvPlan:
    """Check a ``conv_transpose{spatial}d`` call; the plan's geometry is the forward convolution's."""
    op = f"conv_transpose{spatial}d"
    x, w, b, unbatched = _arrays(op, input, weight, bias, spatial)
    stride_t = positive(int_tuple(stride, spatial, "stride", op), "stride", op)
    dilation_t = positive(int_tuple(dilation, spatial, "dilation", op), "dilation", op)
    groups_i = _groups(groups, op)
    if isinstance(padding, str):
        raise TypeError(f"{op}: padding must be an int or a tuple of ints, got padding={padding!r}")
    try:
        pairs = resolve_padding(padding, x.shape[2:], (1,) * spatial, stride_t)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{op}: {error}") from None
    non_negative(tuple(v for pair in pairs for v in pair), "padding", op)
    out_pad = non_negative(int_tuple(output_padding, spatial, "output_padding", op), "output_padding", op)
    if any(p >= s and p >= d for p, s, d in zip(out_pad, stride_t, dilation_t)):
        raise ValueError(
            f"{op}: output padding must be smaller than either stride or dilation, but got "
            f"output_padding={out_pad}, stride={stride_t}, dilation={dilation_t}"
        )
    _check_channels(op, x, w, groups_i, transposed=True)
    _check_bias(op, b, w.shape[1] * groups_i)
    geometry = conv_transpose_geometry(x.shape, w.shape, stride_t, pairs, out_pad, dilation_t, groups_i)
    if any(a.size <= 0 for a in geometry.axes):
        raise ValueError(
            f"{op}: output size {tuple(a.size for a in geometry.axes)} is too small "
            f"(input of shape {x.shape}, weight of shape {w.shape}, stride={stride_t}, "
            f"padding={pairs}, output_padding={out_pad}, dilation={dilation_t})"
        )
    return ConvPlan(op, x, w, b, geometry, unbatched, x.shape)


def run_conv(plan: ConvPlan) -> np.ndarray:
    out = kernels.conv_forward(plan.x, plan.weight, plan.bias, geometry=plan.geometry)
    return out[0] if plan.unbatched else out


def run_conv_transpose(plan: ConvPlan) -> np.ndarray:
    out = kernels.conv_input_grad(plan.x, plan.weight, geometry=plan.geometry)
    if plan.bias is not None:
        out += plan.bias.reshape(-1, *([1] * plan.geometry.ndim))
    return out[0] if plan.unbatched else out


_CONV_DOC = """{n}-d convolution (cross-correlation) over an input of shape ``(N, C_in, {dims})``.

    Mirrors ``torch.nn.functional.conv{n}d`` argument for argument.

    Parameters
    ----------
    input : array_like
        ``(N, C_in, {dims})`` or unbatched ``(C_in, {dims})``.
    weight : array_like
        ``(C_out, C_in / groups, {kdims})``.
    bias : array_like, optional
        ``(C_out,)``.
    stride, dilation : int or tuple of int
    padding : int, tuple, ``'same'``, ``'valid'`` or tuple of ``(low, high)`` pairs
        ``'same'`` requires stride 1; an odd total puts the extra cell high,
        as PyTorch does. Pairs give asymmetric padding (an extension).
    groups : int
    padding_mode : {{'zeros', 'reflect', 'replicate', 'circular'}}
        As ``torch.nn.Conv{n}d(padding_mode=...)`` (keyword-only extension).

    Returns
    -------
    numpy.ndarray
        ``(N, C_out, {odims})`` in the input's dtype.

    Shape
    -----
    ``out = floor((in + pad_low + pad_high - dilation * (kernel - 1) - 1) / stride) + 1``
    per spatial axis (Dumoulin & Visin 2016, relationship 15).

    Examples
    --------
    {example}
    """

_TRANSPOSE_DOC = """{n}-d transposed convolution: the gradient of ``conv{n}d`` with respect to its input.

    Mirrors ``torch.nn.functional.conv_transpose{n}d`` argument for argument.
    Computed by scattering each input sample's kernel footprint (col2im), never
    by inserting zeros.

    Parameters
    ----------
    input : array_like
        ``(N, C_in, {dims})`` or unbatched ``(C_in, {dims})``.
    weight : array_like
        ``(C_in, C_out / groups, {kdims})``.
    bias : array_like, optional
        ``(C_out,)``.
    stride, padding, output_padding, dilation : int or tuple of int
        ``output_padding`` must be smaller than ``stride`` or ``dilation``.
    groups : int

    Returns
    -------
    numpy.ndarray
        ``(N, C_out, {odims})`` in the input's dtype.

    Shape
    -----
    ``out = (in - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1``
    per spatial axis (Dumoulin & Visin 2016, relationship 14).

    Examples
    --------
    {example}
    """


_DIMS = {
    1: ("L", "kL", "L_out"),
    2: ("H, W", "kH, kW", "H_out, W_out"),
    3: ("D, H, W", "kD, kH, kW", "D_out, H_out, W_out"),
}
_EXAMPLES: dict[str, str] = {
    "conv1d": """Seed 004: ``nn.Conv1d(256, 128, 3)`` on a (32, 256, 15) batch.

    >>> import numpy as np
    >>> x = np.ones((32, 256, 15), np.float32); w = np.ones((128, 256, 3), np.float32)
    >>> conv1d(x, w).shape
    (32, 128, 13)""",
    "conv2d": """Seed 001: a 3x3 kernel over a 4x4 input gives 2x2; padding 2 with a
    4x4 kernel over 5x5 gives 6x6. Seed 004: a 3-group convolution.

    >>> import numpy as np
    >>> conv2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)))
    array([[[[9., 9.],
             [9., 9.]]]])
    >>> conv2d(np.ones((1, 1, 5, 5)), np.ones((1, 1, 4, 4)), padding=2).shape
    (1, 1, 6, 6)
    >>> conv2d(np.ones((1, 6, 5, 5)), np.ones((6, 2, 3, 3)), padding=1, groups=3).shape
    (1, 6, 5, 5)""",
    "conv3d": """>>> import numpy as np
    >>> conv3d(np.ones((1, 2, 4, 5, 6)), np.ones((3, 2, 2, 2, 2)), stride=2).shape
    (1, 3, 2, 2, 3)""",
    "conv_transpose1d": """>>> import numpy as np
    >>> conv_transpose1d(np.ones((1, 1, 3)), np.ones((1, 1, 2)), stride=2)
    array([[[1., 1., 1., 1., 1., 1.]]])""",
    "conv_transpose2d": """Seed 001: ``ConvTranspose2d(1, 1, 3, stride=2)`` maps 2x2 to 5x5;
    overlapping footprints add (the checkerboard of uneven overlap).

    >>> import numpy as np
    >>> conv_transpose2d(np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3)), stride=2)[0, 0]
    array([[1., 1., 2., 1., 1.],
           [1., 1., 2., 1., 1.],
           [2., 2., 4., 2., 2.],
           [1., 1., 2., 1., 1.],
           [1., 1., 2., 1., 1.]])""",
    "conv_transpose3d": """>>> import numpy as np
    >>> conv_transpose3d(np.ones((1, 2, 2, 2, 2)), np.ones((2, 3, 3, 3, 3)), stride=2).shape
    (1, 3, 5, 5, 5)""",
}


class Conv(Protocol):
    """The signature of ``conv1d``, ``conv2d`` and ``conv3d`` (PyTorch's)."""

    def __call__(
        self,
        input: Any,
        weight: Any,
        bias: Any = None,
        stride: Any = 1,
        padding: Padding = 0,
        dilation: Any = 1,
        groups: int = 1,
        *,
        padding_mode: PaddingMode = "zeros",
    ) -> np.ndarray: ...


class ConvTranspose(Protocol):
    """The signature of ``conv_transpose1d/2d/3d`` (PyTorch's)."""

    def __call__(
        self,
        input: Any,
        weight: Any,
        bias: Any = None,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        dilation: Any = 1,
    ) -> np.ndarray: ...


def _named(function: Any, name: str, template: str, spatial: int) -> None:
    dims, kdims, odims = _DIMS[spatial]
    function.__name__ = function.__qualname__ = name
    function.__doc__ = template.format(
        n=spatial, dims=dims, kdims=kdims, odims=odims, example=_EXAMPLES[name]
    )


def _conv(spatial: int) -> Conv:
    """``conv{spatial}d``: one implementation, the rank fixed."""

    def conv(
        input: Any,
        weight: Any,
        bias: Any = None,
        stride: Any = 1,
        padding: Padding = 0,
        dilation: Any = 1,
        groups: int = 1,
        *,
        padding_mode: PaddingMode = "zeros",
    ) -> np.ndarray:
        plan = plan_conv(spatial, input, weight, bias, stride, padding, dilation, groups, padding_mode)
        return run_conv(plan)

    _named(conv, f"conv{spatial}d", _CONV_DOC, spatial)
    return conv


def _conv_transpose(spatial: int) -> ConvTranspose:
    """``conv_transpose{spatial}d``: one implementation, the rank fixed."""

    def conv_transpose(
        input: Any,
        weight: Any,
        bias: Any = None,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        dilation: Any = 1,
    ) -> np.ndarray:
        plan = plan_conv_transpose(
            spatial, input, weight, bias, stride, padding, output_padding, groups, dilation
        )
        return run_conv_transpose(plan)

    _named(conv_transpose, f"conv_transpose{spatial}d", _TRANSPOSE_DOC, spatial)
    return conv_transpose


conv1d = _conv(1)
conv2d = _conv(2)
conv3d = _conv(3)
conv_transpose1d = _conv_transpose(1)
conv_transpose2d = _conv_transpose(2)
conv_transpose3d = _conv_transpose(3)
