"""The simulated meter serves general block transfer (GBT) when the client proposes it and its
description does not switch it off; a real socket/pty read returns the same rows either way."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.description import builtin_dir, load_description
from drivers.dlms import apdu as A
from drivers.dlms import gbt
from drivers.dlms.meter import DlmsMeter
from drivers.meter import ConnectOptions
from drivers.sim import SimOptions, start_simulator
from drivers.sim.dlms import DlmsFrontEnd
from drivers.sim.meter import SimMeter

PROMETER = load_description(builtin_dir() / "prometer100.toml")
METER = SimMeter(days=3, seed=4)
LEVEL2 = 48
BUFFER = A.get_request(A.Descriptor.of(7, "1.0.99.1.0.255", 2))


def associated(conformance: int = A.DEFAULT_CONFORMANCE, **kw) -> tuple[DlmsFrontEnd, int]:
    fe = DlmsFrontEnd(METER, **kw)
    aare = A.parse_aare(fe.handle_apdu(A.aarq("HHDC2PASS", conformance=conformance), LEVEL2))
    assert aare.accepted
    return fe, aare.conformance


def blocks_of(fe: DlmsFrontEnd, apdu: bytes) -> list[gbt.Block]:
    first = fe.handle_apdu(apdu, LEVEL2)
    out = [gbt.parse(first)] + [gbt.parse(b) for b in fe.streamed]
    fe.streamed = []
    return out


def test_streams_blocks_a_window_at_a_time_and_they_make_up_the_plain_answer() -> None:
    fe, conformance = associated(max_pdu=512)
    assert conformance & gbt.GENERAL_BLOCK_TRANSFER
    got = blocks_of(fe, BUFFER)
    # the client's window is not known yet: block 1 alone, not streamed on
    assert [(b.number, b.streaming, b.last) for b in got] == [(1, False, False)]
    window = 4
    ack = gbt.Block(False, False, window, 1, 1).encode()
    more = blocks_of(fe, ack)
    assert [b.number for b in more] == [2, 3, 4, 5]
    assert [b.streaming for b in more] == [True, True, True, False]
    got += more
    while not got[-1].last:
        got += blocks_of(fe, gbt.Block(False, False, window, 2, got[-1].number).encode())
    assert [b.number for b in got] == list(range(1, len(got) + 1)) and len(got) > 6
    # every block but the last fills whole 128-byte HDLC frames with its LLC header, within
    # the 512-byte PDU
    for b in got[:-1]:
        assert len(b.encode()) <= 512 and (len(b.encode()) + 3) % 128 == 0
    plain, _ = associated(max_pdu=0xFFFF, general_block_transfer=False)
    assert b"".join(b.data for b in got) == plain.handle_apdu(BUFFER, LEVEL2)


def test_not_granted_when_the_client_does_not_propose_it_or_the_meter_lacks_it() -> None:
    no_gbt = A.DEFAULT_CONFORMANCE & ~gbt.GENERAL_BLOCK_TRANSFER
    for fe, conformance in (associated(no_gbt), associated(general_block_transfer=False)):
        assert not conformance & gbt.GENERAL_BLOCK_TRANSFER
        assert fe.handle_apdu(BUFFER, LEVEL2)[:2] == b"\xc4\x02"  # GET-Response-With-Datablock
        # a GBT APDU is then not understood: an exception response, not a block
        assert fe.handle_apdu(gbt.Block(False, False, 5, 1, 1).encode(), LEVEL2)[:1] == b"\xd8"


def test_an_acknowledgement_with_nothing_to_send_is_refused_cleanly() -> None:
    fe, _ = associated()
    out = fe.handle_apdu(gbt.Block(False, False, 5, 1, 7).encode(), LEVEL2)
    assert out[:1] == b"\xd8" and not fe.streamed


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=40))
def test_any_gbt_bytes_get_a_well_formed_answer(tail: bytes) -> None:
    fe, _ = associated()
    fe.handle_apdu(BUFFER, LEVEL2)  # a transfer in progress
    out = fe.handle_apdu(b"\xe0" + tail, LEVEL2)
    assert out[:1] in (b"\xe0", b"\xd8", b"\xc4")


def _description_without_gbt(tmp_path) -> str:
    path = tmp_path / "no-gbt.toml"
    path.write_text(
        'extends = "prometer100"\nname = "no-gbt"\n\n'
        "[simulation]\ngeneral_block_transfer = false\n",
        encoding="utf-8",
    )
    return str(path)


def read(url: str, start, end):
    opts = ConnectOptions(
        url, password="HHDC2PASS", client_sap=48, timeout=3.0, description=PROMETER,
        max_info=128, window=7,
    )  # fmt: skip
    m = DlmsMeter(opts)
    m.connect()
    try:
        profile = m.read_profile(start, end)
        gbt_on = m.client.general_block_transfer
    finally:
        m.close()
    return profile, gbt_on, m.trace


@pytest.mark.parametrize("listen", ["tcp://127.0.0.1:0", "pty"])
def test_a_real_read_returns_the_same_rows_with_and_without_gbt(tmp_path, listen) -> None:
    results = {}
    for meter in ("prometer100", _description_without_gbt(tmp_path)):
        with start_simulator("dlms", listen=listen, options=SimOptions(meter=meter, days=4)) as sim:
            end = sim.meter.meter_now().replace(hour=0, minute=0, second=0, microsecond=0)
            results[meter] = read(sim.url, end - timedelta(days=3), end)
    (with_gbt, on, trace_on), (without, off, trace_off) = results.values()
    assert on and not off
    assert len(with_gbt.rows) == 144
    assert [dataclasses.astuple(r) for r in with_gbt.rows] == [
        dataclasses.astuple(r) for r in without.rows
    ]
    notes_on = [r.note for r in trace_on if r.direction == "tx"]
    notes_off = [r.note for r in trace_off if r.direction == "tx"]
    get_next = re.compile(r"#2 block \d+$")  # a GET-Request-Next after a data block
    assert any("GBT block" in n for n in notes_on) and not any(get_next.search(n) for n in notes_on)
    assert any(get_next.search(n) for n in notes_off) and not any("GBT" in n for n in notes_off)
    assert sum(trace_on.byte_counts()) < sum(trace_off.byte_counts())
