"""Witness report: gather a session's data (:func:`collect_report_data`) and render it to an A4
PDF (:func:`render_report`) ready for the tester's and witness's PAdES signatures."""

from bench_app.pdf_layout import SIGNATURE_BOXES, SIGNATURE_FIELDS
from bench_app.report.data import (
    ChannelSeries,
    Reconciliation,
    ReportData,
    StepRow,
    collect_report_data,
)
from bench_app.report.render import render_report

__all__ = [
    "SIGNATURE_BOXES",
    "SIGNATURE_FIELDS",
    "ChannelSeries",
    "Reconciliation",
    "ReportData",
    "StepRow",
    "collect_report_data",
    "render_report",
]
