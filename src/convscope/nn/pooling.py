"""Pooling and unpooling layers: thin modules over :mod:`convscope.functional`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import functional as F
from ..functional._args import int_tuple
from .module import Module

Size = int | Sequence[int]


def _pick(name: str, spatial: int) -> Any:
    return getattr(F, f"{name}{spatial}d")


class _MaxPool(Module):
    spatial = 2

    def __init__(
        self,
        kernel_size: Size,
        stride: Size | None = None,
        padding: Size = 0,
        dilation: Size = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Any) -> Any:
        return _pick("max_pool", self.spatial)(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
        )

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class MaxPool1d(_MaxPool):
    """``torch.nn.MaxPool1d``.

    Examples
    --------
    >>> MaxPool1d(2)(np.array([[[1.0, 3.0, 2.0, 0.0]]]))
    array([[[3., 2.]]])
    """

    spatial = 1


class MaxPool2d(_MaxPool):
    """``torch.nn.MaxPool2d``.

    Examples
    --------
    >>> MaxPool2d(3, stride=2, padding=1)
    MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)
    """

    spatial = 2


class MaxPool3d(_MaxPool):
    """``torch.nn.MaxPool3d``.

    Examples
    --------
    >>> MaxPool3d(2)(np.ones((1, 1, 2, 4, 4))).shape
    (1, 1, 1, 2, 2)
    """

    spatial = 3


class _AvgPool(Module):
    spatial = 2

    def __init__(
        self,
        kernel_size: Size,
        stride: Size | None = None,
        padding: Size = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Any) -> np.ndarray:
        pool = _pick("avg_pool", self.spatial)
        return pool(  # type: ignore[no-any-return]
            input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
            self.divisor_override,
        )  # fmt: skip

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPool):
    """``torch.nn.AvgPool1d`` (which keeps its arguments as 1-tuples).

    Examples
    --------
    >>> AvgPool1d(2)(np.array([[[1.0, 3.0, 2.0, 0.0]]]))
    array([[[2., 1.]]])
    >>> AvgPool1d(3)
    AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))
    """

    spatial = 1

    def __init__(
        self,
        kernel_size: Size,
        stride: Size | None = None,
        padding: Size = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)
        self.kernel_size = int_tuple(kernel_size, 1, "kernel_size", "AvgPool1d")
        self.stride = int_tuple(stride if stride is not None else kernel_size, 1, "stride", "AvgPool1d")
        self.padding = int_tuple(padding, 1, "padding", "AvgPool1d")


class AvgPool2d(_AvgPool):
    """``torch.nn.AvgPool2d``.

    Examples
    --------
    >>> AvgPool2d(2)(np.ones((1, 1, 4, 4))).shape
    (1, 1, 2, 2)
    """

    spatial = 2


class AvgPool3d(_AvgPool):
    """``torch.nn.AvgPool3d``.

    Examples
    --------
    >>> AvgPool3d(2)(np.ones((1, 1, 2, 2, 2))).ravel()
    array([1.])
    """

    spatial = 3


class _LPPool(Module):
    spatial = 2

    def __init__(
        self, norm_type: float, kernel_size: Size, stride: Size | None = None, ceil_mode: bool = False
    ):
        super().__init__()
        self.norm_type, self.kernel_size, self.stride, self.ceil_mode = (
            norm_type,
            kernel_size,
            stride,
            ceil_mode,
        )

    def forward(self, input: Any) -> np.ndarray:
        pool = _pick("lp_pool", self.spatial)
        return pool(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)  # type: ignore[no-any-return]

    def extra_repr(self) -> str:
        return (
            f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
            f"ceil_mode={self.ceil_mode}"
        )


class LPPool1d(_LPPool):
    """``torch.nn.LPPool1d``.

    Examples
    --------
    >>> LPPool1d(2, 2)(np.array([[[3.0, 4.0]]]))
    array([[[5.]]])
    """

    spatial = 1


class LPPool2d(_LPPool):
    """``torch.nn.LPPool2d``.

    Examples
    --------
    >>> LPPool2d(1, 2)(np.ones((1, 1, 2, 2))).ravel()
    array([4.])
    """

    spatial = 2


class LPPool3d(_LPPool):
    """``torch.nn.LPPool3d``.

    Examples
    --------
    >>> LPPool3d(1, 2)(np.ones((1, 1, 2, 2, 2))).ravel()
    array([8.])
    """

    spatial = 3


class _AdaptivePool(Module):
    spatial = 2
    kind = "adaptive_avg_pool"

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Any) -> Any:
        return _pick(self.kind, self.spatial)(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    """``torch.nn.AdaptiveAvgPool1d``.

    Examples
    --------
    >>> AdaptiveAvgPool1d(1)(np.array([[[1.0, 2.0, 6.0]]]))
    array([[[3.]]])
    """

    spatial = 1


class AdaptiveAvgPool2d(_AdaptivePool):
    """``torch.nn.AdaptiveAvgPool2d``: ``AdaptiveAvgPool2d(1)`` is global average pooling.

    Examples
    --------
    >>> AdaptiveAvgPool2d(1)(np.ones((2, 3, 5, 7))).shape
    (2, 3, 1, 1)
    """

    spatial = 2


class AdaptiveAvgPool3d(_AdaptivePool):
    """``torch.nn.AdaptiveAvgPool3d``.

    Examples
    --------
    >>> AdaptiveAvgPool3d((1, 2, 2))(np.ones((1, 1, 3, 4, 4))).shape
    (1, 1, 1, 2, 2)
    """

    spatial = 3


class _AdaptiveMaxPool(_AdaptivePool):
    kind = "adaptive_max_pool"

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input: Any) -> Any:
        return _pick(self.kind, self.spatial)(input, self.output_size, self.return_indices)


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    """``torch.nn.AdaptiveMaxPool1d``.

    Examples
    --------
    >>> AdaptiveMaxPool1d(1)(np.array([[[1.0, 2.0, 6.0]]]))
    array([[[6.]]])
    """

    spatial = 1


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    """``torch.nn.AdaptiveMaxPool2d``.

    Examples
    --------
    >>> AdaptiveMaxPool2d((2, 2))(np.ones((1, 1, 5, 5))).shape
    (1, 1, 2, 2)
    """

    spatial = 2


class AdaptiveMaxPool3d(_AdaptiveMaxPool):
    """``torch.nn.AdaptiveMaxPool3d``.

    Examples
    --------
    >>> AdaptiveMaxPool3d(1)(np.arange(8.0).reshape(1, 1, 2, 2, 2)).ravel()
    array([7.])
    """

    spatial = 3


class _MaxUnpool(Module):
    spatial = 2

    def __init__(self, kernel_size: Size, stride: Size | None = None, padding: Size = 0) -> None:
        super().__init__()
        # torch keeps these as tuples (its repr shows them so)
        n, name = self.spatial, type(self).__name__
        self.kernel_size = int_tuple(kernel_size, n, "kernel_size", name)
        self.stride = int_tuple(stride if stride is not None else kernel_size, n, "stride", name)
        self.padding = int_tuple(padding, n, "padding", name)

    def forward(self, input: Any, indices: Any, output_size: Sequence[int] | None = None) -> np.ndarray:
        unpool = _pick("max_unpool", self.spatial)
        return unpool(input, indices, self.kernel_size, self.stride, self.padding, output_size)  # type: ignore[no-any-return]

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpool):
    """``torch.nn.MaxUnpool1d``.

    Examples
    --------
    >>> values, where = MaxPool1d(2, return_indices=True)(np.array([[[1.0, 3.0, 2.0, 0.0]]]))
    >>> MaxUnpool1d(2)(values, where)
    array([[[0., 3., 2., 0.]]])
    """

    spatial = 1


class MaxUnpool2d(_MaxUnpool):
    """``torch.nn.MaxUnpool2d``.

    Examples
    --------
    >>> values, where = MaxPool2d(2, return_indices=True)(np.arange(16.0).reshape(1, 1, 4, 4))
    >>> MaxUnpool2d(2)(values, where)[0, 0]
    array([[ 0.,  0.,  0.,  0.],
           [ 0.,  5.,  0.,  7.],
           [ 0.,  0.,  0.,  0.],
           [ 0., 13.,  0., 15.]])
    """

    spatial = 2


class MaxUnpool3d(_MaxUnpool):
    """``torch.nn.MaxUnpool3d``.

    Examples
    --------
    >>> values, where = MaxPool3d(2, return_indices=True)(np.arange(8.0).reshape(1, 1, 2, 2, 2))
    >>> MaxUnpool3d(2)(values, where).ravel()
    array([0., 0., 0., 0., 0., 0., 0., 7.])
    """

    spatial = 3
