"""Witness Bench domain layer: sessions, evidence, storage, checklists, reconciliation, reports,
CLI.

No Qt here. Imports go one way: ``ui`` → ``bench_app`` → ``drivers``.
"""

__version__ = "0.1.0"

import warnings as _warnings

# pyHanko imports cryptography's DSA types, which warn that DSA is deprecated; Witness Bench keys
# are EC P-256 and no user can act on the warning, so it is not shown.
_warnings.filterwarnings("ignore", message="DSA is deprecated", category=Warning)
