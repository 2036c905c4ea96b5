"""Typed errors of the domain layer.

The CLI prints ``error: <message>`` and exits with :attr:`BenchError.exit_code`; the GUI shows the
message in a dialog. Messages name what and where (session id, file and line, table and row).
Each class carries a :attr:`BenchError.title` and a :attr:`BenchError.hint` (what to do), printed
by the CLI as ``hint: …`` and shown by the GUI.
"""

from __future__ import annotations

import errno


class BenchError(Exception):
    """Base of every error raised by ``bench_app``.

    :param hint: what to do, when this error knows better than its class (e.g. the hint of
        :func:`os_hint` for the operating-system error behind it).
    """

    title = "Bench error"
    hint = "Try again; if it persists, report it with the session's trace and the log file."

    exit_code = 1

    def __init__(self, *args: object, hint: str | None = None) -> None:
        super().__init__(*args)
        if hint:
            self.hint = hint


#: errno → what to do about it
_ERRNO_HINTS = {
    errno.EACCES: "Check the permissions of the file and its folder, or choose a folder you can "
    "write to.",
    errno.EPERM: "Check the permissions of the file and its folder, or choose a folder you can "
    "write to.",
    errno.EROFS: "The disk is read-only: choose a folder on a writable disk.",
    errno.ENOSPC: "Free some space on the disk (or choose another disk) and try again.",
    errno.ENOENT: "Check the path: the file or its folder does not exist.",
    errno.EISDIR: "The path names a folder: give a file name.",
    errno.ENOTDIR: "A part of the path is a file, not a folder: check the path.",
}
#: words of an SQLite error → what to do about it
_SQLITE_HINTS = (
    ("readonly", _ERRNO_HINTS[errno.EACCES]),
    ("unable to open", "Check the path exists and you may write to its folder."),
    ("locked", "Close the other program (or other Witness Bench window) using this database."),
    ("busy", "Close the other program (or other Witness Bench window) using this database."),
    ("full", _ERRNO_HINTS[errno.ENOSPC]),
)


def os_hint(exc: BaseException) -> str | None:
    """The hint that fits the operating-system or SQLite error ``exc`` (permission, disk full,
    missing path, locked database…); None when there is none more precise than the class's."""
    code = getattr(exc, "errno", None)
    if isinstance(code, int) and code in _ERRNO_HINTS:
        return _ERRNO_HINTS[code]
    text = str(exc).lower()
    if "permission denied" in text:
        return _ERRNO_HINTS[errno.EACCES]
    if "no space" in text:
        return _ERRNO_HINTS[errno.ENOSPC]
    if type(exc).__module__ == "sqlite3":
        for word, hint in _SQLITE_HINTS:
            if word in text:
                return hint
    return None


class UsageError(BenchError):
    """The command's arguments do not make sense together."""

    title = "Invalid input"
    hint = "Correct the value named above and try again (--help lists the options)."

    exit_code = 2


class MeterMismatchError(UsageError):
    """The meter connected is not the session's (declared serial, or the meter read before)."""

    title = "Another meter"
    hint = (
        "Connect the session's meter, or read with --accept-serial to store this read as a "
        "deviation the report lists."
    )


class WriteRefusedError(UsageError):
    """A write to the meter outside a checklist step is refused now (a witnessed run is open,
    or the session is locked)."""

    title = "Write to the meter refused"
    hint = (
        "During a witnessed checklist run only its steps write to the meter. Confirm (or "
        "supersede) the run first, or leave the meter as it is and record why."
    )


class StoreError(BenchError):
    """The session database cannot be opened, migrated or written (locked, newer, disk full)."""

    title = "Session database problem"
    hint = (
        "Check the database file named above: a writable folder, space on the disk, not open in "
        "another program."
    )

    exit_code = 6


class NotFoundError(StoreError):
    """A session, collection or other record does not exist."""

    title = "Not found"
    hint = "List the sessions (bench-app session list) and pick an existing record."


class SessionLockedError(StoreError):
    """The session was signed or locked; it can be read but not changed."""

    title = "Session is locked"
    hint = (
        "A signed or locked session cannot be changed. Create a new session (or a new checklist run"
        " that supersedes this one) to record more results."
    )


class IntegrityError(StoreError):
    """The audit chain or a bundle's hashes do not verify."""

    title = "Integrity check failed"
    hint = (
        "Do not sign this session. Keep the database file as evidence and contact the lab's quality"
        " lead."
    )

    exit_code = 7


class DamagedDatabaseError(IntegrityError):
    """SQLite pages of the session database are damaged; reading stops and writes are refused."""


class DataImportError(BenchError):
    """A CSV or bundle could not be imported; the message names the file, line and reason."""

    title = "Import failed"
    hint = "Fix the file at the line named above and import it again."

    exit_code = 8


class TemplateError(BenchError):
    """A checklist template is invalid; the message names file:line and the field."""

    title = "Checklist template problem"
    hint = "Fix the template file at the line named above."

    exit_code = 9


class ReportError(BenchError):
    """The report could not be written, signed or verified."""

    title = "Report problem"
    hint = "Check the session data is complete and write the report again."

    exit_code = 10


class SigningError(ReportError):
    """A key or passphrase problem while signing (wrong passphrase, unreadable PKCS#12)."""

    title = "Signing failed"
    hint = "Check the key file and its passphrase, then sign again. The unsigned report is kept."


class AcquisitionStopped(BenchError):
    """A read was stopped on request (``should_stop`` hook: Cancel in the GUI) between blocks;
    every block read so far is stored and the collection is marked incomplete."""

    title = "Read stopped"
    hint = "Everything read so far is stored; resume the read to fetch the rest."


class CannotCompareError(BenchError):
    """A reconciliation has nothing to compare (fewer than two sources, or nothing in the span).

    Distinct from AGREE (0) and DIFFER (1) so scripts can tell the three apart.
    """

    title = "Nothing to compare"
    hint = "Import both exports (HHDC and manufacturer) or read the meter over the same span."
    exit_code = 12


class NoDisplayError(BenchError):
    """A window was asked for but there is no display (no ``DISPLAY``/``WAYLAND_DISPLAY``)."""

    title = "No display"
    hint = "Run headless: bench-app gui --smoke-test, QT_QPA_PLATFORM=offscreen, or xvfb-run -a."
    exit_code = 13


class FileAccessError(BenchError):
    """A file or folder named on the command line cannot be read or written (the message names
    it and the reason, e.g. permission denied, disk full)."""

    title = "File not accessible"
    hint = "Check the path named above and try again."
    exit_code = 14
