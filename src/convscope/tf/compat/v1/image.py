"""``tf.compat.v1.image``: ``resize_bilinear``, ``resize_nearest_neighbor``, ``resize_bicubic``."""

from .._legacy_resize import *  # noqa: F403
from .._legacy_resize import __all__ as __all__
