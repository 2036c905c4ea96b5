"""What the report and the GUI read from a session store: one typed protocol.

The report (:func:`bench_app.report.data.collect_report_data`, the statement, the observed
exchanges) and the GUI's read-only views take a :class:`SessionReader`, not the whole
:class:`~bench_app.store.Store`: the seam says what they may read, and mypy checks each call
against it. :class:`~bench_app.store.Store` satisfies it (checked by mypy below and by a test),
so callers pass an open store unchanged; a test may pass a smaller fake that has these methods.

Times in the rows are aware UTC datetimes; ids are the store's integer ids; each ``dict`` row has
the keys the matching :class:`~bench_app.store.Store` method documents.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from bench_app.store.evidence import Reading
from drivers.trace import Trace

if TYPE_CHECKING:
    from bench_app.store import Store


@runtime_checkable
class SessionReader(Protocol):
    """The reads the report and the GUI make (signatures as :class:`~bench_app.store.Store`)."""

    #: the open SQLite connection (the report reads the readings' first/last times with it).
    conn: sqlite3.Connection

    # -- sessions and who/what took part ------------------------------------------------------
    def get_session(self, session_id: int) -> dict: ...

    def list_sessions(self) -> list[dict]: ...

    def participants(self, session_id: int) -> list[dict]: ...

    def equipment(self, session_id: int) -> dict | None: ...

    def software(self, session_id: int) -> dict | None: ...

    def session_records(self, session_id: int) -> dict[str, dict]: ...

    def session_record_list(self, session_id: int, kind: str) -> list[dict]: ...

    def attachments(self, session_id: int) -> list[dict]: ...

    def audit_head(self, session_id: int) -> str: ...

    def checklist_runs(self, session_id: int) -> list[dict]: ...

    def step_results(self, run_id: int, latest_only: bool = True) -> list[dict]: ...

    # -- collections and what they hold -------------------------------------------------------
    def collections(self, session_id: int) -> list[dict]: ...

    def collection(self, collection_id: int) -> dict: ...

    def collection_state(self, collection_id: int) -> dict | None: ...

    def incomplete_collections(self, session_id: int) -> list[dict]: ...

    def blocks(self, collection_id: int) -> list[dict]: ...

    def interval_span(self, collection_id: int) -> tuple[datetime, datetime, int] | None: ...

    def readings(
        self, collection_id: int, start: datetime | None = None, end: datetime | None = None
    ) -> list[Reading]: ...

    def readings_raw(
        self, collection_id: int, start: datetime | None = None, end: datetime | None = None
    ) -> list[tuple[int, str, float, str | None, int]]: ...

    def registers(self, collection_id: int) -> list[dict]: ...

    def events(self, session_id: int, collection_id: int | None = None) -> list[dict]: ...

    def clock_observations(self, session_id: int) -> list[dict]: ...

    def simulated_evidence(self, session_id: int) -> int: ...

    # -- the bytes ----------------------------------------------------------------------------
    def traces(self, session_id: int) -> list[dict]: ...

    def load_trace(self, trace_id: int) -> Trace: ...


if TYPE_CHECKING:

    def _a_store_is_a_reader(store: Store) -> SessionReader:
        return store  # mypy: Store has every read above, with these signatures
