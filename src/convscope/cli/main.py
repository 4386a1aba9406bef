"""The ``convscope`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from .analysis import add_analysis_commands
from .port import add_port_command
from .visual import add_visual_commands


class _Parser(argparse.ArgumentParser):
    """argparse with errors on one line, ``convscope CMD: error: ...``, and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="convscope",
        description="The convolution family of deep learning on NumPy, explained.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    tour = commands.add_parser(
        "tour",
        help="run the seed documents' worked examples and explain each",
        description="Run the seed documents' worked examples through convscope and explain each.",
    )
    tour.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("tour-output"),
        help="folder for tour.md, tour.json and the gallery (index.html, gallery/) (default: tour-output)",
    )
    add_analysis_commands(commands)  # shape, rf, overlap, gridding, matrix, cost, summary (cli/analysis.py)
    add_visual_commands(commands)  # animate, figure, serve (cli/visual.py)
    add_port_command(commands)  # port: a layer in the other framework (cli/port.py)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (2 for bad arguments, as argparse)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.version:
        from convscope import __version__

        print(__version__)
        return 0
    if args.command == "tour":
        from .tour import run_tour

        run_tour(args.output)
        return 0
    if hasattr(args, "run"):
        return int(args.run(args))
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
