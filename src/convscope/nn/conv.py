"""Convolution layers: ``Conv1d/2d/3d`` and ``ConvTranspose1d/2d/3d`` with torch's parameters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import functional as F
from ..core import Axis
from ..functional._args import int_tuple
from ..functional.conv import PaddingMode
from .init import Rng, bias_uniform, generator, kaiming_uniform
from .module import Module

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """What plain and transposed convolutions share: arguments, parameters, printing."""

    transposed = False

    def __init__(
        self,
        spatial: int,
        in_channels: int,
        out_channels: int,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int],
        padding: str | int | Sequence[int],
        dilation: int | Sequence[int],
        groups: int,
        bias: bool,
        padding_mode: str,
        output_padding: int | Sequence[int] = 0,
        *,
        dtype: Any = np.float32,
        rng: Rng = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got groups={groups}")
        if in_channels % groups:
            raise ValueError(f"{name}: in_channels={in_channels} must be divisible by groups={groups}")
        if out_channels % groups:
            raise ValueError(f"{name}: out_channels={out_channels} must be divisible by groups={groups}")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {_PADDING_MODES}, got {padding_mode!r}")
        if self.transposed and padding_mode != "zeros":
            raise ValueError(f'{name}: only "zeros" padding mode is supported, got {padding_mode!r}')
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = int_tuple(kernel_size, spatial, "kernel_size", name)
        self.stride = int_tuple(stride, spatial, "stride", name)
        self.dilation = int_tuple(dilation, spatial, "dilation", name)
        self.output_padding = int_tuple(output_padding, spatial, "output_padding", name)
        self.padding_mode: PaddingMode = padding_mode  # type: ignore[assignment]  # checked above
        self.padding: str | tuple[int, ...]
        if isinstance(padding, str):
            if self.transposed or padding not in ("same", "valid"):
                allowed = "an int or a tuple" if self.transposed else "'same', 'valid', an int or a tuple"
                raise ValueError(f"{name}: padding must be {allowed}, got padding={padding!r}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = int_tuple(padding, spatial, "padding", name)
        rows, columns = (in_channels, out_channels) if self.transposed else (out_channels, in_channels)
        shape = (rows, columns // groups, *self.kernel_size)
        draws = generator(rng)
        self.register_parameter("weight", kaiming_uniform(shape, draws, dtype))
        self.register_parameter("bias", bias_uniform(out_channels, shape, draws, dtype) if bias else None)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * len(self.kernel_size):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    spatial = 2

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        padding: str | int | Sequence[int] = 0,
        dilation: int | Sequence[int] = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        *,
        dtype: Any = np.float32,
        rng: Rng = None,
    ) -> None:
        super().__init__(
            self.spatial, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
            padding_mode, dtype=dtype, rng=rng,
        )  # fmt: skip

    def forward(self, input: Any) -> np.ndarray:
        conv = (F.conv1d, F.conv2d, F.conv3d)[self.spatial - 1]
        return conv(
            input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups,
            padding_mode=self.padding_mode,
        )  # fmt: skip


class Conv1d(_Conv):
    """``torch.nn.Conv1d``: weight ``(out_channels, in_channels / groups, k)``.

    Examples
    --------
    Seed 004: a 1-d convolution over 256 channels of length-3 windows.

    >>> Conv1d(256, 128, 3, rng=0).weight.shape
    (128, 256, 3)
    """

    spatial = 1


class Conv2d(_Conv):
    """``torch.nn.Conv2d``: weight ``(out_channels, in_channels / groups, kh, kw)``.

    Keyword-only extras: ``dtype`` of the parameters and ``rng`` (a seed or a
    NumPy Generator) for their initialisation.

    Examples
    --------
    Seed 004: group convolution, 6 channels in 3 groups, holds a third of the weights.

    >>> Conv2d(6, 6, 3, groups=3, rng=0).weight.shape
    (6, 2, 3, 3)
    """

    spatial = 2


class Conv3d(_Conv):
    """``torch.nn.Conv3d``: weight ``(out_channels, in_channels / groups, kd, kh, kw)``.

    Examples
    --------
    >>> Conv3d(2, 4, 3, rng=0)
    Conv3d(2, 4, kernel_size=(3, 3, 3), stride=(1, 1, 1))
    """

    spatial = 3


class _ConvTranspose(_ConvNd):
    transposed = True
    spatial = 2

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        padding: int | Sequence[int] = 0,
        output_padding: int | Sequence[int] = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: int | Sequence[int] = 1,
        padding_mode: str = "zeros",
        *,
        dtype: Any = np.float32,
        rng: Rng = None,
    ) -> None:
        super().__init__(
            self.spatial, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
            padding_mode, output_padding, dtype=dtype, rng=rng,
        )  # fmt: skip

    def _output_padding(self, input: Any, output_size: Sequence[int] | None) -> tuple[int, ...]:
        """torch's ``_output_padding``: the output padding that reaches ``output_size``."""
        if output_size is None:
            return self.output_padding
        n = self.spatial
        wanted = [int(v) for v in output_size]
        leading = np.ndim(input) - n  # torch also takes the full shape: (C, ...) unbatched, (N, C, ...)
        if len(wanted) == n + leading:
            wanted = wanted[leading:]
        if len(wanted) != n:
            raise ValueError(
                f"{type(self).__name__}: output_size must have {n} or {n + leading} elements, "
                f"got {output_size!r}"
            )
        sizes = np.shape(input)[-n:]
        assert isinstance(self.padding, tuple)
        result = []
        for d, (size, want) in enumerate(zip(sizes, wanted)):
            pad = (self.padding[d], self.padding[d])
            smallest = Axis.transposed(
                size, self.kernel_size[d], self.stride[d], pad, 0, self.dilation[d]
            ).size
            largest = smallest + self.stride[d] - 1
            if not smallest <= want <= largest:
                raise ValueError(
                    f"{type(self).__name__}: requested an output size of {wanted}, but valid sizes range "
                    f"from {smallest} to {largest} (for an input of {tuple(sizes)}) in dimension {d}"
                )
            result.append(want - smallest)
        return tuple(result)

    def forward(self, input: Any, output_size: Sequence[int] | None = None) -> np.ndarray:
        conv = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[self.spatial - 1]
        return conv(
            input, self.weight, self.bias, self.stride, self.padding,
            self._output_padding(input, output_size), self.groups, self.dilation,
        )  # fmt: skip


class ConvTranspose1d(_ConvTranspose):
    """``torch.nn.ConvTranspose1d``: weight ``(in_channels, out_channels / groups, k)``.

    Examples
    --------
    >>> ConvTranspose1d(4, 2, 3, stride=2, rng=0)(np.ones((1, 4, 5), np.float32)).shape
    (1, 2, 11)
    """

    spatial = 1


class ConvTranspose2d(_ConvTranspose):
    """``torch.nn.ConvTranspose2d``; ``forward(x, output_size=...)`` picks the output padding.

    Examples
    --------
    A stride-2 layer reaches both 13x13 and 14x14 from a 7x7 input:

    >>> up = ConvTranspose2d(8, 4, 3, stride=2, padding=1, rng=0)
    >>> x = np.ones((1, 8, 7, 7), np.float32)
    >>> up(x).shape, up(x, output_size=(14, 14)).shape
    ((1, 4, 13, 13), (1, 4, 14, 14))
    """

    spatial = 2


class ConvTranspose3d(_ConvTranspose):
    """``torch.nn.ConvTranspose3d``: weight ``(in_channels, out_channels / groups, kd, kh, kw)``.

    Examples
    --------
    >>> ConvTranspose3d(2, 2, 2, stride=2, rng=0)(np.ones((1, 2, 2, 2, 2), np.float32)).shape
    (1, 2, 4, 4, 4)
    """

    spatial = 3


class DeformConv2d(_ConvNd):
    """``torchvision.ops.DeformConv2d``: a 2-d convolution whose taps move by learned offsets.

    ``forward(input, offset, mask=None)`` calls
    :func:`convscope.functional.deform_conv2d`; ``offset`` is
    ``(N, 2 * offset_groups * kh * kw, H_out, W_out)`` in ``(dy, dx)`` pairs per
    tap, ``mask`` (DCNv2) ``(N, offset_groups * kh * kw, H_out, W_out)``.

    Examples
    --------
    With zero offsets it is the plain convolution:

    >>> layer = DeformConv2d(2, 4, 3, padding=1, rng=0)
    >>> x = np.ones((1, 2, 5, 5), np.float32)
    >>> offset = np.zeros((1, 18, 5, 5), np.float32)
    >>> bool(np.allclose(layer(x, offset), F.conv2d(x, layer.weight, layer.bias, padding=1)))
    True
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        padding: int | Sequence[int] = 0,
        dilation: int | Sequence[int] = 1,
        groups: int = 1,
        bias: bool = True,
        *,
        dtype: Any = np.float32,
        rng: Rng = None,
    ) -> None:
        super().__init__(
            2, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, "zeros",
            dtype=dtype, rng=rng,
        )  # fmt: skip

    def forward(self, input: Any, offset: Any, mask: Any = None) -> np.ndarray:
        return F.deform_conv2d(  # type: ignore[no-any-return]
            input, offset, self.weight, self.bias, self.stride, self.padding, self.dilation, mask
        )
