"""Benchmark: witness report for a 90-day × 4-channel session, signed twice (goal ≤ 3 s).

Fills a real session database (not timed), then times collect → render → tester signature →
witness signature → verification, and prints JSON.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_app.report import collect_report_data, render_report
from bench_app.signing import new_self_signed, sign_pdf, verify_pdf
from bench_app.store import Store
from drivers.model import Channel, MeterEvent, ProfileRow

DAYS, CHANNELS, GOAL_S = 90, 4, 3.0


def fill(store: Store) -> int:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    sid = store.create_session("BENCH-90D", "protocol-approval", cops=["CoP5"])
    store.add_participant(sid, "Alice Tester", "Meter Co", role="tester")
    store.add_participant(sid, "Bob Witness", "Elexon", role="witness")
    store.set_equipment(sid, model="HH-1", serials=["SN1"], firmware={"metrology": "1.0"})
    chans = [Channel(f"1.0.{c + 1}.29.0.255", "kWh") for c in range(CHANNELS)]
    rows = [
        ProfileRow(
            start + timedelta(minutes=30 * i),
            [1.0 + c + (i % 48) / 10 for c in range(CHANNELS)],
            1 if i % 997 == 0 else 0,
        )
        for i in range(DAYS * 48)
    ]
    for source in ("bench", "hhdc"):
        col = store.new_collection(
            sid,
            source,
            "dlms" if source == "bench" else "csv",
            meta={"identity": {"serial": "SN1", "firmware": {"metrology": "1.0"}}},
        )
        store.add_profile_block(col, chans, rows if source == "bench" else rows[:-50])
    store.add_events(
        col,
        [
            MeterEvent(start + timedelta(hours=h), 1, "Phase failure L1")
            for h in range(0, DAYS * 24, 72)
        ],
    )
    return sid


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        kt = new_self_signed("Alice Tester", "Meter Co", "tester", d, passphrase=b"tester-pass")
        kw = new_self_signed("Bob Witness", "Elexon", "witness", d, passphrase=b"witness-pass")
        with Store.open(d / "s.db") as store:
            sid = fill(store)
            t0 = time.perf_counter()
            data = collect_report_data(store, sid)
            t1 = time.perf_counter()
        pdf = render_report(data, d / "report.pdf")
        t2 = time.perf_counter()
        sign_pdf(pdf, pdf, kt[0], b"tester-pass", "tester")
        t3 = time.perf_counter()
        sign_pdf(pdf, pdf, kw[0], b"witness-pass", "witness")
        t4 = time.perf_counter()
        reports = verify_pdf(pdf, [kt[1], kw[1]])
        t5 = time.perf_counter()
        total = t4 - t0
        result = {
            "benchmark": "report_90d_4ch_signed_twice",
            "days": DAYS,
            "channels": CHANNELS,
            "discrepancies": len(data.reconciliation.discrepancies),
            "collect_s": round(t1 - t0, 3),
            "render_s": round(t2 - t1, 3),
            "sign_tester_s": round(t3 - t2, 3),
            "sign_witness_s": round(t4 - t3, 3),
            "total_s": round(total, 3),
            "verify_s": round(t5 - t4, 3),
            "pdf_bytes": pdf.stat().st_size,
            "signatures_ok": all(r.ok and r.trusted for r in reports) and len(reports) == 2,
            "goal_s": GOAL_S,
            "ok": total <= GOAL_S,
        }
    print(json.dumps(result))
    return 0 if result["ok"] and result["signatures_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
