"""Paragraph and table styles of the report, and small helpers to build wrapped tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Paragraph, Table, TableStyle

from bench_app import pdf_layout as L
from bench_app.presentation import gb_and_utc
from bench_app.report.fonts import FontSet

HEADER_BG = colors.HexColor("#1f4e79")
ROW_ALT = colors.HexColor("#f2f5f9")
VERDICT_BG = {
    "pass": colors.HexColor("#c6efce"),
    "fail": colors.HexColor("#ffc7ce"),
    "na": colors.HexColor("#e7e6e6"),
    "not-run": colors.HexColor("#ffeb9c"),
}
OVERALL_BG = {
    "PASS": colors.HexColor("#c6efce"),
    "FAIL": colors.HexColor("#ffc7ce"),
    "INCOMPLETE": colors.HexColor("#ffeb9c"),
    "NOT RUN": colors.HexColor("#e7e6e6"),
}
WARN_BG = colors.HexColor("#fff2cc")
WARN_BORDER = colors.HexColor("#c00000")


class Styles:
    """The report's paragraph styles for one registered :class:`FontSet`."""

    def __init__(self, fonts: FontSet) -> None:
        self.fonts = fonts
        r, b = fonts.regular, fonts.bold
        self.title = ParagraphStyle("title", fontName=b, fontSize=24, leading=30, spaceAfter=6)
        self.subtitle = ParagraphStyle(
            "subtitle",
            fontName=r,
            fontSize=13,
            leading=17,
            textColor=colors.HexColor("#404040"),
            spaceAfter=14,
        )
        self.h1 = ParagraphStyle(
            "h1",
            fontName=b,
            fontSize=14,
            leading=18,
            spaceBefore=10,
            spaceAfter=6,
            textColor=HEADER_BG,
        )
        self.h2 = ParagraphStyle(
            "h2", fontName=b, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4
        )
        self.body = ParagraphStyle("body", fontName=r, fontSize=9.5, leading=12.5, spaceAfter=4)
        self.small = ParagraphStyle(
            "small", fontName=r, fontSize=7.5, leading=9.5, textColor=colors.HexColor("#404040")
        )
        self.small_center = ParagraphStyle("smallc", parent=self.small, alignment=TA_CENTER)
        self.cell = ParagraphStyle("cell", fontName=r, fontSize=7.5, leading=9.2)
        self.cell_bold = ParagraphStyle("cellb", parent=self.cell, fontName=b)
        self.cell_head = ParagraphStyle(
            "cellh", parent=self.cell, fontName=b, textColor=colors.white
        )
        self.cell_mono = ParagraphStyle(
            "cellm", parent=self.cell, fontName=fonts.mono, fontSize=6.5, leading=8.2
        )
        self.cell_center = ParagraphStyle("cellc", parent=self.cell_bold, alignment=TA_CENTER)
        self.badge = ParagraphStyle(
            "badge", fontName=b, fontSize=16, leading=20, alignment=TA_CENTER
        )


def fmt(value: Any) -> str:
    """Display text of a value: aware datetimes in GB local time with UTC alongside
    (``29 Nov 2026 09:30:00 GMT (09:30:00 UTC)``, :func:`bench_app.presentation.gb_and_utc`),
    floats to 6 digits."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if not value.tzinfo:
            return value.isoformat(" ")
        return gb_and_utc(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, tuple, set)):
        return ", ".join(fmt(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {fmt(v)}" for k, v in value.items())
    return str(value)


def para(text: Any, style: ParagraphStyle) -> Paragraph:
    """A Paragraph of plain (escaped) text; newlines become line breaks."""
    return Paragraph(escape(fmt(text)).replace("\n", "<br/>"), style)


#: a cell's left plus right padding (see :func:`table`), plus a little slack for rounding
CELL_PAD = 3 + 3 + 0.5


def _spanned(extra_style: Sequence[tuple], n_rows: int, n_cols: int) -> set[tuple[int, int]]:
    """(row, col) of every cell inside a ``SPAN`` of more than one column."""
    cells: set[tuple[int, int]] = set()
    for cmd in extra_style:
        if cmd[0] != "SPAN":
            continue
        (c0, r0), (c1, r1) = cmd[1], cmd[2]
        c0, c1 = c0 % n_cols, c1 % n_cols
        r0, r1 = r0 % n_rows, r1 % n_rows
        if c1 > c0:
            cells |= {(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
    return cells


def _plain(cell: Paragraph) -> str:
    """A Paragraph's text with its ``<br/>`` line breaks as newlines."""
    frags = getattr(cell, "frags", None)
    if not frags:
        return cell.getPlainText()
    return "".join(
        "\n" if getattr(f, "lineBreak", False) else getattr(f, "text", "") for f in frags
    )


def _capped(widths: list[float], total: float) -> list[float]:
    """``widths`` with the largest cut down to one common cap so that they sum to ``total``."""
    rest = total
    ordered = sorted(widths)
    for k, w in enumerate(ordered):
        cap = rest / (len(ordered) - k)
        if w > cap:
            return [min(x, cap) for x in widths]
        rest -= w
    return widths


def content_widths(
    data: Sequence[Sequence[Any]],
    total: float,
    *,
    skip: set[tuple[int, int]] | frozenset = frozenset(),
) -> list[float]:
    """Column widths (points, summing to ``total``) that follow the content of ``data``'s
    Paragraph cells, measured with their own fonts.

    Every column is at least as wide as its widest unbreakable token (a word, a timestamp's date
    or time, a code), so no cell breaks inside a token; the rest of the width goes to the columns
    in proportion to their typical (mean) text width, a column never wider than its longest line
    needs, so short columns (#, verdict, codes) stay narrow and text columns take the rest. Only
    when the tokens alone do not fit do the columns with the widest tokens give way (and split).
    """
    n = max((len(r) for r in data), default=0)
    token = [0.0] * n  # widest unbreakable token
    longest = [0.0] * n  # widest line
    typical = [0.0] * n  # mean text width of the body cells
    counted = [0] * n
    for r, row in enumerate(data):
        for c, cell in enumerate(row):
            if (r, c) in skip or not isinstance(cell, Paragraph):
                continue
            font, size = cell.style.fontName, cell.style.fontSize
            text = _plain(cell)
            for line in text.split("\n"):
                words = line.split()
                token[c] = max([token[c]] + [stringWidth(w, font, size) for w in words])
                longest[c] = max(longest[c], stringWidth(" ".join(words), font, size))
            if r:
                typical[c] += stringWidth(" ".join(text.split()), font, size)
                counted[c] += 1
    widths = [t + CELL_PAD for t in token]
    need = [max(w, lg + CELL_PAD) for w, lg in zip(widths, longest, strict=True)]
    mean = [max(t / k if k else 0.0, 1.0) for t, k in zip(typical, counted, strict=True)]
    if sum(widths) >= total:  # a token wider than the page: only the widest columns give way
        return _capped(widths, total)
    extra = total - sum(widths)
    growing = {c for c in range(n) if need[c] > widths[c]}
    while extra > 1e-6 and growing:
        weight = sum(mean[c] for c in growing)
        share = {c: extra * mean[c] / weight for c in growing}
        full = {c for c in growing if widths[c] + share[c] >= need[c]}
        if not full:
            for c in growing:
                widths[c] += share[c]
            extra = 0.0
            break
        for c in full:
            extra -= need[c] - widths[c]
            widths[c] = need[c]
        growing -= full
    if extra > 1e-6:  # everything fits on one line: spread the rest, the table stays full width
        base = sum(widths)
        widths = [w + extra * w / base for w in widths]
    return widths


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    widths: Sequence[float] | None,
    st: Styles,
    *,
    mono_cols: Sequence[int] = (),
    extra_style: Sequence[tuple] = (),
    zebra: bool = True,
    total: float = L.FRAME_WIDTH,
    plain: bool = False,
) -> Table:
    """A full-width table with a repeated dark header row and wrapped Paragraph cells.

    Cells that are already flowables are used as they are; everything else is escaped text.
    ``widths`` None: the columns follow their content (:func:`content_widths`) within ``total``.
    ``plain``: body cells are short one-line texts drawn as strings in the cell font (no
    wrapping; much faster for tables of hundreds of numbers).
    """
    data: list[list[Any]] = [[para(h, st.cell_head) for h in header]]
    for row in rows:
        cells: list[Any] = []
        for i, value in enumerate(row):
            if hasattr(value, "wrapOn"):
                cells.append(value)
            elif plain:
                cells.append(fmt(value))
            else:
                cells.append(para(value, st.cell_mono if i in mono_cols else st.cell))
        data.append(cells)
    if widths is None:
        skip = _spanned(extra_style, len(data), len(header))
        widths = content_widths(data, total, skip=skip)
    t = Table(data, colWidths=list(widths), repeatRows=1, hAlign="LEFT")
    style = [
        ("FONTNAME", (0, 0), (-1, -1), st.fonts.regular),
        ("FONTSIZE", (0, 1), (-1, -1), st.cell.fontSize),
        ("LEADING", (0, 1), (-1, -1), st.cell.leading),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#a6a6a6")),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    for r in range(2, len(data), 2 if zebra else len(data)):
        style.append(("BACKGROUND", (0, r), (-1, r), ROW_ALT))
    style.extend(extra_style)
    t.setStyle(TableStyle(style))
    return t


def key_values(pairs: Sequence[tuple[str, Any]], st: Styles, width: float) -> Table:
    """A two-column label/value table (labels bold, 32 % of ``width``)."""
    data = [[para(k, st.cell_bold), para(v, st.cell)] for k, v in pairs]
    t = Table(data, colWidths=[width * 0.32, width * 0.68], hAlign="LEFT")
    t.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), st.fonts.regular),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#d0d0d0")),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return t


def boxed(flowables: list, width: float, bg, border, st: Styles) -> Table:
    """Flowables in a single-cell table with a coloured background and border (warnings)."""
    t = Table([[flowables]], colWidths=[width], hAlign="LEFT")
    t.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), st.fonts.regular),
                ("BACKGROUND", (0, 0), (-1, -1), bg),
                ("BOX", (0, 0), (-1, -1), 1.2, border),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return t
