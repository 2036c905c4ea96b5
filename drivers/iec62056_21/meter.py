"""``Iec21Meter``: the :class:`drivers.meter.MeterDriver` for IEC 62056-21 meters (``"iec21"``).

Sessions:

- **with a password** — :meth:`connect` signs on in programming mode and sends ``P1`` at once, so
  a wrong password raises :class:`~drivers.errors.AuthenticationError` before anything is read.
  Identity, clock and registers are then read with ``R1`` (lazily, cached), the profile and events
  with ``R5``, the clock is set with ``W1``.
- **without a password** — :meth:`connect` takes the data readout (mode C, Y=0) and answers
  identity, clock, registers and instantaneous values from it; profile and events need a second
  sign-on in programming mode (read-only, no ``P1``), opened on first use.

The load profile is read in blocks of whole days, one ``R5 P.01`` each, and each block is handed
to ``on_block`` before the next is asked for. A block holds :attr:`Iec21Meter.block_days` days,
or by default as many as take about :attr:`Iec21Meter.block_target_s` (10 s) on the wire at the
negotiated baud (1 day at 300 Bd, ~5 days at 9600 Bd): every request costs the meter's reaction
time (200 ms for most meters), so fewer, larger blocks read faster while a crash still loses at
most ~10 s of reading. Without an end time the read ends at the day after the *meter's* clock
(not the PC's: a meter days behind the PC would otherwise answer only empty blocks). Without a
start time the driver walks back block by block from the end until at least
:attr:`Iec21Meter.empty_blocks_stop` consecutive blocks covering at least
:attr:`Iec21Meter.empty_days_stop` days come back empty, so small blocks do not stop at a short
gap (``on_block`` then sees the newest block first).
"""

from __future__ import annotations

import logging
import math
import re
from datetime import UTC, datetime, timedelta

from drivers.errors import AuthenticationError, DriverError, ObjectError, ProtocolError
from drivers.iec62056_21.client import Iec21Client
from drivers.iec62056_21.profile import LoadProfile
from drivers.iec62056_21.readout import DataSet, Readout, normalise_address
from drivers.meter import BlockCallback, ConnectOptions, ProgressCallback
from drivers.model import (
    Channel,
    ClockReading,
    Identity,
    MeterEvent,
    Profile,
    ProfileRow,
    ReadWarning,
    RegisterValue,
    utc,
)
from drivers.obis import canonical
from drivers.transport import IEC_SIGN_ON, SerialTransport, Transport

log = logging.getLogger(__name__)

#: cumulative energy registers read in programming mode.
REGISTERS = ("1.8.0", "2.8.0", "3.8.0", "4.8.0")
#: instantaneous values: V L1-L3, I L1-L3, active power, power factor, frequency.
INSTANTANEOUS = (
    "32.7.0",
    "52.7.0",
    "72.7.0",
    "31.7.0",
    "51.7.0",
    "71.7.0",
    "1.7.0",
    "13.7.0",
    "14.7.0",
)
_MIN = timedelta(minutes=1)
#: line speed of a mode D push when ``--baud`` is not given (IEC 62056-21 mode D: 2400 Bd).
MODE_D_BAUD = 2400
_DAY = timedelta(days=1)
_ENERGY = re.compile(r"^[1-4]\.8\.\d+$")


def _number(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _parse_clock(date_text: str, time_text: str) -> datetime:
    d, t = _digits(date_text)[-6:], _digits(time_text)
    t = t[-6:] if len(t) >= 6 else (t + "00")[-6:]
    try:
        return datetime.strptime(d + t, "%y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        raise ObjectError(
            f"bad meter clock date {date_text!r} time {time_text!r}",
            obj="0.9.1/0.9.2",
            reason=f"clock date {date_text!r} time {time_text!r} is not a date and time",
            step="read clock",
        ) from None


def _day_floor(dt: datetime) -> datetime:
    return datetime(dt.year, dt.month, dt.day, tzinfo=UTC)


class Iec21Meter:
    """IEC 62056-21 meter driver (see the module docstring for the session rules).

    :param options: port URL, password, maximum baud, device address, echo, timeout (s),
        reaction time (ms) and trace.
    :param transport: inject a transport (tests); default a :class:`SerialTransport` on
        ``options.url`` at 300 7E1.
    """

    protocol = "iec21"
    #: whole days per R5 request; None = sized so that a block takes ~block_target_s on the wire
    block_days: int | None = None
    block_target_s = 10.0
    #: without a start time: stop walking back after this many empty blocks ...
    empty_blocks_stop = 3
    #: ... covering at least this many days
    empty_days_stop = 7

    def __init__(self, options: ConnectOptions, transport: Transport | None = None) -> None:
        self.options = options
        self.trace = options.trace
        self.transport = transport or SerialTransport(
            options.url, IEC_SIGN_ON, timeout=options.timeout, echo=options.echo, trace=self.trace
        )
        self.client = Iec21Client(
            self.transport,
            device_address=options.device_address,
            max_baud=options.baud,
            reaction_ms=options.reaction_ms,
        )
        self.readout: Readout | None = None
        self._cache: dict[str, DataSet] = {}
        self.period_min = 0
        self.profile_channels: list[Channel] = []
        self._day_bytes = 0.0  # measured answer bytes per day of profile
        #: what could not be read / checked (e.g. a telegram without BCC)
        self.warnings: list[ReadWarning] = []

    # -- session ---------------------------------------------------------------------------------
    def connect(self) -> None:
        self.transport.open()
        if self.options.listen_only:
            self._listen()
            return
        try:
            if self.options.password is not None:
                self.client.start_programming(self.options.password)
            else:
                self.readout = self.client.read_out()
                p = self.readout.get("0.8.4")
                if p is not None and _digits(p.value):
                    self.period_min = int(_digits(p.value))
        except DriverError:
            self.close()
            raise

    def _address(self, key: str, default: str) -> str:
        """An IEC address from the meter description's ``[iec21]`` table, else ``default``."""
        d = self.options.description
        return d.iec21.get(key, default) if d is not None else default

    @property
    def _time(self) -> str:
        return self._address("time", "0.9.1")

    @property
    def _date(self) -> str:
        return self._address("date", "0.9.2")

    def _listen(self) -> None:
        """Mode D: take one pushed telegram, sending nothing (no sign-on, no password)."""
        self.transport.set_line(IEC_SIGN_ON.with_baud(self.options.baud or MODE_D_BAUD))
        try:
            self.readout = self.client.listen(timeout=max(30.0, self.options.timeout * 10))
        except DriverError:
            self.close()
            raise
        if not self.readout.framed:
            self.warnings.append(
                ReadWarning(
                    "telegram", None, "sent without STX/ETX: no BCC, its integrity was not checked"
                )
            )

    def _listening(self, what: str, address: str) -> None:
        if self.options.listen_only:
            raise ObjectError(
                f"{what}: a pushed telegram carries none (listen-only)",
                obj=address,
                reason="not available in listen-only mode (the meter pushes no such data)",
            )

    def close(self) -> None:
        try:
            if self.client.mode == "programming":
                self.client.send_break()
        except DriverError as exc:
            log.info("close: break command not sent (%s)", exc)
        finally:
            self.transport.close()

    def _programming(self) -> None:
        if self.client.mode != "programming":
            self.client.start_programming(self.options.password)

    def _get(self, address: str, *, fresh: bool = False) -> DataSet | None:
        """A data set from the readout, or via R1 in programming mode (None: the meter has none)."""
        if self.readout is not None and not fresh:
            return self.readout.get(address)
        if not fresh and address in self._cache:
            return self._cache[address]
        self._programming()
        try:
            ds = self.client.read_register(address)
        except ProtocolError as exc:
            if "(ERROR)" in exc.message:
                return None
            raise
        self._cache[address] = ds
        return ds

    # -- reads -----------------------------------------------------------------------------------
    def read_identity(self) -> Identity:
        ident = self.client.identification
        serial_set = self._get(self._address("serial", "C.1.0")) or self._get("0.0.0")
        firmware = self._get("0.2.0")
        return Identity(
            serial=serial_set.value if serial_set else "",
            manufacturer=ident.flag if ident else "",
            model=ident.ident if ident else "",
            firmware={"application": firmware.value} if firmware and firmware.value else {},
        )

    def read_clock(self) -> ClockReading:
        if self.readout is not None:
            d, t = self.readout.get(self._date), self.readout.get(self._time)
            if d is None or t is None:
                raise ObjectError(
                    "the readout has no 0.9.1/0.9.2 clock",
                    obj="0.9.1/0.9.2",
                    reason="not in the readout",
                    step="read clock",
                )
            pc = self.client.readout_times.get(t.address, datetime.now(UTC))
            return ClockReading.of(_parse_clock(d.value, t.value), pc)
        d = self._get(self._date, fresh=True)
        t = self._get(self._time, fresh=True)
        pc = datetime.now(UTC)
        if d is None or t is None:
            raise ObjectError(
                "the meter has no 0.9.1/0.9.2 clock",
                obj="0.9.1/0.9.2",
                reason="the meter has none",
                step="read clock",
            )
        if _digits(t.value)[-6:] < "000030":  # the date may have rolled over before the time read
            d = self._get(self._date, fresh=True) or d
        return ClockReading.of(_parse_clock(d.value, t.value), pc)

    def set_clock(self, meter_time: datetime) -> ClockReading:
        """``W1 0.9.1`` (time) then ``W1 0.9.2`` (date); needs the programming password."""
        if self.options.listen_only:
            raise ProtocolError("listen-only: the bench sends nothing, so cannot set the clock")
        if self.options.password is None:
            raise AuthenticationError(
                "setting the clock needs the programming password",
                port=self.options.url,
                step="set clock",
            )
        self._programming()
        when = utc(meter_time)
        self.client.write_register(self._time, when.strftime("%H%M%S"))
        self.client.write_register(self._date, when.strftime("%y%m%d"))
        self.readout = None  # the cached readout clock is stale now
        return self.read_clock()

    def _values(self, addresses: tuple[str, ...], match) -> list[RegisterValue]:
        if self.readout is not None:
            sets = [d for d in self.readout.datasets if match(d.address)]
        else:
            sets = [d for d in (self._get(a) for a in addresses) if d is not None]
        return [
            RegisterValue(canonical(d.address), _number(d.value), d.unit) for d in sets if d.values
        ]

    def read_registers(self) -> list[RegisterValue]:
        d = self.options.description
        named = tuple(r.iec for r in d.registers if r.iec) if d is not None else ()
        if named:  # the description's registers (programming mode asks for exactly these)
            keys = {normalise_address(a) for a in named}
            return self._values(named, lambda a: normalise_address(a) in keys)
        return self._values(REGISTERS, lambda a: bool(_ENERGY.match(normalise_address(a))))

    def read_instantaneous(self) -> list[RegisterValue]:
        return self._values(INSTANTANEOUS, lambda a: normalise_address(a) in INSTANTANEOUS)

    def read_profile(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        on_block: BlockCallback | None = None,
        progress: ProgressCallback | None = None,
    ) -> Profile:
        """Rows with ``start <= row.start < end``, one ``R5 P.01`` per block of whole days.

        ``progress(days_done, days_total)`` (total 0 when walking back without a start).
        """
        self._listening("load profile", "P.01")
        self._programming()
        end = utc(end) if end else self._end_ceiling()
        start = utc(start) if start else None
        rows: list[ProfileRow] = []
        profile = Profile(self.period_min or 30, [])
        total = 0 if start is None else math.ceil((end - _day_floor(start)) / _DAY)
        done = empty = empty_days = n = 0
        hi = end
        lo = start if start is not None else end
        while True:
            days = self._days_per_block()
            if start is not None:
                if lo >= end:
                    break
                hi = min(end, _day_floor(lo) + days * _DAY)
            else:
                if empty >= self.empty_blocks_stop and empty_days >= self.empty_days_stop:
                    break
                lo = _day_floor(hi - timedelta(microseconds=1)) - (days - 1) * _DAY
            n += 1
            rx_before = self.trace.byte_counts()[1]
            block = self._block(lo, hi, n)
            block_days = (hi - lo) / _DAY
            if block.rows:
                profile.period_min = self.period_min = block.period_min
                profile.channels = profile.channels or [
                    Channel(canonical(c.obis), c.unit) for c in block.channels
                ]
                self.profile_channels = profile.channels
                if block_days >= 0.99:
                    self._day_bytes = (self.trace.byte_counts()[1] - rx_before) / block_days
            empty = 0 if block.rows else empty + 1
            empty_days = 0 if block.rows else empty_days + math.ceil(block_days)
            rows.extend(block.rows)
            done += math.ceil(block_days)
            if on_block is not None and block.rows:
                on_block(block.rows)
            if progress is not None:
                progress(min(done, total) if total else done, total)
            if start is not None:
                lo = hi
            else:
                hi = lo
        rows.sort(key=lambda r: r.start)
        profile.rows = rows
        return profile

    def _days_per_block(self) -> int:
        """Whole days per ``R5``: :attr:`block_days`, or (None) as many as fit in
        :attr:`block_target_s` seconds on the wire at the negotiated baud (1…31)."""
        if self.block_days:
            return self.block_days
        per_day = self._day_bytes
        if per_day <= 0:  # before the first block: 4 channels of ~10 characters per interval
            per_day = (1440 / (self.period_min or 30)) * (4 * 10 + 2)
        fit = self.block_target_s * self.client.baud / 10 / per_day
        return max(1, min(31, int(fit)))

    def _end_ceiling(self) -> datetime:
        """Midnight after the meter's clock (the PC's if the clock cannot be read)."""
        try:
            now = self.read_clock().meter_time
        except DriverError as exc:
            log.warning("meter clock unreadable (%s); the profile ends at the PC's date", exc)
            now = datetime.now(UTC)
        now += _DAY
        return datetime(now.year, now.month, now.day, tzinfo=UTC)

    def _block(self, lo: datetime, hi: datetime, n: int) -> LoadProfile:
        """Rows with ``lo <= start < hi`` (asks captures ceil_min(lo)+1 min … hi+period−1 min)."""
        period = timedelta(minutes=self.period_min or 60)
        first = lo.replace(second=0, microsecond=0)
        if first < lo:
            first += _MIN
        top = hi.replace(second=0, microsecond=0)
        if top < hi:
            top += _MIN
        request_to = top + period - _MIN
        step = f"profile block {n} ({lo:%Y-%m-%d %H:%M}..{hi:%Y-%m-%d %H:%M})"
        block = self.client.read_load_profile(first + _MIN, request_to, step=step)
        block.rows = [r for r in block.rows if lo <= r.start < hi]
        return block

    def read_events(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> list[MeterEvent]:
        self._listening("event log", "P.98")
        self._programming()
        lo = utc(start).replace(second=0, microsecond=0) if start else None
        hi = utc(end) if end else None
        events = self.client.read_event_log(lo, hi.replace(second=0, microsecond=0) if hi else None)
        return [
            e
            for e in events
            if (start is None or e.time >= utc(start)) and (hi is None or e.time < hi)
        ]
