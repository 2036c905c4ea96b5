"""``bench-app trace show``: a file or a session's stored traces, decoded."""

from __future__ import annotations

import pytest

from bench_app.cli import main
from drivers.dlms import hdlc
from drivers.sim import start_simulator
from drivers.trace import Trace

pytestmark = pytest.mark.slow


def test_session_traces_are_decoded(store, session_id, capsys):
    db, sid = store.path, session_id
    with start_simulator("dlms", days=1) as sim:
        assert main(["read", "--port", sim.url, "--protocol", "dlms", "--password",
                     "HHDC2PASS", "--session", str(sid), "--db", str(db)]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["trace", "show", "--session", str(sid), "--db", str(db), "--tree"]) == 0
    out = capsys.readouterr().out
    assert "AARE: accepted" in out and "0.0.96.1.0.255 serial number" in out
    assert "HCS/FCS correct" in out  # --tree
    assert "HHDC2PASS" not in out


def test_a_file_with_a_bad_frame_exits_1_and_names_it(tmp_path, capsys):
    trace = Trace()
    frame = bytearray(hdlc.encode_frame(hdlc.server_address(1, 17, 4), 0x21 >> 1, hdlc.SNRM))
    trace.add("tx", bytes(frame))
    frame[-2] ^= 0xFF
    trace.add("rx", bytes(frame))
    path = trace.save(tmp_path / "t.jsonl")
    assert main(["trace", "show", str(path), "--bad", "--hex"]) == 1
    out = capsys.readouterr().out
    assert "BAD     BAD HDLC frame" in out and "1 bad record(s)" in out
    assert "ok      HDLC SNRM" not in out  # --bad hides the good one
    assert "unchecked: HDLC SNRM" in out  # what the bad frame would have said


@pytest.mark.parametrize(
    ("argv", "code"),
    [(["trace", "show"], 2), (["trace", "show", "missing.jsonl"], 2)],
)
def test_usage_errors(argv, code, capsys):
    assert main(argv) == code
    assert "hint:" in capsys.readouterr().err
