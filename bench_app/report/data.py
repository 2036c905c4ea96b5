"""Everything a witness report shows, gathered from the Store into one plain object.

:func:`collect_report_data` is the only function here that talks to the Store; the renderer
(:mod:`bench_app.report.render`) takes a :class:`ReportData` and nothing else, so reports can be
rendered from synthetic data in tests and benchmarks.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench_app import __version__
from bench_app.checklist.template import find_template
from bench_app.checklist.verdict import Facts, OverallResult, judge, overall_result
from bench_app.equipment.checks import check_session, meter_identity
from bench_app.errors import BenchError, TemplateError
from bench_app.meter_writes import meter_writes
from bench_app.outcomes import Verdict
from bench_app.reconcile import main_bench_collection, reference_comparison
from bench_app.settlement import parse_utc_or_none
from bench_app.store.reader import SessionReader
from bench_app.store.records import is_simulator_session


@dataclass
class StepRow:
    """One checklist step as the results table shows it (latest attempt)."""

    step_id: str
    objective: str = ""
    method: str = ""
    expected: str = ""
    actual: str = ""
    verdict: str = Verdict.NOT_RUN  #: a :class:`~bench_app.outcomes.Verdict`
    note: str = ""
    attempt: int = 1
    by: str = ""
    title: str = ""
    reason: str = ""  #: why not run / n/a
    proposed: str = ""  #: the bench's automatic verdict, when a person overrode it
    evidence: dict = field(default_factory=dict)  #: ids of traces, collections, events, clock


@dataclass
class ChannelSeries:
    """Interval values of one channel for the profile charts.

    :param times: interval start times, POSIX seconds UTC, ascending.
    :param values: one value per interval in ``unit`` (kWh / kvarh per period).
    :param status: :class:`drivers.model.StatusFlag` bits per interval (non-zero = flagged).
    """

    obis: str
    unit: str
    times: list[float]
    values: list[float]
    status: list[int]
    source: str = "bench"
    collection_id: int | None = None


@dataclass
class Reconciliation:
    """Reconciliation of the bench collection against the HHDC collection.

    ``performed`` is False (and ``note`` says why) when the session has no HHDC collection or
    the reconciliation module is not available; ``summary`` is label → value, ``discrepancies``
    a list of flat dicts with the same keys.
    """

    performed: bool
    note: str = ""
    summary: dict[str, Any] = field(default_factory=dict)
    discrepancies: list[dict[str, Any]] = field(default_factory=list)
    bench_collection: int | None = None
    hhdc_collection: int | None = None  #: the export's collection (A), whichever its source
    source: str = "hhdc"  #: the export compared with the bench: ``hhdc`` or ``manufacturer``


@dataclass
class ReportData:
    """Everything the report shows. Datetimes are aware UTC; hashes are lowercase hex SHA-256."""

    session: dict[str, Any]
    participants: list[dict[str, Any]] = field(default_factory=list)
    equipment: dict[str, Any] | None = None
    software: dict[str, Any] | None = None
    meter_identity: dict[str, Any] | None = None
    #: :func:`bench_app.equipment.check_session` findings as dicts (code, severity, message,
    #: source, component, declared, read) — see :mod:`bench_app.equipment.checks`.
    equipment_findings: list[dict[str, Any]] = field(default_factory=list)
    #: :meth:`bench_app.store.Store.incomplete_collections`: reads that stopped early,
    #: each with ``reason`` and ``span``
    incomplete: list[dict[str, Any]] = field(default_factory=list)
    checklist: dict[str, Any] | None = None  #: latest current run: template, version, status…
    #: the steps of every current run, in run order (the results tables)
    steps: list[StepRow] = field(default_factory=list)
    #: every checklist run of the session (the run as the store gives it, plus ``steps``: its
    #: StepRows, and ``current``: False when superseded, shown as run history with the reason)
    runs: list[dict[str, Any]] = field(default_factory=list)
    #: each template the runs used: name, the version each run recorded, and the SHA-256 of the
    #: template file the step descriptions were read from ("" when the file is gone)
    templates: list[dict[str, Any]] = field(default_factory=list)
    reconciliation: Reconciliation = field(
        default_factory=lambda: Reconciliation(False, "not collected")
    )
    #: the manufacturer-software export against the bench (the overall result counts it too);
    #: None for synthetic data
    manufacturer_reconciliation: Reconciliation | None = None
    clock_observations: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    series: list[ChannelSeries] = field(default_factory=list)
    collections: list[dict[str, Any]] = field(default_factory=list)
    traces: list[dict[str, Any]] = field(default_factory=list)
    #: observed HHDC ↔ meter traces with their exchanges (:mod:`bench_app.report.observed`)
    observed: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    audit_head: str = ""
    template_version: str = ""
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    app_version: str = __version__
    #: :func:`bench_app.checklist.verdict.overall_result` — the one overall result (synthetic
    #: data builds it with :func:`~bench_app.checklist.verdict.judge`, the same rule); the
    #: default is the rule applied to a session without a checklist run.
    verdict: OverallResult = field(default_factory=lambda: judge(Facts(None)))
    #: session records (migration 6): bench, test_equipment, time_source, cop_issues.
    records: dict[str, Any] = field(default_factory=dict)
    started_at: datetime | None = None  #: first audit record of the session
    ended_at: datetime | None = None  #: newest audit record of the session
    app_build: str = ""
    #: some evidence of the session came from a simulated outstation
    #: (:func:`bench_app.store.records.is_simulator_session`)
    simulated_evidence: bool = False
    #: writes to the meter outside a checklist step (:func:`bench_app.meter_writes.meter_writes`)
    meter_writes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def simulator(self) -> bool:
        """True when any evidence of the session came from a simulated outstation (whatever
        the newest bench record says)."""
        return self.simulated_evidence or bool((self.records.get("bench") or {}).get("simulator"))

    @property
    def document_number(self) -> str:
        """``WB-<reference>-<session uid 8>-<audit head 8>``: changes with every new evidence."""
        ref = str(self.session.get("reference", "")) or f"S{self.session.get('id', '')}"
        uid = str(self.session.get("uid", ""))[:8] or "00000000"
        return f"WB-{ref}-{uid}-{(self.audit_head or '0' * 8)[:8]}"

    @property
    def overall(self) -> str:
        """The overall result: :attr:`verdict`'s status (PASS / FAIL / INCOMPLETE)."""
        return str(self.verdict.status)

    @property
    def deviations(self) -> list[dict[str, str]]:
        """The one list of deviations (kind, reference, step_id, text): the overall result's
        :attr:`~bench_app.checklist.verdict.OverallResult.deviations`, which include
        :func:`bench_app.equipment.deviations.session_deviations`."""
        return [dev.to_json() for dev in self.verdict.deviations]

    @property
    def firmware_mismatches(self) -> list[tuple[str, str, str]]:
        """``(component, declared, read)`` where the meter's firmware differs from the declared."""
        declared = (self.equipment or {}).get("firmware") or {}
        read = (self.meter_identity or {}).get("firmware") or {}
        out = []
        for comp in sorted(set(declared) & set(read)):
            if str(declared[comp]).strip() != str(read[comp]).strip():
                out.append((comp, str(declared[comp]), str(read[comp])))
        return out

    @property
    def hhdc(self) -> dict[str, str]:
        """HHDC name and MPID from the software record, else from an ``hhdc`` participant."""
        sw = self.software or {}
        name, mpid = sw.get("hhdc_name", ""), sw.get("hhdc_mpid", "")
        for p in self.participants:
            if p.get("role") == "hhdc":
                name = name or p.get("organisation") or p.get("name", "")
                mpid = mpid or p.get("mpid") or ""
        return {"name": name or "", "mpid": mpid or ""}


def _flat(obj: Any) -> dict[str, Any]:
    """A discrepancy or summary object as a flat dict (dataclass, namedtuple, mapping, object)."""
    if isinstance(obj, dict):
        return dict(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if hasattr(obj, "_asdict"):
        return dict(obj._asdict())
    if hasattr(obj, "__dict__"):
        return {k: v for k, v in vars(obj).items() if not k.startswith("_")}
    return {"value": obj}




def _step_catalogue(template: str, store=None, session_id: int | None = None
                    ) -> dict[str, dict[str, str]]:  # fmt: skip
    """Objective/method/expected per step id from the checklist template (empty if it is gone),
    with the session's figures from the limits table."""
    try:
        tpl = find_template(template)
        if store is not None and session_id is not None:
            from bench_app.limits import session_limits

            tpl = tpl.resolved(session_limits(store, session_id))
    except TemplateError:  # a missing template only loses the descriptive columns
        return {}
    return {
        step.id: {"objective": step.objective, "method": step.method, "expected": step.expected}
        for step in tpl.steps
    }


#: How the report names each export.
SOURCE_TEXT = {"hhdc": "HHDC", "manufacturer": "manufacturer-software"}


def _compare(store: SessionReader, session_id: int, source: str) -> Any:
    """:func:`reference_comparison` of ``source``, or the :class:`BenchError` it raised."""
    try:
        return reference_comparison(store, session_id, source)
    except BenchError as exc:
        return exc


def _reconcile(
    store: SessionReader, session_id: int, source: str = "hhdc", result: Any = None
) -> Reconciliation:
    """The ``source`` export (A) against the bench read that covers it, over the export's span
    (``result``: the comparison already made, else it is made here)."""
    name = SOURCE_TEXT.get(source, source)
    if result is None:
        result = _compare(store, session_id, source)
    if isinstance(result, BenchError):
        return Reconciliation(False, f"Not performed: {result}", source=source)
    if result is None:
        sources = {c["source"] for c in store.collections(session_id) if c["rows"]}
        missing = f"{name} collection" if source not in sources else "bench read covering it"
        return Reconciliation(False, f"Not performed: the session has no {missing}.",
                              source=source)  # fmt: skip
    short = "HHDC" if source == "hhdc" else "manufacturer"
    side = {"a": f"{short} (A)", "b": "bench (B)"}
    side_value = {"a": short, "b": "bench"}
    summary = {side.get(k, k): v for k, v in _flat(result.summary()).items()}
    discrepancies = [
        {side_value.get(k, k): v for k, v in _flat(d).items()} for d in result.discrepancies
    ]
    return Reconciliation(
        True,
        f"{name[0].upper() + name[1:]} collection #{result.collection_a} against bench "
        f"collection #{result.collection_b}, over the {result.days} settlement day(s) the "
        f"{name} export covers.",
        summary,
        discrepancies,
        result.collection_b,
        result.collection_a,
        source,
    )


def _series(store: SessionReader, collection: dict | None) -> list[ChannelSeries]:
    if collection is None:
        return []
    rows: Sequence[tuple[float, str, float, str | None, int]]
    if hasattr(store, "readings_raw"):  # fast path: (epoch s, channel, value, unit, status)
        rows = store.readings_raw(collection["id"])
    else:
        rows = [
            (r.start.timestamp(), r.channel, r.value, r.unit, r.status)
            for r in store.readings(collection["id"])
        ]
    by_channel: dict[str, ChannelSeries] = {}
    for start, channel, value, unit, status in rows:
        s = by_channel.get(channel)
        if s is None:
            s = ChannelSeries(
                channel, unit or "", [], [], [], collection.get("source", ""), collection["id"]
            )
            by_channel[channel] = s
        s.times.append(float(start))
        s.values.append(float(value))
        s.status.append(int(status or 0))
    return list(by_channel.values())


def _equipment_findings(
    store: SessionReader, session_id: int, identity: dict | None
) -> list[dict]:
    """Equipment-register findings for the session (meter vs application, certificates); a
    locked session's as recorded when it locked (:mod:`bench_app.equipment.snapshot`)."""
    from bench_app.equipment import snapshot

    frozen = snapshot.stored(store, session_id)
    if frozen is not None:
        return list(frozen.get("findings") or [])
    try:
        return [f.to_json() for f in check_session(store, session_id, identity=identity)]
    except BenchError as exc:
        return [{"code": "check-failed", "severity": "info", "source": "register",
                 "message": f"equipment checks not run: {exc}"}]  # fmt: skip


def collect_report_data(store: SessionReader, session_id: int) -> ReportData:
    """Read everything the report needs for ``session_id`` from ``store``.

    :raises bench_app.errors.NotFoundError: (from the Store) when the session does not exist.
    """
    session = store.get_session(session_id)
    collections = store.collections(session_id)
    bench_cols = sorted(
        (c for c in collections if c.get("source") == "bench"), key=lambda c: c["id"]
    )
    identity = None
    for col in reversed(bench_cols):
        meta = col.get("meta") or {}
        if isinstance(meta, dict) and meta.get("identity"):
            identity = meta["identity"]
            break
    main_bench = main_bench_collection(store, session_id)
    if identity is None:  # read by a checklist step (EQ-1, CC-01) rather than a bench read
        identity = meter_identity(store, session_id)
    chart_col = next((c for c in bench_cols if c["id"] == main_bench), None)

    compared = {src: _compare(store, session_id, src) for src in ("hhdc", "manufacturer")}
    done = [(src, r) for src, r in compared.items()
            if r is not None and not isinstance(r, BenchError)]  # fmt: skip
    verdict = overall_result(store, session_id, reconciliations=done)
    run = (
        next((r.run for r in verdict.runs if r.run["id"] == verdict.run_id), None)
        if verdict.run_id is not None
        else None
    )
    template_version = ""
    if run is not None:
        names = list(dict.fromkeys(
            f"{r.run.get('template', '')} {r.run.get('template_version', '')}".strip()
            for r in verdict.runs if r.current
        ))  # fmt: skip
        template_version = " + ".join(names)
    runs: list[dict[str, Any]] = []
    steps: list[StepRow] = []
    for result in verdict.runs:
        rows = _step_rows(result.steps, result.run, store, session_id)
        runs.append({**result.run, "current": result.current, "steps": rows})
        if result.current:
            steps += rows
    first, last = store.conn.execute(
        "SELECT min(at), max(at) FROM audit WHERE session_id = ?", (session_id,)
    ).fetchone()
    records = store.session_records(session_id) if hasattr(store, "session_records") else {}
    simulated = hasattr(store, "session_records") and is_simulator_session(store, session_id)
    writes = meter_writes(store, session_id)

    findings = _equipment_findings(store, session_id, identity)
    return ReportData(
        incomplete=store.incomplete_collections(session_id),
        session=session,
        participants=store.participants(session_id),
        equipment=store.equipment(session_id),
        software=store.software(session_id),
        meter_identity=identity,
        equipment_findings=findings,
        checklist=run,
        steps=steps,
        runs=runs,
        templates=_templates(runs),
        reconciliation=_reconcile(store, session_id, "hhdc", compared["hhdc"]),
        manufacturer_reconciliation=_reconcile(
            store, session_id, "manufacturer", compared["manufacturer"]
        ),
        clock_observations=store.clock_observations(session_id),
        events=store.events(session_id),
        series=_series(store, chart_col),
        collections=[_with_rows_hash(store, c) for c in collections],
        traces=_traces_with_findings(store, session_id),
        observed=_observed(store, session_id),
        attachments=store.attachments(session_id),
        audit_head=store.audit_head(session_id),
        template_version=template_version,
        generated_at=_when(last) or datetime(1970, 1, 1, tzinfo=UTC),
        verdict=verdict,
        records=records,
        started_at=_when(first),
        ended_at=_when(last),
        app_build=_build(),
        simulated_evidence=simulated,
        meter_writes=writes,
    )


def _templates(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Name, recorded versions and file SHA-256 of each template the runs used."""
    out: dict[str, dict[str, Any]] = {}
    for run in runs:
        name = str(run.get("template", ""))
        entry = out.setdefault(name, {"name": name, "versions": [], "sha256": ""})
        if run.get("template_version") not in entry["versions"]:
            entry["versions"].append(run.get("template_version"))
    for name, entry in out.items():
        try:
            source = find_template(name).source
            entry["sha256"] = hashlib.sha256(Path(source).read_bytes()).hexdigest()
        except (TemplateError, OSError):
            pass
    return list(out.values())


def _step_rows(results: list, run: dict, store: SessionReader | None = None,
               session_id: int | None = None) -> list[StepRow]:  # fmt: skip
    """StepRows of one run: every template step, attempted or not. Objective, method and
    expected are those frozen with the run when it started (the template as run, figures
    included); a run from before runs froze their template takes them from the template file."""
    frozen = run.get("frozen")
    catalogue = (
        {s["id"]: {k: s.get(k, "") for k in ("objective", "method", "expected")}
         for s in frozen.get("steps") or []}
        if frozen else _step_catalogue(run.get("template", ""), store, session_id)
    )  # fmt: skip
    rows = []
    for res in results:
        info = catalogue.get(res.step_id, {})
        rows.append(
            StepRow(
                step_id=res.step_id,
                objective=info.get("objective", ""),
                method=info.get("method", ""),
                expected=info.get("expected", ""),
                actual=res.actual or (f"not run: {res.reason}" if res.reason else ""),
                verdict=res.verdict,
                attempt=res.attempt,
                by=res.by,
                title=res.title,
                reason=res.reason,
                proposed=res.proposed if res.proposed != res.verdict else "",
                evidence=res.evidence,
            )
        )
    return rows


def _traces_with_findings(store: SessionReader, session_id: int) -> list[dict[str, Any]]:
    """The session's traces, each with ``bad`` (frames with a wrong checksum or undecodable)
    and ``refused`` (NAK, rejected association, access denied) counted by the dissector."""
    from drivers.dissect import dissect_trace

    out = []
    for t in store.traces(session_id):
        levels = [d.level for d in dissect_trace(store.load_trace(t["id"]))]
        out.append({**t, "bad": levels.count("bad"), "refused": levels.count("refused")})
    return out


def _observed(store: SessionReader, session_id: int) -> list[dict[str, Any]]:
    """Observed HHDC ↔ meter traces with their decoded exchanges."""
    from bench_app.report.observed import collect

    return collect(store, session_id)


def _with_rows_hash(store: SessionReader, col: dict) -> dict:
    """The collection with ``rows_sha256`` (SHA-256 of its readings, one ``start,channel,value,
    unit,status`` line each in start/channel order) and ``span`` (first – last interval start)."""
    out = dict(col)
    if not col.get("rows"):
        return out
    digest = hashlib.sha256()
    rows = store.readings_raw(col["id"])
    for start, channel, value, unit, status in rows:
        digest.update(f"{start},{channel},{value!r},{unit or ''},{int(status or 0)}\n".encode())
    out["rows_sha256"] = digest.hexdigest()
    if rows:
        out["span"] = (
            datetime.fromtimestamp(rows[0][0], UTC),
            datetime.fromtimestamp(rows[-1][0], UTC),
        )
    return out


def _when(text: str | None) -> datetime | None:
    """An audit timestamp (ISO text) as an aware UTC datetime; None when absent or unreadable."""
    return parse_utc_or_none(text)


def _build() -> str:
    """Build of this copy: ``frozen`` bundle or ``source`` checkout (with the git head if any)."""
    import sys

    return "frozen bundle" if getattr(sys, "frozen", False) else "source install"
