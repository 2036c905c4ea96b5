"""The published lists, exported from the register as versioned CSV or PDF (ReportLab).

* ``approvals`` — the "CoP Compliance and Protocol Approval" list: one row per issued
  compliance certificate (type, CoP with issue, testing agent, date, scope, conditions) and per
  protocol approval in force (combination, HHDC name and MPID, software and version, year, scope,
  conditions, the approval it amends). Removed entries are left out.
* ``types`` — the "Valid Outstation Types" list: 3-character code, manufacturer, models (BSC
  outstation types only: SMETS device models have no Valid Outstation Type code).
* ``ppcl`` / ``epcl`` — the DCC's Pending / Eligible Product Combinations Lists: each SMETS
  combination with its fuel, solution release, devices, status, stage (SIT/DMCT) and the
  Testing Issue Resolutions against it. The rows of each published version are kept.

Every CSV row carries ``list_version`` and ``list_date``; the PDF names both in its title. Each
export is recorded in ``eq_publications`` (list, version, date, rows).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from bench_app.equipment import fields as F
from bench_app.equipment.records import Register
from bench_app.equipment.register import checked
from bench_app.errors import UsageError
from bench_app.store.base import now_iso
from bench_app.textsafe import csv_row

TITLES = {
    "approvals": "CoP Compliance and Protocol Approval",
    "types": "Valid Outstation Types",
    **F.DCC_LIST_TITLES,
}
COLUMNS = {
    "approvals": ("entry", "outstation_type", "combination", "cop", "testing_agent",
                  "issued_date", "hhdc_name", "hhdc_mpid", "hhdc_software", "hhdc_version",
                  "year", "scope", "conditions", "amends", "registrable"),
    "types": ("code", "manufacturer", "models"),
    "ppcl": ("combination", "model", "fuel", "solution_release", "devices", "status", "stage",
             "since", "tirs", "notes"),
}  # fmt: skip
COLUMNS["epcl"] = COLUMNS["ppcl"]


def _dcc_rows(reg: Register, which: str) -> list[dict]:
    tirs: dict[str, list[str]] = {}
    for t in reg.tirs():
        for key in t["combinations"]:
            tirs.setdefault(key, []).append(f"{t['reference']} ({t['outcome']})")
    out = []
    for e in reg.dcc_entries(which):
        combo = reg.combination(e["combination"])
        devs = "; ".join(f"{d['role']} {d['model']} HW {d['hardware_version']}"
                         f"{d['hardware_revision']} FW {d['firmware']}"
                         for d in reg.devices(combo.key))  # fmt: skip
        out.append({"combination": combo.key, "model": combo.model, "fuel": combo.fuel,
                    "solution_release": combo.solution_release, "devices": devs,
                    "status": e["status"], "stage": e["stage"], "since": e["since"],
                    "tirs": "; ".join(tirs.get(combo.key, [])), "notes": e["notes"]})
    return out


def list_rows(store, which: str) -> list[dict[str, str]]:
    """Rows of list ``which`` (``approvals`` or ``types``), every value text."""
    if which not in TITLES:
        raise UsageError(f"published list must be one of {', '.join(TITLES)}, not {which!r}")
    reg = Register(store)
    if which in F.DCC_LISTS:
        return [{k: str(r.get(k, "") or "") for k in COLUMNS[which]}
                for r in _dcc_rows(reg, which)]  # fmt: skip
    if which == "types":
        return [{"code": t["code"], "manufacturer": t["manufacturer"],
                 "models": "; ".join(t["models"])} for t in reg.types()
                if t.get("regime") != "smets"]  # fmt: skip
    conds: dict[tuple[str, int], list[str]] = {}
    for c in reg.conditions():
        conds.setdefault((c["target"], c["target_id"]), []).append(c["text"])
    amended = {a["amends"]: a["reference"] for a in reg.applications() if a["amends"]}
    out: list[dict[str, str]] = []
    for c in reg.certificates():
        if c["status"] != "issued":
            continue
        out.append({
            "entry": "compliance", "outstation_type": c["outstation_type"],
            "combination": c["combination"] or "", "cop": F.cop_text(c["cop"], c["cop_issue"]),
            "testing_agent": c["testing_agent"], "issued_date": c["issued_date"],
            "scope": "; ".join(c["scope"]),
            "conditions": "; ".join(conds.get(("certificate", c["id"]), [])),
            "registrable": F.registrability(c["cop"]),
        })  # fmt: skip
    for a in reg.approvals():
        if a["status"] != "approved":
            continue
        out.append({
            "entry": "protocol approval", "outstation_type": a["outstation_type"],
            "combination": a["combination"], "hhdc_name": a["hhdc_name"],
            "hhdc_mpid": a["hhdc_mpid"], "hhdc_software": a["hhdc_software"],
            "hhdc_version": a["hhdc_version"], "year": str(a["year"] or ""),
            "scope": "; ".join(a["scope"]),
            "conditions": "; ".join(conds.get(("approval", a["id"]), [])),
            "amends": amended.get(a["id"], ""),
        })  # fmt: skip
    return [{k: str(r.get(k, "") or "") for k in COLUMNS[which]} for r in out]


def _csv(rows: list[dict], which: str, version: str, when: str) -> str:
    buf = io.StringIO(newline="")
    cols = ["list", "list_version", "list_date", *COLUMNS[which]]
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for r in rows:
        row = {"list": TITLES[which], "list_version": version, "list_date": when, **r}
        w.writerow(csv_row(row))  # no cell a spreadsheet would run as a formula
    return buf.getvalue()


def _pdf(rows: list[dict], which: str, version: str, when: str, path: Path) -> None:
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    from bench_app.report.fonts import register_fonts
    from bench_app.report.styles import Styles, table

    st = Styles(register_fonts())
    doc = SimpleDocTemplate(str(path), pagesize=landscape(A4), title=f"{TITLES[which]} "
                            f"v{version}", author="Witness Bench")  # fmt: skip
    cols = [c for c in COLUMNS[which] if any(r[c] for r in rows)] or list(COLUMNS[which])
    story = [
        Paragraph(f"{TITLES[which]} — version {version}", st.h1),
        Paragraph(f"List date {when}; {len(rows)} entries; exported from the Witness Bench "
                  f"equipment register.", st.body),  # fmt: skip
        Spacer(1, 6),
    ]
    if rows:
        story.append(table([c.replace("_", " ") for c in cols],
                           [[r[c] for c in cols] for r in rows], None, st,
                           total=doc.width))  # fmt: skip
    else:
        story.append(Paragraph("The register holds no entries for this list.", st.body))
    doc.build(story)


def publish(store, which: str, version: str, when: str, out: str | Path) -> tuple[Path, int]:
    """Write list ``which`` at ``version`` dated ``when`` to ``out`` (``.csv`` or ``.pdf``).

    :returns: (path, number of rows).
    :raises UsageError: unknown list, empty version, bad date, other suffix, unwritable path.
    """
    rows = list_rows(store, which)
    version = checked(F.required, version, "list version", what="published list")
    when = checked(F.iso_date, when, required=True, what="list date")
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".pdf"):
        raise UsageError(f"{path}: the published list is written as .csv or .pdf")
    try:
        if suffix == ".csv":
            path.write_text(_csv(rows, which, version, when), encoding="utf-8", newline="")
        else:
            _pdf(rows, which, version, when, path)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    with store.atomic():
        cur = store.conn.execute(
            "INSERT INTO eq_publications (list, version, list_date, rows, created_at) "
            "VALUES (?,?,?,?,?)",
            (which, version, when, len(rows), now_iso()),
        )
        if which in F.DCC_LISTS:
            Register(store).snapshot_dcc_list(int(cur.lastrowid or 0), rows)
    return path, len(rows)
