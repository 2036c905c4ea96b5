"""No secret at rest: the meter passwords used in the suite appear nowhere in a saved trace, the
session database or an exported bundle — whatever the HDLC max info length splits the AARQ into.

Real simulators over ``socket://``, the real ``bench-app read``/``session export`` commands, real
files. Each file is scanned for the password as text and as the hex the JSON Lines trace uses, and
every stored trace is decoded and scanned too.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import zipfile
from pathlib import Path

import pytest

from bench_app.cli import main
from bench_app.store import Store
from drivers.sim import start_simulator
from drivers.trace import Trace

#: (client SAP, password) of every DLMS association level of the simulated meters.
DLMS_LEVELS = [(32, "LEVEL1PW"), (48, "HHDC2PASS"), (64, "LEVEL3PWD"), (80, "MASTER4PW")]
IEC_PASSWORD = "ABCDEF12"


def _forms(pw: str) -> list[bytes]:
    raw = pw.encode()
    return [raw, raw.hex().encode(), raw.hex().upper().encode()]


def _scan_bytes(where: str, blob: bytes, pw: str) -> None:
    for form in _forms(pw):
        assert form not in blob, f"{pw!r} found in {where} as {form!r}"


def _scan_store(where: str, db: Path, pw: str) -> None:
    with Store.open(db, readonly=True) as store:
        for s in store.list_sessions():
            for t in store.traces(s["id"]):
                data = b"".join(r.data for r in store.load_trace(t["id"]))
                _scan_bytes(f"{where} trace {t['id']}", data, pw)
                _scan_bytes(f"{where} trace {t['id']} (jsonl)", store.trace_jsonl(t["id"]), pw)
        for (sql,) in store.conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table'"):
            assert pw not in (sql or "")


def _scan_everything(tmp_path: Path, trace: Path, db: Path, sid: int, pw: str) -> None:
    if trace.exists():
        _scan_bytes("trace file", trace.read_bytes(), pw)
        _scan_bytes("trace records", b"".join(r.data for r in Trace.load(trace)), pw)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for f in db.parent.glob(db.name + "*"):
        _scan_bytes(f.name, f.read_bytes(), pw)
    _scan_store("database", db, pw)
    wbs = tmp_path / "s.wbs"
    wbs.unlink(missing_ok=True)
    assert main(["session", "export", str(sid), str(wbs), "--db", str(db)]) == 0
    _scan_bytes("bundle file", wbs.read_bytes(), pw)
    with zipfile.ZipFile(wbs) as zf:
        for name in zf.namelist():
            data = zf.read(name)
            _scan_bytes(f"bundle member {name}", data, pw)
            if name == "session.sqlite":
                inner = tmp_path / "inner.sqlite"
                inner.write_bytes(data)
                _scan_store("bundled database", inner, pw)


def _new_session(db: Path) -> int:
    with Store.open(db) as store:
        return store.create_session("SECRETS-1", "protocol-approval")


@pytest.mark.parametrize("max_info", [32, 36, 40, 41])
def test_segmented_aarq_password_is_nowhere_at_rest(tmp_path, max_info, capsys):
    """The acceptance case: ``read --max-info 40 --trace T --session S`` with password P."""
    pw = "HHDC2PASS"
    db, trace = tmp_path / "s.db", tmp_path / "t.jsonl"
    sid = _new_session(db)
    pw_file = tmp_path / "pw"
    pw_file.write_text(pw + "\n")
    with start_simulator("dlms", days=1, seed=3) as sim:
        code = main(["read", "--port", sim.url, "--protocol", "dlms", "--password-file",
                     str(pw_file), "--max-info", str(max_info), "--trace", str(trace),
                     "--session", str(sid), "--db", str(db)])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    aarq_frames = [r for r in Trace.load(trace) if r.direction == "tx" and "AARQ" in r.note]
    assert len(aarq_frames) >= 2  # the AARQ really was segmented
    assert any("password redacted" in r.note for r in aarq_frames)
    _scan_everything(tmp_path, trace, db, sid, pw)


@pytest.mark.parametrize("client_sap,pw", DLMS_LEVELS)
def test_every_dlms_level_password_is_nowhere_at_rest(tmp_path, client_sap, pw, monkeypatch):
    db, trace = tmp_path / "s.db", tmp_path / "t.jsonl"
    sid = _new_session(db)
    monkeypatch.setenv("METER_PW", pw)
    with start_simulator("dlms", days=1, seed=5) as sim:
        code = main(["read", "--port", sim.url, "--protocol", "dlms", "--password-env",
                     "METER_PW", "--client-sap", str(client_sap), "--max-info", "40",
                     "--trace", str(trace), "--session", str(sid), "--db", str(db)])  # fmt: skip
    assert code == 0
    _scan_everything(tmp_path, trace, db, sid, pw)


def test_iec_password_is_nowhere_at_rest(tmp_path, monkeypatch):
    db, trace = tmp_path / "s.db", tmp_path / "t.jsonl"
    sid = _new_session(db)
    monkeypatch.setenv("METER_PW", IEC_PASSWORD)
    with start_simulator("iec21", days=1, seed=5) as sim:
        code = main(["read", "--port", sim.url, "--protocol", "iec21", "--password-env",
                     "METER_PW", "--trace", str(trace), "--session", str(sid),
                     "--db", str(db)])  # fmt: skip
    assert code == 0
    p1 = [r for r in Trace.load(trace) if r.data.startswith(b"\x01P1")]
    assert p1 and p1[0].data == b"\x01P1\x02(********)\x03*"
    _scan_everything(tmp_path, trace, db, sid, IEC_PASSWORD)


@pytest.mark.parametrize("pw", ["1", "P", "(", "1.8.0"])
def test_iec_redaction_never_rewrites_answers_or_command_letters(tmp_path, pw):
    """Passwords that also occur in command letters and in the meter's answers."""
    trace = tmp_path / "t.jsonl"
    # short passwords break the 6–12 rule: a meter that does not enforce it (a defect) takes them
    with start_simulator(
        "iec21", days=1, seed=5, password=pw, defects=("password-length-unchecked",)
    ) as sim:
        assert main(["read", "--port", sim.url, "--protocol", "iec21", "--password", pw,
                     "--trace", str(trace)]) == 0  # fmt: skip
    records = Trace.load(trace)
    p1 = [r for r in records if r.direction == "tx" and r.data.startswith(b"\x01P1\x02(")]
    assert p1 and p1[0].data == b"\x01P1\x02(" + b"*" * len(pw) + b")\x03*"
    rx = b"".join(r.data for r in records if r.direction == "rx")
    # the meter's own answers still hold the very text that is the password: not rewritten
    assert pw.encode() in rx and b"1.8.0(" in rx and b"\x01P0\x02(" in rx
    assert all("password redacted" not in r.note for r in records if r.direction == "rx")


def test_demo_session_with_checklist_holds_no_password(tmp_path):
    """The whole demo — reads, every checklist step (wrong-password attempts included), the
    signed report — then its database, report and an exported bundle are scanned."""
    from bench_app.demo import run_demo

    result = run_demo(tmp_path / "demo", protocol="dlms", days=2)
    assert result.verify_code == 0
    text = b""
    if shutil.which("pdftotext"):  # the report's streams are compressed: scan its text too
        text = subprocess.run(["pdftotext", str(result.report_path), "-"], capture_output=True,
                              check=True).stdout  # fmt: skip
        assert b"BSCP601" in text
    for pw in [p for _, p in DLMS_LEVELS] + [IEC_PASSWORD]:
        _scan_bytes("report", result.report_path.read_bytes(), pw)
        _scan_bytes("report text", text, pw)
        _scan_everything(tmp_path, tmp_path / "demo" / "none.jsonl", result.db_path,
                         result.session_id, pw)  # fmt: skip
