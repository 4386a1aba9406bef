"""Differentiation: ``vjp`` and the pullback of every functional operator."""

from . import rules as _rules  # noqa: F401  (registers the pullbacks)
from .registry import vjp

__all__ = ["vjp"]
