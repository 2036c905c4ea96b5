"""Devices of a combination, equivalence assessments, installed-base snapshots and upgrade plans
(the SMETS1 device-model-combination case).

* A combination can list **devices** (role ``ESME``/``GSME``/``CH``/``PPMID`` or ``outstation``),
  each with model, hardware version and revision, firmware and factory configuration. A
  combination without devices is a single-device outstation described by its own columns.
* The **firmware signature** of a combination is what testing depends on: per device role,
  model and firmware (hardware version/revision ignored). Two combinations with the same
  signature differ only in hardware; such a variant is only *proposed* equivalent until an
  **assessment** is recorded (who, date, evidence).
* An **installed-base snapshot** is dated: ``(snapshot, date, combination, active, dormant)``.
* An **upgrade plan** moves ``count`` installations from one combination to another.
"""

from __future__ import annotations

from bench_app.equipment import fields as F
from bench_app.equipment.register import Combination, RegisterBase, checked, inserted_id
from bench_app.errors import NotFoundError, UsageError
from bench_app.store.base import now_iso

EQUIVALENCE_STATUSES = ("proposed", "assessed", "removed")
_DEVICE_KEYS = ("id", "combination", "role", "model", "hardware_version", "hardware_revision",
                "firmware", "factory_config", "notes")  # fmt: skip


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
        notes: str = "", *, replace: bool = False,
    ) -> int:  # fmt: skip
        """Add a device (one role + model) to a combination; returns its id."""
        record = {
            "role": checked(F.role, role, what="device"),
            "model": checked(F.required, model, "device model", what="device"),
            "hardware_version": (hardware_version or "").strip(),
            "hardware_revision": (hardware_revision or "").strip(),
            "firmware": checked(F.required, firmware, "device firmware", what="device"),
            "factory_config": (factory_config or "").strip(),
            "notes": (notes or "").strip(),
        }
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
               "d.firmware, d.factory_config, d.notes FROM eq_devices d "
               "JOIN eq_combinations c ON c.id = d.combination_id")  # fmt: skip
        args: list = []
        if combination:
            sql += " WHERE c.key = ?"
            args.append(self.combination(combination).key)
        rows = self.conn.execute(sql + " ORDER BY c.key, d.role, d.model", args)
        return [dict(zip(_DEVICE_KEYS, r)) for r in rows]

    def set_solution_release(self, combination: str, release: str) -> None:
        """Name the manufacturer solution release bundling the combination's firmware."""
        with self.store.atomic():
            combo = self.combination(combination)
            self.conn.execute(
                "UPDATE eq_combinations SET solution_release = ?, updated_at = ? WHERE id = ?",
                ((release or "").strip(), now_iso(), combo.id),
            )

    def solution_release(self, combination: str) -> str:
        return self.combination(combination).solution_release

    def signature(self, combo: Combination) -> tuple:
        """Firmware signature: type + per device (role, model, firmware); hardware ignored."""
        devs = [d for d in self.devices() if d["combination"] == combo.key]
        if not devs:
            return ("single", *combo.class_key)
        return ("dmc", combo.outstation_type, *sorted(
            (d["role"], " ".join(d["model"].casefold().split()), d["firmware"]) for d in devs
        ))  # fmt: skip

    def device_firmware(self, combo: Combination) -> set[tuple[str, str, str]]:
        """(role, model, firmware) of each device (empty for a single-device outstation)."""
        sig = self.signature(combo)
        return set(sig[2:]) if sig[0] == "dmc" else set()

    # -- equivalence: proposed, then assessed -------------------------------------------------
    def propose_equivalent(self, combination: str, tested: str) -> int:
        """Propose that ``combination`` is equivalent to the ``tested`` one (hardware-only
        difference is required); it does not count as covered until assessed."""
        combo, base = self.combination(combination), self.combination(tested)
        if combo.id == base.id:
            raise UsageError(f"combination {combo.key!r} is the tested one")
        if self.signature(combo) != self.signature(base):
            raise UsageError(f"{combo.key!r} differs from {base.key!r} in more than hardware "
                             "(model or firmware differ): it cannot be an equivalent")  # fmt: skip
        with self.store.atomic():
            row = self.conn.execute(
                "SELECT id FROM eq_equivalences WHERE combination_id = ? AND tested_id = ?",
                (combo.id, base.id),
            ).fetchone()
            if row is not None:
                return int(row[0])
            now = now_iso()
            cur = self.conn.execute(
                "INSERT INTO eq_equivalences (combination_id, tested_id, status, created_at, "
                "updated_at) VALUES (?,?,'proposed',?,?)",
                (combo.id, base.id, now, now),
            )
            return inserted_id(cur)

    def assess_equivalent(
        self, combination: str, tested: str, by: str, assessed_date: str, evidence: str
    ) -> int:
        """Record the assessment (who, when, evidence) that makes a proposal count."""
        by = checked(F.required, by, "who assessed", what="assessment")
        assessed_date = checked(F.iso_date, assessed_date, required=True, what="assessment")
        evidence = checked(F.required, evidence, "evidence (e.g. manufacturer's statement)",
                           what="assessment")  # fmt: skip
        with self.store.atomic():
            eid = self.propose_equivalent(combination, tested)
            self.conn.execute(
                "UPDATE eq_equivalences SET status = 'assessed', assessed_by = ?, "
                "assessed_date = ?, evidence = ?, updated_at = ? WHERE id = ?",
                (by, assessed_date, evidence, now_iso(), eid),
            )
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
        """id, combination, tested (keys), status, assessed_by, assessed_date, evidence."""
        rows = self.conn.execute(
            "SELECT e.id, a.key, b.key, e.status, e.assessed_by, e.assessed_date, e.evidence "
            "FROM eq_equivalences e JOIN eq_combinations a ON a.id = e.combination_id "
            "JOIN eq_combinations b ON b.id = e.tested_id ORDER BY b.key, a.key"
        )
        keys = ("id", "combination", "tested", "status", "assessed_by", "assessed_date",
                "evidence")  # fmt: skip
        return [dict(zip(keys, r)) for r in rows]

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
