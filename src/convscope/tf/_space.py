"""``tf.nn.depth_to_space`` and ``tf.nn.space_to_depth``: blocks of pixels to channels and back.

TensorFlow orders the channels of a block with the block's row first, then
its column, then the original channel (channels-last order):
``depth_to_space`` sends channel ``(i * block_size + j) * C + c`` of pixel
``(h, w)`` to channel ``c`` of pixel ``(h * block_size + i, w * block_size + j)``.
PyTorch's ``pixel_shuffle`` reads channel ``c * block_size**2 + i * block_size + j``
instead (the original channel first), so the two agree only for ``C = 1``.

These are pure layout moves: every dtype is taken, values are never touched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from ._pool import check_layout, check_rank, tf_array

__all__ = ["depth_to_space", "space_to_depth"]

_F = TypeVar("_F", bound=Callable[..., np.ndarray])

_DOC = """{summary}

    Parameters
    ----------
    input : array_like
        ``NHWC``, any numeric or bool dtype; {divisible}.
    block_size : int
        At least 2.
    data_format : {{'NHWC'}}
        ``'NCHW'`` is refused, as on TensorFlow's CPU.
    name : str, optional
        Ignored (TensorFlow's op name).

    Examples
    --------
    {examples}
    """


def _documented(summary: str, divisible: str, examples: str) -> Callable[[_F], _F]:
    """Give the function the docstring both ops share, with its own summary, condition and examples."""

    def document(function: _F) -> _F:
        function.__doc__ = _DOC.format(summary=summary, divisible=divisible, examples=examples)
        return function

    return document


def _block(op: str, block_size: Any) -> int:
    if isinstance(block_size, (bool, np.bool_)) or not isinstance(block_size, (int, np.integer)):
        raise TypeError(f"{op}: block_size must be an int, got {block_size!r}")
    if block_size < 2:
        raise ValueError(f"{op}: block_size={block_size} must be at least 2")
    return int(block_size)


def _blocks_moved(op: str, input: Any, block_size: Any, data_format: Any, *, into_space: bool) -> np.ndarray:
    """Both ops: check the call, read ``x`` as six axes, swap the block's row with the image's column.

    ``into_space``: ``depth_to_space`` (``[N, H, W, b, b, C]`` in, ``[N, H, b, W, b, C]`` out);
    otherwise ``space_to_depth``, the inverse.
    """
    size = _block(op, block_size)
    check_layout(op, data_format, 2, ("NCHW", "NCHW_VECT_C"))
    x = tf_array(input, "input", op, None)
    check_rank(op, x, 4)
    batch, height, width, depth = x.shape
    if into_space:
        if depth % (size * size):
            raise ValueError(
                f"{op}: the input's {depth} channels must be divisible by block_size**2 = {size * size}"
            )
        channels = depth // (size * size)
        grouped = (batch, height, width, size, size, channels)
        shape = (batch, height * size, width * size, channels)
    else:
        if height % size or width % size:
            raise ValueError(
                f"{op}: the input's height {height} and width {width} must be divisible by block_size={size}"
            )
        rows, columns = height // size, width // size
        grouped = (batch, rows, size, columns, size, depth)
        shape = (batch, rows, columns, size * size * depth)
    return np.ascontiguousarray(x.reshape(grouped).transpose(0, 1, 3, 2, 4, 5)).reshape(shape)


@_documented(
    summary=(
        "Move channel blocks into space, as ``tf.nn.depth_to_space``: "
        "``[N, H, W, C b²] -> [N, H b, W b, C]``."
    ),
    divisible="channels divisible by ``block_size ** 2``",
    examples="""Channel ``(i * 2 + j) * C + c`` lands at offset ``(i, j)`` of its 2x2 block:

    >>> import numpy as np
    >>> depth_to_space(np.arange(8).reshape(1, 1, 1, 8), 2)[0, ..., 0]
    array([[0, 2],
           [4, 6]])""",
)
def depth_to_space(
    input: Any, block_size: int, data_format: str = "NHWC", name: str | None = None
) -> np.ndarray:
    return _blocks_moved("depth_to_space", input, block_size, data_format, into_space=True)


@_documented(
    summary=(
        "Move pixel blocks into channels, as ``tf.nn.space_to_depth``: "
        "``[N, H b, W b, C] -> [N, H, W, C b²]``.\n\n    The inverse of :func:`depth_to_space`."
    ),
    divisible="height and width divisible by ``block_size``",
    examples=""">>> import numpy as np
    >>> space_to_depth(np.arange(4).reshape(1, 2, 2, 1), 2).ravel()
    array([0, 1, 2, 3])
    >>> x = np.arange(48).reshape(2, 4, 2, 3)
    >>> bool((depth_to_space(space_to_depth(x, 2), 2) == x).all())
    True""",
)
def space_to_depth(
    input: Any, block_size: int, data_format: str = "NHWC", name: str | None = None
) -> np.ndarray:
    return _blocks_moved("space_to_depth", input, block_size, data_format, into_space=False)
