"""Whatever bytes arrive, the simulated meter answers with a well-formed APDU and never crashes."""

from __future__ import annotations

import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.dlms import hdlc
from drivers.sim.dlms import DlmsFrontEnd
from drivers.sim.meter import SimMeter

METER = SimMeter(days=1, seed=4)
OBJECTS = [
    (1, "0.0.42.0.0.255"), (8, "0.0.1.0.0.255"), (7, "1.0.99.1.0.255"), (7, "0.0.99.98.0.255"),
    (3, "1.0.1.8.0.255"), (3, "1.0.32.7.0.255"), (15, "0.0.40.0.0.255"), (1, "0.0.96.10.1.255"),
]  # fmt: skip
LEVEL4 = bytes.fromhex(
    "6037a109060760857405080101 8a020780 8b0760857405080201 ac0b80094d4153544552345057"
    " be10040e01000000065f1f040000101dffff"
)


def associated() -> DlmsFrontEnd:
    fe = DlmsFrontEnd(METER)
    assert fe.handle_apdu(LEVEL4, 80)[:1] == b"\x61" and fe.ctx is not None
    return fe


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=80))
def test_arbitrary_apdu_gets_an_answer(apdu):
    for fe in (DlmsFrontEnd(METER), associated()):
        out = fe.handle_apdu(apdu, 80)
        assert isinstance(out, bytes) and out[0] in (0x61, 0x63, 0xC4, 0xC5, 0xC7, 0xD8)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([0xC0, 0xC1, 0xC3]),
    st.sampled_from(OBJECTS),
    st.integers(-3, 12),
    st.binary(max_size=40),
)
def test_arbitrary_get_set_action_on_real_objects(tag, obj, index, tail):
    fe = associated()
    obis = bytes(int(p) for p in obj[1].split("."))
    apdu = bytes([tag, 1, 0xC1]) + struct.pack(">H", obj[0]) + obis + struct.pack(">b", index)
    out = fe.handle_apdu(apdu + tail, 80)
    assert out[0] in (0xC4, 0xC5, 0xC7, 0xD8)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=60), st.sampled_from([hdlc.SNRM, 0x10, 0x11, 0x32, hdlc.DISC, 0x97]))
def test_arbitrary_frames_never_crash(info, control):
    class Sink:
        baud = 9600

        def write(self, data: bytes) -> None:
            hdlc.parse_frame(data)  # what goes out is always a valid frame

    fe = DlmsFrontEnd(METER)
    fe.link = Sink()
    server = hdlc.server_address(1, 17, 4)
    for ctl in (hdlc.SNRM, control):
        frame = hdlc.parse_frame(hdlc.encode_frame(server, hdlc.client_address(80), ctl, info))
        fe._on_frame(frame)
