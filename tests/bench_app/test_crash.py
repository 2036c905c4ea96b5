"""Crash safety: a writer storing profile blocks is SIGKILLed at random moments (≥ 20 times).

The child process plays a meter read: it resumes from ``last_interval`` and stores blocks of a
deterministic simulated profile through :class:`Store`, one transaction per block. After each kill
the database must pass ``PRAGMA integrity_check``, the audit chain must verify, and at the end a
final uninterrupted run must complete with exactly the expected row count.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench_app.store import Store

ROWS = 2400  # 50 days of half-hourly rows × 2 channels = 4800 readings
BLOCK = 24
KILLS = 22

CHILD = r"""
import sys, time
from datetime import UTC, datetime, timedelta
from bench_app.store import Store
from drivers.model import Channel, ProfileRow

db, cid, rows, block = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
t0 = datetime(2026, 3, 1, tzinfo=UTC)
channels = [Channel("1.0.1.8.0.255", "Wh"), Channel("1.0.3.8.0.255", "varh")]
store = Store.open(db)
last = store.last_interval(cid)
i = 0 if last is None else int((last - t0).total_seconds() // 1800)  # re-read the last one
print("start", i, flush=True)
while i < rows:
    chunk = [ProfileRow(t0 + timedelta(minutes=30 * k), [float(k % 500), float(k % 7)], k % 3)
             for k in range(i, min(rows, i + block))]
    store.add_profile_block(cid, channels, chunk)
    i += block
    time.sleep(0.002)  # the meter's next answer
print("done", flush=True)
"""


def run_child(db: Path, cid: int) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), str(cid), str(ROWS), str(BLOCK)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.mark.timeout(120)
def test_sigkill_during_block_writes_loses_nothing_committed(tmp_path):
    db = tmp_path / "crash.db"
    with Store.open(db) as store:
        sid = store.create_session("CRASH", "protocol-approval")
        cid = store.new_collection(sid, "bench", "sim")
    rng = random.Random(601)
    counts = []
    kills = 0
    while kills < KILLS:
        proc = run_child(db, cid)
        assert proc.stdout.readline().startswith("start")  # interpreter up, store opened
        time.sleep(rng.uniform(0.0, 0.06))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(timeout=30)
        with Store.open(db) as store:
            assert store.integrity_check() == "ok"
            res = store.verify()
            assert res.ok, res.first_broken
            n = store.collections(sid)[0]["rows"]
            assert n % 2 == 0  # both channels of a row are always together
            counts.append(n)
    assert counts == sorted(counts)  # committed blocks are never lost
    proc = run_child(db, cid)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    with Store.open(db) as store:
        assert store.integrity_check() == "ok"
        assert store.verify().ok
        rows = store.readings_raw(cid)
        assert len(rows) == ROWS * 2
        assert len({(r[0], r[1]) for r in rows}) == ROWS * 2
    assert kills >= 20
