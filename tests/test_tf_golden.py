"""convscope.tf against TensorFlow: replayed golden files, and live when TensorFlow is installed.

The golden files (``tests/golden/tf_<family>.npz``) hold TensorFlow's outputs
and refusals for a fixed-seed draw of each family's cases
(``scripts/make_tf_golden.py``); they run everywhere. The live tests draw
fresh cases from hypothesis-chosen seeds and ask TensorFlow directly.
"""

from __future__ import annotations

import importlib.util

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tf_cases

HAVE_TF = importlib.util.find_spec("tensorflow") is not None


def _golden(name: str) -> list[tuple[tf_cases.Case, tf_cases.Outcome]]:
    path = tf_cases.golden_path(name)
    return tf_cases.load(path)[1] if path.exists() else []


GOLDEN_CASES = [
    pytest.param(case, outcome, id=f"{name}-{n}-{case.call}")
    for name in tf_cases.FAMILIES
    for n, (case, outcome) in enumerate(_golden(name))
]


def test_every_family_has_golden_cases() -> None:
    counts = {name: len(_golden(name)) for name in tf_cases.FAMILIES}
    assert all(counts.values()), f"families without golden cases: {counts}"


@pytest.mark.parametrize(("case", "outcome"), GOLDEN_CASES)
def test_golden(case: tf_cases.Case, outcome: tf_cases.Outcome) -> None:
    tf_cases.assert_matches(case, outcome)


@pytest.mark.skipif(not HAVE_TF, reason="TensorFlow is not installed")
@pytest.mark.parametrize("name", tf_cases.FAMILIES)
@settings(max_examples=15)
@given(seed=st.integers(0, 2**32 - 1))
def test_live(name: str, seed: int) -> None:
    import tensorflow as tf

    for case in tf_cases.draw_cases(name, 4, seed):
        tf_cases.assert_matches(case, tf_cases.record(tf, case))
