"""Collections and the evidence they hold: readings, registers, events, clock, traces, files.

Readings live in one long narrow table ``readings(collection_id, start, channel, value, unit,
status)`` with ``start`` the interval start in UTC epoch seconds and ``UNIQUE(collection_id, start,
channel)``. Each profile block is stored with ``INSERT OR IGNORE`` in its own transaction together
with its audit record, so a read killed mid-way loses at most the block in flight and a resumed
read (from :meth:`EvidenceMixin.last_interval`) never duplicates rows.
"""

from __future__ import annotations

import hashlib
import json
import math
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bench_app.errors import IntegrityError, NotFoundError, StoreError, UsageError
from bench_app.store.base import StoreBase, from_iso, new_uid, now_iso, to_iso
from drivers.model import (
    Channel,
    ClockReading,
    Identity,
    MeterEvent,
    ProfileRow,
    RegisterValue,
    normalise,
)
from drivers.trace import Trace

SOURCES = ("bench", "hhdc", "manufacturer")

_INSERT_READING = (
    "INSERT OR IGNORE INTO readings (collection_id, start, channel, value, unit, status) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True, slots=True)
class Reading:
    """One stored interval value.

    :param start: interval start, aware UTC.
    :param channel: channel name (OBIS text as the source gave it, e.g. ``1.0.1.8.0.255``).
    :param value: advance over the interval in ``unit`` (kilo units: kWh, kvarh…).
    :param unit: unit text or None.
    :param status: :class:`drivers.model.StatusFlag` bits (0…65535).
    """

    start: datetime
    channel: str
    value: float
    unit: str | None = "kWh"
    status: int = 0


def epoch(dt: datetime) -> int:
    """Aware (or naive = UTC) datetime → integer UTC epoch seconds."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp())


def _finite(value: float, where: str) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"{where}: value {value!r} is not a number") from exc
    if not math.isfinite(value):
        raise StoreError(f"{where}: value {value!r} is not finite")
    return value + 0.0  # -0.0 is stored as 0 by SQLite; keep digests stable


class EvidenceMixin(StoreBase):
    """Collections and their evidence."""

    # -- collections ----------------------------------------------------------------------------

    def new_collection(
        self,
        session_id: int,
        source: str,
        protocol: str = "",
        meta: dict | None = None,
        source_file: str = "",
        source_hash: str = "",
        simulated: bool | None = None,
    ) -> int:
        """Start a collection: who read (``bench``/``hhdc``/``manufacturer``), how, from where;
        ``simulated``: the source was a simulated outstation (None: not known)."""
        if source not in SOURCES:
            raise UsageError(
                f"collection source must be one of {', '.join(SOURCES)}, not {source!r}"
            )
        record = {
            "uid": new_uid(),
            "session_id": session_id,
            "source": source,
            "protocol": protocol,
            "started_at": now_iso(),
            "meta": json.dumps(meta or {}, sort_keys=True, separators=(",", ":"), default=str),
            "source_file": source_file,
            "source_hash": source_hash,
        }
        if simulated is not None:  # NULL (not known) is the column's default
            record["simulated"] = int(bool(simulated))
        return self._insert("collections", session_id, record)

    def _collection_dicts(self, where: str, params: list) -> list[dict]:
        rows = list(self.db.query(f"SELECT * FROM collections WHERE {where} ORDER BY id", params))
        for row in rows:
            row["meta"] = json.loads(row["meta"] or "{}")
            row["rows"] = int(
                self.conn.execute(
                    "SELECT count(*) FROM readings WHERE collection_id = ?", (row["id"],)
                ).fetchone()[0]
            )
        return rows

    def collections(self, session_id: int) -> list[dict]:
        """id, uid, session_id, source, protocol, started_at, meta (dict), source_file,
        source_hash, rows (readings stored), oldest first."""
        self._session_row(session_id)
        return self._collection_dicts("session_id = ?", [session_id])

    def collection(self, collection_id: int) -> dict:
        """One collection as in :meth:`collections`."""
        rows = self._collection_dicts("id = ?", [collection_id])
        if not rows:
            raise NotFoundError(f"collection {collection_id} does not exist in {self.path}")
        return rows[0]

    # -- readings -------------------------------------------------------------------------------

    def add_profile_block(
        self, collection_id: int, channels: Sequence[Channel], rows: Sequence[ProfileRow]
    ) -> int:
        """Store one block of profile rows in ONE transaction; returns the rows added.

        Values are normalised to kilo units (Wh → kWh). Rows already stored (same start and
        channel) are ignored, so re-reading an overlapping span is harmless. ``None`` values are
        skipped (channel not captured for that interval).
        """
        spec = [(ch.obis, *normalise(1.0, ch.unit)) for ch in channels]
        isfinite = math.isfinite
        tuples: list[tuple] = []
        append = tuples.append
        for row in rows:
            start = epoch(row.start)
            status = int(row.status)
            if len(row.values) != len(channels):
                raise StoreError(
                    f"collection {collection_id}: row {to_iso(row.start)} has {len(row.values)} "
                    f"values for {len(channels)} channels"
                )
            for (obis, factor, unit), value in zip(spec, row.values):
                if value is None:
                    continue
                v = float(value) * factor + 0.0  # -0.0 would not round-trip via SQLite
                if not isfinite(v):
                    raise StoreError(
                        f"collection {collection_id} {to_iso(row.start)} {obis}: value "
                        f"{value!r} is not finite"
                    )
                append((collection_id, start, obis, v, unit, status))
        return self._add_reading_tuples(collection_id, tuples)

    def add_readings(self, collection_id: int, readings: Iterable[Reading]) -> int:
        """Store readings (already in the bench's units) in ONE transaction; returns rows added."""
        tuples = [
            (
                collection_id,
                epoch(r.start),
                str(r.channel),
                _finite(r.value, f"collection {collection_id} {to_iso(r.start)} {r.channel}"),
                r.unit,
                int(r.status),
            )
            for r in readings
        ]
        return self._add_reading_tuples(collection_id, tuples)

    def _add_reading_tuples(self, collection_id: int, tuples: list[tuple]) -> int:
        with self.atomic():
            session_id = self._parent_session("collections", collection_id)
            self.check_unlocked(session_id)
            if not tuples:
                return 0
            lo = self._max_id("readings") + 1
            self.conn.executemany(_INSERT_READING, tuples)
            hi = self._max_id("readings")
            # Nothing ignored: the stored rows are exactly ``tuples`` in id order (REAL, INTEGER
            # and TEXT round-trip unchanged), so their digests need no read-back.
            exact = hi - lo + 1 == len(tuples)
            self._append_audit(
                session_id, "insert", "readings", lo, hi, rows=tuples if exact else None
            )
        return max(0, hi - lo + 1)

    def last_interval(self, collection_id: int) -> datetime | None:
        """Start (UTC) of the newest stored interval of the collection: where a read resumes."""
        self._parent_session("collections", collection_id)
        row = self.conn.execute(
            "SELECT max(start) FROM readings WHERE collection_id = ?", (collection_id,)
        ).fetchone()
        return datetime.fromtimestamp(row[0], UTC) if row and row[0] is not None else None

    def interval_span(self, collection_id: int) -> tuple[datetime, datetime, int] | None:
        """``(oldest start, newest start, period in s)`` of the stored intervals, or None.

        The period is the smallest gap between distinct starts (1800 s when only one is stored).
        """
        self._parent_session("collections", collection_id)
        lo, hi = self.conn.execute(
            "SELECT min(start), max(start) FROM readings WHERE collection_id = ?", (collection_id,)
        ).fetchone()
        if lo is None:
            return None
        gap = self.conn.execute(
            "SELECT min(b.start - a.start) FROM (SELECT DISTINCT start FROM readings "
            "WHERE collection_id = ? ORDER BY start DESC LIMIT 64) a JOIN (SELECT DISTINCT start "
            "FROM readings WHERE collection_id = ? ORDER BY start DESC LIMIT 64) b "
            "ON b.start > a.start",
            (collection_id, collection_id),
        ).fetchone()[0]
        return datetime.fromtimestamp(lo, UTC), datetime.fromtimestamp(hi, UTC), int(gap or 1800)

    def readings_raw(
        self, collection_id: int, start: datetime | None = None, end: datetime | None = None
    ) -> list[tuple[int, str, float, str | None, int]]:
        """``(start_epoch_s, channel, value, unit, status)`` tuples, ordered by start then channel;
        ``start <= interval start < end``. Fast path for reconciliation and plots."""
        self._parent_session("collections", collection_id)
        sql = "SELECT start, channel, value, unit, status FROM readings WHERE collection_id = ?"
        params: list = [collection_id]
        if start is not None:
            sql += " AND start >= ?"
            params.append(epoch(start))
        if end is not None:
            sql += " AND start < ?"
            params.append(epoch(end))
        return self.conn.execute(sql + " ORDER BY start, channel", params).fetchall()

    def readings(
        self, collection_id: int, start: datetime | None = None, end: datetime | None = None
    ) -> list[Reading]:
        """Stored readings with ``start <= interval start < end`` (UTC), oldest first."""
        return [
            Reading(datetime.fromtimestamp(s, UTC), ch, v, u, st)
            for s, ch, v, u, st in self.readings_raw(collection_id, start, end)
        ]

    # -- registers, events, clock ---------------------------------------------------------------

    def _add_many(self, table: str, session_id: int, sql: str, tuples: list[tuple]) -> int:
        with self.atomic():
            self.check_unlocked(session_id)
            if not tuples:
                return 0
            lo = self._max_id(table) + 1
            self.conn.executemany(sql, tuples)
            hi = self._max_id(table)
            self._append_audit(session_id, "insert", table, lo, hi)
        return hi - lo + 1

    def add_registers(self, collection_id: int, registers: Iterable[RegisterValue]) -> int:
        """Store register values (numeric ones normalised to kilo units); returns rows added.

        Idempotent: a register (OBIS code) already stored in the collection is not stored again,
        so a resumed read keeps the value its first read stored and adds no duplicate.
        """
        tuples = []
        for reg in registers:
            value, unit = reg.value, reg.unit
            if isinstance(value, int | float) and not isinstance(value, bool):
                value, unit = normalise(_finite(value, f"register {reg.obis}"), unit)
            tuples.append((collection_id, reg.obis, value, unit))
        sid = self._parent_session("collections", collection_id)
        with self.atomic():
            have = {
                r[0]
                for r in self.conn.execute(
                    "SELECT obis FROM registers WHERE collection_id = ?", (collection_id,)
                )
            }
            new = []
            for t in tuples:
                if t[1] not in have:
                    have.add(t[1])
                    new.append(t)
            return self._add_many(
                "registers",
                sid,
                "INSERT INTO registers (collection_id, obis, value, unit) VALUES (?,?,?,?)",
                new,
            )

    def registers(self, collection_id: int) -> list[dict]:
        """id, collection_id, obis, value, unit."""
        self._parent_session("collections", collection_id)
        return list(
            self.db.query(
                "SELECT * FROM registers WHERE collection_id = ? ORDER BY id", [collection_id]
            )
        )

    def add_events(self, collection_id: int, events: Iterable[MeterEvent]) -> int:
        """Store event-log entries of a collection; returns rows added.

        Idempotent, keyed on each entry's full identity: its content (time, code, text) and which
        occurrence of that content it is in the log read (1st, 2nd…). Two real events with the
        same content in the same second are two entries and both are stored; reading the same
        log again into the collection (a resumed read) adds only entries not stored yet.
        """
        keys = [(to_iso(e.time), int(e.code), e.text) for e in events]
        sid = self._parent_session("collections", collection_id)
        with self.atomic():
            have = Counter(
                (t, c, x)
                for t, c, x in self.conn.execute(
                    "SELECT time, code, text FROM events WHERE collection_id = ?",
                    (collection_id,),
                )
            )
            seen: Counter = Counter()
            tuples = []
            for key in keys:  # in log order
                seen[key] += 1
                if seen[key] > have[key]:
                    tuples.append((collection_id, *key))
            return self._add_many(
                "events",
                sid,
                "INSERT INTO events (collection_id, time, code, text) VALUES (?,?,?,?)",
                tuples,
            )

    def events(self, session_id: int, collection_id: int | None = None) -> list[dict]:
        """id, collection_id, time (aware UTC datetime), code, text — ordered by time."""
        self._session_row(session_id)
        sql = (
            "SELECT e.* FROM events e JOIN collections c ON c.id = e.collection_id "
            "WHERE c.session_id = ?"
        )
        params: list = [session_id]
        if collection_id is not None:
            sql += " AND e.collection_id = ?"
            params.append(collection_id)
        rows = list(self.db.query(sql + " ORDER BY e.time, e.id", params))
        for row in rows:
            row["time"] = from_iso(row["time"])
        return rows

    def add_clock_observation(
        self,
        session_id: int,
        reading: ClockReading,
        note: str = "",
        reference: dict | None = None,
        simulated: bool | None = None,
    ) -> int:
        """Record meter time against the reference time; deviation in seconds.

        :param reference: the time source measured with this reading
            (:meth:`bench_app.timesource.Reference.to_json`): ``offset_s`` (PC − reference, s),
            ``uncertainty_s`` and ``source``; ``reading`` is then already against the reference.
            A reference from a simulated source (``"simulated": true``, a simulated GPS receiver)
            marks the observation simulated whatever the outstation is.
        :param simulated: read from a simulated outstation (None: not known).
        """
        record = {
            "session_id": session_id,
            "meter_time": to_iso(reading.meter_time),
            "reference_time": to_iso(reading.pc_time),
            "deviation_s": _finite(reading.deviation_s, "clock deviation"),
            "note": note,
        }
        if reference is not None:
            unc = reference.get("uncertainty_s")
            record.update({
                "reference_offset_s": _finite(float(reference["offset_s"]), "PC clock offset"),
                "reference_uncertainty_s": None if unc is None else _finite(float(unc),
                                                                            "offset uncertainty"),
                "reference_source": str(reference.get("text") or reference.get("source") or ""),
            })  # fmt: skip
            if reference.get("simulated"):  # the reference clock itself is a simulator
                simulated = True
        if simulated is not None:  # NULL (not known) is the column's default
            record["simulated"] = int(bool(simulated))
        return self._insert("clock_observations", session_id, record)

    def clock_observations(self, session_id: int) -> list[dict]:
        """id, meter_time, reference_time (aware UTC), deviation_s (meter − reference), note,
        reference_offset_s (PC − reference, s; None: the bare PC clock), reference_uncertainty_s,
        reference_source, simulated (1 a simulated outstation or reference clock, 0 a real meter,
        None not known)."""
        self._session_row(session_id)
        rows = list(
            self.db.query(
                "SELECT id, meter_time, reference_time, deviation_s, note, reference_offset_s, "
                "reference_uncertainty_s, reference_source, simulated FROM clock_observations "
                "WHERE session_id = ? ORDER BY id",
                [session_id],
            )
        )
        for row in rows:
            row["meter_time"] = from_iso(row["meter_time"])
            row["reference_time"] = from_iso(row["reference_time"])
        return rows

    # -- traces and attachments -----------------------------------------------------------------

    def add_trace(
        self,
        session_id: int,
        trace: Trace,
        label: str = "",
        collection_id: int | None = None,
        simulated: bool | None = None,
    ) -> int:
        """Store a byte trace zlib-compressed with the SHA-256 of its JSON Lines text;
        ``simulated``: exchanged with a simulated outstation (None: not known)."""
        text = trace.to_jsonl().encode("utf-8")
        tx, rx = trace.byte_counts()
        record = {
            "session_id": session_id,
            "collection_id": collection_id,
            "label": label,
            "sha256": hashlib.sha256(text).hexdigest(),
            "records": len(trace),
            "bytes_tx": tx,
            "bytes_rx": rx,
            "created_at": now_iso(),
            "data": zlib.compress(text, 6),
        }
        if simulated is not None:  # NULL (not known) is the column's default
            record["simulated"] = int(bool(simulated))
        return self._insert("traces", session_id, record)

    def simulated_evidence(self, session_id: int) -> int:
        """How many collections, traces and clock observations of the session came from a
        simulated outstation (their ``simulated`` mark, or a simulated identity in a
        collection's meta)."""
        self._session_row(session_id)
        n = 0
        for table in ("collections", "traces", "clock_observations"):
            n += int(
                self.conn.execute(
                    f"SELECT count(*) FROM {table} WHERE session_id = ? AND simulated = 1",
                    (session_id,),
                ).fetchone()[0]
            )
        for (meta,) in self.conn.execute(
            "SELECT meta FROM collections WHERE session_id = ? AND simulated IS NULL",
            (session_id,),
        ):
            identity = (json.loads(meta or "{}") or {}).get("identity") or {}
            n += bool(identity) and Identity.announces_simulator(identity)
        return n

    def traces(self, session_id: int) -> list[dict]:
        """id, collection_id, label, sha256, records, bytes_tx, bytes_rx, created_at, simulated
        (1 a simulated outstation, 0 a real meter, None not known)."""
        self._session_row(session_id)
        return list(
            self.db.query(
                "SELECT id, collection_id, label, sha256, records, bytes_tx, bytes_rx, created_at, "
                "simulated FROM traces WHERE session_id = ? ORDER BY id",
                [session_id],
            )
        )

    def trace_jsonl(self, trace_id: int) -> bytes:
        """The stored JSON Lines text, checked against its SHA-256."""
        row = self.conn.execute(
            "SELECT data, sha256 FROM traces WHERE id = ?", (trace_id,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"trace {trace_id} does not exist in {self.path}")
        try:
            text = zlib.decompress(row[0])
        except zlib.error as exc:
            raise IntegrityError(f"traces id {trace_id}: data is damaged ({exc})") from exc
        if hashlib.sha256(text).hexdigest() != row[1]:
            raise IntegrityError(f"traces id {trace_id}: SHA-256 does not match")
        return text

    def load_trace(self, trace_id: int) -> Trace:
        """The stored trace (checked against its SHA-256)."""
        return Trace.from_jsonl(self.trace_jsonl(trace_id).decode("utf-8").splitlines())

    def add_attachment(self, session_id: int, name: str, data: bytes, mime: str = "") -> int:
        """Store a file (photo, certificate, report PDF…) with its SHA-256."""
        if not name:
            raise UsageError("an attachment needs a name")
        record = {
            "session_id": session_id,
            "name": name,
            "mime": mime,
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "created_at": now_iso(),
            "data": bytes(data),
        }
        return self._insert("attachments", session_id, record)

    def attachments(self, session_id: int) -> list[dict]:
        """id, name, mime, size, sha256, created_at (without the bytes)."""
        self._session_row(session_id)
        return list(
            self.db.query(
                "SELECT id, name, mime, size, sha256, created_at FROM attachments "
                "WHERE session_id = ? ORDER BY id",
                [session_id],
            )
        )

    def attachment_data(self, attachment_id: int) -> bytes:
        """The bytes of an attachment, checked against its SHA-256."""
        row = self.conn.execute(
            "SELECT data, sha256 FROM attachments WHERE id = ?", (attachment_id,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"attachment {attachment_id} does not exist in {self.path}")
        if hashlib.sha256(row[0]).hexdigest() != row[1]:
            raise IntegrityError(f"attachments id {attachment_id}: SHA-256 does not match")
        return bytes(row[0])
