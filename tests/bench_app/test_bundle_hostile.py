"""``.wbs`` bundles as untrusted input: oversize and malformed bundles, hostile column names.

Every bundle here is a real zip written with :mod:`zipfile`; every refusal must leave the target
database untouched and reach the user as a clear error with an exit code, never a traceback.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest

from bench_app.cli import main
from bench_app.errors import DataImportError, IntegrityError
from bench_app.store import Store, bundle
from drivers.trace import Trace
from tests.bench_app.storehelp import session_with


@pytest.fixture
def wbs(tmp_path):
    with Store.open(tmp_path / "src.db") as store:
        sid, (cid,) = session_with(store, "bench")
        trace = Trace()
        trace.add("tx", b"/?!\r\n", baud=300, line="7E1")
        store.add_trace(sid, trace, "read", collection_id=cid)
        path = tmp_path / "s.wbs"
        manifest = store.export_bundle(sid, path)
    assert manifest["sizes"]["traces/1.jsonl"] > 0
    return path


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _write(out: Path, files: dict[str, bytes], manifest: dict | bytes | None = None) -> Path:
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            if name != "manifest.json":
                zf.writestr(name, data)
        if manifest is not None:
            raw = manifest if isinstance(manifest, bytes) else json.dumps(manifest).encode()
            zf.writestr("manifest.json", raw)  # last in the zip: it is still read first
    return out


def _import_refused(tmp_path, bad: Path, error, message: str) -> None:
    dst = tmp_path / "dst.db"
    Store.open(dst).close()
    before = hashlib.sha256(dst.read_bytes()).hexdigest()
    with Store.open(dst) as store, pytest.raises(error, match=message):
        store.import_bundle(bad)
    with Store.open(dst) as store:
        assert store.list_sessions() == []
    assert hashlib.sha256(dst.read_bytes()).hexdigest() == before


def test_member_larger_than_declared_is_refused_without_inflating_it(tmp_path, wbs):
    files = _members(wbs)
    manifest = json.loads(files["manifest.json"])
    big = b"\0" * (64 << 20)  # 64 MiB of zeros: a ~64 KiB deflated member
    files["traces/1.jsonl"] = big
    manifest["files"]["traces/1.jsonl"] = hashlib.sha256(big).hexdigest()  # hash fits, size not
    bad = _write(tmp_path / "bomb.wbs", files, manifest)
    assert bad.stat().st_size < 1 << 20
    declared = manifest["sizes"]["traces/1.jsonl"]
    _import_refused(
        tmp_path, bad, IntegrityError, f"traces/1.jsonl is larger than the {declared} bytes"
    )


def test_member_beyond_the_global_cap_is_refused_when_no_size_is_declared(
    tmp_path, wbs, monkeypatch
):
    monkeypatch.setattr(bundle, "MAX_MEMBER", 1 << 20)
    files = _members(wbs)
    manifest = json.loads(files["manifest.json"])
    del manifest["sizes"]  # a bundle from an older Witness Bench
    big = b"\0" * (8 << 20)
    files["traces/1.jsonl"] = big
    manifest["files"]["traces/1.jsonl"] = hashlib.sha256(big).hexdigest()
    bad = _write(tmp_path / "big.wbs", files, manifest)
    _import_refused(tmp_path, bad, IntegrityError, "traces/1.jsonl is larger than the 1048576")


def test_unlisted_member_is_refused_before_it_is_read(tmp_path, wbs):
    files = _members(wbs)
    files["huge.bin"] = b"\0" * (32 << 20)
    bad = _write(tmp_path / "extra.wbs", files, json.loads(files["manifest.json"]))
    _import_refused(tmp_path, bad, IntegrityError, "huge.bin is not listed in the manifest")


MALFORMED = {
    "not json": (b"{not json", "manifest.json is not JSON"),
    "a list": (b"[1, 2]", "not a Witness Bench session bundle"),
    "files not a dict": ({"format": "witness-bench-session", "files": [1]}, "'files' must map"),
    "bad digest": (
        {"format": "witness-bench-session", "files": {"session.sqlite": "zz"}},
        "'files' must map",
    ),
    "negative size": ("sizes", "'sizes' must be byte counts"),
    "no session": ("session", "manifest has no session uid"),
}


@pytest.mark.parametrize("kind", list(MALFORMED))
def test_malformed_manifest_is_a_clear_error_with_exit_code(tmp_path, wbs, kind, capsys):
    files = _members(wbs)
    manifest, message = MALFORMED[kind]
    if manifest == "sizes":
        manifest = json.loads(files["manifest.json"])
        manifest["sizes"]["session.sqlite"] = -1
    elif manifest == "session":
        manifest = json.loads(files["manifest.json"])
        manifest["session"] = "x"
    bad = _write(tmp_path / "bad.wbs", files, manifest)
    _import_refused(tmp_path, bad, DataImportError, message)
    code = main(["session", "import", str(bad), "--db", str(tmp_path / "cli.db")])
    err = capsys.readouterr().err
    assert code == 8 and message.split("'")[0] in err and "Traceback" not in err


def _with_sql(tmp_path: Path, wbs: Path, sql: str) -> Path:
    """A copy of ``wbs`` whose session.sqlite had ``sql`` run on it, hashes and sizes updated
    (an adversary who rebuilds the manifest)."""
    files = _members(wbs)
    db = tmp_path / "x.sqlite"
    db.write_bytes(files["session.sqlite"])
    conn = sqlite3.connect(db)
    conn.execute(sql)
    conn.commit()
    conn.close()
    files["session.sqlite"] = db.read_bytes()
    manifest = json.loads(files["manifest.json"])
    manifest["files"]["session.sqlite"] = hashlib.sha256(files["session.sqlite"]).hexdigest()
    manifest["sizes"]["session.sqlite"] = len(files["session.sqlite"])
    return _write(tmp_path / "edited.wbs", files, manifest)


def test_hostile_column_name_in_the_bundled_database_is_refused(tmp_path, wbs):
    sql = 'ALTER TABLE readings ADD COLUMN "text) VALUES (1); DROP TABLE sessions; --" TEXT'
    bad = _with_sql(tmp_path, wbs, sql)
    _import_refused(tmp_path, bad, IntegrityError, "bundle table readings has a column set unlike")


def test_not_a_zip_is_exit_8(tmp_path, capsys):
    bad = tmp_path / "x.wbs"
    bad.write_bytes(b"PK\x03\x04 garbage")
    assert main(["session", "import", str(bad), "--db", str(tmp_path / "d.db")]) == 8
    assert "Traceback" not in capsys.readouterr().err


def test_bundled_database_with_a_trigger_is_refused_before_it_is_opened(tmp_path, wbs):
    sql = "CREATE TRIGGER evil AFTER INSERT ON readings BEGIN DELETE FROM sessions; END"
    bad = _with_sql(tmp_path, wbs, sql)
    _import_refused(tmp_path, bad, IntegrityError, "holds a trigger 'evil'")
