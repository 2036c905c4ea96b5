"""The report's "Writes to the meter" section: every write to the meter under test made outside
a checklist step (:mod:`bench_app.meter_writes`), as the statement's ``meter_writes`` lists them —
who, why, what changed (before and after) and what it leaves in the meter. Nothing is drawn when
the session holds none (a report signed before the section existed renders as it did)."""

from __future__ import annotations

from typing import Any

from reportlab.platypus import CondPageBreak, Paragraph

from bench_app.presentation import clock_deviation
from bench_app.report import record
from bench_app.report.data import ReportData
from bench_app.report.styles import Styles, para, table

TITLE = "Writes to the meter outside the checklist steps"


def _clock(r: Any) -> str:
    """``meter 07 Dec 2026 … (clock 15 min ahead)`` of a before/after reading."""
    if not isinstance(r, dict):
        return "—"
    dev = r.get("deviation_s")
    dev_text = "" if dev is None else f" (clock {clock_deviation(float(dev))})"
    return f"meter {record.local_utc(r.get('meter_time'))}{dev_text}"


def section(d: ReportData, st: Styles) -> list:
    """The section's flowables ([] when there was no write)."""
    if not d.meter_writes:
        return []
    out: list = [
        CondPageBreak(120),
        Paragraph(TITLE, st.h1),
        para(
            "Each write was asked for by hand (not by a checklist step), confirmed with who and "
            "why, and is recorded with the meter's state before and after. What it leaves in "
            "the meter (an event, a flagged period) is evidence a later step may examine.",
            st.small,
        ),
    ]
    rows = [
        [
            record.local_utc(w.get("at")),
            str(w.get("change") or w.get("what") or "")
            + (" (simulated outstation)" if w.get("simulated") else ""),
            f"before: {_clock(w.get('before'))}\nafter: {_clock(w.get('after'))}",
            w.get("leaves", ""),
            w.get("by", ""),
            w.get("reason", ""),
        ]
        for w in d.meter_writes
    ]
    out.append(
        table(
            ["When (local, UTC)", "What", "Before / after", "Leaves in the meter", "By", "Why"],
            rows,
            None,
            st,
        )
    )
    return out
