"""The geometry core: index arithmetic of window operators, free of numerics.

This package imports nothing else from convscope. Every output size, padding
split and tap index in the library comes from here.
"""

from .axis import Axis, Phase
from .dilation import hdc_distances, satisfies_hdc
from .geometry import ConvGeometry, conv_geometry, conv_transpose_geometry
from .padding import (
    PadMode,
    SameConvention,
    resolve_padding,
    same_pad_total,
    source_index,
    split_same,
    tf_transpose_sizes,
)
from .resample import Interpolation, Taps, adaptive_taps, interpolation_taps, scaled_size
from .resample_rules import (
    INTERPOLATE_MODES,
    InterpolateSizes,
    interpolate_sizes,
    pixel_shuffle_factor,
    pixel_unshuffle_factor,
)
from .window import adaptive_output_sizes, pool_window_axes, tf_window_size, unpool_output_sizes

__all__ = [
    "INTERPOLATE_MODES",
    "Axis",
    "ConvGeometry",
    "InterpolateSizes",
    "Interpolation",
    "PadMode",
    "Phase",
    "SameConvention",
    "Taps",
    "adaptive_output_sizes",
    "adaptive_taps",
    "conv_geometry",
    "conv_transpose_geometry",
    "hdc_distances",
    "interpolate_sizes",
    "interpolation_taps",
    "pixel_shuffle_factor",
    "pixel_unshuffle_factor",
    "pool_window_axes",
    "resolve_padding",
    "same_pad_total",
    "satisfies_hdc",
    "scaled_size",
    "source_index",
    "split_same",
    "tf_transpose_sizes",
    "tf_window_size",
    "unpool_output_sizes",
]
