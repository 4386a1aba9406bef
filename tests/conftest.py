"""Shared test configuration: hypothesis profiles and the import path of the helpers.

Profiles
--------
``ci`` (the default): derandomized, no deadline -- every run draws the same
examples, so a failure reproduces. ``dev``: random, for local exploration.
Choose with ``HYPOTHESIS_PROFILE=dev``.

The oracle helpers and configuration strategies live in ``tests/support.py``
(importable as ``support`` from every test module, see below); fixtures that
wrap them are defined here.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

_HERE = Path(__file__).resolve().parent
if str(_HERE) not in sys.path:
    sys.path.insert(0, str(_HERE))

_SUPPRESS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=40,
    print_blob=True,
    suppress_health_check=_SUPPRESS,
)
settings.register_profile(
    "dev",
    derandomize=False,
    deadline=None,
    max_examples=100,
    print_blob=True,
    suppress_health_check=_SUPPRESS,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def rng() -> np.random.Generator:
    """A fixed-seed generator for the few non-hypothesis tests."""
    return np.random.default_rng(20240611)


@pytest.fixture
def assert_close():
    """The dtype-aware comparison of an output with torch's (see ``support.assert_close``)."""
    from support import assert_close as _assert_close

    return _assert_close


def pytest_configure(config: pytest.Config) -> None:
    # torch's own performance note on even 'same' kernels; it is not a test outcome
    config.addinivalue_line(
        "filterwarnings", "ignore:Using padding='same' with even kernel lengths:UserWarning"
    )
