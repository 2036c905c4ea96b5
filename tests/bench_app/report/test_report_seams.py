"""What the demo report showed a witness and is now right: the CoP issue on the cover and in the
register's checks is one story, the header names the whole template, the reconciliation reads
as words, event-log collections say what they hold."""

from __future__ import annotations

import subprocess

from bench_app.equipment import Register, check_session
from bench_app.report import collect_report_data, render_report
from tests.bench_app.report.report_fixtures import pdftotext


def _pages(path) -> list[str]:
    pdftotext(path)  # skips without poppler
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    return out.stdout.decode().split("\f")[:-1]


def test_cop_issue_named_at_creation_or_recorded_later_is_one_story(store, tmp_path):
    sid = store.create_session("BSCP601-C", "protocol-approval", cops=["CoP 5 issue 6", "1"])
    store.set_session_record(sid, "cop_issues", {"issues": {"1": "2"}})
    store.set_equipment(sid, outstation_type="PRO", serials=["S1"])
    reg = Register(store)
    reg.add_type("PRO", "Secure Meters", ["Prometer 100 P3E"], ["1", "5"])
    reg.add_certificate("PRO", "1", "1", "Lab A", "2021-01-01")
    reg.add_certificate("PRO", "5", "6", "Lab A", "2024-01-01")
    wrong = [f for f in check_session(store, sid) if f.code == "certificate-wrong-issue"]
    assert [f.component for f in wrong] == ["CoP 1"]  # recorded issue 2; register holds 1
    text = " ".join(" ".join(_pages(render_report(collect_report_data(store, sid),
                                                  tmp_path / "r.pdf"))).split())  # fmt: skip
    assert "CoP 5 issue 6, CoP 1 issue 2" in text and "issue not recorded" not in text


def test_header_names_the_whole_template_and_the_reconciliation_reads_as_words(store, tmp_path):
    from tests.bench_app.report.report_fixtures import fill_session

    sid = fill_session(store)
    data = collect_report_data(store, sid)
    assert len(data.template_version) > 30  # long enough to have been cut before
    pages = _pages(render_report(data, tmp_path / "r.pdf"))
    assert all(f"Checklist template: {data.template_version}" in p for p in pages[1:])
    text = " ".join(" ".join(pages).split())
    assert "Missing in the HHDC export" in text and "missing_in_a" not in text
    assert "ok True" not in text


def test_the_manufacturer_exports_reconciliation_is_shown_as_the_result_counts_it(store, tmp_path):
    from datetime import UTC, datetime, timedelta

    from bench_app.checklist.verdict import overall_result
    from drivers.model import Channel, ProfileRow

    sid = store.create_session("BSCP601-R", "protocol-approval")
    start = datetime(2026, 11, 2, tzinfo=UTC)
    rows = [ProfileRow(start + timedelta(minutes=30 * i), [1.0 + i % 7], 0) for i in range(96)]
    for source in ("bench", "hhdc", "manufacturer"):
        cid = store.new_collection(sid, source)
        block = rows if source != "manufacturer" else [
            ProfileRow(r.start, [r.values[0] + (0.5 if i == 10 else 0.0)], 0)
            for i, r in enumerate(rows)
        ]  # fmt: skip
        store.add_profile_block(cid, [Channel("1.0.1.8.0.255", "kWh")], block)
    res = overall_result(store, sid)
    assert any("reconciliation manufacturer" in r and "disagrees" in r for r in res.reasons)
    text = " ".join(" ".join(_pages(render_report(collect_report_data(store, sid),
                                                  tmp_path / "r.pdf"))).split())  # fmt: skip
    assert "4.1 HHDC export against the bench read" in text
    assert "4.2 Manufacturer-software export against the bench read" in text
    assert "Discrepancies (1)" in text and "Missing in the manufacturer export" in text
