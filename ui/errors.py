"""Turn errors from the layers below into messages a tester can act on — never a traceback.

:func:`describe` maps :mod:`drivers.errors` and :mod:`bench_app.errors` exceptions to an
:class:`ErrorInfo` (title, what happened, what to do, whether a Resume makes sense);
:func:`show_error` puts it in a dialog, :class:`InlineMessage` in a panel.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMessageBox, QWidget

from bench_app import errors as be
from drivers import errors as de


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
    if isinstance(exc, de.AuthenticationError):
        return ErrorInfo(
            "Access refused",
            what,
            "Check the password and the client level (association) for this meter, then connect "
            "again. Repeated wrong passwords may be logged by the outstation.",
        )
    if isinstance(exc, de.DriverTimeout):
        return ErrorInfo(
            "No answer from the meter",
            what,
            "Check the cable or optical head is seated, the port and baud rate, and that the meter "
            "is powered. If a read was running, press Resume once the link is back.",
            resumable=True,
        )
    if isinstance(exc, de.TransportError):
        return ErrorInfo(
            "Connection lost",
            what,
            "Check the port exists and no other program holds it (refresh the port list). Data "
            "already received is stored; press Resume to continue the read.",
            resumable=True,
        )
    if isinstance(exc, de.ProtocolError):
        return ErrorInfo(
            "Unexpected answer from the meter",
            what,
            "Check the protocol and addressing settings match the meter. The raw bytes are in the "
            "Trace tab; attach them to the session if you report the fault.",
            resumable=True,
        )
    if isinstance(exc, de.DriverError):
        return ErrorInfo("Meter error", what, "Check the connection settings and try again.")
    if isinstance(exc, be.SessionLockedError):
        return ErrorInfo(
            "Session is locked",
            what,
            "A signed or locked session cannot be changed. Create a new session (or a new "
            "checklist run that supersedes this one) to record more results.",
            severity="warning",
        )
    if isinstance(exc, be.NotFoundError):
        return ErrorInfo("Not found", what, "Refresh the session list and pick an existing record.")
    if isinstance(exc, be.IntegrityError):
        return ErrorInfo(
            "Integrity check failed",
            what,
            "Do not sign this session. Keep the database file as evidence and contact the lab's "
            "quality lead.",
        )
    if isinstance(exc, be.StoreError):
        return ErrorInfo(
            "Session database problem",
            what,
            "Check the disk has space and the database file is not open in another program.",
        )
    if isinstance(exc, be.SigningError):
        return ErrorInfo(
            "Signing failed",
            what,
            "Check the key file and its passphrase, then sign again. The unsigned report is kept.",
        )
    if isinstance(exc, be.ReportError):
        return ErrorInfo("Report problem", what, "Check the session data is complete and retry.")
    if isinstance(exc, be.TemplateError):
        return ErrorInfo("Checklist template problem", what, "Fix the template file named above.")
    if isinstance(exc, be.DataImportError):
        return ErrorInfo("Import failed", what, "Fix the file at the line named above and retry.")
    if isinstance(exc, be.UsageError | ValueError):
        return ErrorInfo("Invalid input", what, "Correct the highlighted field and try again.")
    if isinstance(exc, be.BenchError):
        return ErrorInfo(
            "Bench error", what, "Try again; if it persists, report it with the trace."
        )
    if isinstance(exc, OSError):
        return ErrorInfo("File or device problem", what, "Check the path or device and retry.")
    return ErrorInfo(
        "Unexpected problem",
        f"{type(exc).__name__}: {what}",
        "The data stored so far is kept. Please report this with the session's trace.",
    )


def show_error(parent: QWidget | None, exc: BaseException) -> ErrorInfo:
    """Show a modal message box for ``exc`` and return the :class:`ErrorInfo` shown."""
    info = describe(exc)
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
        self.show_message(f"<b>{info.title}:</b> {info.what}<br>{info.todo}", info.severity)
        return info

    def clear(self) -> None:
        self.label.clear()
        self.hide()
