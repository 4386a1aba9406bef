"""Placeholder until its functions land."""

__all__: list[str] = []
