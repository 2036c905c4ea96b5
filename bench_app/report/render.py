"""Render a report's statement (:mod:`bench_app.report.statement`) to an A4 PDF with ReportLab
platypus: every page is drawn from the statement alone, and the statement itself is embedded as
the file ``witness-statement.json`` (``/EmbeddedFiles`` and the catalog's ``/AF``, the way
Factur-X invoices carry their XML), so the tester signs pages and data together.

Rendering is deterministic (ReportLab's invariant mode: no clock, a fixed document id; times come
from the statement), so the same statement always gives the same bytes and ``bench-app verify``
can re-render the pages and compare them with the signed ones.

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

import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from reportlab.graphics.shapes import STATE_DEFAULTS
from reportlab.lib import colors
from reportlab.pdfbase.pdfdoc import (
    PDFArray,
    PDFDate,
    PDFDictionary,
    PDFInfo,
    PDFName,
    PDFStream,
    PDFString,
)
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
from bench_app.report import observed, record, sections, writes
from bench_app.report import statement as stmt
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


def _name(text: str) -> str:
    """``text`` as a PDF name body: ``/`` and ``#`` written as ``#2F``/``#23`` (PDF 1.7 7.3.5)."""
    return text.replace("#", "#23").replace("/", "#2F")


def _attach_statement(canvas: Canvas, payload: bytes) -> None:
    """Embed ``payload`` (the statement's canonical JSON) as the document's associated file."""
    doc = canvas._doc
    stream = PDFStream(
        PDFDictionary({"Type": PDFName("EmbeddedFile"), "Subtype": PDFName(_name(stmt.MIME))}),
        payload,
        filters=None,
    )
    stream.dictionary["Params"] = PDFDictionary({"Size": len(payload)})
    spec = PDFDictionary(
        {
            "Type": PDFName("Filespec"),
            "F": PDFString(stmt.FILE_NAME),
            "UF": PDFString(stmt.FILE_NAME),
            "Desc": PDFString("Witness report statement: everything the report asserts"),
            "AFRelationship": PDFName("Data"),
            "EF": PDFDictionary({"F": doc.Reference(stream)}),
        }
    )
    ref = doc.Reference(spec)
    catalog = doc.Catalog
    catalog.Names = PDFDictionary(
        {"EmbeddedFiles": PDFDictionary({"Names": PDFArray([PDFString(stmt.FILE_NAME), ref])})}
    )
    catalog.AF = PDFArray([ref])
    catalog.__NoDefault__ = [*catalog.__NoDefault__, "AF"]


def _canvas_class(
    data: ReportData, fonts: FontSet, extra_info: dict[str, str], payload: bytes
) -> type[Canvas]:
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
            _attach_statement(self, payload)
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
        canvas.drawString(x1, y1 - 11, f"The {role}'s digital signature (PAdES) goes in this box")
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
    story += writes.section(data, st)
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
    """Write the report of ``data`` to ``out_path``: its statement
    (:func:`~bench_app.report.statement.statement_from_data`) rendered by
    :func:`render_statement`, so the pages show exactly what the statement says."""
    return render_statement(stmt.statement_from_data(data), out_path)


def render_statement(statement: dict[str, Any], out_path: str | Path) -> Path:
    """Write the report PDF of ``statement`` to ``out_path`` (A4, fonts and statement embedded)
    and return the path. Written to a temporary file beside it and renamed.

    :raises ReportError: when the file cannot be written (the message names the path).
    """
    out = Path(out_path)
    try:
        private_dir(out.parent)
        fd, tmp_name = tempfile.mkstemp(prefix=".report-", suffix=".pdf", dir=out.parent)
        os.close(fd)
    except OSError as exc:
        raise ReportError(f"cannot write report to {out}: {exc}") from exc
    tmp = Path(tmp_name)
    try:
        tmp.write_bytes(render_bytes(statement))
        os.replace(tmp, out)
    except ReportError:
        tmp.unlink(missing_ok=True)
        raise
    except Exception as exc:
        tmp.unlink(missing_ok=True)
        raise ReportError(f"cannot render report to {out}: {exc}") from exc
    return out


def render_bytes(statement: dict[str, Any]) -> bytes:
    """The report PDF of ``statement`` as bytes: the same statement always gives the same bytes.

    :raises ReportError: the statement cannot be rendered.
    """
    payload = stmt.canonical_bytes(statement)
    # drawn from the bytes that are embedded, so the pages are exactly what the file says
    data = stmt.data_from_statement(json.loads(payload))
    fonts = register_fonts()
    st = Styles(fonts)
    session = data.session
    extra = {
        L.INFO_AUDIT_HEAD: data.audit_head,
        L.INFO_SESSION_ID: str(session.get("id", "")),
        L.INFO_SESSION_UID: str(session.get("uid", "")),
        L.INFO_SESSION_REF: str(session.get("reference", "")),
        L.INFO_TEMPLATE: data.template_version,
    }
    keywords = (
        f"witness-bench; session-id={session.get('id', '')}; "
        f"session-uid={session.get('uid', '')}; "
        f"session-ref={session.get('reference', '')}; audit-head={data.audit_head}"
    )
    buf = io.BytesIO()
    try:
        doc = BaseDocTemplate(
            buf,
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
            invariant=1,
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
            doc.build(
                build_story(data, st), canvasmaker=_canvas_class(data, fonts, extra, payload)
            )
        finally:
            STATE_DEFAULTS["fontName"] = saved_font
    except Exception as exc:
        raise ReportError(f"cannot render the report: {exc}") from exc
    return buf.getvalue()
