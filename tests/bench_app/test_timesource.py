"""The traceable reference clock: a simulated GPS receiver (NMEA on a pty), the PC offset measured
with every clock reading and stored with it, NTP and the PC clock named for what they are."""

from __future__ import annotations

import sys

import pynmea2
import pytest

from bench_app.cli import main
from bench_app.errors import UsageError
from bench_app.store import Store
from bench_app.timesource import PC_TEXT, TimeSource, describe
from drivers.sim import start_simulator
from drivers.sim.gps import GpsSimulator, rmc_sentence

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="the simulated receiver's pty")


def test_sentences_parse_with_a_valid_checksum():
    from datetime import UTC, datetime

    msg = pynmea2.parse(rmc_sentence(datetime(2026, 12, 7, 3, 4, 5, tzinfo=UTC)).strip())
    assert msg.sentence_type == "RMC" and msg.status == "A"
    assert (msg.datestamp.isoformat(), msg.timestamp.strftime("%H:%M:%S")) == ("2026-12-07",
                                                                             "03:04:05")


@posix_only
def test_gps_source_measures_the_pc_offset_against_the_receiver():
    with GpsSimulator(pc_offset_s=2.5) as gps:
        ref = TimeSource(f"gps:{gps.url}").measure()
    assert ref.traceable and "NMEA" in ref.text
    assert ref.offset_s == pytest.approx(2.5, abs=0.3)
    assert ref.uncertainty_s is not None and 0 < ref.uncertainty_s < 0.5
    assert "+2.5" in describe(ref) and "±" in describe(ref)


def test_gps_over_tcp_too_and_the_pc_is_named_not_traceable():
    with GpsSimulator(pc_offset_s=-1.0, where="tcp://127.0.0.1:0") as gps:
        ref = TimeSource(f"gps:{gps.url}", sentences=2).measure()
    assert ref.offset_s == pytest.approx(-1.0, abs=0.3)
    pc = TimeSource("pc").measure()
    assert (pc.offset_s, pc.uncertainty_s, pc.traceable) == (0.0, None, False)
    assert describe(pc) == PC_TEXT == "PC clock, not traceable"


def test_bad_or_silent_sources_are_clear_errors():
    for spec in ("gps", "ntp:", "radio:DCF77"):
        with pytest.raises(UsageError, match="give pc, gps:PORT"):
            TimeSource(spec)
    with pytest.raises(UsageError, match="ntp:127.0.0.1: no answer"):
        TimeSource("ntp:127.0.0.1", timeout_s=0.3).measure()
    import socket

    with socket.create_server(("127.0.0.1", 0)) as silent:  # a port where nothing is sent
        port = silent.getsockname()[1]
        with pytest.raises(UsageError, match="no valid RMC sentence"):
            TimeSource(f"gps:socket://127.0.0.1:{port}", timeout_s=0.3).measure()


@posix_only
def test_read_with_gps_time_source_stores_the_pc_offset_with_each_clock_reading(tmp_path, capsys):
    db = tmp_path / "s.db"
    with Store.open(db) as store:
        sid = store.create_session("GPS-1", "protocol-approval")
    with GpsSimulator(pc_offset_s=3.0) as gps, start_simulator("dlms", days=1) as sim:
        code = main(["read", "--port", sim.url, "--protocol", "dlms", "--password", "HHDC2PASS",
                     "--session", str(sid), "--db", str(db), "--time-source", f"gps:{gps.url}",
                     "--from", "2020-01-01T00:00:00Z"])  # fmt: skip
    assert code in (0, 16), capsys.readouterr().err
    with Store.open(db) as store:
        (obs,) = store.clock_observations(sid)
        assert obs["reference_offset_s"] == pytest.approx(3.0, abs=0.3)
        assert "GPS receiver" in obs["reference_source"]
        assert obs["reference_uncertainty_s"] < 0.5
        # the deviation is against the corrected reference (PC − 3 s): the simulated meter runs
        # on the PC's clock, so against the receiver it is 3 s fast
        assert obs["deviation_s"] == pytest.approx(3.0, abs=0.5)
        assert store.verify(sid).ok
