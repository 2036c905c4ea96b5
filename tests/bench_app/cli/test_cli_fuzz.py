"""Fuzz every command's options with hypothesis: whatever the value, ``bench-app`` answers with a
documented exit code and a message — never a traceback, never the internal-error code.

Commands that run until stopped (simulate, demo, gui) are only parsed: a value argparse accepts
would start them for real.
"""

from __future__ import annotations

import argparse
import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench_app.cli import EXIT_CODES, EXIT_INTERNAL, build_parser, main
from tests.bench_app.cli.test_cli_bad_arguments import LONG_RUNNING, _required, leaves

_PARSER = build_parser()
#: (command path, option, the parser) of every option that takes a value
OPTIONS = [
    (path, a.option_strings[0], parser)
    for path, parser in leaves(_PARSER)
    for a in parser._actions
    if a.option_strings
    and a.nargs != 0
    and "--db" not in a.option_strings
    and not isinstance(a, argparse._HelpAction | argparse._VersionAction)
]
NASTY = ["", "-1", "0", "99999", "nan", "inf", "1e309", "tcp://0.0.0.0:99999", "..", "/",
         "COM999", "2026-02-30", "\x00", "--", "-v", "é", "9" * 40]  # fmt: skip
VALUES = st.one_of(st.sampled_from(NASTY), st.text(max_size=24))


@pytest.mark.timeout(900)
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=st.sampled_from(OPTIONS), value=VALUES)
def test_any_option_value_gives_a_documented_exit_code(case, value, tmp_path_factory, capfd):
    path, opt, parser = case
    if "\x00" in value and path not in LONG_RUNNING:
        value = value.replace("\x00", "")  # the OS refuses NUL in argv before we see it
    tmp = tmp_path_factory.mktemp("fuzz")
    base = _required(parser, str(tmp / "f.db"))
    if opt in base:
        i = base.index(opt)
        del base[i : i + 2]
    argv = [*path, *base, f"{opt}={value}"]
    with contextlib.chdir(tmp):  # a command writing a relative path writes it here
        try:
            if path in LONG_RUNNING:
                _PARSER.parse_args(argv)
                code = 0
            else:
                code = main(argv)
        except SystemExit as exc:  # argparse: a usage error
            code = exc.code if isinstance(exc.code, int) else 2
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err, (argv, err[-500:])
    assert code != EXIT_INTERNAL and code in EXIT_CODES, (argv, code, err[-500:])
    if code not in (0, 1):
        assert err.strip(), (argv, code)
