"""Tolerant reads: a meter that lacks an optional object is still read, and says what it lacks.

The acceptance case of issue 15 runs as a user runs it: ``bench-app simulate --without
0.0.99.98.0.255`` in its own process, ``bench-app read`` against it.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench_app.cli import main
from bench_app.cli.read import EXIT_READ_WITH_WARNINGS
from drivers.sim import SimOptions, start_simulator

EVENT_LOG = "0.0.99.98.0.255"


def _simulate(*args: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench_app", "simulate", "--days", "2", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first = proc.stdout.readline().strip()
    assert first.startswith("listening on "), (first, proc.stderr.read() if proc.poll() else "")
    return proc, first.removeprefix("listening on ")


def test_read_without_event_log_exits_read_with_warnings(capsys):
    proc, url = _simulate("--protocol", "dlms", "--without", EVENT_LOG)
    try:
        code = main(["read", "--port", url, "--protocol", "dlms", "--password", "HHDC2PASS",
                     "--json"])  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    captured = capsys.readouterr()
    assert code == EXIT_READ_WITH_WARNINGS == 16, captured.err
    out = json.loads(captured.out)
    assert out["identity"]["serial"] == "PRO-SIM-000123"
    assert len(out["identity"]["firmware"]) == 3
    assert [r["obis"] for r in out["registers"]] == [f"1.0.{c}.8.0.255" for c in (1, 2, 3, 4)]
    assert len(out["profile"]["rows"]) >= 2 * 48 - 1
    assert out["events"] == []
    (warning,) = out["warnings"]
    assert warning["object"] == EVENT_LOG
    assert "event log" in warning["reason"] and "refused" in warning["reason"]
    assert "warning" in captured.err


def test_text_summary_lists_each_warning(capsys):
    opts = SimOptions(meter="prometer100", days=1, without=["0-0:96.1.1*255", "0.2.0.2.0.255"])
    with start_simulator("dlms", options=opts) as sim:
        code = main(["read", "--port", sim.url, "--protocol", "dlms", "--password", "HHDC2PASS"])
    out = capsys.readouterr().out
    assert code == 16
    lines = [line for line in out.splitlines() if line.startswith("Warning")]
    assert len(lines) == 2
    assert any("0.0.96.1.1.255" in line and "outstation type" in line for line in lines)
    assert any("0.2.0.2.0.255" in line and "communications firmware" in line for line in lines)
    assert "Register    1.0.4.8.0.255" in out and "Profile     " in out  # the rest was read
    assert "Type code" not in out  # nothing made up for what the meter did not say


def test_a_profile_column_without_scaler_drops_the_profile_not_the_read(capsys):
    """Channels, units and scalers come from the meter's own objects: when a column's register
    cannot be read the profile is reported missing rather than stored unscaled."""
    opts = SimOptions(meter="prometer100", days=1, without=["1.0.2.8.0.255"])
    with start_simulator("dlms", options=opts) as sim:
        code = main(["read", "--port", sim.url, "--protocol", "dlms", "--password", "HHDC2PASS",
                     "--json"])  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert code == 16 and out["profile"] is None and len(out["registers"]) == 3
    objects = {(w["object"], w["attribute"]) for w in out["warnings"]}
    assert ("1.0.2.8.0.255", 3) in objects
    assert any(w["reason"].startswith("load profile") for w in out["warnings"])


def test_complete_read_exits_zero_with_empty_warnings(capsys):
    with start_simulator("dlms", days=1) as sim:
        code = main(["read", "--port", sim.url, "--protocol", "dlms", "--password", "HHDC2PASS",
                     "--json"])  # fmt: skip
    assert code == 0
    assert json.loads(capsys.readouterr().out)["warnings"] == []


@pytest.mark.parametrize("bad", ["0.0.99.98.0", "event-log", "1.0.300.8.0.255"])
def test_simulate_without_rejects_what_is_not_obis(bad):
    out = subprocess.run(
        [sys.executable, "-m", "bench_app", "simulate", "--without", bad],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "--without" in out.stderr and bad in out.stderr


def test_simulate_unknown_meter_names_the_known_ones():
    out = subprocess.run(
        [sys.executable, "-m", "bench_app", "simulate", "--meter", "nosuchmeter"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "northgate-nx7" in out.stderr and "prometer100" in out.stderr


def test_session_read_without_event_log_stores_the_rest_and_records_the_warning(
    tmp_path, capsys
):
    """``read --session`` is as tolerant as a read without one: identity, clock, profile and
    registers are stored, the collection is complete with the warning recorded, exit 16."""
    from bench_app.store import Store

    db = tmp_path / "s.db"
    with Store.open(db) as store:
        sid = store.create_session("BSCP601-W", "protocol-approval")
    proc, url = _simulate("--protocol", "dlms", "--without", EVENT_LOG)
    try:
        code = main(["read", "--port", url, "--protocol", "dlms", "--password", "HHDC2PASS",
                     "--session", str(sid), "--db", str(db)])  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    captured = capsys.readouterr()
    assert code == EXIT_READ_WITH_WARNINGS, captured.err
    assert any(line.startswith("Warning") and EVENT_LOG in line
               for line in captured.out.splitlines())  # fmt: skip
    assert "read with 1 warning(s)" in captured.err
    with Store.open(db) as store:
        (coll,) = store.collections(sid)
        state = store.collection_state(coll["id"])
        assert state["state"] == "complete"
        (warning,) = state["warnings"]
        assert EVENT_LOG in warning and "event log" in warning
        assert coll["rows"] >= 4 * (2 * 48 - 1) and len(store.registers(coll["id"])) == 4
        assert store.events(sid) == [] and store.incomplete_collections(sid) == []
        assert store.verify(sid).ok
    assert main(["session", "show", str(sid), "--db", str(db)]) == 0
    assert f"read with warning: {EVENT_LOG}" in capsys.readouterr().out


def test_session_read_without_a_register_is_not_aborted(tmp_path, capsys):
    """The case that aborted with exit 4 before: a profile column whose register is missing."""
    from bench_app.store import Store

    db = tmp_path / "s.db"
    with Store.open(db) as store:
        sid = store.create_session("BSCP601-W", "protocol-approval")
    opts = SimOptions(meter="prometer100", days=1, without=["1.0.2.8.0.255"])
    with start_simulator("dlms", options=opts) as sim:
        code = main(["read", "--port", sim.url, "--protocol", "dlms", "--password", "HHDC2PASS",
                     "--session", str(sid), "--db", str(db)])  # fmt: skip
    assert code == EXIT_READ_WITH_WARNINGS, capsys.readouterr().err
    with Store.open(db) as store:
        (coll,) = store.collections(sid)
        state = store.collection_state(coll["id"])
        assert state["state"] == "complete" and len(store.registers(coll["id"])) == 3
        assert any(w.startswith("1.0.2.8.0.255 attribute 3: load profile")
                   for w in state["warnings"])  # fmt: skip
