"""DLMS simulator front end driven with raw frames: HDLC link layer, mode E, wrapper, xDLMS."""

from __future__ import annotations

import socket
import struct
import time

import pytest

from drivers.dlms import axdr, ber, hdlc
from drivers.errors import ProtocolError
from drivers.model import EventCode, StatusFlag
from drivers.sim import dlms_apdu as ap


def crc_by_hand(data: bytes) -> bytes:
    """CRC-16/X.25 bit by bit (independent of the codec), LSB first as on the wire."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return (crc ^ 0xFFFF).to_bytes(2, "little")


def test_reference_snrm_frames_by_hand_get_a_ua(sim_factory, raw_factory):
    sim = sim_factory()
    # the two worked SNRM frames of the protocol reference, byte for byte
    four = bytes.fromhex("7E A0 0A 00 02 00 23 21 93 18 71 7E")
    one = bytes.fromhex("7E A0 07 03 21 93 0F 01 7E")
    assert crc_by_hand(four[1:-3]) == four[-3:-1] and crc_by_hand(one[1:-3]) == one[-3:-1]
    c = raw_factory(sim.url)
    for snrm, server in ((four, b"\x00\x02\x00\x23"), (one, b"\x03")):
        ua = c.raw(snrm, timeout=0.3)
        assert ua[0] == 0x7E and ua[-1] == 0x7E
        body = ua[1:-1]
        assert body[0] & 0xF8 == 0xA0 and (((body[0] & 7) << 8) | body[1]) == len(body)
        n = len(server)
        assert body[2] == 0x21 and body[3 : 3 + n] == server  # dest = client 16, src = us
        assert body[3 + n] == 0x73  # UA with the final bit
        head = body[: 4 + n]
        assert body[4 + n : 6 + n] == crc_by_hand(head)  # HCS
        assert body[-2:] == crc_by_hand(body[:-2])  # FCS
        info = body[6 + n : -2]
        assert info[:3] == b"\x81\x80" + bytes([len(info) - 3])
        assert bytes.fromhex("05 01 80 06 01 80") in info  # 128 bytes both ways (defaults)
    # 2-byte form (upper 1, lower 17) built by hand
    head = bytes.fromhex("A0 08 02 23 21 93")
    ua = c.raw(b"\x7e" + head + crc_by_hand(head) + b"\x7e", timeout=0.3)
    assert hdlc.parse_frame(ua).src == b"\x02\x23" and hdlc.parse_frame(ua).kind == "UA"


def test_other_physical_address_and_restricted_form_are_ignored(sim_factory, raw_factory):
    sim = sim_factory(server_physical=17, address_size=4)
    c = raw_factory(sim.url, server=hdlc.server_address(1, 18, 4))
    assert c.snrm(timeout=0.3) is None
    c.server = hdlc.server_address(1, None, 1)
    assert c.snrm(timeout=0.3) is None  # the 1-byte form is refused when address_size=4
    c.server = hdlc.server_address(1, 17, 4)
    assert c.snrm().kind == "UA"


def test_dm_when_disconnected_ua_to_disc(sim_factory, raw_factory):
    c = raw_factory(sim_factory().url)
    assert c.frame(hdlc.i_control(0, 0), hdlc.LLC_REQUEST + h_aarq()).kind == "DM"
    assert c.frame(hdlc.DISC).kind == "DM"
    assert c.snrm().kind == "UA"
    assert c.frame(hdlc.DISC).kind == "UA"
    assert c.frame(hdlc.rr_control(0)).kind == "DM"


def h_aarq(password: bytes | None = b"HHDC2PASS", max_pdu: int = 0xFFFF) -> bytes:
    body = ber.tlv(0xA1, ber.tlv(0x06, ap.CONTEXT_LN))
    if password is not None:
        body += b"\x8a\x02\x07\x80" + ber.tlv(0x8B, ap.MECHANISM_LLS)
        body += ber.tlv(0xAC, ber.tlv(0x80, password))
    ini = bytes.fromhex("01000000065f1f040000101d") + max_pdu.to_bytes(2, "big")
    return ber.tlv(0x60, body + ber.tlv(0xBE, ber.tlv(0x04, ini)))


def test_snrm_parameters_are_negotiated(sim_factory, raw_factory):
    c = raw_factory(sim_factory(max_info=512).url)
    ua = c.snrm(hdlc.encode_params(hdlc.HdlcParams(1024, 64, 7, 7)))
    granted = hdlc.decode_params(ua.info)
    # UA: transmit = the server's direction; it sends up to 7 frames per RR (issue 15)
    assert granted == hdlc.HdlcParams(max_info_tx=64, max_info_rx=512, window_tx=7, window_rx=1)


def test_long_response_is_segmented_within_max_info(sim_factory, raw_factory, h):
    sim = sim_factory(days=2)
    c = raw_factory(sim.url)
    c.snrm(hdlc.encode_params(hdlc.HdlcParams(128, 64, 1, 1)))
    aare = c.associate(b"HHDC2PASS")
    assert aare[0] == 0x61 and bytes.fromhex("a203020100") in aare
    sizes = []
    real_receive = c.receive

    def spy(timeout: float = 2):
        f = real_receive(timeout)
        if f is not None and f.kind == "I":
            sizes.append((len(f.info), f.segmented))
        return f

    c.receive = spy
    resp = c.request(h.get_req(1, "0.0.96.1.0.255", 2))
    assert sizes == [(len(resp) + 3, False)]  # short: one frame
    sizes.clear()
    data = c.get(h.get_req(7, "1.0.99.1.0.255", 2))
    assert len(sizes) > 10 and all(n <= 64 for n, _ in sizes)
    assert sizes[-1][1] is False and sum(seg for _, seg in sizes) >= len(sizes) - 2
    rows, rest = axdr.decode(data)
    assert rest == b"" and len(rows) == sim.meter.interval_count() == 96


def test_get_with_datablock_and_bad_block_number(sim_factory, raw_factory, h):
    sim = sim_factory(days=3)
    c = raw_factory(sim.url)
    c.snrm()
    c.associate(b"HHDC2PASS", max_pdu=256)
    first = c.request(h.get_req(7, "1.0.99.1.0.255", 2))
    assert first[:4] == b"\xc4\x02\xc1\x00" and struct.unpack(">I", first[4:8])[0] == 1
    assert len(first) <= 256
    bad = c.request(b"\xc0\x02\xc1" + struct.pack(">I", 99))
    assert bad[-2:] == bytes([1, ap.DATA_BLOCK_NUMBER_INVALID])
    none = c.request(b"\xc0\x02\xc1" + struct.pack(">I", 1))
    assert none[-2:] == bytes([1, ap.NO_LONG_GET_IN_PROGRESS])
    data = c.get(h.get_req(7, "1.0.99.1.0.255", 2))
    rows, _ = axdr.decode(data)
    assert len(rows) == 144
    assert [list(r[2:]) for r in rows] == [v for _, v, _ in sim.meter.profile_rows()]


def test_segmented_request_and_repeated_frame(sim_factory, raw_factory):
    c = raw_factory(sim_factory().url)
    c.snrm()
    info = hdlc.LLC_REQUEST + h_aarq()
    rr = c.frame(hdlc.i_control(0, 0), info[:20], segmented=True)
    assert rr.kind == "RR" and rr.ctrl.nr == 1
    aare = c.frame(hdlc.i_control(1, 0), info[20:])
    assert aare.kind == "I" and aare.info[3] == 0x61 and aare.ctrl.nr == 2
    again = c.frame(hdlc.i_control(1, 0), info[20:])  # "lost" answer: the meter repeats it
    assert again == aare


def test_wrong_password_rejected_and_logged(sim_factory, raw_factory, h):
    sim = sim_factory()
    c = raw_factory(sim.url)
    c.snrm()
    aare = c.associate(b"WRONG")
    assert bytes.fromhex("a203020101") in aare and bytes.fromhex("a305a10302010d") in aare
    assert [e.code for e in sim.meter.events()] == [EventCode.WRONG_PASSWORD]
    assert c.request(h.get_req(8, "0.0.1.0.0.255", 2))[0] == ap.EXCEPTION_RESPONSE
    assert bytes.fromhex("a203020100") in c.associate(b"HHDC2PASS")


def test_public_client_reads_only_ldn_and_clock(sim_factory, raw_factory, h):
    sim = sim_factory()
    c = raw_factory(sim.url, sap=16)
    c.snrm()
    assert bytes.fromhex("a203020100") in c.associate(None)
    assert axdr.decode(c.get(h.get_req(1, "0.0.42.0.0.255", 2)))[0] == b"SMLSIM000000123"
    clock = axdr.as_datetime(axdr.decode(c.get(h.get_req(8, "0.0.1.0.0.255", 2)))[0])
    assert clock.to_datetime() == h.T0 and clock.deviation == 0
    denied = c.request(h.get_req(1, "0.0.96.1.0.255", 2))
    assert denied == b"\xc4\x01\xc1\x01" + bytes([ap.READ_WRITE_DENIED])
    new = axdr.encode(axdr.encode_datetime(h.T0), axdr.DataType.OCTET_STRING)
    setr = c.request(b"\xc1\x01\xc1\x00\x08\x00\x00\x01\x00\x00\xff\x02\x00" + new)
    assert setr == bytes([0xC5, 1, 0xC1, ap.READ_WRITE_DENIED])


def set_req(obis: bytes, class_id: int, attr: int, data: bytes) -> bytes:
    return b"\xc1\x01\xc1" + struct.pack(">H", class_id) + obis + bytes([attr, 0]) + data


CLOCK = bytes([0, 0, 1, 0, 0, 255])


@pytest.mark.parametrize(
    ("sap", "clock_ok", "param_ok"), [(32, False, False), (48, True, False), (64, True, True)]
)
def test_write_rights_per_level(sim_factory, raw_factory, h, sap, clock_ok, param_ok, clock):
    sim = sim_factory()
    c = raw_factory(sim.url, sap=sap)
    c.snrm()
    assert bytes.fromhex("a203020100") in c.associate(h.PASSWORDS[sap])
    target = h.T0.replace(minute=20)
    dt = axdr.encode(axdr.encode_datetime(target), axdr.DataType.OCTET_STRING)
    res = c.request(set_req(CLOCK, 8, 2, dt))
    assert res[-1] == (0 if clock_ok else ap.READ_WRITE_DENIED)
    res = c.request(set_req(CLOCK, 8, 3, axdr.encode(-60, axdr.DataType.INT16)))
    assert res[-1] == (0 if param_ok else ap.READ_WRITE_DENIED)
    codes = [e.code for e in sim.meter.events()]
    assert (EventCode.CLOCK_SET in codes) == clock_ok
    assert (EventCode.DATA_CHANGE in codes) == param_ok
    if clock_ok:
        assert sim.meter.meter_now() == target
        assert sim.meter.status_of(target) & StatusFlag.CLOCK_CHANGE
    # attribute 1 (logical name) is never writable; unknown objects are undefined
    assert c.request(set_req(CLOCK, 8, 1, axdr.encode(CLOCK, 9)))[-1] == ap.READ_WRITE_DENIED
    assert c.request(h.get_req(1, "9.9.9.9.9.9", 2))[-1] == ap.OBJECT_UNDEFINED


def test_action_shift_time_and_release(sim_factory, raw_factory, h):
    sim = sim_factory()
    c = raw_factory(sim.url)
    c.snrm()
    c.associate(b"HHDC2PASS")
    act = b"\xc3\x01\xc1\x00\x08" + CLOCK + b"\x06\x01" + axdr.encode(30, axdr.DataType.INT16)
    assert c.request(act) == bytes([0xC7, 1, 0xC1, 0, 0])
    assert sim.meter.clock_offset_s == pytest.approx(30)
    assert c.request(bytes.fromhex("6203800100")) == bytes.fromhex("6303800100")
    assert c.request(h.get_req(8, "0.0.1.0.0.255", 2))[0] == ap.EXCEPTION_RESPONSE


def test_selective_access_by_range_on_profile_and_event_log(sim_factory, raw_factory, h, clock):
    sim = sim_factory(days=3)
    sim.control.phase_failure(1)
    clock.advance(minutes=40)
    sim.control.reset()
    c = raw_factory(sim.url)
    c.snrm()
    c.associate(b"HHDC2PASS")
    lo, hi = h.T0.replace(hour=8, minute=0), h.T0.replace(hour=10, minute=30)
    restrict = bytes.fromhex("020412000809060000010000ff0f02120000")
    params = (
        b"\x02\x04" + restrict
        + axdr.encode(axdr.encode_datetime(lo), 9) + axdr.encode(axdr.encode_datetime(hi), 9)
        + b"\x01\x00"
    )  # fmt: skip
    rows, _ = axdr.decode(c.get(h.get_req(7, "1.0.99.1.0.255", 2, b"\x01\x01" + params)))
    ends = [axdr.as_datetime(r[0]).to_datetime() for r in rows]
    assert ends[0] == lo and ends[-1] == hi and len(rows) == 6  # inclusive on the END clock
    assert rows[-1][1] & StatusFlag.PHASE_FAILURE  # 10:00–10:30 holds the 10:05 phase failure
    events, _ = axdr.decode(c.get(h.get_req(7, "0.0.99.98.0.255", 2, b"\x01\x01" + params)))
    assert [e[1] for e in events] == [EventCode.PHASE_FAILURE_L1]  # the 10:45 reset is outside
    everything, _ = axdr.decode(c.get(h.get_req(7, "0.0.99.98.0.255", 2)))
    assert [e[1] for e in everything] == [EventCode.PHASE_FAILURE_L1, EventCode.RESET]
    cols = axdr.decode(c.get(h.get_req(7, "1.0.99.1.0.255", 3)))[0]
    assert [(x[0], x[1]) for x in cols][:2] == [(8, CLOCK), (1, bytes([0, 0, 96, 10, 1, 255]))]
    assert axdr.decode(c.get(h.get_req(7, "1.0.99.1.0.255", 4)))[0] == 1800


def test_mode_e_sign_on_then_hdlc(sim_factory, raw_factory):
    c = raw_factory(sim_factory().url)
    ident = c.raw(b"/?!\r\n", timeout=0.4)
    assert ident == b"/SML5\\2SMLSIM000000123\r\n"
    assert c.raw(b"\x06252\r\n", timeout=0.3) == b""  # ACK 2 Z 2: no answer, switch to HDLC
    assert c.snrm().kind == "UA"
    assert c.associate(b"HHDC2PASS")[0] == 0x61


def test_wrapper_framing(sim_factory):
    sim = sim_factory(framing="wrapper")
    host, port = sim.url.removeprefix("socket://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=2) as s:
        req = h_aarq()
        s.sendall(struct.pack(">HHHH", 1, 48, 1, len(req)) + req)
        head = s.recv(8, socket.MSG_WAITALL)
        version, src, dst, length = struct.unpack(">HHHH", head)
        assert (version, src, dst) == (1, 1, 48)
        aare = s.recv(length, socket.MSG_WAITALL)
        assert aare[0] == 0x61 and bytes.fromhex("a203020100") in aare


def test_powered_off_meter_answers_nothing(sim_factory, raw_factory):
    sim = sim_factory()
    c = raw_factory(sim.url)
    assert c.snrm().kind == "UA"
    sim.control.supply_cut()
    assert c.frame(hdlc.SNRM, timeout=0.5) is None
    sim.control.supply_restore()
    assert c.frame(hdlc.DISC).kind == "DM"  # the link was forgotten
    assert c.snrm().kind == "UA"


def test_unsupported_context_is_rejected(sim_factory, raw_factory, h):
    c = raw_factory(sim_factory().url)
    c.snrm()
    aare = c.request(h.aarq(b"HHDC2PASS", context=ap.CONTEXT_SN))
    assert bytes.fromhex("a203020101") in aare and bytes.fromhex("a305a103020102") in aare


# -- faults ---------------------------------------------------------------------------------------
def test_fault_corrupt_fcs(sim_factory, raw_factory):
    c = raw_factory(sim_factory(faults=["corrupt"]).url)
    reply = c.raw(hdlc.encode_frame(c.server, c.client, hdlc.SNRM), timeout=0.4)
    assert reply
    with pytest.raises(ProtocolError, match="FCS"):
        hdlc.parse_frame(reply)


def test_fault_drop(sim_factory, raw_factory):
    c = raw_factory(sim_factory(faults=["drop"]).url)
    reply = c.raw(hdlc.encode_frame(c.server, c.client, hdlc.SNRM), timeout=0.4)
    good = 2 + 1 + 4 + 1 + 2 + 2 + 20 + 2 + 1  # flags, format, addresses, control, HCS, info
    assert 0 < len(reply) < good - 1
    with pytest.raises(ProtocolError):
        hdlc.parse_frame(reply)


def test_fault_delay(sim_factory, raw_factory):
    c = raw_factory(sim_factory(faults=["delay"]).url)
    t = time.monotonic()
    assert c.snrm().kind == "UA"
    assert time.monotonic() - t >= 0.75


def test_fault_nak_is_silence_at_a_rate(sim_factory, raw_factory):
    sim = sim_factory(faults=["nak:0.5"], seed=3)
    c = raw_factory(sim.url)
    answers = [c.frame(hdlc.SNRM, timeout=0.2) is not None for _ in range(12)]
    assert any(answers) and not all(answers)
    assert sim.faults.injected["nak"] == answers.count(False)


def test_fault_reject_password(sim_factory, raw_factory):
    sim = sim_factory(faults=["reject-password"])
    c = raw_factory(sim.url)
    c.snrm()
    assert bytes.fromhex("a305a10302010d") in c.associate(b"HHDC2PASS")
    c.close()  # one cable: the next client connects after this one hangs up
    pub = raw_factory(sim.url, sap=16)
    pub.snrm()
    assert bytes.fromhex("a203020100") in pub.associate(None)  # no password: unaffected


def test_fault_stop_after_first_data_block(sim_factory, raw_factory, h):
    sim = sim_factory(faults=["stop"], days=3)
    c = raw_factory(sim.url)
    c.snrm()
    c.associate(b"HHDC2PASS", max_pdu=512)
    c.request(h.get_req(8, "0.0.1.0.0.255", 2))  # not a data block: still answering
    first = c.request(h.get_req(7, "1.0.99.1.0.255", 2))
    assert first[:2] == b"\xc4\x02"
    assert (
        c.frame(hdlc.i_control(c.ns, c.nr), hdlc.LLC_REQUEST + b"\xc0\x02\xc1\0\0\0\1", timeout=0.5)
        is None
    )
    assert sim.faults.stopped
