"""``convscope animate``, ``figure`` and ``serve`` run as a user runs them: in a subprocess.

Frame counts are derived from PyTorch: a window operator's animation has one
step per output cell of torch's own operator, and the GIF holds every step
plus the complete result.
"""

from __future__ import annotations

import json
import math
import shlex
import subprocess
import sys
import urllib.request
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch
import torch.nn.functional as tF
from PIL import Image

from convscope.cli.main import main


def _run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "convscope", *args], capture_output=True, text=True, timeout=timeout
    )


def _gif_frames(path: Path) -> tuple[int, tuple[int, int]]:
    with Image.open(path) as image:
        assert image.format == "GIF"
        image.load()
        return image.n_frames, image.size


def assert_svg(path: Path) -> None:
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    assert float(root.get("width", "0").rstrip("px")) > 0


def assert_png(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        assert image.format == "PNG"
        image.load()
        assert image.size[0] > 10 and image.size[1] > 10
        return image.size


def test_animate_writes_a_gif_with_one_frame_per_output_cell(tmp_path: Path) -> None:
    cases = [
        (
            ["conv", "--input", "5,6", "--kernel", "3", "--stride", "2", "--padding", "1"],
            tF.conv2d(torch.zeros(1, 1, 5, 6), torch.zeros(1, 1, 3, 3), stride=2, padding=1),
        ),
        (
            ["conv", "--input", "7", "--kernel", "3", "--dilation", "2"],
            tF.conv1d(torch.zeros(1, 1, 7), torch.zeros(1, 1, 3), dilation=2),
        ),
        (
            ["max_pool", "--input", "5,5", "--kernel", "2", "--ceil-mode"],
            tF.max_pool2d(torch.zeros(1, 1, 5, 5), 2, ceil_mode=True),
        ),
    ]

    def one(case: tuple[list[str], torch.Tensor]) -> None:
        args, reference = case
        out = tmp_path / f"{args[0]}-{len(args)}.gif"
        result = _run("animate", *args, "-o", str(out))
        assert result.returncode == 0, result.stderr
        assert "wrote" in result.stdout
        steps = math.prod(reference.shape[2:])
        frames, size = _gif_frames(out)
        assert frames == steps + 1  # every step, then the complete result
        assert size[0] > 50 and size[1] > 50

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(one, cases))


def test_animate_strips_and_single_frames(tmp_path: Path) -> None:
    args = ["conv_transpose", "--input", "2,2", "--kernel", "3", "--stride", "2"]
    png, svg, frame = tmp_path / "t.png", tmp_path / "t.svg", tmp_path / "f.svg"

    def one(case: tuple[Path, list[str]]) -> None:
        target, extra = case
        result = _run("animate", *args, *extra, "-o", str(target))
        assert result.returncode == 0, result.stderr

    with ThreadPoolExecutor(3) as pool:
        list(pool.map(one, [(png, []), (svg, []), (frame, ["--frame", "1"])]))
    assert_png(png)
    assert_svg(svg)
    assert_svg(frame)
    assert frame.stat().st_size < svg.stat().st_size  # one frame, not the strip


FIGURES = [
    ("overlap --kernel 3 --stride 2 --2d", ".png"),
    ("overlap --kernel 3 --stride 2 --input 7 --gradient", ".svg"),
    ("rf 'conv k3 s2; conv k2'", ".svg"),
    ("gridding --rates 2,2,2", ".png"),
    ("matrix --input 3,3 --kernel 2,2 --symbolic", ".svg"),
]


def test_figure_writes_png_and_svg(tmp_path: Path) -> None:
    def one(case: tuple[int, tuple[str, str]]) -> None:
        number, (args, suffix) = case
        out = tmp_path / f"figure{number}{suffix}"
        result = _run("figure", *shlex.split(args), "-o", str(out))
        assert result.returncode == 0, result.stderr
        assert "wrote" in result.stdout
        if suffix == ".png":
            assert_png(out)
        else:
            assert_svg(out)

    with ThreadPoolExecutor(3) as pool:
        list(pool.map(one, enumerate(FIGURES)))


BAD = [
    ("animate conv --input 5 -o x.gif", "kernel_size"),
    ("animate conv --input 5 --kernel 3 -o x.txt", ".gif"),
    ("animate conv --input 999 --kernel 3 -o x.gif", "input"),
    ("animate conv --input 5 --kernel 3 --stride 2 --padding same -o x.gif", "same"),
    ("animate conv --input 5 --kernel 3 --frame 99 -o x.svg", "--frame"),
    ("animate conv --input 5 --kernel 3 --frame 1 -o x.gif", "--frame"),
    ("animate conv --input 5 --kernel 3 --mode linear -o x.gif", "mode"),
    ("animate conv --input 5 --kernel 3 -o /no/such/folder/x.gif", "cannot write"),
    ("animate conv --input 5,a --kernel 3 -o x.gif", "--input"),
    ("figure overlap --kernel 3 -o x.png", "--stride"),
    ("figure gridding --rates 0 -o x.png", "rates"),
    ("figure matrix --input 3,3 --kernel 2,2 -o x.gif", ".png"),
    ("figure nothing -o x.png", "nothing"),
    ("serve --port 70000", "port"),
]


def _exit_status(args: list[str]) -> int:
    try:
        return main(args)
    except SystemExit as exit:  # argparse's own refusals
        return int(exit.code or 0)


def test_bad_arguments_exit_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def arguments(line: str) -> list[str]:
        return [str(tmp_path / a) if a.startswith("x.") else a for a in shlex.split(line)]

    for line, word in BAD:  # in process: every case
        assert _exit_status(arguments(line)) == 2, line
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1, (line, lines)
        assert lines[0].startswith("convscope") and word in lines[0], (line, lines[0])

    def one(case: tuple[str, str]) -> None:  # as a user runs them: a few, in subprocesses
        line, word = case
        result = _run(*arguments(line))
        assert result.returncode == 2, (line, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and word in lines[0], (line, result.stderr)

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(one, [case for case in BAD if case[1] in ("kernel_size", "input", "--input", "port")]))
    assert not list(tmp_path.iterdir())  # nothing written


def test_help_of_the_picture_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert "usage: convscope animate" in _run("animate", "--help").stdout
    for args in (["figure", "--help"], ["figure", "rf", "--help"], ["serve", "--help"]):
        with pytest.raises(SystemExit) as exit:
            main(args)
        assert exit.value.code == 0
        assert "usage: convscope" in capsys.readouterr().out


def test_serve_answers_on_loopback() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "convscope", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "http://127.0.0.1:" in line, line
        url = line.split()[line.split().index("on") + 1]
        with urllib.request.urlopen(url + "api/schema", timeout=30) as response:
            schema = json.load(response)
        assert schema["ok"] is True and schema["operators"]
    finally:
        process.terminate()
        process.wait(10)


def test_tour_gallery_links_every_picture_and_its_command(tmp_path: Path) -> None:
    from convscope.cli.gallery import ANIMATIONS, FIGURES, command, write_gallery
    from convscope.cli.main import _parser
    from convscope.cli.operators import operator_params

    written = write_gallery(tmp_path, echo=lambda line: None)
    index = (tmp_path / "index.html").read_text()
    assert len(written) == len(ANIMATIONS) + len(FIGURES) + 1
    # frame counts of the seed examples, from torch: one step per output cell (pixel shuffle: per
    # input cell), and the complete result at the end
    ones = torch.zeros
    expected = {
        "001-conv-4x4-k3": tF.conv2d(ones(1, 1, 4, 4), ones(1, 1, 3, 3)),
        "001-conv-5x5-k4-p2": tF.conv2d(ones(1, 1, 5, 5), ones(1, 1, 4, 4), padding=2),
        "001-transposed-2x2-k3-s2": tF.conv_transpose2d(ones(1, 1, 2, 2), ones(1, 1, 3, 3), stride=2),
        "000-checkerboard-k3s2": tF.conv_transpose1d(ones(1, 1, 4), ones(1, 1, 3), stride=2),
        "001-max-pool": tF.max_pool2d(ones(1, 1, 4, 4), 2),
        "001-upsample-nearest": tF.interpolate(ones(1, 1, 2, 2), scale_factor=2),
        "001-pixel-shuffle": ones(1, 1, 2, 2),
    }
    parser = _parser()
    for entry in ANIMATIONS:
        path = tmp_path / "gallery" / f"{entry.seed}-{entry.name}.gif"
        assert f'src="gallery/{path.name}"' in index
        frames, _ = _gif_frames(path)
        reference = expected.get(path.stem)
        if reference is not None:
            assert frames == math.prod(reference.shape[2:]) + 1, path.stem
        args = parser.parse_args(shlex.split(command(entry, "x.gif"))[1:])
        params = {k: v for k, v in entry.params.items() if k != "values"}
        assert operator_params(args) == (entry.kind, entry.input, params)
    for entry in FIGURES:
        path = tmp_path / "gallery" / f"{entry.seed}-{entry.name}.png"
        assert f'src="gallery/{path.name}"' in index
        assert_png(path)
        parser.parse_args(shlex.split(command(entry, "x.png"))[1:])  # the printed command is valid
