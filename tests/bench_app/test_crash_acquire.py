"""Evidence survives kill -9: reads through the CLI and through the GUI's worker, SIGKILLed.

Both protocols, a simulator paced at the line speed, ≥ 20 kills at random moments, the CLI
(``bench-app read --session``) and the GUI worker (:class:`ui.workers.PortWorker` running its
``connect`` and ``read`` operations, as its thread does) taking turns on the same session. After
every kill: the file is sound and its audit chain verifies, no stored reading is lost or lacks
the bytes that carried it, no event or register is stored twice. A final read resumes and the
collection then holds exactly the meter's rows, events (two real events in the same second kept
apart) and registers, and is marked complete.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench_app.store import Store
from drivers.meter import ConnectOptions, create_meter
from drivers.model import EventCode
from drivers.sim import start_simulator

FROZEN = datetime(2026, 11, 24, 12, 10, tzinfo=UTC)
#: kills per protocol (22 in all), alternating CLI and GUI worker; the IEC read is slower
KILLS = {"dlms": 13, "iec21": 9}
#: seconds after a read's process starts when it may be killed: from the sign-on to the last
#: register (an IEC read signs on at 300 baud and asks for its profile in one big block)
KILL_WINDOW = {"dlms": (0.5, 3.5), "iec21": (2.5, 8.0)}
ROOT = Path(__file__).resolve().parents[2]

GUI_CHILD = r"""
import sys
from bench_app.store import Store
from drivers.meter import ConnectOptions, create_meter
from ui.workers import PortWorker

url, protocol, password, db, sid = sys.argv[1:6]
opts = ConnectOptions(url=url, password=password, client_sap=48)
worker = PortWorker(lambda: create_meter(protocol, opts), lambda: Store.open(db), int(sid))
failures = []
worker.failed.connect(lambda op, exc, ctx: failures.append(f"{op}: {exc!r}"))
worker.run(1, "connect", {})
worker.run(2, "read", {})
worker.shutdown()
if failures:
    print(failures, file=sys.stderr)
    sys.exit(1)
"""


def _child(kind: str, url: str, protocol: str, password: str, db: Path, sid: int):
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    if kind == "cli":
        cmd = [sys.executable, "-m", "bench_app", "read", "--port", url, "--protocol", protocol,
               "--password", password, "--session", str(sid), "--db", str(db)]  # fmt: skip
    else:
        cmd = [sys.executable, "-c", GUI_CHILD, url, protocol, password, str(db), str(sid)]
    return subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT
    )


def _event_keys(rows) -> Counter:
    return Counter((r["time"], int(r["code"]), r["text"]) for r in rows)


def _check(db: Path, sid: int, expected_events: Counter, seen: list[int]) -> list[dict]:
    """Everything that must hold after any kill; returns the bench collections."""
    with Store.open(db) as store:
        assert store.integrity_check() == "ok"
        res = store.verify(sid)
        assert res.ok, res.first_broken
        bench = [c for c in store.collections(sid) if c["source"] == "bench"]
        total = sum(c["rows"] for c in bench)
        assert not seen or total >= seen[-1], "stored readings were lost"
        seen.append(total)
        for c in bench:
            assert store.uncovered_readings(c["id"]) == 0, f"collection {c['id']} lacks bytes"
            got = _event_keys(store.events(sid, c["id"]))
            assert not got - expected_events, f"duplicated events in {c['id']}: {got}"
            obis = [r["obis"] for r in store.registers(c["id"])]
            assert len(obis) == len(set(obis)), f"duplicated registers in {c['id']}"
            for b in store.blocks(c["id"]):
                assert b["trace_sha256"], b
        return bench


def _run_protocol(protocol: str, tmp: Path, errors: list) -> None:
    try:
        _kill_and_resume(protocol, tmp)
    except BaseException as exc:  # noqa: BLE001 - reported by the test thread
        errors.append((protocol, exc))


def _kill_and_resume(protocol: str, tmp: Path) -> None:
    rng = random.Random(f"kill-{protocol}")
    extra = {"max_baud_code": "6"} if protocol == "iec21" else {}  # 19200 baud after sign-on
    sim = start_simulator(
        protocol, days=2, seed=5, baud_emulation=True, baud=19200, clock=lambda: FROZEN, **extra
    )
    # two real events in the same second (the clock is frozen) and a third one
    for code in (EventCode.PHASE_FAILURE_L1, EventCode.PHASE_FAILURE_L1, EventCode.BATTERY_FAULT):
        sim.meter.log(code)
    desc = sim.meter.description
    password = desc.iec_password if protocol == "iec21" else "HHDC2PASS"
    db = tmp / f"kill-{protocol}.db"
    with Store.open(db) as store:
        sid = store.create_session("KILL", "protocol-approval")
    expected_rows = sim.meter.interval_count() * len(desc.channels)
    try:
        opts = ConnectOptions(url=sim.url, password=password, client_sap=48)
        truth = create_meter(protocol, opts)
        truth.connect()
        try:
            expected_events = Counter(
                (e.time, int(e.code), e.text) for e in truth.read_events()
            )
            expected_obis = {r.obis for r in truth.read_registers()}
        finally:
            truth.close()
        assert sum(expected_events.values()) >= 3
        seen: list[int] = []
        kills = 0
        while kills < KILLS[protocol]:
            kind = "cli" if kills % 2 == 0 else "gui"
            proc = _child(kind, sim.url, protocol, password, db, sid)
            try:  # finished before the kill: fine, carry on
                assert proc.wait(rng.uniform(*KILL_WINDOW[protocol])) == 0, proc.stderr.read()
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                kills += 1
                proc.wait(timeout=30)
            _check(db, sid, expected_events, seen)
        final = _child("gui", sim.url, protocol, password, db, sid)
        assert final.wait(timeout=120) == 0, final.stderr.read()
    finally:
        sim.stop()
    bench = _check(db, sid, expected_events, seen)
    print(protocol, "readings after each kill:", seen)
    with Store.open(db) as store:
        assert bench
        for c in bench:  # a read killed after it completed leaves a 2nd, later resumed, one
            assert store.collection_state(c["id"])["state"] == "complete", c
            assert c["rows"] == expected_rows
            assert len(store.readings_raw(c["id"])) == expected_rows
            assert _event_keys(store.events(sid, c["id"])) == expected_events
            assert {r["obis"] for r in store.registers(c["id"])} == expected_obis
    assert kills == KILLS[protocol]


@pytest.mark.timeout(240)
def test_kill9_during_cli_and_gui_reads_loses_and_duplicates_nothing(tmp_path):
    """Both protocols at once (the reads mostly wait on the paced line)."""
    errors: list = []
    threads = [
        threading.Thread(target=_run_protocol, args=(p, tmp_path, errors))
        for p in ("dlms", "iec21")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0][1]
