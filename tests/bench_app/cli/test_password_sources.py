"""Meter password sources: argv, environment variable, file, prompt — exactly one."""

from __future__ import annotations

import argparse

import pytest

from bench_app.cli import main
from bench_app.cli.password import add_password_options, resolve_password
from bench_app.errors import UsageError


def _args(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    add_password_options(p)
    return p.parse_args(list(argv))


def test_each_source(tmp_path, monkeypatch):
    assert resolve_password(_args()) is None
    assert resolve_password(_args("--password", "ABCDEF12")) == "ABCDEF12"
    monkeypatch.setenv("PW", "FROMENV1")
    args = _args("--password-env", "PW")
    assert resolve_password(args) == "FROMENV1" and args.password == "FROMENV1"
    f = tmp_path / "pw"
    f.write_text("FROMFILE\nsecond line ignored\n")
    assert resolve_password(_args("--password-file", str(f))) == "FROMFILE"


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--password", "A", "--password-env", "PW"], "one way only"),
        (["--password-env", "UNSET_VAR_XYZ"], "UNSET_VAR_XYZ is not set"),
        (["--password-file", "/nonexistent/pw"], "cannot read /nonexistent/pw"),
        (["--password-prompt"], "needs a terminal"),
    ],
)
def test_bad_sources_are_usage_errors(argv, message, monkeypatch):
    monkeypatch.delenv("UNSET_VAR_XYZ", raising=False)
    monkeypatch.setattr("sys.stdin", None)
    with pytest.raises(UsageError, match=message):
        resolve_password(_args(*argv))


def test_empty_file_is_refused(tmp_path):
    f = tmp_path / "pw"
    f.write_text("")
    with pytest.raises(UsageError, match="is empty"):
        resolve_password(_args("--password-file", str(f)))


def test_read_cli_reports_a_bad_source_as_exit_2(capsys, monkeypatch):
    monkeypatch.delenv("NOPE_PW", raising=False)
    code = main(["read", "--port", "socket://127.0.0.1:9", "--protocol", "iec21",
                 "--password-env", "NOPE_PW"])  # fmt: skip
    assert code == 2 and "NOPE_PW" in capsys.readouterr().err
