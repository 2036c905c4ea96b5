"""End to end: the bench's DLMS client (DlmsMeter) against the simulated outstation over TCP/pty."""

from __future__ import annotations

from datetime import timedelta

import pytest

from drivers.dlms.meter import DlmsMeter
from drivers.errors import AuthenticationError, DriverError, DriverTimeout
from drivers.meter import ConnectOptions
from drivers.model import EventCode, StatusFlag

pytestmark = pytest.mark.slow

P = timedelta(minutes=30)


def connect(sim, password: str | None = "HHDC2PASS", sap: int = 48, **kw) -> DlmsMeter:
    kw.setdefault("timeout", 1.0)
    meter = DlmsMeter(ConnectOptions(sim.url, password=password, client_sap=sap, **kw))
    meter.connect()
    return meter


def sim_rows(sim, start, end):
    return [(s, v, st) for s, v, st in sim.meter.profile_rows(start, end)]


def client_rows(profile):
    return [(r.start, list(r.values), int(r.status)) for r in profile.rows]


@pytest.mark.parametrize("listen", ["tcp://127.0.0.1:0", "pty"])
def test_90_days_of_4_channels_equal_the_simulator(sim_factory, h, listen):
    sim = sim_factory(listen, days=90)
    m = connect(sim)
    try:
        start, end = h.T0.replace(minute=0) - timedelta(days=90), h.T0
        profile = m.read_profile(start, end)
        assert len(profile.channels) == 4 and profile.period_min == 30
        assert len(profile.rows) == 90 * 48
        assert client_rows(profile) == sim_rows(sim, start, end)
        ident = m.read_identity()
        assert ident.serial == "PRO-SIM-000123" and ident.outstation_type == "PRO"
        assert ident.firmware == {
            "metrology": "MET 2.14",
            "application": "APP 5.3.1",
            "communications": "COM 3.07",
        }
        regs = {r.obis: r.value for r in m.read_registers()}
        assert regs == {spec.obis: wh for spec, wh in sim.meter.registers_wh()}
        inst = {r.obis: r.value for r in m.read_instantaneous()}
        assert 220 < inst["1.0.32.7.0.255"] < 240 and 49.9 < inst["1.0.14.7.0.255"] < 50.1
    finally:
        m.close()


@pytest.mark.parametrize(
    "opts",
    [
        {"framing": "wrapper"},
        {"mode_e": True, "baud": 19200, "reaction_ms": 50},
        {"max_info": 1024},
        {"server_physical": 17, "max_info": 32},
    ],
    ids=["wrapper", "mode-e", "max-info-1024", "max-info-32"],
)
def test_framings_read_the_same_week(sim_factory, h, opts):
    sim = sim_factory(days=7, framing=opts.get("framing", "hdlc"))
    m = connect(sim, **opts)
    try:
        start = h.T0.replace(minute=0) - timedelta(days=7)
        assert client_rows(m.read_profile(start, h.T0)) == sim_rows(sim, start, h.T0)
    finally:
        m.close()


def test_clock_set_and_read(sim_factory, h, clock):
    sim = sim_factory()
    m = connect(sim)
    try:
        assert m.read_clock().meter_time == h.T0
        target = h.T0 + timedelta(minutes=3)
        reading = m.set_clock(target)
        assert reading.meter_time == target == sim.meter.meter_now()
        events = m.read_events()
        assert [e.code for e in events] == [EventCode.CLOCK_SET]
        clock.advance(minutes=30)
        row = m.read_profile(h.T0.replace(minute=0), h.T0.replace(minute=30)).rows
        assert len(row) == 1 and row[0].status & StatusFlag.CLOCK_CHANGE
    finally:
        m.close()


ACTIONS = [
    ("phase-failure", ("2",), EventCode.PHASE_FAILURE_L2, StatusFlag.PHASE_FAILURE),
    ("battery-fault", (), EventCode.BATTERY_FAULT, StatusFlag.BATTERY),
    ("reset", (), EventCode.RESET, StatusFlag.RESET),
    ("reverse", ("on",), EventCode.REVERSE_RUNNING, StatusFlag.REVERSE_RUNNING),
    ("change-parameter", ("tariff", "2"), EventCode.DATA_CHANGE, StatusFlag.DATA_CHANGE),
    ("supply-cut", (), EventCode.SUPPLY_FAILURE, StatusFlag.SUPPLY_FAILURE),
]


@pytest.mark.parametrize(("action", "args", "code", "flag"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_bench_action_event_in_the_right_period(sim_factory, h, clock, action, args, code, flag):
    sim = sim_factory(days=1)
    sim.control.do(action, *args)  # at 10:05
    clock.advance(minutes=40)  # 10:45: the 10:00–10:30 period has closed
    if action == "supply-cut":
        with pytest.raises(DriverTimeout):
            connect(sim, timeout=0.3)  # no supply: the meter is silent
        sim.control.supply_restore()
    m = connect(sim)
    try:
        events = m.read_events()
        assert events[0].code == code and events[0].time == h.T0
        rows = m.read_profile(h.T0.replace(minute=0) - P, h.T0.replace(minute=30)).rows
        assert [r.start for r in rows] == [h.T0.replace(minute=0) - P, h.T0.replace(minute=0)]
        assert not rows[0].status & flag and rows[1].status & flag
        if action == "reverse":
            assert {r.obis: r.value for r in m.read_instantaneous()}["1.0.1.7.0.255"] < 0
        if action == "supply-cut":
            assert events[1].code == EventCode.SUPPLY_RESTORED
        assert [e.code for e in m.read_events()] == [e.code for e in events]  # not cleared
    finally:
        m.close()


def test_bench_clock_offset_shows_in_the_reading_without_event(sim_factory, h):
    sim = sim_factory()
    sim.control.do("clock-offset", "-7")
    m = connect(sim)
    try:
        assert m.read_clock().meter_time == h.T0 - timedelta(minutes=7)
        assert m.read_events() == []
    finally:
        m.close()


# -- access ---------------------------------------------------------------------------------------
def test_wrong_password_is_refused_and_logged(sim_factory):
    sim = sim_factory()
    with pytest.raises(AuthenticationError):
        connect(sim, password="nope")
    assert [e.code for e in sim.meter.events()] == [EventCode.WRONG_PASSWORD]


def test_public_client_cannot_read_the_profile(sim_factory, h):
    sim = sim_factory()
    m = connect(sim, password=None, sap=16)
    try:
        assert m.read_clock().meter_time == h.T0
        with pytest.raises(AuthenticationError, match="denied"):
            m.read_registers()
        with pytest.raises(AuthenticationError, match="denied"):
            m.read_profile(h.T0 - timedelta(hours=2), h.T0)
    finally:
        m.close()


# -- faults ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("fault", ["corrupt", "drop", "nak"])
def test_total_line_faults_surface_as_driver_errors(sim_factory, fault):
    sim = sim_factory(faults=[fault])
    with pytest.raises(DriverError):
        connect(sim, timeout=0.3)
    assert sim.faults.injected[fault] >= 1


def test_delay_fault_costs_time_but_reads(sim_factory, h):
    sim = sim_factory(faults=["delay:0.5"], seed=2)
    m = connect(sim, timeout=2.0)
    try:
        assert m.read_clock().meter_time == h.T0
        assert sim.faults.injected["delay"] >= 1
    finally:
        m.close()


def test_reject_password_fault(sim_factory):
    sim = sim_factory(faults=["reject-password"])
    with pytest.raises(AuthenticationError):
        connect(sim)


def test_stop_fault_cuts_a_long_read(sim_factory, h):
    sim = sim_factory(faults=["stop"], days=3)
    m = connect(sim, max_info=128, timeout=0.2)
    try:
        with pytest.raises(DriverError):
            m.read_profile(h.T0 - timedelta(days=3), h.T0)
        assert sim.faults.stopped
    finally:
        m.close()


# -- defects --------------------------------------------------------------------------------------
def test_defect_accept_wrong_password(sim_factory):
    sim = sim_factory(defects=["accept-wrong-password"])
    m = connect(sim, password="nope")
    try:
        assert m.read_identity().serial == "PRO-SIM-000123"
        assert [e.code for e in m.read_events()] == [EventCode.WRONG_PASSWORD]
    finally:
        m.close()


def test_defect_clear_alarms_on_read(sim_factory):
    sim = sim_factory(defects=["clear-alarms-on-read"])
    sim.control.phase_failure(1)
    m = connect(sim)
    try:
        assert [e.code for e in m.read_events()] == [EventCode.PHASE_FAILURE_L1]
        assert m.read_events() == []  # the meter forgot its alarm because it was read
    finally:
        m.close()


def test_defect_lose_data_on_supply_cut(sim_factory, h, clock):
    sim = sim_factory(defects=["lose-data-on-supply-cut"], days=3)
    sim.control.supply_cut()
    clock.advance(minutes=30)
    sim.control.supply_restore()
    m = connect(sim)
    try:
        start = h.T0.replace(minute=0) - timedelta(days=2)
        rows = m.read_profile(start, h.T0.replace(minute=0)).rows
        assert len(rows) == 48  # the day before the cut is gone: only 2 days − 1 day remain
        assert rows[0].start == start
    finally:
        m.close()


def test_defect_clock_correction_unflagged(sim_factory, h, clock):
    sim = sim_factory(defects=["clock-correction-unflagged"])
    m = connect(sim)
    try:
        m.set_clock(h.T0 + timedelta(minutes=2))
        assert m.read_events() == []
        clock.advance(minutes=30)
        rows = m.read_profile(h.T0.replace(minute=0), h.T0.replace(minute=30)).rows
        assert rows[0].status == 0
    finally:
        m.close()


def test_defect_reading_changes_data(sim_factory, h):
    sim = sim_factory(defects=["reading-changes-data"], days=1)
    m = connect(sim)
    try:
        start = h.T0.replace(minute=0) - timedelta(hours=6)
        first = client_rows(m.read_profile(start, h.T0))
        second = client_rows(m.read_profile(start, h.T0))
        assert first != second
    finally:
        m.close()


def test_without_defects_reads_are_repeatable(sim_factory, h):
    sim = sim_factory(days=1)
    m = connect(sim)
    try:
        start = h.T0.replace(minute=0) - timedelta(hours=6)
        assert client_rows(m.read_profile(start, h.T0)) == client_rows(m.read_profile(start, h.T0))
    finally:
        m.close()
