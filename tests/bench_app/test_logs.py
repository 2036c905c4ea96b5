"""Logging: module loggers, CLI -v/--log, the GUI's rotating file; error hints in the CLI."""

from __future__ import annotations

import logging

import pytest

from bench_app import errors as be
from bench_app.cli import main
from bench_app.logs import GUI_LOG_NAME, configure_cli, configure_gui, hint_of
from drivers import errors as de


@pytest.fixture(autouse=True)
def _restore_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
            h.close()
    root.setLevel(level)


def test_drivers_are_silent_unless_configured():
    assert any(isinstance(h, logging.NullHandler) for h in logging.getLogger("drivers").handlers)


@pytest.fixture
def empty_db():
    """The default session database exists (so a missing session is NotFound, not 'no database')."""
    from bench_app.paths import default_db_path
    from bench_app.store import Store

    Store.open(default_db_path()).close()


def test_a_cli_error_prints_what_and_what_to_do(capsys, empty_db):
    assert main(["session", "show", "424242"]) == be.NotFoundError.exit_code
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "424242" in err
    assert f"hint: {be.NotFoundError.hint}" in err
    assert "Traceback" not in err


def test_cli_log_file_keeps_the_traceback_and_verbose_shows_info(tmp_path, capsys, empty_db):
    log_file = tmp_path / "logs" / "cli.log"
    assert main(["-v", "--log", str(log_file), "session", "show", "424242"]) != 0
    text = log_file.read_text(encoding="utf-8")
    assert "NotFoundError ended the command" in text and "Traceback" in text
    logging.getLogger("drivers.test").info("visible with -v")
    assert "visible with -v" in capsys.readouterr().err


def test_without_v_info_is_not_printed(capsys):
    configure_cli(0)
    logging.getLogger("drivers.test").info("hidden")
    logging.getLogger("drivers.test").warning("shown")
    err = capsys.readouterr().err
    assert "hidden" not in err and "shown" in err


def test_reconfiguring_does_not_duplicate_handlers(capsys):
    for _ in range(3):
        configure_cli(0)
    logging.getLogger("bench_app.test").warning("once")
    assert capsys.readouterr().err.count("once") == 1


def test_gui_log_rotates_in_the_user_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("WITNESS_BENCH_HOME", str(tmp_path / "home"))
    monkeypatch.setattr("bench_app.logs.GUI_LOG_BYTES", 2000)
    path = configure_gui()
    assert path == tmp_path / "home" / "logs" / GUI_LOG_NAME
    # the size limit is read when the handler is made: make a new one with the small limit
    path = configure_gui()
    for i in range(200):
        logging.getLogger("ui.test").info("line %d of a long session", i)
    files = sorted(p.name for p in path.parent.iterdir())
    assert GUI_LOG_NAME in files and f"{GUI_LOG_NAME}.1" in files
    assert "line 199" in path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "exc",
    [
        de.TransportError("gone", port="COM3"),
        de.DriverTimeout("silence", port="COM3"),
        de.ProtocolError("bad BCC", data=b"\x01"),
        de.AuthenticationError("refused"),
        be.StoreError("disk full"),
        be.SessionLockedError("locked"),
        be.IntegrityError("hash"),
        be.DataImportError("line 3"),
        be.TemplateError("x.toml:4"),
        be.SigningError("passphrase"),
        be.UsageError("--from after --to"),
    ],
)
def test_every_error_class_carries_its_own_advice(exc):
    assert hint_of(exc) and exc.title
    assert hint_of(exc) != hint_of(Exception()) == ""


def test_swallowed_release_errors_are_logged(caplog):
    """Closing never raises, but what it swallowed is in the log."""
    from drivers.dlms.client import DlmsClient

    class DeadLink:
        def exchange(self, apdu: bytes, *, step: str = "") -> bytes:
            raise de.DriverTimeout("no answer to RLRQ", port="COM3")

        def disconnect(self) -> None:
            raise de.TransportError("port vanished", port="COM3")

    client = object.__new__(DlmsClient)
    client.link, client.association = DeadLink(), object()
    caplog.set_level(logging.INFO, logger="drivers")
    client.release()  # does not raise
    logged = [r.getMessage() for r in caplog.records if r.name == "drivers.dlms.client"]
    assert any("no answer to RLRQ" in m for m in logged)
    assert any("port vanished" in m for m in logged)


def test_successful_run_is_logged_with_v_and_log(tmp_path, capsys):
    """-v and --log record what a successful command did (started with which arguments, ended
    with which exit code), with passwords hidden."""
    log = tmp_path / "run.log"
    db = str(tmp_path / "s.db")
    argv = ["session", "new", "--reference", "LOG-1", "--kind", "cop-compliance", "--db", db]
    assert main(["-v", "--log", str(log), *argv]) == 0
    text = log.read_text(encoding="utf-8")
    assert "bench-app session started: -v --log" in text and "new --reference LOG-1" in text
    assert "bench-app session ended with exit code 0" in text
    assert "ended with exit code 0" in capsys.readouterr().err  # -v: on stderr too
    from bench_app.cli import redacted

    assert redacted(["read", "--password", "s3cret", "--password=x"]) == [
        "read", "--password", "***", "--password=***"]  # fmt: skip


def test_hint_fits_the_os_error():
    import errno

    perm = be.os_hint(PermissionError(errno.EACCES, "Permission denied", "x.db"))
    assert perm and "permission" in perm.lower() and "space" not in perm.lower()
    assert "space" in (be.os_hint(OSError(errno.ENOSPC, "No space left on device")) or "")
    assert be.os_hint(ValueError("odd")) is None
