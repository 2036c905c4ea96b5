"""Synthetic :class:`ReportData` for tests, benchmarks and layout checks (no Store needed).

:func:`synthetic_report_data` builds a session of ``days`` × 48 half-hours on ``channels``
channels with flagged periods, a discrepancy table and, optionally, very long names that must wrap.
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime, timedelta

from bench_app.checklist.verdict import Facts, StepVerdict, judge
from bench_app.report.data import ChannelSeries, Reconciliation, ReportData, StepRow

_LONG = (
    "Northern Outstation Verification and Half-Hourly Settlement Assurance Laboratory "
    "Consortium Limited (Testing Division), Building 7, Unit 12b"
)


def _h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def synthetic_report_data(
    days: int = 90,
    channels: int = 4,
    discrepancies: int = 50,
    long_names: bool = True,
    session_id: int = 1,
) -> ReportData:
    """A complete, plausible ReportData (90 days × 4 channels by default)."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    n = days * 48
    t0 = start.timestamp()
    obis = [
        "1.0.1.29.0.255",
        "1.0.2.29.0.255",
        "1.0.3.29.0.255",
        "1.0.4.29.0.255",
        "1.0.5.29.0.255",
        "1.0.6.29.0.255",
    ]
    series = []
    for c in range(channels):
        times = [t0 + i * 1800.0 for i in range(n)]
        values = [
            max(0.0, 2.0 + 1.5 * math.sin(i * math.pi / 24 + c) + 0.3 * math.sin(i * 0.37))
            * (1 + c * 0.5)
            for i in range(n)
        ]
        status = [0] * n
        for k in range(5):  # five flagged periods spread over the range
            base = (k * 997 + c * 131) % max(n - 4, 1)
            for j in range(1 + k % 3):
                status[base + j] = 1 << (k % 4)
        series.append(
            ChannelSeries(
                obis[c % len(obis)], "kWh" if c < 2 else "kvarh", times, values, status, "bench", 7
            )
        )
    name = _LONG if long_names else "Alice Tester"
    participants = [
        {
            "name": "Alice Tester-" + ("Wolfeschlegelsteinhausenbergerdorff" if long_names else ""),
            "organisation": name,
            "role": "tester",
            "mpid": None,
        },
        {"name": "Bob Witness", "organisation": "Elexon", "role": "witness", "mpid": None},
        {
            "name": "HHDC Operations",
            "organisation": "Example Data Collection Ltd",
            "role": "hhdc",
            "mpid": "EXDC",
        },
    ]
    steps = []
    rows = [
        (
            "DR1-1",
            "initial data collection",
            "collect ≥ 1 day with HHDC software and with manufacturer software",
            "identical values per settlement period and channel",
        ),
        (
            "DR2-1",
            "incorrect Level 2 password",
            "try to collect with a wrong password",
            "access refused, no data, attempt logged",
        ),
        (
            "DR3-2",
            "clock set to UTC − 10 min, right password",
            "correct the clock",
            "clock corrected; affected SP flagged; event logged",
        ),
        (
            "DR4-1a",
            "phase failure",
            "remove each phase in turn over consecutive SPs",
            "phase-failure alarm tagged to those SPs",
        ),
    ]
    verdicts = ["pass", "pass", "fail", "na"]
    for i in range(12):
        sid, obj, method, exp = rows[i % len(rows)]
        actual = "Observed as expected. " * (1 + i % 4)
        if long_names and i == 0:
            actual += " " + _LONG * 2
        steps.append(
            StepRow(
                f"{sid}.{i}",
                obj,
                method,
                exp,
                actual,
                verdicts[i % 4],
                note="retested after fix" if i == 2 else "",
            )
        )
    disc = [
        {
            "start": start + timedelta(minutes=30 * (i * 37)),
            "channel": obis[i % channels],
            "bench_value": 1.234 + i,
            "hhdc_value": 1.235 + i,
            "difference": -0.001,
            "bench_flags": "PHASE_FAILURE" if i % 5 == 0 else "",
            "hhdc_flags": "",
            "kind": "value" if i % 5 else "flags",
        }
        for i in range(discrepancies)
    ]
    recon = Reconciliation(
        True,
        "Bench collection #7 against HHDC collection #8.",
        {
            "periods_compared": n * channels,
            "matching": n * channels - discrepancies,
            "discrepancies": discrepancies,
            "tolerance_kwh": 0.0005,
        },
        disc,
        7,
        8,
    )
    events = [
        {
            "id": i,
            "collection_id": 7,
            "time": start + timedelta(hours=i * 37),
            "code": 1 + i % 3,
            "text": f"Phase failure L{1 + i % 3}",
        }
        for i in range(30)
    ]
    clock = [
        {
            "id": i,
            "meter_time": start + timedelta(days=i, seconds=3 + i),
            "reference_time": start + timedelta(days=i),
            "deviation_s": 3.0 + i,
            "note": "after DR3-2 correction" if i == 2 else "",
        }
        for i in range(5)
    ]
    collections = [
        {
            "id": 7,
            "source": "bench",
            "protocol": "dlms",
            "started_at": start,
            "meta": {"identity": {"serial": "SN-0001", "firmware": {"metrology": "1.02"}}},
            "source_file": "",
            "source_hash": _h("bench"),
            "rows": n * channels,
        },
        {
            "id": 8,
            "source": "hhdc",
            "protocol": "csv",
            "started_at": start,
            "meta": {},
            "source_file": ("/very/long/path/to/the/hhdc/export/" + "x" * 80 + ".csv"),
            "source_hash": _h("hhdc"),
            "rows": n * channels,
        },
    ]
    traces = [
        {
            "id": i,
            "label": f"read {i} "
            + ("with a rather long descriptive label " * 2 if long_names else ""),
            "sha256": _h(f"trace{i}"),
            "records": 120 + i,
            "bytes_tx": 1000 + i,
            "bytes_rx": 50000 + i,
            "created_at": start,
        }
        for i in range(3)
    ]
    run = {"id": 1, "template": "bscp601", "template_version": "2026.1", "status": "open",
           "confirmations": []}  # fmt: skip
    return ReportData(
        session={
            "id": session_id,
            "reference": "BSCP601-2026-0042" + ("-" + "X" * 60 if long_names else ""),
            "kind": "protocol-approval",
            "cops": ["CoP4", "CoP5", "CoP10"],
            "location": name,
            "date": "2026-04-01",
            "status": "draft",
            "locked_by": None,
            "locked_at": None,
            "title": "",
        },
        participants=participants,
        equipment={
            "outstation_type": "PRO",
            "model": "Example HH Meter " + name,
            "serials": ["SN-0001", "SN-0002"],
            "firmware": {"metrology": "1.01", "application": "4.2"},
            "hardware_version": "B",
            "channels": channels,
            "channel_types": "AI AE RI RE",
            "comms_method": "PSTN / GSM",
            "variants_covered": "all",
        },
        software={
            "hhdc_name": "Example Data Collection Ltd",
            "hhdc_mpid": "EXDC",
            "hhdc_software": "CollectPro",
            "hhdc_version": "9.1",
            "hhdc_date": "2026-02-01",
            "hhdc_host": "collect01",
            "hhdc_modules": "dlms, iec21",
            "manufacturer_software": "MeterView",
            "manufacturer_version": "3.3",
        },
        meter_identity={
            "serial": "SN-0001",
            "manufacturer": "EXM",
            "model": "HH-1",
            "outstation_type": "PRO",
            "firmware": {"metrology": "1.02", "application": "4.2"},
        },
        checklist=run,
        verdict=judge(Facts(run, [StepVerdict(s.step_id, s.title, "", s.verdict, actual=s.actual)
                                  for s in steps])),
        steps=steps,
        reconciliation=recon,
        clock_observations=clock,
        events=events,
        series=series,
        collections=collections,
        traces=traces,
        attachments=[
            {"id": 1, "name": "photo of the bench.jpg", "mime": "image/jpeg", "sha256": _h("photo")}
        ],
        audit_head=_h("head"),
        template_version="bscp601 2026.1",
    )
