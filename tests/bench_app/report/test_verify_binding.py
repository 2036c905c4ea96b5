"""``bench-app verify REPORT --db DB`` against an adversary with write access to both files.

Real signed reports (tester + witness, pyHanko), real SQLite files edited with plain SQL, real
incremental PDF updates written with pyHanko's own writer.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from bench_app.cli import main
from bench_app.signing import new_self_signed
from bench_app.signing.sign import load_signer
from bench_app.signing.workflow import write_report
from bench_app.store import Store
from tests.bench_app.report.report_fixtures import fill_session

T_PASS, W_PASS = b"tester-pass-1", b"witness-pass-1"


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    """A session database, both keys and the report signed by tester then witness."""
    d = tmp_path_factory.mktemp("bench")
    tester = new_self_signed("Alice Tester", "Meter Co", "tester", d, passphrase=T_PASS)
    witness = new_self_signed("Bob Witness", "Elexon", "witness", d, passphrase=W_PASS)
    with Store.open(d / "s.db") as store:
        sid = fill_session(store)
        write_report(store, sid, d / "r.pdf", signer=load_signer(tester[0], T_PASS), role="tester")
        write_report(
            store, sid, d / "r.pdf", signer=load_signer(witness[0], W_PASS), role="witness",
            trust=[str(tester[1])],
        )  # fmt: skip
        head = store.audit_head(sid)
    return {"dir": d, "db": d / "s.db", "pdf": d / "r.pdf", "sid": sid, "head": head,
            "trust": [str(tester[1]), str(witness[1])]}  # fmt: skip


def _verify(bench, pdf=None, db=None, *extra):
    args = ["verify", str(pdf or bench["pdf"]), "--db", str(db or bench["db"])]
    for t in bench["trust"]:
        args += ["--trust", t]
    return main([*args, *extra])


def test_untouched_report_and_database_verify_ok(bench, capsys):
    assert _verify(bench) == 0
    out = capsys.readouterr().out
    assert "every row they cover re-verified" in out and out.splitlines()[-1] == "OK"
    assert out.count("certificate SHA-256 ") == 2


TAMPERS = {
    "edited reading": ("UPDATE readings SET value = value + 0.001 WHERE id = 7", "readings id 7"),
    "deleted reading": ("DELETE FROM readings WHERE id = 9", "readings id 9: row missing"),
    "inserted reading": (
        "INSERT INTO readings (collection_id, start, channel, value, unit, status) "
        "SELECT collection_id, start + 86400000, channel, value, unit, status FROM readings "
        "ORDER BY id DESC LIMIT 1",
        "not covered by the audit chain",
    ),
    "edited event": ("UPDATE events SET code = 31", "events id 1: content changed"),
    "edited clock observation": (
        "UPDATE clock_observations SET deviation_s = 0.5",
        "clock_observations id 1: content changed",
    ),
    "edited trace": ("UPDATE traces SET label = 'other read'", "traces id 1: content changed"),
    "edited audit record": (
        "UPDATE audit SET at = '2026-01-01T00:00:00Z' WHERE seq = 3",
        "record hash does not match",
    ),
    "edited session field": (
        "UPDATE sessions SET location = 'Elsewhere'",
        "sessions id 1: content changed",
    ),
}


@pytest.mark.parametrize("kind", list(TAMPERS))
def test_every_database_tamper_fails_and_is_named(bench, tmp_path, capsys, kind):
    sql, named = TAMPERS[kind]
    db = tmp_path / "s.db"
    shutil.copyfile(bench["db"], db)
    conn = sqlite3.connect(db)
    with conn:
        assert conn.execute(sql).rowcount >= 1
    conn.close()
    assert _verify(bench, db=db) == 11
    out = capsys.readouterr().out
    assert named in out and out.splitlines()[-1] == "FAILED", out


def _incremental(src, dst, change) -> None:
    """Append one incremental update made by ``change(writer)`` (pyHanko's writer)."""
    with open(src, "rb") as fh:
        w = IncrementalPdfFileWriter(fh, strict=False)
        change(w)
        with open(dst, "wb") as out:
            w.write(out)


def _set_info_head(head: str):
    def change(w):
        info = w.trailer["/Info"]
        info[generic.NameObject("/WitnessBenchAuditHead")] = generic.TextStringObject(head)
        w.mark_update(w.trailer.raw_get("/Info"))

    return change


def test_forged_database_plus_info_update_fails(bench, tmp_path, capsys):
    """The attack of issue 14: a re-computed chain in a new database, and the report's link
    updated incrementally after the witness signed to name the forged head."""
    forged = tmp_path / "forged.db"
    with Store.open(forged) as store:
        sid = fill_session(store)
        store.lock_session(sid, by="Alice Tester", reason="signed report")
        forged_head = store.audit_head(sid)
    assert forged_head != bench["head"]
    pdf = tmp_path / "forged.pdf"
    _incremental(bench["pdf"], pdf, _set_info_head(forged_head))
    assert _verify(bench, pdf=pdf, db=forged) == 11
    out = capsys.readouterr().out
    assert "DISALLOWED CHANGES after signing: revision 3 changed the document information" in out
    # the link is read from the tester's signed revision, not from the forged update
    assert f"audit head {bench['head']}" in out
    # the session is found by the signed uid: the forged database's session is another one
    assert "BSCP601-TEST-0001) is not in" in out and "forged.db" in out


def test_page_update_after_witness_signature_fails(bench, tmp_path, capsys):
    def rotate(w):
        ref = w.root["/Pages"]["/Kids"].raw_get(0).reference
        ref.get_object()[generic.NameObject("/Rotate")] = generic.NumberObject(90)
        w.mark_update(ref)

    pdf = tmp_path / "rotated.pdf"
    _incremental(bench["pdf"], pdf, rotate)
    assert _verify(bench, pdf=pdf) == 11
    out = capsys.readouterr().out
    problems = [line for line in out.splitlines() if line.startswith("problem: Sig_witness")]
    assert problems and "revision 3 changed" in problems[0] and "page 1" in problems[0], out


def test_trust_both_ok_neither_untrusted(bench, capsys):
    assert _verify(bench) == 0
    capsys.readouterr()
    assert main(["verify", str(bench["pdf"]), "--db", str(bench["db"])]) == 15
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "UNTRUSTED" and "OK" not in out.splitlines()


def test_trust_accepts_a_pem_bundle(bench, tmp_path):
    bundle = tmp_path / "both.pem"
    bundle.write_bytes(b"".join(Path(t).read_bytes() for t in bench["trust"]))
    args = ["verify", str(bench["pdf"]), "--db", str(bench["db"]), "--trust", str(bundle)]
    assert main(args) == 0


def test_missing_session_fails_unless_no_db(bench, tmp_path, capsys):
    empty = tmp_path / "empty.db"
    Store.open(empty).close()
    assert _verify(bench, db=empty) == 11
    out = capsys.readouterr().out
    assert "(BSCP601-TEST-0001) is not in" in out and "empty.db" in out
    assert _verify(bench, db=tmp_path / "none.db") == 11
    assert "no database at" in capsys.readouterr().out
    assert _verify(bench, None, tmp_path / "none.db", "--no-db") == 0
    assert "session data: NOT CHECKED" in capsys.readouterr().out


def test_renamed_reference_fails(bench, tmp_path, capsys):
    db = tmp_path / "s.db"
    shutil.copyfile(bench["db"], db)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE sessions SET reference = 'OTHER'")
    assert _verify(bench, db=db) == 11
    assert "not the signed 'BSCP601-TEST-0001'" in capsys.readouterr().out


def test_json_report(bench, capsys):
    import json

    assert _verify(bench, None, None, "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["result"] == "OK" and doc["exit_code"] == 0 and doc["data_checked"]
    assert [s["role"] for s in doc["signatures"]] == ["tester", "witness"]
    assert all(len(s["fingerprint"]) == 95 for s in doc["signatures"])


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_verify_report_on_a_readonly_database_in_a_readonly_folder(bench, tmp_path):
    from tests.bench_app.test_store_opening import _run_cli

    folder = tmp_path / "medium"
    folder.mkdir()
    db = folder / "s.db"
    shutil.copyfile(bench["db"], db)
    os.chmod(db, 0o444)
    os.chmod(folder, 0o555)
    try:
        args = ["verify", str(bench["pdf"]), "--db", str(db)]
        for t in bench["trust"]:
            args += ["--trust", t]
        done = _run_cli(args, tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.splitlines()[-1] == "OK"
        assert sorted(p.name for p in folder.iterdir()) == ["s.db"]
    finally:
        os.chmod(folder, 0o755)


def test_verify_report_on_a_damaged_database_is_a_clear_failure(bench, tmp_path, capsys):
    from tests.bench_app.test_store_opening import _damage

    db = tmp_path / "s.db"
    shutil.copyfile(bench["db"], db)
    _damage(db)
    assert _verify(bench, db=db) == 11
    captured = capsys.readouterr()
    assert f"database damaged at {db}" in captured.out
    assert "Traceback" not in captured.out + captured.err


def test_an_empty_signature_field_added_after_signing_fails(bench, tmp_path, capsys):
    """An unsigned field's widget can paint over the page; pyHanko allows adding one."""
    from pyhanko.sign import fields

    def add_field(w):
        w._update_meta = lambda: None  # a careful adversary leaves /Info alone
        spec = fields.SigFieldSpec("Sig_cover", on_page=0, box=(50, 50, 545, 790))
        fields.append_signature_field(w, spec)

    pdf = tmp_path / "covered.pdf"
    _incremental(bench["pdf"], pdf, add_field)
    assert _verify(bench, pdf=pdf) == 11
    out = capsys.readouterr().out
    assert "DISALLOWED" not in out  # PDF rules allow a new signature field ...
    assert "Sig_cover: a signature field a witness report does not have" in out  # ... we do not
