"""Scripted byte exchanges: association, wrong password, block transfer, segmentation,
selective access, retries, DM, wrapper framing and mode E."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from drivers.dlms import apdu as A
from drivers.dlms import axdr, hdlc
from drivers.dlms.axdr import CosemDateTime, DataType, Typed
from drivers.dlms.client import DlmsClient
from drivers.dlms.link import HdlcLink, WrapperLink, mode_e_sign_on
from drivers.dlms.meter import DlmsMeter
from drivers.errors import AuthenticationError, DriverTimeout, ProtocolError
from drivers.meter import ConnectOptions
from drivers.model import StatusFlag
from drivers.testing import ScriptedTransport
from drivers.transport import HDLC_8N1
from tests.drivers.dlms import server_apdus as S
from tests.drivers.dlms.dlms_script import HdlcScript

SERVER = hdlc.server_address(1, 0x11, 4)
PUBLIC = hdlc.client_address(16)
CLOCK_RAW = CosemDateTime(2026, 11, 24, 2, 3, 30, 0, 0, 0, 0).encode()


def _client(
    script: HdlcScript, sap: int = 16, max_info: int = 128
) -> tuple[DlmsClient, ScriptedTransport]:
    t = ScriptedTransport(script.exchanges, HDLC_8N1, timeout=0.2).open()
    link = HdlcLink(t, client_sap=sap, server_logical=1, server_physical=0x11, max_info=max_info)
    return DlmsClient(link, client_sap=sap), t


def test_association_get_clock_release_exact_bytes() -> None:
    s = HdlcScript(SERVER, PUBLIC).snrm(ua_info=b"")
    s.request(A.aarq(None), S.aare())
    get_clock = bytes.fromhex("C0 01 C1 00 08 00 00 01 00 00 FF 02 00")
    s.request(get_clock, S.get_response_normal(axdr.encode(CLOCK_RAW, DataType.OCTET_STRING)))
    s.request(A.rlrq(), S.rlre()).disc()
    client, t = _client(s)
    client.associate()
    assert t.written.startswith(bytes.fromhex("7E A0 0A 00 02 00 23 21 93 18 71 7E"))
    clock = client.read_clock()
    assert clock.to_datetime() == datetime(2026, 11, 24, 3, 30, tzinfo=UTC)
    client.release()
    t.assert_done()
    # the first I-frame: N(S)=0 N(R)=0 poll → control 0x10, LLC E6 E6 00 then the AARQ
    first_i = hdlc.parse_frame(s.exchanges[1][0])
    assert first_i.control == 0x10 and first_i.info.startswith(b"\xe6\xe6\x00\x60")


def test_wrong_password_names_the_client_sap() -> None:
    sap = 0x20
    s = HdlcScript(SERVER, hdlc.client_address(sap)).snrm(ua_info=b"")
    s.request(A.aarq("wrong"), S.aare(1, 13))
    client, t = _client(s, sap=sap)
    with pytest.raises(AuthenticationError, match="client SAP 32") as err:
        client.associate("wrong")
    assert "authentication-failure" in str(err.value) and err.value.exit_code == 5
    t.assert_done()


def test_block_transfer_reassembles_get_next() -> None:
    value = Typed(DataType.ARRAY, tuple(Typed(DataType.UINT32, i) for i in range(100))).encode()
    blocks = [value[:150], value[150:300], value[300:]]
    s = HdlcScript(SERVER, PUBLIC, server_max_info=1024, client_max_info=1024)
    s.snrm(hdlc.encode_params(hdlc.HdlcParams(1024, 1024, 1, 1)))
    s.request(A.aarq(None), S.aare())
    desc = A.Descriptor.of(1, "0.0.96.1.0.255", 2)
    s.request(A.get_request(desc), S.get_response_block(blocks[0], 1, False))
    s.request(A.get_request_next(1), S.get_response_block(blocks[1], 2, False))
    s.request(A.get_request_next(2), S.get_response_block(blocks[2], 3, True))
    client, t = _client(s, max_info=1024)
    client.associate()
    assert client.get(1, "0.0.96.1.0.255", 2) == list(range(100))
    t.assert_done()


def test_segmentation_both_ways() -> None:
    # 32-byte info fields: the LLS AARQ (57 bytes with LLC) goes out in two segments, each
    # acknowledged by RR; a 200-byte string comes back in 7 segments pulled with RR.
    s = HdlcScript(SERVER, hdlc.client_address(0x20), server_max_info=32, client_max_info=32)
    s.snrm(hdlc.encode_params(hdlc.HdlcParams(32, 32, 1, 1)))
    s.request(A.aarq("12345678"), S.aare(lls=True))
    text = "X" * 200
    s.request(
        A.get_request(A.Descriptor.of(1, "0.0.42.0.0.255", 2)),
        S.get_response_normal(axdr.encode(text, DataType.VISIBLE_STRING)),
    )
    client, t = _client(s, sap=0x20, max_info=32)
    client.associate("12345678")
    assert client.get(1, "0.0.42.0.0.255", 2) == text
    t.assert_done()
    frames = [hdlc.parse_frame(req) for req, _ in s.exchanges]
    # 1 RR pulls the 2nd AARE segment, 6 RRs pull the 206-byte GET answer (7 segments)
    assert [f.kind for f in frames].count("RR") == 7
    assert frames[1].segmented and not frames[2].segmented


def _profile_script(rows: list, period_s: int = 1800) -> tuple[HdlcScript, datetime]:
    s = HdlcScript(SERVER, PUBLIC, server_max_info=512, client_max_info=512)
    s.snrm(hdlc.encode_params(hdlc.HdlcParams(512, 512, 1, 1)))
    s.request(A.aarq(None), S.aare())
    lp = "1.0.99.1.0.255"

    def cap(class_id: int, obis: str, attr: int) -> Typed:
        return Typed(
            DataType.STRUCTURE,
            (
                Typed(DataType.UINT16, class_id),
                Typed(DataType.OCTET_STRING, A.obis_bytes(obis)),
                Typed(DataType.INT8, attr),
                Typed(DataType.UINT16, 0),
            ),
        )

    caps = Typed(
        DataType.ARRAY,
        (
            cap(8, "0.0.1.0.0.255", 2),
            cap(1, "0.0.96.10.1.255", 2),
            cap(3, "1.0.1.8.0.255", 2),
            cap(3, "1.0.2.8.0.255", 2),
        ),
    )
    s.request(
        A.get_request(A.Descriptor.of(7, lp, 4)),
        S.get_response_normal(axdr.encode(period_s, DataType.UINT32)),
    )
    s.request(A.get_request(A.Descriptor.of(7, lp, 3)), S.get_response_normal(caps.encode()))
    su = {"1.0.1.8.0.255": (0, 30), "1.0.2.8.0.255": (-1, 30)}
    for obis, (scaler, unit) in su.items():
        s.request(
            A.get_request(A.Descriptor.of(3, obis, 3)),
            S.get_response_normal(
                Typed(
                    DataType.STRUCTURE, (Typed(DataType.INT8, scaler), Typed(DataType.ENUM, unit))
                ).encode()
            ),
        )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    sel = A.range_descriptor(start + timedelta(seconds=period_s), start + timedelta(hours=2))
    buffer = Typed(DataType.ARRAY, tuple(rows)).encode()
    s.request(A.get_request(A.Descriptor.of(7, lp, 2), sel), S.get_response_normal(buffer))
    return s, start


def _row(end: datetime | None, status: int, a: int, b: int) -> Typed:
    clock = (
        Typed(DataType.NULL)
        if end is None
        else Typed(DataType.OCTET_STRING, CosemDateTime.from_datetime(end).encode())
    )
    return Typed(
        DataType.STRUCTURE,
        (
            clock,
            Typed(DataType.UINT16, status),
            Typed(DataType.UINT32, a),
            Typed(DataType.UINT32, b),
        ),
    )


def test_selective_access_profile_rows_use_interval_end_and_scalers() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        _row(start + timedelta(minutes=30), 0, 500, 12),
        _row(start + timedelta(minutes=60), int(StatusFlag.PHASE_FAILURE), 400, 0),
        _row(None, 0, 300, 5),  # compressed clock: previous + period
        _row(start + timedelta(minutes=120), 0, 200, 7),
    ]
    s, start = _profile_script(rows)
    client, t = _client(s, max_info=512)
    client.associate()
    profile = client.read_profile(start, start + timedelta(hours=2))
    t.assert_done()
    assert profile.period_min == 30
    assert [(c.obis, c.unit) for c in profile.channels] == [
        ("1.0.1.8.0.255", "Wh"),
        ("1.0.2.8.0.255", "Wh"),
    ]
    assert [r.start for r in profile.rows] == [start + timedelta(minutes=30 * i) for i in range(4)]
    assert profile.rows[1].status == StatusFlag.PHASE_FAILURE
    assert profile.rows[0].values == [500, 1.2]


def test_bad_fcs_answer_is_retried_and_dm_is_an_error() -> None:
    ua = hdlc.encode_frame(PUBLIC, SERVER, hdlc.UA)
    corrupt = ua[:-3] + bytes([ua[-3] ^ 0xFF]) + ua[-2:]
    snrm = hdlc.encode_frame(SERVER, PUBLIC, hdlc.SNRM)
    t = ScriptedTransport([(snrm, corrupt), (snrm, ua)], HDLC_8N1, timeout=0.2).open()
    link = HdlcLink(t, server_physical=0x11)
    link.connect()
    assert link.connected
    t.assert_done()
    dm = hdlc.encode_frame(PUBLIC, SERVER, hdlc.DM)
    t2 = ScriptedTransport([(snrm, dm)], HDLC_8N1, timeout=0.2).open()
    with pytest.raises(ProtocolError, match="DM"):
        HdlcLink(t2, server_physical=0x11).connect()


def test_silent_meter_times_out_after_retries() -> None:
    snrm = hdlc.encode_frame(SERVER, PUBLIC, hdlc.SNRM)
    t = ScriptedTransport([(snrm, b""), (snrm, b""), (snrm, b"")], HDLC_8N1).open()
    with pytest.raises(DriverTimeout) as err:
        HdlcLink(t, server_physical=0x11, retries=2, timeout=0.05).connect()
    assert err.value.step == "SNRM"


def test_wrapper_framing() -> None:
    req = A.get_request(A.Descriptor.of(8, "0.0.1.0.0.255", 2))
    resp = S.get_response_normal(axdr.encode(CLOCK_RAW, DataType.OCTET_STRING))
    t = ScriptedTransport(
        [
            (
                bytes.fromhex("0001 0010 0001") + len(req).to_bytes(2, "big") + req,
                bytes.fromhex("0001 0001 0010") + len(resp).to_bytes(2, "big") + resp,
            ),
        ],
        timeout=0.2,
    ).open()
    client = DlmsClient(WrapperLink(t, client_sap=16, server_logical=1))
    assert client.read_clock().year == 2026
    t.assert_done()


def test_mode_e_sign_on_switches_to_8n1() -> None:
    t = ScriptedTransport(
        [(b"/?!\r\n", b"/SEC5\\2PRO100\r\n"), (b"\x06252\r\n", b"")], timeout=0.2
    ).open()
    ident, baud = mode_e_sign_on(t, max_baud=19200, reaction_ms=0)
    assert (ident, baud) == ("SEC5\\2PRO100", 9600)
    assert [str(s) for s in t.line_changes] == ["300 7E1", "9600 8N1"]
    t.assert_done()


def test_meter_driver_redacts_password_and_delivers_day_blocks() -> None:
    s = HdlcScript(SERVER, hdlc.client_address(0x20)).snrm(ua_info=b"")
    s.request(A.aarq("secret99"), S.aare(lls=True))
    s.request(A.rlrq(), S.rlre()).disc()
    t = ScriptedTransport(s.exchanges, HDLC_8N1, timeout=0.2)
    opts = ConnectOptions("script://", password="secret99", client_sap=0x20, server_physical=0x11)
    meter = DlmsMeter(opts, transport=t)
    meter.connect()
    assert b"secret99" not in b"".join(r.data for r in meter.trace)
    meter.close()
    t.assert_done()
