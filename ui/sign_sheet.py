"""The confirmation sheet before the first signature: what signing will lock.

The first signature locks the session, so before it the window states the overall result (the
report's own rules, :func:`bench_app.checklist.verdict.overall_result`), the steps not run and
the cover fields not recorded yet — the things a witness would otherwise find only in the PDF.
"""

from __future__ import annotations

import html
import logging

from PySide6.QtWidgets import QMessageBox, QWidget

from bench_app.store.reader import SessionReader

log = logging.getLogger(__name__)

#: session record kinds the report's cover prints, and what it says when one is missing
COVER_RECORDS = {
    "bench": "meter connection (session set bench)",
    "test_equipment": "test equipment (session set test-equipment)",
    "time_source": "reference time source (session set time-source)",
}


def missing_cover_fields(store: SessionReader, session_id: int) -> list[str]:
    """Cover fields of the report not recorded for the session (participants by role,
    equipment, HHDC software and the session records the cover prints)."""
    missing: list[str] = []
    roles = {p.get("role") for p in store.participants(session_id)}
    for role in ("tester", "witness"):
        if role not in roles:
            missing.append(f"{role} (participant)")
    if not store.equipment(session_id):
        missing.append("outstation equipment")
    if not store.software(session_id):
        missing.append("HHDC and manufacturer software")
    records = store.session_records(session_id)
    missing += [text for kind, text in COVER_RECORDS.items() if kind not in records]
    return missing


def sheet_html(store: SessionReader | None, session_id: int | None) -> str:
    """The sheet as HTML: overall result, steps not run, missing cover fields."""
    if store is None or session_id is None:
        return "No session is open."
    from bench_app.checklist.verdict import overall_result

    try:
        res = overall_result(store, session_id)
        missing = missing_cover_fields(store, session_id)
    except Exception as exc:
        log.exception("confirmation sheet of session %s", session_id)
        return f"The overall result could not be worked out: {html.escape(str(exc))}"
    not_run = [s.step_id for s in res.steps if s.verdict == "not-run"]
    lines = [f"<p><b>Overall result: {html.escape(res.status)}</b></p>"]
    if not_run:
        lines.append(
            f"<p><b>{len(not_run)} of {len(res.steps)} steps not run:</b> "
            f"{html.escape(', '.join(not_run))}</p>"
        )
    else:
        lines.append("<p>Every step has a result.</p>")
    if missing:
        lines.append(
            "<p><b>Cover fields not recorded:</b> " + html.escape("; ".join(missing)) + "</p>"
        )
    else:
        lines.append("<p>Every cover field is recorded.</p>")
    return "".join(lines)


def confirm_first_signature(parent: QWidget, role: str, sheet: str) -> bool:
    """Ask before the first signature (it locks the session), showing ``sheet``; the default
    button is Cancel, so Enter never signs. True when the signer chose to sign."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Sign and lock the session?")
    box.setText(
        f"<b>Signing as {role} locks the session</b>: no step, record or reading can be "
        "added or changed afterwards."
    )
    box.setInformativeText(sheet)
    sign = box.addButton(f"Sign as {role} and lock", QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.exec()
    return box.clickedButton() is sign
