"""Clean outputs: data cannot forge lines (terminal escapes, newlines), CSV cells cannot run as
formulas, key passphrases have 10+ characters, data and key folders are owner-only, and the DSA
deprecation warning stays hidden. Real files, real keys, real CLI runs."""

from __future__ import annotations

import csv
import io
import logging
import os
import subprocess
import sys

import pytest

from bench_app.cli import main
from bench_app.errors import UsageError
from bench_app.textsafe import csv_cell, csv_text, printable

FORGED_REF = "APP-1\n   9  2026-01-01  locked  protocol-approval  CoP5        FORGED-ROW"


def test_printable_shows_control_characters_as_escapes():
    assert printable("a\x1b[2K\rOK\nb\x9b\u202e") == "a\\x1b[2K\\rOK\\nb\\x9b\\u202e"
    assert printable("Zoë – ok") == "Zoë – ok"


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x.example","click")', '\'=HYPERLINK("http://x.example","click")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-0.476", "-0.476"),
        ("+44", "+44"),
        ("Elexon", "Elexon"),
    ],
)
def test_csv_cells_that_start_like_formulas_are_text(cell, written):
    assert csv_cell(cell) == written
    assert csv_text(written) == cell


def test_session_list_and_show_escape_a_forged_reference(tmp_path, capsys):
    from bench_app.store import Store

    db = tmp_path / "s.db"
    with Store.open(db) as store:
        store.create_session(FORGED_REF, "protocol-approval", cops=["CoP5"])
    assert main(["session", "list", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 1 and "APP-1\\n   9" in out
    assert main(["session", "show", "1", "--db", str(db)]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("session 1: APP-1\\n") and "FORGED-ROW" in first


def test_the_log_file_keeps_one_line_per_message(tmp_path):
    from bench_app.logs import configure_cli

    log_file = tmp_path / "run.log"
    configure_cli(0, log_file)
    try:
        log = logging.getLogger("bench_app.test")
        log.info("opened session %s", FORGED_REF)
        try:
            raise UsageError(f"no such thing in {FORGED_REF}")
        except UsageError as exc:
            log.debug("ended", exc_info=exc)
    finally:
        configure_cli(0, None)
    lines = log_file.read_text(encoding="utf-8").splitlines()
    assert sum("FORGED-ROW" in line for line in lines) == 2
    assert not any(line.startswith("   9  2026-01-01") for line in lines)
    assert lines[-1].startswith("bench_app.errors.UsageError: no such thing in APP-1\\n")


def test_cli_errors_escape_data(tmp_path, capsys):
    from bench_app.store import Store

    db = tmp_path / "s.db"
    with Store.open(db) as store:
        store.create_session("A\x1b]0;pwned\x07", "protocol-approval")
        store.lock_session(1, by="Mallory\x1b[2J")
    assert main(["session", "lock", "1", "--db", str(db), "--by", "X"]) != 0
    err = capsys.readouterr().err
    assert "\x1b" not in err and "Mallory\\x1b[2J" in err


def test_equipment_export_and_publish_neutralise_formulas(tmp_path):
    from bench_app.equipment import Register
    from bench_app.equipment.csvio import export_csv, import_csv
    from bench_app.report.published_lists import publish
    from bench_app.store import Store

    with Store.open(tmp_path / "s.db") as store:
        Register(store).add_type(
            "XS1", manufacturer='=HYPERLINK("http://evil.example","Meter Co")',
            models=["@SUM(A1:A2)", "+cmd|' /C calc'!A0"], notes="-1+1",
        )  # fmt: skip
        export_csv(store, "types", tmp_path / "types.csv")
        publish(store, "types", "75.0", "2026-11-29", tmp_path / "types-list.csv")
    for name in ("types.csv", "types-list.csv"):
        rows = list(csv.reader(io.StringIO((tmp_path / name).read_text(encoding="utf-8"))))
        for cell in (c for row in rows for c in row):
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (name, cell)
        assert any(c.startswith("'=HYPERLINK(") for row in rows for c in row), name
    with Store.open(tmp_path / "t.db") as store:  # the export reads back as it was
        import_csv(store, "types", tmp_path / "types.csv")
        t = Register(store).types()[0]
    assert t["manufacturer"].startswith("=HYPERLINK(") and t["notes"] == "-1+1"


def test_a_key_passphrase_needs_ten_characters(tmp_path, monkeypatch, capsys):
    from bench_app.signing import new_self_signed

    with pytest.raises(UsageError, match="at least 10 characters \\(this one has 9\\)"):
        new_self_signed("Bob", "", "witness", tmp_path, passphrase=b"123456789")
    assert not list(tmp_path.iterdir())
    monkeypatch.setenv("WITNESS_BENCH_PASSPHRASE", "short")
    args = ["keys", "new", "--name", "Carol", "--role", "witness", "--out", str(tmp_path)]
    assert main(args) == 2 and "at least 10 characters" in capsys.readouterr().err
    monkeypatch.setenv("WITNESS_BENCH_PASSPHRASE", "long enough")
    assert main(args) == 0


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_data_and_key_folders_are_owner_only(tmp_path, monkeypatch):
    from bench_app.signing import new_self_signed
    from bench_app.store import Store

    old = os.umask(0o022)
    try:
        home = tmp_path / "home" / "WitnessBench"
        monkeypatch.setenv("WITNESS_BENCH_HOME", str(home))
        monkeypatch.delenv("WITNESS_BENCH_DB", raising=False)
        new_self_signed("Bob", "", "witness", None, passphrase=b"long enough")
        Store.open(tmp_path / "d1" / "d2" / "s.db").close()
        from bench_app.logs import configure_cli

        configure_cli(0, tmp_path / "l1" / "run.log")
        configure_cli(0, None)
    finally:
        os.umask(old)
    for folder in (tmp_path / "home", home, home / "keys", tmp_path / "d1", tmp_path / "d1" / "d2",
                   tmp_path / "l1"):  # fmt: skip
        assert folder.stat().st_mode & 0o777 == 0o700, folder


def test_no_dsa_deprecation_warning_reaches_the_user(tmp_path):
    code = "import bench_app.signing.verify, bench_app.signing.sign"
    done = subprocess.run(
        [sys.executable, "-W", "default", "-c", code], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and "DSA" not in done.stderr, done.stderr
