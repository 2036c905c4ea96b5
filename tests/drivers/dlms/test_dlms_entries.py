"""The entry locator finds entries by their capture times whatever gaps the profile has."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.dlms.entries import EntryLocator

T0 = datetime(2025, 3, 1, tzinfo=UTC)
PERIOD = timedelta(minutes=30)


def profile(steps: list[int]) -> list[datetime]:
    """Capture times: each entry ``steps[i]`` periods after the previous one (1 = no gap)."""
    out, t = [], T0
    for s in steps:
        t += s * PERIOD
        out.append(t)
    return out


def locator(times: list[datetime]) -> EntryLocator:
    def fetch(first: int, last: int) -> list[datetime]:
        assert 1 <= first <= last <= len(times)
        return times[first - 1 : last]

    return EntryLocator(len(times), PERIOD, fetch)


# mostly contiguous profiles, with a few gaps (outages) of random length
gaps = st.lists(
    st.one_of(st.just(1), st.just(1), st.just(1), st.integers(2, 500)), min_size=1, max_size=3000
)


@settings(max_examples=150, deadline=None)
@given(gaps, st.data())
def test_the_first_entry_at_or_after_a_time_is_found_exactly(steps, data):
    times = profile(steps)
    span = (times[-1] - T0) // PERIOD + 4
    when = (
        T0
        + PERIOD * data.draw(st.integers(-2, span))
        + data.draw(st.sampled_from([timedelta(0), timedelta(minutes=7)]))
    )
    loc = locator(times)
    got = loc.first_at_or_after(when)
    expected = next((i for i, t in enumerate(times, start=1) if t >= when), len(times) + 1)
    assert got == expected
    # newest + oldest + about two reads per halving: never a walk through the profile
    assert loc.reads <= 4 + 2 * math.ceil(math.log2(len(times) + 1))


@given(st.integers(1, 3000), st.integers(0, 3000))
def test_a_contiguous_profile_is_located_in_at_most_three_reads(n, k):
    times = profile([1] * n)
    loc = locator(times)
    when = T0 + PERIOD * min(k, n)
    loc.first_at_or_after(when)
    assert loc.reads <= 3


@given(st.integers(1, 200), st.integers(1, 200), st.integers(2, 300))
def test_one_gap_anywhere_costs_at_most_one_more_read(before, after, gap):
    times = profile([1] * before + [gap] + [1] * after)
    for target in (times[0], times[before - 1], times[before], times[-1]):
        loc = locator(times)
        assert times[loc.first_at_or_after(target) - 1] == target
        assert loc.reads <= 4


def test_an_empty_profile_and_times_past_the_newest():
    assert locator([]).first_at_or_after(T0) == 1
    times = profile([1, 1, 1])
    assert locator(times).first_at_or_after(times[-1] + PERIOD) == 4


class ShiftingProfile:
    """A fake client over a full FIFO profile: after ``shift_after`` buffer reads the meter
    captures a period, dropping its oldest entry (every entry number moves down by one under
    the reader)."""

    def __init__(self, times: list[datetime], shift_after: int) -> None:
        self.times = list(times)
        self.reads = 0
        self.shift_after = shift_after

    def get(self, class_id, obis, attr, access=None):
        from drivers.dlms.axdr import decode

        if attr == 7:
            return len(self.times)
        self.reads += 1
        if self.reads == self.shift_after + 1:
            self.times = self.times[1:] + [self.times[-1] + PERIOD]
        first, last = decode(access[1])[0][:2]
        return [(t,) for t in self.times[first - 1 : last]]

    def profile_rows(self, raw, period_s, columns, obis):
        from drivers.model import ProfileRow

        return [ProfileRow(t - PERIOD, [], 0) for (t,) in raw]


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 12), st.integers(0, 30))
def test_entry_reads_survive_a_fifo_renumbering_mid_read(shift_after, gap_at):
    from drivers.dlms.profile_access import EntryAccess

    steps = [1] * 400
    steps[100 + gap_at] = 5  # one outage before the span
    times = profile(steps)
    fake = ShiftingProfile(times, shift_after)
    access = EntryAccess(fake, "1.0.99.1.0.255", 1800, [])
    lo = times[150] - PERIOD
    rows = []
    for day in range(4):  # consecutive day blocks
        start = lo + day * 48 * PERIOD
        rows += access.rows(start, start + 48 * PERIOD)
    ends = [r.start + PERIOD for r in rows]
    assert ends == [t for t in times if lo < t <= lo + 4 * 48 * PERIOD]
