"""Witness Bench domain layer: sessions, evidence, storage, checklists, reconciliation, reports,
CLI.

No Qt here. Imports go one way: ``ui`` → ``bench_app`` → ``drivers``.
"""

__version__ = "0.1.0"
