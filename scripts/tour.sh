#!/usr/bin/env bash
# Install convscope and run its tour: the seed documents' worked examples,
# explained, with the results written to the folder given (default tour-output).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --disable-pip-version-check -e .
python3 -m convscope tour -o "${1:-tour-output}"
