"""Helpers shared by the commands that use the session database."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bench_app.paths import default_db_path

if TYPE_CHECKING:  # the store pulls in sqlite-utils (and numpy): import it when a command runs
    from bench_app.store import Store


def add_db_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--db PATH`` (default: ``WITNESS_BENCH_DB`` or ``<user data>/sessions.db``)."""
    parser.add_argument(
        "--db",
        metavar="PATH",
        default=None,
        help="session database (default: $WITNESS_BENCH_DB or the user data folder)",
    )


def db_path(args: argparse.Namespace):
    """The database path the arguments name (``--db`` or the default).

    An explicit ``--db`` must name a file in an existing folder (a mistyped folder is an error,
    never created); only the default location is created on first use.
    """
    given = getattr(args, "db", None)
    if given:
        from bench_app.cli.validate import output_file

        return output_file(given, "--db")
    return default_db_path()


def open_store(args: argparse.Namespace, *, readonly: bool = False) -> Store:
    """Open the session database named by ``--db`` (or the default); caller closes it.

    :param readonly: open without writing anything (verify, list, show, unsigned report).
    """
    from bench_app.store import Store

    return Store.open(db_path(args), readonly=readonly)


def print_json(obj: object) -> None:
    json.dump(obj, sys.stdout, indent=2, default=str, ensure_ascii=False)
    sys.stdout.write("\n")


#: ``QT_QPA_PLATFORM`` values that need no display server.
HEADLESS_QT_PLATFORMS = ("offscreen", "minimal", "vnc", "eglfs", "linuxfb")


def has_display() -> bool:
    """True when a window can be shown: Windows/macOS desktop, a headless Qt platform asked for
    (``QT_QPA_PLATFORM=offscreen``…), a Wayland display, or an X display whose local socket
    exists (a remote ``host:N`` display is trusted)."""
    platform_env = os.environ.get("QT_QPA_PLATFORM", "").split(":")[0].strip().lower()
    if platform_env in HEADLESS_QT_PLATFORMS:
        return True
    if sys.platform.startswith(("win", "darwin")):
        return True
    if os.environ.get("WAYLAND_DISPLAY"):
        return True
    display = os.environ.get("DISPLAY", "").strip()
    if not display:
        return False
    host, _, rest = display.rpartition(":")
    if host and host not in ("unix", "localhost"):
        return True
    number = rest.split(".")[0]
    return not number.isdigit() or Path(f"/tmp/.X11-unix/X{number}").exists()


NO_DISPLAY_HINT = (
    "no display to open a window on (DISPLAY/WAYLAND_DISPLAY not set or not reachable). "
    "Headless: 'bench-app gui --smoke-test' checks the GUI offscreen; "
    "'QT_QPA_PLATFORM=offscreen bench-app gui' runs it without a screen; "
    "'xvfb-run -a bench-app gui' gives it a virtual one. "
    "Every bench task also works from the command line (bench-app --help)."
)


class AnnouncedSleep:
    """A ``sleep`` for long jobs on a terminal: a wait longer than 2 s first says, on stderr,
    what it waits for (:attr:`what`), for how long and until when (UTC)."""

    def __init__(self, what: str = "") -> None:
        self.what = what

    def __call__(self, seconds: float) -> None:
        import time
        from datetime import UTC, datetime, timedelta

        if seconds > 2:
            until = datetime.now(UTC) + timedelta(seconds=seconds)
            who = f"{self.what}: " if self.what else ""
            print(
                f"{who}waiting {seconds:.0f} s (hold/settle time or next period boundary), "
                f"until {until:%H:%M:%S}Z…",
                file=sys.stderr,
                flush=True,
            )
        time.sleep(max(0.0, seconds))
