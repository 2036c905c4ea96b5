"""The Elexon test record of a BSCP601 protocol test: its header fields and its result summary.

The completed script goes back to Elexon with a header (BSCP601 application reference; applicant;
the Protocol Testing Agent — HHDC or AMHHDC, name and MPID — and its testers; the HHDC system's
name, version and date, modules and hosting; the manufacturer's software and version; the
protocols in test with their versions; the outstation type, serials, firmware, number and type of
channels; the remote communication method; the approval role sought; the Elexon-agreed script
reference and version with each agreed departure; the witness's overall remarks — remarks per
step are each result's note) and a Test Result Summary of every test.

Most fields already live in the session (participants, ``software``, ``equipment``); the rest is
the session record ``test_record`` (:data:`FIELDS`), set with ``bench-app session set test-record``
and kept in the audit chain like every session record (so the report's statement, which carries
the records, is re-derived by ``verify``). :func:`header_rows` and :func:`summary_rows` turn a
report's data into what the report's first page and the CSV export (:func:`write_csv`) show.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from bench_app.errors import UsageError

#: The ``test_record`` session record's fields: name → (label, is a list).
FIELDS: dict[str, tuple[str, bool]] = {
    "application_reference": ("BSCP601 application reference", False),
    "applicant": ("Applicant", False),
    "pta_role": ("Protocol Testing Agent acts as", False),
    "pta_testers": ("Protocol Testing Agent's testers", True),
    "protocols": ("Protocol(s) in test and version", True),
    "approval_roles": ("Approval role sought", True),
    "script_reference": ("Elexon-agreed script reference", False),
    "script_version": ("Elexon-agreed script version", False),
    "departures": ("Agreed departures from the script", True),
    "witness_remarks": ("Witness's overall remarks", False),
}
#: The approval roles a protocol approval can be sought for (BSCP601; domain reference).
APPROVAL_ROLES = {
    "sva-hhdc": "collecting SVA data as an HHDC",
    "cva-cdca": "collecting CVA data on behalf of the CDCA",
}
PTA_ROLES = ("HHDC", "AMHHDC")


def merged(old: dict, changes: dict) -> dict:
    """The record with ``changes`` applied (None = keep; a list replaces the old list)."""
    out = {k: old.get(k, [] if FIELDS[k][1] else "") for k in FIELDS}
    for key, value in changes.items():
        if key not in FIELDS:
            raise UsageError(f"test record: unknown field {key!r} (known: {', '.join(FIELDS)})")
        if value is None or value == []:
            continue
        if key == "approval_roles":
            bad = [v for v in value if v not in APPROVAL_ROLES]
            if bad:
                raise UsageError(f"--approval-role {bad[0]!r}: choose from "
                                 f"{', '.join(APPROVAL_ROLES)}")  # fmt: skip
        if key == "pta_role" and value not in PTA_ROLES:
            raise UsageError(f"--pta-role {value!r}: choose from {', '.join(PTA_ROLES)}")
        out[key] = list(value) if FIELDS[key][1] else str(value).strip()
    return out


def record(store: Any, session_id: int, changes: dict) -> dict:
    """Merge ``changes`` into the session's ``test_record`` and store it (a new session record
    in the audit chain, the old one kept); returns the record now in force."""
    before = store.session_records(session_id).get("test_record") or {}
    rec = merged(before, changes)
    store.set_session_record(session_id, "test_record", rec)
    return rec


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return "" if value is None else str(value)


def header_rows(session: dict, records: dict, software: dict | None, equipment: dict | None,
                participants: list[dict]) -> list[tuple[str, str]]:  # fmt: skip
    """The test record's header as (label, value) rows ("not recorded" where empty)."""
    rec = records.get("test_record") or {}
    sw, eq = software or {}, equipment or {}
    testers = [p.get("name", "") for p in participants if p.get("role") == "tester"]
    roles = [APPROVAL_ROLES.get(r, r) for r in rec.get("approval_roles") or []]
    fw = eq.get("firmware") or {}
    channels = f"{eq.get('channels') or ''} {eq.get('channel_types') or ''}".strip()
    pta = f"{sw.get('hhdc_name') or ''} (MPID {sw.get('hhdc_mpid') or '—'})" if (
        sw.get("hhdc_name") or sw.get("hhdc_mpid")) else ""  # fmt: skip
    departures = rec.get("departures") or []
    rows = [
        (FIELDS["application_reference"][0],
         rec.get("application_reference") or session.get("reference") or ""),
        (FIELDS["applicant"][0], rec.get("applicant") or ""),
        (f"Protocol Testing Agent ({rec.get('pta_role') or 'HHDC'}) and MPID", pta),
        (FIELDS["pta_testers"][0], _text(rec.get("pta_testers") or testers)),
        ("HHDC system: name, version, date",
         ", ".join(x for x in (sw.get("hhdc_software"), sw.get("hhdc_version"),
                               sw.get("hhdc_date")) if x)),
        ("HHDC system modules (version, date)", sw.get("hhdc_modules") or ""),
        ("HHDC hosting environment", sw.get("hhdc_host") or ""),
        ("Manufacturer's software and version",
         f"{sw.get('manufacturer_software') or ''} {sw.get('manufacturer_version') or ''}".strip()),
        (FIELDS["protocols"][0], _text(rec.get("protocols"))),
        ("Outstation type and serials",
         f"{eq.get('outstation_type') or ''} {', '.join(eq.get('serials') or [])}".strip()),
        ("Outstation firmware", "; ".join(f"{k} {v}" for k, v in fw.items())),
        ("Number and type of channels", channels),
        ("Remote communication method", eq.get("comms_method") or ""),
        (FIELDS["approval_roles"][0], _text(roles)),
        ("Elexon-agreed script (reference, version)",
         ", ".join(x for x in (rec.get("script_reference"), rec.get("script_version")) if x)),
        (FIELDS["departures"][0],
         "; ".join(f"{i}. {d}" for i, d in enumerate(departures, 1)) or "none recorded"),
        (FIELDS["witness_remarks"][0], rec.get("witness_remarks") or "none recorded"),
    ]  # fmt: skip
    return [(k, v if str(v).strip() else "not recorded") for k, v in rows]


def summary_rows(runs: list[dict]) -> list[tuple[str, str, str]]:
    """(test, title, result) of every step of the current runs, in run order."""
    out = []
    for run in runs:
        if not run.get("current", True):
            continue
        for s in run.get("steps") or []:
            get = s.get if isinstance(s, dict) else lambda k, d="", s=s: getattr(s, k, d)
            out.append((str(get("step_id", "")), str(get("title", "")),
                        str(get("verdict", "not-run"))))  # fmt: skip
    return out


def write_csv(data: Any, path: str | Path) -> int:
    """Write the test record of report data ``data`` (:class:`~bench_app.report.data.ReportData`)
    as CSV: the header's ``field,value`` rows, a blank line, then one row per test (Objective,
    Method, Expected, Actual (HHDC), Reference (bench), Result). Returns the number of tests."""
    from bench_app.textsafe import csv_cell

    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["field", "value"])
    for label, value in header_rows(data.session, data.records, data.software, data.equipment,
                                    data.participants):  # fmt: skip
        w.writerow([csv_cell(label), csv_cell(value)])
    w.writerow(["Overall result", data.overall])
    w.writerow([])
    w.writerow(["test", "title", "objective", "method", "expected", "actual (HHDC)",
                "reference (bench)", "result"])  # fmt: skip
    n = 0
    runs = data.runs or [{"current": True, "steps": data.steps}]
    for run in runs:
        if not run.get("current", True):
            continue
        for s in run.get("steps") or []:
            ev = s.evidence if isinstance(s.evidence, dict) else {}
            actual = "\n".join([s.actual, *(ev.get("hhdc") or [])])
            w.writerow([csv_cell(x) for x in (s.step_id, s.title, s.objective, s.method,
                        s.expected, actual, "\n".join(ev.get("reference") or []), s.verdict)])
            n += 1
    try:
        Path(path).write_text(buf.getvalue(), encoding="utf-8", newline="")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    return n
