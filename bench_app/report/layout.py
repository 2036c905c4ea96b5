"""Page-layout versions: which drawing of a statement a report's pages are.

A report's pages are the rendering of its statement (:mod:`bench_app.report.render`), and
``bench-app verify`` re-draws them and compares the bytes. That only works while the drawing is
the same: a new rule line, label or date format makes every earlier report's pages differ from
what this build draws. So the statement records the layout that drew its pages (the key
:data:`LAYOUT_KEY`), and :data:`LAYOUT_VERSION` is the layout this build draws:

- a report of this build's layout is re-drawn and compared byte for byte (a difference FAILS);
- a report of an older layout (:data:`LAYOUTS`) cannot be re-drawn by this build (unless the
  drawing of its statement did not change, which the comparison shows): everything else is still
  checked, and the answer is the warning :func:`not_redrawn` — never a plain OK;
- a report of a newer layout is refused: verify it with a newer Witness Bench.

**The rule.** Any change that makes the same statement render other bytes — page content, fonts,
the document information, the PDF structure — is a new layout: add the next number to
:data:`LAYOUTS`, set :data:`LAYOUT_VERSION` to it and record the new digests in
:data:`LAYOUT_GUARD` (``tests/bench_app/report/test_layout_guard.py`` fails with the values to
write when the drawing changed and they were not updated).

Statements made before the layout was recorded (no :data:`LAYOUT_KEY`) are layout
:data:`UNRECORDED_LAYOUT`: the builds of that time drew several variants (the first of them drew
the same statement on fewer pages than the last; the report's flag names and times changed after).
Like any older layout, such a report is re-drawn: equal pages are OK, different ones the warning.
"""

from __future__ import annotations

from typing import Any

#: The statement's key naming the layout that drew the pages (an integer ≥ 1).
LAYOUT_KEY = "layout"

#: The layout this build draws. Bump it with every change to the drawing (see the module doc).
LAYOUT_VERSION = 3

#: SHA-256 of the guard statement's rendering at :data:`LAYOUT_VERSION`: ``pages`` over every
#: page's content stream, ``file`` over the whole PDF (both change when the drawing does).
LAYOUT_GUARD = {
    "pages": "f60f639b24d9cb9eee195f51a925fa1f863dfdb3d2c2bb8a7e0ca0fe41d8b350",
    "file": "5dfdd5cf7b8fb73dde3a871c12d237e64e7856b069fb53920da0e447123caf2f",
}

#: The layout of a statement that names none: every build before statements recorded one.
UNRECORDED_LAYOUT = 1

#: Every layout a build of Witness Bench drew, and which builds drew it.
LAYOUTS: dict[int, str] = {
    1: "Witness Bench 0.1.0 builds of 2026-12-07 before statements recorded their layout",
    2: "Witness Bench 0.1.0 from 2026-12-07, the first to record its layout",
    3: "Witness Bench 0.1.0 from 2026-12-07: the reconciliation's span and the session date in "
    "the report's one date format",
}


def statement_layout(statement: dict[str, Any]) -> int:
    """The layout that drew ``statement``'s pages (:data:`UNRECORDED_LAYOUT` when it names none).

    :raises ValueError: the statement's layout is not a whole number ≥ 1.
    """
    value = statement.get(LAYOUT_KEY, UNRECORDED_LAYOUT)
    if type(value) is not int or value < 1:
        raise ValueError(f"the statement's page layout {value!r} is not a layout number")
    return value


def newer_than_this_build(drawn: int) -> str:
    """Why a report of layout ``drawn`` (newer than this build's) is refused."""
    return (
        f"the pages were drawn by page layout {drawn}, newer than this build's layout "
        f"{LAYOUT_VERSION}: verify with a newer Witness Bench"
    )


def drawn_by(statement: dict[str, Any], drawn: int) -> str:
    """``"Witness Bench 0.1.0, 2026-12-07"``: the program and date the statement names."""
    version = str((statement.get("generator") or {}).get("app_version") or "?")
    when = str(statement.get("as_of") or "")[:10] or "date unknown"
    return f"Witness Bench {version}, {when}"


def not_redrawn(statement: dict[str, Any], drawn: int, verified: str) -> str:
    """The warning for pages of an older layout: ``verified`` says what was checked instead."""
    return (
        f"pages drawn by layout {drawn} ({drawn_by(statement, drawn)}); this build draws layout "
        f"{LAYOUT_VERSION}: {verified}, the pages were not re-drawn — check them with a build of "
        f"layout {drawn}"
    )
