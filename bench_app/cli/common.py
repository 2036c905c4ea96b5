"""Helpers shared by the commands that use the session database."""

from __future__ import annotations

import argparse
import json
import sys
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
    """The database path the arguments name (``--db`` or the default)."""
    return getattr(args, "db", None) or default_db_path()


def open_store(args: argparse.Namespace, *, readonly: bool = False) -> Store:
    """Open the session database named by ``--db`` (or the default); caller closes it.

    :param readonly: open without writing anything (verify, list, show, unsigned report).
    """
    from bench_app.store import Store

    return Store.open(db_path(args), readonly=readonly)


def print_json(obj: object) -> None:
    json.dump(obj, sys.stdout, indent=2, default=str, ensure_ascii=False)
    sys.stdout.write("\n")
