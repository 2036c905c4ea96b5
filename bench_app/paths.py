"""Where things are: bundled resources (source tree or PyInstaller bundle) and the user's
data folder.

:func:`resource_path` works the same from a source checkout, an installed wheel and a frozen
PyInstaller bundle (``sys._MEIPASS``). User data (databases, keys, reports) goes to the platform's
user data folder (platformdirs) — never into the bundle.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "WitnessBench"
APP_AUTHOR = "WitnessBench"


def resource_root() -> Path:
    """The ``resources/`` folder shipped with the application."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    """Path of a bundled resource, e.g. ``resource_path("checklists", "x.toml")``."""
    return resource_root().joinpath(*parts)


def user_data_dir() -> Path:
    """Per-user data folder (created on first use, owner-only: it holds sessions and keys);
    ``WITNESS_BENCH_HOME`` overrides it (tests)."""
    override = os.environ.get("WITNESS_BENCH_HOME")
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def default_db_path() -> Path:
    """The session database: ``WITNESS_BENCH_DB`` if set, else ``<user data>/sessions.db``."""
    env = os.environ.get("WITNESS_BENCH_DB")
    return Path(env) if env else user_data_dir() / "sessions.db"
