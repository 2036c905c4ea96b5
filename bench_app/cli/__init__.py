"""``bench-app`` command line.

Each command group lives in its own module with a ``register(subparsers)`` function that adds its
sub-command(s) and sets ``func`` on the parsed arguments. :func:`main` maps typed errors to exit
codes: 0 ok, 2 usage, 3 transport/timeout, 4 protocol, 5 authentication, 6+ domain errors
(see :mod:`bench_app.errors`).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from bench_app import __version__
from bench_app.errors import BenchError
from drivers.errors import DriverError

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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    extra = plugin_modules() if plugins is None else list(plugins)
    for name in [*COMMAND_MODULES, *(m for m in extra if m not in COMMAND_MODULES)]:
        importlib.import_module(name).register(sub)
    return parser


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
    try:
        return int(args.func(args) or 0)
    except DriverError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
