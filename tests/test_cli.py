"""The command line, run as a user runs it: in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch


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
