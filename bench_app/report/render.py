"""Render a :class:`~bench_app.report.data.ReportData` to an A4 PDF with ReportLab platypus.

The document has a running header (session reference, checklist template version), a footer
with "Page x of y" and the audit-chain head, embedded TrueType fonts, and a final signature page
whose two empty boxes (:data:`bench_app.pdf_layout.SIGNATURE_BOXES`) receive the tester's
and the witness's visible signatures. The audit head, session id and reference are also stored
in the document information dictionary (``/WitnessBenchAuditHead`` …, and in ``/Keywords``) for
``bench-app verify``.

The file is written to a temporary name beside ``out_path`` and renamed, so a failed render never
leaves a partial PDF behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from reportlab.graphics.shapes import STATE_DEFAULTS
from reportlab.lib import colors
from reportlab.pdfbase.pdfdoc import PDFDate, PDFDictionary, PDFInfo, PDFName, PDFString
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
)

from bench_app import pdf_layout as L
from bench_app.errors import ReportError
from bench_app.paths import private_dir
from bench_app.report import observed, record, sections
from bench_app.report.data import ReportData
from bench_app.report.fonts import FontSet, register_fonts
from bench_app.report.styles import Styles


class _ExtraInfo(PDFInfo):
    """Document information dictionary with extra custom keys (``/WitnessBenchAuditHead`` …)."""

    extra: dict[str, str] = {}

    def format(self, document):
        d = {
            "Title": PDFString(self.title),
            "Author": PDFString(self.author),
            "Producer": PDFString(self.producer),
            "Creator": PDFString(self.creator),
            "Subject": PDFString(self.subject),
            "Keywords": PDFString(self.keywords),
            "Trapped": PDFName(self.trapped),
        }
        d["ModDate"] = d["CreationDate"] = PDFDate(
            ts=document._timeStamp, dateFormatter=self._dateFormatter
        )
        for key, value in self.extra.items():
            d[key] = PDFString(value)
        return PDFDictionary(d).format(document)


def _canvas_class(data: ReportData, fonts: FontSet, extra_info: dict[str, str]) -> type[Canvas]:
    reference = str(data.session.get("reference", ""))
    template = data.template_version or "no checklist run"
    head = data.audit_head or "(none)"

    class _ReportCanvas(Canvas):
        """Canvas that draws header/footer after the last page is known ("page x of y")."""

        def __init__(self, *args, **kwargs):
            kwargs["initialFontName"] = fonts.regular
            kwargs["initialFontSize"] = kwargs.get("initialFontSize") or 9
            super().__init__(*args, **kwargs)
            info = _ExtraInfo()
            info.extra = dict(extra_info)
            self._doc.info = info
            self._pages: list[dict] = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._furniture(total)
                super().showPage()
            super().save()

        def _furniture(self, total: int) -> None:
            w, h = L.PAGE_WIDTH, L.PAGE_HEIGHT
            self.saveState()
            # the left text takes what it needs (up to 55 %), the template name the rest: a short
            # reference leaves the template name whole
            left = _fit(f"Witness report — {reference}", fonts.bold, 8, L.FRAME_WIDTH * 0.55)
            room = L.FRAME_WIDTH - stringWidth(left, fonts.bold, 8) - 12
            right = _fit(f"Checklist template: {template}", fonts.regular, 7.5, room)
            self.setFont(fonts.regular, 7.5)
            self.drawRightString(w - L.MARGIN, h - 36, right)
            self.setFont(fonts.bold, 8)
            self.drawString(L.MARGIN, h - 36, left)
            self.setStrokeColor(colors.grey)
            self.setLineWidth(0.5)
            self.line(L.MARGIN, h - 42, w - L.MARGIN, h - 42)
            self.line(L.MARGIN, 38, w - L.MARGIN, 38)
            self.setFont(fonts.mono, 6)
            self.drawString(L.MARGIN, 28, f"audit head {head[:32]}…")
            self.setFont(fonts.regular, 7.5)
            self.drawCentredString(w / 2, 28, f"Witness Bench {data.app_version}")
            self.drawRightString(w - L.MARGIN, 28, f"Page {self._pageNumber} of {total}")
            if data.simulator:  # on every page: the meter was the built-in simulator
                self.setFillColor(colors.HexColor("#c00000"))
                self.setFont(fonts.bold, 8)
                self.drawCentredString(w / 2, h - 22, record.SIMULATOR_MARK)
                self.drawCentredString(w / 2, 16, record.SIMULATOR_MARK)
            self.restoreState()

    return _ReportCanvas


def _fit(text: str, font: str, size: float, width: float) -> str:
    """``text`` shortened with an ellipsis so it is at most ``width`` points wide."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _signature_page(canvas: Canvas, doc) -> None:
    fonts = register_fonts()
    canvas.saveState()
    for role, (x1, y1, x2, y2) in L.SIGNATURE_BOXES.items():
        canvas.setFillColor(colors.black)
        canvas.setStrokeColor(colors.HexColor("#1f4e79"))
        canvas.setLineWidth(0.8)
        canvas.rect(x1, y1, x2 - x1, y2 - y1)
        canvas.setFont(fonts.bold, 10)
        canvas.drawString(x1, y2 + 6, role.capitalize())
        canvas.setFont(fonts.regular, 7)
        canvas.setFillColor(colors.grey)
        canvas.drawString(x1, y1 - 11, f"signature field {L.SIGNATURE_FIELDS[role]}")
    canvas.restoreState()


def build_story(data: ReportData, st: Styles) -> list:
    """The flowables of the whole report (cover to signature page)."""
    story: list = []
    story += sections.cover(data, st)
    story.append(PageBreak())
    story += sections.equipment(data, st)
    story += sections.software(data, st)
    story += sections.results(data, st)
    story += sections.reconciliation(data, st)
    story += sections.clock(data, st)
    story += sections.events(data, st)
    story += sections.charts(data, st)
    story += sections.appendix(data, st)
    story += observed.section(data.observed, st)
    story.append(NextPageTemplate("signatures"))
    story.append(PageBreak())
    story.append(
        KeepTogether(
            [
                Paragraph("Signatures", st.h1),
                Paragraph(
                    "The tester signs first, then the witness. Each signature is a PAdES "
                    "signature added as an incremental update, so earlier signatures remain "
                    "valid and any later change to the signed content is detectable. Check with "
                    f"<font face='{st.fonts.mono}'>bench-app verify REPORT.pdf --trust CERT.pem"
                    "</font>.",
                    st.body,
                ),
                Spacer(1, 6),
                *record.declarations(data, st),
                Spacer(1, 6),
                Paragraph(
                    f"Audit-chain head at rendering: <font face='{st.fonts.mono}' "
                    f"size='7'>{data.audit_head or '(none)'}</font>",
                    st.body,
                ),
            ]
        )
    )
    return story


def render_report(data: ReportData, out_path: str | Path) -> Path:
    """Write the report PDF to ``out_path`` (A4, fonts embedded) and return the path.

    :raises ReportError: when the file cannot be written (the message names the path).
    """
    out = Path(out_path)
    fonts = register_fonts()
    st = Styles(fonts)
    session = data.session
    extra = {
        L.INFO_AUDIT_HEAD: data.audit_head,
        L.INFO_SESSION_ID: str(session.get("id", "")),
        L.INFO_SESSION_REF: str(session.get("reference", "")),
        L.INFO_TEMPLATE: data.template_version,
    }
    keywords = (
        f"witness-bench; session-id={session.get('id', '')}; "
        f"session-ref={session.get('reference', '')}; audit-head={data.audit_head}"
    )
    try:
        private_dir(out.parent)
        fd, tmp_name = tempfile.mkstemp(prefix=".report-", suffix=".pdf", dir=out.parent)
        os.close(fd)
    except OSError as exc:
        raise ReportError(f"cannot write report to {out}: {exc}") from exc
    tmp = Path(tmp_name)
    try:
        doc = BaseDocTemplate(
            str(tmp),
            pagesize=(L.PAGE_WIDTH, L.PAGE_HEIGHT),
            leftMargin=L.MARGIN,
            rightMargin=L.MARGIN,
            topMargin=L.TOP_MARGIN,
            bottomMargin=L.MARGIN,
            title=f"Witness report {session.get('reference', '')}",
            author="Witness Bench",
            subject=f"{session.get('kind', '')} session #{session.get('id', '')}",
            keywords=keywords,
            creator=f"Witness Bench {data.app_version}",
        )
        main = Frame(
            L.MARGIN,
            L.MARGIN,
            L.FRAME_WIDTH,
            L.PAGE_HEIGHT - L.MARGIN - L.TOP_MARGIN,
            id="main",
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        sig = Frame(
            L.MARGIN,
            L.SIGNATURE_FRAME_BOTTOM,
            L.FRAME_WIDTH,
            L.PAGE_HEIGHT - L.TOP_MARGIN - L.SIGNATURE_FRAME_BOTTOM,
            id="sig",
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        doc.addPageTemplates(
            [
                PageTemplate(id="main", frames=[main]),
                PageTemplate(id="signatures", frames=[sig], onPage=_signature_page),
            ]
        )
        # The graphics renderer starts every drawing with STATE_DEFAULTS["fontName"] (Helvetica,
        # not embedded); use the report font while building so only embedded fonts appear.
        saved_font = STATE_DEFAULTS["fontName"]
        STATE_DEFAULTS["fontName"] = fonts.regular
        try:
            doc.build(build_story(data, st), canvasmaker=_canvas_class(data, fonts, extra))
        finally:
            STATE_DEFAULTS["fontName"] = saved_font
        os.replace(tmp, out)
    except ReportError:
        tmp.unlink(missing_ok=True)
        raise
    except Exception as exc:
        tmp.unlink(missing_ok=True)
        raise ReportError(f"cannot render report to {out}: {exc}") from exc
    return out
