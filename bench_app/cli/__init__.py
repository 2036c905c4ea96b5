"""``bench-app`` command line.

Each command group lives in its own module with a ``register(subparsers)`` function that adds its
sub-command(s) and sets ``func`` on the parsed arguments. :func:`main` maps typed errors to exit
codes (:data:`EXIT_CODES`; docs/cli.md's table is the same): never a traceback. An unexpected
exception is a defect: it is reported in one line with exit code 70 (set ``WITNESS_BENCH_DEBUG=1``
for the traceback). An error is printed as ``error: …`` followed by ``hint: …`` (what
to do, from the error class). ``-v``/``-vv`` and ``--log FILE`` (before the command) control
logging (:mod:`bench_app.logs`).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sqlite3
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from bench_app import __version__
from bench_app.errors import BenchError, FileAccessError, os_hint
from bench_app.logs import configure_cli, hint_of
from bench_app.textsafe import printable
from drivers.errors import DriverError

log = logging.getLogger(__name__)

#: Every exit code of ``bench-app`` and what it means (kept in step with the table in docs/cli.md).
EXIT_CODES = {
    0: "ok; reconcile: AGREE; verify: report valid",
    1: "reconcile: DIFFER; other unclassified failure",
    2: "usage: missing or invalid arguments (the message names the option)",
    3: "transport or timeout: the port cannot be opened or the meter does not answer",
    4: "protocol: the meter answered something the standard does not allow",
    5: "authentication: the password/level was refused",
    6: "session database: cannot open/migrate/write; session or collection not found; locked",
    7: "integrity: the audit chain or a bundle's hashes do not verify",
    8: "import: a CSV or bundle was refused (file:line reasons); nothing stored",
    9: "checklist template invalid",
    10: "report could not be written or signed (key, passphrase)",
    11: "verify: the signed report does not verify",
    12: "reconcile: CANNOT COMPARE (fewer than two sources, or nothing in the span)",
    13: "gui: no display (use --smoke-test, QT_QPA_PLATFORM=offscreen, or xvfb-run)",
    14: "a file or folder cannot be read or written (permission, disk full …)",
    15: "verify: UNTRUSTED (everything passed but a signer is not among the --trust certificates)",
    16: "read: read with warnings (an optional object was missing, refused or undecodable; the "
    "rest was read and stored)",
    17: "verify: PAGES NOT RE-DRAWN (everything else passed, but the pages were drawn by an older "
    "page layout, so they were not compared with the statement)",
    70: "internal error (a defect; WITNESS_BENCH_DEBUG=1 shows the traceback)",
    130: "interrupted (Ctrl-C)",
}
#: Exit code of an unexpected exception (EX_SOFTWARE).
EXIT_INTERNAL = 70

#: Entry-point group through which other packages (the GUI) add sub-commands to ``bench-app``.
PLUGIN_GROUP = "witness_bench.commands"

#: Modules that contribute sub-commands, in the order they appear in ``--help``.
COMMAND_MODULES = [
    "bench_app.cli.demo",
    "bench_app.cli.simulate",
    "bench_app.cli.read",
    "bench_app.cli.write",
    "bench_app.cli.probe",
    "bench_app.cli.session",
    "bench_app.cli.data",
    "bench_app.cli.verify",
    "bench_app.cli.checklist",
    "bench_app.cli.report",
    "bench_app.cli.keys",
    "bench_app.cli.equipment",
    "bench_app.cli.trace",
    "bench_app.cli.observe",
    "bench_app.cli.simulate_hhdc",
]


def plugin_modules() -> list[str]:
    """Command modules other installed packages declare under :data:`PLUGIN_GROUP`."""
    from importlib.metadata import entry_points

    return [ep.value for ep in entry_points(group=PLUGIN_GROUP)]


class BenchParser(argparse.ArgumentParser):
    """argparse that also answers a usage error in JSON when ``--json`` was asked for."""

    json_errors = False

    def _get_values(self, action: argparse.Action, arg_strings: list[str]) -> Any:
        # ``--opt=--``: argparse drops the "--" as if it ended the options and hands the option
        # an empty list, unchecked against its choices; it is the literal value "--"
        if action.nargs is None and action.option_strings and arg_strings == ["--"]:
            value = self._get_value(action, "--")
            self._check_value(action, value)
            return value
        return super()._get_values(action, arg_strings)

    def error(self, message: str) -> NoReturn:
        if BenchParser.json_errors:
            _json_error("UsageError", f"{self.prog}: {message}", "see --help", 2)
        super().error(message)


def build_parser(plugins: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The ``bench-app`` parser: domain commands plus ``plugins`` (default: the installed ones)."""
    parser = BenchParser(
        prog="bench-app",
        description="Witness Bench: read, witness and report on half-hourly metering outstations.",
    )
    parser.add_argument("--version", action="version", version=f"bench-app {__version__}")
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log more on stderr (-v info, -vv debug with tracebacks); give before the command",
    )
    parser.add_argument(
        "--log", metavar="FILE", default=None, help="also write a full (debug) log to FILE"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    extra = plugin_modules() if plugins is None else list(plugins)
    for name in [*COMMAND_MODULES, *(m for m in extra if m not in COMMAND_MODULES)]:
        importlib.import_module(name).register(sub)
    return parser


def database_error(args: argparse.Namespace, exc: sqlite3.DatabaseError) -> BenchError:
    """The typed error for an SQLite error no layer turned into one (damage found mid-read)."""
    from pathlib import Path

    from bench_app.errors import StoreError
    from bench_app.paths import default_db_path
    from bench_app.store.opening import damaged, is_damage

    path = Path(getattr(args, "db", None) or default_db_path())
    if is_damage(exc):
        return damaged(path, exc)
    return StoreError(f"session database {path}: {exc}", hint=os_hint(exc))


def main(argv: Sequence[str] | None = None, plugins: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code.

    :param plugins: extra command modules (the frozen bundle names them; installs declare them
        as entry points).
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list == ["--version"]:  # answer before importing every command's dependencies
        print(f"bench-app {__version__}")
        return 0
    parser = build_parser(plugins)
    BenchParser.json_errors = "--json" in args_list
    args = parser.parse_args(args_list)
    configure_cli(args.verbose, args.log)
    guard = PipeGuard.install()
    try:
        code = _run(args, args_list)
        log.info("bench-app %s ended with exit code %d (%s)", args.command, code,
                 EXIT_CODES.get(code, "see the exit-code table"))  # fmt: skip
        return code
    finally:
        guard.uninstall()


def _run(args: argparse.Namespace, args_list: list[str]) -> int:
    """Run the command; every outcome is an exit code (typed errors → :data:`EXIT_CODES`)."""
    log.info("bench-app %s started: %s", args.command, " ".join(redacted(args_list)))
    try:
        return int(args.func(args) or 0)
    except (DriverError, BenchError) as exc:
        return report_error(exc, args)
    except sqlite3.DatabaseError as exc:  # damaged pages met after opening: name the file
        return report_error(database_error(args, exc), args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        err = FileAccessError(f"{where}{exc.strerror or exc}", hint=os_hint(exc))
        return report_error(err, args)
    except Exception as exc:  # a defect: one clear line and the log, never a traceback
        log.error("internal error in %s: %s: %s", args_list[:1], type(exc).__name__, exc)
        log.debug("traceback of the internal error", exc_info=exc)
        if os.environ.get("WITNESS_BENCH_DEBUG"):
            raise
        print(
            f"internal error: {type(exc).__name__}: {exc} — nothing further was done; run again "
            "with WITNESS_BENCH_DEBUG=1 for the traceback and report it",
            file=sys.stderr,
        )
        if getattr(args, "json", False):
            _json_error(type(exc).__name__, str(exc), "", EXIT_INTERNAL)
        return EXIT_INTERNAL


#: Options whose value is never logged.
_SECRET_OPTIONS = ("--password", "--passphrase", "--secret")


def redacted(argv: Sequence[str]) -> list[str]:
    """``argv`` with the values of password-like options replaced by ``***``."""
    out: list[str] = []
    hide = False
    for arg in argv:
        if hide:
            out.append("***")
            hide = False
        elif arg.startswith(_SECRET_OPTIONS):
            if "=" in arg:
                out.append(arg.split("=", 1)[0] + "=***")
            else:
                out.append(arg)
                hide = True
        else:
            out.append(arg)
    return out


def report_error(exc: DriverError | BenchError, args: argparse.Namespace | None = None) -> int:
    """Print ``error: …`` and ``hint: …`` on stderr (and, with ``--json``, the same as a JSON
    object on stdout); log it; return the exit code."""
    log.info("%s ended the command: %s", type(exc).__name__, exc)
    log.debug("traceback", exc_info=exc)
    print(f"error: {printable(exc)}", file=sys.stderr)
    hint = hint_of(exc)
    if hint:
        print(f"hint: {hint}", file=sys.stderr)
    if args is not None and getattr(args, "json", False):
        _json_error(type(exc).__name__, str(exc), hint, exc.exit_code)
    return exc.exit_code


def _json_error(kind: str, message: str, hint: str, code: int) -> None:
    """The JSON object ``--json`` prints for a refusal or an error."""
    from bench_app.cli.common import print_json

    print_json({"ok": False, "error": kind, "message": message, "hint": hint,
                "exit_code": code, "meaning": EXIT_CODES.get(code, "")})  # fmt: skip


class PipeGuard:
    """``sys.stdout`` that survives a reader going away (``bench-app verify x.pdf | head -1``):
    the first broken pipe sends the rest of the output to the null device, so the command ends
    normally and keeps its own exit code instead of 0 or a traceback."""

    def __init__(self, stream) -> None:
        self._stream = stream
        self.broken = False

    @classmethod
    def install(cls) -> PipeGuard:
        guard = cls(sys.stdout)
        if sys.stdout is not None and not isinstance(sys.stdout, PipeGuard):
            sys.stdout = guard
        return guard

    def uninstall(self) -> None:
        self.flush()
        if sys.stdout is self:
            sys.stdout = self._stream

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                return int(self._stream.write(text))
            except BrokenPipeError:
                self._broke()
        return len(text)

    def flush(self) -> None:
        if not self.broken and self._stream is not None:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._broke()

    def _broke(self) -> None:
        self.broken = True
        log.info("stdout closed by its reader (broken pipe); the rest of the output is dropped")
        try:  # what is still buffered goes nowhere instead of failing again at exit
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError) as exc:
            log.debug("stdout could not be redirected to the null device: %s", exc)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)
