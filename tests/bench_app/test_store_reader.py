"""The typed seam between the store and its readers (the report, the GUI's read-only views):
``SessionReader`` lists what they read, and the store has each read with the same signature."""

from __future__ import annotations

import inspect
from typing import Any

from bench_app.store import Store
from bench_app.store.reader import SessionReader

MEMBERS = [
    name
    for name in dir(SessionReader)
    if not name.startswith("_") and callable(getattr(SessionReader, name))
]


def test_the_store_is_a_session_reader(store) -> None:
    assert isinstance(store, SessionReader)
    assert len(MEMBERS) >= 20
    for name in MEMBERS:
        want = inspect.signature(getattr(SessionReader, name))
        got = inspect.signature(getattr(Store, name))
        assert list(got.parameters) == list(want.parameters), name
        assert got.return_annotation == want.return_annotation, name


class _OnlyTheSeam:
    """A store seen through SessionReader only: anything else the report asks for fails."""

    def __init__(self, store: Store, used: set[str]) -> None:
        self._store, self._used = store, used
        self.conn = store.conn

    def __getattr__(self, name: str) -> Any:
        self._used.add(name)
        return getattr(self._store, name)


def test_the_report_reads_the_same_through_the_seam(store) -> None:
    from bench_app.report.data import collect_report_data
    from tests.bench_app.report.report_fixtures import fill_session

    sid = fill_session(store)
    used: set[str] = set()
    seen = collect_report_data(_OnlyTheSeam(store, used), sid)  # type: ignore[arg-type]
    direct = collect_report_data(store, sid)
    assert seen.overall == direct.overall
    assert seen.reconciliation == direct.reconciliation and seen.events == direct.events
    # everything the report read (itself, and through the verdict and reconciliation it runs)
    # is in the protocol
    assert {"get_session", "collections", "events", "traces", "step_results"} <= used
    assert used <= set(MEMBERS), used - set(MEMBERS)
