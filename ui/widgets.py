"""Small widget helpers shared by the panels (typed constructors PySide6's stubs accept)."""

from __future__ import annotations

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDateEdit


def date_edit(day: QDate, display: str = "ddd yyyy-MM-dd") -> QDateEdit:
    """A date field with a calendar pop-up showing ``day`` in ``display`` format."""
    edit = QDateEdit(day)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat(display)
    return edit
