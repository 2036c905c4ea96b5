"""Find profile entries by the meter's own capture times (entry selection, access selector 2).

A Profile Generic numbers its entries 1 (oldest) … ``entries_in_use`` (newest). A meter that
offers only entry selection cannot be asked "the rows of Tuesday": the client must find which
entry numbers hold Tuesday. Counting back from "now" assumes the newest entry ends now and that
there are no gaps; a profile that stopped capturing, or that skipped periods during an outage,
breaks both. :class:`EntryLocator` instead reads capture times:

* it starts from the newest (and the oldest) entry the meter holds;
* between two known entries ``i < j`` the entry that first reaches a time ``t`` lies in
  ``[j - floor((t_j - t) / period), i + ceil((t - t_i) / period)]``: periods can only be
  *missing* between entries (a gap adds time, never entries), so counting periods from either
  known side bounds the answer;
* it probes the bound counted back from the newer side first (exact when the gaps are older than
  ``t``), then the bound from the older side, then bisects: O(log n) small reads however the gaps
  fall.

Times are the clock column of each entry (the END of its integration period for a load
profile), aware UTC, strictly increasing with the entry number.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

#: fetch(first, last) → the capture time of each entry first…last (1-based, inclusive).
Fetch = Callable[[int, int], list[datetime]]


class EntryLocator:
    """Locate entries of a profile holding ``count`` entries captured every ``period``.

    :param count: ``entries_in_use`` (0 = empty).
    :param period: capture period (> 0).
    :param fetch: reads capture times of an entry range (one request to the meter).
    """

    def __init__(self, count: int, period: timedelta, fetch: Fetch) -> None:
        if period <= timedelta(0):
            raise ValueError("capture period must be > 0")
        self.count = count
        self.period = period
        self.fetch = fetch
        self.known: dict[int, datetime] = {}
        self.reads = 0  #: requests made (for tests and the probe's report)

    def time_of(self, first: int, last: int | None = None) -> datetime:
        """Capture time of entry ``first`` (reading ``first…last`` if not known yet)."""
        if first not in self.known:
            last = max(first, last or first)
            self.reads += 1
            times = self.fetch(first, last)
            for n, t in enumerate(times, start=first):
                self.known[n] = t
            if first not in self.known:
                raise LookupError(f"the meter sent no entry {first} of {self.count}")
        return self.known[first]

    @property
    def newest(self) -> datetime | None:
        return None if self.count == 0 else self.time_of(self.count)

    @property
    def oldest(self) -> datetime | None:
        return None if self.count == 0 else self.time_of(1)

    def first_at_or_after(self, when: datetime) -> int:
        """The lowest entry number whose time is ``>= when`` (``count + 1`` when none is).

        Each step reads two neighbouring entries ``p - 1, p`` in one request, so a right guess
        settles it at once; the guesses are the newer side's bound, the older side's bound, then
        the middle (bisection), which keeps it O(log n) even where captures are irregular."""
        if self.count == 0 or self.time_of(self.count) < when:
            return self.count + 1
        if self.time_of(1) >= when:
            return 1
        lo, hi = 1, self.count  # time(lo) < when <= time(hi)
        step = 0
        while hi - lo > 1:
            t_lo, t_hi = self.known[lo], self.known[hi]
            if step == 0:  # counted back from the newer side: exact when gaps are older
                probe = hi - (t_hi - when) // self.period
            elif step == 1:  # counted on from the older side: exact when gaps are newer
                probe = lo + -(-(when - t_lo) // self.period)
            else:
                probe = (lo + hi + 1) // 2
            step += 1
            probe = min(max(probe, lo + 1), hi)
            first = probe - 1 if probe - 1 > lo else probe
            for n in range(first, probe + 1):
                t = self.time_of(n, probe)
                if t >= when:
                    hi = min(hi, n)
                    break
                lo = max(lo, n)
        return hi
