"""General block transfer (GBT) as scripted byte exchanges: the client proposes it, takes a
streamed window of blocks, acknowledges a block that is not streamed on, stops at the last
block, names a missing block, and reads a meter that does not grant GBT as before."""

from __future__ import annotations

import pytest

from drivers.dlms import apdu as A
from drivers.dlms import gbt, hdlc
from drivers.dlms.axdr import DataType, Typed
from drivers.dlms.client import DlmsClient
from drivers.dlms.dissect import dissect_apdu
from drivers.dlms.link import HdlcLink, WrapperLink
from drivers.errors import ProtocolError
from drivers.sim import dlms_gbt as sg
from drivers.testing import ScriptedTransport
from drivers.transport import HDLC_8N1
from tests.drivers.dlms import server_apdus as S
from tests.drivers.dlms.dlms_script import HdlcScript

SERVER = hdlc.server_address(1, 0x11, 4)
PUBLIC = hdlc.client_address(16)
OBIS = "0.0.96.1.0.255"
VALUE = Typed(DataType.ARRAY, tuple(Typed(DataType.UINT32, i) for i in range(100))).encode()
#: the whole GET-Response-Normal the meter cuts into GBT blocks (C4 01 invoke 00 data)
RESPONSE = S.get_response_normal(VALUE)
CUT = [RESPONSE[:120], RESPONSE[120:240], RESPONSE[240:360], RESPONSE[360:]]
#: the client's acknowledgement of block 1: not last, not streaming, window 63, its block 1,
#: acknowledging block 1, no data
ACK_1 = bytes.fromhex("E0 3F 0001 0001 00")
NO_GBT = A.DEFAULT_CONFORMANCE & ~gbt.GENERAL_BLOCK_TRANSFER


def block(n: int, *, streaming: bool, last: bool = False) -> bytes:
    """Block ``n`` as the meter sends it (its own window 1, acknowledging nothing)."""
    return sg.encode(last, streaming, 1, n, 0, CUT[n - 1])


def _script(conformance: int | None = None) -> HdlcScript:
    s = HdlcScript(SERVER, PUBLIC, server_max_info=1024, client_max_info=1024)
    s.snrm(hdlc.encode_params(hdlc.HdlcParams(1024, 1024, 1, 1)))
    s.request(A.aarq(None), S.aare(conformance=conformance))
    return s


def _client(s: HdlcScript) -> tuple[DlmsClient, ScriptedTransport]:
    t = ScriptedTransport(s.exchanges, HDLC_8N1, timeout=0.2).open()
    link = HdlcLink(t, client_sap=16, server_logical=1, server_physical=0x11, max_info=1024)
    return DlmsClient(link), t


def test_the_aarq_proposes_general_block_transfer() -> None:
    conformance = A.aarq(None)[-5:-2]  # 5F 1F 04 00 | 3 conformance bytes | max PDU (2)
    assert int.from_bytes(conformance, "big") & gbt.GENERAL_BLOCK_TRANSFER
    assert gbt.GENERAL_BLOCK_TRANSFER == 0x200000  # bit 2 counted from the MSB of 24


def test_streamed_window_acknowledged_then_last_block() -> None:
    s = _script()
    desc = A.Descriptor.of(1, OBIS, 2)
    # the meter does not know our window yet: block 1 alone, not streamed on
    s.request(A.get_request(desc), block(1, streaming=False))
    # our acknowledgement names block 1 and our window; blocks 2-4 stream, 4 is the last
    s.stream(ACK_1, [block(2, streaming=True), block(3, streaming=True), block(4,
             streaming=False, last=True)])  # fmt: skip
    client, t = _client(s)
    client.associate()
    assert client.general_block_transfer
    assert client.get(1, OBIS, 2) == list(range(100))
    t.assert_done()  # nothing sent after the last block: no acknowledgement of it
    assert client.blocks_received == 4
    acks = [hdlc.parse_frame(req).info[3:] for req, _ in s.exchanges[3:]]
    assert acks == [ACK_1]
    assert "acknowledges block 1, window 63" in dissect_apdu(ACK_1).summary


def test_a_window_ending_before_the_last_block_is_acknowledged_again() -> None:
    s = _script()
    s.request(A.get_request(A.Descriptor.of(1, OBIS, 2)), block(1, streaming=False))
    s.stream(ACK_1, [block(2, streaming=True), block(3, streaming=False)])
    s.request(bytes.fromhex("E0 3F 0002 0003 00"), block(4, streaming=False, last=True))
    client, t = _client(s)
    client.associate()
    assert client.get(1, OBIS, 2) == list(range(100))
    t.assert_done()


def test_a_missing_block_is_an_error_naming_it() -> None:
    s = _script()
    s.request(A.get_request(A.Descriptor.of(1, OBIS, 2)), block(1, streaming=False))
    s.stream(ACK_1, [block(2, streaming=True), block(4, streaming=False, last=True)])
    client, t = _client(s)
    client.associate()
    with pytest.raises(ProtocolError, match="block 3 missing") as err:
        client.get(1, OBIS, 2)
    assert "block 4 arrived" in str(err.value) and err.value.step


def test_a_malformed_block_is_an_error_naming_it() -> None:
    s = _script()
    bad = block(1, streaming=False)[:-5]  # block-data shorter than its length says
    s.request(A.get_request(A.Descriptor.of(1, OBIS, 2)), bad)
    client, t = _client(s)
    client.associate()
    with pytest.raises(ProtocolError, match="general-block-transfer block 1"):
        client.get(1, OBIS, 2)


def test_a_meter_that_does_not_grant_gbt_is_read_with_get_next_as_before() -> None:
    s = _script(conformance=NO_GBT)
    desc = A.Descriptor.of(1, OBIS, 2)
    blocks = [VALUE[:150], VALUE[150:300], VALUE[300:]]
    s.request(A.get_request(desc), S.get_response_block(blocks[0], 1, False))
    s.request(A.get_request_next(1), S.get_response_block(blocks[1], 2, False))
    s.request(A.get_request_next(2), S.get_response_block(blocks[2], 3, True))
    client, t = _client(s)
    client.associate()
    assert not client.general_block_transfer
    assert client.get(1, OBIS, 2) == list(range(100))
    t.assert_done()


def test_a_gbt_block_from_a_meter_that_did_not_grant_it_is_not_taken() -> None:
    s = _script(conformance=NO_GBT)
    s.request(A.get_request(A.Descriptor.of(1, OBIS, 2)), block(1, streaming=False))
    client, _ = _client(s)
    client.associate()
    with pytest.raises(ProtocolError):
        client.get(1, OBIS, 2)


def test_streaming_over_the_tcp_wrapper() -> None:
    def wrap(src: int, dst: int, apdu: bytes) -> bytes:
        return b"".join(v.to_bytes(2, "big") for v in (1, src, dst, len(apdu))) + apdu

    req = A.get_request(A.Descriptor.of(1, OBIS, 2))
    streamed = [block(2, streaming=True), block(3, streaming=True)]
    t = ScriptedTransport(
        [
            (wrap(16, 1, A.aarq(None)), wrap(1, 16, S.aare())),
            (wrap(16, 1, req), wrap(1, 16, block(1, streaming=False))),
            (wrap(16, 1, ACK_1), b"".join(wrap(1, 16, b) for b in streamed)
             + wrap(1, 16, block(4, streaming=False, last=True))),
        ],  # fmt: skip
        timeout=0.2,
    ).open()
    client = DlmsClient(WrapperLink(t, client_sap=16, server_logical=1))
    client.associate()
    assert client.get(1, OBIS, 2) == list(range(100))
    t.assert_done()


def test_block_codec_round_trip_and_sizes() -> None:
    b = gbt.Block(True, False, 5, 300, 2, b"x" * 200)
    raw = b.encode()
    assert raw[:8] == bytes.fromhex("E0 85 012C 0002 81C8")
    assert gbt.parse(raw) == b and gbt.header_size(200) == 8
    assert sg.decode(raw).data == b"x" * 200  # the simulator's own decoder agrees
    with pytest.raises(ValueError):
        gbt.Block(False, False, 64, 1, 0).encode()
