"""Paragraph and table styles of the report, and small helpers to build wrapped tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph, Table, TableStyle

from bench_app.report.fonts import FontSet
from bench_app.settlement import to_local

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
    (``2026-11-29 09:30:00 GMT (09:30:00 UTC)``), floats to 6 digits."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if not value.tzinfo:
            return value.isoformat(" ")
        local = to_local(value)
        return f"{local:%Y-%m-%d %H:%M:%S %Z} ({value.astimezone(UTC):%H:%M:%S} UTC)"
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


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    widths: Sequence[float],
    st: Styles,
    *,
    mono_cols: Sequence[int] = (),
    extra_style: Sequence[tuple] = (),
    zebra: bool = True,
) -> Table:
    """A full-width table with a repeated dark header row and wrapped Paragraph cells.

    Cells that are already flowables are used as they are; everything else is escaped text.
    """
    data = [[para(h, st.cell_head) for h in header]]
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            if hasattr(value, "wrapOn"):
                cells.append(value)
            else:
                cells.append(para(value, st.cell_mono if i in mono_cols else st.cell))
        data.append(cells)
    t = Table(data, colWidths=list(widths), repeatRows=1, hAlign="LEFT")
    style = [
        ("FONTNAME", (0, 0), (-1, -1), st.fonts.regular),
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
