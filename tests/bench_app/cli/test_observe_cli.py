"""``bench-app observe`` as a process on the line between the project's own client (acting as
the HHDC) and the simulated meter: the session holds the observed trace, byte-identical to what
each side sent, and ``trace show --exchanges`` lists association / GET / SET lines."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from datetime import timedelta

import pytest

from bench_app.cli import main
from bench_app.store import Store
from drivers.meter import ConnectOptions, create_meter
from drivers.sim import start_simulator
from drivers.trace import Trace

pytestmark = pytest.mark.slow


def _observe(db, sid: int, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "bench_app", "observe", "--session", str(sid), "--db", str(db),
         *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


def test_observed_collection_is_stored_byte_identical_and_decoded(store, session_id, capsys):
    db, sid = store.path, session_id
    with start_simulator("dlms", days=2) as sim:
        proc = _observe(db, sid, "--listen", "tcp://127.0.0.1:0", "--to", sim.url,
                        "--calls", "1", "--step", "DR1-1")  # fmt: skip
        try:
            first = proc.stdout.readline()
            assert first.startswith("listening on socket://"), first + proc.stderr.read()
            relay_url = first.split()[-1]
            trace = Trace()
            hhdc = create_meter("dlms", ConnectOptions(
                url=relay_url, password="HHDC2PASS", client_sap=48, trace=trace))  # fmt: skip
            hhdc.connect()
            clock = hhdc.read_clock()
            hhdc.read_profile(clock.meter_time - timedelta(hours=5), clock.meter_time)
            hhdc.set_clock(clock.meter_time + timedelta(minutes=10))
            hhdc.close()
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0, err
    assert "stored trace" in out and "association client SAP 48" in out
    with Store.open(db, readonly=True) as st:
        rows = st.traces(sid)
        assert len(rows) == 1 and rows[0]["label"].startswith("observed HHDC ↔ meter [DR1-1]")
        observed = list(st.load_trace(rows[0]["id"]))
    for d in ("tx", "rx"):
        sent = b"".join(r.data for r in trace if r.direction == d)
        assert b"".join(r.data for r in observed if r.direction == d) == sent
    assert b"HHDC2PASS" not in b"".join(r.data for r in observed)
    capsys.readouterr()
    assert main(["trace", "show", "--session", str(sid), "--db", str(db), "--exchanges"]) == 0
    shown = capsys.readouterr().out
    assert "association client SAP 48" in shown and "→ accepted" in shown
    assert "GET load profile attribute 2 from" in shown and "SPs returned" in shown
    assert "SET clock from" in shown and "→ success" in shown
    assert main(["trace", "show", "--session", str(sid), "--db", str(db)]) == 0
    assert "HHDC→M" in capsys.readouterr().out
    pdf = db.parent / "observed.pdf"
    assert main(["report", "--session", str(sid), "--db", str(db), "--out", str(pdf)]) == 0
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
        assert "Appendix B. Observed HHDC" in text and "step DR1-1" in text
        assert "SET clock from" in text and "HHDC2PASS" not in text


def test_sigterm_stores_what_was_observed(store, session_id):
    db, sid = store.path, session_id
    with start_simulator("dlms", days=1) as sim:
        proc = _observe(db, sid, "--listen", "tcp://127.0.0.1:0", "--to", sim.url)
        relay_url = proc.stdout.readline().split()[-1]
        hhdc = create_meter("dlms", ConnectOptions(url=relay_url, password="HHDC2PASS",
                                                   client_sap=48))  # fmt: skip
        hhdc.connect()
        hhdc.read_clock()
        hhdc.close()
        time.sleep(0.5)
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "observed 1 segment(s)" in out
    with Store.open(db, readonly=True) as st:
        assert len(st.traces(sid)) == 1


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--listen", "tcp://127.0.0.1:0", "--tap-meter", "COM9"], "--tap-hhdc"),
        (["--from", "COM4", "--to", "COM3", "--calls", "2"], "--calls"),
        (["--listen", "udp://x:1", "--to", "COM3"], "tcp://"),
        (["--from", "COM4", "--to", "COM3", "--line", "fast"], "BAUD FORMAT"),
    ],
)
def test_usage_errors_name_the_option(store, session_id, argv, needle, capsys):
    try:
        code = main(["observe", "--session", str(session_id), "--db", str(store.path), *argv])
    except SystemExit as exc:  # argparse refuses a malformed value itself
        code = exc.code
    assert code == 2
    assert needle in capsys.readouterr().err
