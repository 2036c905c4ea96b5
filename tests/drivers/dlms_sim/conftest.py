"""Fixtures for the DLMS simulator tests: a raw HDLC/wrapper client over TCP and a fake clock."""

from __future__ import annotations

import socket
import struct
from datetime import UTC, datetime, timedelta

import pytest

from drivers.dlms import ber, hdlc
from drivers.sim import dlms_apdu as ap
from drivers.sim import start_simulator

T0 = datetime(2025, 3, 10, 10, 5, tzinfo=UTC)  # 10:05 UTC — inside the 10:00–10:30 period
PASSWORDS = {16: None, 32: b"LEVEL1PW", 48: b"HHDC2PASS", 64: b"LEVEL3PWD", 80: b"MASTER4PW"}


class FakeClock:
    """True UTC for the simulated meter, moved by the test."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


def aarq(password: bytes | None = None, max_pdu: int = 0xFFFF, context: bytes = ap.CONTEXT_LN):
    """Hand-built AARQ (BER) with an unciphered xDLMS InitiateRequest, LLS when ``password``."""
    body = ber.tlv(0xA1, ber.tlv(0x06, context))
    if password is not None:
        body += b"\x8a\x02\x07\x80" + ber.tlv(0x8B, ap.MECHANISM_LLS)
        body += ber.tlv(0xAC, ber.tlv(0x80, password))
    ini = bytes.fromhex("01000000065f1f040000101d") + max_pdu.to_bytes(2, "big")
    body += ber.tlv(0xBE, ber.tlv(0x04, ini))
    return ber.tlv(0x60, body)


def get_req(class_id: int, obis: str, attr: int, access: bytes = b"\x00") -> bytes:
    obis_b = bytes(int(p) for p in obis.split("."))
    return b"\xc0\x01\xc1" + struct.pack(">H", class_id) + obis_b + bytes([attr]) + access


class RawClient:
    """A deliberately simple DLMS client over a TCP socket, built on the codec modules only."""

    def __init__(self, url: str, sap: int = 48, server: bytes | None = None) -> None:
        host, port = url.removeprefix("socket://").rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=3)
        self.sap = sap
        self.client = hdlc.client_address(sap)
        self.server = server if server is not None else hdlc.server_address(1, 17, 4)
        self.reader = hdlc.FrameReader()
        self.ns = 0
        self.nr = 0
        self.frames_in = 0

    def close(self) -> None:
        self.sock.close()

    def raw(self, data: bytes, timeout: float = 1.0) -> bytes:
        """Send bytes, return everything that arrives until ``timeout`` s of quiet."""
        self.sock.sendall(data)
        self.sock.settimeout(timeout)
        out = b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                out += chunk
        except TimeoutError:
            pass
        return out

    def frame(self, control: int, info: bytes = b"", segmented: bool = False, timeout: float = 2):
        """Send one frame to the meter; return the next frame that comes back (or None)."""
        self.sock.sendall(hdlc.encode_frame(self.server, self.client, control, info, segmented))
        return self.receive(timeout)

    def receive(self, timeout: float = 2) -> hdlc.HdlcFrame | None:
        self.sock.settimeout(timeout)
        while True:
            f = self.reader.pop()
            if f is not None:
                self.frames_in += 1
                return f
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                return None
            if not chunk:
                return None
            self.reader.feed(chunk)

    def snrm(self, info: bytes = b"", timeout: float = 2) -> hdlc.HdlcFrame | None:
        self.ns = self.nr = 0
        return self.frame(hdlc.SNRM, info, timeout=timeout)

    def request(self, apdu: bytes) -> bytes:
        """Send an APDU in an I-frame; reassemble a segmented answer (RR); return the APDU."""
        f = self.frame(hdlc.i_control(self.ns, self.nr), hdlc.LLC_REQUEST + apdu)
        assert f is not None, "no answer to the I-frame"
        self.ns = (self.ns + 1) % 8
        data = b""
        while True:
            assert f.kind == "I", f"expected an I-frame, got {f.kind}"
            self.nr = (f.ctrl.ns + 1) % 8
            data += f.info
            if not f.segmented:
                break
            f = self.frame(hdlc.rr_control(self.nr))
            assert f is not None, "segment missing"
        assert data[:3] == hdlc.LLC_RESPONSE
        return data[3:]

    def get(self, apdu: bytes) -> bytes:
        """GET with block transfer: returns the encoded Data (or raises on a refusal)."""
        resp = self.request(apdu)
        if resp[1] == 1:
            assert resp[3] == 0, f"data-access-result {resp[4]}"
            return resp[4:]
        data = b""
        while True:
            assert resp[:2] == b"\xc4\x02", resp[:12].hex()
            last, block = resp[3], struct.unpack(">I", resp[4:8])[0]
            assert resp[8] == 0
            n, pos = ber.decode_length(resp, 9)
            data += resp[pos : pos + n]
            if last:
                return data
            resp = self.request(b"\xc0\x02\xc1" + struct.pack(">I", block))

    def associate(self, password: bytes | None = None, max_pdu: int = 0xFFFF) -> bytes:
        return self.request(aarq(password, max_pdu))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sim_factory(clock):
    """``sim_factory(**kw)`` starts a DLMS simulator on TCP with the fake clock; stopped after."""
    handles = []

    def make(listen: str = "tcp://127.0.0.1:0", **kw):
        kw.setdefault("days", 3)
        sim = start_simulator("dlms", listen, clock=kw.pop("clock", clock), **kw)
        handles.append(sim)
        return sim

    yield make
    for h in handles:
        h.stop()


@pytest.fixture
def raw_factory():
    clients: list[RawClient] = []

    def make(url: str, **kw) -> RawClient:
        c = RawClient(url, **kw)
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


@pytest.fixture
def h():
    """Helpers for building requests (conftest modules cannot be imported under importlib)."""
    import types

    return types.SimpleNamespace(
        aarq=aarq, get_req=get_req, T0=T0, PASSWORDS=PASSWORDS, RawClient=RawClient
    )
