"""Relay and tap over real pty pairs and sockets: byte-exact both ways, line settings, IEC speed
following, either side disconnecting, slow and bursty traffic."""

from __future__ import annotations

import os
import random
import select
import socket
import termios
import threading
import time

import pytest

from drivers.observe import Relay, SerialEndpoint, Tap, TcpListener
from drivers.observe.follow import SpeedFollower
from drivers.transport import IEC_SIGN_ON, LineSettings

L9600 = LineSettings(9600, 8, "N", 1)
L115200 = LineSettings(115200, 8, "N", 1)


def _run(observer) -> threading.Thread:
    t = threading.Thread(target=observer.serve, daemon=True)
    t.start()
    return t


def _serial_relay(hhdc, meter, hhdc_line=L9600, meter_line=L9600, **kwargs):
    """A serial ↔ serial relay between two pty pairs; returns (relay, thread, segments)."""
    segments: list = []
    relay = Relay(
        SerialEndpoint(hhdc.path, hhdc_line).open(),
        lambda: SerialEndpoint(meter.path, meter_line).open(),
        on_segment=segments.append,
        **kwargs,
    )
    return relay, _run(relay), segments


def _through(sender, receiver, data: bytes) -> bytes:
    """Send ``data`` while the other end reads it (as a real line does); what arrived."""
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(receiver.receive(len(data), 20)))
    reader.start()
    sender.send(data)
    reader.join(25)
    return got[0] if got else b""


def _joined(segments, direction: str) -> bytes:
    return b"".join(r.data for s in segments for r in s.trace if r.direction == direction)


def _speed(fd: int) -> int:
    return termios.tcgetattr(fd)[5]  # ospeed


def test_serial_relay_is_byte_exact_both_ways_with_each_sides_line(pty_pair):
    hhdc, meter = pty_pair(), pty_pair()
    relay, t, segments = _serial_relay(hhdc, meter, L9600, L115200)
    time.sleep(0.2)
    assert _speed(hhdc.slave) == termios.B9600  # each side its own line settings
    assert _speed(meter.slave) == termios.B115200
    rnd = random.Random(7)
    up = bytes(rnd.randrange(256) for _ in range(20000))  # every byte value, a burst
    down = bytes(rnd.randrange(256) for _ in range(30000))
    assert _through(hhdc, meter, up) == up
    assert _through(meter, hhdc, down) == down
    relay.stop()
    t.join(5)
    assert _joined(segments, "tx") == up
    assert _joined(segments, "rx") == down
    recs = [r for s in segments for r in s.trace]
    assert {(r.baud, r.line) for r in recs if r.direction == "tx"} == {(9600, "8N1")}
    assert {(r.baud, r.line) for r in recs if r.direction == "rx"} == {(115200, "8N1")}
    assert all(r.wall_ns > 0 for r in recs)
    assert relay.bytes_forwarded == {"tx": len(up), "rx": len(down)}


def test_slow_traffic_is_forwarded_byte_by_byte_and_split_on_idle(pty_pair):
    hhdc, meter = pty_pair(), pty_pair()
    relay, t, segments = _serial_relay(hhdc, meter, L9600, L9600, split_idle_s=0.3)
    msg = b"slow request\r\n"
    for b in msg:
        hhdc.send(bytes([b]))
        assert meter.receive(1, timeout=1) == bytes([b])  # forwarded at once, not batched
        time.sleep(0.02)
    time.sleep(0.6)  # idle: the first segment is cut
    hhdc.send(b"second")
    assert meter.receive(6) == b"second"
    relay.stop()
    t.join(5)
    assert len(segments) == 2
    assert _joined(segments[:1], "tx") == msg
    assert "idle" in segments[0].reason
    assert _joined(segments[1:], "tx") == b"second"


def test_iec_option_select_switches_both_sides_then_break_returns(pty_pair):
    hhdc, meter = pty_pair(), pty_pair()
    follower = SpeedFollower(IEC_SIGN_ON)
    relay, t, segments = _serial_relay(hhdc, meter, IEC_SIGN_ON, IEC_SIGN_ON, follower=follower)
    time.sleep(0.2)
    assert _speed(hhdc.slave) == _speed(meter.slave) == termios.B300
    hhdc.send(b"/?!\r\n")
    assert meter.receive(5) == b"/?!\r\n"
    meter.send(b"/ABC5METER\r\n")
    assert hhdc.receive(12) == b"/ABC5METER\r\n"
    hhdc.send(b"\x06051\r\n")  # option select: 9600, programming mode
    assert meter.receive(6) == b"\x06051\r\n"
    time.sleep(0.2)
    assert _speed(hhdc.slave) == _speed(meter.slave) == termios.B9600
    hhdc.send(b"\x01B0\x03q")
    assert meter.receive(5) == b"\x01B0\x03q"
    time.sleep(0.2)
    assert _speed(hhdc.slave) == _speed(meter.slave) == termios.B300
    relay.stop()
    t.join(5)
    changes = [c for s in segments for c in s.changes]
    assert [c[1] for c in changes] == ["9600 7E1", "300 7E1"]


def test_mode_e_switches_to_8n1_and_binary_is_never_read_as_iec(pty_pair):
    hhdc, meter = pty_pair(), pty_pair()
    relay = Relay(
        SerialEndpoint(hhdc.path, IEC_SIGN_ON).open(),
        lambda: SerialEndpoint(meter.path, IEC_SIGN_ON).open(),
        follower=SpeedFollower(IEC_SIGN_ON),
    )
    t = _run(relay)
    hhdc.send(b"\x06252\r\n")  # mode E at 9600
    assert meter.receive(6) == b"\x06252\r\n"
    time.sleep(0.2)
    attrs = termios.tcgetattr(meter.slave)
    assert attrs[5] == termios.B9600 and attrs[2] & termios.CSIZE == termios.CS8
    frame = b"\x7e\xa0\x07\x03\x21\x06\x031\r\n\x01B0\x03\x7e"  # binary that looks like IEC
    hhdc.send(frame)
    assert meter.receive(len(frame)) == frame
    time.sleep(0.2)
    assert _speed(meter.slave) == termios.B9600  # not fooled by bytes inside HDLC
    relay.stop()
    t.join(5)


def test_meter_side_disconnect_ends_the_serial_relay(pty_pair):
    hhdc, meter = pty_pair(), pty_pair()
    relay, t, segments = _serial_relay(hhdc, meter, L9600, L9600)
    hhdc.send(b"hello")
    assert meter.receive(5) == b"hello"
    os.close(meter.master)  # the meter side goes away (cable pulled)
    meter.master = -1
    t.join(5)
    assert not t.is_alive()
    assert segments and "meter side closed" in segments[-1].reason
    assert _joined(segments, "tx") == b"hello"


def test_tcp_relay_records_each_call_and_either_side_hanging_up(tcp_peer):
    segments = []
    listener = TcpListener("tcp://127.0.0.1:0")
    relay = Relay(
        listener,
        lambda: SerialEndpoint(tcp_peer.url, L9600).open(),
        on_segment=segments.append,
    )
    t = _run(relay)
    host, port = listener.url[len("socket://") :].split(":")
    hhdc = socket.create_connection((host, int(port)))
    burst = os.urandom(200_000)
    sender = threading.Thread(target=hhdc.sendall, args=(burst,))
    sender.start()  # the meter side reads while the HHDC sends, as on a real line
    assert tcp_peer.receive(len(burst), timeout=20) == burst
    sender.join(5)
    conn = tcp_peer.wait()
    conn.sendall(b"answer")
    got = b""
    while len(got) < 6:
        got += hhdc.recv(100)
    assert got == b"answer"
    conn.close()  # the meter side hangs up: the HHDC's call is ended too
    hhdc.settimeout(5)
    assert hhdc.recv(100) == b""
    deadline = time.monotonic() + 5
    while relay.calls_ended < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    relay.stop()
    t.join(5)
    listener.close()
    hhdc.close()
    assert relay.calls == relay.calls_ended == 1
    assert "meter side closed" in segments[0].reason
    assert _joined(segments, "tx") == burst
    assert _joined(segments, "rx") == b"answer"


def test_tap_transmits_nothing_and_records_both_directions(pty_pair):
    to_meter, to_hhdc = pty_pair(), pty_pair()
    segments = []
    tap = Tap(
        SerialEndpoint(to_meter.path, L9600).open(),
        SerialEndpoint(to_hhdc.path, L9600).open(),
        on_segment=segments.append,
        split_idle_s=5,
    )
    t = _run(tap)
    to_meter.send(b"request")
    to_hhdc.send(b"answer!")
    time.sleep(0.3)
    tap.stop()
    t.join(5)
    for p in (to_meter, to_hhdc):  # nothing came back out of either tap port
        ready, _, _ = select.select([p.master], [], [], 0.2)
        assert not ready
    assert _joined(segments, "tx") == b"request"
    assert _joined(segments, "rx") == b"answer!"


@pytest.mark.parametrize("chunks", [1, 7])
def test_password_is_masked_in_the_record_never_on_the_wire(pty_pair, chunks):
    from drivers.dlms import hdlc
    from drivers.dlms.apdu import aarq

    hhdc, meter = pty_pair(), pty_pair()
    relay, t, segments = _serial_relay(hhdc, meter, L9600, L9600)
    info = b"\xe6\xe6\x00" + aarq(password="SECRET99")
    frame = hdlc.encode_frame(0x03, 0x61, 0x10, info)
    step = -(-len(frame) // chunks)
    for i in range(0, len(frame), step):
        hhdc.send(frame[i : i + step])
        time.sleep(0.02)
    assert meter.receive(len(frame)) == frame  # forwarded unchanged
    relay.stop()
    t.join(5)
    recorded = _joined(segments, "tx")
    assert len(recorded) == len(frame)
    assert b"SECRET99" not in recorded and b"********" in recorded
    differs = [i for i, (a, b) in enumerate(zip(frame, recorded)) if a != b]
    assert len(differs) == 8 + 2  # the password and the FCS, nothing else
