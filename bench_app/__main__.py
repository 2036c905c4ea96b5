"""``python -m bench_app`` — same as the ``bench-app`` console script."""

import sys

from bench_app.cli import main

if __name__ == "__main__":
    sys.exit(main())
