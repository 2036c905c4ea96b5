"""Report parts that make it a formal record: the bench connection (simulator marking),
the overall-result rules and reasons, deviations, declarations and the profile heat map.

Times are shown in GB local time with UTC alongside (:func:`local_utc`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.lib import colors
from reportlab.platypus import CondPageBreak, KeepTogether, Paragraph, Spacer, Table, TableStyle

from bench_app import settlement
from bench_app.checklist.verdict import RULES
from bench_app.pdf_layout import FRAME_WIDTH as W
from bench_app.report.data import ChannelSeries, ReportData
from bench_app.report.styles import WARN_BG, WARN_BORDER, Styles, para, table

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
    """``2026-11-29 09:30:00 GMT (09:30:00 UTC)`` — GB local time with UTC alongside (an ISO
    text is parsed; one that is not a time is returned as it is)."""
    if when is None or when == "":
        return "—"
    if isinstance(when, str):
        try:
            when = settlement.parse_utc(when)
        except ValueError:
            return str(when)
    when = settlement.as_utc(when)
    local = settlement.to_local(when)
    return f"{local:%Y-%m-%d %H:%M:%S %Z} ({when.astimezone(UTC):%H:%M:%S} UTC)"


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


def _day_rows(s: ChannelSeries) -> dict:
    """Settlement day → {SP number: (value, status)}: the series rolled up to settlement periods
    by :func:`bench_app.settlement.half_hours` (the reconciliation's rule) on the day × SP grid."""
    cells = settlement.half_hours(
        (int(t), 0, v, int(f)) for t, v, f in zip(s.times, s.values, s.status, strict=False)
    )
    return settlement.day_grid((k[0], c[0], c[1]) for k, c in cells.items())


class _CellsDrawing(Drawing):
    """A Drawing whose many plain cells are written as PDF fill operators in one go (``cells``:
    operators in the drawing's own coordinates), below its shapes. A heat map of 90 days has
    17 280 cells; as shape objects they made up most of a report's rendering time."""

    def __init__(self, width: float, height: float, cells: str) -> None:
        super().__init__(width, height)
        self._cells = cells

    def draw(self, showBoundary=None):  # ReportLab calls it with or without showBoundary
        if self._cells:
            self.canv.addLiteral(f"q\n{self._cells}Q")
        return super().draw() if showBoundary is None else super().draw(showBoundary)


def heatmap(
    s: ChannelSeries, st: Styles, height: float = 220, days: dict | None = None
) -> Drawing:
    """Days (rows) × settlement periods (columns) heat map of one channel; flagged periods are
    outlined in red. Axis titles name the units. ``days``: the series' :func:`_day_rows`, when
    the caller has them already."""
    days = _day_rows(s) if days is None else days
    ordered = sorted(days)
    left, bottom, top = 58, 26, 14
    plot_w, plot_h = W - left - 10, height - bottom - top
    n = max(len(ordered), 1)
    cw, ch = plot_w / 50, plot_h / n
    peak = max((v for d in days.values() for v, _ in d.values()), default=0) or 1.0
    cells: list[str] = []
    flagged: list[str] = []
    labels: list[String] = []
    for i, day in enumerate(ordered):
        y = bottom + plot_h - (i + 1) * ch
        for sp, (v, flag) in days[day].items():
            x = left + (sp - 1) * cw
            shade = 1 - 0.85 * max(0.0, min(1.0, v / peak))
            cells.append(f"{shade:.4f} {shade:.4f} 1 rg {x:.3f} {y:.3f} {cw:.3f} {ch:.3f} re f\n")
            if flag:
                flagged.append(f"{x:.3f} {y:.3f} {cw:.3f} {ch:.3f} re S\n")
        if len(ordered) <= 31 or i % max(1, len(ordered) // 15) == 0:
            label = day.strftime("%d %b")
            labels.append(_text(left - 3, y + ch / 2 - 2, label, st, 5.5, "end"))
    if flagged:
        cells.append("1 0 0 RG 0.8 w\n" + "".join(flagged))
    dw = _CellsDrawing(W, height, "".join(cells))
    for label in labels:
        dw.add(label)
    for sp in (1, 12, 24, 36, 48):
        x = left + (sp - 0.5) * cw
        dw.add(Line(x, bottom - 2, x, bottom, strokeColor=colors.grey))
        dw.add(_text(x, bottom - 9, str(sp), st, 6, "middle"))
    axis = "Settlement period (SP 1–50 of the GB local settlement day)"
    dw.add(_text(left + plot_w / 2, 3, axis, st, 7, "middle"))
    title = f"Settlement day — shade: {s.unit} per period (darkest = {peak:.3f} {s.unit})"
    dw.add(_text(2, height - 9, title, st, 7, "start"))
    return dw


def _text(x: float, y: float, text: str, st: Styles, size: float, anchor: str) -> String:
    return String(x, y, text, fontName=st.fonts.regular, fontSize=size, textAnchor=anchor)


def daily_totals(s: ChannelSeries, st: Styles, days: dict | None = None) -> Table:
    """Daily totals of one channel: day, periods, total, flagged periods (in columns of 3).
    The cells are short single-line text, drawn as plain strings (no wrapping needed)."""
    days = _day_rows(s) if days is None else days
    cells = []
    for day in sorted(days):
        sps = days[day]
        flagged = sum(1 for _, f in sps.values() if f)
        total = sum(v for v, _ in sps.values())
        cells.append([day.isoformat(), str(len(sps)), f"{total:.3f}", str(flagged or "")])
    cols = 3
    per = -(-len(cells) // cols) if cells else 1
    rows = []
    for r in range(per):
        row: list[str] = []
        for c in range(cols):
            i = c * per + r
            row += cells[i] if i < len(cells) else ["", "", "", ""]
        rows.append(row)
    header = ["Day", "SPs", f"Total {s.unit}", "Flag"] * cols
    widths = [W / cols * f for f in (0.36, 0.14, 0.32, 0.18)] * cols
    return table(header, rows or [[""] * len(header)], widths, st, plain=True)


def profile_section(d: ReportData, st: Styles, number: str = "7.") -> list:
    """The profile: per channel a days × settlement-periods heat map and the daily totals."""
    head: list = [Paragraph(f"{number} Half-hourly profile", st.h1)]
    if not d.series:
        return [CondPageBreak(120), *head, para("No interval data was collected.", st.body)]
    head.append(
        para(
            "Per channel: one row per settlement day (GB local time), one column per settlement "
            "period; darker = more energy; periods with a status flag are outlined in red. "
            "The table under each map gives the daily totals.",
            st.small,
        )
    )
    out: list = []
    for i, s in enumerate(d.series):
        title = Paragraph(f"{s.obis} ({s.unit}), collection #{s.collection_id}", st.h2)
        # the section heading stays with the first map: never alone at a page bottom
        days = _day_rows(s)
        chart = heatmap(s, st, days=days)
        out.append(KeepTogether([*(head if i == 0 else []), title, chart, Spacer(1, 4)]))
        out.append(daily_totals(s, st, days))
        out.append(Spacer(1, 8))
    return out
