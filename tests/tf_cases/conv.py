"""Convolution cases: ``nn.conv1d/2d/3d``, their transposes, ``conv_transpose``,
``convolution``, ``atrous_conv2d``, ``depthwise_conv2d`` and ``separable_conv2d``.

Sizes are small and often odd (SAME then splits its padding unevenly), with
strides, dilations, grouped filters, explicit paddings, extra batch axes,
empty inputs and int32 data where TensorFlow computes it. Transposed cases
sweep ``output_shape`` over every size the input accepts and the sizes just
outside. About one case in six is broken on purpose in a way TensorFlow
refuses (or, as for ``NCHW`` on the CPU, cannot run).

Not drawn: calls TensorFlow runs and convscope refuses by design (mixed
dtypes, float strides, depthwise dilation with a stride): see
``tests/test_tf_conv.py``.

Tolerances: float64 to 1e-10; float32 to 1e-5 (atol scaled by the largest
magnitude; sums of at most a few hundred products); float16 to 1e-2 (both
accumulate in float32 and round once, or TensorFlow rounds per partial sum).
int32 is compared exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from convscope.core import tf_transpose_sizes

from . import Case

FLOATS = (np.float32, np.float32, np.float32, np.float64, np.float16)
TOLERANCE = {np.float64: 1e-10, np.float32: 1e-5, np.float16: 1e-2, np.int32: 0.0}
OPS = (
    ("conv2d", 0.22),
    ("conv2d_transpose", 0.18),
    ("conv1d", 0.08),
    ("conv3d", 0.07),
    ("conv1d_transpose", 0.07),
    ("conv3d_transpose", 0.07),
    ("conv_transpose", 0.03),
    ("depthwise_conv2d", 0.11),
    ("separable_conv2d", 0.08),
    ("atrous_conv2d", 0.09),
    ("convolution", 0.08),
)


def _values(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    if dtype is np.int32:
        return rng.integers(-3, 4, size=shape).astype(np.int32)
    return rng.normal(0.0, 1.0, size=shape).astype(dtype)


def _dtype(rng: np.random.Generator, int32: bool) -> Any:
    if int32 and rng.random() < 0.15:
        return np.int32
    return FLOATS[rng.integers(len(FLOATS))]


def _size(rng: np.random.Generator, span: int, most: int = 7) -> int:
    """An input side: usually at least the window, sometimes smaller or empty."""
    roll = rng.random()
    if roll < 0.04:
        return 0
    if roll < 0.12:
        return int(rng.integers(1, span + 1))
    return int(rng.integers(span, max(span, most) + 2))


def _spatial_form(rng: np.random.Generator, values: list[int], forms: tuple[str, ...]) -> Any:
    """``values`` (one per spatial axis) written in one of TensorFlow's accepted forms."""
    form = forms[rng.integers(len(forms))]
    if form == "int" and len(set(values)) == 1:
        return values[0]
    if form == "one" and len(set(values)) == 1:
        return [values[0]]
    if form == "full":
        return [1, *values, 1]
    return list(values)


def _explicit(rng: np.random.Generator, spatial: int) -> list[list[int]]:
    return [[0, 0], *([int(rng.integers(0, 3)), int(rng.integers(0, 3))] for _ in range(spatial)), [0, 0]]


def _padding(rng: np.random.Generator, spatial: int, explicit: bool) -> Any:
    roll = rng.random()
    if explicit and roll < 0.3:
        return _explicit(rng, spatial)
    return "SAME" if roll < 0.65 else "VALID"


def _tolerance(dtype: Any) -> dict[str, float]:
    tol = TOLERANCE[dtype]
    return {"rtol": tol, "atol": tol}


def _conv(rng: np.random.Generator, name: str) -> Case:
    spatial = {"conv1d": 1, "conv2d": 2, "conv3d": 3, "atrous_conv2d": 2}[name]
    int32 = name != "conv3d"
    dtype = _dtype(rng, int32)
    kernel = [int(rng.integers(1, 4 if spatial == 3 else 5)) for _ in range(spatial)]
    strides = [int(rng.integers(1, 4)) for _ in range(spatial)]
    dilations = [1] * spatial
    if name in ("conv1d", "conv2d", "atrous_conv2d") and rng.random() < 0.4:
        dilations = [int(rng.integers(1, 4)) for _ in range(spatial)]
    if name == "atrous_conv2d":
        strides = [1, 1]
        if rng.random() < 0.5:
            dilations = [dilations[0]] * 2
    if rng.random() < 0.3:  # one stride for every axis: the int and [s] forms
        strides = [strides[0]] * spatial
    grouped = name != "conv3d" and rng.random() < 0.3
    groups = int(rng.integers(2, 4)) if grouped else 1
    depth = int(rng.integers(1, 3))
    out_channels = groups * int(rng.integers(1, 3))
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilations)]
    sizes = [_size(rng, s, 5 if spatial == 3 else 8) for s in spans]
    batch = [int(rng.integers(1, 3))]
    if name != "conv3d" and rng.random() < 0.1:
        batch.append(int(rng.integers(1, 3)))
    x = _values(rng, (*batch, *sizes, groups * depth), dtype)
    w = _values(rng, (*kernel, depth, out_channels), dtype)
    padding = _padding(rng, spatial, explicit=name in ("conv2d", "atrous_conv2d"))
    options: dict[str, Any] = {"padding": padding}
    if name == "atrous_conv2d":
        options["rate"] = dilations[0] if dilations[0] == dilations[1] and rng.random() < 0.6 else dilations
        arrays = {"value": x, "filters": w}
    elif name == "conv3d":
        options["strides"] = [1, *strides, 1]
        arrays = {"input": x, "filters": w}
    elif name == "conv1d":
        options["stride"] = _spatial_form(rng, strides, ("int", "one", "full"))
        if dilations[0] > 1 or rng.random() < 0.2:
            options["dilations"] = _spatial_form(rng, dilations, ("int", "one", "full"))
        if rng.random() < 0.2:
            options["data_format"] = "NWC"
        arrays = {"input": x, "filters": w}
    else:
        options["strides"] = _spatial_form(rng, strides, ("int", "one", "list", "full"))
        if dilations != [1, 1] or rng.random() < 0.2:
            options["dilations"] = _spatial_form(rng, dilations, ("int", "one", "list", "full"))
        arrays = {"input": x, "filters": w}
    note = f"{name} x{x.shape} w{w.shape} groups={groups} {options}"
    return Case(f"nn.{name}", arrays, options, note=note, **_tolerance(dtype))


def _convolution(rng: np.random.Generator) -> Case:
    """``nn.convolution``: any rank; dilated calls take TensorFlow's space-to-batch path."""
    spatial = int(rng.integers(1, 4))
    dtype = _dtype(rng, spatial < 3)
    kernel = [int(rng.integers(1, 4)) for _ in range(spatial)]
    strides, dilations = [1] * spatial, [1] * spatial
    if rng.random() < 0.5:
        dilations = [int(rng.integers(1, 4)) for _ in range(spatial)]
    else:
        strides = [int(rng.integers(1, 4)) for _ in range(spatial)]
    if rng.random() < 0.4:
        strides, dilations = [strides[0]] * spatial, [dilations[0]] * spatial
    groups = int(rng.integers(2, 4)) if rng.random() < 0.25 else 1
    depth = int(rng.integers(1, 3))
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilations)]
    sizes = [_size(rng, s, 6 if spatial == 3 else 8) for s in spans]
    x = _values(rng, (int(rng.integers(1, 3)), *sizes, groups * depth), dtype)
    w = _values(rng, (*kernel, depth, groups * int(rng.integers(1, 3))), dtype)
    options: dict[str, Any] = {"padding": _padding(rng, spatial, explicit=spatial == 2)}
    forms = ("int", "one", "list", "full")
    if strides != [1] * spatial or rng.random() < 0.3:
        options["strides"] = _spatial_form(rng, strides, forms)
    if dilations != [1] * spatial or rng.random() < 0.3:
        options["dilations"] = _spatial_form(rng, dilations, forms)
    note = f"convolution x{x.shape} w{w.shape} {options}"
    return Case("nn.convolution", {"input": x, "filters": w}, options, note=note, **_tolerance(dtype))


def _output_size(rng: np.random.Generator, accepted: range) -> int:
    """Mostly an accepted size (every one of them in turn), sometimes one just outside."""
    if len(accepted) and rng.random() < 0.8:
        return int(accepted[rng.integers(len(accepted))])
    low = max(accepted.start - 2, 0) if len(accepted) else 0
    outside = [o for o in range(low, accepted.stop + 2) if o not in accepted]
    return int(outside[rng.integers(len(outside))])


def _transpose(rng: np.random.Generator, name: str) -> Case:
    spatial = {"conv1d_transpose": 1, "conv2d_transpose": 2, "conv3d_transpose": 3}.get(name, 0)
    if name == "conv_transpose":
        spatial = int(rng.integers(1, 4))
    dtype = _dtype(rng, spatial < 3)
    kernel = [int(rng.integers(1, 4 if spatial == 3 else 5)) for _ in range(spatial)]
    strides = [int(rng.integers(1, 4)) for _ in range(spatial)]
    if rng.random() < 0.3:
        strides = [strides[0]] * spatial
    padding = _padding(rng, spatial, explicit=spatial == 2 and name == "conv2d_transpose")
    sizes = [
        int(rng.integers(0, 5)) if rng.random() < 0.05 else int(rng.integers(1, 5)) for _ in range(spatial)
    ]
    outs = []
    for axis in range(spatial):
        pad = padding if isinstance(padding, str) else tuple(padding[axis + 1])
        outs.append(_output_size(rng, tf_transpose_sizes(sizes[axis], kernel[axis], strides[axis], pad)))
    batch, in_channels, out_channels = (
        int(rng.integers(1, 3)),
        int(rng.integers(1, 4)),
        int(rng.integers(1, 4)),
    )
    y = _values(rng, (batch, *sizes, in_channels), dtype)
    w = _values(rng, (*kernel, out_channels, in_channels), dtype)
    output_shape: list[int] = [batch, *outs, out_channels]
    if name == "conv2d_transpose" and rng.random() < 0.15:
        output_shape = outs
    forms = ("int", "one", "full") if spatial == 1 else ("int", "one", "list", "full")
    options: dict[str, Any] = {
        "output_shape": output_shape,
        "strides": _spatial_form(rng, strides, forms),
        "padding": padding,
    }
    if rng.random() < 0.1:
        options["dilations"] = 1
    note = f"{name} y{y.shape} w{w.shape} {options}"
    return Case(f"nn.{name}", {"input": y, "filters": w}, options, note=note, **_tolerance(dtype))


def _depthwise(rng: np.random.Generator, name: str) -> Case:
    dtype = FLOATS[rng.integers(len(FLOATS))]
    kernel = [int(rng.integers(1, 5)) for _ in range(2)]
    stride = int(rng.integers(1, 4))
    rates = [1, 1]
    if rng.random() < 0.4:
        stride = 1
        rates = [int(rng.integers(1, 4)) for _ in range(2)]
    spans = [r * (k - 1) + 1 for k, r in zip(kernel, rates)]
    channels, multiplier = int(rng.integers(1, 4)), int(rng.integers(1, 3))
    x = _values(rng, (int(rng.integers(1, 3)), *(_size(rng, s) for s in spans), channels), dtype)
    dw = _values(rng, (*kernel, channels, multiplier), dtype)
    options: dict[str, Any] = {"strides": [1, stride, stride, 1], "padding": _padding(rng, 2, explicit=True)}
    if rates != [1, 1] or rng.random() < 0.2:
        options["dilations"] = rates
    if rng.random() < 0.15:
        options["data_format"] = "NHWC"
    arrays = {"input": x, "filter": dw}
    if name == "separable_conv2d":
        groups = int(rng.choice([g for g in (1, 2, 3) if (channels * multiplier) % g == 0]))
        pw = _values(rng, (1, 1, channels * multiplier // groups, groups * int(rng.integers(1, 3))), dtype)
        arrays = {"input": x, "depthwise_filter": dw, "pointwise_filter": pw}
    note = f"{name} x{x.shape} {options}"
    return Case(f"nn.{name}", arrays, options, note=note, **_tolerance(dtype))


def _break(rng: np.random.Generator, case: Case) -> Case:
    """Make ``case`` invalid in one of the ways TensorFlow refuses."""
    name = case.call.split(".")[-1]
    first = next(iter(case.arrays))
    x = case.arrays[first]
    flaws = ["padding", "format", "rank", "dtype", "channels"]
    if "strides" in case.options:
        flaws += ["stride0", "stride_batch"]
    if isinstance(case.options.get("padding"), list):
        flaws += ["negative_pad", "batch_pad"]
    if "output_shape" in case.options and len(case.options["output_shape"]) > 2:
        flaws += ["out_batch", "out_channels", "dilated"]
    if name in ("conv3d",):
        flaws += ["dilated"]
    if name in ("depthwise_conv2d", "separable_conv2d"):
        flaws += ["unequal"]
    flaw = flaws[rng.integers(len(flaws))]
    if flaw == "padding":
        case.options["padding"] = ["same", "valid", "FULL", "EXPLICIT"][rng.integers(4)]
    elif flaw == "format" and name != "atrous_conv2d":
        formats = {1: ["NCW", "NCHW_VECT_C"], 2: ["NCHW", "NWC"], 3: ["NCDHW", "NHWC"]}
        spatial = case.arrays[first].ndim - 2
        spatial = {"conv1d": 1, "conv1d_transpose": 1, "conv3d": 3, "conv3d_transpose": 3}.get(
            name, min(spatial, 2)
        )
        if name == "convolution":
            spatial = case.arrays["filters"].ndim - 2
        case.options["data_format"] = formats[spatial][rng.integers(2)]
    elif flaw == "rank":
        case.arrays[first] = x.reshape(x.shape[0] * x.shape[1], *x.shape[2:]) if x.ndim > 3 else x[0]
    elif flaw == "dtype":
        case.arrays = {k: v.astype(np.int64) for k, v in case.arrays.items()}
    elif flaw == "channels":
        case.arrays[first] = (
            np.concatenate([x, x[..., :1]], axis=-1) if x.shape[-1] % 2 else x[..., :1].repeat(3, -1)
        )
        if name == "conv3d" or name.endswith("transpose") or "depthwise" in name or "separable" in name:
            case.arrays[first] = np.concatenate([x, x[..., :1]], axis=-1)
    elif flaw == "stride0":
        strides = case.options["strides"]
        case.options["strides"] = 0 if isinstance(strides, int) else [0] * len(strides)
    elif flaw == "stride_batch":
        spatial = x.ndim - 2
        case.options["strides"] = [2, *([1] * spatial), 1]
    elif flaw == "negative_pad":
        case.options["padding"][1] = [-1, 1]
    elif flaw == "batch_pad":
        case.options["padding"][0] = [1, 0]
    elif flaw == "out_batch":
        case.options["output_shape"][0] += 1
    elif flaw == "out_channels":
        case.options["output_shape"][-1] += 1
    elif flaw == "dilated":
        spatial = x.ndim - 2
        case.options["dilations"] = [1, *([2] * spatial), 1]
    elif flaw == "unequal":
        case.options["strides"] = [1, 1, 2, 1]
    case.note += f"; invalid: {flaw}"
    return case


def draw(rng: np.random.Generator) -> Case:
    """One random convolution call, broken on purpose about one time in six."""
    names = [n for n, _ in OPS]
    weights = np.array([p for _, p in OPS])
    name = names[rng.choice(len(names), p=weights / weights.sum())]
    if "transpose" in name:
        case = _transpose(rng, name)
    elif name in ("depthwise_conv2d", "separable_conv2d"):
        case = _depthwise(rng, name)
    elif name == "convolution":
        case = _convolution(rng)
    else:
        case = _conv(rng, name)
    return _break(rng, case) if rng.random() < 0.16 else case


def _seed003() -> list[Case]:
    """Seed 003: all-ones 4x4 and 5x5 inputs with a 2x2 filter, and the transposes of a 2x2 input."""
    w = np.ones((2, 2, 1, 1), np.float32)
    cases = [
        Case(
            "nn.conv2d",
            {"input": np.ones((1, n, n, 1), np.float32), "filters": w},
            {"strides": s, "padding": p},
            note=f"seed 003: {n}x{n} {p} stride {s}",
        )
        for n in (4, 5)
        for p in ("SAME", "VALID")
        for s in (1, 2)
    ]
    x = np.ones((1, 2, 2, 1), np.float32)
    for size, stride, padding in [
        (2, 1, "SAME"),
        (3, 1, "VALID"),
        (4, 2, "SAME"),
        (4, 2, "VALID"),
        (3, 2, "SAME"),
        (5, 2, "VALID"),
        (5, 2, "SAME"),
        (3, 2, "VALID"),
    ]:
        cases.append(
            Case(
                "nn.conv2d_transpose",
                {"input": x, "filters": w},
                {"output_shape": [1, size, size, 1], "strides": stride, "padding": padding},
                note=f"seed 003: 2x2 -> {size}x{size} {padding} stride {stride}",
            )
        )
    return cases


def _quirks() -> list[Case]:
    """TensorFlow corners a random draw seldom reaches, each checked here once."""
    rng = np.random.default_rng(3)

    def f32(*shape: int) -> np.ndarray:
        return _values(rng, shape, np.float32)

    def case(call: str, note: str, arrays: dict[str, np.ndarray], **options: Any) -> Case:
        dtype = next(iter(arrays.values())).dtype.type
        return Case(f"nn.{call}", arrays, options, note=f"quirk: {note}", **_tolerance(dtype))

    return [
        case(
            "conv3d",
            "SAME with stride above the window crops the low side",
            {"input": f32(1, 6, 4, 3, 2), "filters": f32(1, 2, 1, 2, 2)},
            strides=[1, 3, 2, 3, 1],
            padding="SAME",
        ),
        case(
            "conv3d",
            "SAME, stride 4 over a 1-tap window",
            {"input": f32(2, 7, 6, 5, 1), "filters": f32(1, 1, 2, 1, 3)},
            strides=[1, 4, 4, 3, 1],
            padding="SAME",
        ),
        case(
            "conv3d",
            "dilation refused only for a non-empty output",
            {"input": f32(0, 4, 4, 4, 1), "filters": f32(2, 2, 2, 1, 1)},
            strides=[1, 1, 1, 1, 1],
            padding="SAME",
            dilations=[1, 2, 2, 2, 1],
        ),
        case(
            "conv1d",
            "three-entry stride: the first steps along the inserted unit axis",
            {"input": f32(2, 9, 2), "filters": f32(3, 2, 2)},
            stride=[3, 2, 1],
            padding="SAME",
            dilations=[2, 2, 1],
        ),
        case(
            "conv1d",
            "extra batch axes",
            {"input": f32(2, 3, 6, 1), "filters": f32(2, 1, 2)},
            stride=1,
            padding="VALID",
        ),
        case(
            "conv2d",
            "extra batch axes",
            {"input": f32(2, 1, 5, 4, 2), "filters": f32(2, 3, 1, 2)},
            strides=[1, 2],
            padding="SAME",
        ),
        case(
            "conv2d",
            "NCHW on the CPU: an empty output is returned",
            {"input": f32(0, 2, 5, 5), "filters": f32(2, 2, 2, 3)},
            strides=[1, 1, 2, 2],
            padding="SAME",
            data_format="NCHW",
        ),
        case(
            "conv2d",
            "NCHW on the CPU: refused when not empty",
            {"input": f32(1, 2, 5, 5), "filters": f32(2, 2, 2, 3)},
            strides=1,
            padding="SAME",
            data_format="NCHW",
        ),
        case(
            "conv2d",
            "groups not dividing the output channels: fine when empty",
            {"input": f32(1, 1, 2, 4), "filters": f32(1, 4, 2, 3)},
            strides=3,
            padding="VALID",
        ),
        case(
            "conv2d",
            "VALID overhang by less than a stride: empty, not refused",
            {"input": f32(1, 3, 3, 1), "filters": f32(6, 1, 1, 1)},
            strides=2,
            padding="VALID",
        ),
        case(
            "conv2d",
            "int32",
            {"input": _values(rng, (1, 5, 4, 2), np.int32), "filters": _values(rng, (3, 2, 2, 2), np.int32)},
            strides=[2, 1],
            padding="SAME",
        ),
        case(
            "atrous_conv2d",
            "explicit padding refused at rate 1",
            {"value": f32(1, 5, 5, 1), "filters": f32(2, 2, 1, 1)},
            rate=1,
            padding=[[0, 0], [1, 0], [0, 1], [0, 0]],
        ),
        case(
            "atrous_conv2d",
            "rate 2: batch and channel pads ignored",
            {"value": f32(2, 6, 8, 2), "filters": f32(3, 3, 2, 1)},
            rate=2,
            padding=[[1, 0], [0, 0], [2, 1], [3, 3]],
        ),
        case(
            "depthwise_conv2d",
            "rate [1, 2]: channel pads ignored",
            {"input": f32(1, 5, 7, 2), "filter": f32(2, 2, 2, 2)},
            strides=[1, 1, 1, 1],
            padding=[[0, 0], [1, 0], [2, 1], [1, 1]],
            dilations=[1, 2],
        ),
        case(
            "depthwise_conv2d",
            "rate 1: channel pads refused",
            {"input": f32(1, 5, 7, 2), "filter": f32(2, 2, 2, 2)},
            strides=[1, 1, 1, 1],
            padding=[[0, 0], [1, 0], [2, 1], [1, 1]],
        ),
        case(
            "conv2d_transpose",
            "output_shape of the two sizes only",
            {"input": f32(2, 2, 3, 3), "filters": f32(3, 2, 4, 3)},
            output_shape=[4, 6],
            strides=2,
            padding="SAME",
        ),
        case(
            "conv2d_transpose",
            "empty input, VALID: size 1 is reachable",
            {"input": f32(1, 0, 2, 1), "filters": f32(2, 2, 1, 1)},
            output_shape=[1, 1, 4, 1],
            strides=2,
            padding="VALID",
        ),
        case(
            "conv2d_transpose",
            "explicit pads larger than the output",
            {"input": f32(1, 2, 2, 1), "filters": f32(2, 2, 1, 1)},
            output_shape=[1, 0, 3, 1],
            strides=2,
            padding=[[0, 0], [3, 2], [0, 1], [0, 0]],
        ),
        case(
            "conv2d_transpose",
            "int32",
            {"input": _values(rng, (1, 3, 2, 2), np.int32), "filters": _values(rng, (3, 3, 1, 2), np.int32)},
            output_shape=[1, 6, 3, 1],
            strides=[2, 2],
            padding="SAME",
        ),
        case(
            "conv1d_transpose",
            "three-entry strides",
            {"input": f32(1, 3, 2), "filters": f32(3, 1, 2)},
            output_shape=[1, 7, 1],
            strides=[1, 2, 1],
            padding="VALID",
        ),
        case(
            "conv1d_transpose",
            "one-entry output_shape [1]: the inserted unit axis, width 1",
            {"input": f32(2, 1, 2), "filters": f32(1, 3, 2)},
            output_shape=[1],
            strides=2,
            padding="SAME",
        ),
        case(
            "conv1d_transpose",
            "one-entry output_shape [2]: refused",
            {"input": f32(2, 1, 2), "filters": f32(1, 3, 2)},
            output_shape=[2],
            strides=2,
            padding="SAME",
        ),
        case(
            "conv3d_transpose",
            "float16",
            {
                "input": _values(rng, (1, 2, 3, 2, 1), np.float16),
                "filters": _values(rng, (2, 3, 2, 2, 1), np.float16),
            },
            output_shape=[1, 4, 5, 2, 2],
            strides=[2, 2, 1],
            padding="SAME",
        ),
    ]


FIXED: list[Case] = _seed003() + _quirks()
