"""Short-name referencing end to end: ``simulate --referencing sn`` read by ``read`` gives the same
identity, clock, registers, profile and events as the same meter read with logical names."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

from bench_app.cli import main
from drivers.sim import SimOptions, start_simulator

T0 = datetime(2025, 3, 10, 10, 5, tzinfo=UTC)
DAY = ("--from", "2025-03-09T10:00Z", "--to", "2025-03-10T10:30Z")  # 48 rows + the event


def read_json(url: str, *extra: str, capsys) -> tuple[int, dict]:
    code = main(["read", "--port", url, "--protocol", "dlms", "--password", "HHDC2PASS",
                 "--json", *extra, *DAY])  # fmt: skip
    return code, json.loads(capsys.readouterr().out)


def comparable(reading: dict) -> dict:
    out = dict(reading)
    out["clock"] = {k: v for k, v in reading["clock"].items() if k == "meter_time"}
    return out


def test_sn_read_after_probe_equals_the_ln_read(tmp_path, capsys):
    draft = tmp_path / "sn-meter.toml"
    opts = dict(options=SimOptions(meter="prometer100", days=3), clock=lambda: T0)
    with (
        start_simulator("dlms", **opts) as ln,
        start_simulator("dlms", referencing="sn", **opts) as sn,
    ):
        ln.control.phase_failure(2)
        sn.control.phase_failure(2)
        base = ["--port", sn.url, "--protocol", "dlms", "--password", "HHDC2PASS"]
        assert main(["probe", *base, "--draft", str(draft), "--json"]) == 0
        probed = json.loads(capsys.readouterr().out)
        ln_code, by_ln = read_json(ln.url, capsys=capsys)
        sn_code, by_sn = read_json(sn.url, "--meter", str(draft), capsys=capsys)
        shipped = tmp_path / "prometer100-sn.toml"  # the shipped description, short names
        shipped.write_text('extends = "prometer100"\n[dlms]\nreferencing = "sn"\n')
        shipped_code, by_shipped = read_json(sn.url, "--meter", str(shipped), capsys=capsys)
    assert probed["findings"]["referencing"] == "sn"
    assert '\nreferencing = "sn"' in draft.read_text(encoding="utf-8")
    assert {o["obis"] for o in probed["objects"]} >= {"1.0.99.1.0.255", "0.0.1.0.0.255"}
    assert ln_code == 0 and len(by_ln["profile"]["rows"]) == 48
    assert len(by_ln["registers"]) == 4 and len(by_ln["identity"]["firmware"]) == 3
    assert by_ln["events"]  # the phase failure
    # the draft names roles and codes differently: compare what both reads got from the meter
    assert by_sn["identity"]["serial"] == by_ln["identity"]["serial"]
    assert sorted(by_sn["identity"]["firmware"].values()) == sorted(
        by_ln["identity"]["firmware"].values()
    )
    assert by_sn["registers"] == by_ln["registers"]
    assert by_sn["profile"]["rows"] == by_ln["profile"]["rows"]
    assert [e["time"] for e in by_sn["events"]] == [e["time"] for e in by_ln["events"]]
    assert by_sn["clock"]["meter_time"] == by_ln["clock"]["meter_time"]
    assert sn_code in (0, 16)  # the draft maps no event codes: a warning for the event
    # the shipped description read over short names is the LN read, exactly
    assert shipped_code == 0
    assert comparable(by_shipped) == comparable(by_ln)


def test_simulate_referencing_sn_on_the_command_line(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench_app", "simulate", "--referencing", "sn", "--days", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        url = proc.stdout.readline().strip().removeprefix("listening on ")
        meter = tmp_path / "sn.toml"
        meter.write_text('extends = "prometer100"\nname = "sn"\n[dlms]\nreferencing = "sn"\n')
        out = subprocess.run(
            [sys.executable, "-m", "bench_app", "read", "--port", url, "--protocol", "dlms",
             "--password", "HHDC2PASS", "--meter", str(meter), "--json"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        ln = subprocess.run(
            [sys.executable, "-m", "bench_app", "read", "--port", url, "--protocol", "dlms",
             "--password", "HHDC2PASS", "--json"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert out.returncode == 0, out.stderr
    reading = json.loads(out.stdout)
    assert reading["identity"]["serial"] == "PRO-SIM-000123"
    assert len(reading["profile"]["rows"]) >= 47 and len(reading["registers"]) == 4
    # an LN client is refused by an SN meter, and told so
    assert ln.returncode == 5 and "logical names" in ln.stderr
    assert "application-context-name-not-supported" in ln.stderr
