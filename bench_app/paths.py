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
    """Per-user data folder; ``WITNESS_BENCH_HOME`` overrides it (tests, evidence on a stick).

    Only the path: whatever writes there (the default session database, keys) creates the
    folder when it first writes, so a command given ``--db`` elsewhere never creates it.
    """
    override = os.environ.get("WITNESS_BENCH_HOME")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def default_db_path() -> Path:
    """The session database: ``WITNESS_BENCH_DB`` if set, else ``<user data>/sessions.db``."""
    env = os.environ.get("WITNESS_BENCH_DB")
    return Path(env) if env else user_data_dir() / "sessions.db"


def private_dir(path: str | Path) -> Path:
    """Create folder ``path`` and each missing parent readable by the owner only (0700 where the
    OS has POSIX modes; on Windows the user profile's ACLs apply); returns it.

    ``Path.mkdir(mode=…, parents=True)`` gives the mode to the last folder only, so a new user
    data folder above ``keys/`` would be world-readable; here every folder created gets 0700.
    Existing folders are left as they are.
    """
    path = Path(path)
    missing: list[Path] = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            continue
        if os.name == "posix":
            os.chmod(folder, 0o700)  # mkdir's mode is masked by the umask
    return path
