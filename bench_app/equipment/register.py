"""The equipment register: outstation types and device model combinations (firmware + hardware).

>>> reg = Register(store)
>>> reg.add_type("PRO", "Secure Meters", models=["Prometer 100 P3E", "Prometer 100 R3E"],
...              cops=["5"])
>>> reg.add_combination("PRO", "Prometer 100", {"metrology": "1.02", "application": "3.4",
...                     "communications": "5.1"}, hardware_version="P3E")

Two combinations that differ only in hardware version are *equivalent* (same
:attr:`Combination.class_key`): testing one covers the other. A session can also record that the
variant it tested covers other variants because their firmware is shared
(:meth:`Register.record_variants`).

Certificates, approvals and applications are in :mod:`bench_app.equipment.records`; register rows
are reference data (updated in place, not in the audit chain). Every write runs in one store
transaction. Bad values raise :class:`~bench_app.errors.UsageError` naming the field.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bench_app.equipment import fields as F
from bench_app.errors import NotFoundError, UsageError
from bench_app.store.base import now_iso

if TYPE_CHECKING:
    from bench_app.store import Store


def _json(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def inserted_id(cur: sqlite3.Cursor) -> int:
    """Id of the row the INSERT just run on ``cur`` added (sqlite3 types ``lastrowid`` as
    Optional: it is None only on a cursor that has not inserted anything)."""
    rowid = cur.lastrowid
    assert rowid is not None, "no INSERT was run on this cursor"
    return rowid


def checked(fn, *args, what: str = "", **kw):
    """Run a field rule, turning its ValueError into a UsageError (prefixed with ``what``)."""
    try:
        return fn(*args, **kw)
    except ValueError as exc:
        raise UsageError(f"{what}: {exc}" if what else str(exc)) from None


@dataclass(frozen=True)
class Combination:
    """A device model combination: model + firmware versions + hardware version.

    :param firmware: ``{"metrology", "application", "communications"}`` → version text ('' when
        the combination does not name it).
    """

    id: int
    key: str
    outstation_type: str
    model: str
    firmware: dict[str, str] = field(default_factory=dict)
    hardware_version: str = ""
    notes: str = ""
    #: manufacturer solution release bundling the devices' firmware (multi-device combinations)
    solution_release: str = ""
    #: ``dual``, ``electricity`` or ``gas`` for a SMETS device model combination ('' otherwise)
    fuel: str = ""

    @property
    def class_key(self) -> tuple[str, ...]:
        """Equivalence class: everything but the hardware version (model compared case-blind;
        a multi-device combination's solution release counts as its firmware)."""
        return (
            self.outstation_type,
            " ".join(self.model.casefold().split()),
            *(self.firmware.get(p, "") for p in F.FIRMWARE_PARTS),
            self.solution_release,
        )

    def shares_firmware(self, other: Combination) -> bool:
        """Same outstation type and the same metrology, application and communications firmware."""
        return (
            self.outstation_type == other.outstation_type
            and self.solution_release == other.solution_release
            and all(self.firmware.get(p, "") == other.firmware.get(p, "") for p in F.FIRMWARE_PARTS)
        )

    def firmware_text(self) -> str:
        return ", ".join(
            f"{p} {self.firmware[p]}" for p in F.FIRMWARE_PARTS if self.firmware.get(p)
        )

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "key": self.key,
            "outstation_type": self.outstation_type,
            "model": self.model,
            "firmware": dict(self.firmware),
            "hardware_version": self.hardware_version,
            "notes": self.notes,
            "solution_release": self.solution_release,
            "fuel": self.fuel,
        }


def default_key(code: str, model: str, firmware: dict[str, str], hardware_version: str) -> str:
    """``PRO/Prometer 100/1.02/3.4/5.1/P3E`` — the key used when none is given."""
    parts = [code, model, *(firmware.get(p, "") for p in F.FIRMWARE_PARTS), hardware_version]
    return "/".join(p.strip() for p in parts)


_COMBO_SQL = (
    "SELECT c.id, c.key, t.code, c.model, c.metrology_fw, c.application_fw, c.communications_fw, "
    "c.hardware_version, c.notes, c.solution_release, c.fuel "
    "FROM eq_combinations c JOIN eq_types t ON t.id = c.type_id"
)


def _combo(row) -> Combination:
    cid, key, code, model, met, app, comms, hw, notes, release, fuel = row
    fw = dict(zip(F.FIRMWARE_PARTS, (met, app, comms)))
    return Combination(cid, key, code, model, fw, hw, notes, release or "", fuel or "")


class RegisterBase:
    """What every mixin of :class:`~bench_app.equipment.records.Register` may use: the store, its
    connection, and the methods one mixin calls on another (declared for the type checker only;
    the definitions are in the mixin named beside each)."""

    store: Store
    conn: sqlite3.Connection

    if TYPE_CHECKING:
        # TypesMixin
        def _upsert(
            self, table: str, match: tuple[str, tuple], record: dict, replace: bool, what: str
        ) -> int: ...
        def _type_id(self, code: str) -> int: ...
        def combination(self, key_or_id: str | int) -> Combination: ...

        # DevicesMixin
        def signature(self, combo: Combination) -> tuple: ...

        # Register (records.py)
        def _remove(
            self, table: str, row_id: int, removed_date: str, reason: str, what: str
        ) -> None: ...
        def application(self, reference: str) -> dict: ...


class TypesMixin(RegisterBase):
    """Outstation types and combinations (the base of :class:`Register`)."""

    def _upsert(
        self, table: str, match: tuple[str, tuple], record: dict, replace: bool, what: str
    ) -> int:
        """Insert ``record`` into ``table``, or update the row ``match`` finds when ``replace``.

        :param match: ``(where_sql, args)`` naming the natural key.
        :raises UsageError: the entry exists and ``replace`` is False.
        """
        where, args = match
        row = self.conn.execute(f"SELECT id FROM {table} WHERE {where}", args).fetchone()
        now = now_iso()
        if row is not None:
            if not replace:
                raise UsageError(f"{what} is already in the register (id {row[0]})")
            sets = ", ".join(f"{k} = ?" for k in record)
            self.conn.execute(
                f"UPDATE {table} SET {sets}, updated_at = ? WHERE id = ?",
                (*record.values(), now, row[0]),
            )
            return int(row[0])
        cols = ", ".join(record)
        cur = self.conn.execute(
            f"INSERT INTO {table} ({cols}, created_at, updated_at) "
            f"VALUES ({', '.join('?' * len(record))}, ?, ?)",
            (*record.values(), now, now),
        )
        return inserted_id(cur)

    def __init__(self, store: Store) -> None:
        self.store = store
        self.conn = store.conn

    # -- outstation types ---------------------------------------------------------------------
    def add_type(
        self,
        code: str,
        manufacturer: str = "",
        models: Iterable[str] | str = (),
        cops: Iterable[str] | str = (),
        notes: str = "",
        *,
        regime: str = "bsc",
        major_pattern: str = "",
        replace: bool = False,
    ) -> int:
        """Add an outstation type (3-character code); ``replace`` updates an existing one.

        :param models: model names / variants (``;``-separated text or a list).
        :param cops: Codes of Practice the type is built to (``"5"`` or ``"CoP5"``).
        :param regime: ``bsc`` (BSCP601 / CoPs) or ``smets`` (a SMETS device model under the
            DCC regime: no BSCP601 certificates or approvals, no CoPs).
        :param major_pattern: regular expression naming the *major iteration* of a firmware
            version (its first group), as the manufacturer declares it.
        :raises UsageError: bad field, or the code exists and ``replace`` is False.
        """
        code = checked(F.type_code, code, what="outstation type")
        record = {
            "code": code,
            "manufacturer": (manufacturer or "").strip(),
            "models": _json(F.names(models)),
            "cops": _json(checked(F.cops, cops, what=f"type {code} CoPs")),
            "notes": (notes or "").strip(),
            "regime": checked(F.regime, regime, what=f"type {code}"),
            "major_pattern": checked(F.major_pattern, major_pattern, what=f"type {code}"),
        }
        if record["regime"] == "smets" and json.loads(record["cops"]):
            raise UsageError(f"type {code}: a SMETS device model is exempt from CoP compliance "
                             "testing and BSCP601 protocol approval; it lists no CoPs")
        with self.store.atomic():
            return self._upsert(
                "eq_types", ("code = ?", (code,)), record, replace, f"outstation type {code}"
            )

    def types(self) -> list[dict]:
        """id, code, manufacturer, models (list), cops (list), notes, regime, major_pattern."""
        rows = self.conn.execute(
            "SELECT id, code, manufacturer, models, cops, notes, regime, major_pattern "
            "FROM eq_types ORDER BY code"
        ).fetchall()
        return [
            {
                "id": r[0],
                "code": r[1],
                "manufacturer": r[2],
                "models": json.loads(r[3] or "[]"),
                "cops": json.loads(r[4] or "[]"),
                "notes": r[5],
                "regime": r[6],
                "major_pattern": r[7],
            }
            for r in rows
        ]

    def get_type(self, code: str) -> dict:
        """One type by code (:class:`NotFoundError` naming the code when absent)."""
        code = checked(F.type_code, code, what="outstation type")
        for t in self.types():
            if t["code"] == code:
                return t
        raise NotFoundError(f"outstation type {code} is not in the equipment register")

    def _type_id(self, code: str) -> int:
        return int(self.get_type(code)["id"])

    # -- combinations -------------------------------------------------------------------------
    def add_combination(
        self,
        outstation_type: str,
        model: str,
        firmware: dict[str, str] | None = None,
        hardware_version: str = "",
        key: str = "",
        notes: str = "",
        *,
        solution_release: str = "",
        fuel: str = "",
        replace: bool = False,
    ) -> int:
        """Add a device model combination; returns its id.

        A multi-device combination (SMETS1 DMC) may give only a ``solution_release`` (the
        manufacturer release bundling its devices' firmware); its devices carry the firmware
        (:meth:`~bench_app.equipment.devices.DevicesMixin.add_device`).

        :param firmware: metrology/application/communications → version (other keys refused).
        :param key: the combination's name in lists and CSVs (default :func:`default_key`).
        :raises UsageError: bad field, unknown firmware part, or an existing key/combination
            (unless ``replace``, which updates the row with the same key).
        """
        firmware = {k: str(v).strip() for k, v in (firmware or {}).items() if str(v).strip()}
        unknown = set(firmware) - set(F.FIRMWARE_PARTS)
        if unknown:
            raise UsageError(
                f"unknown firmware part(s) {', '.join(sorted(unknown))} "
                f"(use {', '.join(F.FIRMWARE_PARTS)})"
            )
        release = (solution_release or "").strip()
        if not firmware and not release:
            raise UsageError("a combination needs at least one firmware version "
                             "(or the solution release of a multi-device combination)")  # fmt: skip
        code = checked(F.type_code, outstation_type, what="outstation type")
        model = checked(F.required, model, "model", what="combination")
        hw = (hardware_version or "").strip()
        key = (key or "").strip() or default_key(code, model, firmware, hw)
        with self.store.atomic():
            type_id = self._type_id(code)
            values = (
                type_id,
                model,
                *(firmware.get(p, "") for p in F.FIRMWARE_PARTS),
                hw,
                (notes or "").strip(),
            )
            same = self.conn.execute(
                "SELECT key FROM eq_combinations WHERE type_id = ? AND model = ? AND "
                "metrology_fw = ? AND application_fw = ? AND communications_fw = ? AND "
                "hardware_version = ?",
                values[:-1],
            ).fetchone()
            if same is not None and same[0] != key:
                raise UsageError(f"this combination is already registered as {same[0]!r}")
            row = self.conn.execute(
                "SELECT id FROM eq_combinations WHERE key = ?", (key,)
            ).fetchone()
            now = now_iso()
            if row is not None:
                if not replace:
                    raise UsageError(f"combination {key!r} is already in the register")
                self.conn.execute(
                    "UPDATE eq_combinations SET type_id = ?, model = ?, metrology_fw = ?, "
                    "application_fw = ?, communications_fw = ?, hardware_version = ?, notes = ?, "
                    "updated_at = ? WHERE id = ?",
                    (*values, now, row[0]),
                )
                cid = int(row[0])
            else:
                cid = inserted_id(self.conn.execute(
                    "INSERT INTO eq_combinations (key, type_id, model, metrology_fw, "
                    "application_fw, communications_fw, hardware_version, notes, created_at, "
                    "updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (key, *values, now, now),
                ))  # fmt: skip
            if release:
                self.conn.execute(
                    "UPDATE eq_combinations SET solution_release = ? WHERE id = ?", (release, cid)
                )
            if fuel:
                self.conn.execute("UPDATE eq_combinations SET fuel = ? WHERE id = ?",
                                  (checked(F.choice, fuel, F.FUELS, "fuel"), cid))  # fmt: skip
            return cid

    def combinations(self, outstation_type: str | None = None) -> list[Combination]:
        """All combinations (of one type), by type, model, firmware, hardware version."""
        sql, args = _COMBO_SQL, []
        if outstation_type:
            sql += " WHERE t.code = ?"
            args.append(checked(F.type_code, outstation_type, what="outstation type"))
        sql += (
            " ORDER BY t.code, c.model, c.metrology_fw, c.application_fw, c.communications_fw, "
            "c.hardware_version"
        )
        return [_combo(r) for r in self.conn.execute(sql, args)]

    def combination(self, key_or_id: str | int) -> Combination:
        """One combination by key (or integer id); :class:`NotFoundError` when absent."""
        if isinstance(key_or_id, int):
            row = self.conn.execute(_COMBO_SQL + " WHERE c.id = ?", (key_or_id,)).fetchone()
        else:
            row = self.conn.execute(
                _COMBO_SQL + " WHERE c.key = ?", (str(key_or_id).strip(),)
            ).fetchone()
        if row is None:
            raise NotFoundError(f"combination {key_or_id!r} is not in the equipment register")
        return _combo(row)

    def equivalents(self, key_or_id: str | int) -> list[Combination]:
        """Combinations equivalent to this one (differ only in hardware version), itself first."""
        combo = self.combination(key_or_id)
        sig = self.signature(combo)
        others = [
            c
            for c in self.combinations(combo.outstation_type)
            if c.class_key == combo.class_key and c.id != combo.id and self.signature(c) == sig
        ]
        return [combo, *others]

    def equivalence_classes(self) -> dict[tuple[str, ...], list[Combination]]:
        """class key → combinations (each list ordered as :meth:`combinations`)."""
        out: dict[tuple[str, ...], list[Combination]] = {}
        for c in self.combinations():
            out.setdefault(c.class_key, []).append(c)
        return out

    def matching(self, outstation_type: str | None, firmware: dict[str, str]) -> list[Combination]:
        """Combinations of the type whose firmware agrees with every part given in ``firmware``."""
        given = {p: str(v).strip() for p, v in firmware.items() if p in F.FIRMWARE_PARTS and v}
        if not given:
            return []
        pool = self.combinations(outstation_type) if outstation_type else self.combinations()
        return [c for c in pool if all(c.firmware.get(p, "") == v for p, v in given.items())]

    # -- variant coverage claims --------------------------------------------------------------
    def record_variants(
        self, session_id: int, tested: str, covered: Iterable[str], reason: str = ""
    ) -> list[int]:
        """Record that ``session_id`` tested combination ``tested`` and that this covers each of
        ``covered`` because the firmware is shared.

        The claim is refused (:class:`UsageError`) for a combination whose outstation type or
        firmware differs from the tested one. When the session has an equipment record, a new
        one (same fields) is written with ``variants_covered`` listing the covered keys, so the
        claim is also part of the session's audited evidence (locked sessions refuse).
        """
        base = self.combination(tested)
        targets = [self.combination(k) for k in covered]
        for t in targets:
            if t.id == base.id:
                raise UsageError(f"combination {t.key!r} is the tested one")
            if not base.shares_firmware(t):
                raise UsageError(
                    f"{t.key!r} does not share firmware with the tested {base.key!r} "
                    f"({t.firmware_text() or 'none'} vs {base.firmware_text() or 'none'})"
                )
        reason = (reason or "").strip() or "firmware is shared"
        ids: list[int] = []
        with self.store.atomic():
            self.store.check_unlocked(session_id)
            now = now_iso()
            for t in targets:
                cur = self.conn.execute(
                    "INSERT OR IGNORE INTO eq_session_variants (session_id, tested_id, "
                    "covered_id, reason, created_at) VALUES (?,?,?,?,?)",
                    (session_id, base.id, t.id, reason, now),
                )
                if cur.rowcount:
                    ids.append(inserted_id(cur))
            eq = self.store.equipment(session_id)
            if eq is not None:
                claims = self.session_variants(session_id)
                text = "; ".join(
                    f"tested {c['tested']} covers {c['covered']} ({c['reason']})" for c in claims
                )
                keep = (
                    "outstation_type", "model", "serials", "firmware", "hardware_version",
                    "channels", "channel_types", "comms_method",
                )  # fmt: skip
                self.store.set_equipment(
                    session_id, **{k: eq[k] for k in keep}, variants_covered=text
                )
        return ids

    def session_variants(self, session_id: int) -> list[dict]:
        """Variant claims of a session: id, tested, covered (keys), reason, created_at."""
        rows = self.conn.execute(
            "SELECT v.id, a.key, b.key, v.reason, v.created_at FROM eq_session_variants v "
            "JOIN eq_combinations a ON a.id = v.tested_id "
            "JOIN eq_combinations b ON b.id = v.covered_id WHERE v.session_id = ? ORDER BY v.id",
            (session_id,),
        ).fetchall()
        return [
            {"id": r[0], "tested": r[1], "covered": r[2], "reason": r[3], "created_at": r[4]}
            for r in rows
        ]

    def variant_claims(self) -> dict[str, set[str]]:
        """Across all sessions: tested combination key → keys it was claimed to cover."""
        out: dict[str, set[str]] = {}
        for a, b in self.conn.execute(
            "SELECT a.key, b.key FROM eq_session_variants v "
            "JOIN eq_combinations a ON a.id = v.tested_id "
            "JOIN eq_combinations b ON b.id = v.covered_id"
        ):
            out.setdefault(a, set()).add(b)
        return out
