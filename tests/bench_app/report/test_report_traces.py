"""The report's trace list says how many bad frames and refusals each stored trace holds."""

from __future__ import annotations

from bench_app.report import collect_report_data, render_report
from drivers.dlms import hdlc
from drivers.trace import Trace
from tests.bench_app.report.report_fixtures import pdftotext

SERVER = hdlc.server_address(1, 17, 4)
AARE_REJECTED = bytes.fromhex(
    "E6E700 6129A109060760857405080101A203020101A305A10302010DBE10040E0800065F1F040000181D00EF0007"
)


def test_bad_frames_and_refusals_are_counted_in_the_report(store, tmp_path):
    sid = store.create_session("REP-TRACE-1", "protocol-approval")
    trace = Trace()
    trace.add("tx", hdlc.encode_frame(SERVER, 0x21, hdlc.SNRM))
    bad = bytearray(hdlc.encode_frame(0x21, SERVER, hdlc.UA))
    bad[-2] ^= 0x0F
    trace.add("rx", bytes(bad))
    trace.add("rx", hdlc.encode_frame(0x21, SERVER, 0x30, AARE_REJECTED))
    store.add_trace(sid, trace, label="flaky head")
    clean = Trace()
    clean.add("tx", hdlc.encode_frame(SERVER, 0x21, hdlc.SNRM))
    store.add_trace(sid, clean, label="clean read")
    data = collect_report_data(store, sid)
    assert [(t["label"], t["bad"], t["refused"]) for t in data.traces] == [
        ("flaky head", 1, 1),
        ("clean read", 0, 0),
    ]
    text = pdftotext(render_report(data, tmp_path / "r.pdf"))
    assert "3 (1 bad, 1 refused)" in text
