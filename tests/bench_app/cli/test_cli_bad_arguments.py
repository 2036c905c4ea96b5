"""Every ``bench-app`` command, with missing and invalid arguments and files: a clear message and
a documented exit code, never a Python traceback and never the internal-error code.

The commands are enumerated from the parser itself (plugins included), so commands other
engineers add later are covered without editing this file.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from bench_app.cli import EXIT_CODES, EXIT_INTERNAL, build_parser, main

#: Commands that, given valid arguments, run until stopped or do a long job: only arguments
#: argparse itself refuses are tried on them.
LONG_RUNNING = {("simulate",), ("simulate-gps",), ("demo",), ("gui",)}
MISSING = "/nonexistent/wb-cli-test/file.csv"
GARBAGE = "%%not-valid%%"


def leaves(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path, parser
        return
    seen = set()
    for name, sp in subs[0].choices.items():
        if id(sp) not in seen:  # aliases point at the same parser
            seen.add(id(sp))
            yield from leaves(sp, (*path, name))


def _plausible(action: argparse.Action) -> str:
    """A value argparse accepts for ``action`` but that names nothing that exists."""
    if action.choices:
        return str(next(iter(action.choices)))
    for candidate in ("999999", "2026-01-01", "9600", MISSING):
        try:
            if action.type is None or action.type(candidate) is not None:
                return candidate
        except (argparse.ArgumentTypeError, ValueError, TypeError):
            continue
    return MISSING


def _required(parser: argparse.ArgumentParser, db: str) -> list[str]:
    argv: list[str] = []
    has_db = False
    for a in parser._actions:
        if isinstance(a, argparse._HelpAction | argparse._VersionAction):
            continue
        if "--db" in a.option_strings:
            has_db = True
        if a.option_strings and a.required:
            argv += [a.option_strings[0], _plausible(a)]
        elif not a.option_strings and a.nargs not in ("?", "*"):
            argv += [_plausible(a)] * (a.nargs if isinstance(a.nargs, int) else 1)
    return argv + (["--db", db] if has_db else [])


def cases(db: str) -> Iterator[tuple[str, list[str], bool]]:
    """(label, argv, whether argv names --db) for every command."""
    for path, parser in leaves(build_parser()):
        base = _required(parser, db)
        with_db = "--db" in base
        if path not in LONG_RUNNING:
            yield f"{' '.join(path)}: nothing", list(path), False
            yield f"{' '.join(path)}: required only", [*path, *base], with_db
        for a in parser._actions:
            if not a.option_strings or a.nargs == 0 or "--db" in a.option_strings:
                continue
            if isinstance(a, argparse._HelpAction | argparse._VersionAction):
                continue
            refused_by_argparse = a.type is not None or a.choices is not None
            if path in LONG_RUNNING and not refused_by_argparse:
                continue
            opt = a.option_strings[0]
            rest = list(base)
            if opt in rest:
                i = rest.index(opt)
                del rest[i : i + 2]
            value = GARBAGE if refused_by_argparse else MISSING
            yield f"{' '.join(path)} {opt} {value}", [*path, *rest, opt, value], with_db


def _run(argv: list[str], capfd) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse: usage error
        code = exc.code if isinstance(exc.code, int) else 2
    out, err = capfd.readouterr()
    return code, out, err


@pytest.mark.timeout(900)  # 150+ commands, each building the whole parser: slow on a busy runner
def test_every_command_with_bad_arguments_fails_cleanly(tmp_path, capfd, monkeypatch):
    monkeypatch.delenv("WITNESS_BENCH_PASSPHRASE", raising=False)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)  # a command that writes a relative path writes it here
    db = str(tmp_path / "cli.db")
    failures = []
    codes: dict[int, int] = {}
    all_cases = list(cases(db))
    for label, argv, with_db in all_cases:
        home = tmp_path / ("home-db" if with_db else "home")
        monkeypatch.setenv("WITNESS_BENCH_HOME", str(home))
        if with_db:
            monkeypatch.delenv("WITNESS_BENCH_DB", raising=False)
        else:
            monkeypatch.setenv("WITNESS_BENCH_DB", str(home / "sessions.db"))
        code, out, err = _run(argv, capfd)
        codes[code] = codes.get(code, 0) + 1
        if "Traceback" in out + err or code == EXIT_INTERNAL or code not in EXIT_CODES:
            failures.append(f"{label}: exit {code}: {(err or out).strip()[-300:]}")
        elif code not in (0, 1) and not err.strip():
            failures.append(f"{label}: exit {code} without a message on stderr")
    assert not failures, "\n".join(failures)
    assert len(all_cases) > 150
    assert codes.get(2, 0) > 100 and len(codes) >= 4, codes  # usage errors and others seen
    # --db given: the user data folder is not created behind the user's back
    assert not (tmp_path / "home-db").exists()


def test_messages_name_the_problem(tmp_path, capfd):
    db = str(tmp_path / "m.db")
    afile = tmp_path / "a-file"
    afile.write_text("x")
    checks = [
        (["session", "new", "--reference", "R", "--kind", "cop-compliance", "--date",
          "2026-02-30", "--db", db], 2, "not a date YYYY-MM-DD that exists"),
        (["session", "new", "--reference", "R", "--kind", "cop-compliance", "--date",
          "tomorrow", "--db", db], 2, "'tomorrow' is not a date"),
        (["read", "--port", "socket://127.0.0.1:1", "--protocol", "iec21", "--timeout", "-1"],
         2, "must be a number greater than 0"),
        (["read", "--port", "socket://127.0.0.1:1", "--protocol", "iec21", "--baud", "0"],
         2, "'0' is not a baud rate"),
        (["read", "--port", "gopher://x", "--protocol", "iec21"], 2, "unknown port scheme"),
        (["read", "--port", "socket://127.0.0.1:1", "--protocol", "iec21", "--trace",
          str(tmp_path)], 2, "is a folder; give a file name"),
        (["report", "--session", "1", "--out", str(tmp_path / "no" / "r.pdf"), "--db", db],
         2, "does not exist; create it first"),
        (["keys", "new", "--name", "A", "--role", "tester", "--out", str(afile)],
         2, "is a file, not a folder"),
        (["import", "--session", "1", "--source", "hhdc", str(tmp_path / "none.csv"), "--db", db],
         2, "no such file"),
        (["sim-control", "tcp://127.0.0.1:1", "phase-failure"], 2, "takes 1 argument"),
        (["session", "list", "--db", str(tmp_path / "no" / "s.db")], 2, "does not exist"),
        (["checklist", "show", "--session", "1", "--db", str(tmp_path / "no" / "s.db")], 2,
         "does not exist"),
    ]  # fmt: skip
    for argv, want, text in checks:
        code, out, err = _run(argv, capfd)
        assert (code, text in err) == (want, True), (argv, code, err)
    assert not (tmp_path / "no").exists()


def test_tcp_port_is_taken_as_socket(capfd):
    from drivers.sim import start_simulator

    with start_simulator("iec21", days=1, seed=2) as sim:
        url = sim.url.replace("socket://", "tcp://")
        code, out, err = _run(
            ["read", "--port", url, "--protocol", "iec21", "--password", "ABCDEF12"], capfd
        )
    assert code == 0, err
    assert "Meter" in out
