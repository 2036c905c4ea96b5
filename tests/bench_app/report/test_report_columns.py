"""Report table columns follow their content and no cell breaks inside a word (issue 13 item 6)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Paragraph, Table

from bench_app import pdf_layout as L
from bench_app.report import sections
from bench_app.report.fonts import register_fonts
from bench_app.report.render import build_story
from bench_app.report.styles import CELL_PAD, Styles, _plain, table

from .sample_data import synthetic_report_data


@pytest.fixture(scope="module")
def st() -> Styles:
    return Styles(register_fonts())


def _tables(story: list):
    for f in story:
        if isinstance(f, Table):
            yield f
            for row in f._cellvalues:
                for cell in row:
                    yield from _tables(cell if isinstance(cell, list) else [cell])


def _split_words(t: Table) -> list[tuple[str, float]]:
    """Pieces of words that a cell wrapped at its drawn column width broke apart."""
    spans = {(c0, r0) for _, (c0, r0), (c1, _r1) in t._spanCmds if c1 != c0}
    broken = []
    for r, row in enumerate(t._cellvalues):
        for c, cell in enumerate(row):
            if not isinstance(cell, Paragraph) or (c, r) in spans:
                continue
            width = t._colWidths[c] - 6
            words = set(_plain(cell).split())  # before wrapping: wrap consumes the fragments
            font, size = cell.style.fontName, cell.style.fontSize
            if any(stringWidth(w, font, size) > width for w in words):
                assert width > L.FRAME_WIDTH / 3, (words, width)  # only a huge token may split
                continue
            cell.wrap(width, 10_000)
            if cell.blPara.kind == 0:  # plain text: lines of whole words
                drawn = [w for _, line in cell.blPara.lines for w in line]
            else:  # mixed fonts: the words of each line's fragments
                drawn = [
                    w
                    for line in cell.blPara.lines
                    for w in "".join(getattr(f, "text", "") for f in line.words).split()
                ]
            broken += [(w, width) for w in drawn if w not in words]
    return broken


def test_short_columns_stay_narrow_and_text_columns_take_the_rest(st):
    t0 = datetime(2026, 11, 29, 10, 45, 8, tzinfo=UTC)
    rows = [
        [i, t0, "DR3-2: clock after correction with the right password " * 2, "PASS"]
        for i in range(1, 25)
    ]
    t = table(["#", "Meter time", "Note", "Verdict"], rows, None, st)
    num, when, note, verdict = t._colWidths
    assert sum(t._colWidths) == pytest.approx(L.FRAME_WIDTH)
    assert num < 25 and verdict < 45  # '24' and 'Verdict' / 'PASS', not a share of the page
    assert note > when > num  # the long text takes the rest
    assert _split_words(t) == []


def test_a_long_token_widens_its_column_instead_of_being_split(st):
    url = "socket://127.0.0.1:34649,collection-17/block-42"
    t = table(["Step", "Actual"], [["DR2-1", f"read from {url} ok"], ["DR2-2", "short"]], None, st)
    assert t._colWidths[1] >= st.cell.fontSize * 0.4 * len(url)
    assert _split_words(t) == []


def test_every_table_of_a_full_report_keeps_words_whole(st):
    story = build_story(synthetic_report_data(days=3, channels=2, discrepancies=12), st)
    found = [  # the tables with a header row (key/value lists and boxes are not columns)
        t
        for t in _tables(story)
        if isinstance(t._cellvalues[0][0], Paragraph) and t._cellvalues[0][0].style is st.cell_head
    ]
    assert len(found) > 5
    for t in found:
        assert _split_words(t) == [], t._cellvalues[0]


def test_results_table_id_and_verdict_are_narrower_than_text(st):
    data = synthetic_report_data(days=2, channels=1, discrepancies=0)
    (t,) = [
        t
        for t in _tables(sections.results(data, st))
        if isinstance(t._cellvalues[0][0], Paragraph)
        and t._cellvalues[0][0].getPlainText() == "Step"
    ][:1]
    widths = t._colWidths
    assert widths[-1] < min(widths[1:-1])  # Verdict narrower than every text column
    assert widths[-1] >= CELL_PAD
