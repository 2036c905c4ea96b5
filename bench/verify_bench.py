"""Benchmark: ``bench-app verify`` of a 90-day × 4-channel signed report with re-derivation
(goal ≤ 3 s).

Fills a real session database and signs its report as tester and witness (not timed), then
times the full verification (signatures, roles, pages re-rendered from the embedded statement,
audit chain re-hashed, statement re-derived from the database and compared) against the
verification without the statement (signatures + audit chain, what ``verify`` did before
reports carried one), and prints JSON with the ratio.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from report_bench import CHANNELS, DAYS, fill

from bench_app.signing import new_self_signed, verify_pdf
from bench_app.signing.checks import _check
from bench_app.signing.sign import load_signer
from bench_app.signing.verify import check_report, report_info
from bench_app.signing.workflow import write_report
from bench_app.store import Store

GOAL_S = 3.0
T_PASS, W_PASS = b"tester-passphrase-1", b"witness-passphrase-1"


def _signatures_and_chain(pdf: Path, trust: list[Path], db: Path) -> bool:
    """Verification without the statement: signatures, then the audit chain and signed head."""
    reports = verify_pdf(pdf, trust)
    info = report_info(pdf)
    with Store.open(db, readonly=True) as store:
        ok, _lines = _check(store, db, int(info["session_id"]), info["reference"],
                            info["audit_head"])  # fmt: skip
    return ok and all(r.ok and r.trusted for r in reports)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        kt = new_self_signed("Alice Tester", "Meter Co", "tester", d, passphrase=T_PASS)
        kw = new_self_signed("Bob Witness", "Elexon", "witness", d, passphrase=W_PASS)
        db, pdf = d / "s.db", d / "report.pdf"
        with Store.open(db) as store:
            sid = fill(store)
            write_report(store, sid, pdf, signer=load_signer(kt[0], T_PASS), role="tester")
            write_report(store, sid, pdf, signer=load_signer(kw[0], W_PASS), role="witness",
                         trust=[kt[1], kw[1]])
        trust = [kt[1], kw[1]]
        t0 = time.perf_counter()
        base_ok = _signatures_and_chain(pdf, trust, db)
        t1 = time.perf_counter()
        verdict = check_report(pdf, trust, db)
        t2 = time.perf_counter()
        base, full = t1 - t0, t2 - t1
        result = {
            "benchmark": "verify_90d_4ch_rederived",
            "days": DAYS,
            "channels": CHANNELS,
            "pdf_bytes": pdf.stat().st_size,
            "signatures_and_chain_s": round(base, 3),
            "full_verify_s": round(full, 3),
            "ratio_to_signatures_and_chain": round(full / base, 2) if base else None,
            "result": verdict.result,
            "baseline_ok": base_ok,
            "goal_s": GOAL_S,
            "ok": full <= GOAL_S,
        }
    print(json.dumps(result))
    return 0 if result["ok"] and verdict.result == "OK" and base_ok else 1


if __name__ == "__main__":
    sys.exit(main())
