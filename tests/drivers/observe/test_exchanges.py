"""Observed conversations of the project's own clients with the simulators, relayed over TCP and
decoded into exchanges: associations (SAP, result, password masked), GETs with the SPs returned
and their status, clock SETs with old and new time, IEC 62056-21 P1 / R5 / W5 and answers."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from drivers.errors import AuthenticationError
from drivers.meter import ConnectOptions, create_meter
from drivers.observe import Relay, SerialEndpoint, TcpListener, exchanges
from drivers.observe.secrets import password_spans
from drivers.sim import SimOptions, start_simulator
from drivers.trace import Trace
from drivers.transport import HDLC_8N1


class Through:
    """A simulator with a relay in front of it; ``segments`` fill as calls end."""

    def __init__(self, protocol: str, **sim) -> None:
        self.sim = start_simulator(protocol, options=SimOptions(**sim))
        self.listener = TcpListener("tcp://127.0.0.1:0")
        self.segments: list = []
        self.relay = Relay(
            self.listener,
            lambda: SerialEndpoint(self.sim.url, HDLC_8N1).open(),
            on_segment=self.segments.append,
        )
        self.thread = threading.Thread(target=self.relay.serve, daemon=True)
        self.thread.start()

    def wait_calls(self, n: int) -> None:
        import time

        deadline = time.monotonic() + 5
        while self.relay.calls_ended < n and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.relay.calls_ended >= n

    def close(self) -> None:
        self.relay.stop()
        self.thread.join(5)
        self.listener.close()
        self.sim.stop()


@pytest.fixture
def dlms_through():
    t = Through("dlms", meter="prometer100", days=2)
    yield t
    t.close()


def _client(protocol: str, url: str, password: str | None, trace: Trace, sap: int = 48):
    opts = ConnectOptions(url=url, password=password, client_sap=sap, trace=trace)
    return create_meter(protocol, opts)


def test_dlms_collection_is_observed_byte_identical_and_dissected(dlms_through):
    trace = Trace()
    m = _client("dlms", dlms_through.listener.url, "HHDC2PASS", trace)
    m.connect()
    clock = m.read_clock()
    m.read_profile(clock.meter_time - timedelta(hours=6), clock.meter_time)
    m.set_clock(clock.meter_time + timedelta(minutes=10))
    m.close()
    dlms_through.wait_calls(1)
    observed = list(dlms_through.segments[0].trace)
    for d in ("tx", "rx"):  # the client's own trace masks the password in the same place
        assert b"".join(r.data for r in observed if r.direction == d) == b"".join(
            r.data for r in trace if r.direction == d
        )
    found = exchanges(observed, {48: 2})
    kinds = [e.kind for e in found]
    assert kinds[0] == "association" and "set" in kinds and "get" in kinds
    assoc = found[0]
    assert assoc.details == {"sap": 48, "level": 2, "auth": "LLS", "accepted": True}
    assert "password 9 characters (masked)" in assoc.request and "HHDC2PASS" not in assoc.text
    profile = next(e for e in found if e.details.get("entries") is not None and "SPs" in e.result)
    assert profile.details["entries"] >= 11 and profile.level == "ok"
    clock_set = next(e for e in found if e.kind == "set")
    assert clock_set.details["old"].startswith(f"{clock.meter_time:%Y-%m-%d %H:%M}")
    new = clock.meter_time + timedelta(minutes=10)
    assert clock_set.details["new"].startswith(f"{new:%Y-%m-%d %H:%M}")
    assert clock_set.result == "success"


def test_dlms_wrong_password_is_observed_refused(dlms_through):
    m = _client("dlms", dlms_through.listener.url, "WRONGPASS", Trace())
    with pytest.raises(AuthenticationError):
        m.connect()
    m.close()
    dlms_through.wait_calls(1)
    assoc = exchanges(list(dlms_through.segments[0].trace))[0]
    assert assoc.kind == "association" and assoc.level == "refused"
    assert assoc.details["accepted"] is False and "rejected" in assoc.result
    assert b"WRONGPASS" not in b"".join(r.data for r in dlms_through.segments[0].trace)


def test_dlms_profile_status_flags_are_counted(dlms_through):
    sim = dlms_through.sim
    sim.control.phase_failure(2)
    sim.control.advance(3600)
    sim.control.phase_restore(2)
    sim.control.advance(3600)
    m = _client("dlms", dlms_through.listener.url, "HHDC2PASS", Trace())
    m.connect()
    clock = m.read_clock()
    m.read_profile(clock.meter_time - timedelta(hours=3), clock.meter_time)
    m.close()
    dlms_through.wait_calls(1)
    found = exchanges(list(dlms_through.segments[0].trace))
    profile = next(e for e in found if "SPs returned" in e.result)
    assert profile.details["flagged"] >= 1 and profile.details["statuses"]


def test_iec_programming_session_is_observed():
    t = Through("iec21", meter="iec-generic", days=2)
    try:
        t.relay._open_meter = lambda: SerialEndpoint(t.sim.url, HDLC_8N1).open()
        trace = Trace()
        m = create_meter("iec21", ConnectOptions(url=t.listener.url, password="ABCDEF12",
                                                 trace=trace, timeout=3))  # fmt: skip
        m.connect()
        clock = m.read_clock()
        m.read_profile(clock.meter_time - timedelta(hours=4), clock.meter_time)
        m.set_clock(clock.meter_time)
        m.close()
        t.wait_calls(1)
        observed = list(t.segments[0].trace)
        tx = b"".join(r.data for r in observed if r.direction == "tx")
        assert b"ABCDEF12" not in tx
        assert tx == b"".join(r.data for r in trace if r.direction == "tx")
        found = exchanges(observed)
        texts = [e.text for e in found]
        assert any(e.kind == "iec-password" and e.level == "ok" for e in found), texts
        assert any(e.kind == "iec-read" and "P.01" in e.request for e in found), texts
        assert any(e.kind == "iec-write" and e.level == "ok" for e in found), texts
    finally:
        t.close()


def test_password_spans_by_structure_only():
    assert password_spans(b"\x01P1\x02(ABCDEF12)\x03\x20") == [(5, 13), (15, 16)]
    assert password_spans(b"\x01R1\x02(1.8.0)\x03\x20") == []
    assert password_spans(b"ABCDEF12 not a message") == []
