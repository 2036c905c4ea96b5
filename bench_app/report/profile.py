"""The report's half-hourly profile: per channel a days × settlement-periods heat map, its flag
legend and the daily totals.

Flags are shown as on the screen (:data:`bench_app.presentation.FLAGS`): each flagged period is
outlined in its flag's colour, drawn inside the cell over a thin white halo so that an outline
stays visible on the darkest cells; the legend and the daily table name the flags.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import CondPageBreak, KeepTogether, Paragraph, Spacer, Table

from bench_app import presentation as P
from bench_app import settlement
from bench_app.pdf_layout import FRAME_WIDTH as W
from bench_app.report.data import ChannelSeries, ReportData
from bench_app.report.styles import CELL_PAD, Styles, para, table

#: width (points) of the white halo around a flagged cell
HALO_WIDTH = 0.5


def _day_rows(s: ChannelSeries) -> dict:
    """Settlement day → {SP number: (value, status)}: the series rolled up to settlement periods
    by :func:`bench_app.settlement.half_hours` (the reconciliation's rule) on the day × SP grid."""
    cells = settlement.half_hours(
        (int(t), 0, v, int(f)) for t, v, f in zip(s.times, s.values, s.status, strict=False)
    )
    return settlement.day_grid((k[0], c[0], c[1]) for k, c in cells.items())


class _CellsDrawing(Drawing):
    """A Drawing whose many plain cells are written as PDF fill operators in one go (``cells``:
    operators in the drawing's own coordinates), below its shapes. A heat map of 90 days has
    17 280 cells; as shape objects they made up most of a report's rendering time."""

    def __init__(self, width: float, height: float, cells: str) -> None:
        super().__init__(width, height)
        self._cells = cells

    def draw(self, showBoundary=None):  # ReportLab calls it with or without showBoundary
        if self._cells:
            self.canv.addLiteral(f"q\n{self._cells}Q")
        return super().draw() if showBoundary is None else super().draw(showBoundary)


def _rgb(colour: str) -> str:
    """``"#b02a2a"`` → ``"0.6902 0.1647 0.1647"`` (PDF colour operands)."""
    c = colors.HexColor(colour)
    return f"{c.red:.4f} {c.green:.4f} {c.blue:.4f}"


def _outlines(flagged: list[tuple[float, float, int]], cw: float, ch: float) -> str:
    """PDF operators outlining each flagged cell ``(x, y, status)``: a white halo on the cell's
    edge, then the first flag's colour inside it (one stroke run per colour, in table order)."""
    if not flagged:
        return ""
    lw = max(0.5, min(1.2, cw / 3, ch / 3))
    out = [f"{_rgb(P.HALO_COLOUR)} RG {HALO_WIDTH} w\n"]
    out += [f"{x:.3f} {y:.3f} {cw:.3f} {ch:.3f} re S\n" for x, y, _ in flagged]
    by_colour: dict[str, list[str]] = {}
    for x, y, status in flagged:
        rect = f"{x + lw / 2:.3f} {y + lw / 2:.3f} {cw - lw:.3f} {ch - lw:.3f} re S\n"
        by_colour.setdefault(P.flag_colour(status), []).append(rect)
    for style in P.FLAGS:
        rects = by_colour.pop(style.colour, [])
        if rects:
            out += [f"{_rgb(style.colour)} RG {lw:.3f} w\n", *rects]
    return "".join(out)


def heatmap(s: ChannelSeries, st: Styles, height: float = 220, days: dict | None = None) -> Drawing:
    """Days (rows) × settlement periods (columns) heat map of one channel; each flagged period is
    outlined in its flag's colour (:func:`_outlines`). Axis titles name the units. ``days``: the
    series' :func:`_day_rows`, when the caller has them already."""
    days = _day_rows(s) if days is None else days
    ordered = sorted(days)
    left, bottom, top = 58, 26, 14
    plot_w, plot_h = W - left - 10, height - bottom - top
    n = max(len(ordered), 1)
    cw, ch = plot_w / 50, plot_h / n
    peak = max((v for d in days.values() for v, _ in d.values()), default=0) or 1.0
    cells: list[str] = []
    flagged: list[tuple[float, float, int]] = []
    labels: list[String] = []
    for i, day in enumerate(ordered):
        y = bottom + plot_h - (i + 1) * ch
        for sp, (v, flag) in days[day].items():
            x = left + (sp - 1) * cw
            shade = 1 - 0.85 * max(0.0, min(1.0, v / peak))
            cells.append(f"{shade:.4f} {shade:.4f} 1 rg {x:.3f} {y:.3f} {cw:.3f} {ch:.3f} re f\n")
            if flag:
                flagged.append((x, y, int(flag)))
        if len(ordered) <= 31 or i % max(1, len(ordered) // 15) == 0:
            labels.append(_text(left - 3, y + ch / 2 - 2, day.strftime("%d %b"), st, 5.5, "end"))
    dw = _CellsDrawing(W, height, "".join(cells) + _outlines(flagged, cw, ch))
    for label in labels:
        dw.add(label)
    for sp in (1, 12, 24, 36, 48):
        x = left + (sp - 0.5) * cw
        dw.add(Line(x, bottom - 2, x, bottom, strokeColor=colors.grey))
        dw.add(_text(x, bottom - 9, str(sp), st, 6, "middle"))
    axis = "Settlement period (SP 1–50 of the GB local settlement day)"
    dw.add(_text(left + plot_w / 2, 3, axis, st, 7, "middle"))
    title = f"Settlement day — shade: {s.unit} per period (darkest = {peak:.3f} {s.unit})"
    dw.add(_text(2, height - 9, title, st, 7, "start"))
    return dw


def _text(x: float, y: float, text: str, st: Styles, size: float, anchor: str) -> String:
    return String(x, y, text, fontName=st.fonts.regular, fontSize=size, textAnchor=anchor)


def flag_legend(present: int, st: Styles) -> Paragraph:
    """The legend under a heat map: each flag present, in its colour, with what it means (the
    window's legend, :func:`bench_app.presentation.flag_styles`)."""
    styles = P.flag_styles(present)
    if not styles:
        return para("No period of this channel carries a status flag.", st.small)
    items = [
        f"<font color='{f.colour}'>■</font> <b>{escape(f.name)}</b>: {escape(f.legend)}"
        for f in styles
    ]
    return Paragraph("Outline colours: " + "; ".join(items) + ".", st.small)


def daily_totals(s: ChannelSeries, st: Styles, days: dict | None = None) -> Table:
    """Daily totals of one channel: day, periods, total and the flags of its periods by name with
    the number of flagged periods (three columns of days; two when a day is flagged, so the
    names have room). Unflagged cells are short single-line text drawn as plain strings; a
    flagged day's flags wrap."""
    days = _day_rows(s) if days is None else days
    cells = []
    for day in sorted(days):
        sps = days[day]
        status = 0
        flagged = 0
        for _, f in sps.values():
            status |= int(f)
            flagged += bool(f)
        total = sum(v for v, _ in sps.values())
        flags: object = ""
        if flagged:
            many = "SP" if flagged == 1 else "SPs"
            flags = para(f"{P.flag_text(status)} ({flagged} {many})", st.cell)
        cells.append([P.day_text(day, weekday=False), str(len(sps)), f"{total:.3f}", flags])
    cols = 2 if any(row[3] for row in cells) else 3  # flag names need the room
    per = -(-len(cells) // cols) if cells else 1
    rows = []
    for r in range(per):
        row: list = []
        for c in range(cols):
            i = c * per + r
            row += cells[i] if i < len(cells) else ["", "", "", ""]
        rows.append(row)
    header = ["Day", "SPs", f"Total {s.unit}", "Flags"] * cols
    widths = _total_widths(header[:4], cells, st, W / cols) * cols
    return table(header, rows or [[""] * len(header)], widths, st, plain=True)


def _total_widths(header: list[str], cells: list[list], st: Styles, width: float) -> list[float]:
    """Day, SPs and Total columns as wide as their widest text (header bold, cells regular),
    the Flags column the rest of ``width``."""
    pad = CELL_PAD
    fixed = []
    for c in range(3):
        texts = [stringWidth(str(row[c]), st.fonts.regular, st.cell.fontSize) for row in cells]
        head = stringWidth(header[c], st.fonts.bold, st.cell.fontSize)
        fixed.append(max([head, *texts]) + pad)
    return [*fixed, max(width - sum(fixed), 0.0)]


def profile_section(d: ReportData, st: Styles, number: str = "7.") -> list:
    """The profile: per channel a days × settlement-periods heat map, its flag legend and the
    daily totals; a channel without values says so instead of drawing empty axes."""
    head: list = [Paragraph(f"{number} Half-hourly profile", st.h1)]
    if not d.series:
        return [CondPageBreak(120), *head, para("No interval data was collected.", st.body)]
    head.append(
        para(
            "Per channel: one row per settlement day (GB local time), one column per settlement "
            "period; darker = more energy; a period with a status flag is outlined in the "
            "flag's colour (the window's colours; legend under each map). The table under each "
            "map gives the daily totals and names the flags of each day.",
            st.small,
        )
    )
    collections = {c.get("id"): c for c in d.collections}
    out: list = []
    for i, s in enumerate(d.series):
        c = collections.get(s.collection_id) or {}
        read = P.collection_name(c) if c else f"collection #{s.collection_id}"
        if c and s.collection_id is not None:
            read += f", #{s.collection_id}"
        if c.get("simulated"):
            read += ", simulated outstation"
        title = Paragraph(
            f"{escape(P.channel_name(s.obis, s.unit))}<br/><font size='8'>{escape(read)}</font>",
            st.h2,
        )
        days = _day_rows(s)
        # the section heading stays with the first map: never alone at a page bottom
        first = head if i == 0 else []
        if not days:
            empty = para("No interval values were read for this channel.", st.body)
            out.append(KeepTogether([*first, title, empty, Spacer(1, 8)]))
            continue
        present = 0
        for sps in days.values():
            for _, f in sps.values():
                present |= int(f)
        chart = heatmap(s, st, days=days)
        legend = flag_legend(present, st)
        out.append(KeepTogether([*first, title, chart, legend, Spacer(1, 4)]))
        out.append(daily_totals(s, st, days))
        out.append(Spacer(1, 8))
    return out
