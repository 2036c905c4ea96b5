"""Scripted exchanges (expected request bytes → canned reply) for every Iec21Client operation."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from drivers.errors import AuthenticationError, DriverTimeout, ProtocolError
from drivers.iec62056_21.client import Identification, Iec21Client, min_reaction_in
from drivers.iec62056_21.readout import BREAK, command, data_block
from drivers.model import StatusFlag
from drivers.testing import ScriptedTransport
from drivers.trace import Trace, TraceRecord

ACK, NAK = b"\x06", b"\x15"
IDENT = b"/GEN5GEN HH-4\r\n"
SIGN_ON = b"/?!\r\n"
P0 = command("P0", "(004711)")


def client(script, **kwargs) -> tuple[Iec21Client, ScriptedTransport]:
    t = ScriptedTransport(script, timeout=0.2)
    t.open()
    return Iec21Client(t, reaction_ms=0, **kwargs), t


def programming(extra, password="ABCDEF12"):
    """Script: sign-on, option select Y=1 at 9600, P0, P1 accepted, then ``extra``."""
    script = [(SIGN_ON, IDENT), (b"\x06051\r\n", P0)]
    if password is not None:
        script.append((command("P1", f"({password})"), ACK))
    c, t = client(script + list(extra))
    c.start_programming(password)
    return c, t


def test_sign_on_with_device_address_parses_identification():
    c, t = client([(b"/?12345678!\r\n", b"/ABc6\\2LGZ ZMD\r\n")], device_address="12345678")
    ident = c.sign_on()
    assert ident == Identification("ABc", "6", "LGZ ZMD", True, "ABc6\\2LGZ ZMD")
    assert ident.max_baud == 19200
    t.assert_done()


def test_sign_on_garbage_is_protocol_error_naming_port_and_step():
    c, _ = client([(SIGN_ON, b"??\r\n")] * 4, retries=3)
    with pytest.raises(ProtocolError) as info:
        c.sign_on()
    assert info.value.port == "script://" and info.value.step == "sign-on"


def test_readout_switches_baud_after_the_ack_and_back_to_300():
    readout = data_block("0.0.0(GEN-1)\r\n0.9.1(103015)\r\n1.8.0(00012.500*kWh)\r\n!\r\n")
    c, t = client([(SIGN_ON, IDENT), (b"\x06050\r\n", readout)])
    r = c.read_out()
    assert r.identification == "GEN5GEN HH-4"
    assert r.get("1.8.0").values == [("00012.500", "kWh")]
    assert [s.baud for s in t.line_changes] == [9600, 300]
    assert all(s.name == "7E1" for s in t.line_changes)
    assert set(c.readout_times) == {"0.0.0", "0.9.1", "1.8.0"}
    t.assert_done()


def test_max_baud_caps_the_option_select():
    readout = data_block("0.0.0(GEN-1)\r\n!\r\n")
    c, t = client([(SIGN_ON, IDENT), (b"\x06030\r\n", readout)], max_baud=2400)
    c.read_out()
    assert [s.baud for s in t.line_changes] == [2400, 300]


def test_readout_with_bad_bcc_signs_on_again():
    good = data_block("0.0.0(GEN-1)\r\n!\r\n")
    bad = good[:-1] + bytes([good[-1] ^ 0x10])
    c, t = client(
        [(SIGN_ON, IDENT), (b"\x06050\r\n", bad), (SIGN_ON, IDENT), (b"\x06050\r\n", good)]
    )
    assert c.read_out().get("0.0.0").value == "GEN-1"
    t.assert_done()


def test_programming_mode_password_accepted_and_redacted_in_trace():
    c, t = programming([])
    assert c.seed == "004711" and c.logged_in and c.mode == "programming"
    tx = b"".join(r.data for r in t.trace if r.direction == "tx")
    assert b"ABCDEF12" not in tx and b"(********)" in tx
    t.assert_done()


@pytest.mark.parametrize("answer", [NAK, data_block("(ERROR)")])
def test_refused_password_is_authentication_error(answer):
    c, t = client([(SIGN_ON, IDENT), (b"\x06051\r\n", P0), (command("P1", "(WRONG)"), answer)])
    with pytest.raises(AuthenticationError) as info:
        c.start_programming("WRONG")
    assert info.value.step == "password (P1)" and info.value.port == "script://"
    assert info.value.exit_code == 5
    t.assert_done()  # exactly one P1: a NAK to a password is not repeated


def test_register_read():
    c, t = programming([(command("R1", "1.8.0()"), data_block("1.8.0(0018250.375*kWh)"))])
    ds = c.read_register("1.8.0")
    assert ds.address == "1.8.0" and ds.values == [("0018250.375", "kWh")]
    t.assert_done()


def test_register_read_error_answer():
    c, _ = programming([(command("R1", "9.9.9()"), data_block("(ERROR)"))])
    with pytest.raises(ProtocolError, match="ERROR") as info:
        c.read_register("9.9.9")
    assert info.value.step == "R1 9.9.9"


def test_register_write_ack_and_refusal():
    c, t = programming(
        [
            (command("W1", "0.9.1(103000)"), ACK),
            (command("W1", "0.9.2(260115)"), data_block("(ERROR)")),
        ]
    )
    c.write_register("0.9.1", "103000")
    with pytest.raises(ProtocolError, match="refused"):
        c.write_register("0.9.2", "260115")
    t.assert_done()


def test_write_without_login_is_authentication_error():
    c, _ = programming([(command("W1", "0.9.1(103000)"), NAK)], password=None)
    c.retries = 0
    with pytest.raises(AuthenticationError):
        c.write_register("0.9.1", "103000")


PROFILE = (
    "P.01(02601150030)(0000)(30)(2)(1.8.0)(kWh)(3.8.0)(kvarh)\r\n"
    "(42.123)(1.500)\r\n"
    "(40.000)(1.250)\r\n"
    "P.01(02601150200)(0011)(30)(2)(1.8.0)(kWh)(3.8.0)(kvarh)\r\n"
    "(39.5)()\r\n"
)


def test_load_profile_request_and_parse():
    start = datetime(2026, 1, 15, 0, 1, tzinfo=UTC)
    end = datetime(2026, 1, 16, 0, 0, tzinfo=UTC)
    c, t = programming([(command("R5", "P.01(02601150001;02601160000)"), data_block(PROFILE))])
    p = c.read_load_profile(start, end)
    assert p.period_min == 30
    assert [(ch.obis, ch.unit) for ch in p.channels] == [("1.8.0", "kWh"), ("3.8.0", "kvarh")]
    starts = [r.start.strftime("%H:%M") for r in p.rows]
    assert starts == ["00:00", "00:30", "01:30"]  # capture times are interval ends
    assert p.rows[0].values == [42.123, 1.5] and p.rows[1].status == 0
    last = p.rows[2]
    assert last.values[0] == 39.5 and math.isnan(last.values[1])
    assert (
        last.status == StatusFlag.PHASE_FAILURE | StatusFlag.CLOCK_CHANGE | StatusFlag.DATA_INVALID
    )
    t.assert_done()


def test_event_log_request_and_parse():
    body = "P.98(0260115103012)(0010)()(40)\r\nP.98(0260115110000)(0000)()(999)\r\n"
    c, t = programming([(command("R5", "P.98(;)"), data_block(body))])
    events = c.read_event_log(None, None)
    assert [(e.time.isoformat(), e.code) for e in events] == [
        ("2026-01-15T10:30:12+00:00", 40),
        ("2026-01-15T11:00:00+00:00", 999),
    ]
    assert events[0].text == "Date/time changed via port" and events[1].text == "event 999"
    t.assert_done()


def test_bad_bcc_is_answered_with_nak_and_the_repeat_accepted():
    good = data_block("1.8.0(1*kWh)")
    bad = good[:-1] + bytes([good[-1] ^ 0x01])
    c, t = programming([(command("R1", "1.8.0()"), bad), (NAK, good)])
    assert c.read_register("1.8.0").value == "1"
    t.assert_done()


def test_nak_from_meter_makes_the_client_repeat():
    req = command("R1", "1.8.0()")
    c, t = programming([(req, NAK), (req, data_block("1.8.0(2*kWh)"))])
    assert c.read_register("1.8.0").value == "2"
    t.assert_done()


def test_persistent_bcc_errors_end_in_protocol_error_naming_step():
    good = data_block("1.8.0(1*kWh)")
    bad = good[:-1] + bytes([good[-1] ^ 0x01])
    c, _ = programming([(command("R1", "1.8.0()"), bad)] + [(NAK, bad)] * 3)
    with pytest.raises(ProtocolError, match="BCC") as info:
        c.read_register("1.8.0")
    assert info.value.step == "R1 1.8.0" and info.value.port == "script://"
    assert info.value.exit_code == 4


def test_persistent_nak_ends_in_protocol_error():
    req = command("R1", "1.8.0()")
    c, _ = programming([(req, NAK)] * 4)
    with pytest.raises(ProtocolError, match="NAK"):
        c.read_register("1.8.0")


def test_silence_is_timeout_naming_port_and_step_after_retries():
    req = command("R5", "P.01(;)")
    c, t = programming([(req, b"")] * 2)
    c.retries = 1
    with pytest.raises(DriverTimeout) as info:
        c.read_load_profile(None, None)
    assert info.value.step == "load profile R5 P.01(;)" and info.value.port == "script://"
    assert info.value.exit_code == 3
    t.assert_done()


def test_partial_blocks_are_acknowledged_and_joined():
    part1 = data_block("P.01(02601150030)(0000)(30)(1)(1.8.0)(kWh)\r\n(1.0)\r\n", last=False)
    part2 = data_block("(2.0)\r\n")
    c, t = programming([(command("R5", "P.01(;)"), part1), (ACK, part2)])
    p = c.read_load_profile(None, None)
    assert [r.values for r in p.rows] == [[1.0], [2.0]]
    t.assert_done()


def test_break_bytes_and_back_to_300():
    c, t = programming([(bytes.fromhex("01 42 30 03 71"), b"")])
    c.send_break()
    assert bytes.fromhex("01 42 30 03 71") == BREAK
    assert c.mode is None and t.settings.baud == 300
    t.assert_done()


def test_commands_outside_programming_mode_are_refused():
    c, _ = client([])
    with pytest.raises(ProtocolError, match="programming"):
        c.read_register("1.8.0")


def test_half_duplex_echo_is_dropped_and_the_echoed_password_redacted():
    def echoed(script):
        return [(req, req + reply) for req, reply in script]

    p1 = command("P1", "(ABCDEF12)")
    t = ScriptedTransport(
        echoed([(SIGN_ON, IDENT), (b"\x06051\r\n", P0), (p1, ACK)]), timeout=0.2, echo=True
    )
    t.open()
    c = Iec21Client(t, reaction_ms=0)
    c.start_programming("ABCDEF12")
    assert c.logged_in
    assert all(b"ABCDEF12" not in r.data for r in t.trace)
    assert any(r.note.startswith("echo") and b"********" in r.data for r in t.trace)
    t.assert_done()


class DribbleTransport(ScriptedTransport):
    """Hands each reply over a few bytes per read, as a slow line does."""

    def __init__(self, script, size: int, **kwargs) -> None:
        super().__init__(script, **kwargs)
        self.size = size
        self.reads = 0

    def _read(self, timeout: float) -> bytes:
        out = bytes(self._out[: self.size])
        del self._out[: self.size]
        self.reads += 1 if out else 0
        return out


@pytest.mark.parametrize("size", [1, 3, 64])
def test_answers_arriving_in_small_chunks_are_cut_at_their_bcc(size):
    """Noise before a block is dropped, the block ends at its BCC however the bytes arrive
    (an ETX as the last byte of a chunk waits for the BCC), partial blocks are joined."""
    part1 = data_block("P.01(02601150030)(0000)(30)(1)(1.8.0)(kWh)\r\n(1.0)\r\n", last=False)
    part2 = data_block("(2.0)\r\n" * 40)
    script = [
        (SIGN_ON, IDENT), (b"\x06051\r\n", P0), (command("R5", "P.01(;)"), b"\x7f\x00" + part1),
        (ACK, part2 + ACK),
    ]  # fmt: skip
    t = DribbleTransport(script, size, timeout=0.2)
    t.open()
    c = Iec21Client(t, reaction_ms=0)
    c.start_programming(None)
    p = c.read_load_profile(None, None)
    assert [r.values for r in p.rows] == [[1.0]] + [[2.0]] * 40
    assert t.read_available() == ACK  # what followed the block is left for the next reader
    assert t.reads >= (len(part1) + len(part2)) // size
    t.assert_done()


def test_reaction_time_minimum_follows_the_flag_case():
    assert Identification.parse(b"/GEN5GEN HH-4\r\n").min_reaction_s == 0.2
    assert Identification.parse(b"/ABc6\\2LGZ ZMD\r\n").min_reaction_s == 0.02


def _rec(direction: str, t_s: float, data: bytes, baud: int = 300, note: str = "") -> TraceRecord:
    return TraceRecord(direction, int(t_s * 1e9), 0, data, baud, "7E1", note)


def test_line_time_counts_the_mandated_reaction_but_never_more_than_was_seen():
    """A 5-byte request at 300 Bd is on the wire 1/6 s after it was written; the first answer
    comes 0.25 s later (the 0.2 s minimum counts), the second after only 0.05 s (a meter too
    quick: only what was seen counts); a half-duplex echo is not a reaction."""
    trace = Trace([
        _rec("tx", 0.0, b"/?!\r\n"),
        _rec("rx", 0.0 + 5 / 30 + 0.01, b"/?!\r\n", note="echo"),
        _rec("rx", 5 / 30 + 0.25 + 15 / 30, b"/GEN5GEN HH-4\r\n"),
        _rec("tx", 2.0, b"\x06051\r\n"),
        _rec("rx", 2.0 + 6 / 30 + 0.05 + 1 / 30, b"\x06"),
    ])  # fmt: skip
    reactions, turnarounds = trace.waits()
    assert reactions == pytest.approx([0.25, 0.05], abs=1e-6)
    assert len(turnarounds) == 1
    assert min_reaction_in(trace) == 0.2
    assert trace.mandated_wait_s(min_reaction_in(trace)) == pytest.approx(0.25, abs=1e-6)
    assert trace.mandated_wait_s(0.0) == 0.0
    assert min_reaction_in(Trace()) == 0.2  # no identification seen: the usual minimum
