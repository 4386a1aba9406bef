"""Entry point: ``python -m bench [options]`` from the repository root."""

import sys

from bench import _env

# Thread and spin-wait variables are read by OpenBLAS, libgomp and MKL when
# they are loaded, so this must run before anything imports numpy or torch.
_env.preconfigure(sys.argv[1:])

from bench.cli import main  # noqa: E402  (deliberately after preconfigure)

sys.exit(main())
