"""Run-time options: the workspace cap and the convolution algorithm.

Options live in a context variable, so ``with convscope.options(...)`` is
thread-safe and nests.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Literal

ConvAlgorithm = Literal["auto", "shift", "hybrid", "im2col", "fft", "winograd"]
_ALGORITHMS = ("auto", "shift", "hybrid", "im2col", "fft", "winograd")


@dataclass(frozen=True)
class Options:
    """Current settings.

    Attributes
    ----------
    workspace_bytes : int
        Upper bound on the scratch memory one operator call allocates beyond
        its inputs and output; work is chunked over the batch (and over
        output rows) to stay under it. Default 1 GiB.
    conv_algorithm : str
        ``'auto'`` picks per layer shape; ``'shift'`` (per-tap GEMMs on
        shifted views, nothing gathered), ``'hybrid'`` (the last axis's taps
        gathered), ``'im2col'`` (every tap gathered), ``'fft'`` or ``'winograd'``
        force one. ``'winograd'`` applies to 3-tap unit-stride layers (forward
        and input gradient); elsewhere the best other engine runs.
    """

    workspace_bytes: int = 1 << 30
    conv_algorithm: ConvAlgorithm = "auto"


_DEFAULTS = Options()  # frozen, so sharing it as the default is safe
_current: contextvars.ContextVar[Options] = contextvars.ContextVar("convscope_options", default=_DEFAULTS)


def get_options() -> Options:
    """The options in force.

    >>> get_options().conv_algorithm
    'auto'
    """
    return _current.get()


@contextlib.contextmanager
def options(
    *, workspace_bytes: int | None = None, conv_algorithm: ConvAlgorithm | None = None
) -> Iterator[Options]:
    """Temporarily change options.

    Examples
    --------
    >>> import convscope
    >>> with convscope.options(workspace_bytes=1 << 20) as opts:
    ...     opts.workspace_bytes
    1048576
    """
    changes: dict[str, object] = {}
    if workspace_bytes is not None:
        if not isinstance(workspace_bytes, int) or workspace_bytes <= 0:
            raise ValueError(f"workspace_bytes must be a positive int, got {workspace_bytes!r}")
        changes["workspace_bytes"] = workspace_bytes
    if conv_algorithm is not None:
        if conv_algorithm not in _ALGORITHMS:
            raise ValueError(f"conv_algorithm must be one of {_ALGORITHMS}, got {conv_algorithm!r}")
        changes["conv_algorithm"] = conv_algorithm
    token = _current.set(replace(_current.get(), **changes))  # type: ignore[arg-type]
    try:
        yield _current.get()
    finally:
        _current.reset(token)
