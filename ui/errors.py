"""Turn errors from the layers below into messages a tester can act on — never a traceback.

:func:`describe` maps :mod:`drivers.errors` and :mod:`bench_app.errors` exceptions to an
:class:`ErrorInfo` (title, what happened, what to do, whether a Resume makes sense) from the
``title``/``hint``/``resumable`` the error classes carry (the CLI prints the same hint);
:func:`show_error` puts it in a dialog, :class:`InlineMessage` in a panel.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMessageBox, QWidget

from bench_app import errors as be
from drivers import errors as de

log = logging.getLogger(__name__)


class Cancelled(Exception):
    """Raised inside a worker when the user pressed Cancel (between blocks)."""


@dataclass
class ErrorInfo:
    """What to tell the user.

    :param title: short heading (``"Connection lost"``).
    :param what: what happened, including where (port, step, session).
    :param todo: what the user can do about it.
    :param resumable: a read can be resumed from what was stored.
    :param severity: ``"error"`` or ``"warning"``.
    """

    title: str
    what: str
    todo: str
    resumable: bool = False
    severity: str = "error"

    def text(self) -> str:
        return f"{self.what}\n\nWhat to do: {self.todo}"


def describe(exc: BaseException) -> ErrorInfo:
    """Map an exception to an :class:`ErrorInfo`; unknown errors get a generic but honest text."""
    what = str(exc) or type(exc).__name__
    if isinstance(exc, Cancelled):
        return ErrorInfo(
            "Cancelled",
            "The operation was cancelled; blocks already received were kept.",
            "Press Resume to continue from the last stored period, or start a new read.",
            resumable=True,
            severity="warning",
        )
    if isinstance(exc, de.DriverError | be.BenchError):
        # The advice lives on the error classes (shared with the CLI's "hint:" line).
        return ErrorInfo(
            exc.title,
            what,
            exc.hint,
            resumable=bool(getattr(exc, "resumable", False)),
            severity="warning" if isinstance(exc, be.SessionLockedError) else "error",
        )
    if isinstance(exc, ValueError):
        return ErrorInfo("Invalid input", what, "Correct the highlighted field and try again.")
    if isinstance(exc, OSError):
        return ErrorInfo("File or device problem", what, "Check the path or device and retry.")
    return ErrorInfo(
        "Unexpected problem",
        f"{type(exc).__name__}: {what}",
        "The data stored so far is kept. Please report this with the session's trace.",
    )


def log_shown(info: ErrorInfo, exc: BaseException) -> None:
    """Every error the window shows is in the log too (with its traceback when unexpected)."""
    expected = isinstance(exc, Cancelled | de.DriverError | be.BenchError | ValueError | OSError)
    log.log(
        logging.WARNING if info.severity == "warning" else logging.ERROR,
        "shown to the user: %s: %s",
        info.title,
        info.what,
        exc_info=None if expected else exc,
    )


def show_error(parent: QWidget | None, exc: BaseException) -> ErrorInfo:
    """Show a modal message box for ``exc`` and return the :class:`ErrorInfo` shown."""
    info = describe(exc)
    log_shown(info, exc)
    box = QMessageBox(parent)
    box.setIcon(
        QMessageBox.Icon.Warning if info.severity == "warning" else QMessageBox.Icon.Critical
    )
    box.setWindowTitle(info.title)
    box.setText(info.what)
    box.setInformativeText(f"What to do: {info.todo}")
    box.open()  # non-blocking: never freezes the event loop
    return info


class InlineMessage(QFrame):
    """A coloured one-line banner inside a panel (hidden when empty)."""

    COLOURS = {"error": "#fde8e8", "warning": "#fff4d6", "info": "#e6f0fb", "ok": "#e5f5e8"}

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inlineMessage")
        self.label = QLabel()
        self.label.setWordWrap(True)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        lay.addWidget(self.label, 1)
        self.hide()

    def show_message(self, text: str, kind: str = "info") -> None:
        """Show ``text``; ``kind`` is ``error``, ``warning``, ``info`` or ``ok``."""
        self.setStyleSheet(
            f"#inlineMessage {{ background: {self.COLOURS.get(kind, '#eee')}; "
            "border-radius: 4px; }"
        )
        self.label.setText(text)
        self.show()

    def show_error(self, exc: BaseException) -> ErrorInfo:
        info = describe(exc)
        log_shown(info, exc)
        self.show_message(f"<b>{info.title}:</b> {info.what}<br>{info.todo}", info.severity)
        return info

    def clear(self) -> None:
        self.label.clear()
        self.hide()
