"""The trace dissector says what each record asked or answered, whatever the chunking."""

from __future__ import annotations

from datetime import timedelta

import pytest

from drivers.dissect import dissect_records, dissect_trace, tree_text
from drivers.dlms import hdlc
from drivers.dlms.dissect import dissect_apdu
from drivers.errors import DriverError
from drivers.iec62056_21.readout import command, data_block
from drivers.meter import ConnectOptions, create_meter
from drivers.sim import start_simulator
from drivers.trace import Trace, TraceRecord

pytestmark = pytest.mark.slow


def _read(proto: str, password: str, **sim_kw) -> Trace:
    trace = Trace()
    with start_simulator(proto, days=2, **sim_kw) as sim:
        m = create_meter(proto, ConnectOptions(sim.url, password=password, client_sap=48,
                                               trace=trace))  # fmt: skip
        m.connect()
        try:
            m.read_identity()
            now = m.read_clock().meter_time
            m.read_profile(now - timedelta(hours=4), now)
            m.read_events()
        finally:
            m.close()
    return trace


@pytest.fixture(scope="module")
def dlms_trace() -> Trace:
    return _read("dlms", "HHDC2PASS")


@pytest.fixture(scope="module")
def iec_trace() -> Trace:
    return _read("iec21", "ABCDEF12", reaction_ms=0)


def test_a_dlms_read_reads_like_a_witness_would_say_it(dlms_trace):
    summaries = [d.summary for d in dissect_trace(dlms_trace)]
    assert all(d.level == "ok" for d in dissect_trace(dlms_trace))
    assert "AARE: accepted (max PDU 2048)" in summaries
    asked = "0.0.96.1.0.255 serial number · class 1 attribute 2"  # alone or in a GET-with-list
    assert any(s.startswith("GET") and asked in s for s in summaries)
    assert any(s.startswith("GET.response") and "'PRO-SIM-000123'" in s for s in summaries)
    assert any("load profile · class 7 attribute 2 (buffer) by range" in s for s in summaries)
    assert any(s.startswith("GET 0.0.1.0.0.255 clock") for s in summaries)
    assert summaries[-1] == "HDLC UA"


def test_the_same_bytes_in_other_chunks_decode_the_same(dlms_trace):
    """One byte a record (a slow serial line): frames are reassembled per direction."""
    whole = [d.summary for d in dissect_trace(dlms_trace) if not d.summary.startswith("(")]
    tiny = [
        TraceRecord(r.direction, r.t_ns, r.wall_ns, bytes([b])) for r in dlms_trace for b in r.data
    ]
    split = [d.summary for d in dissect_records(tiny) if not d.summary.startswith("(part")]
    assert split == whole


def test_a_wrong_password_is_an_aare_rejection():
    trace = Trace()
    with start_simulator("dlms", days=1) as sim:
        m = create_meter("dlms", ConnectOptions(sim.url, password="WRONG", client_sap=48,
                                                trace=trace))  # fmt: skip
        with pytest.raises(DriverError):
            m.connect()
    (refusal,) = [d for d in dissect_trace(trace) if d.level == "refused"]
    assert refusal.summary == "AARE: rejected — authentication failure"
    assert "WRONG" not in tree_text(sum((d.tree for d in dissect_trace(trace)), []))


def test_green_book_aare_example():
    """AARE of the DLMS UA Green Book example: LN context, accepted, max PDU 0x00EF."""
    aare = bytes.fromhex(
        "6129A109060760857405080101A203020100A305A103020100BE10040E0800065F1F040000181D00EF0007"
    )
    d = dissect_apdu(aare)
    assert d.summary == "AARE: accepted (max PDU 239)" and d.level == "ok"


def test_a_corrupted_frame_is_bad_and_the_next_one_still_decodes():
    ok = hdlc.encode_frame(hdlc.server_address(1, 17, 4), hdlc.client_address(16), hdlc.SNRM)
    broken = bytearray(ok)
    broken[5] ^= 0x01
    records = [TraceRecord("tx", i, i, bytes(b)) for i, b in enumerate([broken, ok])]
    first, second = dissect_records(records)
    assert first.level == "bad" and "BAD HDLC frame" in first.summary
    assert second.level == "ok" and second.summary == "HDLC SNRM"


def test_an_iec_read_and_a_bad_bcc(iec_trace):
    ds = dissect_trace(iec_trace)
    summaries = [d.summary for d in ds]
    assert summaries[0] == "sign-on request (any device)"
    assert summaries[2] == "option select: programming mode at 9600 Bd"
    assert "P1: password sent (redacted in the trace)" in summaries
    assert "R1: read C.1.0" in summaries and "answer: C.1.0(GEN-SIM-004711)" in summaries
    assert any(s.startswith("R5: read load profile from 20") for s in summaries)
    assert all(d.level == "ok" for d in ds)
    bad = bytearray(data_block("1.8.0(0001.000*kWh)"))
    bad[-1] ^= 0xFF
    (d,) = dissect_records([TraceRecord("rx", 0, 0, bytes(bad))])
    assert d.level == "bad" and d.summary.startswith("BAD BCC")


def test_iec_refusals_and_an_unredacted_password_is_never_shown():
    records = [
        TraceRecord("tx", 0, 0, command("P1", "(SECRET99)")),
        TraceRecord("rx", 1, 1, b"\x15"),
        TraceRecord("rx", 2, 2, data_block("(ERROR)")),
    ]
    p1, nak, err = dissect_records(records)
    assert p1.summary == "P1: password sent" and "SECRET99" not in tree_text(p1.tree)
    assert nak.level == "refused" and err.level == "refused"


def test_a_bad_frame_never_claims_a_correct_checksum():
    info = b"\xe6\xe7\x00\xc4\x01\xc1\x00\x09\x03ABC"
    frame = bytearray(hdlc.encode_frame(0x21, hdlc.server_address(1, 17, 4), 0x30, info))
    frame[-2] ^= 0x55
    (d,) = dissect_records([TraceRecord("rx", 0, 0, bytes(frame))])
    text = tree_text(d.tree)
    assert d.level == "bad" and "GET.response: success, 'ABC'" in d.summary
    assert "correct" not in text and "NOT checked" in text
