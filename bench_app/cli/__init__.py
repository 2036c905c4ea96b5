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

from bench_app import __version__
from bench_app.errors import BenchError, FileAccessError
from bench_app.logs import configure_cli, hint_of
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
    "bench_app.cli.probe",
    "bench_app.cli.session",
    "bench_app.cli.data",
    "bench_app.cli.verify",
    "bench_app.cli.checklist",
    "bench_app.cli.report",
    "bench_app.cli.keys",
    "bench_app.cli.equipment",
    "bench_app.cli.trace",
]


def plugin_modules() -> list[str]:
    """Command modules other installed packages declare under :data:`PLUGIN_GROUP`."""
    from importlib.metadata import entry_points

    return [ep.value for ep in entry_points(group=PLUGIN_GROUP)]


def build_parser(plugins: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The ``bench-app`` parser: domain commands plus ``plugins`` (default: the installed ones)."""
    parser = argparse.ArgumentParser(
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
    return StoreError(f"session database {path}: {exc}")


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
    args = parser.parse_args(args_list)
    configure_cli(args.verbose, args.log)
    try:
        return int(args.func(args) or 0)
    except (DriverError, BenchError) as exc:
        return report_error(exc)
    except sqlite3.DatabaseError as exc:  # damaged pages met after opening: name the file
        return report_error(database_error(args, exc))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return FileAccessError.exit_code
    except Exception as exc:  # a defect; the user still gets one clear line, not a traceback
        log.exception("internal error in %s", args_list[:1])
        if os.environ.get("WITNESS_BENCH_DEBUG"):
            raise
        print(
            f"internal error: {type(exc).__name__}: {exc} — nothing further was done; run again "
            "with WITNESS_BENCH_DEBUG=1 for the traceback and report it",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def report_error(exc: DriverError | BenchError) -> int:
    """Print ``error: …`` and ``hint: …`` on stderr, log the traceback (debug); the exit code."""
    log.debug("%s ended the command", type(exc).__name__, exc_info=exc)
    print(f"error: {exc}", file=sys.stderr)
    if hint := hint_of(exc):
        print(f"hint: {hint}", file=sys.stderr)
    return exc.exit_code
