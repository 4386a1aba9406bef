#!/usr/bin/env bash
# Install convscope with its test dependencies, then run lint, types and the
# whole test suite (oracle tests against PyTorch, property tests, doctests).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --disable-pip-version-check "torch==2.13.0"  # the CPU build
python3 -m pip install -q --disable-pip-version-check "tensorflow-cpu==2.21.0"  # live TF comparisons
python3 -m pip install -q --disable-pip-version-check -e ".[test]"  # includes selenium (browser test)
# The explorer's browser test (tests/test_web_browser.py) drives Debian's Chromium through its
# matching chromedriver; install both when missing and we are root on a Debian machine.
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "scripts/test.sh: chromium/chromedriver missing (apt-get install chromium chromium-driver);" \
      "the browser test will be skipped" >&2
  fi
fi
python3 -m ruff check src tests bench
python3 -m mypy
python3 -m pytest "$@"
