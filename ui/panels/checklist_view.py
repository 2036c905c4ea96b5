"""How the checklist panel shows verdicts: colours and words per verdict, step-kind marks, evidence
references as links (``trace:5``, ``collection:3``) and timestamps in GB local time."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from ui.timebase import gb

#: verdict → (banner text colour, banner background, word shown)
VERDICT_STYLE = {
    "fail": ("#ffffff", "#b02a2a", "FAIL"),
    "pass": ("#ffffff", "#1e7b34", "PASS"),
    "na": ("#333333", "#dfe3e8", "N/A"),
    "not-run": ("#333333", "#f1f3f5", "NOT RUN"),
}
#: step kind → how the list marks it
KIND_MARK = {
    "automatic": "AUTO",
    "stimulus": "AUTO + stimulus",
    "manual": "MANUAL",
    "attachment": "MANUAL (attachment)",
}
#: evidence key → (link scheme, label); the window opens ``trace``, ``collection`` and ``event``
#: links; clock readings and attachments are named (they are listed in the report)
EVIDENCE_LINKS = {
    "collection_ids": ("collection", "collection"),
    "trace_ids": ("trace", "trace"),
    "event_ids": ("event", "event"),
    "clock_observation_ids": ("clock", "clock reading"),
    "attachment_ids": ("attachment", "attachment"),
}
OPENABLE = ("collection", "trace", "event")
NO_VERDICT = "— choose a verdict —"
#: overall result → (text colour, background), as the sidebar shows it
OVERALL_COLOURS = {
    "PASS": ("#ffffff", "#1e7b34"),
    "FAIL": ("#ffffff", "#b02a2a"),
    "INCOMPLETE": ("#5c4400", "#fff1c2"),
    "NOT RUN": ("#333333", "#e4e7eb"),
}


def evidence_links(evidence: dict) -> str:
    """HTML links ``<a href="trace:5">trace #5</a>`` for the stored rows a result names (plain
    text for kinds the window has no view of)."""
    parts = []
    for key, (scheme, label) in EVIDENCE_LINKS.items():
        for rid in evidence.get(key) or []:
            text = f"{label} #{int(rid)}"
            linked = scheme in OPENABLE
            parts.append(f"<a href='{scheme}:{int(rid)}'>{text}</a>" if linked else text)
    return ", ".join(parts)


def when_text(at: Any) -> str:
    """A stored timestamp (aware datetime or ISO text, UTC) as GB local time with its zone."""
    if isinstance(at, datetime):
        return gb(at, "%Y-%m-%d %H:%M")
    try:
        return gb(datetime.fromisoformat(str(at)), "%Y-%m-%d %H:%M")
    except ValueError:
        return str(at or "")


def verdict_banner_style(verdict: str) -> str:
    """Style sheet of the verdict banner: white on red for FAIL, white on green for PASS."""
    fg, bg, _word = VERDICT_STYLE.get(verdict, ("#333333", "#ffffff", ""))
    return (
        f"QLabel#verdictBanner {{ color: {fg}; background: {bg}; padding: 6px 8px;"
        " border-radius: 3px; font-size: 14px; }"
    )


def checklist_overall(store: Any, session_id: int) -> tuple[str, list[str]]:
    """Overall result of the session's latest checklist run by the report's rule: ``FAIL`` (any
    step failed), ``PASS`` (every step pass or n/a), ``INCOMPLETE``, or ``NOT RUN`` (no run).
    Returns ``(status, reasons)``; reasons name the failed and the missing steps.

    A stand-in until the sidebar is fed by the report's own overall-result function.
    """
    from bench_app.checklist import ChecklistEngine, find_template

    runs = [r for r in store.checklist_runs(session_id) if r["status"] != "superseded"]
    if not runs:
        return "NOT RUN", ["no checklist run yet"]
    run = runs[-1]
    eng = ChecklistEngine(store, session_id, find_template(run["template"]), by="gui")
    rows = eng.results()
    failed = [r["step"] for r in rows if r["verdict"] == "fail"]
    missing = [r["step"] for r in rows if r["verdict"] not in ("pass", "na", "fail")]
    reasons = []
    if failed:
        reasons.append(f"failed: {', '.join(failed)}")
    if missing:
        shown = ", ".join(missing[:6]) + ("…" if len(missing) > 6 else "")
        reasons.append(f"{len(missing)} of {len(rows)} steps without a result ({shown})")
    if run["status"] != "confirmed":
        reasons.append(f"run #{run['id']} not yet confirmed by tester and witness")
    if not rows:
        return "NOT RUN", reasons
    status = "FAIL" if failed else "INCOMPLETE" if missing else "PASS"
    return status, reasons


def overall_html(status: str, reasons: list[str]) -> str:
    """``Overall result: FAIL`` in bold and one line per reason."""
    why = "".join(f"<br>· {html.escape(r)}" for r in reasons)
    return f"<b>Overall result: {html.escape(status)}</b>{why}"


def overall_style(status: str) -> str:
    """Style sheet of the sidebar's overall-result label: white on red for FAIL, and so on."""
    fg, bg = OVERALL_COLOURS.get(status, ("#333333", "#f1f3f5"))
    return (
        f"QLabel#overallResult {{ color: {fg}; background: {bg}; padding: 6px;"
        " border-radius: 3px; }"
    )
