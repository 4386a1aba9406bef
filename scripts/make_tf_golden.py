"""Record TensorFlow's answers to the comparison cases as golden files.

Usage: ``python scripts/make_tf_golden.py [FAMILY ...] [--count N] [--seed S]``
(default: every family in ``tests/tf_cases``). Needs ``tensorflow-cpu``; the
files it writes (``tests/golden/tf_<family>.npz``) are replayed by
``tests/test_tf_golden.py`` without TensorFlow.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import tf_cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("families", nargs="*", default=list(tf_cases.FAMILIES))
    parser.add_argument("--count", type=int, default=300, help="cases per family (default 300)")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the case generator")
    args = parser.parse_args()

    import tensorflow as tf

    for name in args.families:
        cases = tf_cases.draw_cases(name, args.count, args.seed)
        cases += getattr(tf_cases.family(name), "FIXED", [])
        outcomes = [tf_cases.record(tf, case) for case in cases]
        meta = {"tensorflow": tf.__version__, "seed": args.seed, "count": args.count, "onednn": "off"}
        path = tf_cases.golden_path(name)
        tf_cases.save(path, cases, outcomes, meta)
        refused = sum(o.error is not None for o in outcomes)
        size = path.stat().st_size
        print(f"{name}: {len(cases)} cases ({refused} refused by TensorFlow) -> {path} ({size} bytes)")


if __name__ == "__main__":
    main()
