"""Report appendix: what the HHDC's system did on the line, as the bench observed it.

One table per observed trace (``bench-app observe``): the checklist step it was tagged with and,
per exchange, the record number, the time (GB local, UTC beside), what the HHDC's system asked
and what the meter answered (associations with SAP/level and result — passwords masked —, GETs
of the profile and events with the SPs returned and their status, clock SETs with old and new
time, IEC 62056-21 commands). Only rendered when the session holds observed traces.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from reportlab.platypus import CondPageBreak, Paragraph

from bench_app.presentation import when
from bench_app.report.styles import Styles, para, table

LEVEL_TEXT = {"ok": "ok", "refused": "REFUSED", "bad": "BAD", "unanswered": "NO ANSWER"}


def collect(store: Any, session_id: int) -> list[dict[str, Any]]:
    """Observed traces of the session with their exchanges (plain dicts for the report)."""
    from bench_app.observe import meter_levels, observed_step, session_exchanges

    out = []
    for row, found in session_exchanges(store, session_id, meter_levels(store, session_id)):
        out.append({
            "id": row["id"], "step": observed_step(row), "label": row.get("label") or "",
            "sha256": row.get("sha256", ""),
            "exchanges": [
                {"record": e.record + 1, "wall_ns": e.wall_ns, "request": e.request,
                 "result": e.result, "level": e.level}
                for e in found
            ],
        })  # fmt: skip
    return out


def section(observed: list[dict[str, Any]], st: Styles) -> list:
    """Appendix B, or nothing when no trace was observed."""
    if not observed:
        return []
    out: list = [
        CondPageBreak(120),
        Paragraph("Appendix B. Observed HHDC ↔ meter exchanges", st.h1),
        para(
            "What the HHDC's system asked and what the meter answered, decoded from the bytes "
            "the bench recorded on the line (relay or passive tap; nothing altered). Passwords "
            "are masked in the stored trace; the record number points into the trace.",
            st.small,
        ),
    ]
    for t in observed:
        step = f" — step {t['step']}" if t["step"] else ""
        out.append(Paragraph(f"Trace #{t['id']}{step}", st.h2))
        out.append(para(t["label"], st.small))
        rows = [
            [e["record"], _utc(e["wall_ns"]), e["request"], e["result"] or "(no answer seen)",
             LEVEL_TEXT.get(e["level"], e["level"])]
            for e in t["exchanges"]
        ]  # fmt: skip
        if not rows:
            out.append(para("No request/answer exchange was recognised.", st.body))
            continue
        out.append(table(["Rec.", "Time", "HHDC asked", "Meter answered", "Level"], rows, None,
                         st))  # fmt: skip
    return out


def _utc(wall_ns: int) -> str:
    """The bench's clock when the exchange was recorded, GB local with UTC beside."""
    return when(datetime.fromtimestamp(wall_ns / 1e9, UTC))
