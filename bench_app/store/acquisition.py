"""Acquisition blocks and collection states: what makes a bench read survive a kill.

A bench read (:mod:`bench_app.acquire`) stores each block — a profile block, the event log, the
registers, a clock reading — in ONE transaction together with the trace segment holding the bytes
that carried it and an ``acq_blocks`` row naming that segment's SHA-256. A kill -9 at any moment
therefore leaves every stored reading covered by a stored trace (:meth:`uncovered_readings`).

The state of a collection is the newest of its append-only ``acq_status`` rows: ``started`` /
``resumed`` when a read begins, ``complete`` when it ends, ``incomplete`` with a reason when it
stops early (error, Ctrl-C, cancel, unplugged). A read that was killed never wrote its end, so a
collection whose newest state is ``started``/``resumed`` is reported as incomplete too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bench_app.errors import UsageError
from bench_app.store.base import StoreBase, now_iso
from drivers.trace import Trace

#: Kinds of stored blocks.
BLOCK_KINDS = ("clock", "set-clock", "profile", "events", "registers", "trace")
#: States a collection can be put in (:meth:`AcquisitionMixin.mark_collection`).
STATES = ("started", "resumed", "complete", "incomplete")
#: Reason given for a collection whose read never recorded its end.
#: Start of the completion reason of a read that finished with warnings (one warning per line,
#: written by :func:`bench_app.acquire.session.acquire_all`).
WARNINGS_PREFIX = "read with warnings:"
KILLED_REASON = (
    "the read stopped without recording its end (program killed, crashed or power lost)"
)


class AcquisitionMixin(StoreBase):
    """Blocks, trace segments and collection states (see module docstring)."""

    if TYPE_CHECKING:
        # defined by EvidenceMixin (Store mixes in both); declared so these methods type-check
        def collections(self, session_id: int) -> list[dict]: ...
        def interval_span(self, collection_id: int) -> tuple[datetime, datetime, int] | None: ...
        def load_trace(self, trace_id: int) -> Trace: ...

    def add_block_record(
        self,
        collection_id: int,
        kind: str,
        *,
        trace_id: int | None,
        items: int = 0,
        added: int = 0,
        first_start: datetime | None = None,
        last_start: datetime | None = None,
    ) -> int:
        """Record one stored block of a read (call inside the transaction that stored it).

        :param kind: one of :data:`BLOCK_KINDS`.
        :param trace_id: the trace segment stored with the block (its SHA-256 is recorded).
        :param items: rows / events / registers the block held as read; ``added`` of them were new.
        :param first_start: first and last interval start of a profile block (UTC).
        """
        if kind not in BLOCK_KINDS:
            raise UsageError(f"block kind must be one of {', '.join(BLOCK_KINDS)}, not {kind!r}")
        with self.atomic():
            session_id = self._parent_session("collections", collection_id)
            self.check_unlocked(session_id)
            sha = None
            if trace_id is not None:
                row = self.conn.execute(
                    "SELECT sha256 FROM traces WHERE id = ?", (trace_id,)
                ).fetchone()
                sha = row[0] if row else None
            seq = self.conn.execute(
                "SELECT coalesce(max(seq), 0) + 1 FROM acq_blocks WHERE collection_id = ?",
                (collection_id,),
            ).fetchone()[0]
            record = {
                "collection_id": collection_id,
                "seq": int(seq),
                "kind": kind,
                "first_start": _epoch(first_start),
                "last_start": _epoch(last_start),
                "items": int(items),
                "added": int(added),
                "trace_sha256": sha,
                "at": now_iso(),
            }
            return self._insert("acq_blocks", session_id, record)

    def blocks(self, collection_id: int) -> list[dict]:
        """id, collection_id, seq, kind, first_start, last_start (aware UTC or None), items,
        added, trace_sha256, at — in the order they were stored."""
        self._parent_session("collections", collection_id)
        rows = list(
            self.db.query(
                "SELECT * FROM acq_blocks WHERE collection_id = ? ORDER BY seq", [collection_id]
            )
        )
        for row in rows:
            for key in ("first_start", "last_start"):
                if row[key] is not None:
                    row[key] = datetime.fromtimestamp(row[key], UTC)
        return rows

    def collection_trace(self, collection_id: int) -> Trace:
        """All trace segments stored with a collection, joined in order (checked SHA-256s)."""
        self._parent_session("collections", collection_id)
        ids = [
            r[0]
            for r in self.conn.execute(
                "SELECT id FROM traces WHERE collection_id = ? ORDER BY id", (collection_id,)
            )
        ]
        out = Trace()
        for tid in ids:
            out.records.extend(self.load_trace(tid).records)
        return out

    # -- states ---------------------------------------------------------------------------------

    def mark_collection(self, collection_id: int, state: str, reason: str = "") -> int:
        """Append a state row (``started``, ``resumed``, ``complete``, ``incomplete``)."""
        if state not in STATES:
            raise UsageError(f"collection state must be one of {', '.join(STATES)}")
        session_id = self._parent_session("collections", collection_id)
        record = {
            "collection_id": collection_id,
            "state": state,
            "reason": reason,
            "at": now_iso(),
        }
        return self._insert("acq_status", session_id, record)

    def collection_state(self, collection_id: int) -> dict | None:
        """``{"state": "complete"|"incomplete"|"reading", "reason", "at", "history", "warnings"}``
        of a bench read, or None for a collection no read stored (an import, an older database).
        ``warnings``: what a complete read could not get (tolerant reads), one text each.

        ``state`` is ``incomplete`` when the read stopped early (``reason`` says why) or never
        recorded its end (:data:`KILLED_REASON`; a read still running looks the same).
        """
        self._parent_session("collections", collection_id)
        rows = list(
            self.db.query(
                "SELECT state, reason, at FROM acq_status WHERE collection_id = ? ORDER BY id",
                [collection_id],
            )
        )
        if not rows:
            return None
        last = rows[-1]
        state, reason = last["state"], last["reason"]
        if state in ("started", "resumed"):
            state, reason = "incomplete", KILLED_REASON
        warnings: list[str] = []
        if state == "complete" and reason.startswith(WARNINGS_PREFIX):
            warnings = [w for w in reason.splitlines()[1:] if w]
        return {"state": state, "reason": reason, "at": last["at"], "history": rows,
                "warnings": warnings}  # fmt: skip

    def incomplete_collections(self, session_id: int) -> list[dict]:
        """Bench collections of a session whose read stopped early, oldest first: each the
        :meth:`collections` dict plus ``reason`` and ``span`` (:meth:`interval_span`).

        This is what the GUI offers to resume and what the report lists as incomplete.
        """
        out = []
        for coll in self.collections(session_id):
            state = self.collection_state(coll["id"])
            if state is None or state["state"] != "incomplete":
                continue
            coll["reason"] = state["reason"]
            coll["span"] = self.interval_span(coll["id"])
            out.append(coll)
        return out

    def uncovered_readings(self, collection_id: int) -> int:
        """Readings of the collection that no stored profile block (with its stored trace
        segment) covers — 0 for every read stored by :mod:`bench_app.acquire`."""
        self._parent_session("collections", collection_id)
        row = self.conn.execute(
            "SELECT count(*) FROM readings r WHERE r.collection_id = ? AND NOT EXISTS ("
            "SELECT 1 FROM acq_blocks b JOIN traces t ON t.collection_id = b.collection_id "
            "AND t.sha256 = b.trace_sha256 WHERE b.collection_id = r.collection_id "
            "AND b.kind = 'profile' AND r.start BETWEEN b.first_start AND b.last_start)",
            (collection_id,),
        ).fetchone()
        return int(row[0])


def _epoch(dt: datetime | None) -> int | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp())
