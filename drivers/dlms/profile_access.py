"""How the load profile's rows of a span are asked for: by range, by entry numbers, or whole.

* :class:`RangeAccess` — access selector 1 on the clock column (one request per block);
* :class:`EntryAccess` — access selector 2 for meters without range selection: entry numbers are
  located by the meter's own capture times (:class:`~drivers.dlms.entries.EntryLocator`), then
  read block after block with one entry of overlap, which shows whether the meter renumbered its
  entries meanwhile (a full FIFO drops its oldest entry at each capture);
* :class:`WholeAccess` — no selective access at all: the buffer is read once and filtered.

Each answers :meth:`rows` for consecutive blocks ``[lo, hi)`` of row *starts* (clock − period)
as a range read does: rows that start at ``lo`` or later and have ended by ``hi``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from drivers.dlms import apdu as A
from drivers.dlms import client as C
from drivers.dlms.client import CaptureObject, DlmsClient
from drivers.dlms.entries import EntryLocator
from drivers.model import ProfileRow, utc


class RangeAccess:
    """Range selection (selector 1) on the clock column."""

    def __init__(
        self, client: DlmsClient, obis: str, period_s: int, columns: list[CaptureObject]
    ) -> None:
        self.client, self.obis = client, obis
        self.period_s, self.columns = period_s, columns
        self.period = timedelta(seconds=period_s)

    def rows(self, lo: datetime, hi: datetime) -> list[ProfileRow]:
        layout = (self.period_s, self.columns)
        return self.client.read_load_profile(lo, hi, self.obis, layout=layout)

    def _entry_rows(self, first: int, last: int) -> list[ProfileRow]:
        raw = self.client.get(C.CLASS_PROFILE, self.obis, 2, A.entry_descriptor(first, last))
        if not isinstance(raw, list):
            raise C.bad_value(self.obis, 2, f"buffer is {C._short(raw)}, not an array")
        return self.client.profile_rows(raw, self.period_s, self.columns, self.obis)

    def entries(self) -> int:
        count = self.client.get(C.CLASS_PROFILE, self.obis, 7)
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise C.bad_value(self.obis, 7, f"entries_in_use {count!r} is not a count")
        return count

    def held(self) -> tuple[datetime, datetime] | None:
        """Ends of the oldest and newest entries held (two small entry reads), None if none."""
        count = self.entries()
        if count == 0:
            return None
        oldest, newest = self._entry_rows(1, 1), self._entry_rows(count, count)
        if not oldest or not newest:
            return None
        return oldest[0].start + self.period, newest[-1].start + self.period

    def newest_after(self, after: datetime, now: datetime) -> datetime | None:
        """End of the newest entry after ``after`` up to ``now`` (one range read), else None."""
        rows = self.rows(after, now)
        return rows[-1].start + self.period if rows else None


class EntryAccess(RangeAccess):
    """Entry selection (selector 2) located by capture times."""

    def __init__(
        self, client: DlmsClient, obis: str, period_s: int, columns: list[CaptureObject]
    ) -> None:
        super().__init__(client, obis, period_s, columns)
        self._fresh()

    def _fresh(self) -> None:
        self.locator = EntryLocator(self.entries(), self.period, self._times)
        self.next: int | None = None  #: entry number of the next row to read
        self.expect: datetime | None = None  #: start of the block the next read continues
        self.last_end: datetime | None = None  #: clock of the last row read (entry next − 1)

    def _times(self, first: int, last: int) -> list[datetime]:
        return [r.start + self.period for r in self._entry_rows(first, last)]

    def held(self) -> tuple[datetime, datetime] | None:
        loc = self.locator
        if loc.count == 0:
            return None
        return loc.time_of(1), loc.time_of(loc.count)

    def newest_after(self, after: datetime, now: datetime) -> datetime | None:
        newest = self.held()
        return newest[1] if newest and newest[1] > after else None

    def rows(self, lo: datetime, hi: datetime) -> list[ProfileRow]:
        lo, hi = utc(lo), utc(hi)
        for _ in range(3):  # a renumbering seen in the overlap makes it locate again
            got = self._read(lo, hi)
            if got is not None:
                return got
            self._fresh()
        raise C.bad_value(self.obis, 2, "entries kept renumbering while they were read")

    def _read(self, lo: datetime, hi: datetime) -> list[ProfileRow] | None:
        want = lo + self.period  # the clock (end) of the first row wanted
        if self.locator.count == 0:
            self._recount()
            if self.locator.count == 0:
                return []
        if self.next is None or self.expect != lo:
            self.next = self.locator.first_at_or_after(want)
            self.last_end = self.locator.known.get(self.next - 1)
        first = self.next
        per_block = -(-(hi - lo) // self.period)
        if first + per_block - 1 > self.locator.count and hi > self.locator.time_of(
            max(1, self.locator.count)
        ):
            self._recount()  # the span reaches past the newest entry: more may have come
        last = min(self.locator.count, first + per_block - 1)
        if first > last:
            self.expect = hi
            return []
        start_at = first - 1 if first > 1 and self.last_end is not None else first
        rows = self._entry_rows(start_at, last)
        if start_at < first:
            if not rows or rows[0].start + self.period != self.last_end:
                return None  # entry first − 1 is not the row read last: renumbered
            rows = rows[1:]
        if rows and rows[0].start + self.period < want:
            return None  # an entry older than wanted sits where the locator found the first
        taken = [r for r in rows if r.start + self.period <= hi]  # as a range: ended by hi
        self.next = first + len(taken)
        if taken:
            self.last_end = taken[-1].start + self.period
        self.expect = hi
        return [r for r in taken if lo <= r.start]

    def _recount(self) -> None:
        count = self.entries()
        if count != self.locator.count:
            known = {n: t for n, t in self.locator.known.items() if n <= count}
            self.locator = EntryLocator(count, self.period, self._times)
            self.locator.known.update(known)


class WholeAccess(RangeAccess):
    """No selective access: the whole buffer once, then filtered by row start."""

    def __init__(
        self, client: DlmsClient, obis: str, period_s: int, columns: list[CaptureObject]
    ) -> None:
        super().__init__(client, obis, period_s, columns)
        self._all: list[ProfileRow] | None = None

    def _every(self) -> list[ProfileRow]:
        if self._all is None:
            raw = self.client.get(C.CLASS_PROFILE, self.obis, 2)
            if not isinstance(raw, list):
                raise C.bad_value(self.obis, 2, f"buffer is {C._short(raw)}, not an array")
            self._all = self.client.profile_rows(raw, self.period_s, self.columns, self.obis)
        return self._all

    def rows(self, lo: datetime, hi: datetime) -> list[ProfileRow]:
        return [r for r in self._every() if utc(lo) <= r.start and r.start + self.period <= utc(hi)]

    def held(self) -> tuple[datetime, datetime] | None:
        every = self._every()
        if not every:
            return None
        return every[0].start + self.period, every[-1].start + self.period

    def newest_after(self, after: datetime, now: datetime) -> datetime | None:
        held = self.held()
        return held[1] if held and held[1] > after else None


def access_for(
    client: DlmsClient, obis: str, period_s: int, columns: list[CaptureObject], mode: str
) -> RangeAccess:
    """``mode``: ``"range"``, ``"entry"`` or ``"none"`` (no selective access)."""
    cls = {"range": RangeAccess, "entry": EntryAccess, "none": WholeAccess}[mode]
    return cls(client, obis, period_s, columns)
