"""Frozen entry point of the ``bench-app`` executable: the same CLI as ``python -m bench_app``."""

import sys

from bench_app.cli import main

if __name__ == "__main__":
    sys.exit(main())
