"""Transport tests over real pyserial ports: a pty pair, socket:// and loop://."""

from __future__ import annotations

import os
import socket
import threading
import tty

import pytest

from drivers.errors import DriverTimeout, ProtocolError, TransportError
from drivers.trace import Trace
from drivers.transport import HDLC_8N1, IEC_SIGN_ON, LineSettings, SerialTransport


@pytest.fixture
def pty_pair():
    master, slave = os.openpty()
    tty.setraw(slave)
    yield master, os.ttyname(slave)
    os.close(master)
    os.close(slave)


def test_pty_write_read_exactly_and_until(pty_pair):
    master, path = pty_pair
    with SerialTransport(path, IEC_SIGN_ON, timeout=1.0) as t:
        t.write(b"/?!\r\n", note="sign-on")
        assert os.read(master, 100) == b"/?!\r\n"
        os.write(master, b"/ABC5XYZ\r\nrest")
        assert t.read_until(b"\r\n", step="identification") == b"/ABC5XYZ\r\n"
        assert t.read_exactly(4) == b"rest"
    recs = list(t.trace)
    assert recs[0].direction == "tx" and recs[0].baud == 300 and recs[0].line == "7E1"
    assert recs[0].note == "sign-on"
    assert b"".join(r.data for r in recs if r.direction == "rx") == b"/ABC5XYZ\r\nrest"


def test_line_settings_change_mid_session(pty_pair):
    _, path = pty_pair
    with SerialTransport(path, IEC_SIGN_ON) as t:
        t.set_line(IEC_SIGN_ON.with_baud(9600))
        assert t._port.baudrate == 9600
        # ptys on recent kernels refuse 7E1: the transport then frames in software
        assert t._port.bytesize == 7 or t.software_framing
        t.set_line(HDLC_8N1.with_baud(19200))
        assert t._port.baudrate == 19200 and t._port.bytesize == 8 and t._port.parity == "N"
        t.write(b"\x7e")
    assert list(t.trace)[-1].baud == 19200 and list(t.trace)[-1].line == "8N1"


def test_timeout_names_step_and_partial_bytes(pty_pair):
    master, path = pty_pair
    with SerialTransport(path, timeout=0.2) as t:
        os.write(master, b"\x02partial")
        with pytest.raises(DriverTimeout) as err:
            t.read_until(b"\x03", step="readout")
    assert err.value.step == "readout"
    assert err.value.received == b"\x02partial"
    assert path in str(err.value) and "readout" in str(err.value)


def test_missing_port_is_transport_error():
    with pytest.raises(TransportError) as err:
        SerialTransport("/dev/does-not-exist-ttyUSB9").open()
    assert "/dev/does-not-exist-ttyUSB9" in str(err.value)


def test_closed_port_is_transport_error(pty_pair):
    _, path = pty_pair
    t = SerialTransport(path)
    with pytest.raises(TransportError, match="not open"):
        t.write(b"x")


def test_echo_cancellation_on_loop():
    # loop:// returns everything written: exactly what a half-duplex optical head does.
    with SerialTransport("loop://", echo=True, timeout=0.5) as t:
        t.write(b"/?!\r\n")
        assert t.read_available(0.05) == b""
    notes = [r.note for r in t.trace]
    assert "echo" in notes


def test_echo_mismatch_is_protocol_error(pty_pair):
    master, path = pty_pair
    with SerialTransport(path, echo=True, timeout=0.5) as t:
        os.write(master, b"XYZ")  # not what we send
        with pytest.raises(ProtocolError, match="echo"):
            t.write(b"ABC")


def test_socket_url_and_unplugged_peer():
    srv = socket.create_server(("127.0.0.1", 0))
    port = srv.getsockname()[1]

    def serve():
        conn, _ = srv.accept()
        assert conn.recv(10) == b"?"  # pyserial drops input that arrives while it opens
        conn.sendall(b"hello\n")
        conn.close()

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    with SerialTransport(f"socket://127.0.0.1:{port}", timeout=1.0) as t:
        t.write(b"?")
        assert t.read_until(b"\n") == b"hello\n"
        th.join()
        with pytest.raises((TransportError, DriverTimeout)):
            t.read_exactly(1, timeout=0.5, step="after unplug")
    srv.close()


def test_trace_masks_secret_spans_and_an_echo_split_across_chunks(tmp_path):
    tr = Trace()
    tr.add("tx", b"\x01P1\x02(SEC)\x03x", baud=300, line="7E1", secret=[(5, 8), (10, 11)])
    first = len(tr)
    tr.add("rx", b"\x01P1\x02(S", baud=300)
    tr.add("rx", b"EC)\x03x\x06", baud=300)
    assert tr.mask_stream("rx", first, [(5, 8), (10, 11)]) == 2
    assert tr.records[0].data == b"\x01P1\x02(***)\x03*"
    assert b"".join(r.data for r in tr.records[1:]) == b"\x01P1\x02(***)\x03*\x06"
    path = tr.save(tmp_path / "t.jsonl")
    again = Trace.load(path)
    assert [r.data for r in again] == [r.data for r in tr]
    assert "password redacted" in again.records[0].note


def test_wire_time_counts_each_chunk_at_its_baud():
    tr = Trace()
    tr.add("tx", b"x" * 30, baud=300)
    tr.add("rx", b"y" * 960, baud=9600)
    assert tr.wire_time_s() == pytest.approx(1.0 + 1.0)
    assert tr.byte_counts() == (30, 960)


def test_line_settings_name():
    assert LineSettings(9600, 8, "N", 1).name == "8N1"
    assert str(IEC_SIGN_ON) == "300 7E1"


def test_software_7e1_masks_the_parity_bit(pty_pair):
    master, path = pty_pair
    with SerialTransport(path, IEC_SIGN_ON, timeout=0.5) as t:
        if not t.software_framing:
            pytest.skip("this device does 7E1 in hardware")
        os.write(master, bytes([0x80 | ord("A"), ord("\n")]))
        assert t.read_until(b"\n") == b"A\n"
        t.set_line(HDLC_8N1)
        assert not t.software_framing
        os.write(master, b"\xfe")
        assert t.read_exactly(1) == b"\xfe"
