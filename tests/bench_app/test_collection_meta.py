"""A bench collection's meta: one key scheme written, older schemes (as kept in the frozen
databases of earlier versions) read by the same typed reader."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench_app.store.collection_meta import CollectionMeta

LEGACY = Path(__file__).parent / "legacy_db"
T1 = datetime(2026, 11, 1, tzinfo=UTC)
T2 = datetime(2026, 11, 3, 12, 30, tzinfo=UTC)


def test_one_scheme_is_written_with_z_times_and_only_set_keys() -> None:
    meta = CollectionMeta(label="bench read", start=T1, end=T2, deviations=["serial differs"])
    assert meta.to_json() == {
        "label": "bench read",
        "start": "2026-11-01T00:00:00Z",
        "end": "2026-11-03T12:30:00Z",
        "deviations": ["serial differs"],
    }
    step = CollectionMeta(label="events read 1", step="DR4-1a", run_id=3, kind="events")
    assert step.to_json() == {
        "label": "events read 1", "step": "DR4-1a", "run_id": 3, "kind": "events"
    }
    assert CollectionMeta.from_json(meta.to_json()) == meta
    assert CollectionMeta.from_json(step.to_json()) == step


@pytest.mark.parametrize(
    ("stored", "start", "end"),
    [
        ({"range": ["2026-11-01T00:00:00+00:00", "2026-11-03T12:30:00+00:00"]}, T1, T2),
        ({"range": [None, "2026-11-03T12:30:00+00:00"]}, None, T2),
        ({"range": [None, None]}, None, None),
        ({"start": "2026-11-01T00:00:00+00:00", "end": None}, T1, None),
        ({"start": "2026-11-01T00:00:00Z", "end": "2026-11-03T12:30:00Z"}, T1, T2),
        ({"start": "not a time"}, None, None),
        ({}, None, None),
    ],
)
def test_older_schemes_read_the_same(stored: dict, start, end) -> None:
    meta = CollectionMeta.from_json(stored)
    assert (meta.start, meta.end) == (start, end)
    assert "range" not in meta.to_json()


def test_not_a_dict_reads_as_empty() -> None:
    assert CollectionMeta.from_json(None) == CollectionMeta()
    assert CollectionMeta.from_json([1, 2]) == CollectionMeta()  # type: ignore[arg-type]


def _frozen_metas() -> list[tuple[str, dict]]:
    out = []
    for db in sorted(LEGACY.glob("*/demo.db")):
        conn = sqlite3.connect(db)
        try:
            rows = conn.execute("SELECT meta FROM collections WHERE source = 'bench'").fetchall()
        finally:
            conn.close()
        out += [(db.parent.name, json.loads(m or "{}")) for (m,) in rows]
    return out


def test_every_bench_collection_of_the_frozen_databases_reads() -> None:
    metas = _frozen_metas()
    assert any("range" in m for _, m in metas) and any("start" in m for _, m in metas)
    for name, stored in metas:
        meta = CollectionMeta.from_json(stored)
        assert meta.serial == (stored.get("identity") or {}).get("serial", ""), name
        assert (meta.label, meta.step) == (stored.get("label", ""), stored.get("step", "")), name
        lo, hi = stored.get("range") or [stored.get("start"), stored.get("end")]
        for got, text in ((meta.start, lo), (meta.end, hi)):
            want = None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))
            assert got == want and (got is None or got.tzinfo is not None), (name, stored)
