"""Differentiation: ``vjp`` and the pullback of every functional and ``convscope.tf`` operator."""

from . import deform_rules as _deform_rules  # noqa: F401
from . import grid_rules as _grid_rules  # noqa: F401
from . import pool_rules as _pool_rules  # noqa: F401
from . import resample_rules as _resample_rules  # noqa: F401
from . import rules as _rules  # noqa: F401  (registers the pullbacks)
from . import tf_rules as _tf_rules  # noqa: F401  (imports convscope.tf, which never imports autodiff)
from .registry import vjp

__all__ = ["vjp"]
