"""The operator options of ``convscope shape`` and ``convscope animate``: one parser, one reading.

:func:`add_operator_arguments` declares ``OP`` and every option an operator of
:func:`convscope.arith.shape_report` takes, spelled as PyTorch spells the
arguments (``--kernel-size``, alias ``--kernel``; ``--scale-factor``;
``--output-padding``; ...); :func:`operator_params` reads them back as
``(op, input sizes, keyword arguments)``, leaving out what was not given, so
``arith.shape_report(op, sizes, **params)`` and ``viz.animate(op, sizes,
**params)`` take them as they are. An option the operator does not take is
refused with one line naming the option.

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser(prog="demo")
>>> add_operator_arguments(parser)
>>> operator_params(parser.parse_args(["pool", "--input", "6,7", "--kernel", "3", "--ceil-mode"]))
('max_pool', (6, 7), {'kernel_size': 3, 'ceil_mode': True})
>>> operator_params(parser.parse_args(["interpolate", "--input", "4", "--scale-factor", "2.5",
...                                    "--mode", "linear", "--align-corners"]))
('interpolate', (4,), {'scale_factor': 2.5, 'mode': 'linear', 'align_corners': True})
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

import convscope.arith as arith

__all__ = ["ALIASES", "OPTIONS", "add_operator_arguments", "operator_params"]

#: Short names ``convscope shape`` has always accepted.
ALIASES: dict[str, str] = {
    "transposed": "conv_transpose",
    "pool": "max_pool",
    "maxpool": "max_pool",
    "avgpool": "avg_pool",
}

#: shape_report argument -> command-line option (its argparse ``dest`` is the argument's name).
OPTIONS: dict[str, str] = {
    "kernel_size": "--kernel-size",
    "stride": "--stride",
    "padding": "--padding",
    "dilation": "--dilation",
    "output_padding": "--output-padding",
    "output_shape": "--output-shape",
    "ceil_mode": "--ceil-mode",
    "count_include_pad": "--count-include-pad",
    "divisor_override": "--divisor-override",
    "output_size": "--output-size",
    "size": "--size",
    "scale_factor": "--scale-factor",
    "mode": "--mode",
    "align_corners": "--align-corners",
    "recompute_scale_factor": "--recompute-scale-factor",
    "antialias": "--antialias",
    "upscale_factor": "--upscale-factor",
    "downscale_factor": "--downscale-factor",
    "in_channels": "--in-channels",
    "convention": "--convention",
}


# -- argument types (also used by the other subcommands) ----------------------------------
def _int_list(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(item) for item in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an int or comma-separated ints such as 3 or 3,3, got {text!r}"
        ) from None


def _ints(text: str) -> int | tuple[int, ...]:
    values = _int_list(text)
    return values[0] if len(values) == 1 else values


def _floats(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(item) for item in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None


def _optional_ints(text: str) -> int | tuple[int | None, ...]:
    """Ints where ``none`` (or ``-``) keeps that axis's input size: ``5,none``."""
    try:
        values = tuple(
            None if item.strip().lower() in ("none", "-") else int(item) for item in text.split(",")
        )
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an int or comma-separated ints (none keeps an axis), got {text!r}"
        ) from None
    return values[0] if len(values) == 1 and values[0] is not None else values


def _padding(text: str) -> int | str | tuple[Any, ...]:
    """An int, per-axis ints ``1,2``, ``(low:high)`` pairs ``1:2,0:1``, ``same`` or ``valid``."""
    word = text.strip().lower()
    if word in ("same", "valid"):
        return word
    items = text.split(",")
    try:
        if any(":" in item for item in items):
            pairs = []
            for item in items:
                parts = item.split(":") * (1 if ":" in item else 2)
                if len(parts) != 2:
                    raise ValueError(item)
                pairs.append((int(parts[0]), int(parts[1])))
            return tuple(pairs)
        values = tuple(int(item) for item in items)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an int, per-axis ints (1,2), low:high pairs (1:2,0:1), 'same' or 'valid', got {text!r}"
        ) from None
    return values[0] if len(values) == 1 else values


# -- the parser -------------------------------------------------------------------------------
def add_operator_arguments(parser: argparse.ArgumentParser, ops: Sequence[str] | None = None) -> None:
    """Declare ``OP``, ``--input`` and every operator option on ``parser``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
    ops : sequence of str, optional
        The operator names ``OP`` accepts (default :data:`convscope.arith.SHAPE_OPS`);
        the aliases of :data:`ALIASES` are accepted besides.
    """
    names = tuple(arith.SHAPE_OPS if ops is None else ops)
    parser.add_argument(
        "op",
        choices=names + tuple(ALIASES),
        metavar="OP",
        help=", ".join(names) + " (aliases: " + ", ".join(f"{a}={o}" for a, o in ALIASES.items()) + ")",
    )
    parser.add_argument(
        "--input", type=_int_list, required=True, metavar="SIZES", help="spatial input sizes: L, H,W or D,H,W"
    )
    window = parser.add_argument_group("windows (conv, conv_transpose, deform_conv, pools, unpools)")
    window.add_argument(
        "--kernel-size",
        "--kernel",
        dest="kernel_size",
        type=_ints,
        metavar="K",
        help="an int or one per axis",
    )
    window.add_argument("--stride", type=_ints, help="default 1 (pools and unpools: the kernel size)")
    window.add_argument(
        "--padding",
        type=_padding,
        help="an int, per-axis ints 1,2, low:high pairs 1:2,0:1, 'same' or 'valid' "
        "(tf: SAME/VALID, pairs for conv2d, conv2d_transpose, max_pool1d/2d)",
    )
    window.add_argument("--dilation", type=_ints, help="kernel dilation (default 1; not avg_pool)")
    window.add_argument(
        "--output-padding", type=_ints, help="conv_transpose (torch): extra cells on the high side"
    )
    window.add_argument(
        "--output-shape",
        type=_int_list,
        metavar="SIZES",
        help="conv_transpose with --convention tf: TensorFlow's spatial output_shape",
    )
    window.add_argument(
        "--ceil-mode", action="store_const", const=True, help="pools: round the window count up"
    )
    window.add_argument(
        "--count-include-pad",
        action=argparse.BooleanOptionalAction,
        help="avg_pool: divide by the padded window (torch's default) or the real cells",
    )
    window.add_argument(
        "--divisor-override", type=int, metavar="N", help="avg_pool: divide every window by N"
    )
    window.add_argument(
        "--output-size",
        type=_optional_ints,
        metavar="SIZES",
        help="max_unpool, avg_unpool: the output size; adaptive pools: their output (none keeps an axis)",
    )
    resample = parser.add_argument_group("resampling (interpolate, pixel_shuffle, pixel_unshuffle)")
    resample.add_argument("--size", type=_ints, metavar="SIZES", help="interpolate: output size")
    resample.add_argument(
        "--scale-factor", type=_floats, metavar="F", help="interpolate: one, or one per axis"
    )
    resample.add_argument(
        "--mode",
        help="interpolate: nearest (default), nearest-exact, linear, bilinear, trilinear, bicubic, area",
    )
    resample.add_argument(
        "--align-corners",
        action=argparse.BooleanOptionalAction,
        help="interpolate (linear modes): align corners",
    )
    resample.add_argument(
        "--recompute-scale-factor",
        action=argparse.BooleanOptionalAction,
        help="interpolate: map coordinates by the computed size, not scale_factor",
    )
    resample.add_argument(
        "--antialias", action="store_const", const=True, help="interpolate (bilinear, bicubic): antialias"
    )
    resample.add_argument("--upscale-factor", type=int, metavar="R", help="pixel_shuffle: r")
    resample.add_argument("--downscale-factor", type=int, metavar="R", help="pixel_unshuffle: r")
    resample.add_argument(
        "--in-channels",
        type=int,
        metavar="C",
        help="pixel_shuffle, pixel_unshuffle: channels (checked, reported)",
    )
    parser.add_argument(
        "--convention",
        choices=("torch", "tf"),
        help="torch (default) or tf: TensorFlow's SAME/VALID padding and output_shape "
        "(conv, conv_transpose, max_pool, avg_pool)",
    )


def operator_params(args: argparse.Namespace) -> tuple[str, tuple[int, ...], dict[str, Any]]:
    """``(op, input sizes, keyword arguments)`` from the options :func:`add_operator_arguments` declared.

    Options not given are left out (each operator's defaults apply); a single
    ``--scale-factor`` is a float. For an operator of
    :data:`convscope.arith.SHAPE_OPS`, an option it does not take raises
    ``ValueError`` naming the option.
    """
    op = ALIASES.get(args.op, args.op)
    params = {name: getattr(args, name) for name in OPTIONS if getattr(args, name, None) is not None}
    factor = params.get("scale_factor")
    if isinstance(factor, tuple) and len(factor) == 1:
        params["scale_factor"] = factor[0]
    if op in arith.SHAPE_OPS:
        takes = set(arith.shape_parameters(op)) | {"convention"}
        for name in params:
            if name not in takes:
                options = ", ".join(OPTIONS[p] for p in arith.shape_parameters(op))
                raise ValueError(f"{OPTIONS[name]} does not apply to {args.op} (its options: {options})")
    return op, tuple(args.input), params
