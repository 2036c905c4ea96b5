"""The simulated HHDC collecting through the observer: its exports import as HHDC exports, and
each defect switch shows in its evidence (export or observed bytes) where a witness looks."""

from __future__ import annotations

import csv
from datetime import timedelta

import pytest

from bench_app.importers import import_csv
from bench_app.observe import Observer, ObserveSpec
from drivers.observe import exchanges
from drivers.sim import SimOptions, start_simulator
from drivers.sim.hhdc import SimHhdc

pytestmark = pytest.mark.slow


@pytest.fixture
def line(store, session_id):
    """(simulator, observer) — the HHDC dials ``observer.url``."""
    sim = start_simulator("dlms", options=SimOptions(meter="prometer100", days=2))
    obs = Observer(store, session_id, ObserveSpec("tcp://127.0.0.1:0", sim.url))
    obs.start()
    yield sim, obs
    obs.stop()
    sim.stop()


def _observed(obs: Observer, calls: int = 1):
    import time

    deadline = time.monotonic() + 10
    while len(obs.stored) < calls and time.monotonic() < deadline:
        obs.poll(0.1)
    assert len(obs.stored) >= calls
    return [e for s in obs.stored for e in exchanges(list(s.segment.trace))]


def _export_rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _hhdc(obs, tmp_path, *defects, password="HHDC2PASS"):
    return SimHhdc(obs.url, "dlms", password, 48, out_dir=tmp_path / "exports",
                   defects=defects)  # fmt: skip


def _window(sim):
    from datetime import datetime

    now = datetime.fromisoformat(str(sim.meter.state()["meter_time"]))
    end = now.replace(minute=0, second=0, microsecond=0)
    return end - timedelta(hours=6), end


def test_collection_through_the_observer_imports_as_an_hhdc_export(
    line, store, session_id, tmp_path
):
    sim, obs = line
    start, end = _window(sim)
    outcome = _hhdc(obs, tmp_path).collect("DR1-1", start, end)
    assert outcome.accepted and outcome.rows == 12 and outcome.export.name == "hhdc-DR1-1.csv"
    result = import_csv(store, session_id, outcome.export, source="hhdc")
    assert result.rows == 12 * 4
    found = _observed(obs)
    assert found[0].kind == "association" and found[0].details["accepted"] is True
    assert any("12 SPs returned" in e.result for e in found)


def test_drops_flags_loses_the_alarm_the_meter_sent(line, tmp_path):
    sim, obs = line
    sim.control.phase_failure(1)
    sim.control.advance(3600)
    sim.control.phase_restore(1)
    sim.control.advance(3600)
    start, end = _window(sim)
    outcome = _hhdc(obs, tmp_path, "drops-flags").collect("DR4-1a", start, end)
    assert {r["Flag"] for r in _export_rows(outcome.export)} == {"0"}
    profile = next(e for e in _observed(obs) if "SPs returned" in e.result)
    assert profile.details["flagged"] >= 1  # the meter sent the flag; the HHDC dropped it


def test_stores_wrong_period_shifts_the_export(line, tmp_path):
    sim, obs = line
    start, end = _window(sim)
    outcome = _hhdc(obs, tmp_path, "stores-wrong-period").collect("DR1-1", start, end)
    first = min(r["Start"] for r in _export_rows(outcome.export))
    assert first == (start + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_ignores_clock_set_sends_nothing(line, tmp_path):
    sim, obs = line
    outcome = _hhdc(obs, tmp_path, "ignores-clock-set").set_clock("DR3-2")
    assert outcome.accepted  # it says it did
    obs.poll(0.5)
    assert not [e for s in obs.stored for e in exchanges(list(s.segment.trace))
                if e.kind == "set"]  # fmt: skip


def test_clock_set_is_observed_with_old_and_new_time(line, tmp_path):
    sim, obs = line
    sim.control.set_clock_offset(-10)
    outcome = _hhdc(obs, tmp_path).set_clock("DR3-2")
    assert outcome.accepted
    clock_set = next(e for e in _observed(obs) if e.kind == "set")
    assert clock_set.result == "success" and clock_set.details["old"] < clock_set.details["new"]


def test_accepts_data_after_refusal_writes_an_export_anyway(line, tmp_path):
    sim, obs = line
    start, end = _window(sim)
    good = _hhdc(obs, tmp_path)
    good.collect("DR1-1", start, end)
    faulty = _hhdc(obs, tmp_path, "accepts-data-after-refusal")
    outcome = faulty.collect("DR2-1", start, end, password="WRONGPW1")
    assert not outcome.accepted and outcome.export is not None and outcome.rows > 0
    honest = good.collect("DR2-1", start, end, password="WRONGPW1")
    assert not honest.accepted and honest.export is None
    refused = [e for e in _observed(obs, 3) if e.kind == "association" and e.level == "refused"]
    assert len(refused) == 2


def test_cli_step_writes_the_export_and_says_what_happened(line, tmp_path, capsys):
    from bench_app.cli import main

    sim, obs = line
    start, end = _window(sim)
    out = tmp_path / "cli"
    argv = ["simulate-hhdc", "--port", obs.url, "--password", "HHDC2PASS", "--step", "DR2-2",
            "--collect", "--from", start.isoformat(), "--to", end.isoformat(), "--out", str(out)]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "DR2-2: collect accepted: collected 12 periods" in text
    assert (out / "hhdc-DR2-2.csv").exists()
    assert main([*argv[:6], "DR2-1", *argv[7:], "--wrong-password", "NOTTHEONE"]) == 0
    assert "DR2-1: collect refused" in capsys.readouterr().out
    assert not (out / "hhdc-DR2-1.csv").exists()


def test_import_step_tags_the_hhdc_export_with_its_step(line, store, session_id, tmp_path,
                                                        capsys):  # fmt: skip
    from bench_app.cli import main

    sim, obs = line
    start, end = _window(sim)
    outcome = _hhdc(obs, tmp_path).collect("DR4-1a", start, end)
    assert main(["import", "--session", str(session_id), "--db", str(store.path), "--source",
                 "hhdc", "--step", "DR4-1a", str(outcome.export)]) == 0  # fmt: skip
    assert "evidence for step DR4-1a" in capsys.readouterr().out
    hhdc = [c for c in store.collections(session_id) if c["source"] == "hhdc"]
    assert [c["meta"].get("step") for c in hhdc] == ["DR4-1a"]
