"""The Elexon test record from the command line: ``session set test-record`` (and the session's
HHDC, software and equipment) into the report's header, the Test Result Summary on page 1, the
audit chain and the CSV export."""

from __future__ import annotations

import csv

import pytest

from bench_app.checklist import ChecklistEngine, find_template
from bench_app.cli import main
from bench_app.report.render import render_bytes
from bench_app.report.statement import build_statement
from bench_app.store import Store
from tests.bench_app.report.report_fixtures import pdftotext

WITNESSED = "bscp601-witnessed-cop1-2-3-5-10"
RECORD = [
    "--application-reference", "P601-2026-042", "--applicant", "Secure Meters Ltd",
    "--pta-role", "HHDC", "--pta-tester", "C. Collector", "--pta-tester", "D. Operator",
    "--protocol", "DLMS/COSEM IEC 62056-5-3 ed. 2", "--approval-role", "sva-hhdc",
    "--approval-role", "cva-cdca", "--script-reference", "ELX-P601-SCRIPT-7",
    "--script-version", "2.1", "--departure", "DR4-3 run by forced reset via port 2",
    "--witness-remarks", "HHDC operator repeated DR2-1 once (typing error)",
]  # fmt: skip


@pytest.fixture
def db(tmp_path, capsys):
    path = tmp_path / "s.db"
    d = ["--db", str(path)]
    assert main(["session", "new", "--reference", "BSCP601-9", "--kind", "protocol-approval",
                 *d]) == 0  # fmt: skip
    for cmd in (
        ["test-record", "1", *RECORD],
        ["hhdc", "1", "--name", "Demo Collection Ltd", "--mpid", "UKDC"],
        ["software", "1", "--hhdc-software", "CollectorSuite", "--hhdc-version", "4.2.0",
         "--hhdc-date", "2026-09-01", "--hhdc-host", "Azure UK South",
         "--hhdc-modules", "comms 2.1 (2026-08-01)"],
        ["equipment", "1", "--type", "PRO", "--serial", "S1", "--channels", "2",
         "--channel-types", "import kWh, export kWh", "--comms", "PSTN modem"],
    ):  # fmt: skip
        assert main(["session", "set", *cmd, *d]) == 0, cmd
    capsys.readouterr()
    return path


def test_header_fields_and_summary_on_page_one_from_the_cli(db, tmp_path):
    with Store.open(db) as store:
        engine = ChecklistEngine(store, 1, find_template(WITNESSED))
        for step in engine.template.steps:
            engine.record(step.id, "seen", "fail" if step.id == "DR2-1" else "pass", by="A")
        statement = build_statement(store, 1)
        assert store.verify(1).ok  # the test record rows are in the audit chain
    assert statement["records"]["test_record"]["departures"] == [
        "DR4-3 run by forced reset via port 2"]  # fmt: skip
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(render_bytes(statement))
    first = " ".join(pdftotext(pdf).split("\f")[0].split())
    assert "Test Result Summary — overall result: FAIL" in first
    assert "DR2-1 Incorrect Level 2" in first and "EQ-1 Equipment under test" in first
    text = " ".join(pdftotext(pdf).split())
    for value in ("P601-2026-042", "Secure Meters Ltd", "C. Collector; D. Operator",
                  "CollectorSuite, 4.2.0, 2026-09-01", "Azure UK South", "comms 2.1 (2026-08-01)",
                  "DLMS/COSEM IEC 62056-5-3 ed. 2", "collecting SVA data as an HHDC",
                  "on behalf of the CDCA", "ELX-P601-SCRIPT-7, 2.1",
                  "1. DR4-3 run by forced reset via port 2", "import kWh, export kWh",
                  "PSTN modem", "Demo Collection Ltd (MPID UKDC)",
                  "HHDC operator repeated DR2-1 once (typing error)"):  # fmt: skip
        assert value in text, value


def test_test_record_csv_and_a_later_change_merges(db, tmp_path, capsys):
    d = ["--db", str(db)]
    assert main(["session", "set", "test-record", "1", "--script-version", "2.2", *d]) == 0
    out = tmp_path / "record.csv"
    assert main(["session", "record-csv", "1", str(out), *d]) == 0
    assert "test record with 0 test(s)" in capsys.readouterr().out
    rows = list(csv.reader(out.read_text(encoding="utf-8").splitlines()))
    fields = dict(r for r in rows if len(r) == 2)
    assert fields["Elexon-agreed script (reference, version)"] == "ELX-P601-SCRIPT-7, 2.2"
    assert fields["Applicant"] == "Secure Meters Ltd"  # kept from the first record
    assert fields["Overall result"] == "INCOMPLETE"


def test_a_bad_approval_role_is_refused_naming_it(db, capsys):
    code = main(["session", "set", "test-record", "1", "--approval-role", "cdca", "--db",
                 str(db)])  # fmt: skip
    assert code != 0
    assert "--approval-role 'cdca': choose from sva-hhdc, cva-cdca" in capsys.readouterr().err
