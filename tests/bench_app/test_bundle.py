"""Session bundles: round trip; damaged bundles are refused before the DB is touched."""

from __future__ import annotations

import hashlib
import json
import zipfile

import pytest

from bench_app.cli import main
from bench_app.errors import DataImportError, IntegrityError
from bench_app.store import Store
from drivers.trace import Trace
from tests.bench_app.storehelp import session_with


@pytest.fixture
def bundle(tmp_path):
    src = tmp_path / "src.db"
    with Store.open(src) as store:
        sid, (cid, _) = session_with(store, "bench", "hhdc")
        store.add_participant(sid, "Ann", "Elexon", "witness")
        trace = Trace()
        trace.add("tx", b"/?!\r\n", baud=300, line="7E1")
        store.add_trace(sid, trace, "read", collection_id=cid)
        store.add_attachment(sid, "report.pdf", b"%PDF-1.7 fake", "application/pdf")
        store.add_attachment(sid, "photo.jpg", b"\xff\xd8", "image/jpeg")
        run = store.start_checklist_run(sid, "t", "1")
        store.record_step(run, "DR1-1", actual="ok", verdict="pass")
        store.lock_session(sid, "Wendy", "signed")
        head = store.audit_head(sid)
        path = tmp_path / "s.wbs"
        manifest = store.export_bundle(sid, path)
    assert manifest["audit_head"] == head
    return path, head


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_round_trip_keeps_hashes(tmp_path, bundle):
    path, head = bundle
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
    assert {
        "manifest.json",
        "session.sqlite",
        "traces/1.jsonl",
        "reports/1-report.pdf",
        "attachments/2-photo.jpg",
    } <= names
    dst = tmp_path / "dst.db"
    with Store.open(dst) as store:
        store.create_session("already here", "cop-compliance")  # ids will differ
        sid = store.import_bundle(path)
        assert sid == 2
        assert store.audit_head(sid) == head
        assert store.verify().ok
        s = store.get_session(sid)
        assert s["status"] == "locked" and s["locked_by"] == "Wendy"
        colls = store.collections(sid)
        assert [c["rows"] for c in colls] == [196, 196]
        assert [r.data for r in store.load_trace(store.traces(sid)[0]["id"])] == [b"/?!\r\n"]
        assert store.step_results(store.checklist_runs(sid)[0]["id"])[0]["verdict"] == "pass"
        with pytest.raises(DataImportError, match="already in"):
            store.import_bundle(path)


def _rewrite(path, out, change):
    with zipfile.ZipFile(path) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    change(files)
    with zipfile.ZipFile(out, "w") as zf:
        for n, data in files.items():
            zf.writestr(n, data)
    return out


def _flip_sqlite(files):
    data = bytearray(files["session.sqlite"])
    data[len(data) // 2] ^= 0x01
    files["session.sqlite"] = bytes(data)


def _forge_reading(files):
    """Change a reading inside session.sqlite and update the manifest hash to match."""
    import sqlite3
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "x.sqlite"
        p.write_bytes(files["session.sqlite"])
        conn = sqlite3.connect(p)
        conn.execute("UPDATE readings SET value = value * 2 WHERE id = 10")
        conn.commit()
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.close()
        files["session.sqlite"] = p.read_bytes()
    manifest = json.loads(files["manifest.json"])
    manifest["files"]["session.sqlite"] = hashlib.sha256(files["session.sqlite"]).hexdigest()
    files["manifest.json"] = json.dumps(manifest).encode()


@pytest.mark.parametrize(
    "change,message",
    [
        (_flip_sqlite, "session.sqlite does not match its SHA-256"),
        (lambda f: f.pop("traces/1.jsonl"), "traces/1.jsonl is listed in the manifest but missing"),
        (lambda f: f.update({"extra.txt": b"x"}), "extra.txt is not listed"),
        (lambda f: f.update({"reports/1-report.pdf": b"%PDF forged"}), "reports/1-report.pdf"),
        (_forge_reading, "readings id 10: content changed"),
    ],
)  # fmt: skip
def test_damaged_bundle_is_refused_without_touching_db(tmp_path, bundle, change, message):
    path, _ = bundle
    bad = _rewrite(path, tmp_path / "bad.wbs", change)
    dst = tmp_path / "dst.db"
    Store.open(dst).close()
    before = digest(dst)
    with Store.open(dst) as store:
        with pytest.raises(IntegrityError, match=message):
            store.import_bundle(bad)
        assert store.list_sessions() == []
    assert digest(dst) == before


def test_truncated_file_is_refused(tmp_path, bundle):
    path, _ = bundle
    bad = tmp_path / "trunc.wbs"
    bad.write_bytes(path.read_bytes()[:200])
    with Store.open(tmp_path / "d.db") as store, pytest.raises(DataImportError, match="trunc.wbs"):
        store.import_bundle(bad)


def test_cli_export_import(tmp_path, capsys):
    src, dst, wbs = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "x.wbs"
    with Store.open(src) as store:
        sid, _ = session_with(store, "bench")
    assert main(["session", "export", str(sid), str(wbs), "--db", str(src)]) == 0
    capsys.readouterr()
    assert main(["session", "import", str(wbs), "--db", str(dst)]) == 0
    assert capsys.readouterr().out.strip() == "1"
    data = bytearray(wbs.read_bytes())
    data[-30] ^= 0xFF  # damage the zip directory
    wbs.write_bytes(bytes(data))
    assert main(["session", "import", str(wbs), "--db", str(tmp_path / "c.db")]) in (7, 8)
