"""What a signed report *says* against what it *shows* and what the database *holds*.

A witness report embeds its statement (:mod:`bench_app.report.statement`) in the revision the
tester signs. ``bench-app verify`` then checks:

* :func:`embedded_statement` — the statement as signed: read from the revision the first
  signature covers, never from a later one;
* :func:`check_pages` — the pages: re-rendered from that statement, they must be byte for byte the
  revision the tester signed (rendering is deterministic), and that revision must be the first
  one of the file (nothing slipped in between rendering and signing). Pages of an older page
  layout (:mod:`bench_app.report.layout`) that this build draws differently are not compared:
  the answer says so (never a plain OK); a newer layout is refused;
* :func:`compare_with_database` — the data: the statement re-derived from the database at the
  signed audit head must equal the signed one field by field (every difference is named with
  both values), and the session's register rows must not have changed since it locked.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from bench_app.report import statement as stmt
from bench_app.report.layout import LAYOUT_VERSION, newer_than_this_build, statement_layout

#: Differences named in full before the rest are counted.
SHOWN_DIFFERENCES = 8
NO_STATEMENT = (
    f"the signed report carries no statement ({stmt.FILE_NAME}): what its pages say cannot be "
    "compared with the database (a report made before reports embedded one: render and sign it "
    "again)"
)
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")

log = logging.getLogger(__name__)


def _first_signed_revision(reader: PdfFileReader) -> int | None:
    revisions = [s.signed_revision for s in reader.embedded_signatures]
    return min(revisions) if revisions else None


def embedded_statement(path: str | Path) -> tuple[dict | None, str]:
    """``(statement, "")`` as the first signature signed it (the current revision of an unsigned
    file), or ``(None, why)`` when the report carries none or it cannot be read."""
    try:
        with Path(path).open("rb") as fh:
            reader = PdfFileReader(fh, strict=False)
            first = _first_signed_revision(reader)
            resolver = reader.get_historical_resolver(first) if first is not None else reader
            root = resolver.root
            try:
                pairs = root["/Names"]["/EmbeddedFiles"]["/Names"]
            except KeyError:
                return None, NO_STATEMENT
            for i in range(0, len(pairs) - 1, 2):
                if str(pairs[i]) == stmt.FILE_NAME:
                    stream = pairs[i + 1]["/EF"]["/F"]
                    return stmt.parse(stream.data), ""
            return None, NO_STATEMENT
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return None, f"the report's statement cannot be read: {exc}"
    except Exception as exc:  # pyHanko's parse errors have no common base class
        log.warning("statement of %s unreadable", path, exc_info=True)
        return None, f"the report's statement cannot be read: {exc}"


@dataclass
class PageCheck:
    """What :func:`check_pages` found: ``problems`` (each FAILS the report), and ``layout``, the
    page layout that drew it, with ``redrawn`` False when this build could not re-draw it (an
    older layout: the pages were not compared, which is never a plain OK)."""

    problems: list[str] = field(default_factory=list)
    layout: int = LAYOUT_VERSION
    redrawn: bool = True


def check_pages(path: str | Path, statement: dict) -> PageCheck:
    """The signed first revision against the rendering of ``statement`` by this build: equal, or
    a problem — unless the statement names an older page layout, which this build cannot draw
    (``redrawn`` False: the pages differ, and only a build of that layout can compare them)."""
    from bench_app.errors import ReportError
    from bench_app.report.render import render_bytes

    try:
        drawn = statement_layout(statement)
    except ValueError as exc:
        return PageCheck([str(exc)])
    if drawn > LAYOUT_VERSION:
        return PageCheck([newer_than_this_build(drawn)], drawn)
    data = Path(path).read_bytes()
    with Path(path).open("rb") as fh:
        reader = PdfFileReader(fh, strict=False)
        first = _first_signed_revision(reader)
        if first is not None and first != 1:
            return PageCheck([f"the tester's signature covers revision {first}, not the rendered "
                              "report (revision 1): something was added between rendering and "
                              "signing"], drawn)  # fmt: skip
        older = PageCheck([], drawn, redrawn=False)  # what this build draws differs: not compared
        try:
            rendered = render_bytes(statement)
        except ReportError as exc:
            if drawn < LAYOUT_VERSION:
                return older
            return PageCheck([f"the pages cannot be re-rendered from the statement: {exc}"], drawn)
        if data[: len(rendered)] == rendered:
            m = _STARTXREF.search(rendered[-64:])
            if m is None or int(m.group(1)) != reader.xrefs.get_startxref_for_revision(0):
                return PageCheck(["the first revision of the file is not the rendered report"],
                                 drawn)  # fmt: skip
            return PageCheck([], drawn)
        if drawn < LAYOUT_VERSION:
            return older
        return PageCheck([_page_difference(reader, first, rendered)], drawn)


def _page_difference(reader: PdfFileReader, first: int | None, rendered: bytes) -> str:
    """Name the first page whose content differs from the re-rendering (same layout)."""
    import io

    try:
        resolver = reader.get_historical_resolver(first) if first is not None else reader
        signed_pages = page_contents(resolver)
        fresh = page_contents(PdfFileReader(io.BytesIO(rendered), strict=False))
    except Exception as exc:  # pyHanko's parse errors have no common base class
        log.warning("signed pages not comparable with the rendering", exc_info=True)
        return f"the signed pages differ from the statement's rendering ({exc})"
    if len(signed_pages) != len(fresh):
        return (f"the signed report has {len(signed_pages)} pages, its statement renders "
                f"{len(fresh)}")  # fmt: skip
    for n, (a, b) in enumerate(zip(signed_pages, fresh), start=1):
        if a != b:
            return f"page {n} of the signed report is not what its statement renders"
    return "the signed report's bytes are not the rendering of its statement"


def page_contents(resolver: Any) -> list[bytes]:
    """Each page's content stream (decoded), in page order."""
    root = resolver.root
    out = []
    stack = [root["/Pages"]]
    while stack:
        node = stack.pop(0).get_object()
        kids = node.get("/Kids")
        if kids is not None:
            stack = list(kids) + stack
            continue
        contents = node.get("/Contents")
        if isinstance(contents, generic.ArrayObject):
            out.append(b"".join(c.get_object().data for c in contents))
        else:
            out.append(contents.get_object().data if contents is not None else b"")
    return out


def compare_with_database(store: Any, session_id: int, signed: dict) -> list[str]:
    """Problems (empty when none): fields where the signed statement and the statement derived
    from the database differ (both values named), and register rows changed after the lock."""
    from bench_app.equipment.snapshot import scoped_changes

    derived = stmt.build_statement(store, session_id)
    diffs = stmt.differences(signed, derived)
    out = [f"the report differs from the database: {d.text()}"
           for d in diffs[:SHOWN_DIFFERENCES]]  # fmt: skip
    if len(diffs) > SHOWN_DIFFERENCES:
        out.append(f"… and {len(diffs) - SHOWN_DIFFERENCES} more difference(s)")
    out += [
        f"the report's statement is inconsistent: {m}" for m in stmt.evidence_mismatches(signed)
    ]
    out += [f"register changed after signing: {c}" for c in scoped_changes(store, session_id)]
    return out
