"""Short textual descriptions of configurations for titles and captions."""

from __future__ import annotations

from collections.abc import Sequence


def dims(values: Sequence[int]) -> str:
    """``(5, 7)`` as ``'5x7'``.

    >>> dims((5, 7)), dims((4,))
    ('5x7', '4')
    """
    return "x".join(str(int(v)) for v in values)


def pairs(values: Sequence[tuple[int, int]]) -> str:
    """Padding pairs, compact: ``((1, 1), (0, 1))`` as ``'1 | 0,1'``.

    >>> pairs(((1, 1), (0, 1)))
    '1 | 0,1'
    """
    return " | ".join(str(lo) if lo == hi else f"{lo},{hi}" for lo, hi in values)


def same(values: Sequence[int]) -> str:
    """One value when all axes agree, else the per-axis form.

    >>> same((2, 2)), same((1, 2))
    ('2', '1x2')
    """
    return str(values[0]) if len(set(values)) == 1 else dims(values)


def position(pos: Sequence[int]) -> str:
    """An index as ``[i]`` or ``[i, j]``.

    >>> position((1, 2))
    '[1, 2]'
    """
    return "[" + ", ".join(str(int(p)) for p in pos) + "]"
