"""End to end: Iec21Meter ↔ simulated IEC 62056-21 meter over a real pty pair and over TCP."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from drivers.errors import AuthenticationError, DriverError, DriverTimeout, ProtocolError
from drivers.meter import ConnectOptions, MeterDriver, create_meter
from drivers.model import EventCode
from drivers.sim import start_simulator

pytestmark = pytest.mark.slow


def midnight() -> datetime:
    now = datetime.now(UTC)
    return datetime(now.year, now.month, now.day, tzinfo=UTC)


def expected_rows(sim, start, end):
    return [(t, [v / 1000 for v in vals], s) for t, vals, s in sim.meter.profile_rows(start, end)]


def got_rows(profile):
    return [(r.start, r.values, r.status) for r in profile.rows]


def meter(url: str, **kwargs) -> MeterDriver:
    kwargs.setdefault("timeout", 1.0)
    return create_meter("iec21", ConnectOptions(url, **kwargs))


@pytest.mark.parametrize("listen", ["pty", "tcp://127.0.0.1:0"])
def test_read_90_days_4_channels_equal_the_simulator(listen):
    with start_simulator("iec21", listen=listen, seed=11, days=91) as sim:
        m = meter(sim.url, password="ABCDEF12")
        blocks: list[int] = []
        m.connect()
        try:
            end = midnight()
            start = end - timedelta(days=90)
            profile = m.read_profile(start, end, on_block=lambda rows: blocks.append(len(rows)))
            registers = m.read_registers()
            identity = m.read_identity()
        finally:
            m.close()
        assert len(profile.rows) == 90 * 48 and len(profile.channels) == 4
        assert [c.unit for c in profile.channels] == ["kWh", "kWh", "kvarh", "kvarh"]
        assert profile.period_min == 30
        assert got_rows(profile) == expected_rows(sim, start, end)
        assert sum(blocks) == 90 * 48 and all(b % 48 == 0 for b in blocks)
        assert 90 // 7 <= len(blocks) <= 90 // 4 + 1  # ~10 s of wire per block at 9600 Bd
        want = {spec.obis: wh / 1000 for spec, wh in sim.meter.registers_wh()}
        assert {r.obis: r.value for r in registers} == pytest.approx(want, abs=1.0)
        assert identity.serial == "GEN-SIM-004711" and identity.manufacturer == "GEN"


def test_readout_mode_without_password_and_whole_profile():
    with start_simulator("iec21", seed=3, days=5) as sim:
        m = meter(sim.url)
        m.connect()
        try:
            ident = m.read_identity()
            clock = m.read_clock()
            regs = m.read_registers()
            inst = m.read_instantaneous()
            profile = m.read_profile()  # everything the meter holds
        finally:
            m.close()
    assert ident.model == "GEN HH-4 (simulated)" and ident.firmware == {"application": "APP 5.3.1"}
    assert abs(clock.deviation_s) < 2.0
    # the same canonical OBIS codes the DLMS driver reports
    assert [r.obis for r in regs] == [f"1.0.{c}.8.0.255" for c in (1, 2, 3, 4)]
    assert regs[2].unit == "kvarh"
    assert {r.obis for r in inst} >= {"1.0.32.7.0.255", "1.0.31.7.0.255", "1.0.14.7.0.255"}
    assert got_rows(profile) == expected_rows(sim, None, None)
    assert len(profile.rows) == sim.meter.interval_count()


def test_wrong_password_is_authentication_error_and_nothing_else_is_read():
    with start_simulator("iec21", seed=3, days=2) as sim:
        m = meter(sim.url, password="WRONG")
        with pytest.raises(AuthenticationError) as info:
            m.connect()
        assert info.value.exit_code == 5 and info.value.port == sim.url
        tx = b"".join(r.data for r in m.trace if r.direction == "tx")
        assert b"R1" not in tx and b"R5" not in tx and b"WRONG" not in tx
        assert [e.code for e in sim.meter.events()] == [EventCode.WRONG_PASSWORD]


def test_set_clock_through_the_port_is_logged():
    with start_simulator("iec21", seed=3, days=2) as sim:
        m = meter(sim.url, password="ABCDEF12")
        m.connect()
        try:
            before = m.read_clock()
            target = datetime.now(UTC) + timedelta(minutes=5)
            after = m.set_clock(target)
            events = m.read_events(datetime.now(UTC) - timedelta(hours=1), None)
        finally:
            m.close()
    assert abs(before.deviation_s) < 2.0
    assert 297 < after.deviation_s < 302
    assert 297 < sim.meter.clock_offset_s < 302
    assert EventCode.CLOCK_SET in [e.code for e in events]


def test_set_clock_without_password_is_refused():
    with start_simulator("iec21", seed=3, days=1) as sim:
        m = meter(sim.url)
        m.connect()
        try:
            with pytest.raises(AuthenticationError):
                m.set_clock(datetime.now(UTC))
        finally:
            m.close()


def _read_two_days(sim, **kwargs):
    m = meter(sim.url, password="ABCDEF12", **kwargs)
    m.block_days = 1
    end = midnight()
    start = end - timedelta(days=2)
    m.connect()
    try:
        return m.read_profile(start, end), start, end, m
    finally:
        m.close()


@pytest.mark.parametrize("fault", ["corrupt:0.4", "drop:0.4", "nak:0.4", "delay:0.3"])
def test_intermittent_faults_end_in_retry_success(fault):
    with start_simulator("iec21", seed=3, days=3, faults=[fault]) as sim:
        profile, start, end, m = _read_two_days(sim, timeout=1.5)
        assert got_rows(profile) == expected_rows(sim, start, end)
        kind = fault.split(":")[0]
        assert sim.faults.injected.get(kind, 0) > 0
        notes = [r.note for r in m.trace if r.direction == "tx"]
        if kind in ("corrupt", "drop"):
            assert "NAK: bad block" in notes  # the client asked for a repeat
        if kind == "nak":
            assert "repeat after NAK" in notes


@pytest.mark.parametrize(
    ("fault", "error", "step"),
    [
        ("corrupt", ProtocolError, "programming mode (P0)"),
        ("nak", ProtocolError, "profile block 1"),
        ("stop", DriverTimeout, "profile block 2"),
        ("reject-password", AuthenticationError, "password (P1)"),
    ],
)
def test_persistent_faults_end_in_the_documented_error(fault, error, step):
    with start_simulator("iec21", seed=5, days=3, faults=[fault]) as sim:
        with pytest.raises(DriverError) as info:
            _read_two_days(sim, timeout=0.4, reaction_ms=0)
    err = info.value
    assert type(err) is error
    assert err.exit_code == {ProtocolError: 4, DriverTimeout: 3, AuthenticationError: 5}[error]
    assert err.port == sim.url and sim.url in str(err)
    assert err.step and err.step.startswith(step)


def test_meter_without_supply_answers_nothing():
    with start_simulator("iec21", seed=5, days=1) as sim:
        sim.meter.supply_cut()
        m = meter(sim.url, timeout=0.3, reaction_ms=0)
        with pytest.raises(DriverTimeout) as info:
            m.connect()
    assert info.value.step == "sign-on" and info.value.exit_code == 3


def test_line_speed_emulation_takes_at_least_the_wire_time():
    with start_simulator("iec21", seed=5, days=2, baud_emulation=True, max_baud_code="6") as sim:
        m = meter(sim.url, password="ABCDEF12", baud=19200, timeout=2.0)
        end = midnight()
        t0 = time.monotonic()
        m.connect()
        try:
            profile = m.read_profile(end - timedelta(days=1), end)
        finally:
            m.close()
        wall = time.monotonic() - t0
    assert len(profile.rows) == 48
    assert {r.baud for r in m.trace} == {300, 19200}
    wire = m.trace.wire_time_s()
    assert wire > 1.0  # the 300-baud sign-on alone is ~1.1 s
    assert wall >= 0.95 * wire


def test_one_day_blocks_and_progress():
    with start_simulator("iec21", seed=3, days=4) as sim:
        m = meter(sim.url, password="ABCDEF12", baud=300)
        seen: list[tuple[int, int]] = []
        m.connect()
        try:
            end = midnight()
            start = end - timedelta(days=3) + timedelta(hours=12)  # half a day first
            profile = m.read_profile(start, end, progress=lambda d, t: seen.append((d, t)))
        finally:
            m.close()
    assert got_rows(profile) == expected_rows(sim, start, end)
    assert len(profile.rows) == 2 * 48 + 24
    requests = [r.data for r in m.trace if r.direction == "tx" and b"R5" in r.data]
    assert len(requests) == 3  # 300 Bd: one day per block
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_other_writes_are_parameter_changes_logged_by_the_meter():
    with start_simulator("iec21", seed=3, days=1) as sim:
        m = meter(sim.url, password="ABCDEF12")
        m.connect()
        try:
            m.client.write_register("C.7.0", "5")
            assert m.client.read_register("0.0.0").value == "GEN-SIM-004711"
        finally:
            m.close()
    assert sim.meter.parameters["C.7.0"] == "5"
    assert [e.code for e in sim.meter.events()] == [EventCode.DATA_CHANGE]
