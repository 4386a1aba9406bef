"""``tf.image``: ``resize`` with every method TensorFlow has."""

from ._resize import *  # noqa: F403
from ._resize import __all__ as __all__
