"""Declared capabilities: what the outstation under test has fitted, as declared for the session.

The script's "(where fitted)" tests (DR4-2 battery monitor, DR4-3 equipment resets other than
supply failure, DR4-5 reverse running) and CoP 11's asset-meter fields depend on what is fitted.
It is a *declaration*, recorded, never a guess: from the session's own record
(``bench-app session set ID capabilities battery=no …``, kind ``capabilities``) or else from the
meter description's ``[capabilities]`` table (``battery = false``). A step naming ``fitted =
"battery"`` is n/a, with the declaration quoted, when it is declared not fitted; declared fitted,
it runs and can never be n/a (no alarm → FAIL); not declared at all, it runs.

>>> declared(store, session_id).get("battery")
Declaration(name='battery', fitted=False, source="session record (A. Tester): battery = no")
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench_app.errors import UsageError

#: name → what it means (CoP 11's asset-meter fields and the script's "(where fitted)" tests).
CAPABILITIES: dict[str, str] = {
    "battery": "battery (with battery monitor) fitted",
    "reset_alarm": "alarm for equipment resets other than supply failure",
    "reverse_running": "reverse-running detection",
    "internal_clock": "internal clock fitted",
    "hh_storage": "half-hourly storage capability",
    "any_storage": "any storage capability",
    "instantaneous_power": "instantaneous power output",
    "energy_flow_direction": "energy-flow direction capability",
    "export_channels": "number of export (energy-flow out) channels",
}
#: capabilities whose value is a count rather than yes/no
COUNTS = ("export_channels",)
#: the CoP 11 script's asset-meter capability fields
ASSET_METER_FIELDS = ("internal_clock", "hh_storage", "any_storage", "instantaneous_power",
                      "energy_flow_direction")  # fmt: skip
_YES, _NO = ("yes", "true", "1", "fitted", "y"), ("no", "false", "0", "not-fitted", "n", "none")


@dataclass(frozen=True)
class Declaration:
    """One declared capability: ``fitted`` (for counts: value > 0), ``value`` as declared and
    ``source`` — the quotation a n/a verdict gives."""

    name: str
    fitted: bool
    value: Any
    source: str

    def quote(self) -> str:
        shown = self.value if self.name in COUNTS else ("yes" if self.fitted else "no")
        return f"{self.name} = {shown} ({CAPABILITIES[self.name]}), declared in {self.source}"

    def to_json(self) -> dict:
        return {"name": self.name, "fitted": self.fitted, "value": self.value,
                "source": self.source, "quote": self.quote()}  # fmt: skip


def parse_value(name: str, text: Any) -> Any:
    """``"no"`` → False, ``"2"`` (a count) → 2; :class:`UsageError` naming the capability."""
    if name not in CAPABILITIES:
        raise UsageError(f"unknown capability {name!r}; known: {', '.join(CAPABILITIES)}")
    if name in COUNTS:
        try:
            value = int(str(text).strip())
        except ValueError:
            raise UsageError(f"capability {name}: {text!r} is not a count") from None
        if value < 0:
            raise UsageError(f"capability {name}: a count cannot be negative")
        return value
    if isinstance(text, bool):
        return text
    word = str(text).strip().lower()
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise UsageError(f"capability {name}: say yes or no, not {text!r}")


def parse_pairs(items: list[str]) -> dict[str, Any]:
    """``["battery=no", "export_channels=2"]`` → ``{"battery": False, "export_channels": 2}``."""
    out: dict[str, Any] = {}
    for item in items:
        key, found, value = item.partition("=")
        key = key.strip().replace("-", "_")
        if not found or not key or not value.strip():
            raise UsageError(f"capability {item!r}: expected NAME=yes|no (or NAME=COUNT)")
        out[key] = parse_value(key, value)
    return out


def _make(name: str, value: Any, source: str) -> Declaration:
    fitted = value > 0 if name in COUNTS else bool(value)
    return Declaration(name, fitted, value, source)


class Declared:
    """A session's declarations (:func:`declared`)."""

    def __init__(self, items: dict[str, Declaration]) -> None:
        self.items = items

    def get(self, name: str) -> Declaration | None:
        return self.items.get(name)

    def to_json(self) -> dict:
        return {n: d.to_json() for n, d in self.items.items()}


def declared(store: Any, session_id: int, meter: str = "") -> Declared:
    """The session's declared capabilities: its ``capabilities`` record over the meter
    description's ``[capabilities]`` table (``meter``: a description name for the run, else the
    session's)."""
    from bench_app import meters

    items: dict[str, Declaration] = {}
    desc = None
    try:
        desc = meters.load(meter) if meter else meters.session_description(store, session_id)
    except UsageError:
        desc = None
    table = ((getattr(desc, "raw", None) or {}).get("capabilities") or {}) if desc else {}
    for name, value in table.items():
        if name in CAPABILITIES:
            items[name] = _make(name, parse_value(name, value),
                                f"meter description {desc.name} [capabilities]")  # type: ignore[union-attr]  # fmt: skip
    records = store.session_records(session_id) if hasattr(store, "session_records") else {}
    rec = records.get("capabilities") or {}
    by = str(rec.get("by") or "").strip()
    for name, value in (rec.get("declared") or {}).items():
        if name in CAPABILITIES:
            where = "the session's capabilities record" + (f" ({by})" if by else "")
            items[name] = _make(name, value, where)
    return Declared(items)


def record(store: Any, session_id: int, values: dict[str, Any], by: str = "") -> dict:
    """Add ``values`` to the session's capabilities record (a new record supersedes the old one,
    which stays in the audit chain); returns the merged declarations."""
    records = store.session_records(session_id)
    merged = dict((records.get("capabilities") or {}).get("declared") or {})
    merged.update(values)
    store.set_session_record(session_id, "capabilities", {"declared": merged, "by": by})
    return merged
