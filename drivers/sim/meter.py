"""The simulated outstation's state: one data-driven meter that every protocol front end serves.

QCoDeS-style: a :class:`MeterDescription` is loaded from a TOML file shipped in
``resources/meters/`` (serial, firmware, associations, channels…; the same file the drivers read,
see :mod:`drivers.description`); :class:`SimMeter` turns it into
a living meter — deterministic half-hourly data from a seed, registers that equal the sum of the
stored intervals plus a base, an event log, a clock that can be offset, and the bench actions a
tester performs by hand (pull a phase, cut the supply…). The IEC 62056-21 and DLMS front ends
(``drivers.sim.iec21``, ``drivers.sim.dlms``) only translate bytes to calls on this object.

Units: interval values and registers are integer **Wh** (or varh) internally; times are aware UTC.
Interval keys are the interval *start* in meter-clock time, as epoch seconds.

Defects (``defects=``) make the meter misbehave on purpose so the checklist can be shown to catch
it: ``accept-wrong-password``, ``clear-alarms-on-read``, ``lose-data-on-supply-cut``,
``clock-correction-unflagged``, ``reading-changes-data``, ``password-length-unchecked`` (the meter
stops enforcing the 6–12 character password rule and ignores characters after the stored password),
``alarm-never-clears`` (an alarm's status flag stays on every later period after the condition
cleared), ``period-double-counted-after-clock-forward`` (a clock set back from fast re-enters a
closed period and adds its energy again) and ``password-truncated-at-8`` (a password set through a
port is stored cut to 8 characters).

Simulated time: :meth:`SimMeter.advance` lets N seconds pass at once (clock, closing periods and
everything after), so a bench can close a settlement period instead of waiting for it.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from drivers.description import (
    Description,
    DescriptionError,
    builtin_dir,
    parse_description,
    read_description,
)
from drivers.model import EventCode, MeterEvent
from drivers.sim.behaviour import Behaviour

METERS_DIR = builtin_dir()
DEFECTS = (
    "accept-wrong-password",
    "clear-alarms-on-read",
    "lose-data-on-supply-cut",
    "clock-correction-unflagged",
    "reading-changes-data",
    "password-length-unchecked",
    "alarm-never-clears",
    "period-double-counted-after-clock-forward",
    "password-truncated-at-8",
)
#: Largest single step of simulated time (:meth:`SimMeter.advance`), seconds: one week.
MAX_ADVANCE_S = 7 * 86400
#: Password lengths a meter accepts (CoPs 1, 2, 3, 5: 6 to 12 characters).
PASSWORD_LENGTHS = (6, 12)
PERIODS = (5, 10, 15, 20, 30)
_MASK64 = (1 << 64) - 1


@dataclass(frozen=True)
class ChannelSpec:
    """One energy channel. ``mean_wh`` is the mean advance per 30 minutes in Wh (or varh)."""

    obis: str
    iec: str
    unit: str
    name: str
    mean_wh: int
    shape: str = "demand"
    register_base_wh: int = 0


@dataclass(frozen=True)
class AssociationSpec:
    """A DLMS association level: client SAP and LLS password (empty = no authentication)."""

    level: int
    sap: int
    password: str


@dataclass(frozen=True)
class MeterDescription:
    """Everything that makes one simulated meter type; see ``resources/meters/*.toml``.

    ``meter_type`` is the same file read as the drivers read it (OBIS codes, event codes, status
    bits, SAPs); the other fields are the simulated meter's values.
    """

    name: str
    manufacturer: str
    flag: str
    model: str
    outstation_type: str
    serial: str
    logical_device_name: str
    hardware_version: str
    firmware: dict[str, str]
    period_min: int
    days: int
    iec_password: str
    max_baud_code: str
    associations: tuple[AssociationSpec, ...]
    channels: tuple[ChannelSpec, ...]
    meter_type: Description | None = None
    #: what is fitted (``[capabilities]``: battery, reset_alarm, reverse_running…); a facility
    #: declared not fitted raises no alarm in the simulator
    capabilities: dict[str, object] = field(default_factory=dict)

    def fitted(self, name: str) -> bool:
        """True unless the description declares ``name`` not fitted."""
        return bool(self.capabilities.get(name, True))

    @classmethod
    def load(cls, name_or_path: str | Path = "prometer100") -> MeterDescription:
        """Load a bundled description by name (``prometer100``, ``northgate-nx7``…) or a TOML path.

        Raises :class:`~drivers.description.DescriptionError` (a ValueError) naming file:line.
        """
        path = Path(name_or_path)
        if not path.suffix:
            path = METERS_DIR / f"{name_or_path}.toml"
        try:
            raw, text = read_description(path)
        except DescriptionError as exc:
            raise DescriptionError(f"cannot load meter description {path}: {exc}") from exc
        meter_type = parse_description(text, str(path), default_name=path.stem, raw=raw)
        try:
            return cls(
                name=raw["name"],
                manufacturer=raw["manufacturer"],
                flag=raw["flag"],
                model=raw["model"],
                outstation_type=raw["outstation_type"],
                serial=raw["serial"],
                logical_device_name=raw["logical_device_name"],
                hardware_version=raw.get("hardware_version", ""),
                firmware=dict(raw["firmware"]),
                period_min=int(raw.get("period_min", 30)),
                days=int(raw.get("days", 90)),
                iec_password=raw.get("iec_password", ""),
                max_baud_code=str(raw.get("max_baud_code", "5")),
                associations=tuple(
                    AssociationSpec(a["level"], a["sap"], a.get("password", ""))
                    for a in raw.get("associations", [])
                ),
                channels=tuple(ChannelSpec(**c) for c in raw["channels"]),
                meter_type=meter_type,
                capabilities=dict(raw.get("capabilities") or {}),
            )
        except (KeyError, TypeError) as exc:
            raise DescriptionError(
                f"{path}: not a simulated meter description: missing or bad field {exc}"
            ) from exc

    @staticmethod
    def available() -> list[str]:
        """Names of the bundled meter descriptions."""
        return sorted(p.stem for p in METERS_DIR.glob("*.toml"))


def _mix(*parts: int) -> float:
    """Deterministic hash of integers → float in [0, 1) (splitmix64)."""
    z = 0x9E3779B97F4A7C15
    for p in parts:
        z = (z + (p & _MASK64) + 0x9E3779B97F4A7C15) & _MASK64
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        z ^= z >> 31
    return z / 2.0**64


#: the meter clock stays within this of true time (keeps data generation bounded, ~400 days).
MAX_CLOCK_OFFSET = timedelta(days=400)


def _check_offset(offset: timedelta, what: str) -> None:
    if abs(offset) > MAX_CLOCK_OFFSET:
        raise ValueError(
            f"{what} would put the meter clock {offset.days} days from true time "
            f"(limit ±{MAX_CLOCK_OFFSET.days} days)"
        )


class SimMeter:
    """A running simulated outstation (thread-safe: front ends and bench control share it).

    :param description: what meter this is.
    :param seed: makes the data deterministic: same seed, same interval → same values.
    :param days: days of stored data at start-up (default: the description's, ≥ 90).
    :param period_min: integration period in minutes, one of 5, 10, 15, 20, 30.
    :param clock: returns the *true* UTC time (injectable for tests); the meter clock is that plus
        an offset the bench or a client can change.
    :param defects: names from :data:`DEFECTS`.
    """

    def __init__(
        self,
        description: MeterDescription | None = None,
        *,
        seed: int = 1,
        days: int | None = None,
        period_min: int | None = None,
        clock: Callable[[], datetime] | None = None,
        defects: tuple[str, ...] | list[str] = (),
    ) -> None:
        self.description = description or MeterDescription.load()
        self.seed = seed
        self.period_min = period_min or self.description.period_min
        if self.period_min not in PERIODS:
            raise ValueError(f"integration period {self.period_min} min not in {PERIODS}")
        unknown = set(defects) - set(DEFECTS)
        if unknown:
            raise ValueError(f"unknown defect(s) {sorted(unknown)}; choose from {DEFECTS}")
        self.defects = frozenset(defects)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.RLock()
        self._offset = timedelta(0)
        self._advance = timedelta(0)  # simulated time: how far the bench moved time forward
        self._starts: list[int] = []  # sorted interval starts (epoch s, meter time)
        self._values: dict[int, list[int]] = {}
        self._status: dict[int, int] = {}
        self._events: list[tuple[float, int]] = []
        self._lost: set[int] = set()
        self._phases_ok = [True, True, True]
        self._reverse = False
        self._battery_ok = True
        self.powered = True
        self._cut_at: float | None = None
        self._sticky = 0  # alarm-never-clears: flags every later period carries
        #: parameters a port can change; ``ct_ratio`` as the rating plate shows it
        self.parameters: dict[str, object] = {
            "capture_period_s": self.period_min * 60,
            "ct_ratio": "200/5",
        }
        #: passwords set through a port (level → password); the description's otherwise
        self.passwords: dict[int, str] = {}
        span = (days if days is not None else self.description.days) * 86400
        step = self.period_s
        end = self._floor(self._meter_epoch())
        self._first = end - (span // step) * step
        self._extend_to(end)
        #: protocol behaviour and profile gaps / stop from the description's [simulation] table
        self.behaviour = Behaviour.of(self.description.meter_type)
        self._stop_at: int | None = None  #: the profile captures no period starting here or later
        if self.behaviour.profile_stopped_hours is not None:
            self._stop_at = self._floor(end - self.behaviour.profile_stopped_hours * 3600)
        for days_ago, hours in self.behaviour.profile_gaps:
            first = self._floor(end - days_ago * 86400)
            self._lost.update(
                t for t in range(first, first + int(hours * 3600), step) if self._first <= t < end
            )

    # -- time ------------------------------------------------------------------------------------
    @property
    def period_s(self) -> int:
        return self.period_min * 60

    def true_now(self) -> datetime:
        """UTC as the simulated world sees it: the clock plus the simulated time advanced."""
        return self._clock() + self._advance

    def meter_now(self) -> datetime:
        """The meter's clock (UTC plus the simulated advance plus the current offset)."""
        with self._lock:
            return self._clock() + self._advance + self._offset

    @property
    def advanced_s(self) -> float:
        """Seconds of simulated time the bench has advanced (0 … :data:`MAX_ADVANCE_S` per call)."""
        return self._advance.total_seconds()

    def advance(self, seconds: float) -> dict:
        """Simulated time: let ``seconds`` (0 < s ≤ :data:`MAX_ADVANCE_S`) pass at once. The whole
        meter moves with it: the clock, the periods that close (profile), event times after it.
        Returns :meth:`state`. :raises ValueError: for a bad number of seconds."""
        if not isinstance(seconds, int | float) or not math.isfinite(seconds):
            raise ValueError(f"advance needs a number of seconds, not {seconds!r}")
        if not 0 < seconds <= MAX_ADVANCE_S:
            raise ValueError(f"advance must be > 0 and at most {MAX_ADVANCE_S} s, not {seconds}")
        with self._lock:
            self._advance += timedelta(seconds=seconds)
            self._refresh()
        return self.state()

    @property
    def clock_offset_s(self) -> float:
        return self._offset.total_seconds()

    def _meter_epoch(self) -> float:
        return self.meter_now().timestamp()

    def _floor(self, epoch: float) -> int:
        return int(epoch // self.period_s) * self.period_s

    # -- data generation -------------------------------------------------------------------------
    def _value(self, ch: int, spec: ChannelSpec, ts: int) -> int:
        hour = (ts % 86400) / 3600.0
        day = ts // 86400
        weekday = (day + 3) % 7  # 1970-01-01 was a Thursday; 5, 6 = Sat, Sun
        scale = self.period_min / 30.0
        noise = 0.75 + 0.5 * _mix(self.seed, ch, ts)
        if spec.shape == "solar":
            season = 0.6 + 0.4 * math.cos(2 * math.pi * ((day % 365) - 172) / 365)
            shape = max(0.0, math.sin(math.pi * (hour - 6) / 12)) * 2.2 * season
        elif spec.shape == "flat":
            shape = 1.0
        else:
            shape = (
                0.45
                + 0.8 * math.exp(-((hour - 8.5) ** 2) / 6)
                + 1.0 * math.exp(-((hour - 18) ** 2) / 5)
            )
            if weekday >= 5:
                shape *= 0.7
            shape *= 0.85 + 0.3 * _mix(self.seed, ch, day)  # day-to-day variation
        return max(0, int(round(spec.mean_wh * scale * shape * noise)))

    def _extend_to(self, end: int) -> None:
        """Close every interval that ends at or before ``end`` (epoch s, meter time)."""
        start = self._starts[-1] + self.period_s if self._starts else self._first
        channels = self.description.channels
        for ts in range(start, end, self.period_s):
            if ts in self._values:
                continue
            self._values[ts] = [self._value(i, c, ts) for i, c in enumerate(channels)]
            bisect.insort(self._starts, ts)
            if self._sticky:  # alarm-never-clears: the flag is never reset
                self._status[ts] = self._status.get(ts, 0) | self._sticky

    def _refresh(self) -> None:
        self._extend_to(self._floor(self._meter_epoch()))

    # -- reading ---------------------------------------------------------------------------------
    def profile_rows(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> list[tuple[datetime, list[int], int]]:
        """Closed intervals with ``start <= interval start < end``: ``(start, values_wh, status)``.

        The ``reading-changes-data`` defect bumps a stored value each time this is called.
        """
        with self._lock:
            self._refresh()
            lo = 0 if start is None else bisect.bisect_left(self._starts, int(start.timestamp()))
            hi = (
                len(self._starts)
                if end is None
                else bisect.bisect_left(self._starts, math.ceil(end.timestamp()))
            )
            if self._stop_at is not None:
                hi = min(hi, bisect.bisect_left(self._starts, self._stop_at))
            out = [
                (datetime.fromtimestamp(ts, UTC), list(self._values[ts]), self._status.get(ts, 0))
                for ts in self._starts[lo:hi]
                if ts not in self._lost
            ]
            if "reading-changes-data" in self.defects and out:
                ts = int(out[0][0].timestamp())  # the oldest period read: inside any window
                self._values[ts][0] += 1  # the act of reading bumps a stored value
            return out

    def interval_count(self) -> int:
        with self._lock:
            self._refresh()
            if self._stop_at is None:
                return len(self._starts) - len(self._lost)
            held = bisect.bisect_left(self._starts, self._stop_at)
            return held - sum(1 for ts in self._lost if ts < self._stop_at)

    def registers_wh(self) -> list[tuple[ChannelSpec, int]]:
        """Cumulative registers: base + every closed interval's advance (Wh / varh)."""
        with self._lock:
            self._refresh()
            totals = [c.register_base_wh for c in self.description.channels]
            for ts in self._starts:
                for i, v in enumerate(self._values[ts]):
                    totals[i] += v
            return list(zip(self.description.channels, totals, strict=True))

    def instantaneous(self) -> dict[str, tuple[float, str]]:
        """V, I per phase, P (W), PF and f (Hz) that move with time; OBIS → (value, unit)."""
        with self._lock:
            t = self._clock().timestamp()
            out: dict[str, tuple[float, str]] = {}
            total_p = 0.0
            for n, (v_obis, i_obis) in enumerate(
                (
                    ("1.0.32.7.0.255", "1.0.31.7.0.255"),
                    ("1.0.52.7.0.255", "1.0.51.7.0.255"),
                    ("1.0.72.7.0.255", "1.0.71.7.0.255"),
                )
            ):
                on = self.powered and self._phases_ok[n]
                volts = 230.0 + 3.0 * math.sin(t / 7.0 + n) + 0.5 * _mix(self.seed, n, int(t * 10))
                amps = 40.0 + 12.0 * math.sin(t / 23.0 + 2 * n) + _mix(self.seed, n + 3, int(t))
                volts, amps = (round(volts, 1), round(amps, 2)) if on else (0.0, 0.0)
                out[v_obis] = (volts, "V")
                out[i_obis] = (amps, "A")
                total_p += volts * amps * 0.95
            sign = -1.0 if self._reverse else 1.0
            out["1.0.1.7.0.255"] = (round(sign * total_p, 1), "W")
            out["1.0.13.7.0.255"] = (round(0.95 + 0.03 * math.sin(t / 31.0), 3), "")
            out["1.0.14.7.0.255"] = (round(50.0 + 0.05 * math.sin(t / 11.0), 3), "Hz")
            return out

    def events(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> list[MeterEvent]:
        """Event log entries (meter time) in ``[start, end)``; never cleared by reading (unless
        the ``clear-alarms-on-read`` defect is on)."""
        with self._lock:
            lo = start.timestamp() if start else -math.inf
            hi = end.timestamp() if end else math.inf
            out = [
                MeterEvent(datetime.fromtimestamp(t, UTC), code, EventCode(code).text)
                for t, code in self._events
                if lo <= t < hi
            ]
            if "clear-alarms-on-read" in self.defects and out:
                self._events.clear()
                self._status.clear()
            return out

    def status_of(self, when: datetime) -> int:
        """Status flags of the interval containing ``when`` (open intervals included)."""
        with self._lock:
            return self._status.get(self._floor(when.timestamp()), 0)

    # -- access ----------------------------------------------------------------------------------
    def association(self, sap: int) -> AssociationSpec | None:
        return next((a for a in self.description.associations if a.sap == sap), None)

    def check_password(self, expected: str, given: str | bytes | None) -> bool:
        """True when ``given`` matches (case-sensitive). A refusal is logged as an event."""
        if isinstance(given, bytes):
            given = given.decode("latin-1")
        given = given or ""
        lo, hi = PASSWORD_LENGTHS
        if "password-length-unchecked" in self.defects:
            # the defect: a fixed-size compare that ignores whatever follows the stored password
            ok = bool(expected) and given[: len(expected)] == expected
        else:
            ok = given == expected and (not expected or lo <= len(given) <= hi)
        if not ok:
            self.log(EventCode.WRONG_PASSWORD)
            if "accept-wrong-password" in self.defects:
                return True
        return ok

    # -- changes through a port ------------------------------------------------------------------
    def set_clock(self, new_meter_time: datetime) -> None:
        """A client set the clock through a port: the event is logged and the periods flagged."""
        if new_meter_time.tzinfo is None:
            raise ValueError("the new meter time must be timezone-aware (UTC)")
        _check_offset(new_meter_time - self._clock(), "clock set")
        with self._lock:
            old = self.meter_now()
            self._refresh()
            unflagged = "clock-correction-unflagged" in self.defects
            if not unflagged:
                self.log(EventCode.CLOCK_SET)
            self._offset = new_meter_time - self.true_now()
            if "period-double-counted-after-clock-forward" in self.defects and new_meter_time < old:
                # the defect: the closed periods the clock re-enters count their energy again
                for ts in self._starts:
                    if new_meter_time.timestamp() - self.period_s < ts < old.timestamp() and (
                        ts + self.period_s <= old.timestamp()
                    ):
                        self._values[ts] = [2 * v for v in self._values[ts]]
            self._refresh()
            if not unflagged:
                self._flag(new_meter_time.timestamp(), EventCode.CLOCK_SET.flag)
                self._flag(old.timestamp(), EventCode.CLOCK_SET.flag)

    def change_parameter(self, name: str, value: object) -> None:
        """A client changed a parameter other than date/time through a port."""
        with self._lock:
            self.parameters[name] = value
            self.log(EventCode.DATA_CHANGE)

    def log(self, code: EventCode, flag: bool = True) -> None:
        """Append an event at the current meter time and tag its period's status."""
        with self._lock:
            now = self._meter_epoch()
            self._events.append((now, int(code)))
            if flag:
                self._flag(now, code.flag)

    def _flag(self, epoch: float, flag: int) -> None:
        if flag:
            ts = self._floor(epoch)
            self._status[ts] = self._status.get(ts, 0) | int(flag)
            if "alarm-never-clears" in self.defects:
                self._sticky |= int(flag)

    # -- bench actions (what a tester does by hand) ----------------------------------------------
    def phase_failure(self, phase: int) -> None:
        if phase not in (1, 2, 3):
            raise ValueError(f"phase must be 1, 2 or 3, not {phase}")
        with self._lock:
            self._phases_ok[phase - 1] = False
            self.log(EventCode(EventCode.PHASE_FAILURE_L1 + phase - 1))

    def phase_restore(self, phase: int) -> None:
        if phase not in (1, 2, 3):
            raise ValueError(f"phase must be 1, 2 or 3, not {phase}")
        with self._lock:
            self._phases_ok[phase - 1] = True
            self.log(EventCode.PHASE_RESTORED, flag=False)

    def supply_cut(self) -> None:
        with self._lock:
            if self.powered:
                self.log(EventCode.SUPPLY_FAILURE)
                self.powered = False
                self._cut_at = self._meter_epoch()

    def supply_restore(self) -> None:
        with self._lock:
            if self.powered:
                return
            self.powered = True
            self._refresh()
            if self._cut_at is not None:  # every period the outage touched carries the alarm
                for ts in range(self._floor(self._cut_at), self._floor(self._meter_epoch()) + 1,
                                self.period_s):  # fmt: skip
                    self._flag(ts, EventCode.SUPPLY_FAILURE.flag)
            self.log(EventCode.SUPPLY_RESTORED)
            if "lose-data-on-supply-cut" in self.defects and self._cut_at is not None:
                cut = self._floor(self._cut_at)
                self._lost.update(ts for ts in self._starts if cut - 86400 <= ts < cut)

    def battery_fault(self) -> None:
        with self._lock:
            self._battery_ok = False
            if self.description.fitted("battery"):
                self.log(EventCode.BATTERY_FAULT)

    def battery_restore(self) -> None:
        """The battery is replaced: the condition clears (no event)."""
        with self._lock:
            self._battery_ok = True

    def set_password(self, level: int, password: str) -> str:
        """A password set through a port (or the manufacturer's tool); returns what is stored
        (cut to 8 characters with the ``password-truncated-at-8`` defect). A password outside
        6–12 characters is refused (ValueError)."""
        lo, hi = PASSWORD_LENGTHS
        if not lo <= len(password) <= hi:
            raise ValueError(f"password of {len(password)} characters refused ({lo}–{hi})")
        with self._lock:
            stored = password[:8] if "password-truncated-at-8" in self.defects else password
            self.passwords[int(level)] = stored
            self.log(EventCode.DATA_CHANGE)
            return stored

    def password_of(self, level: int, default: str) -> str:
        """The password in force for ``level`` (set through a port, else ``default``)."""
        with self._lock:
            return self.passwords.get(int(level), default)

    def reset(self) -> None:
        with self._lock:
            if self.description.fitted("reset_alarm"):
                self.log(EventCode.RESET)

    def reverse(self, on: bool = True) -> None:
        with self._lock:
            if on != self._reverse:
                self._reverse = on
                if not self.description.fitted("reverse_running"):
                    return
                self.log(
                    EventCode.REVERSE_RUNNING if on else EventCode.REVERSE_RUNNING_END, flag=on
                )

    def set_clock_offset(self, minutes: float) -> None:
        """Bench set-up: meter clock = true UTC + ``minutes`` (no event: not via a port).

        :raises ValueError: ``minutes`` not a finite number within ±400 days.
        """
        if not isinstance(minutes, int | float) or not math.isfinite(minutes):
            raise ValueError(f"clock offset must be a finite number of minutes, not {minutes!r}")
        if abs(minutes) > MAX_CLOCK_OFFSET.total_seconds() / 60:
            raise ValueError(
                f"clock offset {minutes} min is beyond ±{MAX_CLOCK_OFFSET.days} days of true time"
            )
        with self._lock:
            self._refresh()
            self._offset = timedelta(minutes=minutes)
            self._refresh()

    def state(self) -> dict:
        """A summary for bench control and the GUI."""
        with self._lock:
            return {
                "meter": self.description.name,
                "serial": self.description.serial,
                "meter_time": self.meter_now().isoformat(),
                "clock_offset_s": self.clock_offset_s,
                "advanced_s": self.advanced_s,
                "powered": self.powered,
                "phases_ok": list(self._phases_ok),
                "battery_ok": self._battery_ok,
                "reverse": self._reverse,
                "intervals": len(self._starts) - len(self._lost),
                "events": len(self._events),
                "defects": sorted(self.defects),
                "period_min": self.period_min,
                "parameters": dict(self.parameters),
            }


@dataclass
class SimOptions:
    """Options shared by every simulator front end (see ``bench-app simulate``)."""

    meter: str = "prometer100"
    seed: int = 1
    days: int | None = None
    period_min: int | None = None
    defects: list[str] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    baud_emulation: bool = False
    password: str | None = None  #: overrides the description's IEC password / level-2 secret
    #: DLMS objects to leave out (any OBIS spelling), to rehearse meters that lack them.
    without: list[str] = field(default_factory=list)

    def build_meter(self, clock: Callable[[], datetime] | None = None) -> SimMeter:
        return SimMeter(
            MeterDescription.load(self.meter),
            seed=self.seed,
            days=self.days,
            period_min=self.period_min,
            clock=clock,
            defects=self.defects,
        )
