"""The simulator's side of the wire: a pty or a TCP listener, with line-speed emulation.

A protocol front end (IEC 62056-21 or DLMS) receives a :class:`SimLink` per connection and only
calls :meth:`SimLink.read`/:meth:`SimLink.write` and sets :attr:`SimLink.baud` when the protocol
switches speed. With ``emulate=True`` the link behaves like a real serial line at the baud in
force: a request is not handed to the front end before its bytes could have arrived (``bytes ×
10 / baud`` after the first byte), and replies leave no faster than ``bytes × 10 / baud`` (paced
in ~10 ms slices).

:class:`SimServer` serves one connection at a time (a bench port has one cable) over either
``tcp://127.0.0.1:PORT`` (client URL ``socket://127.0.0.1:PORT``; port 0 picks a free one) or a pty
pair (client URL: the slave device path, e.g. ``/dev/pts/7``).
"""

from __future__ import annotations

import errno
import os
import select
import socket
import threading
import time
import tty
from collections.abc import Callable
from typing import Protocol


class LinkClosed(Exception):
    """The client went away (socket closed, pty hung up) or the server is stopping."""


class SimLink:
    """One connection's byte pipe with optional line-speed emulation.

    :param read_fn: returns available bytes, waiting ≤ timeout s; b"" on timeout; raises LinkClosed.
    :param write_fn: sends bytes.
    :param baud: initial baud (bits per second) — 300 for IEC 62056-21 sign-on.
    :param emulate: pace both directions at ``bytes × 10 / baud``.
    """

    def __init__(
        self,
        read_fn: Callable[[float], bytes],
        write_fn: Callable[[bytes], None],
        *,
        baud: int = 300,
        emulate: bool = False,
        stop: threading.Event | None = None,
    ) -> None:
        self._read_fn = read_fn
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
        if data:
            self.bytes_in += len(data)
            if self.emulate:
                now = time.monotonic()
                # The client's write cannot start before our last reply finished on the wire.
                self._rx_ready = (
                    max(self._rx_ready, now, self._tx_ready) + len(data) * 10 / self.baud
                )
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

    def drain_input(self, quiet_s: float = 0.05) -> bytes:
        """Read and drop input until the line has been quiet for ``quiet_s`` (resynchronise)."""
        dropped = bytearray()
        while True:
            chunk = self._read_fn(quiet_s)
            if not chunk:
                return bytes(dropped)
            dropped += chunk


class Handler(Protocol):
    """A protocol front end: serves one connection until the link closes."""

    def serve(self, link: SimLink) -> None: ...


class SimServer:
    """Listen on TCP or a pty and run ``handler_factory().serve(link)`` for each connection.

    :param handler_factory: builds a fresh front end per connection (state lives in the SimMeter).
    :param listen: ``"tcp://127.0.0.1:0"`` (any free port), ``"tcp://HOST:PORT"`` or ``"pty"``.
    :param baud_emulation: pace bytes at the baud in force.
    :param initial_baud: the line speed a new connection starts at.
    """

    def __init__(
        self,
        handler_factory: Callable[[], Handler],
        listen: str = "tcp://127.0.0.1:0",
        *,
        baud_emulation: bool = False,
        initial_baud: int = 300,
    ) -> None:
        self._factory = handler_factory
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

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> str:
        """Start serving in a daemon thread; returns the URL a client opens."""
        if self.listen == "pty":
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
    def _run(self, link: SimLink) -> None:
        self.connections += 1
        try:
            self._factory().serve(link)
        except LinkClosed:
            pass

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

        return SimLink(
            read, write, baud=self.initial_baud, emulate=self.baud_emulation, stop=self._stop
        )

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
            self._run(
                SimLink(
                    read,
                    write,
                    baud=self.initial_baud,
                    emulate=self.baud_emulation,
                    stop=self._stop,
                )
            )
