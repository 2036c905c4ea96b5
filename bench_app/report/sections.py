"""The report's sections, each a function ``(ReportData, Styles) -> list of flowables``."""

from __future__ import annotations

from collections import Counter
from typing import Any

from reportlab.lib import colors
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from bench_app import pdf_layout as L
from bench_app import presentation as P
from bench_app.checklist.verdict import REHEARSAL_TITLE, rehearsal_only, run_kind
from bench_app.presentation import channel_name
from bench_app.report import cells, profile, record, test_record
from bench_app.report.data import ReportData
from bench_app.report.styles import (
    OVERALL_BG,
    ROW_ALT,
    VERDICT_BG,
    WARN_BG,
    WARN_BORDER,
    Styles,
    boxed,
    fmt,
    key_values,
    para,
    table,
)

W = L.FRAME_WIDTH
#: Discrepancy rows shown in full; more are counted but not listed (the CSV export has them all).
MAX_DISCREPANCY_ROWS = 500
KIND_TEXT = {
    "protocol-approval": "BSCP601 protocol approval",
    "cop-compliance": "Code of Practice compliance",
}


#: Verdict as the results table prints it (whole words, so a narrow column never splits one).
VERDICT_TEXT = {"pass": "PASS", "fail": "FAIL", "na": "N/A", "not-run": "NOT RUN"}


def _head(text: str, style) -> list:
    """A heading preceded by a conditional page break, so it never ends a page alone."""
    return [CondPageBreak(120 if style.fontSize > 12 else 90), Paragraph(text, style)]


def cover(d: ReportData, st: Styles) -> list:
    s = d.session
    kind = KIND_TEXT.get(str(s.get("kind", "")), str(s.get("kind", "")))
    hhdc = d.hhdc
    rehearsal = rehearsal_only(_runs(d))
    out: list = [
        Spacer(1, 30),
        Paragraph("Witness Report", st.title),
        para(REHEARSAL_TITLE if rehearsal else (s.get("title") or kind), st.subtitle),
        *([para(s.get("title") or kind, st.body)] if rehearsal else []),
        key_values(
            [
                ("Application reference", s.get("reference", "")),
                ("Kind of test", kind),
                ("Date", P.day_text(str(s.get("date") or ""))),
                ("Location", s.get("location") or ""),
                ("HHDC", f"{hhdc['name'] or '—'} (MPID {hhdc['mpid'] or '—'})"),
                (
                    "Session",
                    f"#{s.get('id', '')}, status {s.get('status', '')}"
                    + (
                        f", locked by {s.get('locked_by')} at "
                        f"{record.local_utc(s.get('locked_at'))}"
                        if s.get("locked_by")
                        else ""
                    ),
                ),
                ("Checklist template", d.template_version or "no checklist run"),
                ("Data as of", f"{fmt(d.generated_at)} (the audit head's record)"),
                *record.cover_rows(d),
                ("Audit head", d.audit_head or "(none)"),
            ],
            st,
            W,
        ),
        *record.simulator_notice(d, st),
        *test_record.result_summary(d, st),
        *test_record.header(d, st),
        *_head("Participants", st.h2),
    ]
    rows = [
        [p.get("name", ""), p.get("organisation", ""), p.get("role", ""), p.get("mpid") or ""]
        for p in d.participants
    ]
    out.append(
        table(
            ["Name", "Organisation", "Role", "MPID"],
            rows or [["—", "", "", ""]],
            None,
            st,
        )
    )
    out += [Spacer(1, 18), _overall_badge(d, st)]
    return out


def _runs(d: ReportData) -> list[dict]:
    return d.runs or ([{**d.checklist, "current": True}] if d.checklist else [])


def _overall_badge(d: ReportData, st: Styles) -> Table:
    counts = Counter(s.verdict for s in d.steps)
    detail = ", ".join(f"{counts[v]} {v}" for v in ("pass", "fail", "na", "not-run") if counts[v])
    if rehearsal_only(_runs(d)):
        detail = f"{REHEARSAL_TITLE}: {detail or 'no checklist steps recorded'}"
    t = Table(
        [
            [Paragraph(f"Overall result: {d.overall}", st.badge)],
            [para(detail or "no checklist steps recorded", st.small_center)],
        ],
        colWidths=[W],
    )
    t.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), st.fonts.regular),
                ("BACKGROUND", (0, 0), (-1, -1), OVERALL_BG.get(d.overall)),
                (
                    "BOX",
                    (0, 0),
                    (-1, -1),
                    1,
                    WARN_BORDER if d.overall == "FAIL" else OVERALL_BG["NOT RUN"],
                ),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return t


def equipment(d: ReportData, st: Styles) -> list:
    out: list = [*_head("1. Equipment under test", st.h1)]
    eq = d.equipment or {}
    ident = d.meter_identity or {}
    if not eq:
        out.append(para("No equipment was declared for this session.", st.body))
    out.append(
        key_values(
            [
                ("Outstation type", eq.get("outstation_type", "")),
                ("Model", eq.get("model", "")),
                ("Serial numbers", ", ".join(eq.get("serials") or [])),
                ("Hardware version", eq.get("hardware_version", "")),
                ("Channels", f"{eq.get('channels', '')} {eq.get('channel_types', '')}".strip()),
                ("Communication method", eq.get("comms_method", "")),
                ("Variants covered", eq.get("variants_covered", "")),
                (
                    "Identity read from meter",
                    cells.identity_text(ident) or "not read",
                ),
            ],
            st,
            W,
        )
    )
    declared = eq.get("firmware") or {}
    read = ident.get("firmware") or {}
    mismatches = {c for c, _, _ in d.firmware_mismatches}
    warnings = [f"{c}: declared {a}, read from the meter {b}" for c, a, b in d.firmware_mismatches]
    serials = eq.get("serials") or []
    if ident.get("serial") and serials and ident["serial"] not in serials:
        warnings.append(
            f"serial read from the meter {ident['serial']} is not among the declared "
            f"serials ({', '.join(serials)})"
        )
    if declared or read:
        out += _head("Firmware versions", st.h2)
        rows, extra = [], []
        for i, comp in enumerate(sorted(set(declared) | set(read)), start=1):
            status = (
                "MISMATCH"
                if comp in mismatches
                else "match"
                if comp in declared and comp in read
                else "not read"
                if comp in declared
                else "not declared"
            )
            rows.append([comp, declared.get(comp, "—"), read.get(comp, "—"), status])
            if comp in mismatches:
                extra.append(("BACKGROUND", (3, i), (3, i), VERDICT_BG["fail"]))
        out.append(
            table(
                ["Component", "Declared", "Read from meter", "Status"],
                rows,
                None,
                st,
                extra_style=extra,
            )
        )
    if warnings:
        out += [
            Spacer(1, 6),
            boxed(
                [Paragraph("<b>Warning: the meter does not match the declaration</b>", st.body)]
                + [para("• " + w, st.body) for w in warnings],
                W,
                WARN_BG,
                WARN_BORDER,
                st,
            ),
        ]
    return out + _register_findings(d, st)


#: Findings the declared-vs-read box above already shows.
_SHOWN = {("equipment", "firmware-mismatch"), ("equipment", "serial-mismatch")}


def _register_findings(d: ReportData, st: Styles) -> list:
    """Equipment-register checks: meter vs application, certificates (warnings boxed)."""
    shown = [f for f in d.equipment_findings if (f.get("source"), f.get("code")) not in _SHOWN]
    warnings = [f for f in shown if f.get("severity") == "warning"]
    notes = [f for f in shown if f.get("severity") != "warning"]
    out: list = []
    if warnings:
        out += [
            Spacer(1, 6),
            boxed(
                [Paragraph("<b>Warning: equipment register checks</b>", st.body)]
                + [para("• " + str(f.get("message", "")), st.body) for f in warnings],
                W,
                WARN_BG,
                WARN_BORDER,
                st,
            ),
        ]
    for f in notes:
        out.append(para("Note: " + str(f.get("message", "")), st.small))
    return out


def software(d: ReportData, st: Styles) -> list:
    sw = d.software or {}
    out: list = [*_head("2. Software under test", st.h1)]
    if not sw:
        out.append(para("No software was declared for this session.", st.body))
        return out
    out.append(
        key_values(
            [
                ("HHDC name / MPID", f"{sw.get('hhdc_name', '')} / {sw.get('hhdc_mpid', '')}"),
                ("HHDC software", sw.get("hhdc_software", "")),
                (
                    "HHDC version / date",
                    f"{sw.get('hhdc_version', '')} / {sw.get('hhdc_date', '')}",
                ),
                ("HHDC host", sw.get("hhdc_host", "")),
                ("HHDC modules", sw.get("hhdc_modules", "")),
                (
                    "Manufacturer software",
                    f"{sw.get('manufacturer_software', '')} "
                    f"{sw.get('manufacturer_version', '')}".strip(),
                ),
            ],
            st,
            W,
        )
    )
    return out


def results(d: ReportData, st: Styles) -> list:
    """Every checklist run: the current runs' results tables, the overall result, then the run
    history (superseded runs with the reason and their verdicts)."""
    out: list = [*_head("3. Test results", st.h1)]
    runs = d.runs or ([{**d.checklist, "steps": d.steps, "current": True}] if d.checklist else [])
    if not runs:
        out.append(para("No checklist run was recorded for this session.", st.body))
        return out + [Spacer(1, 6), _overall_badge(d, st), *record.overall_reasons(d, st)]
    current = [r for r in runs if r.get("current", True)]
    history = [r for r in runs if not r.get("current", True)]
    out.append(
        para(
            "Every step of each template is listed, including those not run and not applicable, "
            "with the reason. Objective, method and expected are those stored with the run when "
            "it started (the template as run, figures included); Evidence names the "
            "stored traces, collections, events and clock observations the result rests on "
            "(Appendix A). Every run of the session counts; a superseded run is listed under "
            "Run history with the reason, and a failure in it stays a failure.",
            st.small,
        )
    )
    if not current:
        out.append(para("Every checklist run of this session was superseded.", st.body))
    for run in current:
        out += _run_table(run, st, len(runs) > 1)
    out += [Spacer(1, 8), _overall_badge(d, st), *record.overall_reasons(d, st)]
    out += [Spacer(1, 6), *record.deviations(d, st, "3a. ")]
    if history:
        out += _head("3b. Run history: superseded runs", st.h1)
        note = ("These runs were set aside with the reason shown; their verdicts stay part of "
                "the record and a failure in them still counts.")  # fmt: skip
        out.append(para(note, st.small))
        for run in history:
            out += _run_table(run, st, True)
    return out


def _run_line(run: dict) -> str:
    conf = "; ".join(
        f"{c.get('role')} {c.get('name')} at {record.local_utc(c.get('at'))}"
        for c in run.get("confirmations") or []
    )
    text = (
        f"Checklist {run.get('template', '')} version {run.get('template_version', '')}, "
        f"run #{run.get('id', '')} ({run.get('status', '')})"
        f"{'; confirmed by ' + conf if conf else ''}."
    )
    if not run.get("current", True):
        text += (
            f" Superseded by {run.get('superseded_by') or '—'} at "
            f"{record.local_utc(run.get('superseded_at'))}; reason: "
            f"{run.get('superseded_reason') or '—'}."
        )
    return text


def _run_table(run: dict, st: Styles, heading: bool) -> list:
    """One run: its line (template, version, status, confirmations) and its steps table."""
    out: list = []
    if heading:
        title = f"Run #{run.get('id', '')}: {run.get('template', '')}"
        out += [CondPageBreak(90), Paragraph(title, st.h2)]
    out.append(para(_run_line(run), st.body))
    rows, extra = [], []
    witnessed = run_kind(run) == "witnessed"
    for i, s in enumerate(run.get("steps") or [], start=1):
        actual = s.actual + (f"\nNote: {s.note}" if s.note else "")
        if s.attempt > 1:
            actual += f"\n(attempt {s.attempt})"
        if s.proposed:
            actual += f"\nBench proposed {s.proposed.upper()}; recorded by {s.by or '—'}"
        evidence = record.evidence_text(s.evidence)
        texts = [s.objective, s.method, s.expected]
        if witnessed:  # the HHDC's evidence and the bench's reference side by side
            actual, evidence = record.witnessed_cells(s, actual, evidence)
            texts = [f"Objective: {s.objective}\nMethod: {s.method}\nExpected: {s.expected}"]
        rows.append(
            [
                f"{s.step_id}\n{s.title}" if s.title else s.step_id,
                *texts,
                actual,
                para(evidence, st.cell),
                para(VERDICT_TEXT.get(s.verdict, s.verdict.upper()), st.cell_center),
            ]
        )
        col = len(rows[-1]) - 1
        extra.append(("BACKGROUND", (col, i), (col, i),
                      VERDICT_BG.get(s.verdict, VERDICT_BG["na"])))  # fmt: skip
    if not rows:
        return [*out, para("No steps recorded.", st.body)]
    head = (["Objective | Method | Expected", "Actual (HHDC)", "Reference (bench)"] if witnessed
            else ["Objective", "Method", "Expected", "Actual", "Evidence"])  # fmt: skip
    out.append(
        table(
            ["Step", *head, "Verdict"],
            rows,
            None,
            st,
            extra_style=extra,
        )
    )
    return out


def reconciliation(d: ReportData, st: Styles) -> list:
    """Each export against the bench: the HHDC's, then the manufacturer software's (when the
    report has it: the overall result counts both)."""
    recs = [d.reconciliation]
    if d.manufacturer_reconciliation is not None:
        recs.append(d.manufacturer_reconciliation)
    if len(recs) == 1:
        return [*_head("4. Reconciliation: bench against HHDC", st.h1),
                *_one_reconciliation(recs[0], st)]  # fmt: skip
    out: list = [*_head("4. Reconciliation: bench against the exports", st.h1)]
    for n, rec in enumerate(recs, start=1):
        name = "HHDC export" if rec.source == "hhdc" else "Manufacturer-software export"
        body = _one_reconciliation(rec, st)
        # heading, note and figures on one page; the discrepancies may follow on the next
        cut = next((i for i, f in enumerate(body) if isinstance(f, CondPageBreak)), len(body))
        out += [CondPageBreak(90),
                KeepTogether([Paragraph(f"4.{n} {name} against the bench read", st.h2),
                              *body[:cut]]),
                *body[cut:]]  # fmt: skip
    return out


def _one_reconciliation(rec: Any, st: Styles) -> list:
    out: list = [para(rec.note, st.body)]
    if not rec.performed:
        return out
    if rec.summary:
        out += _reconciliation_summary(rec.summary, st, rec.source)
    out += _head(f"Discrepancies ({len(rec.discrepancies)})", st.h2)
    if not rec.discrepancies:
        out.append(para("None: every settlement period and channel agrees.", st.body))
        return out
    keys: list[str] = []
    for row in rec.discrepancies[:50]:
        keys += [k for k in row if k not in keys]
    keys = keys[:8]
    shown = rec.discrepancies[:MAX_DISCREPANCY_ROWS]
    rows = [cells.discrepancy_cells(row, keys) for row in shown]
    out.append(table(cells.discrepancy_head(keys), rows, None, st))
    if len(rec.discrepancies) > len(shown):
        out.append(
            para(
                f"… and {len(rec.discrepancies) - len(shown)} more discrepancies not listed here.",
                st.small,
            )
        )
    return out


def _reconciliation_summary(summary: dict, st: Styles, source: str = "hhdc") -> list:
    """The comparison's figures in words, and one row per channel (A = the export, B = bench)."""
    g = summary.get
    who = "HHDC" if source == "hhdc" else "manufacturer"
    days = g("clock_change_days") or []
    out: list = [
        key_values(
            [
                ("Verdict", str(g("verdict") or "")),
                ("Span compared", cells.span_text(summary)),
                ("Tolerance", f"{g('tolerance')} per period and channel"),
                ("Compared / matched", f"{g('compared')} / {g('matched')} period values"),
                ("Values / flags differing", f"{g('value_diffs')} / {g('flag_diffs')}"),
                (f"Missing in the {who} export", str(g("missing_in_a"))),
                ("Missing in the bench read", str(g("missing_in_b"))),
                ("Settlement days", f"{g('days')}; clock-change days: "
                 + (", ".join(map(str, days)) if days else "none")),  # fmt: skip
            ],
            st,
            W,
        )
    ]
    channels = g("channels") or []
    if channels:
        rows = [
            [channel_name(str(c.get("channel", ""))), c.get("compared", ""), c.get("matched", ""),
             c.get("value_diffs", ""), c.get("flag_diffs", ""), c.get("missing_in_a", ""),
             c.get("missing_in_b", ""), c.get("sum_a", ""), c.get("sum_b", "")]
            for c in channels
        ]  # fmt: skip
        out += [
            Spacer(1, 4),
            table(
                ["Channel", "Compared", "Matched", "Value diffs", "Flag diffs",
                 "Missing in export", "Missing in bench", "Total export", "Total bench"],
                rows,
                None,
                st,
            ),  # fmt: skip
        ]
    return out


def clock(d: ReportData, st: Styles) -> list:
    out: list = [*_head("5. Clock observations", st.h1)]
    if not d.clock_observations:
        return out + [para("No clock observations were recorded.", st.body)]
    head = ["#", "Meter time", "Reference time", "Meter clock vs reference", "Note"]
    out.append(table(head, cells.clock_rows(d), None, st))
    return out


def events(d: ReportData, st: Styles) -> list:
    out: list = [*_head("6. Events", st.h1)]
    if not d.events:
        return out + [para("No events were recorded.", st.body)]
    out.append(
        para(
            "Each event the meter logged, once, however many reads returned it; 'Seen in reads' "
            "lists the collections whose event-log read returned it (Appendix A; an alarm still "
            "present on a later read was not cleared by reading).",
            st.small,
        )
    )
    head = ["Time", "Code", "Event", "Flag raised", "Seen in reads"]
    out.append(table(head, cells.event_rows(d), None, st))
    return out


def charts(d: ReportData, st: Styles) -> list:
    """The profile as days × settlement periods heat maps with daily totals."""
    return profile.profile_section(d, st, "7.")


def _hashed(
    header: list[str], items: list[tuple[list[Any], str]], widths: list[float] | None, st: Styles
):
    """A table with each item's SHA-256 on its own full-width line below the item's row."""
    rows: list[list[Any]] = []
    extra: list[tuple] = []
    for i, (row, digest) in enumerate(items):
        r = 1 + 2 * i
        rows.append(row)
        rows.append(
            [Paragraph(f"SHA-256 <font face='{st.fonts.mono}'>{digest or '—'}</font>", st.cell)]
            + [""] * (len(row) - 1)
        )
        extra += [
            ("SPAN", (0, r + 1), (-1, r + 1)),
            ("LINEABOVE", (0, r + 1), (-1, r + 1), 0.25, colors.white),
        ]
        if i % 2:
            extra.append(("BACKGROUND", (0, r), (-1, r + 1), ROW_ALT))
    if not items:
        rows = [["—"] + [""] * (len(header) - 1)]
    return table(header, rows, widths, st, extra_style=extra, zebra=False)


def appendix(d: ReportData, st: Styles) -> list:
    out: list = [
        *_head("Appendix A. Evidence", st.h1),
        para(
            "Every collection, trace and attachment of the session with its SHA-256 "
            "(for imported files, the hash of the source file).",
            st.body,
        ),
        *_head("Collections", st.h2),
    ]
    out.append(
        para(
            "Each collection by purpose and time, with its label (the checklist step that made "
            "it), the span of its intervals and the SHA-256 of its rows (one "
            "'start,channel,value,unit,status' line each); an imported file also gives the "
            "SHA-256 of the source file.",
            st.small,
        )
    )
    items = []
    events = Counter(e.get("collection_id") for e in d.events)
    for c in d.collections:
        n_events = events.get(c.get("id"), 0)
        digest = c.get("rows_sha256") or (
            "— (no interval readings" + ("; its events are listed in section 6)" if n_events
                                         else ")")  # fmt: skip
        )
        if c.get("source_hash"):
            digest += f"; source file {c['source_hash']}"
        items.append(([c.get("id"), *cells.collection_cells(c, n_events)], digest))
    out.append(
        _hashed(
            ["#", "Collection", "Span (interval starts, GB local time)", "Contents"],
            items,
            None,
            st,
        )  # fmt: skip
        if items
        else para("No collection was recorded.", st.body)
    )
    out += _head("Communication traces", st.h2)
    out.append(
        para("No communication trace was recorded.", st.body)
        if not d.traces
        else _hashed(
            ["#", "Label", "Records", "Bytes tx / rx", "Created"],
            [
                (
                    [
                        t.get("id"),
                        t.get("label", ""),
                        _trace_records(t),
                        f"{t.get('bytes_tx', '')} / {t.get('bytes_rx', '')}",
                        record.local_utc(t.get("created_at")),
                    ],
                    t.get("sha256", ""),
                )
                for t in d.traces
            ],
            None,
            st,
        )
    )
    if d.attachments:
        out += _head("Attachments", st.h2)
        out.append(
            _hashed(
                ["#", "Name", "Type"],
                [
                    ([a.get("id"), a.get("name", ""), a.get("mime", "")], a.get("sha256", ""))
                    for a in d.attachments
                ],
                None,
                st,
            )
        )
    out += [
        *_head("Audit chain", st.h2),
        para("Head of the session's audit chain when this report was rendered (SHA-256):", st.body),
        Paragraph(f"<font face='{st.fonts.mono}'>{d.audit_head or '(none)'}</font>", st.body),
    ]
    return out


def _trace_records(t: dict) -> str:
    """``"312"`` or ``"312 (2 bad, 1 refused)"``: bad frames and refusals found by dissecting."""
    notes = [f"{t[k]} {k}" for k in ("bad", "refused") if t.get(k)]
    return f"{t.get('records', '')}" + (f" ({', '.join(notes)})" if notes else "")
