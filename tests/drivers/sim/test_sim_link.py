"""Simulator server: pty and TCP serving, line-speed emulation, remote bench control."""

from __future__ import annotations

import time

import pytest

from drivers.errors import TransportError
from drivers.sim.control import BenchControl, ControlServer, RemoteBenchControl
from drivers.sim.link import LinkClosed, SimLink, SimServer
from drivers.sim.meter import SimMeter
from drivers.transport import HDLC_8N1, SerialTransport


class Echo:
    """A front end that answers every chunk with its upper-case copy."""

    def serve(self, link: SimLink) -> None:
        while True:
            data = link.read(0.1)
            if data:
                link.write(data.upper())


@pytest.mark.parametrize("listen", ["tcp://127.0.0.1:0", "pty"])
def test_serves_over_tcp_and_pty(listen):
    with SimServer(Echo, listen) as srv:
        assert srv.url.startswith("socket://" if listen != "pty" else "/dev/")
        with SerialTransport(srv.url, HDLC_8N1, timeout=2) as t:
            t.write(b"hello\n")
            assert t.read_until(b"\n") == b"HELLO\n"
        # A pty is one cable: a second client on the same port works too.
        with SerialTransport(srv.url, HDLC_8N1, timeout=2) as t:
            t.write(b"again\n")
            assert t.read_until(b"\n") == b"AGAIN\n"


def test_line_speed_emulation_paces_both_directions():
    with SimServer(Echo, "tcp://127.0.0.1:0", baud_emulation=True, initial_baud=2400) as srv:
        with SerialTransport(srv.url, HDLC_8N1.with_baud(2400), timeout=5) as t:
            payload = b"x" * 119 + b"\n"  # 120 bytes = 0.5 s at 2400 baud each way
            t0 = time.monotonic()
            t.write(payload)
            assert t.read_until(b"\n") == payload.upper()
            elapsed = time.monotonic() - t0
    assert 0.95 <= elapsed < 1.6, elapsed


def test_link_refuses_after_stop():
    link = SimLink(lambda t: b"", lambda d: None)
    link.stop.set()
    with pytest.raises(LinkClosed):
        link.read()


def test_remote_bench_control_round_trip():
    meter = SimMeter(days=1)
    server = ControlServer(BenchControl(meter))
    server.start()
    try:
        remote = RemoteBenchControl(server.url)
        remote.phase_failure(3)
        remote.reverse(True)
        remote.set_clock_offset(10)
        state = remote.state()
        assert state["phases_ok"] == [True, True, False] and state["reverse"] is True
        assert state["clock_offset_s"] == pytest.approx(600)
        with pytest.raises(ValueError, match="phase must be"):
            remote.phase_failure(4)
    finally:
        server.stop()
    with pytest.raises(TransportError, match="unreachable"):
        RemoteBenchControl(server.url, timeout=0.5).reset()
