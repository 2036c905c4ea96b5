"""The demo story end to end: real simulator, real SQLite, real signed PDF verified by pyHanko."""

from __future__ import annotations

import shutil
import subprocess

from bench_app.demo import run_demo
from bench_app.signing.verify import verify_pdf
from bench_app.store import Store


def _reconcile_agrees_with_the_report(store, sid, db, capsys) -> None:
    """``bench-app reconcile --session ID`` (no --a/--b) compares what the report compares and
    gives the report's answer: AGREE, exit 0."""
    from bench_app.cli import main
    from bench_app.report.data import collect_report_data

    capsys.readouterr()
    code = main(["reconcile", "--session", str(sid), "--db", str(db)])
    out = capsys.readouterr().out
    assert code == 0, out
    data = collect_report_data(store, sid)
    for rec in (data.reconciliation, data.manufacturer_reconciliation):
        assert rec is not None and rec.performed, rec
        assert not rec.discrepancies
        pair = (f"{rec.source} (collection {rec.hhdc_collection}) vs bench (collection "
                f"{rec.bench_collection}): AGREE")  # fmt: skip
        assert pair in out, out
    assert "DIFFER" not in out and "CANNOT" not in out


def test_demo_runs_whole_story(tmp_path, capsys):
    lines: list[str] = []
    result = run_demo(tmp_path / "demo", protocol="dlms", days=22, log=lines.append)
    assert result.verify_code == 0
    assert result.verdicts == {"pass": 14}, lines
    text = "\n".join(lines)
    assert "0 discrepancies" in text and "signed as witness" in text
    sigs = verify_pdf(result.report_path, trust=result.certificates)
    assert [s.ok for s in sigs] == [True, True]
    assert all(s.trusted for s in sigs)
    store = Store.open(result.db_path)
    try:
        assert store.get_session(result.session_id)["status"] == "locked"
        assert store.verify(result.session_id).ok
        traces = store.traces(result.session_id)
        first = traces[0]["bytes_rx"]  # the demo's initial read of the whole profile
        eq1 = [t for t in traces if t["label"].startswith("EQ-1")]
        assert eq1 and all(t["bytes_rx"] < first for t in eq1)  # each step stores its own bytes
        sources = sorted(c["source"] for c in store.collections(result.session_id))
        assert {"bench", "hhdc", "manufacturer"} <= set(sources)
        _reconcile_agrees_with_the_report(store, result.session_id, result.db_path, capsys)
    finally:
        store.close()
    if shutil.which("pdfsig"):
        out = subprocess.run(["pdfsig", str(result.report_path)], capture_output=True, text=True)
        assert out.stdout.count("Signature is Valid") == 2, out.stdout
