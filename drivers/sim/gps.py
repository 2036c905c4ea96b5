"""A simulated GPS receiver: NMEA 0183 RMC sentences, one per second, on a pty or a TCP port.

Before each RMC it sends a standard text sentence naming itself,
``$GPTXT,01,01,02,WITNESS BENCH GPS SIMULATOR (SIMULATED)*hh`` (:data:`ANNOUNCEMENT`), as real
receivers announce their firmware and antenna state: the bench reads it with the time and marks
the clock observations this receiver backs as simulated (:mod:`bench_app.timesource`).

For tests and the demo of the traceable reference clock (``--time-source gps:PORT``). Each
sentence names the UTC second that has just begun, sent at that moment by the PC's clock shifted
by ``pc_offset_s`` — i.e. the simulated receiver sees a PC that is ``pc_offset_s`` seconds fast, so
a bench measuring against it should find that offset.

>>> gps = GpsSimulator(pc_offset_s=2.5).start()      # "pty" on POSIX, else "tcp://127.0.0.1:0"
>>> gps.url                                          # '/dev/pts/7' or 'socket://127.0.0.1:40123'
>>> gps.stop()

The pty is POSIX only (imported lazily); on Windows use ``where="tcp://127.0.0.1:0"`` and read it
as ``gps:socket://127.0.0.1:PORT``.
"""

from __future__ import annotations

import math
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

#: What the simulated receiver says about itself in every ``$GPTXT`` (notice) sentence; the
#: ``(simulated)`` mark is the one every simulated source carries
#: (:attr:`drivers.model.Identity.SIMULATED_MARK`).
ANNOUNCEMENT = "WITNESS BENCH GPS SIMULATOR (SIMULATED)"


def _checksummed(body: str) -> str:
    checksum = 0
    for ch in body:
        checksum ^= ord(ch)
    return f"${body}*{checksum:02X}\r\n"


def txt_sentence(text: str = ANNOUNCEMENT) -> str:
    """``$GPTXT,01,01,02,TEXT*CS`` (one sentence of one, type 02 notice), with CR LF; ``text``
    up to 61 printable characters without ``$``, ``*`` or ``,``."""
    if len(text) > 61 or any(c in "$*,\r\n" for c in text):
        raise ValueError(f"NMEA TXT text {text!r}: at most 61 characters, no $ * , or line end")
    return _checksummed(f"GPTXT,01,01,02,{text}")


def rmc_sentence(when: datetime) -> str:
    """``$GPRMC,…*CS`` for UTC ``when`` (a fix at a fixed position, status A), with CR LF."""
    body = (
        f"GPRMC,{when:%H%M%S}.{when.microsecond // 10000:02d},A,5130.0000,N,00007.5000,W,"
        f"0.0,0.0,{when:%d%m%y},,,A"
    )
    return _checksummed(body)


class GpsSimulator:
    """Send a TXT sentence naming the simulator and an RMC sentence every second until
    :meth:`stop`.

    :param pc_offset_s: how fast the PC clock is against this receiver's UTC (seconds).
    :param where: ``"pty"`` (POSIX) or ``"tcp://HOST:PORT"`` (port 0 = any free one).
    :param clock: the PC clock (injectable for tests).
    """

    def __init__(self, pc_offset_s: float = 0.0, where: str = "", *,
                 clock: Callable[[], datetime] | None = None) -> None:  # fmt: skip
        if not math.isfinite(pc_offset_s):
            raise ValueError("the PC offset must be a finite number of seconds")
        self.pc_offset_s = float(pc_offset_s)
        self.where = where or ("tcp://127.0.0.1:0" if sys.platform == "win32" else "pty")
        self.clock = clock or (lambda: datetime.now(UTC))
        self.url = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._master: int | None = None
        self._slave: int | None = None
        self._server: socket.socket | None = None
        self._clients: list[socket.socket] = []

    def start(self) -> GpsSimulator:
        if self.where == "pty":
            import pty  # POSIX only: lazily

            self._master, self._slave = pty.openpty()
            self.url = os.ttyname(self._slave)
        elif self.where.startswith("tcp://"):
            host, _, port = self.where.removeprefix("tcp://").rpartition(":")
            self._server = socket.create_server((host or "127.0.0.1", int(port or 0)))
            self._server.settimeout(0.2)
            h, p = self._server.getsockname()[:2]
            self.url = f"socket://{h}:{p}"
        else:
            raise ValueError(f"GPS simulator: where must be pty or tcp://HOST:PORT, not "
                             f"{self.where!r}")  # fmt: skip
        self._thread = threading.Thread(target=self._run, name="gps-sim", daemon=True)
        self._thread.start()
        return self

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
        for c in self._clients:
            c.close()
        if self._server is not None:
            self._server.close()

    def __enter__(self) -> GpsSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _accept(self) -> None:
        if self._server is None:
            return
        try:
            conn, _ = self._server.accept()
        except (TimeoutError, OSError):
            return
        self._clients.append(conn)

    def _send(self, data: bytes) -> None:
        if self._master is not None:
            try:
                os.write(self._master, data)
            except OSError:
                pass
        for c in list(self._clients):
            try:
                c.sendall(data)
            except OSError:
                self._clients.remove(c)
                c.close()

    def _run(self) -> None:
        shift = timedelta(seconds=self.pc_offset_s)
        while not self._stop.is_set():
            self._accept()
            gps_now = self.clock() - shift
            second = gps_now.replace(microsecond=0) + timedelta(seconds=1)
            wait = (second - gps_now).total_seconds()
            if self._stop.wait(max(0.0, wait)):
                break
            self._send((txt_sentence() + rmc_sentence(second)).encode("ascii"))


def serve_forever(sim: GpsSimulator) -> None:  # pragma: no cover - interactive
    """Run until Ctrl-C (``bench-app simulate-gps``)."""
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
