"""The picture subcommands: ``convscope animate``, ``convscope figure`` and ``convscope serve``.

``animate OP`` takes the operator options of ``convscope shape`` (parsed by
:mod:`convscope.cli.operators`) and writes the animation of
:func:`convscope.viz.animate` as a GIF, or as a frame strip in SVG or PNG, the
format chosen by the suffix of ``-o``. ``figure KIND`` writes one of
:func:`convscope.viz.figure`'s analysis figures (overlap, rf, gridding,
matrix) as PNG or SVG. ``serve`` runs the local web explorer
(:mod:`convscope.web`) on 127.0.0.1.

Renders that take more than a moment show a progress bar on stderr (only on
a terminal). Bad values exit with status 2 and one line on stderr, as the
analysis commands do.

Examples
--------
>>> import tempfile, pathlib
>>> from convscope.cli.main import main
>>> out = pathlib.Path(tempfile.mkdtemp()) / "conv.gif"
>>> main(["animate", "conv", "--input", "4,4", "--kernel", "3", "-o", str(out)])
wrote ... (4 steps)
0
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .figure_options import add_gridding_options, add_matrix_options, add_overlap_options, add_symbolic_option
from .operators import add_operator_arguments, operator_params

__all__ = ["add_visual_commands"]

#: Seconds a render runs before the progress bar appears.
PROGRESS_DELAY = 0.4

_ANIMATION_FORMATS = (".gif", ".svg", ".png")
_FIGURE_FORMATS = (".png", ".svg")


class _Refused(Exception):
    """A refusal to report as ``convscope CMD: error: ...`` with exit status 2."""


class _Progress:
    """A rich progress bar on stderr that appears only once a render has taken a moment.

    The renderers draw all frames in one call, so the bar pulses with the
    elapsed time rather than counting; nothing is shown when stderr is not a
    terminal or the render ends within :data:`PROGRESS_DELAY`.
    """

    def __init__(self, description: str) -> None:
        self.description = description
        self._lock = threading.Lock()
        self._bar: Any = None
        self._timer: threading.Timer | None = None

    def _show(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TimeElapsedColumn

        console = Console(stderr=True)
        if not console.is_terminal:
            return
        with self._lock:
            if self._timer is None:  # already finished
                return
            self._bar = Progress(
                SpinnerColumn(),
                "{task.description}",
                BarColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            )
            self._bar.add_task(self.description, total=None)
            self._bar.start()

    def __enter__(self) -> _Progress:
        self._timer = threading.Timer(PROGRESS_DELAY, self._show)
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            timer, self._timer = self._timer, None
            bar, self._bar = self._bar, None
        if timer is not None:
            timer.cancel()
        if bar is not None:
            bar.stop()


def _suffix(path: Path, allowed: tuple[str, ...], command: str) -> str:
    suffix = path.suffix.lower()
    if suffix not in allowed:
        raise _Refused(
            f"-o {str(path)!r}: {command} writes {', '.join(allowed)} files; give one of these suffixes"
        )
    return suffix


def _write(path: Path, data: bytes | str) -> None:
    try:
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
    except OSError as error:
        raise _Refused(f"cannot write {str(path)!r}: {error.strerror or error}") from None


def _size_note(path: Path) -> str:
    return f"{path.stat().st_size:,} bytes"


# -- animate ----------------------------------------------------------------------------
def _animate(args: argparse.Namespace) -> str:
    import convscope.viz as viz

    path: Path = args.output
    suffix = _suffix(path, _ANIMATION_FORMATS, "animate")
    op, sizes, params = operator_params(args)
    if args.values:
        params["values"] = True
    animation = viz.animate(op, sizes, **params)
    count = len(animation)
    if args.frame is not None:
        if not 0 <= args.frame < count:
            raise _Refused(f"--frame {args.frame}: this animation has {count} frames (0 to {count - 1})")
        if suffix == ".gif":
            raise _Refused("--frame writes one frame as SVG or PNG: give -o FILE.svg or FILE.png")
    with _Progress(f"drawing {count} frames"):
        if args.frame is not None:
            one = animation.svg(frame=args.frame) if suffix == ".svg" else animation.png(frame=args.frame)
            _write(path, one)
        elif suffix == ".gif":
            _write(path, animation.gif(fps=args.fps))
        else:
            _write(path, animation.strip("svg" if suffix == ".svg" else "png"))
    what = f"step {args.frame} of {count}" if args.frame is not None else f"{count} steps"
    return f"wrote {path} ({what})"


def _animate_arguments(p: argparse.ArgumentParser) -> None:
    import convscope.viz as viz

    add_operator_arguments(p, ops=viz.OPS)
    p.add_argument(
        "--values", action="store_true", help="show the numbers of a real computation in the cells"
    )
    p.add_argument("--fps", type=float, default=2.0, help="GIF frames per second (default 2)")
    p.add_argument("--frame", type=int, help="write only this frame (0-based), as SVG or PNG")
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        help="output file: .gif (animation), .svg or .png (all frames side by side)",
    )


# -- figure -----------------------------------------------------------------------------
def _window_params(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "kernel_size": args.kernel,
        "stride": args.stride,
        "padding": args.padding,
        "dilation": args.dilation,
    }


def _overlap_params(args: argparse.Namespace) -> dict[str, Any]:
    params = _window_params(args)
    if args.input is not None:
        params["input"] = args.input
    if args.gradient:
        params["gradient"] = True
    else:
        params["output_padding"] = args.output_padding
    if args.two_d:
        params = {k: (v if isinstance(v, (tuple, bool)) else (v, v)) for k, v in params.items()}
    return params


def _rf_params(args: argparse.Namespace) -> dict[str, Any]:
    return {"layers": args.layers}


def _gridding_params(args: argparse.Namespace) -> dict[str, Any]:
    return {"rates": args.rates, "kernel_size": args.kernel}


def _matrix_params(args: argparse.Namespace) -> dict[str, Any]:
    params = {"input": args.input, **_window_params(args)}
    if args.symbolic:
        params["symbolic"] = True
    return params


def _rf_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "layers",
        metavar="LAYERS",
        help="layers as text, e.g. 'conv k3 s2; pool k2; conv k3 d2' (the grammar of convscope rf)",
    )


def _matrix_arguments(p: argparse.ArgumentParser) -> None:
    add_matrix_options(p)
    add_symbolic_option(p)


_FIGURES: dict[
    str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[..., dict[str, Any]], str]
] = {
    "overlap": (
        "checkerboard heatmap: kernel taps per output cell of a transposed convolution",
        add_overlap_options,
        _overlap_params,
        "convscope figure overlap --kernel 3 --stride 2 --2d -o overlap.png",
    ),
    "rf": (
        "receptive field of each layer of a stack, drawn on the input",
        _rf_arguments,
        _rf_params,
        "convscope figure rf 'conv k3 s2; conv k3; pool k2' -o rf.svg",
    ),
    "gridding": (
        "gridding: input cells a stack of dilated convolutions reaches (holes shown)",
        add_gridding_options,
        _gridding_params,
        "convscope figure gridding --rates 2,2,2 -o gridding.png",
    ),
    "matrix": (
        "the convolution as a matrix C (y = C x; the transposed convolution is C^T)",
        _matrix_arguments,
        _matrix_params,
        "convscope figure matrix --input 3,3 --kernel 2,2 --symbolic -o matrix.svg",
    ),
}


def _figure(args: argparse.Namespace) -> str:
    import convscope.viz as viz

    path: Path = args.output
    suffix = _suffix(path, _FIGURE_FORMATS, "figure")
    params = _FIGURES[args.kind][2](args)
    figure = viz.figure(args.kind, **params)
    with _Progress(f"drawing the {args.kind} figure"):
        _write(path, figure.svg() if suffix == ".svg" else figure.png())
    return f"wrote {path} ({_size_note(path)})"


# -- serve ------------------------------------------------------------------------------
def _serve(args: argparse.Namespace) -> str:
    import convscope.web as web

    try:
        web.serve(args.port, verbose=args.verbose)
    except OSError as error:
        # binding the port is what fails in practice (in use, or privileged)
        raise _Refused(f"cannot listen on 127.0.0.1:{args.port}: {error.strerror or error}") from None
    return "stopped"


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number 0 to 65535, got {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 0 to 65535, got {text!r}")
    return port


# -- registration -----------------------------------------------------------------------
def _runner(name: str, build: Callable[[argparse.Namespace], str]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        started = time.perf_counter()
        try:
            message = build(args)
        except (_Refused, ValueError, TypeError) as error:
            print(f"convscope {name}: error: {' '.join(str(error).split())}", file=sys.stderr)
            return 2
        if name != "serve":
            print(f"{message}" + (f" in {time.perf_counter() - started:.1f} s" if args.timing else ""))
        return 0

    return run


def add_visual_commands(commands: argparse._SubParsersAction[Any]) -> None:
    """Register ``animate``, ``figure`` and ``serve`` on ``commands`` (the ``convscope`` subparsers)."""
    raw = argparse.RawDescriptionHelpFormatter
    animate = commands.add_parser(
        "animate",
        help="animated diagram of an operator (GIF, or an SVG/PNG strip of its frames)",
        description="Draw every step of an operator: the input grid (padding, inserted zeros), the kernel "
        "footprint, and the output filling in. The options are those of convscope shape.",
        epilog="examples:\n"
        "  convscope animate conv --input 5,5 --kernel 3 --stride 2 --padding 1 -o conv.gif\n"
        "  convscope animate conv_transpose --input 3,3 --kernel 3 --stride 2 -o transposed.png\n"
        "  convscope animate conv --input 5,5 --kernel 2 --stride 2 --padding same --convention tf \\\n"
        "    -o same.gif",
        formatter_class=raw,
    )
    _animate_arguments(animate)
    animate.add_argument("--timing", action="store_true", help=argparse.SUPPRESS)
    animate.set_defaults(run=_runner("animate", _animate))

    figure = commands.add_parser(
        "figure",
        help="analysis figure: overlap, rf, gridding or matrix (PNG or SVG)",
        description="Draw an analysis figure of convscope.arith as PNG or SVG.",
        formatter_class=raw,
    )
    kinds = figure.add_subparsers(dest="kind", metavar="KIND", required=True)
    for kind, (summary, arguments, _, example) in _FIGURES.items():
        sub = kinds.add_parser(
            kind,
            help=summary,
            description=summary[0].upper() + summary[1:] + ".",
            epilog=f"example:\n  {example}",
            formatter_class=raw,
        )
        arguments(sub)
        sub.add_argument("-o", "--output", type=Path, required=True, help="output file: .png or .svg")
        sub.add_argument("--timing", action="store_true", help=argparse.SUPPRESS)
        sub.set_defaults(run=_runner("figure", _figure))

    serve = commands.add_parser(
        "serve",
        help="the web explorer on http://127.0.0.1:PORT/",
        description="Serve the explorer page on 127.0.0.1 only: pick an operator and its parameters and see "
        "the diagram, the output shape with its formula, the overlap map and the receptive field.",
    )
    serve.add_argument("--port", type=_port, default=8000, help="TCP port (default 8000; 0: any free port)")
    serve.add_argument("--verbose", action="store_true", help="log every request on stderr")
    serve.set_defaults(run=_runner("serve", _serve))
