"""Crash safety with a real read: ``bench-app read --session`` against a simulator, SIGKILLed.

After every kill the database must pass ``PRAGMA integrity_check``, the audit chain must verify,
and a final read must complete with exactly the simulator's rows — no duplicates, nothing lost.
The simulator paces bytes at the line speed so a read takes long enough to be killed mid-way.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest

from bench_app.store import Store
from drivers.sim import start_simulator

FROZEN = datetime(2026, 11, 24, 12, 10, tzinfo=UTC)
KILLS = 11  # per protocol: 22 in all


def _read(url: str, protocol: str, password: str, db, session: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bench_app", "read", "--port", url, "--protocol", protocol,
         "--password", password, "--session", str(session), "--db", str(db)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


@pytest.mark.parametrize("protocol", ["dlms", "iec21"])
def test_sigkill_during_read_loses_at_most_a_block(tmp_path, protocol):
    rng = random.Random(f"crash-{protocol}")
    extra = {"max_baud_code": "6"} if protocol == "iec21" else {}  # 19200 baud after sign-on
    sim = start_simulator(
        protocol, days=6, seed=3, baud_emulation=True, baud=19200, clock=lambda: FROZEN, **extra
    )
    desc = sim.meter.description
    password = desc.iec_password if protocol == "iec21" else "HHDC2PASS"
    db = tmp_path / "crash.db"
    store = Store.open(db)
    sid = store.create_session("CRASH", "protocol-approval")
    store.close()
    expected = sim.meter.interval_count() * len(desc.channels)
    kills = 0
    try:
        while kills < KILLS:
            proc = _read(sim.url, protocol, password, db, sid)
            time.sleep(rng.uniform(0.3, 1.3))
            if proc.poll() is not None:  # finished before the kill: start again
                assert proc.returncode == 0, proc.stderr.read()
                break
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            kills += 1
            store = Store.open(db)
            try:
                assert store.integrity_check() == "ok"
                assert store.verify(sid).ok, store.verify(sid).first_broken
            finally:
                store.close()
        final = _read(sim.url, protocol, password, db, sid)
        assert final.wait(timeout=120) == 0, final.stderr.read()
    finally:
        sim.stop()
    store = Store.open(db)
    try:
        bench = [c for c in store.collections(sid) if c["source"] == "bench"]
        complete = [c for c in bench if store.registers(c["id"])]
        assert len(complete) == 1, bench
        assert complete[0]["rows"] == expected
        assert store.verify(sid).ok
    finally:
        store.close()
    assert kills == KILLS

