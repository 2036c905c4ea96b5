"""Typed errors of the domain layer.

The CLI prints ``error: <message>`` and exits with :attr:`BenchError.exit_code`; the GUI shows the
message in a dialog. Messages name what and where (session id, file and line, table and row).
"""

from __future__ import annotations


class BenchError(Exception):
    """Base of every error raised by ``bench_app``."""

    exit_code = 1


class UsageError(BenchError):
    """The command's arguments do not make sense together."""

    exit_code = 2


class StoreError(BenchError):
    """The session database cannot be opened, migrated or written (locked, newer, disk full)."""

    exit_code = 6


class NotFoundError(StoreError):
    """A session, collection or other record does not exist."""


class SessionLockedError(StoreError):
    """The session was signed or locked; it can be read but not changed."""


class IntegrityError(StoreError):
    """The audit chain or a bundle's hashes do not verify."""

    exit_code = 7


class DamagedDatabaseError(IntegrityError):
    """SQLite pages of the session database are damaged; reading stops and writes are refused."""


class DataImportError(BenchError):
    """A CSV or bundle could not be imported; the message names the file, line and reason."""

    exit_code = 8


class TemplateError(BenchError):
    """A checklist template is invalid; the message names file:line and the field."""

    exit_code = 9


class ReportError(BenchError):
    """The report could not be written, signed or verified."""

    exit_code = 10


class SigningError(ReportError):
    """A key or passphrase problem while signing (wrong passphrase, unreadable PKCS#12)."""


class AcquisitionStopped(BenchError):
    """A read was stopped on request (``should_stop`` hook: Cancel in the GUI) between blocks;
    every block read so far is stored and the collection is marked incomplete."""


class CannotCompareError(BenchError):
    """A reconciliation has nothing to compare (fewer than two sources, or nothing in the span).

    Distinct from AGREE (0) and DIFFER (1) so scripts can tell the three apart.
    """

    exit_code = 12


class NoDisplayError(BenchError):
    """A window was asked for but there is no display (no ``DISPLAY``/``WAYLAND_DISPLAY``)."""

    exit_code = 13


class FileAccessError(BenchError):
    """A file or folder named on the command line cannot be read or written (the message names
    it and the reason, e.g. permission denied, disk full)."""

    exit_code = 14
