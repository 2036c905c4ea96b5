"""Page geometry of the report: see :mod:`bench_app.pdf_layout` (shared with the signer).

The geometry lives outside both ``report`` and ``signing`` so that neither package imports the
other in both directions (``report.workflow`` → ``signing`` → ``pdf_layout``).
"""

from bench_app.pdf_layout import *  # noqa: F403
