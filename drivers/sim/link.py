"""The simulator's side of the wire: a pty or a TCP listener, with line-speed emulation.

A protocol front end (IEC 62056-21 or DLMS) receives a :class:`SimLink` per connection and only
calls :meth:`SimLink.read`/:meth:`SimLink.write` and sets :attr:`SimLink.baud` when the protocol
switches speed. With ``emulate=True`` the link behaves like a real serial line at the baud in
force: a request is not handed to the front end before its bytes could have arrived (``bytes ×
10 / baud`` after the first byte), and replies leave no faster than ``bytes × 10 / baud`` (paced
in ~10 ms slices).

:class:`SimServer` serves one connection at a time (a bench port has one cable) over either
``tcp://127.0.0.1:PORT`` (client URL ``socket://127.0.0.1:PORT``; port 0 picks a free one) or a pty
pair (client URL: the slave device path, e.g. ``/dev/pts/7``; POSIX only — refused with a clear
:class:`~drivers.errors.TransportError` on Windows, where ``tty`` does not exist).

Robustness: each connection is isolated — an unexpected error in a front end ends that connection
with a logged error (counted in :attr:`SimServer.errors`) and the server keeps serving; a client
that sends nothing for ``idle_timeout_s`` seconds is dropped (:class:`LinkClosed`).
"""

from __future__ import annotations

import errno
import logging
import os
import select
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Protocol

from drivers.errors import TransportError

log = logging.getLogger(__name__)

#: a client that sends nothing for this long (seconds) is dropped.
DEFAULT_IDLE_TIMEOUT_S = 120.0
#: :attr:`SimServer.errors` keeps the most recent this many lines.
MAX_ERRORS_KEPT = 100


class LinkClosed(Exception):
    """The client went away (socket closed, pty hung up) or the server is stopping."""


class SimLink:
    """One connection's byte pipe with optional line-speed emulation.

    :param read_fn: returns available bytes, waiting ≤ timeout s; b"" on timeout; raises LinkClosed.
    :param write_fn: sends bytes.
    :param baud: initial baud (bits per second) — 300 for IEC 62056-21 sign-on.
    :param emulate: pace both directions at ``bytes × 10 / baud``.
    :param idle_timeout_s: :meth:`read` raises :class:`LinkClosed` once the client has sent
        nothing for this many seconds (None: never).
    """

    def __init__(
        self,
        read_fn: Callable[[float], bytes],
        write_fn: Callable[[bytes], None],
        *,
        baud: int = 300,
        emulate: bool = False,
        stop: threading.Event | None = None,
        idle_timeout_s: float | None = None,
    ) -> None:
        self._read_fn = read_fn
        self.idle_timeout_s = idle_timeout_s
        self._last_rx = time.monotonic()
        self._write_fn = write_fn
        self.baud = baud
        self.emulate = emulate
        self.stop = stop or threading.Event()
        self._rx_ready = 0.0
        self._tx_ready = 0.0
        self.bytes_in = 0
        self.bytes_out = 0

    def read(self, timeout: float = 0.5) -> bytes:
        """Bytes from the client, available once the wire could have delivered them; b"" if none."""
        if self.stop.is_set():
            raise LinkClosed("server stopping")
        data = self._read_fn(timeout)
        if not data:
            idle = time.monotonic() - self._last_rx
            if self.idle_timeout_s is not None and idle > self.idle_timeout_s:
                raise LinkClosed(f"client idle for {idle:.0f} s")
            return data
        self._last_rx = time.monotonic()
        self.bytes_in += len(data)
        if self.emulate:
            now = time.monotonic()
            # The client's write cannot start before our last reply finished on the wire.
            self._rx_ready = max(self._rx_ready, now, self._tx_ready) + len(data) * 10 / self.baud
            delay = self._rx_ready - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        return data

    def write(self, data: bytes) -> None:
        """Send a reply, paced at the baud in force when emulating; returns once it has 'left'."""
        if self.stop.is_set():
            raise LinkClosed("server stopping")
        if not data:
            return
        self.bytes_out += len(data)
        if not self.emulate:
            self._write_fn(data)
            self._last_rx = time.monotonic()  # idle counts from the end of our answer
            return
        per_byte = 10 / self.baud
        slice_len = max(1, int(0.01 / per_byte))
        t = max(self._tx_ready, time.monotonic(), self._rx_ready)
        for i in range(0, len(data), slice_len):
            part = data[i : i + slice_len]
            delay = t - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._write_fn(part)
            t += len(part) * per_byte
        self._tx_ready = t
        delay = t - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self._last_rx = time.monotonic()

class Handler(Protocol):
    """A protocol front end: serves one connection until the link closes."""

    def serve(self, link: SimLink) -> None: ...


class SimServer:
    """Listen on TCP or a pty and run ``handler_factory().serve(link)`` for each connection.

    :param handler_factory: builds a fresh front end per connection (state lives in the SimMeter).
    :param listen: ``"tcp://127.0.0.1:0"`` (any free port), ``"tcp://HOST:PORT"`` or ``"pty"``.
    :param baud_emulation: pace bytes at the baud in force.
    :param initial_baud: the line speed a new connection starts at.
    :param idle_timeout_s: drop a client that has sent nothing for this long (seconds).
    """

    def __init__(
        self,
        handler_factory: Callable[[], Handler],
        listen: str = "tcp://127.0.0.1:0",
        *,
        baud_emulation: bool = False,
        initial_baud: int = 300,
        idle_timeout_s: float | None = DEFAULT_IDLE_TIMEOUT_S,
    ) -> None:
        self._factory = handler_factory
        self.idle_timeout_s = idle_timeout_s
        self.listen = listen
        self.baud_emulation = baud_emulation
        self.initial_baud = initial_baud
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self._master: int | None = None
        self._slave: int | None = None
        self.url = ""
        self.connections = 0
        #: one line per connection that ended with an unexpected error (also logged).
        self.errors: list[str] = []

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> str:
        """Start serving in a daemon thread; returns the URL a client opens."""
        if self.listen == "pty":
            if sys.platform == "win32":
                raise TransportError(
                    "a pty is POSIX only: on Windows serve the simulator on tcp://127.0.0.1:PORT "
                    "(client URL socket://127.0.0.1:PORT) or through a com0com virtual port pair",
                    port="pty",
                )
            import tty  # POSIX only: imported here so that the module imports on Windows

            self._master, self._slave = os.openpty()
            tty.setraw(self._slave)
            self.url = os.ttyname(self._slave)
            target = self._serve_pty
        elif self.listen.startswith("tcp://"):
            host, _, port = self.listen[len("tcp://") :].rpartition(":")
            self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._sock.bind((host or "127.0.0.1", int(port or 0)))
            self._sock.listen(1)
            self._sock.settimeout(0.2)
            h, p = self._sock.getsockname()[:2]
            self.url = f"socket://{h}:{p}"
            target = self._serve_tcp
        else:
            raise ValueError(f"listen must be 'pty' or 'tcp://HOST:PORT', not {self.listen!r}")
        self._thread = threading.Thread(target=target, name=f"sim {self.url}", daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=3)
        for fd in (self._master, self._slave):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._master = self._slave = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def wait(self) -> None:
        """Block until :meth:`stop` is called from another thread (or a signal handler)."""
        while not self._stop.wait(0.2):
            pass

    def __enter__(self) -> SimServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- serving ---------------------------------------------------------------------------------
    def _link(
        self, read: Callable[[float], bytes], write: Callable[[bytes], None]
    ) -> SimLink:
        return SimLink(
            read,
            write,
            baud=self.initial_baud,
            emulate=self.baud_emulation,
            stop=self._stop,
            idle_timeout_s=self.idle_timeout_s,
        )

    def _run(self, link: SimLink) -> None:
        """Serve one connection; whatever goes wrong ends only this connection."""
        self.connections += 1
        try:
            self._factory().serve(link)
        except LinkClosed as exc:
            log.debug("simulator %s: connection %d closed: %s", self.url, self.connections, exc)
        except Exception as exc:  # isolation: one bad client never stops the simulator
            self.errors.append(f"connection {self.connections}: {type(exc).__name__}: {exc}")
            del self.errors[:-MAX_ERRORS_KEPT]
            log.exception(
                "simulator %s: connection %d ended by an unexpected error; still serving",
                self.url,
                self.connections,
            )
            self._stop.wait(0.2)  # a pty is served again at once: never spin on a fault

    def _serve_tcp(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with conn:
                self._run(self._tcp_link(conn))

    def _tcp_link(self, conn: socket.socket) -> SimLink:
        def read(timeout: float) -> bytes:
            if self._stop.is_set():
                raise LinkClosed("stopping")
            ready, _, _ = select.select([conn], [], [], max(0.0, timeout))
            if not ready:
                return b""
            try:
                data = conn.recv(65536)
            except OSError as exc:
                raise LinkClosed(str(exc)) from exc
            if not data:
                raise LinkClosed("client closed the connection")
            return data

        def write(data: bytes) -> None:
            try:
                conn.sendall(data)
            except OSError as exc:
                raise LinkClosed(str(exc)) from exc

        return self._link(read, write)

    def _serve_pty(self) -> None:
        master = self._master
        assert master is not None

        def read(timeout: float) -> bytes:
            if self._stop.is_set():
                raise LinkClosed("stopping")
            try:
                ready, _, _ = select.select([master], [], [], max(0.0, timeout))
                if not ready:
                    return b""
                return os.read(master, 65536)
            except OSError as exc:
                if exc.errno == errno.EIO:  # no client has the slave open right now
                    time.sleep(0.05)
                    return b""
                raise LinkClosed(str(exc)) from exc

        def write(data: bytes) -> None:
            view = memoryview(data)
            while view:
                try:
                    n = os.write(master, view)
                except BlockingIOError:
                    select.select([], [master], [], 0.1)
                    continue
                except OSError as exc:
                    raise LinkClosed(str(exc)) from exc
                view = view[n:]

        # A pty is one cable: the same front end keeps serving whoever opens the slave next.
        while not self._stop.is_set():
            self._run(self._link(read, write))
