"""``bench-app equipment`` for the issue-18 records, end to end on a real database: the DMC
samples import, shares print now and after a plan, conditions/dispensations/overrides are
added and removed, deviations list, published lists are written, bad input exits non-zero."""

from __future__ import annotations

import json

import pytest

from bench_app.cli import main
from bench_app.paths import resource_path
from bench_app.store import Store

DMC = ["types", "combos", "devices", "equivalences", "base", "upgrades", "dcc", "tirs"]


@pytest.fixture
def db(tmp_path, capsys):
    path = str(tmp_path / "eq.db")
    for kind in DMC:
        sample = resource_path("samples", "equipment", f"dmc_{kind}.csv")
        assert main(["equipment", kind, "import", str(sample), "--db", path]) == 0
    assert "18 devices imported" in capsys.readouterr().out
    return path


def test_shares_devices_and_removal(db, capsys, tmp_path):
    args = ["equipment", "shares", "--snapshot", "2026-09", "--tested", "DMC-DF-A"]
    assert main([*args, "--plan", "2027-Q1", "--db", db, "--json"]) == 0
    now, after = json.loads(capsys.readouterr().out)
    assert now["shares"]["exact"] == pytest.approx(0.005)
    assert now["shares"]["pending-assessment"] == pytest.approx(0.265)
    assert after["counts"]["exact"] == 5  # upgraded units keep their hardware
    assert main([*args, "--db", db]) == 0
    assert "pending assessment is not covered" in capsys.readouterr().out
    assert main(["equipment", "devices", "list", "--db", db, "--json"]) == 0
    first = json.loads(capsys.readouterr().out)[0]
    assert main(["equipment", "devices", "remove", str(first["id"]), "--db", db]) == 0
    assert main(["equipment", "upgrades", "remove", "2027-Q1", "--db", db]) == 0
    capsys.readouterr()
    assert main([*args, "--plan", "2027-Q1", "--db", db]) != 0
    assert "upgrade plan '2027-Q1' is not in the register" in capsys.readouterr().err
    assert main(["equipment", "types", "remove", "XS1", "--db", db]) != 0
    assert "outstation type XS1 is still used by 5 combination(s)" in capsys.readouterr().err
    out = tmp_path / "dev.csv"
    assert main(["equipment", "devices", "export", str(out), "--db", db]) == 0
    assert out.read_text().count("\n") == 18  # header + 17 devices


def test_a_smets_device_model_takes_no_bscp601_certificate(db, capsys, tmp_path):
    base = ["--db", db]
    cert = ["equipment", "certs", "add", "--type", "XS1", "--cop", "5", "--issue", "6", *base]
    assert main(cert) == 2
    err = capsys.readouterr().err
    assert "SMETS device model" in err and "exempt from BSCP601" in err
    assert main(["equipment", "approvals", "add", "--combination", "DMC-DF-A", "--hhdc-name",
                 "X", "--mpid", "UKDC", *base]) == 2  # fmt: skip
    assert "exempt from BSCP601" in capsys.readouterr().err
    # the DCC's own list instead, with each combination's status and stage
    out = tmp_path / "ppcl-v1.0.csv"
    assert main(["equipment", "publish", "ppcl", "--version", "1.0", "--out", str(out),
                 *base]) == 0  # fmt: skip
    text = out.read_text(encoding="utf-8")
    header, *rows = text.splitlines()
    assert "status" in header.split(",") and "stage" in header.split(",")
    assert len(rows) == 5 and "Pending Product Combinations List" in rows[0]
    assert any("DMC-DF-A," in r and ",in testing,DMCT," in r for r in rows)
    assert any("TIR-0001 (workaround)" in r for r in rows)
    assert main(["equipment", "publish", "types", "--version", "2", "--out",
                 str(tmp_path / "t.csv"), *base]) == 0  # fmt: skip
    assert "XS1" not in (tmp_path / "t.csv").read_text()  # no Valid Outstation Type code
    # an EPCL entry needs an eligible status and no open TIR
    assert main(["equipment", "dcc", "add", "--combination", "DMC-DF-B", "--list", "epcl",
                 "--status", "in testing", *base]) == 2  # fmt: skip
    assert "EPCL lists eligible combinations only" in capsys.readouterr().err


def test_conditions_dispensations_override_deviations_publish(db, capsys, tmp_path):
    with Store.open(db) as store:
        sid = store.create_session("APP-18", "protocol-approval", cops=["CoP 5 issue 5"])
    base = ["--db", db]
    assert main(["equipment", "types", "add", "--code", "XB1", "--cop", "5", *base]) == 0
    assert (
        main(
            [
                "equipment",
                "certs",
                "add",
                "--type",
                "XB1",
                "--cop",
                "5",
                "--issue",
                "6",
                "--scope",
                "sva",
                "--condition",
                "manufacturer software >= 8.1.2",
                *base,
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["equipment", "conditions", "list", "--json", *base]) == 0
    (cond,) = json.loads(capsys.readouterr().out)
    assert cond["text"] == "manufacturer software >= 8.1.2"
    assert (
        main(
            [
                "equipment",
                "conditions",
                "add",
                "--target",
                "approval",
                "--id",
                "99",
                "--text",
                "types A",
                *base,
            ]
        )
        != 0
    )
    assert "approval 99 is not in the equipment register" in capsys.readouterr().err
    assert (
        main(
            [
                "equipment",
                "dispensations",
                "add",
                "--reference",
                "MD-1",
                "--cop",
                "5",
                "--expiry",
                "2099-01-01",
                *base,
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "equipment",
                "override",
                "--session",
                str(sid),
                "--template",
                "bscp601-protocol-cop1-2-3-5-10",
                "--reason",
                "issue 5 retest",
                *base,
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["equipment", "deviations", "--session", str(sid), "--json", *base]) == 0
    kinds = [d["kind"] for d in json.loads(capsys.readouterr().out)]
    # the register's own deviations, among the rest the report lists (equipment warnings…)
    assert [k for k in kinds if k in ("cop-departure", "template-override")] == [
        "cop-departure",
        "template-override",
    ]
    assert (
        main(
            [
                "equipment",
                "dispensations",
                "remove",
                "1",
                "--date",
                "2026-11-01",
                "--reason",
                "lapsed",
                *base,
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "equipment",
                "publish",
                "approvals",
                "--version",
                "75.0",
                "--date",
                "2026-11-29",
                "--out",
                str(tmp_path / "l.pdf"),
                *base,
            ]
        )
        == 0
    )
    assert (tmp_path / "l.pdf").read_bytes().startswith(b"%PDF")
    assert (
        main(
            [
                "equipment",
                "publish",
                "types",
                "--version",
                "",
                "--date",
                "2026-11-29",
                "--out",
                str(tmp_path / "t.csv"),
                *base,
            ]
        )
        != 0
    )
    assert "list version is required" in capsys.readouterr().err


def test_deviations_command_lists_what_the_report_lists(tmp_path, capsys):
    """Not only the register's deviations: accepted serials and incomplete reads too (issue 19,
    16), exactly as the overall result and the report's Deviations section hold them."""
    from bench_app.checklist.verdict import overall_result

    db = str(tmp_path / "dev.db")
    with Store.open(db) as store:
        sid = store.create_session("APP-20", "protocol-approval")
        accepted = (
            "meter serial X9 in h.csv is not the session's meter; accepted with --accept-serial"
        )
        store.new_collection(sid, "hhdc", source_file="h.csv", meta={"deviations": [accepted]})
        spare = store.new_collection(sid, "bench", meta={"label": "bench read"})
        store.mark_collection(spare, "started")
        store.mark_collection(spare, "incomplete", "TimeoutError: no answer from the meter")
        want = [d.to_json() for d in overall_result(store, sid).deviations]
    assert {d["kind"] for d in want} >= {"serial-accepted", "incomplete-collection"}
    assert main(["equipment", "deviations", "--session", str(sid), "--json", "--db", db]) == 0
    assert json.loads(capsys.readouterr().out) == want
    assert main(["equipment", "deviations", "--session", str(sid), "--db", db]) == 0
    out = capsys.readouterr().out
    for d in want:
        assert d["kind"] in out and d["reference"] in out and d["text"] in out
    assert "no deviations" not in out
