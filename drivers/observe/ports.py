"""The two ends an observer sits between: serial ports (pyserial URLs) and a TCP listener.

An :class:`Endpoint` hands over whatever bytes arrived (:meth:`Endpoint.read`, waiting at most
``timeout`` seconds, ``b""`` on silence), sends bytes unchanged (:meth:`Endpoint.write`), can change
its line settings (IEC 62056-21 baud switch, mode E) and raises :class:`PeerClosed` when the other
side went away (socket closed, pty hung up, USB adapter pulled).
"""

from __future__ import annotations

import select
import socket
import threading
from abc import ABC, abstractmethod

import serial

from drivers.errors import TransportError
from drivers.trace import Trace
from drivers.transport import LineSettings, SerialTransport


class PeerClosed(Exception):
    """The other side of an endpoint closed the connection or the device went away."""


#: what pyserial raises when the device went away or the port was closed under a reader
_GONE = (OSError, serial.SerialException, TypeError, AttributeError)


class Endpoint(ABC):
    """One side of the observed line. ``name`` is the URL, used in every message."""

    name: str = ""

    @property
    def settings(self) -> LineSettings | None:
        """Line settings in force (None for a TCP connection, which has no line)."""
        return None

    def set_line(self, settings: LineSettings) -> None:  # noqa: B027 - optional hook
        """Change baud / character format (no-op for TCP)."""

    def drain(self) -> None:  # noqa: B027 - optional hook
        """Wait until written bytes have left (before a baud change)."""

    @abstractmethod
    def read(self, timeout: float) -> bytes:
        """Bytes that arrived, waiting ≤ ``timeout`` s for the first; ``b""`` on silence."""

    @abstractmethod
    def write(self, data: bytes) -> None:
        """Send ``data`` unchanged."""

    @abstractmethod
    def close(self) -> None: ...


class SerialEndpoint(Endpoint):
    """A pyserial port by URL (``COM3``, ``/dev/ttyUSB0``, ``socket://HOST:PORT``, ``rfc2217://``).

    Built on :class:`~drivers.transport.SerialTransport` (same opening, settings and software
    framing for devices that refuse 7E1) without its trace: the observer keeps its own.

    :param settings: line settings for a serial line (ignored by ``socket://``).
    """

    def __init__(self, url: str, settings: LineSettings) -> None:
        self.name = url
        self._port = _RawPort(url, settings)
        # A settings change may close and reopen the port (software framing): the other
        # direction's reader or writer must not take that for the device going away.
        self._config = threading.Lock()
        self._generation = 0

    def open(self) -> SerialEndpoint:
        self._port.open()
        return self

    @property
    def settings(self) -> LineSettings:
        return self._port.settings

    @property
    def software_framing(self) -> bool:
        return self._port.software_framing

    def set_line(self, settings: LineSettings) -> None:
        with self._config:
            self._generation += 1
            self._port.set_line(settings)
            self._generation += 1

    def drain(self) -> None:
        self._port.drain()

    def _reconfigured(self, generation: int) -> bool:
        """True when a settings change ran (or runs) since ``generation`` was taken."""
        return self._config.locked() or self._generation != generation

    def read(self, timeout: float) -> bytes:
        if not self._port.is_open:
            raise PeerClosed(f"{self.name} is closed")
        generation = self._generation
        try:
            return self._port.chunk(timeout)
        except _GONE as exc:
            if self._reconfigured(generation):
                return b""  # the port was reopened under this read: nothing was lost
            raise PeerClosed(f"{self.name}: {exc}") from exc

    def write(self, data: bytes) -> None:
        if not self._port.is_open:
            raise PeerClosed(f"{self.name} is closed")
        generation = self._generation
        try:
            self._port.send(data)
        except _GONE as exc:
            if not self._reconfigured(generation):
                raise PeerClosed(f"{self.name}: {exc}") from exc
            with self._config:  # the port was reopened under this write: send it again
                try:
                    self._port.send(data)
                except _GONE as again:
                    raise PeerClosed(f"{self.name}: {again}") from again

    def close(self) -> None:
        self._port.close()


class _RawPort(SerialTransport):
    """A :class:`SerialTransport` whose chunks bypass the buffer and the trace."""

    def __init__(self, url: str, settings: LineSettings) -> None:
        super().__init__(url, settings, trace=Trace())

    def chunk(self, timeout: float) -> bytes:
        """Like ``_read`` but without changing the port's timeout per call: on POSIX every
        timeout change is a ``tcsetattr`` on a port the other direction is writing to."""
        port = self._port
        if port is None:
            raise OSError("the port was closed")
        if port.timeout != timeout:
            port.timeout = timeout
        data = port.read(1)
        if data:
            waiting = port.in_waiting
            if waiting:
                data += port.read(waiting)
        if data and self.software_framing and self._settings.bytesize == 7:
            data = bytes(b & 0x7F for b in data)
        return data

    def send(self, data: bytes) -> None:
        if self._port is None:
            raise OSError("the port was closed")
        self._write(data)

    def drain(self) -> None:
        self._drain()


class TcpListener:
    """Listens on ``tcp://HOST:PORT`` (port 0 = any free one) for the HHDC to dial in.

    :attr:`url` is what the HHDC (or a modem / terminal server forwarding to the bench) opens:
    ``socket://HOST:PORT``. One connection at a time: a bench line has one caller.
    """

    def __init__(self, listen: str) -> None:
        if not listen.startswith("tcp://"):
            raise TransportError(f"--listen must be tcp://HOST:PORT, not {listen!r}", port=listen)
        host, _, port = listen[len("tcp://") :].rpartition(":")
        try:
            self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._sock.bind((host or "127.0.0.1", int(port or 0)))
            self._sock.listen(1)
        except (OSError, ValueError) as exc:
            raise TransportError(f"cannot listen on {listen}: {exc}", port=listen) from exc
        h, p = self._sock.getsockname()[:2]
        self.url = f"socket://{h}:{p}"

    def accept(self, timeout: float) -> TcpEndpoint | None:
        """The next caller, or None when nobody dialled within ``timeout`` seconds."""
        ready, _, _ = select.select([self._sock], [], [], max(0.0, timeout))
        if not ready:
            return None
        conn, peer = self._sock.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return TcpEndpoint(conn, f"tcp://{peer[0]}:{peer[1]}")

    def close(self) -> None:
        self._sock.close()


class TcpEndpoint(Endpoint):
    """An accepted TCP connection (the HHDC's side of a relay)."""

    def __init__(self, conn: socket.socket, name: str) -> None:
        self._conn = conn
        self.name = name
        self._closed = False

    def read(self, timeout: float) -> bytes:
        if self._closed:
            raise PeerClosed(f"{self.name} is closed")
        try:
            ready, _, _ = select.select([self._conn], [], [], max(0.0, timeout))
            if not ready:
                return b""
            data = self._conn.recv(65536)
        except (OSError, ValueError) as exc:
            raise PeerClosed(f"{self.name}: {exc}") from exc
        if not data:
            raise PeerClosed(f"{self.name} hung up")
        return data

    def write(self, data: bytes) -> None:
        try:
            self._conn.sendall(data)
        except (OSError, ValueError) as exc:
            raise PeerClosed(f"{self.name}: {exc}") from exc

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._conn.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._conn.close()
