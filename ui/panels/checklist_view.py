"""How the checklist panel shows verdicts: colours and words per verdict, step-kind marks, evidence
references as links (``trace:5``, ``collection:3``) and timestamps in GB local time."""

from __future__ import annotations

import html
from typing import Any

from bench_app.outcomes import CauseKind
from bench_app.presentation import when

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


def earlier_attempts_html(earlier: list[dict]) -> str:
    """Earlier attempts of a step, newest first (every attempt is kept and counts: a repeated
    run or a revised manual record never erases the one before), as HTML; "" when none."""
    if not earlier:
        return ""
    items = []
    for r in sorted(earlier, key=lambda r: r.get("attempt", 0), reverse=True):
        word = VERDICT_STYLE.get(r.get("verdict", ""), ("", "", str(r.get("verdict", ""))))[2]
        note = f" (note: {html.escape(str(r['note']))})" if r.get("note") else ""
        items.append(
            f"<li>attempt {int(r.get('attempt', 0))}: <b>{word}</b> — "
            f"{html.escape(str(r.get('actual') or '—'))}{note} <i>by "
            f"{html.escape(str(r.get('by') or '—'))} at {when_text(r.get('at'))}</i></li>"
        )
    return f"<p><b>Earlier attempts ({len(items)}, kept):</b></p><ul>{''.join(items)}</ul>"


def when_text(at: Any) -> str:
    """A stored timestamp (aware datetime or ISO text, UTC) as GB local time with its zone, in
    the report's format (:func:`bench_app.presentation.when`)."""
    return when(at, utc=False, empty="")


def verdict_banner_style(verdict: str) -> str:
    """Style sheet of the verdict banner: white on red for FAIL, white on green for PASS."""
    fg, bg, _word = VERDICT_STYLE.get(verdict, ("#333333", "#ffffff", ""))
    return (
        f"QLabel#verdictBanner {{ color: {fg}; background: {bg}; padding: 6px 8px;"
        " border-radius: 3px; font-size: 14px; }"
    )


def overall_lines(result: Any, limit: int = 4) -> list[str]:
    """The reasons of an :class:`bench_app.checklist.verdict.OverallResult`, short enough for the
    sidebar: failures first (at most ``limit``), the steps not run as one line, then the rest.
    The result's typed causes say which is which."""
    causes = list(result.causes)
    not_run = [c.step_id for c in causes if c.kind == CauseKind.NOT_RUN]
    fails = [_short(c.text) for c in causes if c.kind == CauseKind.FAIL]
    rest = [c.text for c in causes if c.kind not in (CauseKind.FAIL, CauseKind.NOT_RUN)]
    lines = fails[:limit]
    if len(fails) > limit:
        lines.append(f"… {len(fails) - limit} more failures")
    if not_run:
        shown = ", ".join(not_run[:5]) + ("…" if len(not_run) > 5 else "")
        lines.append(f"{len(not_run)} of {len(result.steps)} steps not run ({shown})")
    return lines + [_short(r) for r in rest]


def _short(text: str, width: int = 84) -> str:
    """One reason cut to ``width`` characters at a word (the tooltip has it in full)."""
    if len(text) <= width:
        return text
    return text[:width].rsplit(" ", 1)[0].rstrip(",;:") + " …"


def overall_tooltip(result: Any) -> str:
    """Every reason and deviation of the overall result, one a line (the sidebar's tooltip)."""
    lines = ["By the report's rules (bench_app.checklist.verdict):", *result.reasons]
    lines += [f"deviation: {d.text}" for d in result.deviations]
    return "\n".join(lines)


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
