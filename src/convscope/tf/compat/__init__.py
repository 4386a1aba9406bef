"""``tf.compat``: the TensorFlow 1 image resizers."""

from . import v1

__all__ = ["v1"]
