"""Devices of a combination, equivalence assessments, installed-base snapshots and upgrade plans
(the SMETS1 device-model-combination case).

* A combination can list **devices** (role ``ESME``/``GSME``/``CH``/``PPMID``/``IHD`` or
  ``outstation``), each with manufacturer, model, hardware version and revision, firmware,
  factory configuration, whether its firmware can be upgraded (a consumer display that can is a
  PPMID) and, for the communications hub, its SMSO and WAN provider. A combination without
  devices is a single-device outstation described by its own columns.
* The **signature** of a combination is what testing depends on: per device role, model,
  *major* firmware iteration (the manufacturer's declared version pattern) and factory
  configuration — hardware version/revision ignored. Two combinations with the same signature
  differ only in hardware; such a variant goes the DCC's way: the manufacturer's **assurance**
  → the **assessment** (who, date, evidence of its own) → **proposed** for the EPCL →
  **eligible**. It counts as covered only from the assessment on.
* An **installed-base snapshot** is dated: ``(snapshot, date, combination, active, dormant)``.
* An **upgrade plan** moves ``count`` installations from one combination to another.
"""

from __future__ import annotations

from bench_app.equipment import fields as F
from bench_app.equipment.register import Combination, RegisterBase, checked, inserted_id
from bench_app.errors import NotFoundError, UsageError
from bench_app.store.base import now_iso

_DEVICE_KEYS = ("id", "combination", "role", "model", "hardware_version", "hardware_revision",
                "firmware", "factory_config", "notes", "manufacturer", "upgradable", "smso",
                "wan_provider")  # fmt: skip
_EQUIV_KEYS = ("id", "combination", "tested", "status", "assurance", "assessed_by",
               "assessed_date", "evidence", "evidence_kind", "proposed_date",
               "eligible_date")  # fmt: skip


def _count(value, what: str) -> int:
    try:
        n = int(str(value if value not in (None, "") else 0).strip())
    except ValueError:
        raise UsageError(f"{what} {value!r} is not a whole number") from None
    if n < 0:
        raise UsageError(f"{what} {n} is negative")
    return n


class DevicesMixin(RegisterBase):
    """Devices, equivalences, snapshots and plans (mixed into :class:`Register`)."""

    # -- devices ------------------------------------------------------------------------------
    def add_device(
        self, combination: str, role: str, model: str, hardware_version: str = "",
        hardware_revision: str = "", firmware: str = "", factory_config: str = "",
        notes: str = "", *, manufacturer: str = "", upgradable: bool | str = False,
        smso: str = "", wan_provider: str = "", replace: bool = False,
    ) -> int:  # fmt: skip
        """Add a device (one role + model) to a combination; returns its id.

        :param upgradable: the device's firmware can be upgraded remotely. A consumer display
            that can is a PPMID: role ``IHD`` with ``upgradable`` is refused.
        :param smso: the communications hub's SMSO (operator); ``wan_provider`` its WAN provider
            (both only for role ``CH``).
        """
        record = {
            "role": checked(F.role, role, what="device"),
            "model": checked(F.required, model, "device model", what="device"),
            "hardware_version": (hardware_version or "").strip(),
            "hardware_revision": (hardware_revision or "").strip(),
            "firmware": checked(F.required, firmware, "device firmware", what="device"),
            "factory_config": (factory_config or "").strip(),
            "notes": (notes or "").strip(),
            "manufacturer": (manufacturer or "").strip(),
            "upgradable": int(checked(F.flag, upgradable, what="device upgradable")),
            "smso": (smso or "").strip(),
            "wan_provider": (wan_provider or "").strip(),
        }
        if record["role"] == "IHD" and record["upgradable"]:
            raise UsageError(f"device {record['model']}: a consumer display whose firmware can be "
                             "upgraded is a PPMID, not an IHD (give role PPMID)")  # fmt: skip
        if record["role"] != "CH" and (record["smso"] or record["wan_provider"]):
            raise UsageError(f"device {record['model']}: SMSO and WAN provider belong to the "
                             "communications hub (role CH)")  # fmt: skip
        with self.store.atomic():
            combo = self.combination(combination)
            record["combination_id"] = combo.id
            match = ("combination_id = ? AND role = ? AND model = ?",
                     (combo.id, record["role"], record["model"]))  # fmt: skip
            what = f"device {record['role']} {record['model']} of {combo.key}"
            return self._upsert("eq_devices", match, record, replace, what)

    def remove_device(self, device_id: int) -> None:
        with self.store.atomic():
            if not self.conn.execute("DELETE FROM eq_devices WHERE id = ?", (device_id,)).rowcount:
                raise NotFoundError(f"device {device_id} is not in the equipment register")

    def devices(self, combination: str | None = None) -> list[dict]:
        """Devices (of one combination), by combination key and role."""
        sql = ("SELECT d.id, c.key, d.role, d.model, d.hardware_version, d.hardware_revision, "
               "d.firmware, d.factory_config, d.notes, d.manufacturer, d.upgradable, d.smso, "
               "d.wan_provider FROM eq_devices d "
               "JOIN eq_combinations c ON c.id = d.combination_id")  # fmt: skip
        args: list = []
        if combination:
            sql += " WHERE c.key = ?"
            args.append(self.combination(combination).key)
        rows = self.conn.execute(sql + " ORDER BY c.key, d.role, d.model", args)
        return [dict(zip(_DEVICE_KEYS, r)) for r in rows]

    def solution_release(self, combination: str) -> str:
        return self.combination(combination).solution_release

    def _major_pattern(self, code: str) -> str:
        row = self.conn.execute(
            "SELECT major_pattern FROM eq_types WHERE code = ?", (code,)
        ).fetchone()
        return str(row[0] or "") if row else ""

    def signature(self, combo: Combination) -> tuple:
        """What testing depends on — the seed's three dimensions but hardware: per device
        (role, model, *major* firmware iteration under the type's declared pattern, factory
        configuration). Two combinations with equal signatures differ only in hardware."""
        devs = [d for d in self.devices() if d["combination"] == combo.key]
        if not devs:
            return ("single", *combo.class_key)
        pattern = self._major_pattern(combo.outstation_type)
        return ("dmc", combo.outstation_type, *sorted(
            (d["role"], " ".join(d["model"].casefold().split()),
             F.major(d["firmware"], pattern), d["factory_config"])
            for d in devs if d["role"] != "IHD"
        ))  # fmt: skip

    def hardware(self, combo: Combination) -> tuple:
        """The hardware of a combination: per device (role, model, hardware version and
        revision); the combination's own hardware version for a single-device outstation."""
        devs = [d for d in self.devices() if d["combination"] == combo.key]
        if not devs:
            return ("single", combo.hardware_version)
        return ("dmc", *sorted((d["role"], " ".join(d["model"].casefold().split()),
                                d["hardware_version"], d["hardware_revision"])
                               for d in devs))  # fmt: skip

    def device_firmware(self, combo: Combination) -> set[tuple]:
        """(role, model, major firmware, factory configuration) of each device (empty for a
        single-device outstation)."""
        sig = self.signature(combo)
        return set(sig[2:]) if sig[0] == "dmc" else set()

    # -- equivalence: assurance → assessed → proposed (EPCL) → eligible ------------------------
    def _equivalence(self, combination: str, tested: str) -> tuple[Combination, Combination, int]:
        combo, base = self.combination(combination), self.combination(tested)
        row = self.conn.execute(
            "SELECT id FROM eq_equivalences WHERE combination_id = ? AND tested_id = ?",
            (combo.id, base.id),
        ).fetchone()
        return combo, base, int(row[0]) if row else 0

    def _status(self, eid: int) -> str:
        row = self.conn.execute("SELECT status FROM eq_equivalences WHERE id = ?", (eid,))
        return str(row.fetchone()[0])

    def record_assurance(self, combination: str, tested: str, assurance: str = "") -> int:
        """The manufacturer's assurance that ``combination`` differs from the ``tested`` one in
        no material way (firmware, hardware, configuration). Not covered until assessed.

        :raises UsageError: the two differ in more than hardware (signature), or are the same.
        """
        combo, base, eid = self._equivalence(combination, tested)
        if combo.id == base.id:
            raise UsageError(f"combination {combo.key!r} is the tested one")
        if self.signature(combo) != self.signature(base):
            raise UsageError(f"{combo.key!r} differs from {base.key!r} in more than hardware "
                             "(model, major firmware iteration or factory configuration "
                             "differ): it cannot be an equivalent")  # fmt: skip
        text = (assurance or "").strip() or "manufacturer's assurance of no material difference"
        with self.store.atomic():
            if eid:  # a withdrawn claim starts again from the new assurance
                self.conn.execute(
                    "UPDATE eq_equivalences SET assurance = ?, updated_at = ?, status = CASE "
                    "status WHEN 'removed' THEN 'assurance' ELSE status END WHERE id = ?",
                    (text, now_iso(), eid))  # fmt: skip
                return eid
            now = now_iso()
            return inserted_id(self.conn.execute(
                "INSERT INTO eq_equivalences (combination_id, tested_id, status, assurance, "
                "created_at, updated_at) VALUES (?,?,'assurance',?,?,?)",
                (combo.id, base.id, text, now, now),
            ))  # fmt: skip

    def assess_equivalent(
        self, combination: str, tested: str, by: str, assessed_date: str, evidence: str,
        evidence_kind: str = "independent",
    ) -> int:  # fmt: skip
        """The assessment ("judged substantively equivalent"): who, when, on what evidence.
        Only after it does the variant count as covered.

        :param evidence_kind: ``independent`` — the assessor's own review or tests. A
            manufacturer's statement alone is refused: it is the assurance, not an assessment.
        :raises UsageError: no assurance recorded first, missing who/date/evidence, or evidence
            that is only the manufacturer's statement.
        """
        by = checked(F.required, by, "who assessed", what="assessment")
        assessed_date = checked(F.iso_date, assessed_date, required=True, what="assessment")
        evidence = checked(F.required, evidence, "the assessment's evidence", what="assessment")
        kind = checked(F.choice, evidence_kind, F.EVIDENCE_KINDS, "evidence kind",
                       what="assessment")  # fmt: skip
        if kind != "independent":
            raise UsageError(f"assessment of {combination}: a manufacturer's statement is the "
                             "assurance (record it with the assurance), not an assessment — "
                             "name the assessment's own evidence (evidence kind independent)")
        with self.store.atomic():
            _, _, eid = self._equivalence(combination, tested)
            if not eid or self._status(eid) == "removed":
                raise UsageError(f"{combination}: record the manufacturer's assurance of no "
                                 f"material difference from {tested} before its assessment")
            self.conn.execute(
                "UPDATE eq_equivalences SET status = 'assessed', assessed_by = ?, "
                "assessed_date = ?, evidence = ?, evidence_kind = ?, updated_at = ? WHERE id = ?",
                (by, assessed_date, evidence, kind, now_iso(), eid),
            )
            return eid

    def advance_equivalence(self, combination: str, tested: str, to: str, on: str) -> int:
        """Move an assessed variant on: ``proposed`` for the EPCL, then ``eligible``."""
        order = {"proposed": "assessed", "eligible": "proposed"}
        if to not in order:
            raise UsageError(f"an equivalence moves on to proposed or eligible, not {to!r}")
        on = checked(F.iso_date, on, required=True, what=f"{to} date")
        with self.store.atomic():
            _, _, eid = self._equivalence(combination, tested)
            status = self._status(eid) if eid else "none"
            if status != order[to]:
                raise UsageError(f"{combination} vs {tested} is {status}; it can be {to} only "
                                 f"once {order[to]}")  # fmt: skip
            self.conn.execute(f"UPDATE eq_equivalences SET status = ?, {to}_date = ?, "
                              "updated_at = ? WHERE id = ?", (to, on, now_iso(), eid))
            return eid

    def remove_equivalence(self, equivalence_id: int) -> None:
        """Withdraw an equivalence claim (kept, status ``removed``)."""
        with self.store.atomic():
            cur = self.conn.execute(
                "UPDATE eq_equivalences SET status = 'removed', updated_at = ? WHERE id = ?",
                (now_iso(), equivalence_id),
            )
            if not cur.rowcount:
                raise NotFoundError(f"equivalence {equivalence_id} is not in the register")

    def equivalences(self) -> list[dict]:
        """id, combination, tested (keys), status, assurance, assessed_by, assessed_date,
        evidence, evidence_kind, proposed_date, eligible_date."""
        rows = self.conn.execute(
            "SELECT e.id, a.key, b.key, e.status, e.assurance, e.assessed_by, e.assessed_date, "
            "e.evidence, e.evidence_kind, e.proposed_date, e.eligible_date "
            "FROM eq_equivalences e JOIN eq_combinations a ON a.id = e.combination_id "
            "JOIN eq_combinations b ON b.id = e.tested_id ORDER BY b.key, a.key"
        )
        return [dict(zip(_EQUIV_KEYS, r)) for r in rows]

    def covered_equivalence(self, combination: str, tested: str) -> dict | None:
        """The equivalence of ``combination`` to ``tested`` when it counts as covered
        (assessed, proposed or eligible) and the two still differ only in hardware, else None
        (a combination whose firmware changed after the assessment is not covered by it)."""
        for e in self.equivalences():
            if (e["combination"], e["tested"]) == (combination, tested) and \
                    e["status"] in F.EQUIVALENCE_COVERED:
                same = self.signature(self.combination(combination)) == \
                    self.signature(self.combination(tested))
                return e if same else None
        return None

    # -- installed base and upgrade plans -----------------------------------------------------
    def add_base_count(
        self, snapshot: str, snapshot_date: str, combination: str, active=0, dormant=0,
        *, replace: bool = False,
    ) -> int:  # fmt: skip
        """Count of installations of ``combination`` in a dated snapshot."""
        record = {
            "snapshot": checked(F.required, snapshot, "snapshot name", what="base"),
            "snapshot_date": checked(F.iso_date, snapshot_date, required=True, what="snapshot"),
            "active": _count(active, "active count"),
            "dormant": _count(dormant, "dormant count"),
        }
        with self.store.atomic():
            other = self.conn.execute(
                "SELECT snapshot_date FROM eq_base_counts "
                "WHERE snapshot = ? AND snapshot_date != ?",
                (record["snapshot"], record["snapshot_date"]),
            ).fetchone()
            if other is not None:
                raise UsageError(f"snapshot {record['snapshot']!r} is dated {other[0]}, "
                                 f"not {record['snapshot_date']}")  # fmt: skip
            record["combination_id"] = self.combination(combination).id
            match = ("snapshot = ? AND combination_id = ?",
                     (record["snapshot"], record["combination_id"]))  # fmt: skip
            what = f"{combination} in snapshot {record['snapshot']}"
            return self._upsert("eq_base_counts", match, record, replace, what)

    def snapshots(self) -> list[dict]:
        """name, date, combinations, total (active + dormant) of each snapshot, by date."""
        rows = self.conn.execute(
            "SELECT snapshot, snapshot_date, count(*), sum(active + dormant) FROM eq_base_counts "
            "GROUP BY snapshot ORDER BY snapshot_date, snapshot"
        )
        return [dict(zip(("name", "date", "combinations", "total"), r)) for r in rows]

    def base_counts(self, snapshot: str | None = None) -> list[dict]:
        """id, snapshot, snapshot_date, combination (key), active, dormant."""
        sql = ("SELECT b.id, b.snapshot, b.snapshot_date, c.key, b.active, b.dormant "
               "FROM eq_base_counts b "
               "JOIN eq_combinations c ON c.id = b.combination_id")  # fmt: skip
        args: list = []
        if snapshot is not None:
            sql += " WHERE b.snapshot = ?"
            args.append(snapshot)
        rows = self.conn.execute(sql + " ORDER BY b.snapshot_date, b.snapshot, c.key", args)
        keys = ("id", "snapshot", "snapshot_date", "combination", "active", "dormant")
        return [dict(zip(keys, r)) for r in rows]

    def add_upgrade(
        self, plan: str, planned_date: str, from_combination: str, to_combination: str, count,
        *, replace: bool = False,
    ) -> int:  # fmt: skip
        """Plan to upgrade ``count`` installations of one combination to another."""
        record = {
            "plan": checked(F.required, plan, "plan name", what="upgrade"),
            "planned_date": checked(F.iso_date, planned_date, what="upgrade date"),
            "count": _count(count, "upgrade count"),
        }
        with self.store.atomic():
            a, b = self.combination(from_combination), self.combination(to_combination)
            if a.id == b.id:
                raise UsageError(f"upgrade of {a.key!r} to itself")
            record.update(from_id=a.id, to_id=b.id)
            match = ("plan = ? AND from_id = ? AND to_id = ?", (record["plan"], a.id, b.id))
            what = f"upgrade {a.key} → {b.key} in plan {record['plan']}"
            return self._upsert("eq_upgrade_moves", match, record, replace, what)

    def upgrades(self, plan: str | None = None) -> list[dict]:
        """id, plan, planned_date, from, to (keys), count."""
        sql = ("SELECT u.id, u.plan, u.planned_date, a.key, b.key, u.count FROM eq_upgrade_moves u "
               "JOIN eq_combinations a ON a.id = u.from_id "
               "JOIN eq_combinations b ON b.id = u.to_id")  # fmt: skip
        args: list = []
        if plan is not None:
            sql += " WHERE u.plan = ?"
            args.append(plan)
        rows = self.conn.execute(sql + " ORDER BY u.plan, a.key, b.key", args)
        return [dict(zip(("id", "plan", "planned_date", "from", "to", "count"), r)) for r in rows]

    def remove_rows(self, kind: str, name: str) -> int:
        """Delete a whole snapshot (``kind="snapshot"``) or upgrade plan (``"plan"``)."""
        table, col = {"snapshot": ("eq_base_counts", "snapshot"),
                      "plan": ("eq_upgrade_moves", "plan")}[kind]  # fmt: skip
        with self.store.atomic():
            n = self.conn.execute(f"DELETE FROM {table} WHERE {col} = ?", (name,)).rowcount
        if not n:
            raise NotFoundError(f"{kind} {name!r} is not in the equipment register")
        return n
