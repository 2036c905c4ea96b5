"""Work-around for a reference-count leak on ``None`` seen with PySide6 6.12 on Python 3.11.

Measured here: every pyqtgraph ``setData`` drops ~10 references to ``None`` and every paint a few
(``sys.getrefcount(None)`` falls steadily), so after some thousand redraws CPython aborts with
"Fatal Python error: none_dealloc" (``True``/``False`` leak the same way). From Python 3.12 these
singletons are immortal and the leak is harmless. :func:`protect_none` gives the interpreter's
singletons (None, True, False, Ellipsis, NotImplemented, small ints) a very large reference reserve
once at start-up; they are never freed anyway, so nothing else changes. Remove once PySide6 is
fixed.
"""

from __future__ import annotations

import ctypes
import sys

RESERVE = 1 << 40  #: ~1e12 references: years of continuous redraws at the measured leak rate


def protect_none() -> bool:
    """Add :data:`RESERVE` to ``None``'s reference count (once); True when applied."""
    if sys.version_info >= (3, 12) or getattr(protect_none, "_done", False):
        return False
    if sys.implementation.name != "cpython":
        return False
    singletons = [None, True, False, Ellipsis, NotImplemented, (), ""]
    singletons += [int(i) for i in range(-5, 257)]
    for obj in singletons:
        ctypes.c_ssize_t.from_address(id(obj)).value += RESERVE
    protect_none._done = True  # type: ignore[attr-defined]
    return True
