"""``convscope port``: a layer written for one framework, as the call the other framework needs.

``convscope port tf OP ...`` prints the PyTorch code (``F.pad`` first when
TensorFlow's padding is asymmetric, the filter permutation, a crop after a
transposed convolution when PyTorch's symmetric padding cannot split it);
``convscope port torch OP ...`` prints the TensorFlow call (``output_shape``
and ``padding`` of a transposed convolution). Every number is an answer of
:mod:`convscope.arith.port`; ``--json`` prints the result as one JSON object.
Refused values: one line on stderr and exit status 2.

Examples
--------
>>> from convscope.cli.main import main
>>> main(["port", "tf", "conv1d", "--input", "1,4,1", "--filters", "2,1,1", "--padding", "SAME"])
# tf.nn.conv1d(x, filters, strides=1, padding='SAME'): input [1, 4, 1], filters [2, 1, 1] -> [1, 4, 1]
x = x.permute(0, 2, 1)  # NHWC -> NCHW
weight = filters.permute(2, 1, 0)  # (2, 1, 1) -> (1, 1, 2)
x = F.pad(x, (0, 1))  # TensorFlow pads (low, high) = (0, 1)
y = F.conv1d(x, weight, stride=(1,), padding=(0,), dilation=(1,), groups=1)
y = y.permute(0, 2, 1)  # NCHW -> NHWC
# exact
# with stride 1 PyTorch's padding='same' gives the same numbers (no F.pad)
0
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

import convscope.arith as arith

from .operators import _int_list, _padding

__all__ = ["add_port_command", "port_result"]

Result = dict[str, Any]

_DIMS = (1, 2, 3)
TF_OPS = (
    *(f"conv{n}d" for n in _DIMS),
    *(f"conv{n}d_transpose" for n in _DIMS),
    "depthwise_conv2d",
    *(f"{kind}_pool{n}d" for kind in ("max", "avg") for n in _DIMS),
    "resize",
)
TORCH_OPS = (*(f"{family}{n}d" for family in ("conv", "conv_transpose") for n in _DIMS), "interpolate")
#: options each (framework, op family) reads; any other option given is refused.
_OPTIONS = {
    ("tf", "conv"): {"input", "filters", "strides", "padding", "dilations"},
    ("tf", "transpose"): {"input", "filters", "output_shape", "strides", "padding", "dilations"},
    ("tf", "depthwise"): {"input", "filters", "strides", "padding", "dilations"},
    ("tf", "pool"): {"input", "ksize", "strides", "padding"},
    ("tf", "resize"): {"method", "antialias", "align_corners", "half_pixel_centers", "compat_v1", "size"},
    ("torch", "conv"): {"input", "weight", "stride", "padding", "dilation", "groups"},
    ("torch", "transpose"): {"input", "weight", "stride", "padding", "output_padding", "dilation"},
    ("torch", "interpolate"): {"mode", "align_corners", "antialias", "size"},
}
_FLAGS = ("antialias", "align_corners", "half_pixel_centers")


def _family(framework: str, op: str) -> str:
    if op in ("resize", "interpolate"):
        return op
    if "transpose" in op:
        return "transpose"
    if "pool" in op:
        return "pool"
    return "depthwise" if op.startswith("depthwise") else "conv"


def _spatial_rank(op: str) -> int:
    return int(next(c for c in op if c.isdigit()))


def _shape(value: Sequence[int]) -> str:
    return "[" + ", ".join(str(v) for v in value) + "]"


def _tuple(values: Sequence[Any]) -> str:
    return "(" + ", ".join(str(v) for v in values) + ("," if len(values) == 1 else "") + ")"


def _need(args: argparse.Namespace, name: str) -> Any:
    value = getattr(args, name)
    if value is None:
        raise ValueError(f"--{name.replace('_', '-')} is required for {args.framework} {args.op}")
    return value


def _input(args: argparse.Namespace, n: int) -> tuple[int, ...]:
    shape = tuple(_need(args, "input"))
    if len(shape) != n + 2:
        raise ValueError(
            f"--input={','.join(map(str, shape))} must have {n + 2} sizes (batch, {n} spatial, channels)"
        )
    return shape


def _ints_or_one(value: Any, default: int) -> Any:
    if value is None:
        return default
    return value[0] if len(value) == 1 else tuple(value)


def _pairs_text(pairs: Sequence[tuple[int, int]]) -> str:
    return ", ".join(f"({lo}, {hi})" for lo, hi in pairs)


# -- TensorFlow -> PyTorch ------------------------------------------------------------------
def _from_tf(args: argparse.Namespace) -> Result:
    op, family = args.op, _family("tf", args.op)
    if family == "resize":
        return _tf_resize(args)
    n = 2 if family == "depthwise" else _spatial_rank(op)
    shape = _input(args, n)
    sizes, channels = shape[1:-1], shape[-1]
    strides = _ints_or_one(args.strides, 1)
    padding = args.padding if args.padding is not None else ("SAME" if family == "transpose" else "VALID")
    if isinstance(padding, str):
        padding = padding.upper()
    lines: list[str] = []
    notes: list[str] = []
    result: Result = {}
    torch_name = f"conv{n}d"
    if family == "pool":
        kernel = _ints_or_one(_need(args, "ksize"), 1)
        kind = "max_pool" if op.startswith("max") else "avg_pool"
        pad = arith.tf_padding_to_torch(sizes, kernel, strides, padding, op=kind)  # type: ignore[arg-type]
        kernel_t = tuple(kernel) if isinstance(kernel, tuple) else (kernel,) * n
        out = _tf_window_out(sizes, kernel_t, strides, pad, n)
        header = f"tf.nn.{op}(x, ksize={kernel}, strides={strides}, padding={padding!r})"
        header += f": input {_shape(shape)} -> {_shape((shape[0], *out, channels))}"
        lines.append(f"x = x.permute({', '.join(map(str, (0, n + 1, *range(1, n + 1))))})  # NHWC -> NCHW")
        window = f"{_tuple(kernel_t)}, stride={_tuple(_each(strides, n))}"
        if not pad.exact:  # TensorFlow's average counts real cells only: divide by their share
            lines.append(
                f"count = F.{kind}{n}d(F.pad(torch.ones_like(x), {_tuple(pad.pre_pad or ())}), {window})"
            )
        lines += _pre_pad_lines(pad)
        extra = "".join(f", {k}={v}" for k, v in pad.options.items())
        if pad.exact:
            lines.append(f"y = F.{kind}{n}d(x, {window}, padding={_tuple(pad.padding)}{extra})")
        else:
            lines.append(f"y = F.{kind}{n}d(x, {window}) / count")
            notes.append("TensorFlow divides by the real cells of each window: no single PyTorch call does")
        value = pad.pad_value if pad.pad_value == 0 else "-inf"
        result.update(
            pairs=pad.pairs,
            padding=pad.padding,
            pre_pad=pad.pre_pad,
            pad_value=value,
            options=pad.options,
            exact=pad.exact,
        )
        out_shape = (shape[0], *out, channels)
    else:
        filters = tuple(_need(args, "filters"))
        if len(filters) != n + 2:
            raise ValueError(f"--filters={','.join(map(str, filters))} must have {n + 2} sizes")
        kernel = filters[:n]
        dilations = _ints_or_one(args.dilations, 1)
        port = arith.filter_port(filters, "conv_transpose" if family == "transpose" else family)  # type: ignore[arg-type]
        weight = f"weight = filters.permute{_tuple(port.axes)}"
        if port.after is not None:
            weight += f".reshape{_tuple(port.after)}"
        weight += f"  # {_tuple(filters)} -> {_tuple(port.target_shape)}"
        lines.append(f"x = x.permute({', '.join(map(str, (0, n + 1, *range(1, n + 1))))})  # NHWC -> NCHW")
        lines.append(weight)
        result.update(weight_permutation=port.axes, weight_reshape=port.after, weight_shape=port.target_shape)
        if family == "transpose":
            output_shape = tuple(_need(args, "output_shape"))
            t = arith.tf_transpose_to_torch(sizes, kernel, output_shape, strides, padding, dilations)
            header = (
                f"tf.nn.{op}(x, filters, output_shape={_shape(output_shape)}, strides={strides}, "
                f"padding={padding!r})"
            )
            lines.append(
                f"y = F.conv_transpose{n}d(x, weight, stride={_tuple(_each(strides, n))}, "
                f"padding={_tuple(t.padding)}, "
                f"output_padding={_tuple(t.output_padding)}, dilation={_tuple(_each(dilations, n))})"
            )
            if t.post_pad is not None:
                lines.append(
                    f"y = F.pad(y, {_tuple(t.post_pad)})  # crop (low, high) = {_pairs_text(t.crop)}"
                )
                notes.append(
                    f"TensorFlow's padding {_pairs_text(t.pairs)} is not symmetric and no output_padding "
                    "absorbs it: PyTorch's output is cropped (negative F.pad)"
                )
            result.update(
                pairs=t.pairs,
                padding=t.padding,
                output_padding=t.output_padding,
                crop=t.crop,
                post_pad=t.post_pad,
                exact=t.exact,
            )
            out_shape = (shape[0], *t.output_size, filters[n])
        else:
            pad = arith.tf_padding_to_torch(sizes, kernel, strides, padding, dilations)
            groups = channels if family == "depthwise" else channels // max(filters[n], 1)
            header = f"tf.nn.{op}(x, filters, strides={strides}, padding={padding!r})"
            lines += _pre_pad_lines(pad)
            lines.append(
                f"y = F.{torch_name}(x, weight, stride={_tuple(_each(strides, n))}, "
                f"padding={_tuple(pad.padding)}, "
                f"dilation={_tuple(_each(dilations, n))}, groups={groups})"
            )
            if pad.string is not None and pad.pre_pad is not None:
                notes.append(
                    f"with stride 1 PyTorch's padding={pad.string!r} gives the same numbers (no F.pad)"
                )
            result.update(
                pairs=pad.pairs,
                padding=pad.padding,
                pre_pad=pad.pre_pad,
                groups=groups,
                string=pad.string,
                exact=pad.exact,
            )
            out = _tf_window_out(sizes, tuple(kernel), strides, pad, n, dilations)
            out_shape = (shape[0], *out, port.target_shape[0])
        header += f": input {_shape(shape)}, filters {_shape(filters)} -> {_shape(out_shape)}"
    lines.append(f"y = y.permute({', '.join(map(str, (0, *range(2, n + 2), 1)))})  # NCHW -> NHWC")
    notes.insert(0, "exact" if result["exact"] else "exact in two steps (no single PyTorch call)")
    return {
        "command": "port",
        "from": "tf",
        "to": "torch",
        "op": op,
        "tf": header,
        "output_shape": out_shape,
        "code": lines,
        "notes": notes,
        **result,
    }


def _each(value: Any, n: int) -> tuple[int, ...]:
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    return values * n if len(values) == 1 else values


def _pre_pad_lines(pad: arith.TorchPadding) -> list[str]:
    if pad.pre_pad is None:
        return []
    value = ", value=float('-inf')" if pad.pad_value != 0 else ""
    return [
        f"x = F.pad(x, {_tuple(pad.pre_pad)}{value})  "
        f"# TensorFlow pads (low, high) = {_pairs_text(pad.pairs)}"
    ]


def _tf_window_out(
    sizes: Sequence[int],
    kernel: Sequence[int],
    strides: Any,
    pad: arith.TorchPadding,
    n: int,
    dilations: Any = 1,
) -> tuple[int, ...]:
    # the pairs may be negative (a 3-d crop): the output size of the padded-or-cropped input, unpadded
    padded = tuple(i + lo + hi for i, (lo, hi) in zip(sizes, pad.pairs))
    return tuple(arith.conv_output_size(padded, tuple(kernel), _each(strides, n), 0, _each(dilations, n)))


def _tf_resize(args: argparse.Namespace) -> Result:
    method = args.method or "bilinear"
    v1 = args.compat_v1 or args.align_corners or args.half_pixel_centers
    if v1:
        port = arith.tf_resize_to_torch(
            method, align_corners=bool(args.align_corners), half_pixel_centers=bool(args.half_pixel_centers)
        )
    else:
        port = arith.tf_resize_to_torch(method, bool(args.antialias))
    return _resize_result("tf", port, args.size)


def _resize_result(source: str, port: arith.ResizePort, size: Any) -> Result:
    size_text = _tuple(size) if size else "(H, W)"
    lines: list[str] = []
    options = port.torch_options
    if source == "tf" and options is not None:
        words = ", ".join(f"{k}={v!r}" for k, v in options.items())
        lines.append(f"y = F.interpolate(x, size={size_text}, {words})  # x: NCHW")
    elif source == "torch" and port.tf_call:
        call = port.tf_call.replace("(", f"(x, {list(size) if size else '[H, W]'}, ", 1).replace(", )", ")")
        lines.append(f"y = {call}  # x: NHWC")
    verdict = "exact" if port.exact else ("closest, not exact" if lines else "no equivalent")
    notes = [verdict + (f" (exact when {port.exact_when})" if port.exact_when else ""), port.note]
    return {
        "command": "port",
        "from": source,
        "to": "torch" if source == "tf" else "tf",
        "op": "resize" if source == "tf" else "interpolate",
        "tf": port.tf_call,
        "torch_options": options,
        "exact": port.exact,
        "exact_when": port.exact_when,
        "code": lines,
        "notes": notes,
    }


# -- PyTorch -> TensorFlow ------------------------------------------------------------------
def _from_torch(args: argparse.Namespace) -> Result:
    op, family = args.op, _family("torch", args.op)
    if family == "interpolate":
        port = arith.torch_resize_to_tf(args.mode or "nearest", args.align_corners, bool(args.antialias))
        return _resize_result("torch", port, args.size)
    n = _spatial_rank(op)
    shape = _input(args, n)
    weight = tuple(_need(args, "weight"))
    if len(weight) != n + 2:
        raise ValueError(f"--weight={','.join(map(str, weight))} must have {n + 2} sizes")
    sizes, kernel = shape[2:], weight[2:]
    stride, dilation = _ints_or_one(args.stride, 1), _ints_or_one(args.dilation, 1)
    padding = 0 if args.padding is None else args.padding
    layout = arith.filter_port(weight, "conv_transpose" if family == "transpose" else "conv", "torch")
    lines = [
        f"x = tf.transpose(x, {list((0, *range(2, n + 2), 1))})  # NCHW -> NHWC",
        f"filters = tf.transpose(weight, {list(layout.axes)})  "
        f"# {_tuple(weight)} -> {_tuple(layout.target_shape)}",
    ]
    notes: list[str] = ["exact"]
    result: Result = {"filter_permutation": layout.axes, "filter_shape": layout.target_shape}
    if family == "transpose":
        output_padding = _ints_or_one(args.output_padding, 0)
        t = arith.torch_transpose_to_tf(sizes, kernel, stride, padding, output_padding, dilation)
        out_shape = (shape[0], *t.output_size, weight[1])
        tf_padding: Any = t.padding if isinstance(t.padding, str) else t.explicit()
        lines.append(
            f"y = tf.nn.conv{n}d_transpose(x, filters, output_shape={list(out_shape)}, "
            f"strides={list(_each(stride, n))}, "
            f"padding={tf_padding!r}, dilations={list(_each(dilation, n))})"
        )
        if t.note:
            notes = ["not expressible as one call", t.note]
        header = (
            f"F.{op}(x, weight, stride={stride}, padding={padding}, output_padding={output_padding}, "
            f"dilation={dilation})"
        )
        result.update(output_size=t.output_size, padding=t.padding, pairs=t.pairs)
    else:
        groups = args.groups or 1
        if shape[1] != weight[1] * groups:
            raise ValueError(
                f"--weight in-channels {weight[1]} x groups {groups} must equal the input's {shape[1]}"
            )
        p = arith.torch_padding_to_tf(sizes, kernel, stride, padding, dilation)
        tf_padding = p.padding if isinstance(p.padding, str) else p.explicit()
        out = arith.conv_output_size(sizes, kernel, stride, padding, dilation)
        out_shape = (shape[0], *out, weight[0])
        if not isinstance(p.padding, str) and n != 2:  # only tf.nn.conv2d takes explicit pairs
            lines.append(f"x = tf.pad(x, {tf_padding})  # PyTorch's zero padding, then VALID")
            notes = ["exact in two steps", f"tf.nn.conv{n}d takes only 'SAME' or 'VALID': tf.pad first"]
            tf_padding = "VALID"
        steps, spacing = list(_each(stride, n)), list(_each(dilation, n))
        if n == 3:  # tf.nn.conv3d wants NDHWC-long lists
            steps, spacing = [1, *steps, 1], [1, *spacing, 1]
        lines.append(
            f"y = tf.nn.conv{n}d(x, filters, {'stride' if n == 1 else 'strides'}={steps}, "
            f"padding={tf_padding!r}, dilations={spacing})"
        )
        if groups > 1:
            notes.append(f"TensorFlow infers groups={groups} from the filter's in-channels ({weight[1]})")
        header = (
            f"F.{op}(x, weight, stride={stride}, padding={padding!r}, dilation={dilation}, groups={groups})"
        )
        result.update(padding=p.padding, pairs=p.pairs)
    lines.append(f"y = tf.transpose(y, {list((0, n + 1, *range(1, n + 1)))})  # NHWC -> NCHW")
    nchw = (out_shape[0], out_shape[-1], *out_shape[1:-1])
    header += f": input {_shape(shape)}, weight {_shape(weight)} -> {_shape(nchw)}"
    return {
        "command": "port",
        "from": "torch",
        "to": "tf",
        "op": op,
        "torch": header,
        "output_shape": out_shape,
        "code": lines,
        "notes": notes,
        "exact": notes[0] == "exact",
        **result,
    }


def port_result(args: argparse.Namespace) -> Result:
    """The port of ``args.op`` from ``args.framework``, as plain JSON data (``code``: lines to print)."""
    ops = TF_OPS if args.framework == "tf" else TORCH_OPS
    if args.op not in ops:
        raise ValueError(f"{args.framework} op {args.op!r} is not one of {', '.join(ops)}")
    allowed = _OPTIONS[(args.framework, _family(args.framework, args.op))]
    for name in sorted(_ALL_OPTIONS - allowed):
        given = getattr(args, name)
        if given not in (None, False):
            raise ValueError(f"--{name.replace('_', '-')} does not apply to {args.framework} {args.op}")
    return _from_tf(args) if args.framework == "tf" else _from_torch(args)


def _render(result: Result) -> str:
    head = result.get("tf") if result["from"] == "tf" else result.get("torch")
    lines = [f"# {head}"] if head else []
    lines += result["code"]
    lines += [f"# {note}" for note in result["notes"] if note]
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    try:
        result = port_result(args)
    except (ValueError, TypeError) as error:
        print(f"convscope port: error: {' '.join(str(error).split())}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result))
    else:
        print(_render(result))
    return 0


_ALL_OPTIONS = set().union(*_OPTIONS.values())

_EXAMPLES = """\
convscope port tf conv2d --input 1,5,5,3 --filters 3,3,3,8 --strides 2 --padding SAME
convscope port tf conv2d_transpose --input 1,2,2,1 --filters 2,2,1,1 --output-shape 1,3,3,1 --strides 2
convscope port tf depthwise_conv2d --input 1,8,8,3 --filters 3,3,3,2 --padding SAME
convscope port tf max_pool2d --input 1,5,5,1 --ksize 2 --strides 2 --padding SAME
convscope port tf resize --method bilinear --antialias
convscope port tf resize --method nearest --align-corners
convscope port torch conv2d --input 1,3,6,6 --weight 8,3,3,3 --stride 2 --padding 1
convscope port torch conv_transpose2d --input 1,8,3,3 --weight 8,4,3,3 --stride 2 --padding 1 \\
  --output-padding 1
convscope port torch interpolate --mode bilinear --align-corners"""


def add_port_command(commands: argparse._SubParsersAction[Any]) -> None:
    """Register ``convscope port`` on the ``convscope`` subparsers."""
    parser = commands.add_parser(
        "port",
        help="a TensorFlow layer as PyTorch code, or a PyTorch layer as TensorFlow code",
        description="Print the equivalent call in the other framework: padding (F.pad when asymmetric), "
        "transposed output_shape <-> padding/output_padding, filter permutation, resize options.",
        epilog="examples:\n" + "\n".join("  " + line for line in _EXAMPLES.splitlines()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("framework", choices=("tf", "torch"), help="the framework the layer is written for")
    parser.add_argument("op", metavar="OP", help=f"tf: {', '.join(TF_OPS)}; torch: {', '.join(TORCH_OPS)}")
    ints: Callable[[str], tuple[int, ...]] = _int_list
    add = parser.add_argument
    add("--input", type=ints, help="input shape: NHWC for tf (1,5,5,3), NCHW for torch (1,3,5,5)")
    add(
        "--filters", type=ints, help="tf filter shape: HWIO, transposed [h,w,out,in], depthwise [h,w,in,mult]"
    )
    add("--weight", type=ints, help="torch weight shape: (out, in/groups, h, w), transposed (in, out, h, w)")
    add("--strides", type=ints, help="tf strides (int or per spatial axis)")
    add("--stride", type=ints, help="torch stride")
    add("--dilations", type=ints, help="tf dilations")
    add("--dilation", type=ints, help="torch dilation")
    add(
        "--padding", type=_padding, help="tf: SAME, VALID or lo:hi pairs (1:0,0:1); torch: int, ints or pairs"
    )
    add("--output-shape", type=ints, help="tf transposed output_shape (NHWC or spatial)")
    add("--output-padding", type=ints, help="torch transposed output_padding")
    add("--groups", type=int, help="torch groups")
    add("--ksize", type=ints, help="tf pooling window")
    add("--method", help="tf resize method (bilinear, nearest, bicubic, area, lanczos3, ...)")
    add("--mode", help="torch interpolate mode (nearest, nearest-exact, bilinear, bicubic, area)")
    add("--antialias", action="store_true", help="antialias (tf.image.resize, F.interpolate)")
    add("--align-corners", action="store_true", help="align_corners (tf: compat.v1 resizers)")
    add("--half-pixel-centers", action="store_true", help="half_pixel_centers (tf compat.v1 resizers)")
    add(
        "--compat-v1",
        action="store_true",
        help="tf resize: the compat.v1 resizer (legacy defaults both False)",
    )
    add("--size", type=ints, help="resize: the output size, written into the printed call")
    add("--json", action="store_true", help="print the result as one JSON object")
    parser.set_defaults(run=_run)
