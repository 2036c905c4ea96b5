"""One-day profile blocks against the real IEC 62056-21 simulator over TCP (socket://).

The meter's clock is frozen days behind the PC's, as on a bench: without an end time the read
must end at the meter's day, not the PC's, or a walk back in small blocks meets only empty days
and stops before the first stored row (this stored 0 rows with ``block_days = 1``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from drivers.meter import ConnectOptions, create_meter
from drivers.sim import start_simulator

pytestmark = pytest.mark.slow

FROZEN = datetime(2026, 11, 24, 12, 10, tzinfo=UTC)  # days before "now" on any test machine


class Stop(Exception):
    pass


@pytest.fixture
def sim():
    with start_simulator("iec21", seed=11, days=5, clock=lambda: FROZEN) as handle:
        yield handle


def _meter(sim):
    password = sim.meter.description.iec_password
    m = create_meter("iec21", ConnectOptions(sim.url, password=password, timeout=1.0))
    m.block_days = 1
    m.connect()
    return m


def _expected(sim, start=None, end=None):
    return [(t, [v / 1000 for v in vals]) for t, vals, _ in sim.meter.profile_rows(start, end)]


def _got(rows):
    return sorted((r.start, r.values) for r in rows)


def test_one_day_blocks_walking_back_from_the_meter_clock_read_every_row(sim):
    assert datetime.now(UTC) - timedelta(days=2) > FROZEN
    blocks: list[list] = []
    m = _meter(sim)
    try:
        profile = m.read_profile(on_block=blocks.append)
    finally:
        m.close()
    assert len(profile.rows) == sim.meter.interval_count() > 0
    assert _got(profile.rows) == _expected(sim)
    days = [{r.start.date() for r in b} for b in blocks]
    assert all(len(d) == 1 for d in days)  # on_block once per day block, newest first
    assert [d.pop() for d in days] == sorted({r.start.date() for r in profile.rows}, reverse=True)


def test_one_day_blocks_over_a_span_and_a_stop_between_blocks_resumes(sim):
    end = datetime(FROZEN.year, FROZEN.month, FROZEN.day, tzinfo=UTC)
    start = end - timedelta(days=3)
    blocks: list[list] = []

    def stop_after_two(rows):
        blocks.append(rows)
        if len(blocks) == 2:
            raise Stop

    m = _meter(sim)
    try:
        with pytest.raises(Stop):
            m.read_profile(start, end, on_block=stop_after_two)
    finally:
        m.close()
    got = [r for b in blocks for r in b]
    assert [len(b) for b in blocks] == [48, 48]  # oldest first, one whole day each
    assert _got(got) == _expected(sim, start, start + timedelta(days=2))

    resume_from = max(r.start for r in got) + timedelta(minutes=30)
    m = _meter(sim)
    rest: list[list] = []
    try:
        tail = m.read_profile(resume_from, end, on_block=rest.append)
    finally:
        m.close()
    assert [len(b) for b in rest] == [48]
    assert _got(got + tail.rows) == _expected(sim, start, end)
    assert len(got) + len(tail.rows) == 3 * 48
