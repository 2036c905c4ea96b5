"""Pty pairs and a TCP peer for the relay/tap tests (real pyserial on the relay's side)."""

from __future__ import annotations

import os
import select
import socket
import sys
import threading
import time

import pytest

if sys.platform == "win32":  # pragma: no cover - the observer's pty tests are POSIX only
    pytest.skip("pty pairs are POSIX only", allow_module_level=True)

import tty


class Pty:
    """One pty pair: the test speaks on ``master``; the observer opens ``path`` (the slave)."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        tty.setraw(self.master)
        self.path = os.ttyname(self.slave)

    def send(self, data: bytes, timeout: float = 20.0) -> None:
        """Write all of ``data``; never blocks for ever (the pty buffer is small)."""
        os.set_blocking(self.master, False)
        view = memoryview(data)
        deadline = time.monotonic() + timeout
        while view:
            assert time.monotonic() < deadline, f"pty write stalled, {len(view)} bytes left"
            select.select([], [self.master], [], 0.1)
            try:
                n = os.write(self.master, view[:4096])
            except BlockingIOError:
                continue
            view = view[n:]

    def receive(self, n: int, timeout: float = 5.0) -> bytes:
        out = bytearray()
        deadline = time.monotonic() + timeout
        while len(out) < n and time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if ready:
                out += os.read(self.master, 65536)
        return bytes(out)

    def close(self) -> None:
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass


@pytest.fixture
def pty_pair():
    made: list[Pty] = []

    def make() -> Pty:
        p = Pty()
        made.append(p)
        return p

    yield make
    for p in made:
        p.close()


class TcpPeer:
    """A meter stand-in on TCP: records what it receives; the test decides what it sends."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.url = f"socket://127.0.0.1:{self.sock.getsockname()[1]}"
        self.conn: socket.socket | None = None
        self.received = bytearray()
        self._accepted = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self.sock.settimeout(10)
        try:
            self.conn, _ = self.sock.accept()
        except OSError:
            return
        self._accepted.set()

    def wait(self) -> socket.socket:
        assert self._accepted.wait(5), "the relay never connected to the meter side"
        assert self.conn is not None
        return self.conn

    def receive(self, n: int, timeout: float = 5.0) -> bytes:
        conn = self.wait()
        deadline = time.monotonic() + timeout
        while len(self.received) < n and time.monotonic() < deadline:
            ready, _, _ = select.select([conn], [], [], 0.05)
            if ready:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                self.received += chunk
        return bytes(self.received)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.sock.close()


@pytest.fixture
def tcp_peer():
    peer = TcpPeer()
    yield peer
    peer.close()
