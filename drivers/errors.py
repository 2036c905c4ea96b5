"""Typed errors raised by the driver layer.

Every error names *where* it happened (port URL, protocol step) so that the CLI and the GUI can
show a message a tester can act on without a traceback. The CLI maps them to exit codes:
:class:`TransportError` and :class:`DriverTimeout` → 3, :class:`ProtocolError` → 4,
:class:`AuthenticationError` → 5.

Each class also carries the advice a tester needs (:attr:`DriverError.title`,
:attr:`DriverError.hint`, :attr:`DriverError.resumable`) so that the CLI prints the same "what to
do" as the GUI.
"""

from __future__ import annotations

import re

_ERRNO = re.compile(r"\[Errno -?\d+\]\s*")
_REPEATED = ("read failed:", "write failed:", "could not open port")


def os_reason(exc: BaseException) -> str:
    """The innermost reason of an OS or pyserial error, said once.

    pyserial nests its messages (``"[Errno 2] could not open port X: [Errno 2] No such file or
    directory: 'X'"``, ``"read failed: socket disconnected"``); the port is named by the
    :class:`DriverError` itself, so only ``"No such file or directory: 'X'"`` or ``"socket
    disconnected"`` is kept.
    """
    text = str(exc).strip()
    parts = [p.strip().rstrip(":").strip() for p in _ERRNO.split(text)]
    parts = [p for p in parts if p] or [text]
    reason = parts[-1]
    for prefix in _REPEATED:
        if reason.lower().startswith(prefix) and ":" in reason:
            reason = reason.split(":", 1)[1].strip()
    return reason or type(exc).__name__


class DriverError(Exception):
    """Base of every error raised by ``drivers``.

    :param message: what went wrong, in words a tester understands.
    :param port: the port URL the error happened on, if known.
    :param step: the protocol step (``"sign-on"``, ``"AARQ"``, ``"profile block 3"``…), if known.
    """

    exit_code = 1
    #: short heading for a dialog.
    title = "Meter error"
    #: what the tester can do about it (one or two sentences).
    hint = "Check the connection settings and try again."
    #: a read interrupted by this error can be resumed from what was stored.
    resumable = False

    def __init__(self, message: str, *, port: str | None = None, step: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.port = port
        self.step = step

    def __str__(self) -> str:
        where = []
        if self.port:
            where.append(f"port {self.port}")
        if self.step:
            where.append(f"step {self.step!r}")
        return f"{self.message} ({', '.join(where)})" if where else self.message

    def located(self, *, port: str | None = None, step: str | None = None) -> DriverError:
        """Fill in ``port``/``step`` when they are not known yet; returns ``self`` for ``raise``."""
        if self.port is None and port is not None:
            self.port = port
        if self.step is None and step is not None:
            self.step = step
        return self


class TransportError(DriverError):
    """The port is missing, closed, busy or was unplugged."""

    exit_code = 3
    title = "Connection lost"
    hint = (
        "Check the port exists and no other program holds it (refresh the port list). Data "
        "already received is stored: read again (GUI: press Resume) to continue from the last "
        "stored period."
    )
    resumable = True


class DriverTimeout(DriverError):
    """No (complete) answer in time.

    :param received: the bytes that did arrive before the deadline (may be empty).
    """

    exit_code = 3
    title = "No answer from the meter"
    hint = (
        "Check the cable or optical head is seated, the port and baud rate, and that the meter "
        "is powered. If a read was running, read again (GUI: press Resume) once the link is back."
    )
    resumable = True

    def __init__(
        self,
        message: str,
        *,
        port: str | None = None,
        step: str | None = None,
        received: bytes = b"",
    ) -> None:
        super().__init__(message, port=port, step=step)
        self.received = bytes(received)

    def __str__(self) -> str:
        base = super().__str__()
        if self.received:
            shown = self.received[:64].hex(" ")
            more = "…" if len(self.received) > 64 else ""
            return f"{base}; {len(self.received)} byte(s) arrived: {shown}{more}"
        return f"{base}; nothing arrived"


class ProtocolError(DriverError):
    """A bad checksum, an unexpected byte or malformed data.

    :param data: the offending bytes (a frame, a line, a telegram), kept for the evidence.
    """

    exit_code = 4
    title = "Unexpected answer from the meter"
    hint = (
        "Check the protocol and addressing settings match the meter. The raw bytes are in the "
        "session's trace (bench-app trace show); attach them if you report the fault."
    )
    resumable = True

    def __init__(
        self,
        message: str,
        *,
        data: bytes = b"",
        port: str | None = None,
        step: str | None = None,
    ) -> None:
        super().__init__(message, port=port, step=step)
        self.data = bytes(data)

    def __str__(self) -> str:
        base = super().__str__()
        if self.data:
            shown = self.data[:64].hex(" ")
            more = "…" if len(self.data) > 64 else ""
            return f"{base}; bytes: {shown}{more}"
        return base


class AuthenticationError(DriverError):
    """The meter refused the password or the association (wrong level, wrong secret)."""

    exit_code = 5
    title = "Access refused"
    hint = (
        "Check the password and the client level (association) for this meter, then connect "
        "again. Repeated wrong passwords may be logged by the outstation."
    )


class ObjectError(ProtocolError):
    """One object could not be read: the meter lacks it, refused it, or sent a value the bench
    cannot decode. Reads of *optional* objects turn this into a warning and carry on.

    :param obj: the object (DLMS OBIS code in long form, IEC 62056-21 address).
    :param attribute: the attribute number (DLMS) or item name, when known.
    :param reason: the short reason for a warning (defaults to ``message``).
    """

    def __init__(
        self,
        message: str,
        *,
        obj: str = "",
        attribute: int | str | None = None,
        reason: str = "",
        data: bytes = b"",
        port: str | None = None,
        step: str | None = None,
    ) -> None:
        super().__init__(message, data=data, port=port, step=step)
        self.obj = obj
        self.attribute = attribute
        self.reason = reason or message
