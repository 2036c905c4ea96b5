"""The DCC regime's records: a combination's place on the Pending and Eligible Product
Combinations Lists (PPCL / EPCL) with its status and testing stage, and Testing Issue
Resolution (TIR) records linked to the combinations they affect.

* A **DCC entry** puts a SMETS device model combination on a list — ``ppcl`` (pending: selected
  for testing, in testing, being assessed, pending migration testing) or ``epcl`` (eligible) —
  at a stage (``SIT`` System Integration Testing, ``DMCT`` Device Model Combination Testing).
  Only combinations of a ``smets`` type can be listed: BSC outstation types are approved under
  BSCP601 instead.
* A **TIR** records a defect found in testing and its resolution: ``documented-behaviour``,
  ``workaround`` (e.g. an S1SP workaround), ``firmware-fix`` (a fixed firmware version, then
  re-selection) or still ``open``. A combination with an open TIR cannot be put on the EPCL.

Published list versions are snapshotted row by row (``eq_dcc_list_rows``), so the rows of
"PPCL v1.0" can be listed again after the entries have moved on.
"""

from __future__ import annotations

from collections.abc import Sequence

from bench_app.equipment import fields as F
from bench_app.equipment.register import RegisterBase, checked
from bench_app.errors import NotFoundError, UsageError

_ENTRY_KEYS = ("id", "combination", "list", "stage", "status", "since", "notes")
_TIR_KEYS = ("id", "reference", "title", "outcome", "detail", "fixed_firmware", "raised_date")


class DccMixin(RegisterBase):
    """PPCL/EPCL entries and TIRs (mixed into :class:`~bench_app.equipment.records.Register`)."""

    def _smets_combination(self, key: str, what: str):
        combo = self.combination(key)
        regime = self.conn.execute(
            "SELECT regime FROM eq_types WHERE code = ?", (combo.outstation_type,)
        ).fetchone()
        if not regime or regime[0] != "smets":
            raise UsageError(f"{what}: {combo.key} is of BSC outstation type "
                             f"{combo.outstation_type}; only SMETS device model combinations go "
                             "on the DCC's lists (give the type regime smets)")  # fmt: skip
        return combo

    def set_dcc_entry(
        self, combination: str, dcc_list: str, status: str, stage: str = "", since: str = "",
        notes: str = "",
    ) -> int:  # fmt: skip
        """Put (or move) ``combination`` on the PPCL or EPCL with its status and stage.

        :raises UsageError: not a SMETS combination, a bad list/status/stage/date, an EPCL entry
            whose status is not ``eligible``, or an open TIR against the combination.
        """
        lst = checked(F.choice, dcc_list, F.DCC_LISTS, "DCC list", what="DCC entry")
        record = {
            "list": lst,
            "status": checked(F.choice, status, F.DCC_STATUSES, "status", what="DCC entry"),
            "stage": checked(F.choice, stage, F.DCC_STAGES, "stage", what="DCC entry"),
            "since": checked(F.iso_date, since, what="DCC entry date"),
            "notes": (notes or "").strip(),
        }
        with self.store.atomic():
            combo = self._smets_combination(combination, f"{lst.upper()} entry")
            if lst == "epcl":
                if record["status"] != "eligible":
                    raise UsageError(f"{combo.key}: the EPCL lists eligible combinations only "
                                     f"(status {record['status']!r} belongs on the PPCL)")
                open_tirs = [t["reference"] for t in self.tirs(combo.key)
                             if t["outcome"] == "open"]  # fmt: skip
                if open_tirs:
                    raise UsageError(f"{combo.key}: Testing Issue Resolution "
                                     f"{', '.join(open_tirs)} is still open; it cannot be "
                                     "eligible")  # fmt: skip
            record["combination_id"] = combo.id
            match = ("combination_id = ? AND list = ?", (combo.id, lst))
            return self._upsert("eq_dcc_entries", match, record, True,
                                f"{lst.upper()} entry of {combo.key}")  # fmt: skip

    def remove_dcc_entry(self, entry_id: int) -> None:
        with self.store.atomic():
            if not self.conn.execute("DELETE FROM eq_dcc_entries WHERE id = ?",
                                     (entry_id,)).rowcount:  # fmt: skip
                raise NotFoundError(f"DCC entry {entry_id} is not in the register")

    def dcc_entries(self, dcc_list: str | None = None) -> list[dict]:
        """id, combination, list, stage, status, since, notes — by list and combination."""
        sql = ("SELECT e.id, c.key, e.list, e.stage, e.status, e.since, e.notes "
               "FROM eq_dcc_entries e JOIN eq_combinations c ON c.id = e.combination_id")
        args: list = []
        if dcc_list:
            sql += " WHERE e.list = ?"
            args.append(checked(F.choice, dcc_list, F.DCC_LISTS, "DCC list"))
        rows = self.conn.execute(sql + " ORDER BY e.list, c.key", args)
        return [dict(zip(_ENTRY_KEYS, r)) for r in rows]

    # -- Testing Issue Resolution -------------------------------------------------------------
    def add_tir(
        self, reference: str, title: str, outcome: str = "open", combinations: Sequence[str] = (),
        detail: str = "", fixed_firmware: str = "", raised_date: str = "", *,
        replace: bool = False,
    ) -> int:  # fmt: skip
        """A Testing Issue Resolution record linked to the combinations it affects.

        :param outcome: ``open``, ``documented-behaviour``, ``workaround`` (say which in
            ``detail``) or ``firmware-fix`` (name ``fixed_firmware``; the fixed combination is
            re-selected for testing).
        """
        reference = checked(F.required, reference, "TIR reference", what="TIR")
        record = {
            "reference": reference,
            "title": checked(F.required, title, "TIR title", what=f"TIR {reference}"),
            "outcome": checked(F.choice, outcome, F.TIR_OUTCOMES, "outcome",
                               what=f"TIR {reference}"),
            "detail": (detail or "").strip(),
            "fixed_firmware": (fixed_firmware or "").strip(),
            "raised_date": checked(F.iso_date, raised_date, what=f"TIR {reference} date"),
        }  # fmt: skip
        if record["outcome"] == "firmware-fix" and not record["fixed_firmware"]:
            raise UsageError(f"TIR {reference}: a firmware fix names the fixed firmware version")
        if record["outcome"] == "workaround" and not record["detail"]:
            raise UsageError(f"TIR {reference}: say what the workaround is (detail)")
        with self.store.atomic():
            combos = [self.combination(k) for k in combinations]
            tid = self._upsert("eq_tirs", ("reference = ?", (reference,)), record, replace,
                               f"TIR {reference}")  # fmt: skip
            for c in combos:
                self.conn.execute("INSERT OR IGNORE INTO eq_tir_links (tir_id, combination_id) "
                                  "VALUES (?,?)", (tid, c.id))  # fmt: skip
            return tid

    def tirs(self, combination: str | None = None) -> list[dict]:
        """TIRs (affecting one combination), each with ``combinations`` (keys)."""
        out = []
        for r in self.conn.execute(
            "SELECT id, reference, title, outcome, detail, fixed_firmware, raised_date "
            "FROM eq_tirs ORDER BY reference"
        ):
            tir = dict(zip(_TIR_KEYS, r))
            tir["combinations"] = [k for (k,) in self.conn.execute(
                "SELECT c.key FROM eq_tir_links l JOIN eq_combinations c "
                "ON c.id = l.combination_id WHERE l.tir_id = ? ORDER BY c.key", (tir["id"],))]
            if combination is None or combination in tir["combinations"]:
                out.append(tir)
        return out

    def snapshot_dcc_list(self, publication_id: int, rows: list[dict]) -> None:
        """Keep the rows of a published PPCL/EPCL version (inside the caller's transaction)."""
        import json

        for r in rows:
            self.conn.execute(
                "INSERT INTO eq_dcc_list_rows (publication_id, combination, status, stage, data) "
                "VALUES (?,?,?,?,?)",
                (publication_id, r["combination"], r["status"], r["stage"],
                 json.dumps(r, sort_keys=True)),
            )  # fmt: skip

    def remove_tir(self, reference: str) -> None:
        with self.store.atomic():
            row = self.conn.execute("SELECT id FROM eq_tirs WHERE reference = ?",
                                    (reference,)).fetchone()  # fmt: skip
            if row is None:
                raise NotFoundError(f"TIR {reference!r} is not in the register")
            self.conn.execute("DELETE FROM eq_tir_links WHERE tir_id = ?", (row[0],))
            self.conn.execute("DELETE FROM eq_tirs WHERE id = ?", (row[0],))



