"""Table cells of the report in the one presentation language (:mod:`bench_app.presentation`):
clock observations, events seen across reads, reconciliation discrepancies, collections and the
meter's identity, as a witness reads them (names, not internal codes; times in GB local time
with UTC beside; durations in h/min/s; simulated clocks marked).

Pure functions of the report's data (everything comes from the statement), so the signed pages
re-render the same.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from bench_app import presentation as P
from bench_app import settlement
from bench_app.report.data import ReportData


def _simulated_collections(d: ReportData) -> set[Any]:
    """Ids of the collections read from a simulated outstation."""
    return {c.get("id") for c in d.collections if c.get("simulated")}


def clock_rows(d: ReportData) -> list[list[Any]]:
    """One row per clock observation: id, meter time, reference time, deviation in words, note;
    times from a simulated outstation (and the bench's simulated time) marked."""
    rows = []
    for o in d.clock_observations:
        sim = bool(o.get("simulated"))
        rows.append(
            [
                o.get("id", ""),
                P.when(o.get("meter_time"), simulated=sim),
                P.when(o.get("reference_time"), simulated=sim),
                P.clock_deviation(float(o.get("deviation_s") or 0)),
                o.get("note", ""),
            ]
        )
    return rows


def distinct_events(events: list[dict]) -> list[dict]:
    """One row per logged event — the same time, code and channel (and text) — oldest first,
    with every collection that read it: the same event appears in each event-log read of a
    session, and is one event of the meter however many reads saw it."""
    seen: dict[tuple, dict] = {}
    for e in events:
        key = (str(e.get("time")), e.get("code", ""), e.get("channel") or "", e.get("text", ""))
        row = seen.setdefault(
            key, {"time": e.get("time"), "code": key[1], "text": key[3], "collections": []}
        )
        cid = e.get("collection_id")
        if cid is not None and cid not in row["collections"]:
            row["collections"].append(cid)
    return sorted(seen.values(), key=lambda r: str(r["time"]))


def event_rows(d: ReportData) -> list[list[Any]]:
    """One row per distinct event: time, code, what happened, the flag it raises, and the reads
    that saw it (``#15, #16``: collections in Appendix A)."""
    simulated = _simulated_collections(d)
    rows = []
    for e in distinct_events(d.events):
        sim = any(c in simulated for c in e["collections"])
        rows.append(
            [
                P.when(e["time"], simulated=sim),
                e["code"],
                e["text"],
                P.flag_text(P.event_flag(e["code"]), none="—"),
                ", ".join(f"#{c}" for c in e["collections"]) or "—",
            ]
        )
    return rows


#: an internal name in a cell (``PHASE_FAILURE``): shown as text
_INTERNAL = re.compile(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)+")
#: discrepancy keys → column heading
_DISCREPANCY_HEAD = {
    "start": "Period start",
    "settlement_day": "Settlement day",
    "sp": "SP",
    "channel": "Channel",
    "kind": "Difference",
}
#: discrepancy kinds in words
_KINDS = {
    "value": "value",
    "flag": "flags",
    "missing_in_a": "missing in the export",
    "missing_in_b": "missing in the bench read",
}


def discrepancy_head(keys: list[str]) -> list[str]:
    """Column headings for the discrepancy keys (``hhdc`` → ``HHDC``, ``bench`` → ``Bench``)."""
    return [
        _DISCREPANCY_HEAD.get(k, k.upper() if k == "hhdc" else k.replace("_", " ").capitalize())
        for k in keys
    ]


def discrepancy_cells(row: dict, keys: list[str]) -> list[Any]:
    """One discrepancy as cells: the period start in GB time, the channel named, a flag
    difference as flag names on each side."""
    out: list[Any] = []
    flags = row.get("kind") == "flag"
    for k in keys:
        v = row.get(k, "")
        if k == "start":
            v = P.when(v)
        elif k == "settlement_day" and v:
            v = P.day_text(v)
        elif k == "channel" and v:
            v = P.channel_name(str(v))
        elif k == "kind":
            v = _KINDS.get(str(v), P.human_name(str(v)))
        elif flags and k not in _DISCREPANCY_HEAD and isinstance(v, int):
            v = P.flag_text(v, none="no flag")
        elif isinstance(v, str) and _INTERNAL.fullmatch(v):
            v = P.human_name(v)
        out.append("—" if v is None else v)
    return out


def collection_cells(c: dict, n_events: int) -> tuple[str, str, str]:
    """A collection's name (purpose and time, its label below), the span of its intervals in
    GB time (the simulated clock marked) and its contents."""
    meta = c["meta"] if isinstance(c.get("meta"), dict) else {}
    name = P.collection_name(c)
    label = str(meta.get("label") or c.get("source_file") or "")
    if label:
        name += f"\n{label}"
    span = c.get("span")
    sim = bool(c.get("simulated"))
    span_text = (
        f"{P.when(span[0], utc=False)} – {P.when(span[1], utc=False, simulated=sim)}"
        if span
        else "—"
    )
    rows = int(c.get("rows") or 0)
    contents = f"{rows} readings" if rows else ""
    if n_events:
        many = "events" if n_events > 1 else "event"
        contents = ", ".join(x for x in (contents, f"{n_events} {many}") if x)
    return name, span_text, contents or "nothing stored"


#: identity keys → labels
_IDENTITY = {
    "manufacturer": "manufacturer (FLAG id)",
    "model": "model",
    "serial": "serial",
    "outstation_type": "outstation type",
}


def identity_text(ident: dict) -> str:
    """``"manufacturer (FLAG id) SML, model …, serial …, outstation type PRO"``."""
    return ", ".join(f"{label} {ident[k]}" for k, label in _IDENTITY.items() if ident.get(k))


def span_text(summary: dict) -> str:
    """The span a reconciliation compared: ``"07 Dec 2026 19:30 GMT → 07 Dec 2026 21:00 GMT
    (settlement day Mon 07 Dec 2026)"`` from its ``span`` [start, end); the comparison's own
    text when it has no span."""
    span = summary.get("span")
    if not (isinstance(span, (list, tuple)) and len(span) == 2):
        return str(summary.get("span_text") or "—")
    try:
        start, end = (settlement.parse_utc(str(t)) for t in span)
    except ValueError:
        return str(summary.get("span_text") or "—")
    first = settlement.settlement_day(start)
    last = settlement.settlement_day(end - timedelta(seconds=1))
    days = P.day_text(first) if first == last else f"{P.day_text(first)} … {P.day_text(last)}"
    many = "s" if first != last else ""
    fmt = "%d %b %Y %H:%M"
    return f"{P.gb(start, fmt)} → {P.gb(end, fmt)} (settlement day{many} {days})"
