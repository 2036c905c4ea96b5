"""A simulated GPS receiver and a simulated HHDC's system say what they are in what the bench
reads anyway (an NMEA TXT sentence; the export's System column), and the evidence they back is
marked simulated: the session is then a simulator session (statement, every PDF page) whatever is
recorded later. A real receiver or a real HHDC export is not marked."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import pynmea2
import pytest

from bench_app.report import collect_report_data, render_report
from bench_app.report.statement import statement_from_data
from bench_app.store import Store
from bench_app.store.records import is_simulator_session
from bench_app.timesource import TimeSource
from drivers.model import ClockReading
from drivers.sim import gps as gps_sim
from drivers.sim.gps import ANNOUNCEMENT, GpsSimulator, txt_sentence
from tests.bench_app.report.report_fixtures import pdftotext

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="the simulated receiver's pty")


def _pages(pdf) -> list[str]:
    return [p for p in pdftotext(pdf).split("\f") if p.strip()]


def test_the_gps_simulator_names_itself_in_a_standard_txt_sentence():
    msg = pynmea2.parse(txt_sentence().strip())
    assert (msg.sentence_type, msg.msg_type, msg.text) == ("TXT", "02", ANNOUNCEMENT)
    with pytest.raises(ValueError, match="at most 61"):
        txt_sentence("A,B")


def _observe(store: Store, sid: int, ref) -> None:
    now = datetime.now(UTC)
    store.add_clock_observation(sid, ClockReading.of(now, now), note="clock read",
                                reference=ref.to_json(), simulated=False)  # fmt: skip


@posix_only
def test_clock_observations_backed_by_the_gps_simulator_mark_the_session(tmp_path):
    with GpsSimulator(pc_offset_s=1.0) as gps:
        ref = TimeSource(f"gps:{gps.url}", sentences=2).measure()
    assert ref.simulated and ref.text.startswith("SIMULATED GPS receiver")
    assert ref.to_json()["simulated"] is True
    with Store.open(tmp_path / "s.db") as store:
        sid = store.create_session("GPS-SIM", "protocol-approval")
        _observe(store, sid, ref)  # a real meter (simulated=False), a simulated reference
        (obs,) = store.clock_observations(sid)
        assert obs["simulated"] == 1 and "SIMULATED" in obs["reference_source"]
        assert is_simulator_session(store, sid) and store.verify(sid).ok
        data = collect_report_data(store, sid)
        assert statement_from_data(data)["simulated"] is True
        pages = _pages(render_report(data, tmp_path / "r.pdf"))
        assert pages and all("SIMULATED" in p for p in pages)


@posix_only
def test_a_real_receiver_is_not_marked(tmp_path, monkeypatch):
    # a receiver announcing its antenna, as real ones do: nothing says simulator
    monkeypatch.setattr(gps_sim, "txt_sentence", lambda: gps_sim._checksummed(
        "GPTXT,01,01,02,ANTSTATUS=OK"))  # fmt: skip
    with GpsSimulator(pc_offset_s=0.5) as gps:
        ref = TimeSource(f"gps:{gps.url}", sentences=2).measure()
    assert not ref.simulated and "simulated" not in ref.to_json()
    assert "SIMULATED" not in ref.text
    with Store.open(tmp_path / "s.db") as store:
        sid = store.create_session("GPS-REAL", "protocol-approval")
        _observe(store, sid, ref)
        assert store.clock_observations(sid)[0]["simulated"] == 0
        assert not is_simulator_session(store, sid)


def _window(sim):
    from datetime import timedelta

    now = datetime.fromisoformat(str(sim.meter.state()["meter_time"]))
    end = now.replace(minute=0, second=0, microsecond=0)
    return end - timedelta(hours=2), end


def test_the_simulated_hhdc_marks_what_the_bench_observes_and_imports(store, session_id,
                                                                      tmp_path):  # fmt: skip
    from bench_app.cli import main
    from bench_app.simulated_hhdc import ObservedSimHhdc
    from drivers.sim import SimOptions, start_simulator
    from drivers.sim.hhdc import SYSTEM_NAME

    with start_simulator("dlms", options=SimOptions(meter="prometer100", days=1)) as sim:
        hhdc = ObservedSimHhdc(store, session_id, sim.url, password="HHDC2PASS",
                               out_dir=tmp_path / "exports")  # fmt: skip
        said = hhdc.collect("DR1-1", *_window(sim))
    assert "collect accepted" in said
    export = tmp_path / "exports" / "hhdc-DR1-1.csv"
    assert export.read_text(encoding="utf-8").splitlines()[1].endswith("," + SYSTEM_NAME)
    (coll,) = store.collections(session_id)
    assert (coll["source"], coll["simulated"], coll["meta"]["systems"]) == (
        "hhdc", 1, [SYSTEM_NAME])
    observed = store.traces(session_id)
    assert observed and all(t["simulated"] == 1 for t in observed)
    # a later bench record naming a real port does not unmark the session
    assert main(["session", "set", "bench", str(session_id), "--port", "COM3",
                 "--db", str(store.path)]) == 0  # fmt: skip
    assert is_simulator_session(store, session_id) and store.verify(session_id).ok
    data = collect_report_data(store, session_id)
    assert statement_from_data(data)["simulated"] is True
    pages = _pages(render_report(data, tmp_path / "r.pdf"))
    assert pages and all("SIMULATED" in p for p in pages)


def test_the_cli_simulated_hhdc_export_is_marked_on_import(store, session_id, tmp_path, capsys):
    from bench_app.cli import main
    from drivers.sim import SimOptions, start_simulator

    with start_simulator("dlms", options=SimOptions(meter="prometer100", days=1)) as sim:
        start, end = _window(sim)
        assert main(["simulate-hhdc", "--port", sim.url, "--password", "HHDC2PASS",
                     "--step", "DR1-1", "--collect", "--from", start.isoformat(),
                     "--to", end.isoformat(), "--out", str(tmp_path)]) == 0  # fmt: skip
    assert main(["import", "--session", str(session_id), "--source", "hhdc", "--step", "DR1-1",
                 "--db", str(store.path), str(tmp_path / "hhdc-DR1-1.csv")]) == 0  # fmt: skip
    with Store.open(store.path) as again:
        assert again.collections(session_id)[0]["simulated"] == 1
        assert is_simulator_session(again, session_id)


def test_a_real_hhdc_export_is_not_marked(store, session_id, tmp_path):
    from bench_app.importers import import_csv

    for name, system in (("plain.csv", None), ("named.csv", "Acme HHDC 4.2")):
        path = tmp_path / name
        head = "MPAN,Serial,Start,Channel,Value,Unit,Flag" + (",System" if system else "")
        line = "1200012345678,S1,2026-12-06T00:00:00Z,1.0.1.8.0.255,0.5,kWh,0"
        path.write_text(f"{head}\n{line}{',' + system if system else ''}\n", encoding="utf-8")
        result = import_csv(store, session_id, path, source="hhdc", step="DR1-1")
        coll = store.collection(result.collection_id)
        assert coll["simulated"] is None
        assert coll["meta"].get("systems", []) == ([system] if system else [])
    assert not is_simulator_session(store, session_id)


def test_an_observer_not_told_marks_the_simulated_hhdcs_calls_by_its_association(
    store, session_id, tmp_path
):
    """``bench-app simulate-hhdc`` dialling an observer that knows nothing about it: its AARQ's
    calling-AP-title names the simulator, so the stored call is marked; the project's own client
    (no calling-AP-title, as a real HHDC's may send another) is not."""
    from bench_app.cli import main
    from bench_app.observe import Observer, ObserveSpec
    from drivers.meter import ConnectOptions, create_meter
    from drivers.model import SIMULATOR_SYSTEM_TITLE
    from drivers.sim import SimOptions, start_simulator

    with start_simulator("dlms", options=SimOptions(meter="prometer100", days=1)) as sim:
        obs = Observer(store, session_id, ObserveSpec("tcp://127.0.0.1:0", sim.url))
        url = obs.start()
        try:
            start, end = _window(sim)
            assert main(["simulate-hhdc", "--port", url, "--password", "HHDC2PASS",
                         "--step", "DR1-1", "--collect", "--from", start.isoformat(),
                         "--to", end.isoformat(), "--out", str(tmp_path)]) == 0  # fmt: skip
            other = create_meter("dlms", ConnectOptions(url=url, password="HHDC2PASS",
                                                        client_sap=48))  # fmt: skip
            other.connect()
            other.read_clock()
            other.close()
            import time

            deadline = time.monotonic() + 10
            while len(obs.stored) < 2 and time.monotonic() < deadline:
                obs.poll(0.1)
        finally:
            obs.stop()
    first, second = obs.stored[:2]
    assoc = first.exchanges[0]
    assert assoc.kind == "association" and assoc.details["simulated"] is True
    assert assoc.details["calling_ap_title"] == SIMULATOR_SYSTEM_TITLE.hex()
    assert "a simulated HHDC" in assoc.text
    assert "calling_ap_title" not in second.exchanges[0].details
    marks = {t["id"]: t["simulated"] for t in store.traces(session_id)}
    assert (marks[first.trace_id], marks[second.trace_id]) == (1, None)
    assert is_simulator_session(store, session_id)


def test_the_calling_ap_title_sits_in_the_aarq_and_the_password_stays_masked():
    from drivers.dlms.apdu import aarq
    from drivers.model import SIMULATOR_SYSTEM_TITLE, system_title_announces_simulator
    from drivers.redact import aarq_password_spans
    from drivers.sim.dlms_apdu import parse_aarq

    request = aarq("HHDC2PASS", calling_ap_title=SIMULATOR_SYSTEM_TITLE)
    assert b"\xa6\x0a\x04\x08" + SIMULATOR_SYSTEM_TITLE in request
    ((lo, hi),) = aarq_password_spans(request)
    assert request[lo:hi] == b"HHDC2PASS"
    assert parse_aarq(request).password == b"HHDC2PASS"  # the simulator takes it as before
    with pytest.raises(ValueError, match="8 octets"):
        aarq(None, calling_ap_title=b"SHORT")
    assert not system_title_announces_simulator(b"SMLXYZ\x00\x01")
