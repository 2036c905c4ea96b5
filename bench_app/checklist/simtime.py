"""Bench time: the reference clock a checklist run uses, and closing a settlement period.

On the built-in simulator, bench control can let time pass at once (``advance SECONDS``): the
simulated meter's clock, its profile (periods close) and its event log all move together, so an
alarm check can close the period it tagged in milliseconds. The reference time the bench compares
the meter with then moves by the same amount (:attr:`BenchTime.shift`), so clock deviations stay
true. Against a real meter :meth:`BenchTime.wait_until_meter` waits for the period to close,
reporting the remaining seconds to a progress callback.

Settlement periods are named the GB way: ``"2026-11-29 SP 16, 07:30–08:00 GMT (UTC 07:30–08:00)"``
(settlement day and SP number in Europe/London, local times, then UTC).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bench_app import settlement
from bench_app.presentation import duration, gb_and_utc, sp_text
from drivers.model import ClockReading

#: ``progress(remaining_s, message)`` while the bench waits for a period to close.
Progress = Callable[[float, str], None]
#: seconds past a settlement period's end at which the bench reads it (``close_margin_s``)
CLOSE_MARGIN_S = 2.0


def sp_name(when: datetime) -> str:
    """The settlement period containing ``when`` (aware): ``"2026-11-29 SP 16, 07:30–08:00 GMT
    (UTC 07:30–08:00)"``; on clock-change days the SP number follows the 46/50-period day."""
    start = settlement.floor_to_period(when)
    end = start + settlement.SP
    day, sp = settlement.settlement_period(start)
    lo, hi = settlement.to_local(start), settlement.to_local(end)
    zone = lo.strftime("%Z") if lo.strftime("%Z") == hi.strftime("%Z") else "local"
    return (
        f"{day.isoformat()} SP {sp}, {lo:%H:%M}–{hi:%H:%M} {zone} "
        f"(UTC {start.astimezone(UTC):%H:%M}–{end.astimezone(UTC):%H:%M})"
    )


def countdown(seconds: float) -> str:
    """A wait's time left: ``12:34`` (minutes and seconds), ``1:02:03`` above an hour."""
    total = int(round(max(0.0, float(seconds))))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def secs(value: float) -> str:
    """Seconds with sign and one decimal (``+1.5``, ``-0.3``), never ``-0.0``."""
    text = f"{value:+.1f}"
    return "0.0" if float(text) == 0 else text


class BenchTime:
    """Reference time of a checklist run, simulated when bench control can advance time.

    :param now: the PC's UTC clock.
    :param control: bench control (simulator) or None; simulated when it has ``advance``.
    :param sleep: ``sleep(seconds)`` used while waiting on a real meter.
    :param progress: told the remaining seconds while waiting (real meter) or advancing.
    """

    def __init__(
        self,
        now: Callable[[], datetime] | None = None,
        control: object | None = None,
        sleep: Callable[[float], None] | None = None,
        progress: Progress | None = None,
        time_source: object | None = None,
    ) -> None:
        self._now = now or (lambda: datetime.now(UTC))
        #: :class:`bench_app.timesource.TimeSource` measured with every clock reading (None: the
        #: bare PC clock); :attr:`last_reference` is the latest measurement
        self.time_source = time_source
        self.last_reference: object | None = None
        self.control = control
        self.sleep = sleep or time.sleep
        self.progress = progress
        self.shift = timedelta(0)
        self.simulated = control is not None and hasattr(control, "advance")
        if self.simulated:
            state = control.state() or {}  # type: ignore[union-attr]
            self.shift = timedelta(seconds=float(state.get("advanced_s", 0) or 0))

    def now(self) -> datetime:
        """Reference UTC now (PC clock plus the simulated time advanced so far)."""
        return self._now() + self.shift

    def adjust(self, reading: ClockReading) -> ClockReading:
        """A driver's clock reading against the reference time instead of the bare PC clock: the
        simulated time advanced, and the PC's offset from the time source measured now."""
        if self.time_source is not None:
            from bench_app.timesource import corrected

            ref = self.time_source.measure()  # type: ignore[attr-defined]
            self.last_reference = ref
            reading = corrected(reading, ref)
        if not self.shift:
            return reading
        return ClockReading.of(reading.meter_time, reading.pc_time + self.shift)

    def advance(self, seconds: float, what: str = "") -> None:
        """Let ``seconds`` pass: at once on the simulator, by waiting on a real meter (telling
        :attr:`progress` the seconds left and ``what`` it waits for, once a second)."""
        if seconds <= 0:
            return
        if self.simulated:
            self.control.advance(round(seconds, 3))  # type: ignore[union-attr]
            self.shift += timedelta(seconds=round(seconds, 3))
            return
        left = float(seconds)
        while left > 0:  # counted by the sleeps done, so an injected sleep ends the wait too
            if self.progress:
                self.progress(left, what or f"waiting {duration(left)}")
            step = min(left, 1.0)
            self.sleep(step)
            left -= step

    def wait_until_meter(
        self, meter_now: datetime, target: datetime, margin_s: float = CLOSE_MARGIN_S
    ) -> float:
        """Let time pass until the meter clock (now ``meter_now``) is ``margin_s`` past
        ``target``; returns the seconds that passed (0 when already there)."""
        seconds = (target - meter_now).total_seconds() + margin_s
        if seconds <= 0:
            return 0.0
        start = settlement.floor_to_period(target - timedelta(seconds=1))
        self.advance(seconds, f"waiting for {sp_text(start)} to close at "
                     f"{gb_and_utc(target, '%H:%M:%S')}")  # fmt: skip
        return seconds

    def close_period(self, meter_now: datetime, margin_s: float = CLOSE_MARGIN_S) -> datetime:
        """Close the settlement period containing ``meter_now`` (meter time); returns its end."""
        end = settlement.floor_to_period(meter_now) + settlement.SP
        self.wait_until_meter(meter_now, end, margin_s)
        return end


class ShiftedClockMeter:
    """A driver whose clock readings are against :class:`BenchTime` (everything else passes)."""

    def __init__(self, driver: object, bench_time: BenchTime) -> None:
        self._driver = driver
        self._time = bench_time

    def __getattr__(self, name: str):
        return getattr(self._driver, name)

    def read_clock(self) -> ClockReading:
        return self._time.adjust(self._driver.read_clock())  # type: ignore[attr-defined]

    def set_clock(self, meter_time: datetime) -> ClockReading:
        return self._time.adjust(self._driver.set_clock(meter_time))  # type: ignore[attr-defined]
