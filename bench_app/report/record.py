"""Report parts that make it a formal record: the bench connection (simulator marking),
the overall-result rules and reasons, deviations and declarations (the profile heat map is in
:mod:`bench_app.report.profile`).

Times are shown in GB local time with UTC alongside (:func:`local_utc`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reportlab.platypus import Spacer, Table, TableStyle

from bench_app import presentation
from bench_app.checklist.verdict import RULES
from bench_app.pdf_layout import FRAME_WIDTH as W
from bench_app.report.data import ReportData
from bench_app.report.styles import WARN_BG, WARN_BORDER, Styles, para

#: Text on every page and on the cover of a simulator session.
SIMULATOR_MARK = "SIMULATED OUTSTATION — evidence from a simulator, not a real meter"

#: Declaration each signer makes by signing (one per role).
DECLARATIONS = {
    "tester": "I declare that I carried out the tests recorded in this report on the equipment "
    "named in it, that the results are those the bench recorded, and that every deviation is "
    "listed in the Deviations section.",
    "witness": "I declare that I witnessed the tests recorded in this report, that the results "
    "shown are those I observed, and that the overall result and the deviations listed are a "
    "true account of the session.",
}


def local_utc(when: datetime | str | None) -> str:
    """``29 Nov 2026 09:30:00 GMT (09:30:00 UTC)`` — GB local time with UTC alongside
    (:func:`bench_app.presentation.when`; an ISO text is parsed, one that is not a time is
    returned as it is)."""
    return presentation.when(when)


def signed(value: float, digits: int = 1) -> str:
    """``+1.5`` / ``-0.3`` / ``0.0`` — never ``-0.0``."""
    text = f"{value:+.{digits}f}"
    return text[1:] if float(text) == 0 else text


def bench_text(d: ReportData) -> str:
    """How the meter was reached, as the cover prints it."""
    bench = d.records.get("bench") or {}
    if not bench:
        if d.simulator:
            return f"{SIMULATOR_MARK} (the evidence says so; no bench record)"
        return "not recorded (bench-app session set ID bench …)"
    if bench.get("simulator"):
        meter = f" ({bench['meter']})" if bench.get("meter") else ""
        return f"{SIMULATOR_MARK}{meter}; port {bench.get('port') or '—'}"
    if d.simulator:  # a port recorded now, but evidence of the session came from a simulator
        return f"{SIMULATOR_MARK} (some evidence); now port {bench.get('port') or '—'}"
    parts = [
        f"port {bench.get('port') or '—'}",
        f"protocol {bench.get('protocol') or '—'}",
        f"baud {bench.get('baud') or '—'}",
        f"framing {bench.get('framing') or '—'}",
        f"probe {bench.get('probe') or '—'}",
    ]
    return "; ".join(parts)


def cop_text(d: ReportData) -> str:
    """CoPs with the issue tested against (CoP 1 with Issue 2): the issue the session's CoP names,
    else the one recorded with ``session set cop-issue`` (:func:`bench_app.cops.session_cops`)."""
    from bench_app.cops import session_cops

    cops = session_cops(d.session, d.records)
    if not cops:  # no CoP on the session: what session set cop-issue recorded, if anything
        cops = list(((d.records.get("cop_issues") or {}).get("issues") or {}).items())
    out = [
        f"CoP {cop} issue {issue}" if issue else f"CoP {cop} (issue not recorded)"
        for cop, issue in cops
    ]
    return ", ".join(out) or "—"


def cover_rows(d: ReportData) -> list[tuple[str, str]]:
    """Extra (label, value) rows for the cover's key-value table."""
    te = (d.records.get("test_equipment") or {}).get("items") or []
    ts = (d.records.get("time_source") or {}).get("source") or ""
    return [
        ("Document number", d.document_number),
        ("Session start", local_utc(d.started_at)),
        ("Session end", local_utc(d.ended_at)),
        ("Codes of Practice", cop_text(d)),
        ("Meter connection", bench_text(d)),
        ("Test equipment", "; ".join(te) or "not recorded"),
        ("Reference time source", ts or "not recorded"),
        ("Tool", f"Witness Bench {d.app_version} ({d.app_build or 'build not recorded'})"),
    ]


def simulator_notice(d: ReportData, st: Styles) -> list:
    """A boxed notice on the cover of a simulator session (nothing for a real meter)."""
    if not d.simulator:
        return []
    t = Table(
        [
            [
                para(
                    f"{SIMULATOR_MARK}. The results show how the bench and the simulated "
                    "outstation behave; they are not evidence about a real meter.",
                    st.body,
                )
            ]
        ],
        colWidths=[W],
    )
    t.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), WARN_BG),
                ("BOX", (0, 0), (-1, -1), 1, WARN_BORDER),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return [Spacer(1, 8), t]


def overall_reasons(d: ReportData, st: Styles) -> list:
    """The rules of the overall result and why this session got its result."""
    out: list = [para("How the overall result is decided:", st.small)]
    out += [para(f"• {r}", st.small) for r in RULES]
    v = d.verdict
    if v is not None and v.reasons:
        out.append(para(f"Why this session is {v.status}:", st.small))
        out += [para(f"• {r}", st.small) for r in v.reasons[:20]]
        if len(v.reasons) > 20:
            out.append(para(f"… and {len(v.reasons) - 20} more.", st.small))
    return out


def _cut(text: str, limit: int = 360) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def witnessed_cells(step: Any, actual: str, evidence: str) -> tuple[str, str]:
    """A witnessed step's "Actual (HHDC)" and "Reference (bench)" cells: the HHDC's evidence
    after the result, the bench's reference reads with the evidence ids (each text cut to a
    length a table row can hold; the whole texts are in the statement)."""
    ev = step.evidence if isinstance(step.evidence, dict) else {}
    hhdc = "\n".join(_cut(t, 200) for t in ev.get("hhdc") or []) or "no HHDC evidence recorded"
    ref = "\n".join(_cut(t) for t in ev.get("reference") or []) or "no reference read"
    return f"{_cut(actual, 600)}\n{hhdc}", f"{ref}\nEvidence: {evidence}"


def evidence_text(evidence: dict) -> str:
    """The evidence a step names: ``traces #3, #4; collections #7; events #9; clock #2``."""
    parts = []
    for key, name in (
        ("trace_ids", "traces"),
        ("collection_ids", "collections"),
        ("event_ids", "events"),
        ("clock_observation_ids", "clock"),
        ("attachment_ids", "attachments"),
    ):
        ids = evidence.get(key) or []
        if ids:
            parts.append(f"{name} " + ", ".join(f"#{i}" for i in ids))
    assoc = evidence.get("association")
    if assoc:
        parts.append(f"level {assoc.get('level')} (SAP {assoc.get('client_sap')})")
    for done in evidence.get("stimuli") or []:  # what the tester did at the bench, when, who
        parts.append(
            f"{done.get('instruction')}: confirmed {local_utc(done.get('done_at'))} "
            f"by {done.get('by') or '—'}"
        )
    return "; ".join(parts) or "—"



def deviations(d: ReportData, st: Styles, number: str = "") -> list:
    """The one Deviations section (:mod:`bench_app.report.deviations`)."""
    from bench_app.report.deviations import section

    return section(d, st, number)


def declarations(d: ReportData, st: Styles) -> list:
    """Declaration texts of the signers and the attachments statement."""
    out: list = []
    for role, text in DECLARATIONS.items():
        out.append(para(f"{role.capitalize()}'s declaration: {text}", st.body))
        out.append(Spacer(1, 3))
    if not d.attachments:
        out.append(para("Attachments: none.", st.body))
    else:
        names = ", ".join(f"#{a.get('id')} {a.get('name', '')}" for a in d.attachments)
        out.append(para(f"Attachments ({len(d.attachments)}): {names}.", st.body))
    return out
