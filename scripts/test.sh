#!/usr/bin/env bash
# Install convscope with its test dependencies, then run lint, types and the
# whole test suite (oracle tests against PyTorch, property tests, doctests).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --disable-pip-version-check "torch==2.13.0"  # the CPU build
python3 -m pip install -q --disable-pip-version-check "tensorflow-cpu==2.21.0"  # live TF comparisons
python3 -m pip install -q --disable-pip-version-check -e ".[test]"
python3 -m ruff check src tests bench
python3 -m mypy
python3 -m pytest "$@"
