"""The report's Elexon test record: the Test Result Summary on the first page and the record's
header fields (:mod:`bench_app.test_record`), drawn from the statement like every page."""

from __future__ import annotations

from reportlab.platypus import Paragraph, Spacer

from bench_app.pdf_layout import FRAME_WIDTH as W
from bench_app.report.data import ReportData
from bench_app.report.styles import VERDICT_BG, Styles, key_values, para, table
from bench_app.test_record import header_rows, summary_rows

VERDICT_TEXT = {"pass": "PASS", "fail": "FAIL", "na": "N/A", "not-run": "NOT RUN"}


def result_summary(d: ReportData, st: Styles) -> list:
    """"Test Result Summary": every test of the current runs with its result, two tests a row
    (so the first page holds a whole script)."""
    rows = summary_rows(d.runs or ([{"current": True, "steps": d.steps}] if d.steps else []))
    out: list = [Spacer(1, 6), Paragraph(f"Test Result Summary — overall result: {d.overall}",
                                         st.h2)]  # fmt: skip
    if not rows:
        return [*out, para("No tests recorded.", st.body)]
    half = (len(rows) + 1) // 2
    cells, extra = [], []
    for i in range(half):
        line: list = []
        for j, (test, title, verdict) in enumerate((rows[i], rows[i + half]) if i + half <
                                                   len(rows) else (rows[i],)):  # fmt: skip
            line += [f"{test} {title}", para(VERDICT_TEXT.get(verdict, verdict.upper()),
                                             st.cell_center)]  # fmt: skip
            extra.append(("BACKGROUND", (2 * j + 1, i + 1), (2 * j + 1, i + 1),
                          VERDICT_BG.get(verdict, VERDICT_BG["na"])))  # fmt: skip
        cells.append(line + ["", ""] * (2 - len(line) // 2))
    widths = [W * 0.37, W * 0.13, W * 0.37, W * 0.13]
    return [*out, table(["Test", "Result", "Test", "Result"], cells, widths, st,
                        extra_style=extra)]  # fmt: skip


def header(d: ReportData, st: Styles) -> list:
    """The test record's header fields (BSCP601 application, PTA, HHDC system, protocols,
    outstation, approval role, agreed script and departures)."""
    rows = header_rows(d.session, d.records, d.software, d.equipment, d.participants)
    return [Spacer(1, 6), Paragraph("BSCP601 test record", st.h2), key_values(rows, st, W)]
