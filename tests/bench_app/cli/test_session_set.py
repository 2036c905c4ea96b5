"""``bench-app session set``: the whole formal record from the command line, into the report."""

from __future__ import annotations

import pytest

from bench_app.cli import main
from bench_app.report.data import collect_report_data
from bench_app.store import Store


@pytest.fixture
def db(tmp_path, capsys):
    path = tmp_path / "s.db"
    assert main(["session", "new", "--reference", "BSCP601-9", "--kind", "protocol-approval",
                 "--cop", "1", "--cop", "5", "--db", str(path)]) == 0  # fmt: skip
    capsys.readouterr()
    return path


def test_every_record_can_be_set_from_the_cli(db, capsys):
    base = ["session", "set"]
    d = ["--db", str(db)]
    cmds = [
        ["participant", "1", "--name", "A. Tester", "--organisation", "Lab", "--role", "tester"],
        ["participant", "1", "--name", "B. Witness", "--organisation", "Elexon",
         "--role", "witness"],
        ["hhdc", "1", "--name", "Demo Collection Ltd", "--mpid", "UKDC"],
        ["equipment", "1", "--type", "PRO", "--model", "Prometer 100 P3E", "--serial", "S1",
         "--firmware", "metrology=MET 2.14", "--firmware", "application=APP 5.3.1"],
        ["software", "1", "--hhdc-software", "CollectorSuite", "--hhdc-version", "4.2.0",
         "--manufacturer-software", "M-Cubed", "--manufacturer-version", "8.1.2.19602"],
        ["test-equipment", "1", "--item", "optical probe OP-1 s/n 42 (cal 2026-05-01)"],
        ["time-source", "1", "GPS NTP server ntp1.lab, stratum 1"],
        ["cop-issue", "1", "1:2", "5:6"],
        ["bench", "1", "--port", "COM3", "--protocol", "iec21", "--baud", "9600",
         "--framing", "7E1 mode C", "--probe", "OP-1"],
    ]  # fmt: skip
    for cmd in cmds:
        assert main(base + cmd + d) == 0, cmd
    # a later equipment call keeps what it does not change
    assert main(base + ["equipment", "1", "--firmware", "communications=COM 3.07"] + d) == 0
    with Store.open(db) as store:
        eq = store.equipment(1)
        assert eq["serials"] == ["S1"] and eq["firmware"]["communications"] == "COM 3.07"
        assert eq["firmware"]["metrology"] == "MET 2.14"
        sw = store.software(1)
        assert (sw["hhdc_name"], sw["hhdc_mpid"], sw["manufacturer_version"]) == (
            "Demo Collection Ltd", "UKDC", "8.1.2.19602")  # fmt: skip
        data = collect_report_data(store, 1)
        assert store.verify(1).ok
    from bench_app.report.record import cop_text, cover_rows

    assert cop_text(data) == "CoP 1 issue 2, CoP 5 issue 6"
    rows = dict(cover_rows(data))
    assert "GPS NTP" in rows["Reference time source"] and "OP-1" in rows["Test equipment"]
    assert rows["Meter connection"].startswith("port COM3; protocol iec21; baud 9600")
    assert {p["role"] for p in data.participants} == {"tester", "witness"}


@pytest.mark.parametrize(
    "cmd",
    [
        ["hhdc", "1", "--name", "X", "--mpid", "ukdc1"],
        ["cop-issue", "1", "5"],
        ["bench", "1"],
        ["bench", "1", "--simulator", "--port", "COM3"],
        ["equipment", "1", "--firmware", "metrology"],
        ["time-source", "99", "GPS"],
    ],
)
def test_bad_input_is_a_clear_error(db, capsys, cmd):
    assert main(["session", "set", *cmd, "--db", str(db)]) != 0
    err = capsys.readouterr().err
    assert err.strip() and "Traceback" not in err


def test_session_records_travel_in_a_bundle(tmp_path):
    with Store.open(tmp_path / "a.db") as store:
        sid = store.create_session("B-1", "protocol-approval")
        store.set_session_record(sid, "bench", {"simulator": True, "meter": "prometer100"})
        store.export_bundle(sid, tmp_path / "x.wbs")
    with Store.open(tmp_path / "b.db") as other:
        nid = other.import_bundle(tmp_path / "x.wbs")
        assert other.session_records(nid) == {"bench": {"simulator": True, "meter": "prometer100"}}
        assert other.verify(nid).ok
