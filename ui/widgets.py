"""Small widget helpers shared by the panels (typed constructors PySide6's stubs accept)."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QComboBox, QDateEdit, QLabel, QWidget

from bench_app.presentation import collection_name, collection_tooltip


def date_edit(day: QDate, display: str = "ddd dd MMM yyyy") -> QDateEdit:
    """A date field with a calendar pop-up showing ``day`` in ``display`` format."""
    edit = QDateEdit(day)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat(display)
    return edit


def gate(widgets: Iterable[QWidget], reason: str, tip: str = "") -> None:
    """Enable ``widgets`` when ``reason`` is empty; otherwise disable them and say why in the
    tooltip (a control that cannot act is greyed out with its reason, never failing on click).
    ``tip``: the tooltip while enabled."""
    for w in widgets:
        w.setEnabled(not reason)
        w.setToolTip(reason or tip)


def empty_state(text: str = "") -> QLabel:
    """A centred, word-wrapped grey message shown instead of empty axes (what is missing and
    what to do about it)."""
    label = QLabel(text)
    label.setObjectName("emptyState")
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setStyleSheet("#emptyState { color: #555; font-size: 11pt; padding: 24px; }")
    label.setMinimumHeight(120)
    return label


def collection_label(c: dict) -> str:
    """A collection as a list shows it: ``"Profile read 07 Dec 10:02 GMT (DR4-1a) · 6,648
    rows"`` (its id is in the tooltip, :func:`add_collection`)."""
    rows = c.get("rows")
    return collection_name(c) + (f" · {int(rows):,} rows" if rows else "")


def add_collection(combo: QComboBox, c: dict) -> None:
    """Add collection ``c`` (a store row) to ``combo``: named by purpose and time, the id as
    the item's data and in its tooltip."""
    combo.addItem(collection_label(c), c["id"])
    combo.setItemData(combo.count() - 1, collection_tooltip(c), Qt.ItemDataRole.ToolTipRole)
