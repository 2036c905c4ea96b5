"""The page-layout guard: a drawing change without a new layout number fails here.

``verify`` re-draws a report's pages from its statement and compares the bytes, so every change to
the drawing (a rule line, a label, a date format, a font, the document information) makes the
reports signed by earlier builds differ. The statement records the layout that drew its pages
(:mod:`bench_app.report.layout`): this test renders a fixed statement (the demo session's, as
signed by the last build before the layout was recorded) and compares digests of the result with
the ones recorded next to :data:`~bench_app.report.layout.LAYOUT_VERSION`.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from bench_app.report import layout
from bench_app.report import statement as stmt
from bench_app.report.render import render_bytes
from bench_app.signing.statement_check import page_contents
from tests.bench_app.report.sample_data import synthetic_report_data

GUARD_STATEMENT = Path(__file__).with_name("layout_guard_statement.json")


def _digests(pdf: bytes) -> dict[str, str]:
    pages = page_contents(PdfFileReader(io.BytesIO(pdf), strict=False))
    per_page = b"".join(hashlib.sha256(p).digest() for p in pages)
    return {"pages": hashlib.sha256(per_page).hexdigest(), "file": hashlib.sha256(pdf).hexdigest()}


def test_the_drawing_is_the_current_layouts():
    rendered = render_bytes(json.loads(GUARD_STATEMENT.read_bytes()))
    got = _digests(rendered)
    n = layout.LAYOUT_VERSION
    what = "page content" if got["pages"] != layout.LAYOUT_GUARD["pages"] else "the PDF file"
    assert got == layout.LAYOUT_GUARD, (
        f"The report's drawing changed ({what}): "
        f"every report signed with page layout {n} would no longer re-draw. Bump the page layout: "
        f"in bench_app/report/layout.py set LAYOUT_VERSION = {n + 1}, add {n + 1}: '<which "
        f"builds draw it>' to LAYOUTS, and set LAYOUT_GUARD = {got!r} (then update the layout "
        "expectations of tests/bench_app/legacy_db/manifest.json; see docs/architecture.md)."
    )


def test_every_layout_up_to_this_builds_is_described():
    assert sorted(layout.LAYOUTS) == list(range(1, layout.LAYOUT_VERSION + 1))
    assert layout.UNRECORDED_LAYOUT == 1


def test_new_statements_record_the_layout_and_it_is_not_compared_with_the_database():
    made = stmt.statement_from_data(synthetic_report_data(days=1, channels=1, discrepancies=1))
    assert made[layout.LAYOUT_KEY] == layout.LAYOUT_VERSION
    signed = json.loads(GUARD_STATEMENT.read_bytes())
    assert layout.LAYOUT_KEY not in signed  # made before the layout was recorded
    assert layout.statement_layout(signed) == layout.UNRECORDED_LAYOUT
    fresh = dict(signed, **{layout.LAYOUT_KEY: layout.LAYOUT_VERSION})
    assert stmt.differences(signed, fresh) == []  # the layout is the drawing's, not the data's


@pytest.mark.parametrize("bad", [0, -1, "2", 2.0, True, None])
def test_a_layout_that_is_not_a_number_is_refused(bad):
    with pytest.raises(ValueError, match="not a layout number"):
        layout.statement_layout({layout.LAYOUT_KEY: bad})
