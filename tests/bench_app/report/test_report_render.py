"""Report rendering: real PDFs from synthetic and stored sessions, read back with poppler."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from bench_app.errors import ReportError
from bench_app.pdf_layout import INFO_AUDIT_HEAD, INFO_SESSION_ID
from bench_app.report import collect_report_data, render_report
from tests.bench_app.report.report_fixtures import fill_session, pdftotext
from tests.bench_app.report.sample_data import synthetic_report_data

HEADINGS = [
    "Witness Report",
    "1. Equipment under test",
    "2. Software under test",
    "3. Test results",
    "4. Reconciliation",
    "Discrepancies (50)",
    "5. Clock observations",
    "6. Events",
    "7. Half-hourly profile",
    "Appendix A. Evidence",
    "Signatures",
]


@pytest.fixture(scope="module")
def big_report(tmp_path_factory):
    """90 days × 4 channels, 50 discrepancies, very long names."""
    data = synthetic_report_data(days=90, channels=4, discrepancies=50, long_names=True)
    path = render_report(data, tmp_path_factory.mktemp("big") / "report.pdf")
    return data, path


def test_big_report_has_every_section_and_page_numbers(big_report):
    data, path = big_report
    text = pdftotext(path)
    for heading in HEADINGS:
        assert heading in text, heading
    pages = text.count("\f")
    assert pages >= 6
    assert f"Page {pages} of {pages}" in text
    assert "Page 1 of" in text
    assert "MISMATCH" in text and "declared 1.01, read from the meter 1.02" in text
    assert "Overall result: FAIL" in text
    assert "Settlement period (SP 1–50 of the GB local settlement day)" in text  # heat map axis
    assert data.audit_head in text.replace("\n", "")  # full head in the appendix
    for c in data.collections:
        assert c["source_hash"] in text


def test_big_report_metadata_and_embedded_fonts(big_report):
    data, path = big_report
    with path.open("rb") as fh:
        info = PdfFileReader(fh).trailer["/Info"]
        assert str(info["/" + INFO_AUDIT_HEAD]) == data.audit_head
        assert str(info["/" + INFO_SESSION_ID]) == str(data.session["id"])
        assert data.audit_head in str(info["/Keywords"])
    if shutil.which("pdffonts"):
        out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
        rows = out.splitlines()[2:]
        assert rows, out
        for row in rows:  # name type encoding emb sub uni …: every font embedded
            assert row.split()[-5] == "yes", row


def test_page_size_is_a4(big_report):
    _, path = big_report
    if shutil.which("pdfinfo") is None:
        pytest.skip("pdfinfo missing")
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    assert "595.276 x 841.89" in out


def test_report_from_real_store(store, tmp_path):
    sid = fill_session(store, days=2, channels=2)
    data = collect_report_data(store, sid)
    assert data.session["reference"] == "BSCP601-TEST-0001"
    assert data.firmware_mismatches == [("metrology", "1.01", "1.02")]
    assert [s.obis for s in data.series] == ["1.0.1.29.0.255", "1.0.2.29.0.255"]
    assert len(data.series[0].times) == 96
    assert sum(1 for v in data.series[0].status if v) == 1
    assert data.overall == "FAIL"
    assert data.audit_head == store.audit_head(sid)
    assert len(data.collections) == 2 and len(data.traces) == 1
    # template text joined from the checklist template when it is available
    dr11 = next(s for s in data.steps if s.step_id == "DR1-1")
    assert dr11.actual == "identical"
    path = render_report(data, tmp_path / "out" / "r.pdf")
    text = pdftotext(path)
    assert "BSCP601-TEST-0001" in text and "Alice Tester" in text
    assert "MISMATCH" in text
    assert data.traces[0]["sha256"] in text.replace("\n", "")


def test_no_hhdc_collection_says_so(store):
    sid = fill_session(store, days=1, channels=1, hhdc=False)
    data = collect_report_data(store, sid)
    assert not data.reconciliation.performed
    assert "no HHDC collection" in data.reconciliation.note


def test_empty_session_renders(store, tmp_path):
    sid = store.create_session("EMPTY-1", "cop-compliance")
    path = render_report(collect_report_data(store, sid), tmp_path / "e.pdf")
    text = pdftotext(path)
    assert "No interval data was collected." in text
    assert "Overall result: INCOMPLETE" in text  # no checklist run is never a pass
    assert "no checklist run was recorded" in text


def test_unwritable_target_raises_and_leaves_nothing(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ReportError, match="file"):
        render_report(synthetic_report_data(days=1, channels=1), blocker / "r.pdf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_events_read_twice_are_listed_once_with_both_reads():
    from bench_app.report.cells import distinct_events

    rows = [
        {"time": "2026-11-24 10:05:00", "code": 20, "text": "Battery fault", "collection_id": 3},
        {"time": "2026-11-24 10:05:00", "code": 20, "text": "Battery fault", "collection_id": 4},
        {"time": "2026-11-24 09:00:00", "code": 30, "text": "Reset", "collection_id": 4},
    ]
    out = distinct_events(rows)
    assert [(r["code"], r["collections"]) for r in out] == [(30, [4]), (20, [3, 4])]
