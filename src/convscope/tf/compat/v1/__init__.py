"""``tf.compat.v1``."""

from . import image

__all__ = ["image"]
