"""``bench-app equipment`` end to end on a real database: the bundled sample CSVs load, lists,
add/remove, check a session, coverage (text and JSON), and a bad import exits 8 naming the line."""

from __future__ import annotations

import json

import pytest

from bench_app.cli import main
from bench_app.paths import resource_path
from bench_app.store import Store

KINDS = ["types", "combos", "certs", "approvals", "applications"]


@pytest.fixture
def db(tmp_path, capsys):
    path = str(tmp_path / "eq.db")
    for kind in KINDS:
        sample = resource_path("samples", "equipment", f"{kind}.csv")
        assert main(["equipment", kind, "import", str(sample), "--db", path]) == 0
    out = capsys.readouterr().out
    assert "5 combos imported" in out and "4 certs imported" in out
    return path


def test_samples_load_and_list(db, capsys, tmp_path):
    assert main(["equipment", "combos", "list", "--db", db, "--json"]) == 0
    combos = json.loads(capsys.readouterr().out)
    assert [c["key"] for c in combos][:2] == ["GEN-1", "PRO-P3E-B2"]
    assert main(["equipment", "equivalents", "PRO-P3E-B3", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "PRO-P3E-B2" in out and "PRO-R3E-B2" not in out and "APP54" not in out
    assert main(["equipment", "certs", "list", "--db", db]) == 0
    assert "superseded by CoP 1 issue 5" in capsys.readouterr().out
    assert main(["equipment", "types", "export", str(tmp_path / "t.csv"), "--db", db]) == 0
    assert (tmp_path / "t.csv").read_text().startswith(
        "code,manufacturer,models,cops,notes,regime,major_pattern\n")


def test_add_remove_and_usage_errors(db, capsys):
    assert main(["equipment", "types", "add", "--code", "els", "--manufacturer", "Elster",
                 "--model", "A1700", "--cop", "5", "--db", db]) == 0  # fmt: skip
    assert main(["equipment", "combos", "add", "--type", "ELS", "--model", "A1700",
                 "--metrology", "1", "--hardware", "X", "--db", db]) == 0  # fmt: skip
    assert capsys.readouterr().out.splitlines()[-1] == "ELS/A1700/1///X"
    assert main(["equipment", "certs", "add", "--type", "ELS", "--cop", "CoP5", "--issue", "6",
                 "--db", db]) == 0  # fmt: skip
    cert_id = int(capsys.readouterr().out.strip())
    assert main(["equipment", "certs", "remove", str(cert_id), "--date", "2026-01-02",
                 "--reason", "lab withdrawn", "--db", db]) == 0  # fmt: skip
    assert main(["equipment", "types", "add", "--code", "TOOLONG", "--db", db]) == 2
    assert "3 letters" in capsys.readouterr().err
    assert main(["equipment", "approvals", "add", "--combination", "NOPE", "--hhdc-name", "X",
                 "--mpid", "UKDC", "--db", db]) == 6  # fmt: skip
    assert "combination 'NOPE' is not in the equipment register" in capsys.readouterr().err


def test_check_a_session_against_the_application(db, capsys):
    with Store.open(db) as store:
        sid = store.create_session("BSCP601-DEMO-0001", "protocol-approval", cops=["1", "5"])
        identity = {"serial": "S1", "outstation_type": "PRO",
                    "firmware": {"metrology": "MET 2.14", "application": "APP 5.4.0"}}  # fmt: skip
        store.new_collection(sid, "bench", "dlms", meta={"identity": identity})
    assert main(["equipment", "check", "--session", str(sid), "--db", db]) == 0
    out = capsys.readouterr().out
    assert "WARNING  firmware-mismatch" in out and "APP 5.4.0" in out
    assert "certificate-removed" in out and "CoP 1" in out
    assert main(["equipment", "check", "--session", str(sid), "--db", db, "--json"]) == 0
    codes = [f["code"] for f in json.loads(capsys.readouterr().out)]
    assert codes == ["firmware-mismatch", "certificate-removed"]


def test_coverage_text_and_json(db, capsys):
    base = str(resource_path("samples", "equipment", "installed_base.csv"))
    argv = ["equipment", "coverage", "--base", base, "--tested", "PRO-P3E-B3", "--db", db]
    assert main([*argv, "--target", "0.8"]) == 0
    out = capsys.readouterr().out
    # B3 is equivalent to B2: (5200 + 1800) / 11200 = 62.5 %; + APP54 (2600) → 85.7 %
    assert "covers 7000 = 62.5%" in out and "greedy suggestion: PRO-P3E-APP54 → 85.7% (1)" in out
    overlap = str(resource_path("samples", "equipment", "installed_base_overlap.csv"))
    assert main(["equipment", "coverage", "--base", overlap, "--target", "0.9", "--no-register",
                 "--json", "--db", db]) == 0  # fmt: skip
    res = json.loads(capsys.readouterr().out)
    assert res["greedy"]["keys"] == ["c7", "c1", "c4"] and res["exact"]["keys"] == ["c1", "c4"]
    assert main([*argv, "--target", "2"]) == 2


def test_bad_import_exits_8_with_line_and_stores_nothing(db, capsys, tmp_path):
    bad = tmp_path / "combos.csv"
    bad.write_text(
        "key,outstation_type,model,metrology\nOK-1,PRO,Prometer 100,MET 9\nBAD,ZZZ,X,1\n",
        encoding="utf-8",
    )
    assert main(["equipment", "combos", "import", str(bad), "--db", db]) == 8
    err = capsys.readouterr().err
    assert f"{bad}:3: outstation type ZZZ is not in the equipment register" in err
    assert main(["equipment", "combos", "list", "--json", "--db", db]) == 0
    assert "OK-1" not in capsys.readouterr().out
