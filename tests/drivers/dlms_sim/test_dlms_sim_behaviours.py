"""Meters that behave like real ones (descriptions ``sim-*``): entry selection only with gaps,
a stopped profile, no selective access, a range refused with a deviation. The profile comes back
exactly, and a span that should hold data never comes back silently empty."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from drivers.description import builtin_dir, load_description
from drivers.dlms.meter import DlmsMeter
from drivers.meter import ConnectOptions
from drivers.sim import SimOptions, start_simulator

PROMETER = load_description(builtin_dir() / "prometer100.toml")


def read_profile(sim, quirks, start, end):
    d = dataclasses.replace(PROMETER, quirks=frozenset(quirks))
    m = DlmsMeter(
        ConnectOptions(sim.url, password="HHDC2PASS", client_sap=48, timeout=2.0, description=d)
    )
    m.connect()
    try:
        return m.read_profile(start, end), m.warnings, m.trace
    finally:
        m.close()


def expected(sim, start, end):
    period = timedelta(seconds=sim.meter.period_s)
    start = start - (start - start.replace(hour=0, minute=0, second=0, microsecond=0)) % period
    return [(r[0], r[1]) for r in sim.meter.profile_rows(start, end) if r[0] + period <= end]


@pytest.mark.parametrize(
    ("meter", "quirks"),
    [
        ("sim-entry-gaps", {"entry_based_profile"}),
        ("sim-no-selective-access", {"no_selective_access"}),
        ("sim-deviation-refused", {"range_deviation_unspecified"}),
    ],
)
def test_each_behaviour_with_its_quirk_reads_exactly_the_rows_held(clock, meter, quirks):
    with start_simulator("dlms", options=SimOptions(meter=meter), clock=clock) as sim:
        now = sim.meter.meter_now()
        for start, end in ((now - timedelta(days=4, hours=3), now), (now - timedelta(days=5),
                           now - timedelta(days=1, minutes=13))):  # fmt: skip
            profile, warnings, _ = read_profile(sim, quirks, start, end)
            want = expected(sim, start, end)
            assert [(r.start, [int(v) for v in r.values]) for r in profile.rows] == want
            assert warnings == []
    if meter == "sim-entry-gaps":  # the span crossed both outages: fewer rows than periods
        assert len(want) < 4 * 48


def test_entry_reads_locate_by_capture_times_in_a_few_requests(clock):
    with start_simulator("dlms", options=SimOptions(meter="sim-entry-gaps"), clock=clock) as sim:
        now = sim.meter.meter_now()
        _, _, trace = read_profile(sim, {"entry_based_profile"}, now - timedelta(days=4), now)
    gets = [r.note for r in trace if r.direction == "tx" and r.note.startswith("GET class 7")]
    # entries_in_use, newest, oldest, a few probes, then one request per day block
    assert len(gets) <= 12, gets


def test_a_stopped_profile_is_a_warning_not_a_short_read(clock):
    opts = SimOptions(meter="sim-profile-stopped")
    with start_simulator("dlms", options=opts, clock=clock) as sim:
        now = sim.meter.meter_now()
        entry = {"entry_based_profile"}
        profile, warnings, _ = read_profile(sim, entry, now - timedelta(days=2), now)
        last_day, warnings_day, _ = read_profile(
            sim, {"entry_based_profile"}, now - timedelta(days=1), now
        )
    assert [r.start for r in profile.rows] == [
        s for s, _ in expected(sim, now - timedelta(days=2), now)
    ]
    assert profile.rows and last_day.rows == []
    for w in (warnings, warnings_day):
        assert len(w) == 1 and "stopped capturing" in w[0].reason


def test_a_range_the_meter_answers_empty_is_a_warning(clock):
    opts = SimOptions(meter="sim-deviation-refused")
    with start_simulator("dlms", options=opts, clock=clock) as sim:
        now = sim.meter.meter_now()
        profile, warnings, _ = read_profile(sim, set(), now - timedelta(days=1), now)
    assert profile.rows == []
    assert len(warnings) == 1 and "none came back" in warnings[0].reason
