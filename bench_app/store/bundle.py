"""Session bundles (``.wbs``): one zip holding a session, checkable anywhere.

Contents:

* ``session.sqlite`` — the session's rows (same schema, same row ids) including its audit chain;
* ``traces/<id>.jsonl`` — each byte trace, uncompressed;
* ``attachments/<id>-<name>`` and ``reports/<id>-<name>`` (PDF attachments);
* ``manifest.json`` — format, schema version, session uid and reference, audit head, and the
  SHA-256 of every other file.

Import checks every file against the manifest, re-verifies the bundled audit chain and its head,
and refuses the bundle (``IntegrityError``/``DataImportError``) before the target database is
touched. Rows get new ids in the target; hashes do not change because they cover uids, not ids.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import tempfile
import zipfile
from pathlib import Path

from bench_app.errors import DataImportError, IntegrityError, StoreError
from bench_app.store import audit
from bench_app.store.base import now_iso
from bench_app.store.migrations import SCHEMA_VERSION

FORMAT = "witness-bench-session"
FORMAT_VERSION = 1
DB_NAME = "session.sqlite"
#: Parent id columns remapped on import → the table whose new ids they take.
_REMAP = {"session_id": "sessions", "collection_id": "collections", "run_id": "checklist_runs",
          "supersedes": "checklist_runs"}  # fmt: skip


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:80] or "file"


def _columns(conn: sqlite3.Connection, schema: str, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f"PRAGMA {schema}.table_info({table})")]


def export_session(store, session_id: int, path: str | Path) -> dict:
    """Write session ``session_id`` of ``store`` to the bundle ``path``; returns the manifest.

    :raises IntegrityError: the session's audit chain does not verify (nothing is written).
    """
    from bench_app.store import Store

    path = Path(path)
    session = store.get_session(session_id)
    check = store.verify(session_id)
    if not check.ok:
        raise IntegrityError(f"session {session_id} cannot be exported: {check.first_broken}")
    with tempfile.TemporaryDirectory(prefix="wbs-") as tmp:
        db_file = Path(tmp) / DB_NAME
        Store.open(db_file, synchronous="OFF").close()
        conn = store.conn
        conn.execute("ATTACH DATABASE ? AS bundle", (str(db_file),))
        try:
            with store.atomic():
                for table, sql in audit.SESSION_ROWS.items():
                    cols = ", ".join(_columns(conn, "main", table))
                    conn.execute(
                        f"INSERT INTO bundle.{table} ({cols}) SELECT {cols} FROM main.{table} "
                        f"WHERE id IN ({sql})",
                        (session_id,),
                    )
                cols = ", ".join(_columns(conn, "main", "audit"))
                conn.execute(
                    f"INSERT INTO bundle.audit ({cols}) SELECT {cols} FROM main.audit "
                    "WHERE session_id = ?",
                    (session_id,),
                )
        finally:
            conn.execute("DETACH DATABASE bundle")
        with sqlite3.connect(db_file) as fix:  # fold the WAL into the file we ship
            fix.execute("PRAGMA journal_mode = DELETE")
        fix.close()
        files: dict[str, bytes] = {DB_NAME: db_file.read_bytes()}
    for tr in store.traces(session_id):
        files[f"traces/{tr['id']}.jsonl"] = store.trace_jsonl(tr["id"])
    for att in store.attachments(session_id):
        folder = "reports" if att["mime"] == "application/pdf" else "attachments"
        files[f"{folder}/{att['id']}-{_safe(att['name'])}"] = store.attachment_data(att["id"])
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_version": SCHEMA_VERSION,
        "created_at": now_iso(),
        "session": {
            "uid": session["uid"],
            "reference": session["reference"],
            "kind": session["kind"],
            "status": session["status"],
            "id": session_id,
        },
        "audit_head": check.head,
        "audit_records": check.checked,
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
        "sizes": {name: len(data) for name, data in files.items()},
    }
    tmp_path = path.with_name(path.name + ".part")
    try:
        with zipfile.ZipFile(tmp_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
            for name, data in files.items():
                zf.writestr(name, data)
        tmp_path.replace(path)
    except OSError as exc:
        tmp_path.unlink(missing_ok=True)
        raise StoreError(f"cannot write bundle {path}: {exc}") from exc
    return manifest


#: Largest ``manifest.json`` read (bytes).
MAX_MANIFEST = 1 << 20
#: Largest single member and largest sum of members, bytes (a manifest may declare less).
MAX_MEMBER = 1 << 30
MAX_TOTAL = 4 << 30
MAX_MEMBERS = 100_000
_CHUNK = 1 << 20
_HEX64 = re.compile(r"[0-9a-f]{64}")


def _bad(path: Path, text: str) -> DataImportError:
    return DataImportError(f"{path}: malformed bundle: {text}")


def _read_manifest(path: Path, zf: zipfile.ZipFile) -> dict:
    """The manifest, read first and alone, size-capped and shape-checked."""
    with zf.open("manifest.json") as fh:
        raw = fh.read(MAX_MANIFEST + 1)
    if len(raw) > MAX_MANIFEST:
        raise _bad(path, f"manifest.json is larger than {MAX_MANIFEST} bytes")
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _bad(path, f"manifest.json is not JSON ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise DataImportError(f"{path}: not a Witness Bench session bundle")
    files, sizes = manifest.get("files"), manifest.get("sizes", {})
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and _HEX64.fullmatch(v) for k, v in files.items()
    ):
        raise _bad(path, "manifest 'files' must map names to SHA-256 hex digests")
    if not isinstance(sizes, dict) or not all(
        isinstance(sizes.get(k, 0), int) and 0 <= sizes.get(k, 0) <= MAX_MEMBER for k in files
    ):
        raise _bad(path, f"manifest 'sizes' must be byte counts up to {MAX_MEMBER}")
    session = manifest.get("session")
    if not isinstance(session, dict) or not isinstance(session.get("uid"), str):
        raise _bad(path, "manifest has no session uid")
    if not isinstance(manifest.get("audit_head"), str):
        raise _bad(path, "manifest has no audit head")
    return manifest


def _stream_member(
    path: Path, zf: zipfile.ZipFile, name: str, want: str, limit: int, out: Path
) -> int:
    """Copy member ``name`` to ``out`` (at most ``limit`` bytes) checking its SHA-256."""
    digest, size = hashlib.sha256(), 0
    with zf.open(name) as src, out.open("wb") as dst:
        while chunk := src.read(min(_CHUNK, limit - size + 1)):
            size += len(chunk)
            if size > limit:
                raise IntegrityError(
                    f"{path}: {name} is larger than the {limit} bytes the manifest allows"
                )
            digest.update(chunk)
            dst.write(chunk)
    if digest.hexdigest() != want:
        raise IntegrityError(f"{path}: {name} does not match its SHA-256 in the manifest")
    return size


def read_bundle(path: str | Path, workdir: str | Path) -> tuple[dict, dict[str, Path]]:
    """Open and check a bundle: the manifest first; then every listed member (and nothing else)
    is streamed into ``workdir`` within its declared size (or :data:`MAX_MEMBER`) and the
    :data:`MAX_TOTAL` budget, and its SHA-256 checked. Returns the manifest and name → file.

    :raises DataImportError: not a readable bundle, malformed manifest.
    :raises IntegrityError: a member missing, extra, oversize or with a wrong hash.
    """
    path, workdir = Path(path), Path(workdir)
    out: dict[str, Path] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            if len(names) > MAX_MEMBERS or len(set(names)) != len(names):
                raise _bad(path, "too many or duplicate member names")
            if "manifest.json" not in names:
                raise DataImportError(f"{path}: not a Witness Bench bundle (no manifest.json)")
            manifest = _read_manifest(path, zf)
            listed, sizes = manifest["files"], manifest.get("sizes", {})
            extra = sorted(set(names) - set(listed) - {"manifest.json"})
            if extra:
                raise IntegrityError(f"{path}: {extra[0]} is not listed in the manifest")
            for name in listed:
                if name not in names:
                    raise IntegrityError(f"{path}: {name} is listed in the manifest but missing")
            if DB_NAME not in listed:
                raise IntegrityError(f"{path}: {DB_NAME} is missing")
            budget = MAX_TOTAL
            for k, (name, want) in enumerate(sorted(listed.items())):
                limit = min(int(sizes.get(name, MAX_MEMBER)), budget)
                if zf.getinfo(name).file_size > limit:
                    raise IntegrityError(
                        f"{path}: {name} is larger than the {limit} bytes the manifest allows"
                    )
                out[name] = workdir / f"member-{k}"
                budget -= _stream_member(path, zf, name, want, limit, out[name])
    except (DataImportError, IntegrityError):
        raise
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, KeyError) as exc:
        raise DataImportError(f"{path}: cannot read bundle: {exc}") from exc
    except Exception as exc:  # zlib/CRC errors surface as various types
        raise IntegrityError(f"{path}: bundle is damaged: {exc}") from exc
    return manifest, out


def import_session(store, path: str | Path) -> int:
    """Check the bundle ``path`` and import its session into ``store``; returns the new id.

    Nothing is written to ``store`` unless every check passes; the import is one transaction.
    """
    from bench_app.store import Store

    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="wbs-") as tmp:
        manifest, files = read_bundle(path, tmp)
        uid = manifest["session"]["uid"]
        db_file = files[DB_NAME]
        _refuse_code(path, db_file)
        try:
            src = Store.open(db_file, synchronous="OFF")
        except StoreError as exc:
            raise DataImportError(f"{path}: {exc}") from exc
        try:
            rows = src.conn.execute("SELECT id, uid FROM sessions").fetchall()
            if len(rows) != 1 or rows[0][1] != uid:
                raise IntegrityError(f"{path}: bundle does not hold exactly session {uid}")
            old_sid = rows[0][0]
            check = src.verify(old_sid)
            if not check.ok:
                raise IntegrityError(f"{path}: audit chain broken: {check.first_broken}")
            if check.head != manifest.get("audit_head"):
                raise IntegrityError(f"{path}: audit head differs from the manifest")
            for tr in src.traces(old_sid):
                name = f"traces/{tr['id']}.jsonl"
                if name not in files or src.trace_jsonl(tr["id"]) != files[name].read_bytes():
                    raise IntegrityError(f"{path}: {name} differs from the bundled database")
        except sqlite3.DatabaseError as exc:
            raise DataImportError(f"{path}: {DB_NAME} is damaged: {exc}") from exc
        finally:
            src.close()
        existing = store.conn.execute("SELECT id FROM sessions WHERE uid = ?", (uid,)).fetchone()
        if existing:
            raise DataImportError(
                f"{path}: session {manifest['session'].get('reference')} is already in "
                f"{store.path} as session {existing[0]}"
            )
        return _copy_in(store, db_file, old_sid)


def _refuse_code(path: Path, db_file: Path) -> None:
    """Refuse a bundled database that carries triggers or views (code that would run, or stand
    in for a table, when we open, migrate or read it) — checked before it is opened for real."""
    try:
        conn = sqlite3.connect(f"{db_file.resolve().as_uri()}?mode=ro", uri=True)
        try:
            row = conn.execute(
                "SELECT type, name FROM sqlite_master WHERE type IN ('trigger', 'view') LIMIT 1"
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise DataImportError(f"{path}: {DB_NAME} is not a readable database: {exc}") from exc
    if row is not None:
        raise IntegrityError(f"{path}: {DB_NAME} holds a {row[0]} {row[1]!r}; bundles hold data")


def _copy_in(store, db_file: Path, old_sid: int) -> int:
    conn = store.conn
    conn.execute("ATTACH DATABASE ? AS bundle", (str(db_file),))
    try:
        with store.atomic():
            maps: dict[str, dict[int, int]] = {t: {} for t in set(_REMAP.values())}
            records = conn.execute(
                "SELECT id, seq, at, action, tbl, lo, hi, n, digests, content, prev, hash, "
                "digest_size FROM bundle.audit WHERE session_id = ? ORDER BY seq",
                (old_sid,),
            ).fetchall()
            new_sid = None
            for _aid, seq, at, action, tbl, lo, hi, n, digests, content, prev, hsh, size in records:
                if action == "lock":
                    new_lo = new_hi = new_sid
                else:
                    new_lo, new_hi = _copy_rows(conn, tbl, lo, hi, maps)
                    if tbl == "sessions":
                        new_sid = new_lo
                if new_sid is None or new_hi is None or new_lo is None or new_hi - new_lo + 1 != n:
                    raise IntegrityError(f"bundle audit record {seq} does not fit its rows")
                conn.execute(
                    "INSERT INTO audit (session_id, seq, at, action, tbl, lo, hi, n, digests, "
                    "content, prev, hash, digest_size) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        new_sid,
                        seq,
                        at,
                        action,
                        tbl,
                        new_lo,
                        new_hi,
                        n,
                        digests,
                        content,
                        prev,
                        hsh,
                        size,
                    ),  # fmt: skip
                )
            if new_sid is None:
                raise IntegrityError("bundle holds no session record")
            check = store.verify(new_sid)
            if not check.ok:
                raise IntegrityError(f"imported session does not verify: {check.first_broken}")
    finally:
        conn.execute("DETACH DATABASE bundle")
    return new_sid


def _copy_rows(
    conn: sqlite3.Connection, table: str, lo: int, hi: int, maps: dict[str, dict[int, int]]
) -> tuple[int, int]:
    """Copy rows ``lo..hi`` of ``bundle.table`` to ``main.table`` with new ids and remapped
    parents; returns the new (lo, hi)."""
    if table not in audit.SESSION_ROWS:  # the name comes from a bundled audit record
        raise IntegrityError(f"bundle audit record names unknown table {table!r}")
    cols = [c for c in _columns(conn, "main", table) if c != "id"]  # our schema's columns
    theirs = set(_columns(conn, "bundle", table)) - {"id"}
    odd_cols = (theirs - set(cols)) | (set(cols) - theirs - audit.OPTIONAL_COLUMNS)
    if odd_cols:  # a bundle of an older version lacks only the optional columns (left NULL)
        raise IntegrityError(
            f"bundle table {table} has a column set unlike ours ({sorted(odd_cols)[0]!r})"
        )
    remap = [(i, maps[_REMAP[c]]) for i, c in enumerate(cols) if c in _REMAP]
    picked = ", ".join(c if c in theirs else "NULL" for c in cols)
    rows = conn.execute(
        f"SELECT id, {picked} FROM bundle.{table} WHERE id BETWEEN ? AND ? ORDER BY id",
        (lo, hi),
    ).fetchall()
    start = int(conn.execute(f"SELECT coalesce(max(id), 0) FROM main.{table}").fetchone()[0]) + 1
    out = []
    for k, row in enumerate(rows):
        values = list(row[1:])
        for i, m in remap:
            if values[i] is not None:
                values[i] = m[values[i]]
        out.append([start + k, *values])
        if table in maps:
            maps[table][row[0]] = start + k
    marks = ", ".join("?" * (len(cols) + 1))
    conn.executemany(f"INSERT INTO main.{table} (id, {', '.join(cols)}) VALUES ({marks})", out)
    return start, start + len(out) - 1
