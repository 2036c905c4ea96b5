"""Report section "Deviations": the ONE list of departures the witness signs with the result.

It shows :attr:`bench_app.checklist.verdict.OverallResult.deviations` (kind, reference, text):
manual overrides and n/a without the template's reason, dispensation-covered failures, CoP
departures, CoP-issue mismatches, conditions and template overrides
(:func:`bench_app.equipment.deviations.session_deviations`), imports accepted with another serial,
incomplete collections, equipment warnings and export periods not compared — one
:class:`bench_app.outcomes.Deviation` each.

A deviation never turns a failure into a pass: a failure covered by a dispensation is still FAIL
in the results and in the overall result.
"""

from __future__ import annotations

from typing import Any

from reportlab.platypus import CondPageBreak, Paragraph

from bench_app.outcomes import DeviationKind
from bench_app.report.styles import Styles, para, table


def kind_text(kind: str) -> str:
    """The report's name of a deviation kind (the kind itself when it is not a known one)."""
    try:
        return DeviationKind(kind).label
    except ValueError:
        return str(kind)


def section(d: Any, st: Styles, number: str = "") -> list:
    """Flowables of the Deviations section (a "None" line when the session has none)."""
    rows = getattr(d, "deviations", None) or []
    out: list = [CondPageBreak(120), Paragraph(f"{number}Deviations".strip(), st.h1)]
    if not rows:
        none = para("None: no verdict was overridden and no deviation was found.", st.body)
        return [*out, none, *incomplete_section(d, st)]
    out.append(
        para(
            f"Overall result stays {d.overall} with the {len(rows)} deviation(s) below: a "
            "dispensation documents a departure or a failure and never turns a FAIL into a "
            "PASS; the rest are listed so that nothing passes silently.",
            st.body,
        )
    )
    out.append(
        table(
            ["Kind", "Reference", "Deviation"],
            [[kind_text(r["kind"]), r["reference"] or "—", r["text"]]
             for r in rows],  # fmt: skip
            None,
            st,
        )
    )
    return out + incomplete_section(d, st)


def incomplete_section(d: Any, st: Styles) -> list:
    """Collections whose read stopped early, with the reason (nothing when there are none)."""
    rows = getattr(d, "incomplete", None) or []
    if not rows:
        return []
    out: list = [CondPageBreak(90), Paragraph("Incomplete collections", st.h2)]
    out.append(
        para(
            "These reads stopped before they ended; what they stored is kept with its bytes. "
            "A result that used one of them is not a PASS (see the reasons above).",
            st.small,
        )
    )
    body = []
    for c in rows:
        meta = c.get("meta") or {}
        span = c.get("span")
        when = (f"{span[0]:%Y-%m-%d %H:%M} – {span[1]:%Y-%m-%d %H:%M} UTC" if span else
                "no intervals stored")  # fmt: skip
        body.append([f"#{c['id']}", str(meta.get("label") or c.get("source", "")), when,
                     str(c.get("reason") or "")])  # fmt: skip
    out.append(table(["#", "Label", "Stored span", "Reason"], body, None, st))
    return out
