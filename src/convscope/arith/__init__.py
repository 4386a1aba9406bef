"""Analysis of the convolution family: sizes, padding, receptive fields, as plain data.

Every answer is asked of the geometry core (:mod:`convscope.core`); this
package imports nothing else from convscope.

>>> from convscope.arith import conv_output_size, receptive_field
>>> conv_output_size(224, kernel_size=7, stride=2, padding=3)
112
>>> receptive_field("conv k3; conv k3 d2; conv k3 d4")[-1].size
15
"""

from .cost import Cost, LayerSpec, cost
from .gridding import Gridding, gridding, tap_indicator
from .matrix import conv_matrix, symbolic_conv_matrix
from .overlap import Overlap, gradient_overlap, overlap_map, overlap_map_stack
from .padding import same_padding
from .port import (
    FilterPort,
    ResizePort,
    TfPadding,
    TfTranspose,
    TorchPadding,
    TorchTranspose,
    filter_port,
    port_filter,
    tf_padding_to_torch,
    tf_resize_to_torch,
    tf_transpose_to_torch,
    torch_padding_to_tf,
    torch_resize_to_tf,
    torch_transpose_to_tf,
)
from .receptive import Layer, ReceptiveField, parse_layers, receptive_field
from .shape import OPS as SHAPE_OPS
from .shape import TF_OPS as SHAPE_TF_OPS
from .shape import Alternative, AxisShape, ShapeReport, shape_parameters, shape_report
from .sizes import (
    conv_output_size,
    conv_transpose_output_size,
    effective_kernel_size,
    inverse_transpose,
    pool_output_size,
    transpose_output_sizes,
)
from .summary import Row, Summary, summary

__all__ = [
    "SHAPE_OPS",
    "SHAPE_TF_OPS",
    "Alternative",
    "AxisShape",
    "Cost",
    "FilterPort",
    "Gridding",
    "Layer",
    "LayerSpec",
    "Overlap",
    "ReceptiveField",
    "ResizePort",
    "Row",
    "ShapeReport",
    "Summary",
    "TfPadding",
    "TfTranspose",
    "TorchPadding",
    "TorchTranspose",
    "conv_matrix",
    "conv_output_size",
    "conv_transpose_output_size",
    "cost",
    "effective_kernel_size",
    "filter_port",
    "gradient_overlap",
    "gridding",
    "inverse_transpose",
    "overlap_map",
    "overlap_map_stack",
    "parse_layers",
    "pool_output_size",
    "port_filter",
    "receptive_field",
    "same_padding",
    "shape_parameters",
    "shape_report",
    "summary",
    "symbolic_conv_matrix",
    "tap_indicator",
    "tf_padding_to_torch",
    "tf_resize_to_torch",
    "tf_transpose_to_torch",
    "torch_padding_to_tf",
    "torch_resize_to_tf",
    "torch_transpose_to_tf",
    "transpose_output_sizes",
]
