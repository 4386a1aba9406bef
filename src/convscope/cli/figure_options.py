"""Options of the overlap, gridding and matrix analyses, declared once.

``convscope overlap|gridding|matrix`` print an analysis and ``convscope
figure overlap|gridding|matrix`` draw it; both read the same configuration,
so they declare it here and add only what one of them alone takes.
"""

from __future__ import annotations

import argparse

from .operators import _int_list, _ints, _padding


def add_overlap_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kernel", type=_ints, required=True, help="kernel size: an int or one per axis")
    p.add_argument("--stride", type=_ints, required=True, help="stride: an int or one per axis")
    p.add_argument("--dilation", type=_ints, default=1, help="kernel dilation (default 1)")
    p.add_argument(
        "--input",
        type=_ints,
        metavar="N",
        help="input cells per axis (default: enough for two interior periods)",
    )
    p.add_argument("--padding", type=_ints, default=0, help="padding (default 0)")
    p.add_argument("--output-padding", type=_ints, default=0, help="transposed only (default 0)")
    p.add_argument("--2d", dest="two_d", action="store_true", help="a 2-d map (an int kernel is K x K)")
    p.add_argument(
        "--gradient",
        action="store_true",
        help="the input-gradient of the strided convolution instead (same checkerboard)",
    )


def add_gridding_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rates", type=_int_list, required=True, help="dilation rates, first layer first: 1,2,3")
    p.add_argument("--kernel", type=int, default=3, help="kernel size of every layer (default 3)")


def add_matrix_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input", type=_int_list, required=True, metavar="SIZES", help="spatial input sizes: 3,3")
    p.add_argument("--kernel", type=_ints, required=True, help="kernel size: 2,2 (an int for all axes)")
    p.add_argument("--stride", type=_ints, default=1, help="stride (default 1)")
    p.add_argument(
        "--padding",
        type=_padding,
        default=0,
        help="an int, per-axis ints, low:high pairs, 'same' or 'valid' (default 0)",
    )
    p.add_argument("--dilation", type=_ints, default=1, help="dilation (default 1)")


def add_symbolic_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--symbolic", action="store_true", help="label entries w11, w12, ... (seed 004)")
