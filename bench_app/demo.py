"""The demo story: a whole witnessed protocol test against the built-in simulated outstation.

:func:`run_demo` starts a simulated DLMS (or IEC 62056-21) outstation, creates a session with its
participants, equipment and software, reads the meter into the session, writes and imports a
manufacturer-software export of the last days (what the vendor tool would have collected), then
runs the **witnessed** BSCP601 script: a simulated HHDC's system (its own password, optional
defect switches) collects and sets the clock through the bench's observer, step by step, its
exports imported for each step; each step is judged on the HHDC's evidence with the bench's own
read as the reference (the simulator's bench control pulls phases, cuts the supply… in simulated
time). It writes the report, signs it as tester and as witness with demo keys, and verifies it.

Everything goes to one output folder: ``demo.db`` (the session), ``hhdc-exports/`` (the simulated
HHDC's export of each step), ``manufacturer-export.csv``, ``keys/`` (demo keys; the passphrase is
:data:`DEMO_PASSPHRASE` and is for the demo only; ``keys/demo-trust.pem`` holds both demo
certificates) and ``witness-report.pdf``. The steps are logged numbered once each, detail lines
wrapped (never cut).
"""

from __future__ import annotations

import csv
import io
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from bench_app.acquire import read_into_session
from bench_app.checklist import ChecklistEngine, find_template
from bench_app.checklist.simtime import secs
from bench_app.checklist.verdict import overall_result
from bench_app.compare_basis import export_span
from bench_app.importers import import_csv
from bench_app.paths import private_dir
from bench_app.reconcile import reconcile
from bench_app.settlement import period_number, settlement_day
from bench_app.signing.keys import new_self_signed
from bench_app.signing.sign import load_signer
from bench_app.signing.verify import verify_report
from bench_app.signing.workflow import write_report
from bench_app.store import Reading, Store
from drivers.meter import ConnectOptions, create_meter
from drivers.sim import start_simulator
from drivers.trace import Trace

DEMO_PASSPHRASE = b"witness-bench-demo"
#: File in ``keys/`` holding both demo certificates (the ``--trust`` of the printed verify command).
TRUST_FILE = "demo-trust.pem"
TEMPLATE = "bscp601-witnessed-cop1-2-3-5-10"
#: The meter-side rehearsal script (the bench collecting from the meter itself).
REHEARSAL_TEMPLATE = "bscp601-protocol-cop1-2-3-5-10"
#: Days of HH data the HHDC and manufacturer exports cover: the BSCP601 set-up minimum (20).
REFERENCE_DAYS = 20
MPAN = "1200098765432"
TESTER = ("Alex Tester", "Demo Meter Test Laboratory")
WITNESS = ("Sam Witness", "Elexon (demo)")

Log = Callable[[str], None]


@dataclass
class DemoResult:
    """Where the demo put things and what it found."""

    out_dir: Path
    db_path: Path
    session_id: int
    report_path: Path
    verify_code: int
    verdicts: dict[str, int] = field(default_factory=dict)
    certificates: list[Path] = field(default_factory=list)
    seconds: float = 0.0
    overall: str = ""  #: :func:`bench_app.checklist.verdict.overall_result` status
    trust_file: Path | None = None
    files: dict[str, Path] = field(default_factory=dict)

    def verify_command(self) -> list[str]:
        """The ``bench-app verify`` arguments that reproduce the demo's own verification."""
        cmd = ["verify", str(self.report_path.resolve())]
        if self.trust_file is not None:
            cmd += ["--trust", str(self.trust_file.resolve())]
        return [*cmd, "--db", str(self.db_path.resolve())]


def _export_rows(readings: list[Reading], days: int) -> list[Reading]:
    """Readings of the last ``days`` complete settlement days."""
    by_day: dict = {}
    for r in readings:
        by_day.setdefault(settlement_day(r.start), []).append(r)
    complete = sorted(by_day)[1:-1]  # the first and the newest day may be partial
    keep = set(complete[-days:])
    return [r for r in readings if settlement_day(r.start) in keep]


def write_interval_export(rows: list[Reading], serial: str, path: Path) -> Path:
    """HHDC-style export in the ``generic-interval`` mapping's layout (one line a period)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["MPAN", "Serial", "Date", "SP", "Channel", "Value", "Unit", "Flag"])
    for r in rows:
        day = settlement_day(r.start)
        w.writerow(
            [
                MPAN,
                serial,
                day.isoformat(),
                period_number(r.start),
                r.channel,
                f"{r.value:.3f}",
                r.unit,
                r.status,
            ]
        )
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def write_per_day_export(rows: list[Reading], serial: str, path: Path) -> Path:
    """Manufacturer-software-style export in the ``per-day-columns`` layout (46/48/50 columns)."""
    days: dict = {}
    for r in rows:
        key = (settlement_day(r.start), r.channel, r.unit)
        days.setdefault(key, {})[period_number(r.start)] = r
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        ["MPAN", "Serial", "Date", "Channel", "Unit"]
        + [f"SP{n}" for n in range(1, 51)]
        + [f"F{n}" for n in range(1, 51)]
    )
    for (day, channel, unit), periods in sorted(days.items()):
        values = [f"{periods[n].value:.3f}" if n in periods else "" for n in range(1, 51)]
        flags = [str(periods[n].status) if n in periods else "" for n in range(1, 51)]
        w.writerow([MPAN, serial, day.isoformat(), channel, unit] + values + flags)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def import_reference_exports(
    store: Store,
    sid: int,
    bench_collection: int,
    serial: str,
    out: Path,
    days: int = 0,
    sources: tuple[str, ...] = ("hhdc", "manufacturer"),
):
    """Write what the HHDC system and the manufacturer's software would have collected (the last
    ``days`` whole days of ``bench_collection``; default :data:`REFERENCE_DAYS`, the BSCP601 set-up
    minimum) as their CSV exports in ``out`` and import those of ``sources``; returns the two
    import results (None for a source not imported)."""
    recent = _export_rows(store.readings(bench_collection), days or REFERENCE_DAYS)
    hh = mf = None
    if "hhdc" in sources:
        hhdc_csv = write_interval_export(recent, serial, out / "hhdc-export.csv")
        hh = import_csv(store, sid, hhdc_csv, source="hhdc", mapping="generic-interval")
    if "manufacturer" in sources:
        man_csv = write_per_day_export(recent, serial, out / "manufacturer-export.csv")
        mf = import_csv(store, sid, man_csv, source="manufacturer", mapping="per-day-columns")
    return hh, mf


def _fresh(out_dir: Path) -> Path:
    private_dir(out_dir)
    db = out_dir / "demo.db"
    for name in ("demo.db", "demo.db-wal", "demo.db-shm", "witness-report.pdf"):
        (out_dir / name).unlink(missing_ok=True)
    return db


@dataclass(frozen=True)
class HhdcSetup:
    """The simulated HHDC's system of the demo: where it dials (the meter, through the bench's
    observer), its standing data, where it writes its exports and its defect switches."""

    meter_url: str
    protocol: str
    password: str
    client_sap: int
    out_dir: Path
    defects: tuple[str, ...] = ()


def run_demo(
    out_dir: str | Path, *, protocol: str = "dlms", days: int = 90, log: Log = print,
    hhdc_defects: tuple[str, ...] | list[str] = (),
) -> DemoResult:
    """Run the whole story; returns where everything is. Raises typed errors on failure.

    :param hhdc_defects: switch on defects of the simulated HHDC's system
        (:data:`drivers.sim.hhdc.HHDC_DEFECTS`): the witness's steps must catch them.
    """
    t0 = time.monotonic()
    out = Path(out_dir)
    db_path = _fresh(out)
    with start_simulator(protocol, "tcp://127.0.0.1:0", days=days, seed=1) as sim:
        desc = sim.meter.description
        level2 = next(a for a in desc.associations if a.level == 2)
        password = level2.password if protocol == "dlms" else desc.iec_password
        log(f"1. simulated {protocol} outstation {desc.serial} ({desc.model}) on {sim.url}")
        base = ConnectOptions(url=sim.url, password=password, client_sap=level2.sap)
        store = Store.open(db_path)
        try:
            sid = _create_session(store, desc, protocol)
            store.set_session_record(
                sid,
                "bench",
                {"simulator": True, "meter": desc.name, "port": sim.url, "protocol": protocol},
            )
            log(f"2. session {sid} created in {db_path}")
            meter = create_meter(protocol, replace(base))
            meter.connect()
            try:
                got = read_into_session(store, sid, meter, label="demo: initial read")
            finally:
                meter.close()
            p = got.reading.profile
            days_read = len({r.start.date() for r in p.rows}) if p else 0
            log(
                f"3. read {desc.serial}: {days_read} days of profile, "
                f"{len(p.rows) if p else 0} intervals × "
                f"{len(p.channels) if p else 0} channels, clock deviation "
                f"{secs(got.reading.clock.deviation_s) if got.reading.clock else '—'} s, "
                f"{len(got.reading.events)} events "
                f"(collection {got.collection_id})"
            )
            _, mf = import_reference_exports(store, sid, got.collection_id, desc.serial, out,
                                             sources=("manufacturer",))  # fmt: skip
            # a sample HHDC export for meter-side rehearsals (docs/user-guide.md), made from
            # the bench read: written, never imported — the HHDC's evidence here is its own
            write_interval_export(_export_rows(store.readings(got.collection_id), REFERENCE_DAYS),
                                  desc.serial, out / "hhdc-export.csv")  # fmt: skip
            log(
                f"4. imported the manufacturer-software export ({mf.rows} readings) of the last "
                f"{REFERENCE_DAYS} days (the HHDC's exports come from its own collections, "
                "step by step)"
            )
            for name, cid in (("manufacturer", mf.collection_id),):
                span = export_span(store, cid) if cid is not None else None
                if cid is None or span is None:  # an export with no readings has no collection
                    continue
                res = reconcile(store, cid, got.collection_id, start=span[0], end=span[1])
                log(
                    f"   reconcile {name} vs bench over {res.span_text}: {res.verdict}, "
                    f"{res.compared} period values compared, {res.matched} identical, "
                    f"{len(res.discrepancies)} discrepancies"
                )
            hhdc = HhdcSetup(sim.url, protocol, password, level2.sap, out / "hhdc-exports",
                             tuple(hhdc_defects))  # fmt: skip
            verdicts = _run_checklist(store, sid, protocol, base, sim.control, password, log,
                                      hhdc)  # fmt: skip
            overall = overall_result(store, sid)
            log(f"   overall result: {overall.status}")
            for reason in overall.reasons:
                log(f"     - {reason}")
            certs, report = _report(store, sid, out, log)
        finally:
            store.close()
    trust = out / "keys" / TRUST_FILE
    trust.write_text("".join(c.read_text(encoding="ascii") for c in certs), encoding="ascii")
    log(f"8. verifying the signed report against both demo certificates ({trust}):")
    code = verify_report(report, trust=[trust], db_path=db_path)
    result = DemoResult(out, db_path, sid, report, code, verdicts, certs, trust_file=trust)
    result.files = {
        "session database": db_path,
        "HHDC exports (one per step)": out / "hhdc-exports",
        "sample HHDC export for rehearsals (not imported)": out / "hhdc-export.csv",
        "manufacturer export": out / "manufacturer-export.csv",
        "signing keys (PKCS#12) and certificates": out / "keys",
        "trust file (both certificates)": trust,
        "signed report": report,
    }
    result.seconds = time.monotonic() - t0
    result.overall = overall.status
    return result


def _create_session(store: Store, desc, protocol: str) -> int:
    sid = store.create_session(
        "BSCP601-DEMO-0001",
        "protocol-approval",
        cops=["1", "2", "3", "5", "10"],
        location="Witness Bench simulated test bench",
        title=f"Protocol approval demo: {desc.model}",
    )
    store.add_participant(sid, TESTER[0], TESTER[1], role="tester")
    store.add_participant(sid, WITNESS[0], WITNESS[1], role="witness")
    store.add_participant(sid, "Demo Data Collection Ltd", "HHDC", role="hhdc", mpid="UKDC")
    store.add_participant(sid, "Demo Applicant", desc.manufacturer, role="manufacturer")
    store.set_equipment(
        sid,
        outstation_type=desc.outstation_type,
        model=desc.model,
        serials=[desc.serial],
        firmware=dict(desc.firmware),
        hardware_version=desc.hardware_version,
        channels=len(desc.channels),
        channel_types=", ".join(c.name for c in desc.channels),
        comms_method="RS232 DLMS/COSEM over HDLC" if protocol == "dlms" else "optical IEC 62056-21",
    )
    # the issues the published Prometer 100 approval cites (domain reference, "Approval records")
    store.set_session_record(
        sid, "cop_issues", {"issues": {"1": "2", "2": "4", "3": "5", "5": "6", "10": "2"}}
    )
    store.set_session_record(
        sid, "test_equipment", {"items": ["none: the built-in simulator over TCP (no probe)"]}
    )
    from bench_app.test_record import merged

    store.set_session_record(sid, "test_record", merged({}, {
        "application_reference": "BSCP601-DEMO-0001", "applicant": "Demo Applicant",
        "pta_role": "HHDC", "pta_testers": ["Demo HHDC operator"],
        "protocols": ["DLMS/COSEM over HDLC (IEC 62056-46, -53, -61, -62)" if protocol == "dlms"
                      else "IEC 62056-21 mode C"],
        "approval_roles": ["sva-hhdc"],
        "script_reference": "BSCP601 protocol test script (Elexon sample), CoPs 1, 2, 3, 5, 10",
        "script_version": "demo 1.0",
        "departures": ["the outstation and the HHDC's system are simulated (demo only)"],
    }))  # fmt: skip
    store.set_session_record(
        sid, "time_source",
        {"source": "this PC's clock (UTC); simulated time advanced by bench control"},
    )  # fmt: skip
    store.set_software(
        sid,
        hhdc_name="Demo Data Collection Ltd",
        hhdc_mpid="UKDC",
        hhdc_software="CollectorSuite (demo)",
        hhdc_version="4.2.0",
        hhdc_date="2026-09-01",
        hhdc_host="hhdc-demo-01",
        hhdc_modules="comms, validation, D0036 export",
        manufacturer_software="Vendor reading tool (demo)",
        manufacturer_version="3.1.0",
    )
    return sid


def _run_checklist(store, sid, protocol, base, control, password, log: Log,
                   hhdc: HhdcSetup) -> dict[str, int]:  # fmt: skip
    from bench_app.simulated_hhdc import ObservedSimHhdc

    def factory(**overrides):  # a fresh trace per connection: each step stores only its bytes
        return create_meter(protocol, replace(base, trace=Trace(), **overrides))

    engine = ChecklistEngine(
        store,
        sid,
        find_template(TEMPLATE),
        factory,
        control,
        protocol=protocol,
        password=password,
        by=TESTER[0],
    )
    engine.hhdc = ObservedSimHhdc(
        store, sid, hhdc.meter_url, protocol=hhdc.protocol, password=hhdc.password,
        client_sap=hhdc.client_sap, out_dir=hhdc.out_dir, defects=hhdc.defects,
        clock=engine.now, mpan=MPAN,
    )  # fmt: skip
    defects = f" with defect(s) {', '.join(hhdc.defects)}" if hhdc.defects else ""
    log(f"5. running the witnessed checklist {TEMPLATE}: the simulated HHDC's system{defects} "
        "collects and sets the clock through the bench's observer, the bench reads the meter as "
        "the reference (bench control does the stimuli, in simulated time)")
    verdicts: dict[str, int] = {}
    for outcome in engine.run_all():
        verdicts[outcome.verdict] = verdicts.get(outcome.verdict, 0) + 1
        head = f"   {outcome.step_id:<8} {outcome.verdict:<8} "
        lines = textwrap.wrap(outcome.actual, 96 - len(head), break_on_hyphens=False) or [""]
        log(head + lines[0])
        for more in lines[1:]:
            log(" " * len(head) + more)
    missing = engine.steps_not_run()  # a short demo cannot run DR1-1 (it needs 20 days)
    engine.confirm("tester", TESTER[0], accept_incomplete=bool(missing))
    engine.confirm("witness", WITNESS[0], accept_incomplete=bool(missing))
    log("   run confirmed by tester and witness"
        + (f" (accepted with steps not run: {', '.join(missing)})" if missing else ""))
    return verdicts


def _report(store: Store, sid: int, out: Path, log: Log) -> tuple[list[Path], Path]:
    keys = out / "keys"
    private_dir(keys)
    certs = []
    signers = []
    for (name, org), role in ((TESTER, "tester"), (WITNESS, "witness")):
        for old in keys.glob(f"*{role}*"):
            old.unlink()
        p12, cert = new_self_signed(name, org, role, keys, passphrase=DEMO_PASSPHRASE)
        certs.append(cert)
        signers.append((role, load_signer(p12, DEMO_PASSPHRASE)))
    log(
        f"6. demo signing keys in {keys} — passphrase "
        f"'{DEMO_PASSPHRASE.decode()}' (for the demo only)"
    )
    report = out / "witness-report.pdf"
    log(f"7. witness report {report}")
    for role, signer in signers:
        done = write_report(
            store, sid, report, signer=signer, role=role, trust=[str(c) for c in certs]
        )
        log(f"   {'written and ' if done.rendered else ''}signed as {role}")
    return certs, report
