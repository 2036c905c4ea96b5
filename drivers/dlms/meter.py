"""DLMS/COSEM meter driver: :class:`drivers.meter.MeterDriver` for ``protocol="dlms"``.

Builds the stack from :class:`~drivers.meter.ConnectOptions`: a
:class:`~drivers.transport.SerialTransport` (8N1 at ``baud``, default 9600; or 300 7E1 then mode
E when ``mode_e``), an :class:`~drivers.dlms.link.HdlcLink` or
:class:`~drivers.dlms.link.WrapperLink` (``framing``), then a
:class:`~drivers.dlms.client.DlmsClient`. The LLS password never enters the trace: the client
passes its place in the AARQ to the link, which masks it in every frame it writes.

:meth:`DlmsMeter.read_profile` asks for one day per range GET and hands each day's rows to
``on_block`` before asking for the next; ``progress(days_done, days_total)``.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from drivers.description import Description, builtin_dir, load_description
from drivers.dlms import client as C
from drivers.dlms.apdu import AccessDenied
from drivers.dlms.client import DlmsClient
from drivers.dlms.link import HdlcLink, Link, WrapperLink, mode_e_sign_on
from drivers.dlms.profile_access import RangeAccess, access_for
from drivers.dlms.sn import SnClient
from drivers.errors import DriverError, ObjectError, ProtocolError
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
from drivers.transport import HDLC_8N1, IEC_SIGN_ON, SerialTransport, Transport

log = logging.getLogger(__name__)

BLOCK = timedelta(days=1)  #: unit of a profile range request (whole days)
#: a profile block is sized to take about this long on the wire (crash safety vs. overhead), s.
BLOCK_TARGET_S = 15.0
MAX_BLOCK_DAYS = 31
MAX_SPAN = timedelta(days=400)  #: the furthest back a read without a start goes
T = TypeVar("T")


@functools.cache
def default_description() -> Description:
    """The built-in ``prometer100`` description (the bench's reference outstation)."""
    return load_description(builtin_dir() / "prometer100.toml")


class DlmsMeter:
    """A DLMS/COSEM outstation reached as ``options`` say.

    :param options: connection options (``client_sap``, ``server_logical``, ``server_physical``,
        ``password``, ``framing``, ``mode_e``, ``max_info``, ``baud``…).
    :param transport: inject a transport (tests); opened on :meth:`connect` if needed.
    """

    protocol = "dlms"

    def __init__(self, options: ConnectOptions, *, transport: Transport | None = None) -> None:
        self.options = options
        self.trace = options.trace
        self._transport = transport
        self.transport: Transport | None = None
        self.link: Link | None = None
        self.client: DlmsClient | None = None
        self.identification: str | None = None  #: mode E identification line
        #: load-profile channels; set by :meth:`read_profile` before its first ``on_block``.
        self.profile_channels: list[Channel] = []
        #: where this meter type keeps its objects, its event codes and status bits.
        self.description: Description = options.description or default_description()
        #: what could not be read so far (optional objects missing, refused or undecodable).
        self.warnings: list[ReadWarning] = []
        self._status_warned = False
        self._list_ok = True  #: GET-with-list still worth trying on this association
        self._clock_seen: tuple[datetime, float] | None = None  #: meter time, monotonic s
        #: whole days per profile range GET; None = sized from the line baud (days_per_block)
        self.block_days: int | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def connect(self) -> None:
        o = self.options
        baud = o.baud or 9600
        settings = IEC_SIGN_ON if o.mode_e else HDLC_8N1.with_baud(baud)
        transport = self._transport or SerialTransport(
            o.url, settings, timeout=o.timeout, echo=o.echo, trace=o.trace
        )
        transport.open()
        self.transport = transport
        if o.mode_e:
            self.identification, _ = mode_e_sign_on(
                transport, max_baud=baud, device_address=o.device_address,
                reaction_ms=o.reaction_ms,
            )  # fmt: skip
        if o.framing == "wrapper":
            self.link = WrapperLink(
                transport, client_sap=o.client_sap, server_logical=o.server_logical
            )
        elif o.framing == "hdlc":
            self.link = HdlcLink(
                transport,
                client_sap=o.client_sap,
                server_logical=o.server_logical,
                server_physical=o.server_physical,
                max_info=o.max_info,
                window=o.window,
                timeout=o.timeout,
            )
        else:
            raise ValueError(f"unknown DLMS framing {o.framing!r}; use 'hdlc' or 'wrapper'")
        d = self.description
        client_cls = SnClient if (o.referencing or d.referencing) == "sn" else DlmsClient
        self.client = client_cls(self.link, client_sap=o.client_sap)
        self.client.calling_ap_title = o.calling_ap_title
        self.client.status_obis = d.profile_status or C.OBIS_STATUS
        self.client.range_deviation_unspecified = d.has_quirk("range_deviation_unspecified")
        #: event logs of a meter without range selection are read whole and filtered
        self.client.whole_buffers = self.profile_access != "range"
        self.link.connect()
        self.client.associate(o.password)  # the link traces the AARQ's password masked

    def close(self) -> None:
        try:
            if self.client is not None:
                self.client.release()
        except Exception:  # close never raises: a failed release is logged, the port still closes
            log.warning("close: releasing the association failed", exc_info=True)
        finally:
            if self.transport is not None:
                try:
                    self.transport.close()
                except DriverError as exc:
                    log.warning("close: %s", exc)

    def _c(self) -> DlmsClient:
        if self.client is None:
            raise DriverError("not connected: call connect() first", port=self.options.url)
        return self.client

    # -- reads -----------------------------------------------------------------------------------
    def _warn(self, obj: str, attribute: int | str | None, reason: str) -> None:
        self.warnings.append(ReadWarning(obj, attribute, reason))

    def _optional(self, what: str, fn: Callable[[], T]) -> T | None:
        """``fn()``, or None with a warning when the object is missing, refused or undecodable."""
        try:
            return fn()
        except ObjectError as exc:
            self._warn(exc.obj or what, exc.attribute, f"{what}: {exc.reason}")
            return None

    def _use_list(self) -> bool:
        c = self._c()
        return (
            self._list_ok
            and c.can_get_with_list
            and not self.description.has_quirk("no_get_with_list")
        )

    def _fetch(self, items: list[tuple[int, str, int]]) -> list[Any]:
        """Values of ``items`` (class, OBIS, attribute): one GET-with-list when the association
        allows it, else one GET each. A failed item is its :class:`ObjectError`, not a raise."""
        c = self._c()
        if len(items) > 1 and self._use_list():
            try:
                return c.get_list(items)
            except ObjectError:
                raise
            except ProtocolError:
                self._list_ok = False  # conformance says yes, the meter says no: one by one
        out: list[Any] = []
        for class_id, obis, attr in items:
            try:
                out.append(c.get(class_id, obis, attr))
            except ObjectError as exc:
                out.append(exc)
        return out

    def _text(self, what: str, obis: str, value: Any) -> str | None:
        if isinstance(value, ObjectError):
            self._warn(value.obj or obis, value.attribute, f"{what}: {value.reason}")
            return None
        if isinstance(value, bytes | str | int) and not isinstance(value, bool):
            return C._text(value)
        self._warn(obis, 2, f"{what}: {type(value).__name__} value is not text")
        return None

    def _profile_layout(self, obis: str) -> tuple[int, list[C.CaptureObject]]:
        """The profile's period and columns, in two GET-with-lists when the meter allows."""
        c = self._c()
        if self._use_list():
            try:
                return c.profile_layout(obis, with_list=True)
            except ObjectError:
                raise
            except ProtocolError:
                self._list_ok = False  # conformance says yes, the meter says no: one by one
        return c.profile_layout(obis)

    def read_identity(self) -> Identity:
        """Logical device name, serial, outstation type and each firmware identifier at the
        OBIS codes the description names (one GET-with-list when allowed); one that is missing
        or refused is a warning (the serial falls back to the logical device name)."""
        d = self.description
        # order: device name, serial, firmware identifiers, then the type code
        names = [(k.replace("_", " "), o) for k, o in d.identity.items() if k != "outstation_type"]
        names += [(f"{role} firmware identifier", o) for role, o in d.firmware.items()]
        if "outstation_type" in d.identity:
            names.append(("outstation type", d.identity["outstation_type"]))
        values = self._fetch([(C.CLASS_DATA, o, 2) for _, o in names])
        texts = {w: self._text(w, o, v) for (w, o), v in zip(names, values, strict=True)}
        firmware = {
            role: texts[f"{role} firmware identifier"]
            for role in d.firmware
            if texts[f"{role} firmware identifier"] is not None
        }
        ldn = texts.get("logical device name")
        return Identity(
            serial=texts.get("serial") or ldn or "",
            manufacturer=(ldn or "")[:3],
            model=ldn or "",
            outstation_type=texts.get("outstation type"),
            firmware=firmware,  # type: ignore[arg-type]
            logical_device_name=ldn,
        )

    def _meter_now(self) -> datetime:
        """The meter's clock now: the last reading moved on by the time since, else a read."""
        if self._clock_seen is not None:
            seen, at = self._clock_seen
            return seen + timedelta(seconds=time.monotonic() - at)
        meter = self._c().read_clock().to_datetime()
        return utc(meter) if meter is not None else utc(datetime.now().astimezone())

    def read_clock(self) -> ClockReading:
        cdt = self._c().read_clock()
        pc = datetime.now().astimezone()
        meter = cdt.to_datetime()
        if meter is not None:
            self._clock_seen = (utc(meter), time.monotonic())
        if meter is None:
            raise ObjectError(
                f"meter clock has unspecified fields: {cdt}",
                obj=C.OBIS_CLOCK,
                attribute=2,
                reason="clock has unspecified fields",
                step="clock",
            )
        return ClockReading.of(meter, pc)

    def set_clock(self, meter_time: datetime) -> ClockReading:
        c = self._c()
        if c.clock_deviation == 0:
            try:
                c.read_clock()  # learn the meter's deviation before writing
            except DriverError as exc:
                log.info("set clock: could not read the deviation first (%s); sending UTC", exc)
        c.set_clock(meter_time)
        return self.read_clock()

    def _registers(self, what: str, codes: Iterable[str]) -> list[RegisterValue]:
        """Each register that reads; when the association level is refused *every* one, that
        is an access problem, not a missing object: the refusal is raised (exit 5, hint)."""
        c = self._c()
        codes = list(codes)
        out, denied = [], None
        if len(codes) > 1 and self._use_list():
            values = self._fetch([(C.CLASS_REGISTER, o, a) for o in codes for a in (3, 2)])
            results: list[RegisterValue | ObjectError] = []
            for i, obis in enumerate(codes):
                su, raw = values[2 * i], values[2 * i + 1]
                try:
                    for v in (su, raw):
                        if isinstance(v, ObjectError):
                            raise v
                    scaler, unit = c.remember_scaler_unit(obis, su)
                    results.append(RegisterValue(obis, C.scale(raw, scaler, obis), unit))
                except ObjectError as exc:
                    results.append(exc)
        else:
            results = []
            for obis in codes:
                try:
                    results.append(c.read_register(obis))
                except ObjectError as exc:
                    results.append(exc)
        for obis, r in zip(codes, results, strict=True):
            if isinstance(r, ObjectError):
                if isinstance(r, AccessDenied) and denied is None:
                    denied = r
                self._warn(r.obj or obis, r.attribute, f"{what}: {r.reason}")
            else:
                out.append(r)
        if denied is not None and not out:
            raise denied
        return out

    def read_registers(self) -> list[RegisterValue]:
        """The description's energy registers; each missing/refused one is a warning."""
        return self._registers("energy register", [r.obis for r in self.description.registers])

    def read_instantaneous(self) -> list[RegisterValue]:
        return self._registers("instantaneous value", self.description.instantaneous)

    def read_profile(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        on_block: BlockCallback | None = None,
        progress: ProgressCallback | None = None,
    ) -> Profile:
        """Channels, units and scalers from the meter's own capture objects and scaler_unit.

        The span is bounded: without ``start`` it goes back ``entries_in_use`` periods, at most
        :data:`MAX_SPAN`; one range GET per block of whole days (:meth:`days_per_block`, each
        handed to ``on_block`` before the next is asked for). Status words are mapped to bench flags
        with the description's ``status_bits``.
        """
        c = self._c()
        obis = self.description.load_profile
        period_s, columns = self._profile_layout(obis)
        if not 60 <= period_s <= 86400:
            raise C.bad_value(obis, 4, f"capture_period {period_s} s is not a load profile period")
        period = timedelta(seconds=period_s)
        channels = c.channels(columns)
        self.profile_channels = channels
        if end is None:
            now = c.read_clock().to_datetime() or datetime.now().astimezone()
            end = utc(now)
        if start is None:
            entries = self._optional("entries_in_use", lambda: c.get(C.CLASS_PROFILE, obis, 7))
            if not isinstance(entries, int) or isinstance(entries, bool) or entries <= 0:
                entries = MAX_SPAN // period
            start = utc(end) - min(period * (entries + 1), MAX_SPAN)
        start, end = utc(start), utc(end)
        # align the start to a period boundary (rows start on boundaries)
        offset = (start - start.replace(hour=0, minute=0, second=0, microsecond=0)) % period
        start = start - offset
        step = BLOCK * self.days_per_block(period_s, len(columns))
        total = max(1, -(-(end - start) // BLOCK))
        rows: list[ProfileRow] = []
        done = 0
        if progress:
            progress(0, total)
        access = access_for(c, obis, period_s, columns, self.profile_access)
        block_start = start
        while block_start < end:
            block_end = min(block_start + step, end)
            block = access.rows(block_start, block_end)
            for row in block:
                row.status = self._flags(row.status)
            rows.extend(block)
            if on_block and block:
                on_block(block)
            done = min(total, done + step // BLOCK)
            if progress:
                progress(done, total)
            block_start = block_end
        self._check_profile(access, rows, start, end)
        return Profile(period_s // 60, channels, rows)

    @property
    def profile_access(self) -> str:
        """How the load profile is asked for: ``range``, ``entry`` or ``none`` (whole buffer)."""
        d = self.description
        if d.has_quirk("no_selective_access"):
            return "none"
        return "entry" if d.has_quirk("entry_based_profile") else "range"

    def _check_profile(
        self, access: RangeAccess, rows: list[ProfileRow], start: datetime, end: datetime
    ) -> None:
        """Never a silent empty or short read: warn when the meter holds entries in
        ``[start, end)`` but none came back, and when the span reaches past the newest entry the
        meter holds while its clock is well beyond that entry (the profile stopped capturing).
        Costs nothing when the rows reach the span's end or the meter's latest period."""
        obis, period = access.obis, access.period
        newest = rows[-1].start + period if rows else None
        if newest is not None and end - newest <= 2 * period:
            return
        later: datetime | None = None
        try:
            now = self._meter_now()
            if newest is not None and now - newest <= 2 * period:
                return  # the newest row is the meter's latest period: the span ends ahead
            try:
                held = access.held()
            except ObjectError as exc:  # no entry selection: look past the span by range
                held = None
                later = access.newest_after(newest or start, min(now, end + BLOCK))
                if not rows and later is None:
                    self._warn(obis, 2, "load profile: no rows for the span, and the times of "
                                        f"the entries the meter holds could not be read "
                                        f"({exc.reason})")  # fmt: skip
                    return
        except ObjectError:
            return
        if held is None:
            last = later if later is not None else newest
        else:
            last = held[1]
            if not rows and held[0] - period < end and start < held[1]:
                self._warn(
                    obis, 2,
                    f"load profile: the meter holds entries from {held[0]:%Y-%m-%d %H:%M} to "
                    f"{held[1]:%Y-%m-%d %H:%M} UTC, but none came back for {start:%Y-%m-%d %H:%M}"
                    f"–{end:%Y-%m-%d %H:%M} ({self.profile_access} selection)",
                )  # fmt: skip
                return
        if last is not None and end - last > 2 * period and now - last > 2 * period:
            self._warn(
                obis, 2,
                f"load profile: the newest entry the meter holds ends at {last:%Y-%m-%d %H:%M} "
                f"UTC, {(now - last).total_seconds() / 3600:.1f} h before its clock "
                f"({now:%Y-%m-%d %H:%M} UTC) and before the span's end: the profile has stopped "
                "capturing",
            )  # fmt: skip

    def days_per_block(self, period_s: int, columns: int) -> int:
        """Whole days per range GET: :attr:`block_days` if set, else as many as take about
        :data:`BLOCK_TARGET_S` on the wire at the line baud (fewer requests, less overhead)."""
        if self.block_days:
            return self.block_days
        row_bytes = 18 + 5 * max(0, columns - 1)  # structure, date-time, uint32-ish columns
        per_day = (86400 // max(1, period_s)) * row_bytes
        target = BLOCK_TARGET_S * (self.options.baud or 9600) / 10
        return max(1, min(MAX_BLOCK_DAYS, int(target // per_day)))

    def _flags(self, raw: int) -> int:
        """Meter status word → bench flags; without ``[status_bits]`` it is kept as sent (warned
        once: the flags of such a read are the meter's bits, not the bench's)."""
        d = self.description
        if d.status_bits:
            return int(d.flags_of(raw))
        if raw and not self._status_warned:
            self._status_warned = True
            self._warn(d.profile_status, 2, f"description {d.name!r} maps no status bits")
        return raw

    def read_events(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> list[MeterEvent]:
        """Every event log the description names, merged by time; codes mapped to bench kinds.

        A log the meter lacks or refuses is a warning; a code the description does not map
        is kept as code 0 with the meter's number in the text, and warned about once."""
        d = self.description
        events: list[MeterEvent] = []
        unmapped: set[int] = set()
        for obis in d.event_logs:
            got = self._optional(
                f"event log {obis}", functools.partial(self._c().read_events, start, end, obis)
            )
            for e in got or []:
                kind = d.event_kind(e.code)
                if kind is None:
                    unmapped.add(e.code)
                    events.append(MeterEvent(e.time, 0, f"meter event code {e.code}"))
                else:
                    events.append(MeterEvent(e.time, int(kind), kind.text))
        for code in sorted(unmapped):
            self._warn(d.event_code, 2, f"event code {code} is not in description {d.name!r}")
        return sorted(events, key=lambda e: e.time)
