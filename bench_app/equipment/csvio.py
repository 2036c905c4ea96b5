"""CSV import and export of each register kind, so a lab can load the lists it already keeps.

One header row (column names case-blind; spaces and dashes read as ``_``), then one entry per
row; lists (model variants, CoPs, session ids) are ``;``-separated. Columns per kind are in
:data:`COLUMNS` (``REQUIRED`` must be present). Importing an entry that is already in the register
(same code / key / natural key) updates it, so re-importing an exported file changes nothing.

An import is one transaction: every row is checked, every bad row is reported as
``file:line: reason`` in one :class:`~bench_app.errors.DataImportError`, and then nothing at all
is stored. Files are UTF-8 (a BOM, as Excel writes, is accepted).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from bench_app.equipment import csv_records as R
from bench_app.equipment import fields as F
from bench_app.equipment.records import Register
from bench_app.errors import BenchError, DataImportError, StoreError, UsageError
from bench_app.textsafe import csv_row, csv_text

#: kind → columns written by export and accepted by import, in order.
COLUMNS: dict[str, tuple[str, ...]] = {
    "types": ("code", "manufacturer", "models", "cops", "notes"),
    "combos": (
        "key", "outstation_type", "model", "metrology", "application", "communications",
        "hardware_version", "notes",
    ),
    "certs": (
        "outstation_type", "combination", "cop", "cop_issue", "testing_agent", "issued_date",
        "reference", "status", "removed_date", "removed_reason",
    ),
    "approvals": (
        "outstation_type", "combination", "hhdc_name", "hhdc_mpid", "hhdc_software",
        "hhdc_version", "year", "status", "removed_date", "removed_reason",
    ),
    "applications": (
        "reference", "applicant", "asks", "outstation_type", "combination", "cops", "sessions",
        "notes",
    ),
}  # fmt: skip
for _k, _extra in R.EXTRA_COLUMNS.items():
    COLUMNS[_k] = COLUMNS[_k] + _extra
COLUMNS.update(R.COLUMNS)
#: kind → columns an import file must have.
REQUIRED: dict[str, tuple[str, ...]] = {
    "types": ("code",),
    "combos": ("outstation_type", "model"),
    "certs": ("outstation_type", "cop"),
    "approvals": ("combination", "hhdc_name", "hhdc_mpid"),
    "applications": ("reference", "asks"),
    **R.REQUIRED,
}
#: Most bad rows listed in one error message (the rest are counted).
MAX_LISTED = 50


def _kind(kind: str) -> str:
    if kind not in COLUMNS:
        raise UsageError(f"register kind must be one of {', '.join(COLUMNS)}, not {kind!r}")
    return kind


def _norm(name: str) -> str:
    return "_".join((name or "").strip().lower().replace("-", " ").split())


def _store_row(reg: Register, kind: str, r: dict[str, str]) -> int:
    """Add or update one entry from a CSV row (values are stripped texts); returns its id."""
    if kind in R.COLUMNS:
        return R.store_row(reg, kind, r)
    if kind == "types":
        return reg.add_type(r["code"], r["manufacturer"], r["models"], r["cops"], r["notes"],
                            regime=r["regime"], major_pattern=r["major_pattern"],
                            replace=True)  # fmt: skip
    if kind == "combos":
        fw = {p: r[p] for p in F.FIRMWARE_PARTS}
        cid = reg.add_combination(
            r["outstation_type"],
            r["model"],
            fw,
            r["hardware_version"],
            r["key"],
            r["notes"],
            solution_release=r["solution_release"],
            fuel=r["fuel"],
            replace=True,
        )
        return cid
    if kind == "certs":
        return reg.add_certificate(
            r["outstation_type"], r["cop"], r["cop_issue"], r["testing_agent"], r["issued_date"],
            r["reference"], r["combination"] or None, status=r["status"],
            removed_date=r["removed_date"], removed_reason=r["removed_reason"],
            scope=r["scope"], replace=True,
        )  # fmt: skip
    if kind == "approvals":
        if r["outstation_type"]:
            code = F.type_code(r["outstation_type"])
            combo = reg.combination(r["combination"])
            if combo.outstation_type != code:
                raise UsageError(
                    f"combination {combo.key!r} is of type {combo.outstation_type}, not {code}"
                )
        return reg.add_approval(
            r["combination"], r["hhdc_name"], r["hhdc_mpid"], r["hhdc_software"],
            r["hhdc_version"], r["year"], status=r["status"], removed_date=r["removed_date"],
            removed_reason=r["removed_reason"], scope=r["scope"], replace=True,
        )  # fmt: skip
    sessions = []
    for part in r["sessions"].replace(",", ";").split(";"):
        if part.strip():
            if not part.strip().isdigit():
                raise ValueError(f"session id {part.strip()!r} is not a number")
            sessions.append(int(part))
    app_id = reg.add_application(
        r["reference"], r["applicant"], r["asks"], r["outstation_type"] or None,
        r["combination"] or None, r["cops"], r["notes"], sessions,
        amends=int(r["amends"]) if r["amends"].isdigit() else (r["amends"] or None),
        amendment=r["amendment"], replace=True,
    )  # fmt: skip
    if r["decision"] or r["decision_date"]:
        reg.decide_application(r["reference"], r["decision"] or "pending", r["decision_date"])
    return app_id


def import_csv(store, kind: str, path: str | Path) -> int:
    """Import ``path`` as register ``kind``; returns the number of entries added or updated.

    :raises DataImportError: unreadable file, bad header, or bad rows (all listed as
        ``file:line: reason``); nothing is stored then.
    """
    kind, path = _kind(kind), Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataImportError(f"{path}: cannot read as UTF-8 CSV: {exc}") from None
    return import_text(store, kind, text, str(path))


def import_text(store, kind: str, text: str, name: str = "<csv>") -> int:
    """:func:`import_csv` on CSV text already read (``name`` is used in messages)."""
    kind = _kind(kind)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise DataImportError(f"{name}:1: empty file (expected a header row)") from None
    except csv.Error as exc:
        raise DataImportError(f"{name}:1: {exc}") from None
    cols = [_norm(h) for h in header]
    unknown = [h for h, c in zip(header, cols) if c not in COLUMNS[kind]]
    missing = [c for c in REQUIRED[kind] if c not in cols]
    if unknown or missing:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s) {', '.join(unknown)}")
        raise DataImportError(
            f"{name}:1: {'; '.join(parts)} (columns for {kind}: {', '.join(COLUMNS[kind])})"
        )
    reg = Register(store)
    errors: list[str] = []
    seen: dict[int, int] = {}
    count = 0
    try:
        with store.atomic():
            line = reader.line_num + 1
            while True:
                try:
                    values = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    errors.append(f"{name}:{line}: {exc}")
                    break
                start, line = line, reader.line_num + 1
                if not any(v.strip() for v in values):
                    continue
                if len(values) > len(cols):
                    errors.append(f"{name}:{start}: {len(values)} fields, header has {len(cols)}")
                    continue
                row = dict.fromkeys(COLUMNS[kind], "")
                row.update({c: csv_text(v).strip() for c, v in zip(cols, values)})
                try:
                    with store.atomic():
                        row_id = _store_row(reg, kind, row)
                except StoreError as exc:  # includes NotFoundError
                    errors.append(f"{name}:{start}: {exc}")
                    continue
                except (BenchError, ValueError) as exc:
                    errors.append(f"{name}:{start}: {exc}")
                    continue
                if row_id in seen:
                    errors.append(f"{name}:{start}: same entry as line {seen[row_id]}")
                    continue
                seen[row_id] = start
                count += 1
            if errors:
                raise _Rejected()
    except _Rejected:
        listed = errors[:MAX_LISTED]
        more = len(errors) - len(listed)
        tail = f"\n… and {more} more bad row(s)" if more else ""
        raise DataImportError(
            f"{name}: {len(errors)} bad row(s), nothing imported:\n" + "\n".join(listed) + tail
        ) from None
    return count


class _Rejected(Exception):
    """Internal: roll the import transaction back."""


def rows_for(store, kind: str) -> list[dict[str, str]]:
    """The register ``kind`` as CSV-ready rows (every value text, lists ``;``-joined)."""
    kind, reg = _kind(kind), Register(store)
    out: list[dict] = []
    if kind in R.COLUMNS:
        out = R.rows(reg, kind)
    elif kind == "types":
        for t in reg.types():
            out.append({**t, "models": ";".join(t["models"]), "cops": ";".join(t["cops"])})
    elif kind == "combos":
        for c in reg.combinations():
            out.append({**c.to_json(), **c.firmware})
    elif kind == "certs":
        out = reg.certificates()
    elif kind == "approvals":
        out = reg.approvals()
    else:
        for a in reg.applications():
            out.append(
                {
                    **a,
                    "cops": ";".join(a["cops"]),
                    "sessions": ";".join(str(s) for s in a["linked_sessions"]),
                }
            )
    if kind in R.EXTRA_COLUMNS:
        out = [{**r, **R.extra_values(reg, kind, r)} for r in out]
    return [{c: "" if r.get(c) is None else str(r.get(c)) for c in COLUMNS[kind]} for r in out]


def export_csv(store, kind: str, path: str | Path) -> int:
    """Write register ``kind`` to ``path`` (UTF-8, header row); returns the number of rows.

    Cells that start like a spreadsheet formula are written as text (:func:`csv_cell`); reading
    the file back (:func:`import_text`) removes that mark again."""
    rows = rows_for(store, kind)
    path = Path(path)
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=list(COLUMNS[kind]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(csv_row(r) for r in rows)  # no cell a spreadsheet would run as a formula
    try:
        path.write_text(buf.getvalue(), encoding="utf-8", newline="")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    return len(rows)
