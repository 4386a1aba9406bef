"""Colours of convscope's pictures: the Okabe-Ito palette, safe for colour-blind readers.

Okabe & Ito, "Color Universal Design" (2008): eight colours that stay
distinct under the common colour-vision deficiencies. Every cell state has
a colour *and* a second cue (an outline style or a mark), so no meaning rests
on hue alone.
"""

from __future__ import annotations

from .model import InCell, OutCell

#: The Okabe-Ito colours by name.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

WHITE = "#FFFFFF"
INK = "#222222"
MUTED = "#666666"
GRID_LINE = "#555555"

#: fill colour of each input-cell state (light tints of the palette keep numbers legible)
IN_FILL = {
    InCell.INPUT: "#BFE3F7",  # sky blue, tinted
    InCell.ZERO: "#F7F1A8",  # yellow, tinted
    InCell.PADDING: "#E4E4E4",  # neutral grey
    InCell.OUTSIDE: WHITE,
}
#: outline of each input-cell state: solid for real cells, dashed for zeros, dotted outside
IN_DASH = {InCell.INPUT: "", InCell.ZERO: "3,2", InCell.PADDING: "3,2", InCell.OUTSIDE: "1,2"}

OUT_FILL = {
    OutCell.EMPTY: WHITE,
    OutCell.DONE: "#8FD3BF",  # bluish green, tinted
    OutCell.CURRENT: OKABE_ITO["orange"],
}

FOOTPRINT = OKABE_ITO["vermillion"]
FOOTPRINT_FILL = "#F2B48C"  # vermillion, tinted
WINDOW = OKABE_ITO["blue"]
MARK = OKABE_ITO["reddish_purple"]

#: sequential ramp (light to dark blue) for count maps such as overlap heatmaps
RAMP = ["#F7FBFF", "#DEEBF7", "#C6DBEF", "#9ECAE1", "#6BAED6", "#4292C6", "#2171B5", "#08519C", "#08306B"]


def ramp(value: float, low: float, high: float) -> str:
    """The colour of ``value`` on :data:`RAMP` between ``low`` and ``high``.

    >>> ramp(0, 0, 8), ramp(8, 0, 8)
    ('#F7FBFF', '#08306B')
    """
    if high <= low:
        return RAMP[len(RAMP) // 2]
    step = (value - low) / (high - low) * (len(RAMP) - 1)
    return RAMP[round(min(max(step, 0.0), len(RAMP) - 1))]


def text_on(fill: str) -> str:
    """Black or white, whichever reads better on ``fill`` (by relative luminance).

    >>> text_on("#08306B"), text_on("#F7FBFF")
    ('#FFFFFF', '#222222')
    """
    r, g, b = (int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return WHITE if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.45 else INK
