"""What a bench collection says about itself: its ``meta``, typed, in one key scheme.

A bench collection is opened by the acquisition service (``with acquisition.collection(meta)``)
for a whole read, a profile read, a checklist step's read or its event log; the meta is stored
with the collection when it is created, so the audit chain covers it from then on. One scheme:

============== ===============================================================================
``label``      what the read was for (``"bench read"``, ``"one-day read"``…)
``step``       the checklist step that made it (``"DR1-1"``), with ``run_id`` its run
``kind``       ``"events"`` for a step's event-log collection
``start``      first interval start asked for, ISO 8601 UTC ``…Z`` (absent = the oldest held)
``end``        intervals asked for start before this, same format (absent = up to the newest)
``deviations`` texts of what was accepted against a check (``--accept-serial``)
``identity``   the meter as read on that connection (added by the acquisition service)
============== ===============================================================================

Only keys with a value are written. Databases hold older collections written before this scheme:
whole reads kept their range as ``"range": [start, end]`` and wrote times with ``+00:00``;
:meth:`CollectionMeta.from_json` reads both, so readers never look at the raw keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bench_app.settlement import parse_utc_or_none
from drivers.model import iso


@dataclass
class CollectionMeta:
    """A bench collection's meta (see the module docstring for each key).

    :param start: first interval start asked for (aware UTC); None = the oldest the meter holds.
    :param end: intervals starting before this were asked for (aware UTC); None = the newest.
    :param identity: the meter's identity as stored (``Identity.to_json()``), {} when unknown.
    """

    label: str = ""
    step: str = ""
    run_id: int | None = None
    kind: str = ""
    start: datetime | None = None
    end: datetime | None = None
    deviations: list[str] = field(default_factory=list)
    identity: dict[str, Any] = field(default_factory=dict)

    @property
    def serial(self) -> str:
        """The meter serial read when the collection opened ("" when unknown)."""
        return str(self.identity.get("serial") or "")

    def to_json(self) -> dict[str, Any]:
        """The stored form: only the keys with a value, times as ``…Z``."""
        out: dict[str, Any] = {}
        if self.identity:
            out["identity"] = self.identity
        for key in ("label", "step", "run_id", "kind"):
            value = getattr(self, key)
            if value not in ("", None):
                out[key] = value
        if self.start is not None:
            out["start"] = iso(self.start)
        if self.end is not None:
            out["end"] = iso(self.end)
        if self.deviations:
            out["deviations"] = list(self.deviations)
        return out

    @classmethod
    def from_json(cls, meta: dict[str, Any] | None) -> CollectionMeta:
        """Read a stored meta, this scheme or the older one (``range``, ``+00:00`` times);
        unreadable times read as not given."""
        meta = meta if isinstance(meta, dict) else {}
        lo, hi = meta.get("start"), meta.get("end")
        old = meta.get("range")
        if isinstance(old, list | tuple) and len(old) == 2 and lo is None and hi is None:
            lo, hi = old
        run_id = meta.get("run_id")
        return cls(
            label=str(meta.get("label") or ""),
            step=str(meta.get("step") or ""),
            run_id=int(run_id) if isinstance(run_id, int | str) and str(run_id).isdigit() else None,
            kind=str(meta.get("kind") or ""),
            start=parse_utc_or_none(lo),
            end=parse_utc_or_none(hi),
            deviations=[str(d) for d in meta.get("deviations") or []],
            identity=dict(meta.get("identity") or {}),
        )
