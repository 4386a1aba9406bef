"""The geometry core: index arithmetic of window operators, free of numerics.

This package imports nothing else from convscope. Every output size, padding
split and tap index in the library comes from here.
"""

from .axis import Axis, Phase
from .geometry import ConvGeometry, conv_geometry, conv_transpose_geometry
from .padding import (
    PadMode,
    SameConvention,
    resolve_padding,
    same_pad_total,
    source_index,
    split_same,
)

__all__ = [
    "Axis",
    "ConvGeometry",
    "PadMode",
    "Phase",
    "SameConvention",
    "conv_geometry",
    "conv_transpose_geometry",
    "resolve_padding",
    "same_pad_total",
    "source_index",
    "split_same",
]
