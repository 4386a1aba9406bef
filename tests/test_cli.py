"""The command line, run as a user runs it: in a subprocess."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import convscope.functional as CF
from convscope.cli.main import main


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "convscope", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def test_help_everywhere() -> None:
    for args in (["--help"], ["tour", "--help"]):
        result = _run(*args)
        assert result.returncode == 0
        assert "usage: convscope" in result.stdout


def test_bad_arguments_exit_2_with_one_clear_line() -> None:
    result = _run("no-such-command")
    assert result.returncode == 2
    assert "invalid choice: 'no-such-command'" in result.stderr


def test_tour_writes_its_outputs_and_matches_torch(tmp_path: Path) -> None:
    result = _run("tour", "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "tour.md").read_text().startswith("# convscope tour")
    facts = {
        stop["title"]: stop["facts"] for stop in json.loads((tmp_path / "out" / "tour.json").read_text())
    }
    # The seed 001 shapes, checked against torch's own layers.
    shapes = facts["Transposed convolution output sizes (nn.ConvTranspose2d)"]
    for shape, k, p, s in [
        ((1, 1, 2, 2), 3, 0, 1),
        ((1, 1, 6, 6), 4, 2, 1),
        ((1, 1, 7, 7), 3, 2, 1),
        ((1, 1, 2, 2), 3, 0, 2),
    ]:
        layer = torch.nn.ConvTranspose2d(1, 1, k, stride=s, padding=p)
        expected = list(layer(torch.zeros(shape)).shape)
        assert shapes[f"transposed k{k} p{p} s{s} on {shape}"] == expected
    # The seed 004 matrix: C @ x equals torch's convolution of x.
    matrix = np.array(facts["Convolution is a matrix C; transposed convolution is C^T"]["matrix"])
    x = np.random.default_rng(0).standard_normal(9)
    w = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]], dtype=torch.float64)
    reference = torch.nn.functional.conv2d(torch.tensor(x).reshape(1, 1, 3, 3), w).numpy().ravel()
    np.testing.assert_allclose(matrix @ x, reference, rtol=1e-12)


# -- the analysis subcommands (issue 6 item 8) ------------------------------------
# Most checks call main() in-process (capsys); a few run the real command in a subprocess.
ANALYSIS = ("shape", "rf", "overlap", "gridding", "matrix", "cost", "summary")


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of ``convscope ARGS`` run in-process."""
    try:
        code = main(list(args))
    except SystemExit as exit_:  # argparse: --help and bad arguments
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code, out, err = _cli(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_analysis_help(capsys: pytest.CaptureFixture[str]) -> None:
    result = _run("shape", "--help")  # one real subprocess
    assert result.returncode == 0 and "usage: convscope shape" in result.stdout
    for command in ANALYSIS:
        code, out, _ = _cli(capsys, command, "--help")
        assert code == 0
        assert f"usage: convscope {command}" in out and "--json" in out and "examples:" in out
    assert all(command in _cli(capsys, "--help")[1] for command in ANALYSIS)


def _torch_shape(op: str, size: tuple[int, ...], **kw: Any) -> list[int]:
    x = torch.zeros((1, 1, *size), dtype=torch.float64)
    n = len(size)
    kernel = kw.pop("kernel")
    if op in ("conv", "conv_transpose"):
        w = torch.zeros((1, 1, *((kernel,) * n if isinstance(kernel, int) else kernel)), dtype=torch.float64)
        fn = getattr(torch.nn.functional, f"{op}{n}d")
        return list(fn(x, w, **kw).shape[2:])
    return list(getattr(torch.nn.functional, f"{op}{n}d")(x, kernel, **kw).shape[2:])


SHAPE_CASES = [
    (
        ["conv", "--input", "7,9", "--kernel", "3", "--stride", "2", "--padding", "1"],
        ("conv", (7, 9), {"kernel": 3, "stride": 2, "padding": 1}),
    ),
    (
        ["conv", "--input", "8,5", "--kernel", "4,3", "--padding", "same", "--dilation", "2"],
        ("conv", (8, 5), {"kernel": (4, 3), "padding": "same", "dilation": 2}),
    ),
    (
        ["conv", "--input", "6,7,8", "--kernel", "3", "--stride", "1,2,3", "--padding", "1,0,2"],
        ("conv", (6, 7, 8), {"kernel": 3, "stride": (1, 2, 3), "padding": (1, 0, 2)}),
    ),
    (
        ["conv", "--input", "12", "--kernel", "3", "--dilation", "3", "--padding", "valid"],
        ("conv", (12,), {"kernel": 3, "dilation": 3, "padding": "valid"}),
    ),
    (
        [
            "transposed",
            "--input",
            "3,4",
            "--kernel",
            "3",
            "--stride",
            "2",
            "--padding",
            "1",
            "--output-padding",
            "1",
        ],
        ("conv_transpose", (3, 4), {"kernel": 3, "stride": 2, "padding": 1, "output_padding": 1}),
    ),
    (
        [
            "conv_transpose",
            "--input",
            "5",
            "--kernel",
            "3",
            "--stride",
            "3",
            "--dilation",
            "2",
            "--output-padding",
            "2",
        ],
        ("conv_transpose", (5,), {"kernel": 3, "stride": 3, "dilation": 2, "output_padding": 2}),
    ),
    (
        ["pool", "--input", "6,7", "--kernel", "3", "--stride", "2", "--padding", "1", "--ceil-mode"],
        ("max_pool", (6, 7), {"kernel": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    ),
    (
        ["maxpool", "--input", "5", "--kernel", "2", "--stride", "2", "--padding", "1", "--ceil-mode"],
        ("max_pool", (5,), {"kernel": 2, "stride": 2, "padding": 1, "ceil_mode": True}),
    ),  # last window dropped
    (
        ["maxpool", "--input", "9", "--kernel", "3", "--dilation", "2"],
        ("max_pool", (9,), {"kernel": 3, "dilation": 2}),
    ),
    (["avgpool", "--input", "7,8", "--kernel", "2,3"], ("avg_pool", (7, 8), {"kernel": (2, 3)})),
]


def _evaluate(formula: str) -> int:
    """The value of a printed formula's right-hand side before its '= result'."""
    expression = formula.split(" = ")[1]
    return int(eval(expression, {"floor": math.floor, "ceil": math.ceil}))


def test_shape_matches_torch(capsys: pytest.CaptureFixture[str]) -> None:
    for argv, (op, size, kw) in SHAPE_CASES:
        result = _json(capsys, "shape", *argv)
        assert result["output"] == _torch_shape(op, size, **kw), argv
        for axis in result["axes"]:
            assert axis["formula"].endswith(f" = {axis['output']}")
            if "--ceil-mode" not in argv:
                assert _evaluate(axis["formula"]) == axis["output"], axis["formula"]
        code, text, _ = _cli(capsys, "shape", *argv)  # the text shows the same formulas
        assert code == 0 and all(axis["formula"] in text for axis in result["axes"])
    code, text, _ = _cli(
        capsys, "shape", "conv", "--input", "7,7", "--kernel", "3", "--stride", "2", "--padding", "1"
    )
    assert "H_out = floor((7 + 2*1 - 1*(3-1) - 1)/2) + 1 = 4" in text


# Every operator of arith.shape_report through `convscope shape`: the printed output is the shape the
# numeric operator (convscope.functional, verified against torch) or real TensorFlow produces.
def _zeros(*shape: int) -> np.ndarray:
    return np.zeros(shape)


NEW_SHAPE_CASES: list[tuple[list[str], Any]] = [
    (
        ["max_unpool", "--input", "3,4", "--kernel", "2", "--output-size", "7,8"],
        lambda: CF.max_unpool2d(_zeros(1, 1, 3, 4), np.zeros((1, 1, 3, 4), np.int64), 2, output_size=(7, 8)),
    ),
    (
        ["avg_unpool", "--input", "5", "--kernel", "3", "--stride", "2", "--padding", "1"],
        lambda: CF.avg_unpool1d(_zeros(1, 1, 5), 3, 2, 1),
    ),
    (
        [
            "avg_pool",
            "--input",
            "6,7,5",
            "--kernel",
            "3",
            "--stride",
            "2",
            "--ceil-mode",
            "--no-count-include-pad",
        ],
        lambda: CF.avg_pool3d(_zeros(1, 1, 6, 7, 5), 3, 2, ceil_mode=True, count_include_pad=False),
    ),
    (
        [
            "interpolate",
            "--input",
            "3,5",
            "--scale-factor",
            "1.5,0.5",
            "--mode",
            "bilinear",
            "--align-corners",
        ],
        lambda: CF.interpolate(
            _zeros(1, 1, 3, 5), scale_factor=(1.5, 0.5), mode="bilinear", align_corners=True
        ),
    ),
    (
        ["interpolate", "--input", "4,4,4", "--size", "2,7,3", "--mode", "trilinear"],
        lambda: CF.interpolate(_zeros(1, 1, 4, 4, 4), size=(2, 7, 3), mode="trilinear"),
    ),
    (
        ["interpolate", "--input", "7", "--scale-factor", "0.3", "--mode", "area"],
        lambda: CF.interpolate(_zeros(1, 1, 7), scale_factor=0.3, mode="area"),
    ),
    (
        ["adaptive_avg_pool", "--input", "7,9", "--output-size", "3,none"],
        lambda: CF.adaptive_avg_pool2d(_zeros(1, 1, 7, 9), (3, None)),
    ),
    (
        ["adaptive_max_pool", "--input", "10", "--output-size", "4"],
        lambda: CF.adaptive_max_pool1d(_zeros(1, 1, 10), 4),
    ),
    (
        ["pixel_shuffle", "--input", "3,4", "--upscale-factor", "2", "--in-channels", "8"],
        lambda: CF.pixel_shuffle(_zeros(1, 8, 3, 4), 2),
    ),
    (
        ["pixel_unshuffle", "--input", "6,4", "--downscale-factor", "2"],
        lambda: CF.pixel_unshuffle(_zeros(1, 1, 6, 4), 2),
    ),
    (
        ["deform_conv", "--input", "7,8", "--kernel", "3,2", "--stride", "2", "--padding", "1"],
        lambda: CF.deform_conv2d(
            _zeros(1, 1, 7, 8), _zeros(1, 12, 4, 5), _zeros(1, 1, 3, 2), stride=2, padding=1
        ),
    ),
]


def test_shape_of_every_operator_matches_the_operator(capsys: pytest.CaptureFixture[str]) -> None:
    for argv, run in NEW_SHAPE_CASES:
        result = _json(capsys, "shape", *argv)
        out = run()
        assert result["output"] == list(out.shape[2:]), argv
        if argv[0] == "pixel_shuffle":
            assert result["channels"] == [8, out.shape[1]]
        for axis in result["axes"]:
            assert axis["formula"].endswith(f" = {axis['output']}")
        code, text, _ = _cli(capsys, "shape", *argv)
        assert code == 0 and all(axis["formula"] in text for axis in result["axes"])
    result = _run("shape", *NEW_SHAPE_CASES[0][0], "--json")  # one real subprocess
    assert result.returncode == 0 and json.loads(result.stdout)["output"] == [7, 8]


def test_shape_tf_convention_matches_tensorflow(capsys: pytest.CaptureFixture[str]) -> None:
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    tf = pytest.importorskip("tensorflow")
    x = tf.zeros((1, 4, 5, 1))
    result = _json(
        capsys, "shape", "conv_transpose", "--input", "4,5", "--kernel", "3", "--stride", "2",
        "--padding", "same", "--convention", "tf", "--output-shape", "7,10",
    )  # fmt: skip
    assert result["output"] == list(
        tf.nn.conv2d_transpose(x, tf.zeros((3, 3, 1, 1)), [1, 7, 10, 1], 2, "SAME").shape[1:3]
    )
    for a, axis in enumerate(result["axes"]):
        for choice in axis["alternatives"]:
            shape = [1, 7, 10, 1]
            shape[1 + a] = choice["size"]
            assert (
                tf.nn.conv2d_transpose(x, tf.zeros((3, 3, 1, 1)), shape, 2, "SAME").shape[1 + a]
                == choice["size"]
            )
    pool = _json(capsys, "shape", "max_pool", "--input", "4,5", "--kernel", "3", "--stride", "2",
                 "--padding", "same", "--convention", "tf")  # fmt: skip
    assert pool["output"] == list(tf.nn.max_pool2d(x, 3, 2, "SAME").shape[1:3])
    conv = _json(capsys, "shape", "conv", "--input", "4,5", "--kernel", "3,4", "--stride", "2",
                 "--padding", "1:2,0:3", "--convention", "tf")  # fmt: skip
    reference = tf.nn.conv2d(x, tf.zeros((3, 4, 1, 1)), 2, [[0, 0], [1, 2], [0, 3], [0, 0]])
    assert conv["output"] == list(reference.shape[1:3])


def test_human_output_is_rich_on_a_terminal_and_plain_in_a_pipe() -> None:
    argv = ["shape", "conv", "--input", "7,7", "--kernel", "3", "--stride", "2", "--padding", "1"]
    formula = "H_out = floor((7 + 2*1 - 1*(3-1) - 1)/2) + 1 = 4"
    terminal = {**os.environ, "FORCE_COLOR": "1", "NO_COLOR": "1", "COLUMNS": "100"}
    commands = (
        argv,
        ["overlap", "--kernel", "3", "--stride", "2", "--input", "3", "--2d"],
        ["rf", "conv k3 s2"],
    )
    for command in commands:
        rich_run = subprocess.run(
            [sys.executable, "-m", "convscope", *command],
            capture_output=True,
            text=True,
            env=terminal,
            timeout=300,
        )
        assert rich_run.returncode == 0 and rich_run.stderr == ""
        assert any(c in rich_run.stdout for c in "─━╭│")  # rich's box drawing: a table
        assert "\x1b[3" not in rich_run.stdout  # NO_COLOR: no colour codes, only bold
        if command[0] == "rf":
            assert "[u, v]" in rich_run.stdout and "[0, 2]" in rich_run.stdout  # text, not rich markup
    shape_rich = subprocess.run(
        [sys.executable, "-m", "convscope", *argv], capture_output=True, text=True, env=terminal, timeout=300
    )
    assert formula in shape_rich.stdout
    plain = subprocess.run(
        [sys.executable, "-m", "convscope", *argv, "--plain"],
        capture_output=True,
        text=True,
        env=terminal,
        timeout=300,
    )
    piped = _run(*argv)
    assert plain.stdout == piped.stdout and "\x1b" not in piped.stdout and formula in piped.stdout
    assert piped.stdout.splitlines()[2].startswith("----")  # the plain table's rule


def test_shape_transposed_alternatives_and_tf_same(capsys: pytest.CaptureFixture[str]) -> None:
    result = _json(
        capsys,
        "shape",
        "transposed",
        "--input",
        "3,4",
        "--kernel",
        "3,4",
        "--stride",
        "2,3",
        "--padding",
        "1",
    )
    for a, axis in enumerate(result["axes"]):
        sizes = {c["size"] for c in axis["alternatives"]}
        assert sizes == {
            _torch_shape(
                "conv_transpose",
                (3, 4),
                kernel=(3, 4),
                stride=(2, 3),
                padding=1,
                output_padding=tuple(q if b == a else 0 for b in range(2)),
            )[a]
            for q in range((2, 3)[a])
        }
    # TensorFlow SAME: ceil(i / s) outputs, total padding split with the extra cell high.
    result = _json(
        capsys,
        "shape",
        "conv",
        "--input",
        "5,6,7",
        "--kernel",
        "2,3,4",
        "--stride",
        "2,2,3",
        "--padding",
        "same",
        "--convention",
        "tf",
    )
    for axis in result["axes"]:
        i, k, s = axis["input"], axis["kernel"], axis["stride"]
        total = max((math.ceil(i / s) - 1) * s + k - i, 0)
        assert axis["padding"] == [total // 2, total - total // 2]
        assert axis["output"] == math.ceil(i / s)
    pads = [v for axis in reversed(result["axes"]) for v in axis["padding"]]
    x = torch.nn.functional.pad(torch.zeros(1, 1, 5, 6, 7), pads)
    reference = torch.nn.functional.conv3d(x, torch.zeros(1, 1, 2, 3, 4), stride=(2, 2, 3))
    assert result["output"] == list(reference.shape[2:])


def _support(grad: torch.Tensor) -> tuple[int, int]:
    index = torch.nonzero(grad.ravel()).ravel()
    return int(index.min()), int(index.max())


def test_rf_matches_seeds_and_torch_gradient_support(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def sizes(*args: str) -> list[int]:
        return [row["r"] for row in _json(capsys, "rf", *args)["layers"]]

    assert sizes("conv k3 s2; conv k2") == [3, 5]
    assert sizes("conv k3; conv k3 d2; conv k3 d4") == [3, 7, 15]
    assert sizes("conv k3; conv k3 d2; conv k3 d3")[-1] == 13
    text = "conv k3 s2 p1; avgpool k2; conv k3 d2"
    result = _json(capsys, "rf", text)
    layers = [
        {"kind": "conv", "kernel_size": 3, "stride": 2, "padding": 1},
        {"kind": "pool", "kernel_size": 2},
        {"kind": "conv", "kernel_size": 3, "dilation": 2},
    ]
    (tmp_path / "layers.json").write_text(json.dumps(layers))
    assert _json(capsys, "rf", "--file", str(tmp_path / "layers.json")) == result
    chain = torch.nn.Sequential(
        torch.nn.Conv1d(1, 1, 3, stride=2, padding=1, bias=False),
        torch.nn.AvgPool1d(2),
        torch.nn.Conv1d(1, 1, 3, dilation=2, bias=False),
    ).double()
    for layer in (chain[0], chain[2]):
        torch.nn.init.ones_(layer.weight)
    n = 40
    last = result["layers"][-1]
    for j in (0, 1, 3):
        x = torch.ones(1, 1, n, dtype=torch.float64, requires_grad=True)
        chain(x)[0, 0, j].backward()
        u, v = last["u"] + j * last["S"], last["v"] + j * last["S"]
        assert _support(x.grad) == (max(u, 0), min(v, n - 1))
    code, out, _ = _cli(capsys, "rf", text)
    assert code == 0 and "[-1, 19]" in out and "receptive field: 21, stride 4" in out


def test_rf_reads_yaml(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pytest.importorskip("yaml")
    (tmp_path / "layers.yaml").write_text(
        "- {kind: conv, kernel_size: 3, stride: 2}\n- {kind: conv, kernel_size: 2}\n"
    )
    assert [row["r"] for row in _json(capsys, "rf", "--file", str(tmp_path / "layers.yaml"))["layers"]] == [
        3,
        5,
    ]


def test_overlap_matches_torch_conv_transpose_of_ones(capsys: pytest.CaptureFixture[str]) -> None:
    cases = [
        (["--kernel", "3", "--stride", "2", "--input", "4"], (3,), (2,), (4,), 0, True),
        (["--kernel", "4", "--stride", "2", "--input", "5", "--padding", "1"], (4,), (2,), (5,), 1, False),
        (["--kernel", "3", "--stride", "2", "--input", "3", "--2d"], (3, 3), (2, 2), (3, 3), 0, True),
        (["--kernel", "3,4", "--stride", "2,3", "--input", "3,2"], (3, 4), (2, 3), (3, 2), 0, True),
    ]
    for argv, k, s, n, p, uneven in cases:
        result = _json(capsys, "overlap", *argv)
        fn = torch.nn.functional.conv_transpose1d if len(k) == 1 else torch.nn.functional.conv_transpose2d
        reference = fn(torch.ones(1, 1, *n), torch.ones(1, 1, *k), stride=s, padding=p)[0, 0]
        np.testing.assert_array_equal(result["counts"], reference.numpy())
        assert result["is_uneven"] is uneven and result["period"] == list(s)
        assert (result["unevenness"] > 0) is uneven
    result = _json(
        capsys, "overlap", "--kernel", "3", "--stride", "2", "--input", "7,8", "--padding", "1", "--gradient"
    )
    x = torch.ones(1, 1, 7, 8, requires_grad=True)
    torch.nn.functional.conv2d(x, torch.ones(1, 1, 3, 3), stride=2, padding=1).sum().backward()
    np.testing.assert_array_equal(result["counts"], x.grad[0, 0].numpy())
    code, out, _ = _cli(capsys, "overlap", "--kernel", "3", "--stride", "2", "--input", "4")
    assert code == 0 and "1  1  2  1  2  1  2  1  1" in out and "checkerboard" in out


def test_gridding_matches_seed_and_torch_gradient(capsys: pytest.CaptureFixture[str]) -> None:
    for rates, holes in (((1, 2, 3), False), ((2, 2, 2), True), ((1, 2, 5), False), ((2, 3), True)):
        result = _json(capsys, "gridding", "--rates", ",".join(map(str, rates)))
        if rates in ((1, 2, 3), (2, 2, 2)):
            assert result["receptive_field"] == 13
        assert result["has_holes"] is holes and (result["holes"] > 0) is holes
        n = result["receptive_field"]
        x = torch.ones(1, 1, n, dtype=torch.float64, requires_grad=True)
        y = x
        for rate in rates:
            y = torch.nn.functional.conv1d(y, torch.ones(1, 1, 3, dtype=torch.float64), dilation=rate)
        assert y.shape[-1] == 1
        y.sum().backward()
        np.testing.assert_array_equal(result["coverage"], x.grad.ravel().numpy())
    seed = _json(capsys, "gridding", "--rates", "2,2,2")
    assert (seed["satisfies_hdc"], seed["common_factor"], seed["distances"]) == (False, 2, [2, 2, 2])
    assert _json(capsys, "gridding", "--rates", "1,2,3")["satisfies_hdc"] is True
    code, out, _ = _cli(capsys, "gridding", "--rates", "2,2,2")
    assert code == 0 and "1  .  3  .  6  .  7  .  6  .  3  .  1" in out


def _torch_matrix(size: tuple[int, ...], weight: torch.Tensor, **kw: Any) -> np.ndarray:
    """Column j = torch's convolution of the j-th basis vector."""
    cells = math.prod(size)
    basis = torch.eye(cells, dtype=torch.float64).reshape(cells, 1, *size)
    fn = torch.nn.functional.conv1d if len(size) == 1 else torch.nn.functional.conv2d
    return fn(basis, weight, **kw).reshape(cells, -1).T.numpy()


def test_matrix_matches_torch_on_basis_vectors(capsys: pytest.CaptureFixture[str]) -> None:
    taps = torch.arange(1.0, 7.0, dtype=torch.float64).reshape(1, 1, 2, 3)
    result = _json(capsys, "matrix", "--input", "3,4", "--kernel", "2,3", "--stride", "1,2", "--padding", "1")
    expected = _torch_matrix((3, 4), taps, stride=(1, 2), padding=1)
    np.testing.assert_array_equal(result["dense"], expected)
    assert result["shape"] == list(expected.shape)
    # Beyond the dense limit: sparse triplets only (and text output refuses).
    big = _json(capsys, "matrix", "--input", "10,10", "--kernel", "3", "--weight", "1,-2,3,0.5,5,6,7,8,9")
    assert "dense" not in big
    dense = np.zeros(big["shape"])
    for row, col, value in big["triplets"]:
        dense[row, col] = value
    weight = torch.tensor([1, -2, 3, 0.5, 5, 6, 7, 8, 9], dtype=torch.float64).reshape(1, 1, 3, 3)
    np.testing.assert_array_equal(dense, _torch_matrix((10, 10), weight))
    code, _, err = _cli(capsys, "matrix", "--input", "10,10", "--kernel", "3")
    assert code == 2 and "use --json" in err
    one_d = _json(capsys, "matrix", "--input", "7", "--kernel", "3", "--dilation", "2", "--padding", "1:0")
    w = torch.arange(1.0, 4.0, dtype=torch.float64).reshape(1, 1, 3)
    np.testing.assert_array_equal(
        one_d["dense"],
        _torch_matrix((8,), w, dilation=2)[:, 1:],  # low padding 1 = one extra leading cell
    )
    seed = _json(capsys, "matrix", "--input", "3,3", "--kernel", "2,2", "--symbolic")
    assert seed["dense"][0] == ["w11", "w12", "0", "w21", "w22", "0", "0", "0", "0"]
    assert seed["dense"][3] == ["0", "0", "0", "0", "w11", "w12", "0", "w21", "w22"]
    code, out, _ = _cli(capsys, "matrix", "--input", "3,3", "--kernel", "2,2", "--symbolic")
    assert code == 0 and "w11  w12    0  w21  w22" in out


def _torch_macs(layer: torch.nn.Module, x: torch.Tensor) -> int:
    with FlopCounterMode(display=False) as counter:
        layer(x)
    return int(counter.get_total_flops()) // 2


def test_cost_matches_torch_params_and_flop_counter(capsys: pytest.CaptureFixture[str]) -> None:
    cases = [
        (
            [
                "conv",
                "--input",
                "9,11",
                "--in-channels",
                "4",
                "--out-channels",
                "6",
                "--kernel",
                "3,2",
                "--stride",
                "2",
                "--padding",
                "1",
                "--dilation",
                "2",
                "--groups",
                "2",
            ],
            torch.nn.Conv2d(4, 6, (3, 2), stride=2, padding=1, dilation=2, groups=2),
            (2, 4, 9, 11),
        ),
        (
            [
                "conv_transpose",
                "--input",
                "5,6",
                "--in-channels",
                "4",
                "--out-channels",
                "3",
                "--kernel",
                "4",
                "--stride",
                "2",
                "--padding",
                "1",
                "--output-padding",
                "1",
                "--no-bias",
            ],
            torch.nn.ConvTranspose2d(4, 3, 4, stride=2, padding=1, output_padding=1, bias=False),
            (2, 4, 5, 6),
        ),
    ]
    for argv, layer, shape in cases:
        result = _json(capsys, "cost", *argv, "--batch", str(shape[0]))
        x = torch.zeros(shape)
        assert result["params"] == sum(p.numel() for p in layer.parameters()), argv
        assert result["macs"] == _torch_macs(layer, x), argv
        assert result["flops"] == 2 * result["macs"]
        assert result["output_shape"] == list(layer(x).shape)
    code, out, _ = _cli(capsys, "cost", *cases[0][0])
    assert code == 0 and "FLOPs = 2 x MACs" in out and "bias FLOPs" in out
    pool = _json(capsys, "cost", "max_pool", "--input", "8,8", "--in-channels", "3", "--kernel", "2")
    assert pool["output_shape"] == [1, 3, 4, 4] and pool["macs"] == 3 * 16 * 4


def tiny_net() -> Any:
    """A small model for ``convscope summary --model test_cli:tiny_net`` (tests/ is on sys.path)."""
    from convscope import nn

    return nn.Sequential(nn.Conv2d(3, 4, 3, stride=2, rng=0), nn.BatchNorm2d(4), nn.ReLU())


def test_summary_matches_torch_twin(capsys: pytest.CaptureFixture[str]) -> None:
    result = _json(capsys, "summary", "conv k3 c8; relu; pool k2; conv k3 c16", "--input", "1,3,32,32")
    twin = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Conv2d(8, 16, 3)
    )
    x, shapes = torch.zeros(1, 3, 32, 32), []
    for module in twin:
        x = module(x)
        shapes.append(list(x.shape))
    assert [row["output_shape"] for row in result["rows"]] == shapes
    assert [row["type"] for row in result["rows"]] == ["Conv2d", "ReLU", "MaxPool2d", "Conv2d"]
    assert result["params"] == sum(p.numel() for p in twin.parameters())
    assert result["macs"] == _torch_macs(twin, torch.zeros(1, 3, 32, 32)) + 8 * 15 * 15 * 4  # + pool cells
    code, out, _ = _cli(capsys, "summary", "conv k3 c8; relu; pool k2; conv k3 c16", "--input", "1,3,32,32")
    assert code == 0 and out.startswith("Layer") and "Total params: 1,392" in out
    model = _json(capsys, "summary", "--model", "test_cli:tiny_net", "--input", "2,3,9,9")
    assert [row["output_shape"] for row in model["rows"]] == [[2, 4, 4, 4]] * 3
    assert model["params"] == 3 * 4 * 9 + 4 + 2 * 4


BAD = [
    ["shape", "conv", "--input", "2", "--kernel", "5"],
    ["shape", "conv", "--input", "8", "--kernel", "3", "--stride", "2", "--padding", "same"],
    ["shape", "conv", "--input", "8", "--kernel", "3", "--ceil-mode"],
    ["shape", "transposed", "--input", "3", "--kernel", "3", "--stride", "2", "--output-padding", "2"],
    ["shape", "conv", "--input", "8,x", "--kernel", "3"],
    ["shape", "conv", "--input", "8", "--kernel", "3", "--padding", "1:2:3"],
    ["rf", "conv k3; blah k2"],
    ["rf"],
    ["rf", "--file", "/no/such/file.json"],
    ["overlap", "--kernel", "3", "--stride", "0"],
    ["overlap", "--kernel", "3", "--stride", "2", "--gradient", "--output-padding", "1"],
    ["gridding", "--rates", "1,2.5"],
    ["gridding", "--rates", "0,2"],
    ["matrix", "--input", "3,3", "--kernel", "4"],
    ["matrix", "--input", "3,3", "--kernel", "2,2", "--weight", "1,2,3"],
    ["cost", "conv", "--input", "8,8", "--kernel", "3"],
    ["cost", "max_pool", "--input", "8,8", "--kernel", "2", "--groups", "2"],
    ["cost", "conv", "--input", "2,2", "--in-channels", "1", "--out-channels", "1", "--kernel", "5"],
    ["cost", "no_such_kind", "--input", "8"],
    ["summary", "conv k3 c8; blah", "--input", "1,3,8,8"],
    ["summary", "conv k3 c8", "--input", "1,3,8"],
    ["summary", "--model", "no.such.module:net", "--input", "1,3,8,8"],
    ["summary", "--model", "json:dumps", "--input", "1,3,8,8"],
    ["summary", "--input", "1,3,8,8"],
    ["shape", "conv", "--input", "8", "--kernel", "3", "--output-size", "4"],
    ["shape", "interpolate", "--input", "5", "--scale-factor", "2", "--mode", "bicubic"],
    ["shape", "interpolate", "--input", "5", "--scale-factor", "2", "--convention", "tf"],
    ["shape", "interpolate", "--input", "5", "--mode", "linear"],
    ["shape", "max_unpool", "--input", "3", "--kernel", "2", "--output-size", "9"],
    ["shape", "pixel_shuffle", "--input", "3,4", "--upscale-factor", "2", "--in-channels", "6"],
    ["shape", "pixel_unshuffle", "--input", "3,4", "--downscale-factor", "2"],
    ["shape", "conv_transpose", "--input", "4", "--kernel", "3", "--stride", "2", "--convention", "tf"],
    [
        "shape",
        "conv_transpose",
        "--input",
        "4",
        "--kernel",
        "3",
        "--stride",
        "2",
        "--padding",
        "same",
        "--convention",
        "tf",
        "--output-shape",
        "6",
    ],
    ["shape", "avg_pool", "--input", "5,5", "--kernel", "3", "--padding", "1", "--convention", "tf"],
    ["shape", "max_pool", "--input", "5", "--kernel", "3", "--ceil-mode", "--convention", "tf"],
    ["shape", "adaptive_avg_pool", "--input", "5", "--output-size", "-1"],
]

#: Requests past MAP_LIMIT cells: refused with one line before anything is allocated.
OVERSIZED = [
    ["overlap", "--kernel", "3", "--stride", "2", "--input", "100000", "--2d"],
    ["overlap", "--kernel", "3", "--stride", "2", "--input", "100000,3000", "--gradient"],
    ["overlap", "--kernel", "4000000", "--stride", "2"],
    ["gridding", "--rates", "1000,2000,3000", "--2d"],
    ["matrix", "--input", "3000,3000", "--kernel", "3", "--json"],
    ["matrix", "--input", "300,300", "--kernel", "3", "--symbolic", "--json"],
    ["cost", "interpolate", "--input", "100000000", "--scale", "2"],
    ["summary", "conv k3 c8", "--input", "1,3,10000,10000"],
]


def test_bad_values_exit_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in BAD:
        code, out, err = _cli(capsys, *argv)
        assert code == 2, argv
        assert out == "" and len(err.splitlines()) == 1, (argv, err)
        assert err.startswith(f"convscope {argv[0]}: error: "), err


def test_oversized_requests_are_refused_before_allocating(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in OVERSIZED:
        code, out, err = _cli(capsys, *argv)
        assert code == 2 and out == "" and len(err.splitlines()) == 1, (argv, err)
        assert err.startswith(f"convscope {argv[0]}: error: ") and "cells, more than the" in err, err
    result = _run(*OVERSIZED[0])  # fast, in a real process: nothing was allocated
    assert result.returncode == 2 and "40,000,400,001 cells" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    # below the limit the 2-d coverage is built: the support of torch's gradient through the stack
    coverage = _json(capsys, "gridding", "--rates", "1,2,3", "--2d")["coverage_2d"]
    x = torch.ones(1, 1, 13, 13, dtype=torch.float64, requires_grad=True)
    y = x
    for rate in (1, 2, 3):
        y = torch.nn.functional.conv2d(y, torch.ones(1, 1, 3, 3, dtype=torch.float64), dilation=rate)
    y.sum().backward()
    np.testing.assert_array_equal(coverage, x.grad[0, 0].numpy())


def test_bad_values_in_a_real_subprocess() -> None:
    for argv in (BAD[0], BAD[6], BAD[11], BAD[-4]):
        result = _run(*argv)
        assert result.returncode == 2 and result.stdout == ""
        assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
        assert result.stderr.startswith(f"convscope {argv[0]}: error: ")
