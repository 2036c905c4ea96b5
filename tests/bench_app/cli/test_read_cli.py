"""``bench-app read`` as a user runs it: JSON shape, exit codes, trace file, stored sessions."""

from __future__ import annotations

import json

import pytest

from bench_app.cli import main
from bench_app.store import Store
from drivers.sim import start_simulator
from drivers.trace import Trace

PASSWORDS = {"iec21": "ABCDEF12", "dlms": "HHDC2PASS"}


@pytest.mark.parametrize("protocol", ["iec21", "dlms"])
def test_json_shape_and_trace(protocol, tmp_path, capsys):
    with start_simulator(protocol, days=2, seed=4) as sim:
        trace = tmp_path / "trace.jsonl"
        code = main(["read", "--port", sim.url, "--protocol", protocol, "--password",
                     PASSWORDS[protocol], "--json", "--trace", str(trace)])  # fmt: skip
        rows = sim.meter.profile_rows()
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"identity", "clock", "registers", "profile", "events"}
    assert out["identity"]["serial"] == sim.meter.description.serial
    assert set(out["clock"]) == {"meter_time", "pc_time", "deviation_s"}
    import_obis = "1.0.1.8.0.255"  # both drivers report the canonical long OBIS code
    (active,) = [r for r in out["registers"] if r["obis"] == import_obis]
    spec, wh = sim.meter.registers_wh()[0]
    assert active["value"] * (1 if active["unit"] == "Wh" else 1000) == pytest.approx(wh)
    prof = out["profile"]
    assert prof["period_min"] == 30 and len(prof["channels"]) == 4
    assert len(prof["rows"]) == len(rows)
    assert prof["rows"][0]["start"].endswith("Z")
    if protocol == "dlms":
        assert out["identity"]["outstation_type"] == "PRO"
        assert set(out["identity"]["firmware"]) == {"metrology", "application", "communications"}
    saved = Trace.load(trace)
    assert len(saved) > 4
    assert PASSWORDS[protocol].encode() not in b"".join(r.data for r in saved)


@pytest.mark.parametrize("protocol", ["iec21", "dlms"])
def test_wrong_password_exit_5_and_nothing_read(protocol, tmp_path, capsys):
    with start_simulator(protocol, days=1) as sim:
        trace = tmp_path / "t.jsonl"
        code = main(["read", "--port", sim.url, "--protocol", protocol, "--password",
                     "WRONGPASS", "--trace", str(trace)])  # fmt: skip
    err = capsys.readouterr()
    assert code == 5
    assert sim.url in err.err and "Traceback" not in err.err
    assert err.out == ""  # nothing else read, nothing printed
    rx = b"".join(r.data for r in Trace.load(trace) if r.direction == "rx")
    assert b"P.01" not in rx and b"1.8.0(" not in rx


def test_corrupt_fault_exit_4_names_port_and_step(capsys):
    with start_simulator("iec21", days=1, faults=["corrupt"]) as sim:
        code = main(["read", "--port", sim.url, "--protocol", "iec21", "--timeout", "1"])
    err = capsys.readouterr().err
    assert code == 4
    assert sim.url in err and "step" in err


def test_unplugged_port_exit_3(capsys):
    code = main(["read", "--port", "socket://127.0.0.1:9", "--protocol", "iec21"])
    assert code == 3
    assert "socket://127.0.0.1:9" in capsys.readouterr().err


def test_read_into_session_stores_collection(tmp_path, capsys):
    db = tmp_path / "s.db"
    store = Store.open(db)
    sid = store.create_session("READ-1", "protocol-approval")
    store.close()
    with start_simulator("dlms", days=3) as sim:
        assert main(["read", "--port", sim.url, "--protocol", "dlms", "--password",
                     "HHDC2PASS", "--session", str(sid), "--db", str(db)]) == 0  # fmt: skip
        expected = sim.meter.interval_count() * 4
    store = Store.open(db)
    try:
        (coll,) = store.collections(sid)
        assert coll["rows"] == expected and store.registers(coll["id"])
        assert store.traces(sid) and store.clock_observations(sid)
        assert store.verify(sid).ok
    finally:
        store.close()
    assert "Meter" in capsys.readouterr().out


def test_bad_time_is_usage_error(capsys):
    code = main(["read", "--port", "loop://", "--protocol", "iec21", "--from", "yesterday"])
    assert code == 2 and "ISO 8601" in capsys.readouterr().err


def test_public_client_refusal_says_to_give_the_password(capsys):
    with start_simulator("dlms", days=1) as sim:
        code = main(["read", "--port", sim.url, "--protocol", "dlms"])
    err = capsys.readouterr().err
    assert code == 5
    assert "--password" in err and sim.url in err and "Traceback" not in err
