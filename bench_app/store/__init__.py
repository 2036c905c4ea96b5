"""Session store: one SQLite file (WAL, foreign keys, numbered migrations) holding every
session's evidence, with a tamper-evident SHA-256 audit chain per session.

>>> from bench_app.store import Store
>>> store = Store.open(path)            # None → bench_app.paths.default_db_path()
>>> sid = store.create_session("BSCP601-042", "protocol-approval", cops=["CoP5"])

The layer's design (storage, audit chain, migrations) is in ``docs/architecture.md``. All datetimes
are aware UTC; a locked session refuses every write with
:class:`bench_app.errors.SessionLockedError`.
"""

from __future__ import annotations

from pathlib import Path

from bench_app.store.acquisition import AcquisitionMixin
from bench_app.store.audit import VerifyResult
from bench_app.store.checklist import ChecklistMixin
from bench_app.store.evidence import EvidenceMixin, Reading, epoch
from bench_app.store.migrations import SCHEMA_VERSION
from bench_app.store.records import SessionRecordsMixin
from bench_app.store.sessions import SessionMixin


class Store(SessionMixin, EvidenceMixin, ChecklistMixin, AcquisitionMixin, SessionRecordsMixin):
    """The session database. Open with :meth:`Store.open`; close with :meth:`close`."""

    def export_bundle(self, session_id: int, path: str | Path) -> dict:
        """Write the session as a ``.wbs`` bundle; returns the manifest."""
        from bench_app.store.bundle import export_session

        return export_session(self, session_id, path)

    def import_bundle(self, path: str | Path) -> int:
        """Check every hash of a ``.wbs`` bundle and import it; returns the new session id."""
        from bench_app.store.bundle import import_session

        return import_session(self, path)


__all__ = ["SCHEMA_VERSION", "Reading", "Store", "VerifyResult", "epoch"]
