"""No request, byte stream or bench-control command stops a simulator serving.

Each property drives a real simulator over TCP with well-formed *typed* values at their edges
(dates in year 0 or 65535, time zones of ±32767 minutes, infinities, OBIS codes given as
integers…) or with garbage floods, then checks that a normal client still reads and that no
connection ended with an unexpected error (``SimServer.errors``).
"""

from __future__ import annotations

import json
import socket
import struct
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.dlms import hdlc
from drivers.dlms.axdr import CosemDateTime, DataType, Typed, encode_typed
from drivers.errors import TransportError
from drivers.iec62056_21.readout import check_block, command
from drivers.meter import ConnectOptions, create_meter
from drivers.sim import start_simulator
from drivers.sim.faults import FaultPlan
from drivers.sim.iec21 import MAX_MESSAGE, Iec21FrontEnd
from drivers.sim.link import LinkClosed, SimServer
from drivers.sim.meter import MAX_CLOCK_OFFSET, SimMeter, SimOptions

pytestmark = pytest.mark.slow
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
SERVER = hdlc.server_address(1, 17, 4)
LEVEL4 = bytes.fromhex(
    "6037a109060760857405080101 8a020780 8b0760857405080201 ac0b80094d4153544552345057"
    " be10040e01000000065f1f040000101dffff"
)
PUBLIC = bytes.fromhex("601da109060760857405080101 be10040e01000000065f1f040000101dffff")
CLOCK = bytes([0, 0, 1, 0, 0, 255])
PROFILE = bytes([1, 0, 99, 1, 0, 255])
EVENTS = bytes([0, 0, 99, 98, 0, 255])


# -- clients ------------------------------------------------------------------------------------
class Hdlc:
    """The least a DLMS client needs: one connection, one frame out, one frame back."""

    def __init__(self, url: str, sap: int) -> None:
        host, port = url.removeprefix("socket://").rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=3)
        self.client = hdlc.client_address(sap)
        self.reader = hdlc.FrameReader()
        self.ns = self.nr = 0

    def frame(self, control: int, info: bytes = b"") -> hdlc.HdlcFrame | None:
        self.sock.sendall(hdlc.encode_frame(SERVER, self.client, control, info))
        while (f := self.reader.pop()) is None:
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                return None
            if not chunk:
                return None
            self.reader.feed(chunk)
        return f

    def request(self, apdu: bytes) -> bytes:
        """One APDU in one I-frame; the first frame of the answer (its APDU, no LLC)."""
        f = self.frame(hdlc.i_control(self.ns, self.nr), hdlc.LLC_REQUEST + apdu)
        assert f is not None and f.kind in ("I", "FRMR"), f
        self.ns = (self.ns + 1) % 8
        self.nr = ((f.ctrl.ns or 0) + 1) % 8
        return f.info[3:]

    def close(self) -> None:
        self.sock.close()


def dlms_still_reads(sim) -> None:
    """A public client associates and reads the clock; no connection died of an error."""
    c = Hdlc(sim.url, 16)
    try:
        assert c.frame(hdlc.SNRM) is not None
        assert c.request(PUBLIC)[:1] == b"\x61"
        answer = c.request(b"\xc0\x01\xc1\x00\x08" + CLOCK + b"\x02\x00")
        assert answer[:4] == b"\xc4\x01\xc1\x00" and answer[4:6] == b"\x09\x0c"
    finally:
        c.close()
    assert sim.server.errors == []
    assert abs(sim.meter.meter_now() - sim.meter.true_now()) <= MAX_CLOCK_OFFSET


def dlms_send(sim, apdu: bytes) -> bytes:
    c = Hdlc(sim.url, 80)
    try:
        c.frame(hdlc.SNRM)
        assert c.request(LEVEL4)[:1] == b"\x61"
        return c.request(apdu)
    finally:
        c.close()


@pytest.fixture(scope="module")
def dlms_sim():
    with start_simulator("dlms", days=3, seed=5) as sim:
        yield sim


@pytest.fixture(scope="module")
def iec_sim():
    with start_simulator("iec21", days=3, seed=5, reaction_ms=0) as sim:
        yield sim


# -- typed values ---------------------------------------------------------------------------------
u8 = st.integers(0, 255)
date_times = st.builds(
    CosemDateTime,
    st.one_of(st.integers(0, 0xFFFF), st.integers(1990, 2100)),
    st.one_of(u8, st.integers(1, 12)),
    st.one_of(u8, st.integers(1, 31)),
    u8,
    st.one_of(u8, st.integers(0, 23)),
    st.one_of(u8, st.integers(0, 59)),
    st.one_of(u8, st.integers(0, 59)),
    u8,
    st.integers(-0x8000, 0x7FFF),
    u8,
)
floats = st.floats(allow_nan=True, allow_infinity=True)
scalars = st.one_of(
    st.builds(Typed, st.just(DataType.INT16), st.integers(-0x8000, 0x7FFF)),
    st.builds(Typed, st.just(DataType.INT32), st.integers(-(2**31), 2**31 - 1)),
    st.builds(Typed, st.just(DataType.UINT32), st.integers(0, 2**32 - 1)),
    st.builds(Typed, st.just(DataType.INT64), st.integers(-(2**63), 2**63 - 1)),
    st.builds(Typed, st.just(DataType.FLOAT64), floats),
    st.builds(Typed, st.just(DataType.FLOAT32), st.floats(width=32)),
    st.builds(Typed, st.just(DataType.BOOLEAN), st.booleans()),
    st.builds(Typed, st.just(DataType.DATE_TIME), date_times),
    st.builds(Typed, st.just(DataType.OCTET_STRING), st.binary(max_size=16)),
)
obis_values = st.one_of(
    st.builds(Typed, st.just(DataType.OCTET_STRING), st.binary(min_size=6, max_size=6)),
    st.builds(Typed, st.just(DataType.UINT32), st.integers(0, 2**32 - 1)),
    st.builds(Typed, st.just(DataType.INT64), st.integers(-(2**63), 2**63 - 1)),
    st.just(Typed(DataType.OCTET_STRING, CLOCK)),
)


def _dt(value: CosemDateTime) -> Typed:
    return Typed(DataType.OCTET_STRING, value.encode())


def _struct(*items: Typed) -> Typed:
    return Typed(DataType.STRUCTURE, tuple(items))


by_range = st.builds(
    lambda obis, lo, hi, cols: _struct(
        _struct(Typed(DataType.UINT16, 8), obis, Typed(DataType.INT8, 2)),
        lo,
        hi,
        Typed(DataType.ARRAY, tuple(cols)),
    ),
    obis_values,
    st.one_of(st.builds(_dt, date_times), scalars),
    st.one_of(st.builds(_dt, date_times), scalars),
    st.lists(
        st.builds(
            lambda o: _struct(Typed(DataType.UINT16, 3), o, Typed(DataType.INT8, 2)), obis_values
        ),
        max_size=2,
    ),
)
by_entry = st.lists(scalars, min_size=4, max_size=4).map(lambda v: _struct(*v))


def set_req(class_id: int, obis: bytes, attr: int, value: Typed) -> bytes:
    head = b"\xc1\x01\xc1" + struct.pack(">H", class_id) + obis + bytes([attr]) + b"\x00"
    return head + encode_typed(value)


def get_sel(class_id: int, obis: bytes, selector: int, params: Typed) -> bytes:
    head = b"\xc0\x01\xc1" + struct.pack(">H", class_id) + obis + b"\x02\x01"
    return head + bytes([selector]) + encode_typed(params)


requests = st.one_of(
    st.builds(lambda v: set_req(8, CLOCK, 2, v), st.one_of(st.builds(_dt, date_times), scalars)),
    st.builds(lambda v: set_req(8, CLOCK, 3, v), scalars),
    st.builds(lambda v: set_req(8, CLOCK, 8, v), scalars),
    st.builds(lambda v: b"\xc3\x01\xc1\x00\x08" + CLOCK + b"\x06\x01" + encode_typed(v), scalars),
    st.builds(lambda p, o: get_sel(7, o, 1, p), by_range, st.sampled_from([PROFILE, EVENTS])),
    st.builds(lambda p, o: get_sel(7, o, 2, p), by_entry, st.sampled_from([PROFILE, EVENTS])),
)


@SETTINGS
@given(requests)
def test_dlms_typed_values_are_answered_and_the_meter_still_reads(dlms_sim, apdu):
    answer = dlms_send(dlms_sim, apdu)
    assert answer[:1] in (b"\xc4", b"\xc5", b"\xc7", b"\xd8"), answer[:8].hex()
    dlms_still_reads(dlms_sim)


def test_a_clock_set_beyond_400_days_is_refused_and_the_clock_unchanged(dlms_sim):
    before = dlms_sim.meter.clock_offset_s
    far = CosemDateTime.from_datetime(datetime.now(UTC) + timedelta(days=3650))
    assert dlms_send(dlms_sim, set_req(8, CLOCK, 2, _dt(far))) == b"\xc5\x01\xc1\xfa"
    assert dlms_send(dlms_sim, set_req(8, CLOCK, 3, Typed(DataType.INT16, 32767)))[3] != 0
    assert dlms_sim.meter.clock_offset_s == before
    dlms_still_reads(dlms_sim)


# -- floods ---------------------------------------------------------------------------------------
crafted_hdlc = st.builds(
    lambda length, tail: b"\x7e" + (0xA000 | length).to_bytes(2, "big") + tail,
    st.integers(0, 0x7FF),
    st.binary(max_size=30),
)
floods = st.lists(
    st.one_of(
        st.binary(max_size=300),
        crafted_hdlc,
        st.just(b"\x7e" * 500),
        st.just(b"/?!\r\n"),
        st.just(b"\x01P1\x02(x)\x03"),
        st.builds(lambda n: b"\x01" + b"R" * n, st.integers(0, 3000)),
    ),
    max_size=8,
)


def _flood(url: str, chunks: list[bytes]) -> None:
    host, port = url.removeprefix("socket://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=3) as sock:
        for chunk in chunks:
            sock.sendall(chunk)


@SETTINGS
@given(floods)
def test_dlms_garbage_flood_then_a_normal_read(dlms_sim, chunks):
    _flood(dlms_sim.url, chunks)
    dlms_still_reads(dlms_sim)


def iec_exchange(sock: socket.socket, data: bytes, until: str) -> bytes:
    """Send ``data``; read a ``"line"`` (to CR LF), a ``"block"`` (to ETX/EOT + BCC) or a
    ``"byte"`` (ACK/NAK)."""
    sock.sendall(data)
    out = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return out
        out += chunk
        if until == "byte" or (until == "line" and out.endswith(b"\r\n")):
            return out
        if until == "block" and len(out) >= 2 and out[-2] in (3, 4):
            return out


def iec_session(url: str, password: str | None = "ABCDEF12") -> socket.socket:
    host, port = url.removeprefix("socket://").rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=3)
    assert iec_exchange(sock, b"/?!\r\n", "line").startswith(b"/GEN")
    assert iec_exchange(sock, b"\x06051\r\n", "block")[:3] == b"\x01P0"
    if password:
        assert iec_exchange(sock, command("P1", f"({password})"), "byte") == b"\x06"
    return sock


def iec_still_reads(sim) -> None:
    """A client signs on, reads the data readout (valid BCC) and R1 of the serial number."""
    sock = iec_session(sim.url, None)
    try:
        _, data, _ = check_block(iec_exchange(sock, command("R1", "C.1.0()"), "block"))
        assert data == b"C.1.0(GEN-SIM-004711)"
    finally:
        sock.close()
    assert sim.server.errors == []
    assert abs(sim.meter.meter_now() - sim.meter.true_now()) <= MAX_CLOCK_OFFSET


digits = st.text("0123456789", max_size=14)
iec_requests = st.one_of(
    st.builds(lambda d: ("W1", f"0.9.1({d})"), digits),
    st.builds(lambda d: ("W1", f"0.9.2({d})"), digits),
    st.builds(lambda a, v: ("W1", f"{a}({v})"), st.text(max_size=20), st.text(max_size=40)),
    st.builds(
        lambda c, a, b: ("R5", f"{c}({a};{b})"), st.sampled_from(["P.01", "P.98"]), digits, digits
    ),  # fmt: skip
    st.builds(lambda n: ("R1", f"{n}.{n}.{n}()"), st.integers(-(10**30), 10**30)),
    st.builds(lambda f: ("R1", f"{f}()"), floats),
    st.builds(
        lambda c, t: (c, t),
        st.sampled_from(["R1", "W1", "R5", "P1", "E2", "B1"]),
        st.text(max_size=60),
    ),  # fmt: skip
)


@SETTINGS
@given(iec_requests)
def test_iec_typed_values_are_answered_and_the_meter_still_reads(iec_sim, req):
    cmd, text = req
    sock = iec_session(iec_sim.url)
    try:
        sock.sendall(command(cmd, text.encode()))  # any bytes, UTF-8 too
        sock.settimeout(0.3)
        try:
            sock.recv(65536)
        except TimeoutError:
            pass  # silence is a valid answer to nonsense
    finally:
        sock.close()
    iec_still_reads(iec_sim)


@SETTINGS
@given(floods)
def test_iec_garbage_flood_then_a_normal_read(iec_sim, chunks):
    _flood(iec_sim.url, chunks)
    iec_still_reads(iec_sim)


def test_a_normal_driver_read_after_the_floods(dlms_sim, iec_sim):
    m = create_meter("dlms", ConnectOptions(dlms_sim.url, password="HHDC2PASS", client_sap=48))
    m.connect()
    try:
        assert m.read_identity().serial == "PRO-SIM-000123"
    finally:
        m.close()
    m = create_meter("iec21", ConnectOptions(iec_sim.url, password="ABCDEF12"))
    m.connect()
    try:
        assert m.read_identity().serial == "GEN-SIM-004711"
    finally:
        m.close()


# -- bench control --------------------------------------------------------------------------------
control_lines = st.one_of(
    st.builds(
        lambda a, args: json.dumps({"action": a, "args": args}).encode(),
        st.sampled_from(
            [
                "phase-failure",
                "phase-restore",
                "clock-offset",
                "reverse",
                "change-parameter",
                "state",
                "nope",
            ]
        ),
        st.lists(
            st.one_of(
                st.text(max_size=20),
                st.sampled_from(
                    ["nan", "inf", "-inf", "1e308", "-1e400", "0x10", "4", "-1", "99999999999"]
                ),
            ),
            max_size=3,
        ),
    ),  # fmt: skip
    st.binary(max_size=200).map(lambda b: b.replace(b"\n", b"")),
    st.sampled_from(
        [
            b"[]",
            b"42",
            b'{"action": 1}',
            b'{"action": "state", "args": {}}',
            b'{"args": "x"}',
            b"[" * 5000,
            b"x" * 10000,
        ]
    ),  # fmt: skip
)


def control(url: str, line: bytes) -> dict:
    host, _, port = url.removeprefix("tcp://").rpartition(":")
    with socket.create_connection((host, int(port)), timeout=3) as sock:
        sock.sendall(line + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return json.loads(data)


@pytest.fixture(scope="module")
def controlled():
    with start_simulator("dlms", days=1, seed=5, control_port=0) as sim:
        yield sim


@SETTINGS
@given(control_lines)
def test_control_channel_survives_any_request(controlled, line):
    reply = control(controlled.control_url, line)
    assert isinstance(reply, dict) and isinstance(reply["ok"], bool)
    state = control(controlled.control_url, b'{"action": "state"}')
    assert (
        state["ok"] and abs(state["result"]["clock_offset_s"]) <= MAX_CLOCK_OFFSET.total_seconds()
    )


@pytest.mark.parametrize("arg", ["nan", "inf", "-inf", "1e308", "ten", ""])
def test_control_refuses_non_numeric_and_non_finite_offsets(controlled, arg):
    reply = control(
        controlled.control_url, json.dumps({"action": "clock-offset", "args": [arg]}).encode()
    )
    assert reply["ok"] is False and "clock offset" in reply["error"]


@pytest.mark.parametrize("arg", ["0", "4", "-1", "two", "nan"])
def test_control_refuses_phases_other_than_1_to_3(controlled, arg):
    for action in ("phase-failure", "phase-restore"):
        reply = control(
            controlled.control_url, json.dumps({"action": action, "args": [arg]}).encode()
        )
        assert reply == {"ok": False, "error": f"phase must be 1, 2 or 3, not {arg!r}"}


# -- isolation, idle clients, linear buffers, Windows ---------------------------------------
def test_an_unexpected_error_ends_only_that_connection(caplog):
    served = []

    class Fragile:
        def serve(self, link) -> None:
            served.append(1)
            if len(served) == 1:
                raise RuntimeError("boom")
            while True:
                data = link.read(0.2)
                if data:
                    link.write(data)

    with SimServer(Fragile) as srv:
        host, port = srv.url.removeprefix("socket://").rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=3) as s1:
            assert s1.recv(10) == b""  # the first connection is closed by its error
        with socket.create_connection((host, int(port)), timeout=3) as s2:
            s2.sendall(b"ping")
            assert s2.recv(10) == b"ping"  # the server still serves
        assert srv.errors == ["connection 1: RuntimeError: boom"]
    assert any("still serving" in r.getMessage() and r.exc_info for r in caplog.records)


def test_an_idle_client_is_dropped_and_the_next_one_served():
    with start_simulator("dlms", days=1, idle_timeout_s=0.3) as sim:
        host, port = sim.url.removeprefix("socket://").rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as idle:
            assert idle.recv(10) == b""  # closed by the simulator, not by the timeout
        dlms_still_reads(sim)


def test_hdlc_reader_examines_each_candidate_once(monkeypatch):
    """Byte by byte, a stream of plausible frame starts costs O(n) checksum work, not O(n²)."""
    calls = []
    real = hdlc.crc16_x25
    monkeypatch.setattr(hdlc, "crc16_x25", lambda data: calls.append(len(data)) or real(data))
    fake = hdlc.encode_frame(SERVER, hdlc.client_address(16), 0x10, b"x" * 40)
    # every fake start claims 2000 bytes and has a valid HCS: the worst a sender can do
    fake = fake[:1] + (0xA000 | 2000).to_bytes(2, "big") + fake[3:]
    head = fake[1:12]
    fake = fake[:12] + real(head).to_bytes(2, "little") + fake[14:]
    stream = fake[:40] * 60
    reader = hdlc.FrameReader()
    for b in stream:
        reader.feed(bytes([b]))
        assert reader.pop() is None
    assert sum(calls) <= 20 * len(stream)  # quadratic rescanning needed ~1000× more
    assert len(reader.discarded) <= hdlc.MAX_DISCARDED


def test_iec_message_buffer_is_bounded():
    fe = Iec21FrontEnd(SimMeter(days=1), SimOptions(), FaultPlan())
    buf = bytearray()
    for _ in range(5000):
        buf += b"\x01R1\x02" + b"9" * 7
        while fe._next_message(buf) is not None:
            pass
        assert len(buf) <= MAX_MESSAGE + 16


def test_pty_serving_is_refused_on_windows_with_advice(monkeypatch):
    monkeypatch.setattr("sys.platform", "win32")
    with pytest.raises(TransportError, match="tcp://127.0.0.1"):
        SimServer(lambda: None, "pty").start()


def test_link_closed_is_not_counted_as_an_error():
    class Leaves:
        def serve(self, link) -> None:
            raise LinkClosed("bye")

    with SimServer(Leaves) as srv:
        host, port = srv.url.removeprefix("socket://").rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=3) as s:
            assert s.recv(10) == b""
        assert srv.errors == [] and srv.connections == 1


wrapper_floods = st.lists(
    st.one_of(
        st.binary(max_size=300),
        st.builds(  # well-formed headers claiming any length, with any body
            lambda n, body: struct.pack(">HHHH", 1, 48, 1, n) + body,
            st.integers(0, 0xFFFF),
            st.binary(max_size=64),
        ),
    ),
    max_size=6,
)


@pytest.fixture(scope="module")
def wrapper_sim():
    with start_simulator("dlms", days=1, seed=5, framing="wrapper") as sim:
        yield sim


@SETTINGS
@given(wrapper_floods)
def test_wrapper_garbage_flood_then_a_normal_read(wrapper_sim, chunks):
    _flood(wrapper_sim.url, chunks)
    m = create_meter(
        "dlms",
        ConnectOptions(wrapper_sim.url, password="HHDC2PASS", client_sap=48, framing="wrapper"),
    )
    m.connect()
    try:
        assert m.read_identity().serial == "PRO-SIM-000123"
    finally:
        m.close()
    assert wrapper_sim.server.errors == []
