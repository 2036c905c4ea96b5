"""The signing workflow cannot be tricked: a refused signature changes nothing, the tester signs
first, the witness countersigns only what verifies with their own trust, a signed PDF is never
written over, and nobody signs while a checklist step runs. Real database, keys and PDFs."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from bench_app.checklist.running import running_step, step_running
from bench_app.cli import main
from bench_app.errors import SigningError, UsageError
from bench_app.signing import new_self_signed, verify_pdf
from bench_app.signing.sign import load_signer
from bench_app.signing.workflow import write_report
from bench_app.store import Store
from tests.bench_app.report.report_fixtures import fill_session

T_PASS, W_PASS = b"tester-pass-1", b"witness-pass-1"


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    d = tmp_path_factory.mktemp("wfkeys")
    tester = new_self_signed("Alice Tester", "Meter Co", "tester", d, passphrase=T_PASS)
    witness = new_self_signed("Bob Witness", "Elexon", "witness", d, passphrase=W_PASS)
    return {
        "tester": load_signer(tester[0], T_PASS),
        "witness": load_signer(witness[0], W_PASS),
        "tester_pem": str(tester[1]),
        "witness_pem": str(witness[1]),
        "tester_p12": tester[0],
        "witness_p12": witness[0],
    }


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "s.db"
    with Store.open(path) as store:
        fill_session(store, days=1, channels=1)
    return path


def _status(db) -> str:
    with Store.open(db) as store:
        return store.get_session(1)["status"]


def _sign(db, out, keys, role, **kw):
    with Store.open(db) as store:
        return write_report(store, 1, out, signer=keys[role], role=role, **kw)


def test_a_wrong_role_key_neither_locks_nor_writes(tmp_path, db, keys):
    out = tmp_path / "r.pdf"
    with Store.open(db) as store, pytest.raises(SigningError, match="is a witness key"):
        write_report(store, 1, out, signer=keys["witness"], role="tester")
    assert _status(db) == "draft" and not out.exists()


def test_the_witness_cannot_sign_first(tmp_path, db, keys):
    out = tmp_path / "r.pdf"
    with pytest.raises(SigningError, match="the tester signs first"):
        _sign(db, out, keys, "witness", trust=[keys["tester_pem"]])
    assert _status(db) == "draft" and not out.exists()


@pytest.fixture
def tester_signed(tmp_path, db, keys):
    out = tmp_path / "r.pdf"
    _sign(db, out, keys, "tester")
    return out


def test_countersigning_needs_the_witness_trust(tester_signed, db, keys):
    before = tester_signed.read_bytes()
    with pytest.raises(SigningError, match="cannot countersign without a trust file"):
        _sign(db, tester_signed, keys, "witness")
    with pytest.raises(SigningError, match="UNTRUSTED.*not in your trust file"):
        _sign(db, tester_signed, keys, "witness", trust=[keys["witness_pem"]])
    assert tester_signed.read_bytes() == before


def test_countersigning_a_report_whose_data_changed_is_refused(tester_signed, db, keys):
    before = tester_signed.read_bytes()
    conn = sqlite3.connect(db)
    conn.execute("UPDATE readings SET value = value + 4.39 WHERE id = 5")
    conn.commit()
    conn.close()
    with pytest.raises(SigningError, match=r"refusing to countersign .*readings id 5"):
        _sign(db, tester_signed, keys, "witness", trust=[keys["tester_pem"]])
    assert tester_signed.read_bytes() == before


def test_countersigning_against_another_database_is_refused(tester_signed, db, keys, tmp_path):
    other = tmp_path / "other.db"
    with Store.open(other) as store:  # the same session made again: another audit head
        fill_session(store, days=1, channels=1)
        store.lock_session(1, by="Alice Tester")
    # the session made again has its own uid: the report is another session's
    with pytest.raises((SigningError, UsageError),
                       match="is not in session 1's chain|signed report of another session"):
        _sign(other, tester_signed, keys, "witness", trust=[keys["tester_pem"]])


def test_a_verified_report_is_countersigned(tester_signed, db, keys):
    done = _sign(db, tester_signed, keys, "witness", trust=[keys["tester_pem"]])
    assert done.countersigned and [r.field for r in verify_pdf(tester_signed)] == [
        "Sig_tester", "Sig_witness",
    ]  # fmt: skip


def test_an_unsigned_report_never_overwrites_a_signed_one(tester_signed, db, keys, capsys):
    before = tester_signed.read_bytes()
    args = ["report", "--session", "1", "--out", str(tester_signed), "--db", str(db)]
    assert main(args) == 2
    assert "is a signed report and is never written over" in capsys.readouterr().err
    assert tester_signed.read_bytes() == before
    assert main([*args, "--force"]) == 0
    kept = tester_signed.with_name("r.signed-1.pdf")
    assert f"signed report kept as {kept}" in capsys.readouterr().out
    assert kept.read_bytes() == before and not verify_pdf(tester_signed)


def test_signing_waits_for_a_running_step(tmp_path, db, keys):
    out = tmp_path / "r.pdf"
    with Store.open(db) as store:
        with step_running(store, 1, "DR2-1"):
            assert running_step(store, 1) == "DR2-1"
            with pytest.raises(SigningError, match="step DR2-1 of session 1 is still running"):
                write_report(store, 1, out, signer=keys["tester"], role="tester")
        assert running_step(store, 1) is None
    assert _status(db) == "draft" and not out.exists()


def test_the_engine_marks_its_step_as_running(db):
    from bench_app.checklist.engine import ChecklistEngine
    from bench_app.checklist.template import find_template

    seen = []
    with Store.open(db) as store:
        sid = store.create_session("RUN-1", "protocol-approval")
        engine = ChecklistEngine(store, sid, find_template("bscp601-protocol-cop1-2-3-5-10"))
        step = engine.template.steps[0].id
        original = engine._run_step

        def spy(step_id):
            seen.append(running_step(store, sid))
            return original(step_id)

        engine._run_step = spy  # type: ignore[method-assign]
        engine.run_step(step)
        assert running_step(store, sid) is None
    assert seen == [step]


def test_cli_witness_refusal_says_why_and_changes_nothing(tester_signed, db, keys, tmp_path):
    pf = tmp_path / "wp"
    pf.write_text(W_PASS.decode() + "\n")
    before = tester_signed.read_bytes()
    copy = tmp_path / "copy.db"
    shutil.copyfile(db, copy)
    args = ["report", "--session", "1", "--out", str(tester_signed), "--db", str(copy), "--sign",
            "--p12", str(keys["witness_p12"]), "--role", "witness",
            "--passphrase-file", str(pf)]  # fmt: skip
    assert main(args) == 10
    assert main([*args, "--trust", keys["tester_pem"]]) == 0
    assert tester_signed.read_bytes() != before
