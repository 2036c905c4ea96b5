"""Storage benchmark: bulk insert of 1 M readings, and reconciling a 90-day session.

Prints one JSON object. Goals (2-core machine): insert 1 M readings ≤ 8 s; open a
90-day × 4-channel × 3-collection session and reconcile it ≤ 0.5 s.

    .venv/bin/python bench/store_bench.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_app.reconcile import reconcile_many
from bench_app.store import Store
from drivers.model import Channel, ProfileRow

CHANNELS = [Channel(f"1.0.{c}.8.0.255", "kWh") for c in (1, 2, 3, 4)]
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def rows(count: int, start: int = 0) -> list[ProfileRow]:
    return [
        ProfileRow(T0 + timedelta(minutes=30 * k), [k % 500 / 100, k % 7 / 10, k % 13 / 10, 0.5],
                   1 if k % 97 == 0 else 0)
        for k in range(start, start + count)
    ]  # fmt: skip


def bench_insert(folder: Path, readings: int, block_rows: int) -> dict:
    store = Store.open(folder / "insert.db")
    sid = store.create_session("BENCH", "protocol-approval")
    cid = store.new_collection(sid, "bench", "bench")
    n_rows = readings // len(CHANNELS)
    data = rows(n_rows)
    t = time.perf_counter()
    added = 0
    for i in range(0, n_rows, block_rows):
        added += store.add_profile_block(cid, CHANNELS, data[i : i + block_rows])
    elapsed = time.perf_counter() - t
    t = time.perf_counter()
    ok = store.verify(sid).ok
    verify_s = time.perf_counter() - t
    store.close()
    return {
        "readings": added,
        "blocks": (n_rows + block_rows - 1) // block_rows,
        "block_readings": block_rows * len(CHANNELS),
        "seconds": round(elapsed, 3),
        "readings_per_s": round(added / elapsed),
        "goal_s": 8.0,
        "met": elapsed <= 8.0,
        "verify_s": round(verify_s, 3),
        "verify_ok": ok,
    }


def bench_reconcile(folder: Path) -> dict:
    path = folder / "session.db"
    store = Store.open(path, synchronous="NORMAL")
    sid = store.create_session("BENCH-90", "protocol-approval")
    data = rows(90 * 48)
    for source in ("bench", "hhdc", "manufacturer"):
        cid = store.new_collection(sid, source, "bench")
        for i in range(0, len(data), 48):
            store.add_profile_block(cid, CHANNELS, data[i : i + 48])
    store.close()
    t = time.perf_counter()
    store = Store.open(path)
    ids = [c["id"] for c in store.collections(sid)]
    result = reconcile_many(store, ids)
    elapsed = time.perf_counter() - t
    store.close()
    return {
        "readings": 90 * 48 * 4 * 3,
        "pairs": len(result.results),
        "compared_per_pair": result.results[0].compared,
        "ok": result.ok,
        "seconds": round(elapsed, 3),
        "goal_s": 0.5,
        "met": elapsed <= 0.5,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000, help="readings to insert")
    ap.add_argument("--block", type=int, default=480, help="profile rows per block")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="store-bench-") as tmp:
        folder = Path(tmp)
        out = {
            "benchmark": "store",
            "insert": bench_insert(folder, args.rows, args.block),
            "reconcile_90d": bench_reconcile(folder),
        }
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
