"""The report's statement: a machine-readable, canonical JSON account of everything a witness
report asserts, embedded in the PDF the tester signs (the way Factur-X invoices carry their XML).

Every page of the report is drawn from the statement alone (:func:`data_from_statement` turns it
back into the renderer's :class:`~bench_app.report.data.ReportData`), so ``bench-app verify`` can

1. re-derive the statement from the database at the signed audit head and compare it field by
   field with the embedded one (:func:`differences`), and
2. re-render the pages from the embedded statement and compare them with the signed pages
   (rendering is deterministic: no clock, no random PDF id).

Layout (``version`` :data:`STATEMENT_VERSION`; new sections slot in as new keys)::

    {"format": "witness-bench-statement", "version": 1, "layout": 2 (the page layout that drew
     the report, :mod:`bench_app.report.layout`),
     "session": {...uid, reference, kind, status, locked_by...}, "as_of": ISO time of the head,
     "audit_head": hex, "participants": [...], "equipment": {...}, "software": {...},
     "meter_identity": {...}, "equipment_findings": [...], "template": "name version",
     "runs": [{"id", "uid", "template", "template_version", "status", "supersedes",
               "superseded_reason", "confirmations", "current", "steps": [...]}],
     "steps": [...current runs' steps...], "overall": {"status", "reasons"},
     "deviations": [...], "incomplete": [...], "reconciliation": {...},
     "manufacturer_reconciliation": {...}, "clock_observations": [...], "events": [...],
     "series": [...], "collections": [...with rows_sha256...], "traces": [...with sha256...],
     "attachments": [...with sha256...], "records": {...}, "observed": [...HHDC exchanges...],
     "simulated": true when any evidence came from a simulated outstation (or any bench record
     named the simulator; every page then says SIMULATED), "meter_writes": [...writes to the
     meter outside a checklist step: what, change, before, after, leaves, by, reason, at...],
     "started_at", "ended_at", "generator": {"app_version", "app_build"}}

Times are ISO 8601 text (UTC); floats are JSON numbers (round-trip exact). Row ids are the
database's local ids: they are not compared (:data:`LOCAL_KEYS`, and ``#12`` inside a text), as a
bundle imported into another database renumbers them; uids and SHA-256 hashes are compared.

A statement made before a key existed lacks it: compared with the database, a missing key equals
an empty value (none, false, empty text, list or mapping; :data:`ABSENT_MEANS` names it for some
keys) or what the older statement implies (:data:`IMPLIED`), and differs from anything else — an
older report never hides data the database holds: a report signed before ``meter_writes`` existed
verifies against a database that holds no write to the meter, and fails against one that does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, is_dataclass
from datetime import UTC, date, datetime
from typing import Any

from bench_app.checklist.verdict import OverallResult
from bench_app.outcomes import Cause, CauseKind, Deviation, DeviationKind, Status
from bench_app.report.data import ChannelSeries, Reconciliation, ReportData, StepRow
from bench_app.report.layout import LAYOUT_KEY, LAYOUT_VERSION

FORMAT = "witness-bench-statement"
STATEMENT_VERSION = 1
#: Name of the embedded file in the PDF (``/EmbeddedFiles`` and the catalog's ``/AF``).
FILE_NAME = "witness-statement.json"
MIME = "application/json"

#: Keys whose values are times: stored as ISO text, turned back into datetimes for rendering.
_TIME_KEYS = frozenset(
    {"meter_time", "reference_time", "time", "span", "as_of", "started_at", "ended_at"}
)
#: Keys never compared with the database: local row ids (a bundle imported elsewhere renumbers
#: them) and the program that rendered the report.
LOCAL_KEYS = frozenset(
    {"id", "run_id", "session_id", "collection_id", "collection", "trace_id", "event_id",
     "supersedes", "bench_collection", "collection_a", "collection_b",
     "hhdc_collection", "trace_ids", "collection_ids", "event_ids", "clock_observation_ids",
     "attachment_ids", "generator"}
)  # fmt: skip


#: Keys added later → the value a statement without them states (nothing of the kind happened).
ABSENT_MEANS: dict[str, Any] = {"meter_writes": []}

_SCALARS = frozenset({str, int, bool, type(None)})


def _plain(obj: Any) -> Any:
    """``obj`` as JSON-able data: datetimes → ISO text, tuples → lists, dataclasses → dicts."""
    kind = type(obj)
    if kind in _SCALARS:  # exact types first: a 90-day series is ~35 000 numbers
        return obj
    if kind is float:
        return None if obj != obj else obj  # NaN has no JSON form
    if isinstance(obj, datetime):
        when = obj if obj.tzinfo else obj.replace(tzinfo=UTC)
        return when.astimezone(UTC).isoformat()
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, bytes):
        return obj.hex()
    if isinstance(obj, date):
        return obj.isoformat()
    if isinstance(obj, float) and obj != obj:  # NaN has no JSON form
        return None
    if obj is None or isinstance(obj, (str, int, float)):
        return obj
    return str(obj)  # anything else as the report would print it


def _times(obj: Any, key: str = "") -> Any:
    """The inverse of :func:`_plain` for the renderer: ISO text under a time key → datetime."""
    if isinstance(obj, dict):
        return {k: _times(v, k) for k, v in obj.items()}
    if isinstance(obj, list):
        out = [_times(v, key) for v in obj]
        return tuple(out) if key == "span" else out
    if key in _TIME_KEYS and isinstance(obj, str):
        try:
            return datetime.fromisoformat(obj.replace("Z", "+00:00"))
        except ValueError:
            return obj
    return obj


def canonical_bytes(statement: dict) -> bytes:
    """The statement as compact UTF-8 JSON (the embedded file's exact bytes). Keys keep the
    order the data gives them (the report prints some mappings in that order), which is fixed:
    the same data always gives the same bytes."""
    return json.dumps(
        statement, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def parse(data: bytes) -> dict:
    """An embedded statement read back; :class:`ValueError` when it is not one."""
    obj = json.loads(data.decode("utf-8"))
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise ValueError("the embedded file is not a Witness Bench statement")
    if int(obj.get("version", 0)) > STATEMENT_VERSION:
        raise ValueError(
            f"statement version {obj.get('version')} is newer than this program "
            f"({STATEMENT_VERSION}); verify with a newer Witness Bench"
        )
    return obj


def _evidence_index(data: ReportData) -> dict[str, dict[Any, str]]:
    """Local id → what identifies it anywhere: traces and attachments by SHA-256, collections by
    uid and the SHA-256 of their readings."""
    cols = {
        c.get("id"): f"{c.get('uid', '')} rows {c.get('rows_sha256') or '-'}"
        for c in data.collections
    }
    return {
        "trace_ids": {t.get("id"): str(t.get("sha256", "")) for t in data.traces},
        "collection_ids": cols,
        "attachment_ids": {a.get("id"): str(a.get("sha256", "")) for a in data.attachments},
    }


def _step_dicts(steps: list[StepRow], index: dict[str, dict[Any, str]]) -> list[dict]:
    """Steps as dicts, each with ``evidence_hashes``: the hashes/uids of the evidence it names
    (compared by ``verify`` where the local ids cannot be)."""
    out = []
    for step in steps:
        row = _plain(step)
        ev = step.evidence if isinstance(step.evidence, dict) else {}
        row["evidence_hashes"] = {
            key: [index[key].get(i, f"unknown {key[:-4]} #{i}") for i in ev.get(key) or []]
            for key in index
            if ev.get(key)
        }
        out.append(row)
    return out


def _run_dicts(data: ReportData, index: dict[str, dict[Any, str]]) -> list[dict]:
    runs = data.runs or ([{**data.checklist, "steps": data.steps}] if data.checklist else [])
    out = []
    for run in runs:
        row = _plain({k: v for k, v in run.items() if k != "steps"})
        row["steps"] = _step_dicts(list(run.get("steps") or []), index)
        out.append(row)
    return out


def build_statement(store: Any, session_id: int) -> dict:
    """The statement of ``session_id`` as the database says it now (JSON round-tripped, so it
    compares equal to an embedded one read back)."""
    from bench_app.report.data import collect_report_data

    return json.loads(canonical_bytes(statement_from_data(collect_report_data(store, session_id))))


def statement_from_data(data: ReportData) -> dict:
    """The statement of ``data`` (JSON-able; :func:`canonical_bytes` gives its bytes)."""
    verdict = data.verdict
    index = _evidence_index(data)
    overall = {
        "status": data.overall,
        "reasons": list(verdict.reasons),
        "causes": [_plain(c) for c in verdict.causes],
    }
    return {
        "format": FORMAT,
        "version": STATEMENT_VERSION,
        LAYOUT_KEY: LAYOUT_VERSION,
        "session": _plain(data.session),
        "audit_head": data.audit_head,
        "as_of": _plain(data.generated_at),
        "participants": _plain(data.participants),
        "equipment": _plain(data.equipment),
        "software": _plain(data.software),
        "meter_identity": _plain(data.meter_identity),
        "equipment_findings": _plain(data.equipment_findings),
        "template": data.template_version,
        "templates": _plain(data.templates),
        "checklist": _plain(data.checklist),
        "runs": _run_dicts(data, index),
        "steps": _step_dicts(data.steps, index),
        "overall": overall,
        "deviations": _plain(data.deviations),
        "incomplete": _plain(data.incomplete),
        "reconciliation": _plain(data.reconciliation),
        "manufacturer_reconciliation": _plain(data.manufacturer_reconciliation),
        "clock_observations": _plain(data.clock_observations),
        "events": _plain(data.events),
        "series": _plain(data.series),
        "collections": _plain(data.collections),
        "traces": _plain(data.traces),
        "attachments": _plain(data.attachments),
        "records": _plain(data.records),
        "observed": _plain(data.observed),
        "simulated": data.simulator,
        "meter_writes": _plain(data.meter_writes),
        "started_at": _plain(data.started_at),
        "ended_at": _plain(data.ended_at),
        "generator": {"app_version": data.app_version, "app_build": data.app_build},
    }


def _verdict(overall: dict, deviations: list[dict]) -> OverallResult:
    """The overall result as the statement states it (status, causes, deviations)."""
    causes = [
        Cause(CauseKind(c.get("kind", "note")), str(c.get("text", "")), str(c.get("step_id", "")))
        for c in overall.get("causes") or []
    ]
    devs = [
        Deviation(DeviationKind(d.get("kind", "error")), str(d.get("text", "")),
                  step_id=str(d.get("step_id", "")), reference=str(d.get("reference", "")))
        for d in deviations
    ]  # fmt: skip
    return OverallResult(Status(overall.get("status", "INCOMPLETE")), causes, deviations=devs)


def _steps(rows: list[dict]) -> list[StepRow]:
    known = {f.name for f in fields(StepRow)}
    return [StepRow(**{k: v for k, v in r.items() if k in known}) for r in rows]


def _reconciliation(obj: dict | None) -> Reconciliation | None:
    if obj is None:
        return None
    known = {f.name for f in fields(Reconciliation)}
    return Reconciliation(**{k: v for k, v in obj.items() if k in known})


def data_from_statement(statement: dict) -> ReportData:
    """The renderer's :class:`ReportData`, built from the statement and nothing else."""
    s = _times(statement)
    runs = [dict(r, steps=_steps(r.get("steps") or [])) for r in s.get("runs") or []]
    overall = s.get("overall") or {}
    gen = s.get("generator") or {}
    return ReportData(
        session=s.get("session") or {},
        participants=s.get("participants") or [],
        equipment=s.get("equipment"),
        software=s.get("software"),
        meter_identity=s.get("meter_identity"),
        equipment_findings=s.get("equipment_findings") or [],
        incomplete=s.get("incomplete") or [],
        checklist=s.get("checklist"),
        runs=runs,
        templates=s.get("templates") or [],
        steps=_steps(s.get("steps") or []),
        reconciliation=_reconciliation(s.get("reconciliation"))
        or Reconciliation(False, "not collected"),
        manufacturer_reconciliation=_reconciliation(s.get("manufacturer_reconciliation")),
        clock_observations=s.get("clock_observations") or [],
        events=s.get("events") or [],
        series=[ChannelSeries(**c) for c in s.get("series") or []],
        collections=s.get("collections") or [],
        traces=s.get("traces") or [],
        attachments=s.get("attachments") or [],
        audit_head=s.get("audit_head") or "",
        template_version=s.get("template") or "",
        generated_at=s.get("as_of") or datetime(1970, 1, 1, tzinfo=UTC),
        app_version=str(gen.get("app_version", "")),
        verdict=_verdict(overall, s.get("deviations") or []),
        records=s.get("records") or {},
        observed=s.get("observed") or [],
        started_at=s.get("started_at"),
        ended_at=s.get("ended_at"),
        app_build=str(gen.get("app_build", "")),
        simulated_evidence=bool(s.get("simulated")),
        meter_writes=s.get("meter_writes") or [],
    )


def evidence_mismatches(statement: dict) -> list[str]:
    """Steps whose evidence ids do not name the evidence their ``evidence_hashes`` say, by the
    statement's own lists of traces, collections and attachments (a hand-made statement)."""
    index = {
        "trace_ids": {t.get("id"): str(t.get("sha256", "")) for t in statement.get("traces") or []},
        "collection_ids": {
            c.get("id"): f"{c.get('uid', '')} rows {c.get('rows_sha256') or '-'}"
            for c in statement.get("collections") or []
        },
        "attachment_ids": {
            a.get("id"): str(a.get("sha256", "")) for a in statement.get("attachments") or []
        },
    }
    out = []
    runs = statement.get("runs") or []
    steps = [(f"runs[{n}].steps[{i}]", s) for n, r in enumerate(runs)
             for i, s in enumerate(r.get("steps") or [])]  # fmt: skip
    steps += [(f"steps[{i}]", s) for i, s in enumerate(statement.get("steps") or [])]
    for path, step in steps:
        ev = step.get("evidence") if isinstance(step.get("evidence"), dict) else {}
        want = {
            key: [index[key].get(i, f"unknown {key[:-4]} #{i}") for i in ev.get(key) or []]
            for key in index
            if ev.get(key)
        }
        if want != (step.get("evidence_hashes") or {}):
            out.append(f"{path} ({step.get('step_id')}): its evidence ids do not name the "
                       "evidence its hashes say")  # fmt: skip
    return out


# -- comparison ----------------------------------------------------------------------------------
@dataclass
class Difference:
    """One field that differs: ``path`` (``runs[0].steps[3].verdict``), both values."""

    path: str
    signed: Any
    database: Any
    #: "signed" or "database": the side whose statement does not have the field at all (a
    #: program that did not write it yet)
    missing: str = ""

    def text(self) -> str:
        signed, database = _short(self.signed), _short(self.database)
        if self.missing == "signed":
            signed = "nothing (its statement has no such field)"
        elif self.missing == "database":
            database = "nothing (this build does not derive that field)"
        return f"{self.path}: report says {signed}, database says {database}"

    def to_json(self) -> dict:
        return asdict(self)


def _short(value: Any, limit: int = 120) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


_MISSING = object()
#: Top-level keys never compared with the database: the page layout that drew the report.
_DRAWING_KEYS = frozenset({LAYOUT_KEY})


def _bench_simulator(statement: dict) -> bool:
    return bool(((statement.get("records") or {}).get("bench") or {}).get("simulator"))


#: Top-level keys later statements added whose value an older statement still states elsewhere:
#: key → that value, read from the older statement (compared with the database's as if signed).
IMPLIED: dict[str, Callable[[dict], Any]] = {
    # every page said SIMULATED when the bench record named the simulator
    "simulated": _bench_simulator,
}
#: ``#12`` in a text: a local row number (collection, trace, run…), renumbered by a bundle import.
_LOCAL_NUMBER = re.compile(r"#\d+")


def differences(signed: dict, database: dict, limit: int = 200) -> list[Difference]:
    """Field-by-field differences between two statements (local ids and the generator are not
    compared); at most ``limit``, most significant first: the overall result's status, the runs
    and their steps, the deviations, the session, everything else, then the result's reasons."""
    out: list[Difference] = []
    so, do = signed.get("overall") or {}, database.get("overall") or {}
    _diff(so.get("status", _MISSING), do.get("status", _MISSING), "overall.status", out, limit)
    first = ["runs", "steps", "deviations", "session"]
    rest = sorted(
        (set(signed) | set(database)) - set(first) - {"overall"} - LOCAL_KEYS - _DRAWING_KEYS
    )
    for key in [*first, *rest]:
        absent = ABSENT_MEANS.get(key, _MISSING)
        mine = signed.get(key, absent)
        if mine is _MISSING and key in IMPLIED:
            mine = IMPLIED[key](signed)
        _diff(mine, database.get(key, absent), key, out, limit)
    so = {k: v for k, v in so.items() if k != "status"}
    do = {k: v for k, v in do.items() if k != "status"}
    _diff(so, do, "overall", out, limit)
    return out


def _diff(a: Any, b: Any, path: str, out: list[Difference], limit: int) -> None:
    if len(out) >= limit:
        return
    if (a is _MISSING and _empty(b)) or (b is _MISSING and _empty(a)):
        return  # a key one side's program did not write yet, with nothing in it on the other
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k in LOCAL_KEYS:
                continue
            _diff(a.get(k, _MISSING), b.get(k, _MISSING), f"{path}.{k}", out, limit)
        return
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b) and _all_scalars(a, b):
            out.append(Difference(path, a, b))
            return
        if len(a) != len(b):
            out.append(Difference(f"{path} (count)", len(a), len(b)))
        for i in range(min(len(a), len(b))):
            _diff(a[i], b[i], f"{path}[{i}]", out, limit)
        return
    if isinstance(a, str) and isinstance(b, str) and _LOCAL_NUMBER.sub("#", a) == \
            _LOCAL_NUMBER.sub("#", b):
        return
    if a != b or type(a) is not type(b):
        missing = "signed" if a is _MISSING else "database" if b is _MISSING else ""
        out.append(Difference(path, None if a is _MISSING else a, None if b is _MISSING else b,
                              missing))  # fmt: skip


def _empty(value: Any) -> bool:
    """None, false, or an empty text, list or mapping (a number is data, even 0)."""
    return value is None or (type(value) in (bool, str, list, dict) and not value)


def _all_scalars(a: list, b: list) -> bool:
    return all(not isinstance(v, (dict, list)) for v in (*a, *b))
