"""Transports: the byte pipe under every protocol client.

PyMeasure-style layering: :class:`Transport` owns the public read/write API, the trace, echo
cancellation and timeouts; subclasses implement only the private ``_open``/``_close``/``_read``/
``_write``/``_apply`` hooks. :class:`SerialTransport` opens anything pyserial understands by URL
(``/dev/ttyUSB0``, ``COM3``, ``socket://127.0.0.1:4059``, ``rfc2217://host:port``, ``loop://``).
Tests inject :class:`drivers.testing.ScriptedTransport` instead.

Timeouts are in seconds; baud rates in bits per second.
"""

from __future__ import annotations

import logging
import socket
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

import serial

try:  # POSIX: pyserial lets termios errors through when a device refuses a setting
    from termios import error as _TermiosError
except ImportError:  # Windows
    _TermiosError = OSError  # type: ignore[misc, assignment]

from drivers.errors import DriverTimeout, ProtocolError, TransportError, os_reason
from drivers.redact import Span, mask, shift
from drivers.trace import Trace

log = logging.getLogger(__name__)

_CONFIG_ERRORS = (OSError, ValueError, serial.SerialException, _TermiosError)
_PARITY = {"N": serial.PARITY_NONE, "E": serial.PARITY_EVEN, "O": serial.PARITY_ODD}


@dataclass(frozen=True)
class LineSettings:
    """Character format and speed.

    :param baud: bits per second (300…115200).
    :param bytesize: data bits, 7 or 8.
    :param parity: ``"N"``, ``"E"`` or ``"O"``.
    :param stopbits: 1 or 2.
    """

    baud: int = 300
    bytesize: int = 7
    parity: str = "E"
    stopbits: int = 1

    @property
    def name(self) -> str:
        """Short form such as ``"7E1"``."""
        return f"{self.bytesize}{self.parity}{self.stopbits}"

    def with_baud(self, baud: int) -> LineSettings:
        return LineSettings(baud, self.bytesize, self.parity, self.stopbits)

    def __str__(self) -> str:
        return f"{self.baud} {self.name}"


#: IEC 62056-21 sign-on: 300 baud, 7 data bits, even parity, 1 stop bit.
IEC_SIGN_ON = LineSettings(300, 7, "E", 1)
#: HDLC on RS232/RS485 and after mode E: 8N1 (the baud is set per port).
HDLC_8N1 = LineSettings(9600, 8, "N", 1)


class Transport(ABC):
    """Byte pipe with trace, timeouts and optional echo cancellation.

    :param url: what to open; also used in every error message.
    :param settings: initial line settings.
    :param timeout: default read timeout in seconds for ``read_*`` calls.
    :param echo: True for half-duplex optical heads and RS485 adapters that return what was sent;
        the echo is read back and dropped after every write.
    :param trace: where chunks are recorded; a new :class:`Trace` when omitted.
    """

    def __init__(
        self,
        url: str,
        settings: LineSettings = IEC_SIGN_ON,
        *,
        timeout: float = 2.0,
        echo: bool = False,
        trace: Trace | None = None,
    ) -> None:
        self.url = url
        self._settings = settings
        self.timeout = timeout
        self.echo = echo
        self.trace = trace if trace is not None else Trace()
        self._buffer = bytearray()
        self._is_open = False

    # -- private hooks ---------------------------------------------------------------------------
    @abstractmethod
    def _open(self) -> None: ...

    @abstractmethod
    def _close(self) -> None: ...

    @abstractmethod
    def _write(self, data: bytes) -> None:
        """Send all of ``data``; block until it is handed to the OS (or the wire)."""

    @abstractmethod
    def _read(self, timeout: float) -> bytes:
        """Return what is available, waiting ≤ ``timeout`` s for the first byte; b"" if none."""

    def _apply(self, settings: LineSettings) -> None:  # noqa: B027 - optional hook
        """Apply new line settings to the open port (no-op for transports without a line)."""

    def _drain(self) -> None:  # noqa: B027 - optional hook
        """Wait until written bytes have left (before a baud change)."""

    # -- lifecycle -------------------------------------------------------------------------------
    def open(self) -> Self:
        if not self._is_open:
            self._open()
            self._is_open = True
        return self

    def close(self) -> None:
        if self._is_open:
            self._is_open = False
            self._close()

    @property
    def is_open(self) -> bool:
        return self._is_open

    def __enter__(self) -> Transport:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- settings --------------------------------------------------------------------------------
    @property
    def settings(self) -> LineSettings:
        return self._settings

    def set_line(self, settings: LineSettings) -> None:
        """Change baud/format mid-session (e.g. 300 7E1 → 9600 7E1, or → 8N1 for mode E)."""
        self._check_open("change line settings")
        self._drain()
        self._settings = settings
        self._apply(settings)

    # -- I/O -------------------------------------------------------------------------------------
    def write(
        self, data: bytes, *, note: str = "", step: str = "", secret: Sequence[Span] = ()
    ) -> None:
        """Send ``data``; with ``echo`` on, read back and drop the same bytes.

        :param secret: byte spans of ``data`` holding a password (:mod:`drivers.redact`): the
            trace records them as ``*``, in what was sent and in its echo.
        """
        self._check_open(step or "write")
        try:
            self._write(bytes(data))
        except (OSError, serial.SerialException) as exc:
            raise TransportError(
                f"write failed: {os_reason(exc)}", port=self.url, step=step or None
            ) from exc
        self.trace.add(
            "tx", data, baud=self._settings.baud, line=self._settings.name, note=note,
            secret=secret,
        )  # fmt: skip
        if self.echo and data:
            first, buffered = len(self.trace), len(self._buffer)
            try:
                self._drop_echo(bytes(data), step or "write", secret)
            finally:
                if secret:
                    self.trace.mask_stream("rx", first, shift(secret, -buffered))

    def _drop_echo(self, sent: bytes, step: str, secret: Sequence[Span] = ()) -> None:
        got = self._take(len(sent), self.timeout, step=f"{step} (echo)", note="echo")
        if got != sent:
            raise ProtocolError(
                "echo does not match what was sent (is echo cancellation right for this head?)",
                data=mask(got, secret),
                port=self.url,
                step=step,
            )

    def read_exactly(self, n: int, *, timeout: float | None = None, step: str = "") -> bytes:
        """Return exactly ``n`` bytes or raise :class:`DriverTimeout` naming ``step``."""
        return self._take(n, self.timeout if timeout is None else timeout, step=step)

    def read_until(
        self,
        terminator: bytes,
        *,
        timeout: float | None = None,
        step: str = "",
        max_bytes: int = 1 << 20,
    ) -> bytes:
        """Return bytes up to and including ``terminator``; :class:`DriverTimeout` if none."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        search_from = 0
        while True:
            idx = self._buffer.find(terminator, search_from)
            if idx >= 0:
                end = idx + len(terminator)
                out = bytes(self._buffer[:end])
                del self._buffer[:end]
                return out
            search_from = max(0, len(self._buffer) - len(terminator) + 1)
            if len(self._buffer) > max_bytes:
                data = bytes(self._buffer)
                self._buffer.clear()
                raise ProtocolError(
                    f"no {terminator!r} within {max_bytes} bytes",
                    data=data,
                    port=self.url,
                    step=step,
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._fill(remaining, step):
                data = bytes(self._buffer)
                self._buffer.clear()
                raise DriverTimeout(
                    f"timed out waiting for {terminator!r}", port=self.url, step=step, received=data
                )

    def read_available(self, timeout: float = 0.0, *, step: str = "") -> bytes:
        """Return whatever is buffered or arrives within ``timeout`` s (possibly b"")."""
        if not self._buffer and timeout >= 0:
            self._fill(timeout, step)
        out = bytes(self._buffer)
        self._buffer.clear()
        return out

    def unread(self, data: bytes) -> None:
        """Push bytes back to the front of the input (a parser read too far)."""
        self._buffer[:0] = data

    def flush_input(self) -> bytes:
        """Drop (and return, for the trace) anything waiting on the input."""
        return self.read_available(0.0)

    # -- internals -------------------------------------------------------------------------------
    def _take(self, n: int, timeout: float, *, step: str, note: str = "") -> bytes:
        deadline = time.monotonic() + timeout
        while len(self._buffer) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._fill(remaining, step, note=note):
                data = bytes(self._buffer)
                self._buffer.clear()
                raise DriverTimeout(
                    f"timed out waiting for {n} byte(s)", port=self.url, step=step, received=data
                )
        out = bytes(self._buffer[:n])
        del self._buffer[:n]
        return out

    def _fill(self, timeout: float, step: str, note: str = "") -> bool:
        """Read one chunk into the buffer; False when nothing came within ``timeout``."""
        self._check_open(step or "read")
        try:
            chunk = self._read(max(0.0, timeout))
        except (OSError, serial.SerialException) as exc:
            raise TransportError(
                f"read failed: {os_reason(exc)} — cable pulled or meter off?",
                port=self.url,
                step=step or None,
            ) from exc
        if not chunk:
            return False
        self.trace.add("rx", chunk, baud=self._settings.baud, line=self._settings.name, note=note)
        self._buffer += chunk
        return True

    def _check_open(self, step: str) -> None:
        if not self._is_open:
            raise TransportError("port is not open", port=self.url, step=step)


class SerialTransport(Transport):
    """A pyserial port opened by URL (device path, ``COMn``, ``socket://``, ``rfc2217://``, ``loop://``)."""

    def __init__(self, url: str, settings: LineSettings = IEC_SIGN_ON, **kwargs) -> None:
        super().__init__(url, settings, **kwargs)
        self._port: serial.SerialBase | None = None
        self.software_framing = False
        self._pending_error: Exception | None = None

    def _open(self) -> None:
        try:
            port = serial.serial_for_url(self.url, do_not_open=True)
            port.timeout = 0.0
            port.write_timeout = 10.0
            port.open()
        except (OSError, ValueError, serial.SerialException) as exc:
            raise TransportError(
                f"cannot open port: {os_reason(exc)}", port=self.url, step="open"
            ) from exc
        self._port = port
        try:
            self._apply(self._settings)
        except TransportError:
            self._close()
            raise

    def _close(self) -> None:
        port, self._port = self._port, None
        if port is None:
            return
        sock = getattr(port, "_socket", None)
        if sock is not None:
            # pyserial's socket:// close() sleeps 0.3 s "for quick reconnects"; a bench reconnects
            # often (each checklist step) and our peers accept at once, so close it ourselves.
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError as exc:
                log.debug("%s: socket shutdown on close: %s", self.url, exc)
            sock.close()
            port._socket = None
            port.is_open = False
            return
        try:
            port.close()
        except (OSError, serial.SerialException) as exc:
            log.warning("%s: closing the port failed: %s", self.url, exc)

    @staticmethod
    def _configure(port: serial.SerialBase, settings: LineSettings) -> None:
        port.baudrate = settings.baud
        port.bytesize = settings.bytesize
        port.parity = _PARITY[settings.parity]
        port.stopbits = settings.stopbits

    def _apply(self, settings: LineSettings) -> None:
        """Apply ``settings``; a device that refuses 7-bit/parity framing gets it in software.

        Pseudo-terminals on recent Linux kernels (and a few USB adapters) accept only 8N1. For those
        the port runs 8N1 and received bytes are masked to 7 bits, which is what a 7E1 UART hands
        over; :attr:`software_framing` tells. The trace records the framing the protocol asked for.
        """
        assert self._port is not None
        self.software_framing = False
        try:
            self._configure(self._port, settings)
            return
        except _CONFIG_ERRORS as exc:
            if settings.bytesize == 8 and settings.parity == "N":
                raise TransportError(f"cannot set {settings}: {exc}", port=self.url) from exc
        try:  # reconfigure while closed: pyserial keeps the refused values otherwise
            self._port.close()
            self._configure(self._port, LineSettings(settings.baud, 8, "N", settings.stopbits))
            self._port.open()
        except _CONFIG_ERRORS as exc:
            raise TransportError(f"cannot set {settings}: {exc}", port=self.url) from exc
        self.software_framing = True

    def _drain(self) -> None:
        if self._port is not None:
            try:
                self._port.flush()
            except (OSError, serial.SerialException) as exc:
                raise TransportError(f"flush failed: {os_reason(exc)}", port=self.url) from exc

    def _write(self, data: bytes) -> None:
        assert self._port is not None
        self._port.write(data)

    def _read(self, timeout: float) -> bytes:
        port = self._port
        assert port is not None
        if self._pending_error is not None:  # the peer vanished right after the last data
            exc, self._pending_error = self._pending_error, None
            raise exc
        data = b""
        try:
            self._set_timeout(timeout)
            data = port.read(1)
            if data:
                self._set_timeout(0.0)
                data += port.read(65536)
        except (OSError, serial.SerialException) as exc:
            if not data:
                raise
            self._pending_error = exc
        if data and self.software_framing and self._settings.bytesize == 7:
            data = bytes(b & 0x7F for b in data)
        return data

    def _set_timeout(self, timeout: float) -> None:
        assert self._port is not None
        if self._port.timeout != timeout:
            self._port.timeout = timeout
