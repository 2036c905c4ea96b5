"""``bench-app keys new`` / ``report --sign`` / ``verify`` end to end on a real database."""

from __future__ import annotations

import pytest

from bench_app.cli import main
from bench_app.errors import SessionLockedError
from bench_app.signing import verify_pdf
from bench_app.store import Store
from tests.bench_app.report.report_fixtures import fill_session, pdftotext


@pytest.fixture
def setup(tmp_path, monkeypatch):
    monkeypatch.delenv("WITNESS_BENCH_PASSPHRASE", raising=False)
    db = tmp_path / "s.db"
    with Store.open(db) as store:
        sid = fill_session(store, days=2, channels=2)
    (tmp_path / "tp").write_text("tester-pass\n")
    (tmp_path / "wp").write_text("witness-pass\n")
    keys = tmp_path / "keys"
    for name, role, pf in (("Alice Tester", "tester", "tp"), ("Bob Witness", "witness", "wp")):
        assert (
            main(
                [
                    "keys",
                    "new",
                    "--name",
                    name,
                    "--org",
                    "Org",
                    "--role",
                    role,
                    "--out",
                    str(keys),
                    "--passphrase-file",
                    str(tmp_path / pf),
                ]
            )
            == 0
        )
    return tmp_path, db, sid, keys


def test_report_sign_countersign_verify(setup, capsys):
    tmp, db, sid, keys = setup
    out = tmp / "report.pdf"
    assert main(["report", "--session", str(sid), "--out", str(out), "--db", str(db)]) == 0
    assert "report written" in capsys.readouterr().out
    assert not verify_pdf(out)
    base = ["report", "--session", str(sid), "--out", str(out), "--db", str(db), "--sign"]
    assert (
        main(
            base
            + [
                "--p12",
                str(keys / "alice-tester-tester.p12"),
                "--role",
                "tester",
                "--passphrase-file",
                str(tmp / "tp"),
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "locked by Alice Tester" in text and "signed as tester" in text
    assert (
        main(
            base
            + [
                "--p12",
                str(keys / "bob-witness-witness.p12"),
                "--role",
                "witness",
                "--passphrase-file",
                str(tmp / "wp"),
                "--trust",
                str(keys / "alice-tester-tester.pem"),
            ]
        )
        == 0
    )
    assert "countersigned as witness" in capsys.readouterr().out
    # the session is locked and refuses edits
    with Store.open(db) as store:
        assert store.get_session(sid)["locked_by"] == "Alice Tester"
        with pytest.raises(SessionLockedError):
            store.add_participant(sid, "Mallory")
    assert "status locked" in pdftotext(out)
    trust = [str(keys / "alice-tester-tester.pem")]
    rc = main(["verify", str(out), "--trust", trust[0], "--db", str(db)])
    text = capsys.readouterr().out
    assert rc == 15  # the witness certificate is not trusted
    assert "every row they cover re-verified" in text and text.splitlines()[-1] == "UNTRUSTED"
    both = [str(keys / "alice-tester-tester.pem"), str(keys / "bob-witness-witness.pem")]
    assert verify_pdf(out, both)
    assert main(["verify", str(out), "--db", str(db), "--trust", both[0], "--trust", both[1]]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "OK"


def test_wrong_passphrase_neither_locks_nor_writes(setup, capsys):
    tmp, db, sid, keys = setup
    (tmp / "bad").write_text("nope\n")
    out = tmp / "r.pdf"
    rc = main(
        [
            "report",
            "--session",
            str(sid),
            "--out",
            str(out),
            "--db",
            str(db),
            "--sign",
            "--p12",
            str(keys / "alice-tester-tester.p12"),
            "--role",
            "tester",
            "--passphrase-file",
            str(tmp / "bad"),
        ]
    )
    assert rc == 10
    assert "wrong passphrase" in capsys.readouterr().err
    assert not out.exists()
    with Store.open(db) as store:
        assert store.get_session(sid)["status"] == "draft"


def test_sign_without_key_is_a_usage_error(setup, capsys):
    tmp, db, sid, _ = setup
    rc = main(
        ["report", "--session", str(sid), "--out", str(tmp / "x.pdf"), "--db", str(db), "--sign"]
    )
    assert rc == 2 and "--p12" in capsys.readouterr().err
