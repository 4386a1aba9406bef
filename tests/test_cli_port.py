"""``convscope port`` and the seed-003 tour stop, run as a user runs them.

The printed PyTorch code is executed (``exec``) with real torch and compared
with real TensorFlow (live, skipped without it); the tour stop's matrices
are compared with TensorFlow's, and without TensorFlow with PyTorch run on
the ported arguments.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as tF

import tf_cases  # noqa: F401  (imported first: TensorFlow's environment)
from convscope import arith

HAVE_TF = importlib.util.find_spec("tensorflow") is not None
needs_tf = pytest.mark.skipif(not HAVE_TF, reason="TensorFlow is not installed")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "convscope", "port", *args], capture_output=True, text=True, timeout=120
    )


def _tf() -> Any:
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    return tf


def test_help_lists_examples() -> None:
    result = _run("--help")
    assert result.returncode == 0
    assert (
        "usage: convscope port" in result.stdout
        and "examples:" in result.stdout
        and "--json" in result.stdout
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["tf", "conv2d", "--input", "1,4,4", "--filters", "2,2,1,1"], "--input=1,4,4 must have 4 sizes"),
        (
            ["tf", "conv2d", "--input", "1,4,4,1", "--filters", "2,2,1,1", "--stride", "2"],
            "--stride does not apply",
        ),
        (["tf", "nope"], "tf op 'nope' is not one of"),
        (
            [
                "tf",
                "conv2d_transpose",
                "--input",
                "1,2,2,1",
                "--filters",
                "2,2,1,1",
                "--output-shape",
                "1,5,5,1",
                "--strides",
                "2",
            ],
            "TensorFlow refuses output_shape",
        ),
        (
            [
                "torch",
                "conv2d",
                "--input",
                "1,3,4,4",
                "--weight",
                "8,3,3,3",
                "--stride",
                "2",
                "--padding",
                "same",
            ],
            "same",
        ),
        (["tf", "conv2d", "--input", "1,a,4,1"], "expected an int or comma-separated ints"),
        (["java", "conv2d"], "invalid choice: 'java'"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args: list[str], message: str) -> None:
    result = _run(*args)
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr, result.stderr
    assert result.stderr.startswith("convscope port: error:")


def _exec(code: list[str], **names: Any) -> Any:
    scope: dict[str, Any] = {"F": tF, "torch": torch, **names}
    exec("\n".join(code), scope)  # the printed code, run as printed
    return scope["y"]


TF_CASES = [
    ["conv2d", "--input", "1,5,5,3", "--filters", "3,3,3,8", "--strides", "2", "--padding", "SAME"],
    ["conv2d", "--input", "1,4,6,2", "--filters", "2,3,2,4", "--padding", "SAME"],
    ["conv2d", "--input", "1,7,6,4", "--filters", "3,2,2,6", "--strides", "1,2", "--padding", "1:0,0:2"],
    ["conv1d", "--input", "2,9,3", "--filters", "4,3,5", "--strides", "3", "--padding", "SAME"],
    ["conv3d", "--input", "1,6,5,4,1", "--filters", "1,2,1,1,2", "--strides", "3", "--padding", "SAME"],
    [
        "conv2d_transpose",
        "--input",
        "1,3,3,2",
        "--filters",
        "3,3,4,2",
        "--output-shape",
        "1,6,5,4",
        "--strides",
        "2",
        "--padding",
        "SAME",
    ],
    ["conv2d_transpose", "--input", "1,2,2,1", "--filters", "2,2,1,1", "--output-shape", "1,2,2,1"],
    [
        "conv2d_transpose",
        "--input",
        "1,2,3,1",
        "--filters",
        "2,2,3,1",
        "--output-shape",
        "1,5,7,3",
        "--strides",
        "2",
        "--padding",
        "VALID",
    ],
    ["depthwise_conv2d", "--input", "1,6,6,3", "--filters", "3,3,3,2", "--strides", "2", "--padding", "SAME"],
    ["max_pool2d", "--input", "1,5,5,2", "--ksize", "2", "--strides", "2", "--padding", "SAME"],
    ["avg_pool2d", "--input", "1,5,6,2", "--ksize", "3", "--strides", "2", "--padding", "SAME"],
    ["avg_pool2d", "--input", "1,4,4,2", "--ksize", "2", "--strides", "1", "--padding", "SAME"],
    ["max_pool3d", "--input", "1,6,6,6,1", "--ksize", "1", "--strides", "3", "--padding", "SAME"],
]


def _tf_call(tf: Any, op: str, x: np.ndarray, w: np.ndarray | None, options: dict[str, Any]) -> np.ndarray:
    padding = options["padding"]
    if isinstance(padding, tuple):
        padding = [[0, 0], *map(list, padding), [0, 0]]
    strides = list(options["strides"])
    if op.startswith(("max_pool", "avg_pool")):
        return getattr(tf.nn, op)(x, list(options["ksize"]), strides, padding).numpy()  # type: ignore[no-any-return]
    if op == "conv3d":
        strides = [1, *([strides[0]] * 3 if len(strides) == 1 else strides), 1]
    if op == "depthwise_conv2d":
        strides = [1, *([strides[0]] * 2), 1]
    if "transpose" in op:
        return getattr(tf.nn, op)(x, w, options["output_shape"], strides, padding).numpy()  # type: ignore[no-any-return]
    return getattr(tf.nn, op)(x, w, strides, padding).numpy()  # type: ignore[no-any-return]


def _options(args: list[str]) -> dict[str, Any]:
    raw = dict(zip(args[1::2], args[2::2]))
    options: dict[str, Any] = {"strides": tuple(int(v) for v in raw.get("--strides", "1").split(","))}
    padding = raw.get("--padding", "SAME" if "transpose" in args[0] else "VALID")
    if ":" in padding:
        options["padding"] = tuple(tuple(int(v) for v in p.split(":")) for p in padding.split(","))
    else:
        options["padding"] = padding
    for key in ("--ksize", "--output-shape"):
        if key in raw:
            options[key[2:].replace("-", "_")] = [int(v) for v in raw[key].split(",")]
    return options


@needs_tf
@pytest.mark.parametrize("args", TF_CASES, ids=lambda a: "-".join(a[:1] + a[2:3]))
def test_printed_torch_code_runs_like_tf(args: list[str]) -> None:
    result = _run("tf", *args, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    shape = [int(v) for v in args[args.index("--input") + 1].split(",")]
    rng = np.random.default_rng(len(args))
    x = rng.standard_normal(shape).astype(np.float32)
    w = None
    names: dict[str, Any] = {"x": torch.from_numpy(x)}
    if "--filters" in args:
        w = rng.standard_normal([int(v) for v in args[args.index("--filters") + 1].split(",")]).astype(
            np.float32
        )
        names["filters"] = torch.from_numpy(w)
    expected = _tf_call(_tf(), args[0], x, w, _options(args))
    ours = _exec(data["code"], **names).numpy()
    assert ours.shape == expected.shape == tuple(data["output_shape"])
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-5)
    # the plain-text form prints the same code
    plain = _run("tf", *args).stdout.splitlines()
    assert [line for line in plain if not line.startswith("#")] == data["code"]


TORCH_CASES = [
    ("conv2d", dict(stride=2, padding=1), (1, 3, 6, 6), (8, 3, 3, 3)),
    ("conv2d", dict(stride=2, padding=1), (1, 3, 5, 5), (8, 3, 3, 3)),
    ("conv2d", dict(stride=1, padding=0, dilation=2, groups=2), (1, 4, 7, 7), (6, 2, 3, 3)),
    ("conv_transpose2d", dict(stride=2, padding=1, output_padding=1), (1, 2, 3, 3), (2, 4, 3, 3)),
    ("conv_transpose2d", dict(stride=2, padding=1), (1, 2, 3, 4), (2, 3, 4, 4)),
    ("conv_transpose2d", dict(stride=3, padding=0, output_padding=2), (1, 1, 2, 2), (1, 1, 2, 3)),
    ("conv1d", dict(stride=2, padding=1), (1, 3, 8), (4, 3, 3)),
    ("conv1d", dict(stride=2, padding=1), (1, 3, 7), (4, 3, 3)),
    ("conv3d", dict(stride=2, padding=1), (1, 2, 6, 5, 4), (3, 2, 3, 2, 3)),
    ("conv_transpose1d", dict(stride=2, padding=0, output_padding=1), (1, 2, 3), (2, 3, 2)),
    ("conv_transpose3d", dict(stride=2, padding=1), (1, 2, 2, 3, 2), (2, 1, 4, 4, 4)),
]


@needs_tf
@pytest.mark.parametrize("op, options, shape, weight", TORCH_CASES)
def test_printed_tf_code_runs_like_torch(
    op: str, options: dict[str, int], shape: tuple[int, ...], weight: tuple[int, ...]
) -> None:
    args = ["torch", op, "--input", ",".join(map(str, shape)), "--weight", ",".join(map(str, weight))]
    for key, value in options.items():
        args += [f"--{key.replace('_', '-')}", str(value)]
    result = _run(*args, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal(shape), rng.standard_normal(weight)
    expected = getattr(tF, op)(torch.from_numpy(x), torch.from_numpy(w), **options).numpy()
    tf = _tf()
    got = np.asarray(_exec(data["code"], tf=tf, x=tf.constant(x), weight=tf.constant(w)))
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


@needs_tf
def test_resize_port_prints_a_working_call() -> None:
    data = json.loads(
        _run("tf", "resize", "--method", "bilinear", "--antialias", "--size", "3,4", "--json").stdout
    )
    x = np.random.default_rng(0).standard_normal((1, 2, 7, 9)).astype(np.float32)
    got = _exec(data["code"], x=torch.from_numpy(x)).numpy()
    expected = _tf().image.resize(np.moveaxis(x, 1, -1), (3, 4), antialias=True).numpy()
    np.testing.assert_allclose(np.moveaxis(got, 1, -1), expected, rtol=1e-5, atol=1e-5)
    back = json.loads(_run("torch", "interpolate", "--mode", "nearest", "--size", "5,5", "--json").stdout)
    tf = _tf()
    got = _exec(back["code"], tf=tf, x=np.moveaxis(x, 1, -1)).numpy()
    np.testing.assert_array_equal(
        np.moveaxis(got, -1, 1), tF.interpolate(torch.from_numpy(x), size=(5, 5)).numpy()
    )


def test_resize_without_equivalent_says_so() -> None:
    result = _run("tf", "resize", "--method", "lanczos3")
    assert result.returncode == 0 and "# no equivalent" in result.stdout
    data = json.loads(_run("tf", "resize", "--method", "area", "--json").stdout)
    assert data["exact"] is False and data["exact_when"] and data["code"]


def test_port_json_without_tf_matches_torch() -> None:
    """Without TensorFlow: the printed code for seed 003's SAME conv equals torch's own 'same'."""
    data = json.loads(
        _run(
            "tf", "conv2d", "--input", "1,4,4,1", "--filters", "2,2,1,1", "--padding", "SAME", "--json"
        ).stdout
    )
    assert data["pre_pad"] == [0, 1, 0, 1] and data["string"] == "same"
    x = torch.randn(1, 4, 4, 1, dtype=torch.float64)
    w = torch.randn(2, 2, 1, 1, dtype=torch.float64)
    ours = _exec(data["code"], x=x, filters=w)
    same = tF.conv2d(x.permute(0, 3, 1, 2), w.permute(3, 2, 0, 1), padding="same").permute(0, 2, 3, 1)
    assert torch.allclose(ours, same, rtol=1e-12, atol=1e-12)


# -- the tour stop for seed 003 ------------------------------------------------------------
def _stop() -> Any:
    from convscope.cli.tour import STOPS

    stops = [make for make in STOPS if make.__name__ == "_tf_padding_and_transpose"]
    assert len(stops) == 1
    return stops[0]()


CONV_EXAMPLES = [
    (4, "SAME", 1),
    (4, "VALID", 1),
    (4, "SAME", 2),
    (4, "VALID", 2),
    (5, "SAME", 2),
    (5, "VALID", 2),
]
TRANSPOSE_EXAMPLES = [(2, 1, "SAME"), (3, 1, "VALID"), (4, 2, "SAME"), (4, 2, "VALID")]


@needs_tf
def test_seed_003_stop_prints_tensorflows_matrices() -> None:
    tf = _tf()
    facts = _stop().facts
    for size, padding, stride in CONV_EXAMPLES:
        expected = tf.nn.conv2d(tf.ones([1, size, size, 1]), tf.ones([2, 2, 1, 1]), stride, padding).numpy()
        assert facts[f"conv2d {size}x{size} {padding} s{stride}"]["output"] == expected[0, :, :, 0].tolist()
    for output, stride, padding in TRANSPOSE_EXAMPLES:
        fact = facts[f"conv2d_transpose {output}x{output} {padding} s{stride}"]
        for o in range(1, 7):  # every size TensorFlow accepts, and only those, is in the stop
            try:
                out = tf.nn.conv2d_transpose(
                    tf.ones([1, 2, 2, 1]), tf.ones([2, 2, 1, 1]), [1, o, o, 1], stride, padding
                )
            except Exception:
                assert o not in fact["accepted"]
                continue
            assert o in fact["accepted"] and fact["outputs"][str(o)] == out.numpy()[0, :, :, 0].tolist()
    assert facts["conv2d_transpose 4x4 SAME s2"]["accepted"] == [3, 4]
    assert facts["conv2d_transpose 4x4 VALID s2"]["accepted"] == [4, 5]


def test_seed_003_stop_matches_torch_with_ported_arguments() -> None:
    stop = _stop()
    ones = torch.ones
    for size, padding, stride in CONV_EXAMPLES:
        port = arith.tf_padding_to_torch((size, size), 2, stride, padding)
        x = ones(1, 1, size, size, dtype=torch.float64)
        if port.pre_pad is not None:
            x = tF.pad(x, port.pre_pad)
        expected = tF.conv2d(x, ones(1, 1, 2, 2, dtype=torch.float64), stride=stride, padding=port.padding)
        fact = stop.facts[f"conv2d {size}x{size} {padding} s{stride}"]
        assert fact["output"] == expected[0, 0].tolist()
        assert tuple(fact["pads"]) == port.pairs[0]
    # the seed's remark: SAME puts the extra zero bottom/right
    assert stop.facts["conv2d 4x4 SAME s1"]["pads"] == (0, 1)
    for output, stride, padding in TRANSPOSE_EXAMPLES:
        fact = stop.facts[f"conv2d_transpose {output}x{output} {padding} s{stride}"]
        for o, matrix in fact["outputs"].items():
            t = arith.tf_transpose_to_torch((2, 2), 2, (int(o), int(o)), stride, padding)
            y = tF.conv_transpose2d(
                ones(1, 1, 2, 2, dtype=torch.float64),
                ones(1, 1, 2, 2, dtype=torch.float64),
                stride=stride,
                padding=t.padding,
                output_padding=t.output_padding,
            )
            if t.post_pad is not None:
                y = tF.pad(y, t.post_pad)
            assert matrix == y[0, 0].tolist()
    assert any("equal: True" in line for line in stop.lines) and not any(
        "equal: False" in line for line in stop.lines
    )
