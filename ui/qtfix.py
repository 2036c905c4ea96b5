"""Guard against a reference-count bug in PySide6 6.12.0 that aborts Python 3.11.

**The bug** (measured here, PySide6-Essentials 6.12.0 / shiboken6 6.12.0, CPython 3.11.7): every
call of a wrapped C++ method that returns ``void`` hands back ``None`` without taking a reference
(``QGraphicsItem.update()``, ``prepareGeometryChange()``, ``setFlag()``, ``QPen.setCosmetic()`` …
each drop ``sys.getrefcount(None)`` by one; an invalid ``QVariant`` returned as ``None`` too), and
``SignalInstance.emit`` drops one reference to ``True``. One pyqtgraph ``setData`` loses ~11
references to ``None`` and 2 to ``True``; a repaint a few more. After some thousand redraws CPython
frees the singleton: "Fatal Python error: none_dealloc" (or ``bool_dealloc``) — reproduced with
``bench/live_plot.py`` with this guard disabled (abort in ``AxisItem.drawPicture``).

**Not avoidable by call pattern**: it is not tied to passing ``None`` (``connect=None``,
``pen=None``) or to a slot; any ``void`` Qt call leaks, and pyqtgraph makes dozens per frame.

**Not in earlier releases**: PySide6-Essentials 6.11.3, 6.10.3 and 6.9.3 (scratch venvs, same
Python and pyqtgraph 0.14.0) show zero drift on every pattern above, and ``bench/live_plot.py``
runs all 2 880 frames without the guard. From Python 3.12 the singletons are immortal and the bug
is harmless. **The clean fix is a pin**: ``PySide6-Essentials>=6.9,!=6.12.0`` (i.e. 6.11.3 today)
until a 6.12.x release is verified free of it (``/tmp`` script: measure the refcount of ``None``
across 200 ``setData`` calls; it must not change).

**This guard** is applied only where the bug can bite — CPython < 3.12 with PySide6 ≥ 6.12 — and
gives the interpreter's singletons (None, True, False, Ellipsis, NotImplemented, (), "", small
ints) a very large reference reserve once at start-up. They are never freed anyway, so nothing
else changes; with a pinned, unaffected PySide6 it does nothing.
"""

from __future__ import annotations

import ctypes
import sys

RESERVE = 1 << 40  #: ~1e12 references: years of continuous redraws at the measured leak rate
AFFECTED_FROM = (6, 12)  #: first PySide6 (major, minor) with the leak; none fixed yet known


def affected(pyside_version: str | None = None) -> bool:
    """True when this interpreter + PySide6 combination has the leak (see module docstring)."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    if pyside_version is None:
        try:
            import PySide6

            pyside_version = PySide6.__version__
        except ImportError:
            return False
    try:
        major, minor = (int(p) for p in pyside_version.split(".")[:2])
    except ValueError:
        return True  # unknown version string: be safe
    return (major, minor) >= AFFECTED_FROM


def protect_none() -> bool:
    """Add :data:`RESERVE` to the singletons' reference counts (once, only when
    :func:`affected`); True when applied."""
    if getattr(protect_none, "_done", False) or not affected():
        return False
    singletons: list[object] = [None, True, False, Ellipsis, NotImplemented, (), ""]
    singletons += [int(i) for i in range(-5, 257)]
    for obj in singletons:
        ctypes.c_ssize_t.from_address(id(obj)).value += RESERVE
    protect_none._done = True  # type: ignore[attr-defined]
    return True
