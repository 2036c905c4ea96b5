"""Icons from ``resources/icons/*.svg`` (one consistent 24 px line style), cached by name."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon

from bench_app.paths import resource_path


@cache
def icon(name: str) -> QIcon:
    """The icon ``resources/icons/<name>.svg`` (an empty icon when the file is missing)."""
    path = resource_path("icons", f"{name}.svg")
    return QIcon(str(path)) if path.exists() else QIcon()


def status_icon(verdict: str) -> QIcon:
    """Checklist status icon for ``pass``/``fail``/``na``/``not-run``/``running``/``proposed``."""
    return icon(f"status-{verdict or 'not-run'}")
