"""Helpers for report and signing tests: a filled session in a real database, pdftotext."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from drivers.model import Channel, ClockReading, MeterEvent, ProfileRow
from drivers.trace import Trace

START = datetime(2026, 3, 1, tzinfo=UTC)


def pdftotext(path: Path) -> str:
    """Text of a PDF via poppler's pdftotext (skips the test when poppler is missing)."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
    return out.stdout.decode("utf-8", "replace")


def fill_session(store, days: int = 2, channels: int = 2, hhdc: bool = True) -> int:
    """A session with equipment (firmware mismatch), bench/HHDC collections, events, clock,
    a trace and a checklist run; returns the session id."""
    sid = store.create_session(
        "BSCP601-TEST-0001",
        "protocol-approval",
        cops=["CoP5"],
        location="Bench room 2",
        date="2026-03-02",
    )
    store.add_participant(sid, "Alice Tester", "Meter Co", role="tester")
    store.add_participant(sid, "Bob Witness", "Elexon", role="witness")
    store.set_equipment(
        sid,
        outstation_type="PRO",
        model="HH-1",
        serials=["SN1"],
        firmware={"metrology": "1.01", "application": "4.2"},
        channels=channels,
    )
    store.set_software(sid, hhdc_name="Example DC", hhdc_mpid="EXDC", hhdc_software="Collect")
    chans = [Channel(f"1.0.{c + 1}.29.0.255", "kWh") for c in range(channels)]
    rows = [
        ProfileRow(
            START + timedelta(minutes=30 * i),
            [0.5 + c + (i % 48) / 48 for c in range(channels)],
            4 if i == 10 else 0,
        )
        for i in range(days * 48)
    ]
    identity = {"serial": "SN1", "firmware": {"metrology": "1.02", "application": "4.2"}}
    bench = store.new_collection(sid, "bench", "dlms", meta={"identity": identity})
    store.add_profile_block(bench, chans, rows)
    store.add_events(bench, [MeterEvent(START + timedelta(hours=5), 30, "Reset")])
    if hhdc:
        hh = store.new_collection(
            sid, "hhdc", "csv", source_file="export.csv", source_hash="ab" * 32
        )
        store.add_profile_block(hh, chans, rows)
    store.add_clock_observation(sid, ClockReading.of(START + timedelta(seconds=4), START), "check")
    trace = Trace()
    trace.add("tx", b"/?!\r\n", baud=300)
    trace.add("rx", b"/EXM5HH-1\r\n", baud=300)
    store.add_trace(sid, trace, label="first read", collection_id=bench)
    run = store.start_checklist_run(sid, "bscp601-protocol-cop1-2-3-5-10", "test")
    store.record_step(run, "DR1-1", actual="identical", verdict="pass", by="Alice Tester")
    store.record_step(run, "DR2-1", actual="data returned", verdict="fail", by="Alice Tester")
    return sid
