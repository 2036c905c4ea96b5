"""Helpers shared by the store tests (imported as a plain module from tests/bench_app)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bench_app import settlement
from bench_app.store import Store
from drivers.model import Channel, ProfileRow

CHANNELS = [Channel("1.0.1.8.0.255", "Wh"), Channel("1.0.3.8.0.255", "varh")]


def profile_rows(start: datetime, count: int, period_min: int = 30, seed: int = 1):
    """Deterministic, non-uniform profile rows (values in Wh / varh)."""
    rows = []
    for i in range(count):
        t = start + timedelta(minutes=period_min * i)
        a = float((i * 37 + seed * 11) % 500 + 100)
        r = float((i * 13 + seed * 7) % 90)
        rows.append(ProfileRow(t, [a, r], 0x0001 if i % 97 == 5 else 0))
    return rows


def day_rows(day: date, seed: int = 1):
    """Half-hourly rows covering settlement day ``day`` (46/48/50 of them)."""
    return profile_rows(settlement.day_start(day), settlement.periods_in_day(day), 30, seed)


def session_with(store: Store, *sources: str, days=(date(2026, 10, 24), date(2026, 10, 25))):
    """A session with one identical collection per source; returns (session id, ids)."""
    sid = store.create_session("APP-TEST", "protocol-approval", cops=["CoP5"])
    ids = []
    for source in sources:
        cid = store.new_collection(sid, source, "test")
        for day in days:
            store.add_profile_block(cid, CHANNELS, day_rows(day))
        ids.append(cid)
    return sid, ids


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)
