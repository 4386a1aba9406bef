"""TensorFlow comparison cases: what to ask both TensorFlow and ``convscope.tf``.

Each family module (``conv``, ``pool``, ``resize``, ...) defines
``draw(rng) -> Case``: one random configuration, valid or not. The same
function feeds three consumers:

* ``scripts/make_tf_golden.py`` draws a fixed-seed list, runs it through real
  TensorFlow and stores inputs and outcomes in ``tests/golden/tf_<family>.npz``;
* ``tests/test_tf_golden.py`` replays those files without TensorFlow (CI);
* the same test module draws fresh cases from hypothesis-chosen seeds and runs
  them live when TensorFlow is importable.

A case names the function by its path under ``tf`` (``"nn.conv2d"``) and
passes arrays and options by TensorFlow's argument names, so one generic
caller serves both libraries: ``convscope.tf`` mirrors ``tf`` name for name.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

FAMILIES = ("conv", "pool", "resize", "space")
GOLDEN = Path(__file__).resolve().parent.parent / "golden"

# TensorFlow's x86 wheels default to oneDNN kernels, which accept some
# transposed output_shapes the reference kernels refuse (and abort on others).
# Golden files and live tests use the reference kernels.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@dataclass
class Case:
    """One call: ``tf.<call>(**arrays, **options)``.

    ``rtol``/``atol`` are the comparison tolerances (``atol`` scaled by the
    largest reference magnitude); ``note`` says what the case is about.
    """

    call: str
    arrays: dict[str, np.ndarray]
    options: dict[str, Any] = field(default_factory=dict)
    rtol: float = 1e-5
    atol: float = 1e-5
    note: str = ""


@dataclass
class Outcome:
    """What TensorFlow did: the output arrays, or the refusal (type and message)."""

    outputs: list[np.ndarray] | None = None
    error: str | None = None


def resolve(module: Any, call: str) -> Callable[..., Any]:
    """``module.nn.conv2d`` from ``"nn.conv2d"``."""
    target = module
    for part in call.split("."):
        target = getattr(target, part)
    return target  # type: ignore[no-any-return]


def invoke(module: Any, case: Case) -> list[np.ndarray]:
    """Run ``case`` through ``module`` (``tensorflow`` or ``convscope.tf``); outputs as arrays."""
    result = resolve(module, case.call)(**case.arrays, **case.options)
    items = result if isinstance(result, (tuple, list)) else [result]
    return [np.asarray(item) for item in items]


def record(tf: Any, case: Case) -> Outcome:
    """TensorFlow's outcome for ``case``: outputs, or the type and first line of its refusal."""
    try:
        return Outcome(outputs=invoke(tf, case))
    except Exception as error:  # TensorFlow refuses with many exception types
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        return Outcome(error=f"{type(error).__name__}: {first[:300]}")


def _jsonable(value: Any) -> Any:
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


def save(path: Path, cases: Sequence[Case], outcomes: Sequence[Outcome], meta: dict[str, Any]) -> None:
    """Store cases and outcomes in one compressed ``.npz`` (arrays) with a JSON index."""
    arrays: dict[str, np.ndarray] = {}
    index = []
    for n, (case, outcome) in enumerate(zip(cases, outcomes)):
        for name, value in case.arrays.items():
            arrays[f"{n}/in/{name}"] = value
        for k, value in enumerate(outcome.outputs or []):
            arrays[f"{n}/out/{k}"] = value
        index.append(
            {
                "call": case.call,
                "arrays": list(case.arrays),
                "options": _jsonable(case.options),
                "rtol": case.rtol,
                "atol": case.atol,
                "note": case.note,
                "outputs": len(outcome.outputs or []),
                "error": outcome.error,
            }
        )
    payload = json.dumps({"meta": meta, "cases": index})
    buffer = io.BytesIO()
    np.savez_compressed(buffer, __index__=np.frombuffer(payload.encode(), dtype=np.uint8), **arrays)
    path.write_bytes(buffer.getvalue())


def load(path: Path) -> tuple[dict[str, Any], list[tuple[Case, Outcome]]]:
    """The metadata and ``(case, outcome)`` pairs stored by :func:`save`."""
    with np.load(path, allow_pickle=False) as data:
        index = json.loads(bytes(data["__index__"]).decode())
        pairs = []
        for n, entry in enumerate(index["cases"]):
            case = Case(
                call=entry["call"],
                arrays={name: data[f"{n}/in/{name}"] for name in entry["arrays"]},
                options=entry["options"],
                rtol=entry["rtol"],
                atol=entry["atol"],
                note=entry["note"],
            )
            outputs = [data[f"{n}/out/{k}"] for k in range(entry["outputs"])]
            pairs.append((case, Outcome(outputs=None if entry["error"] else outputs, error=entry["error"])))
    return index["meta"], pairs


def assert_matches(case: Case, outcome: Outcome) -> None:
    """convscope's result for ``case`` agrees with TensorFlow's ``outcome``.

    A TensorFlow refusal must be a convscope ``ValueError``/``TypeError``; an
    output must have TensorFlow's shape and dtype and agree to the case's
    tolerance (``atol`` scaled by the largest finite reference magnitude, so an
    infinity in TensorFlow's output does not excuse every other value).
    """
    import convscope.tf

    label = f"{case.call}({', '.join(f'{k}{v.shape}' for k, v in case.arrays.items())}, {case.options})"
    if outcome.error is not None:
        try:
            invoke(convscope.tf, case)
        except (ValueError, TypeError):
            return
        raise AssertionError(f"TensorFlow refused {label} ({outcome.error}); convscope did not")
    outputs = invoke(convscope.tf, case)
    assert outcome.outputs is not None
    assert len(outputs) == len(outcome.outputs), (
        f"{label}: {len(outputs)} outputs, TF has {len(outcome.outputs)}"
    )
    for mine, ref in zip(outputs, outcome.outputs):
        assert mine.shape == ref.shape, f"{label}: shape {mine.shape} != TF's {ref.shape}"
        assert mine.dtype == ref.dtype, f"{label}: dtype {mine.dtype} != TF's {ref.dtype}"
        if ref.dtype.kind in "iub":
            np.testing.assert_array_equal(mine, ref, err_msg=label)
            continue
        finite = np.abs(ref[np.isfinite(ref)].astype(np.float64))
        scale = max(1.0, float(finite.max()) if finite.size else 1.0)
        np.testing.assert_allclose(
            mine.astype(np.float64),
            ref.astype(np.float64),
            rtol=case.rtol,
            atol=case.atol * scale,
            err_msg=label,
        )


def family(name: str) -> Any:
    """The case module of a family (``tf_cases.conv``, ...)."""
    import importlib

    return importlib.import_module(f"tf_cases.{name}")


def golden_path(name: str) -> Path:
    return GOLDEN / f"tf_{name}.npz"


def draw_cases(name: str, count: int, seed: int) -> list[Case]:
    """``count`` cases of family ``name`` from one seeded generator."""
    rng = np.random.default_rng(seed)
    draw = family(name).draw
    return [draw(rng) for _ in range(count)]
