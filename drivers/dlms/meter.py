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

import logging
from datetime import datetime, timedelta

from drivers.dlms import client as C
from drivers.dlms.client import DlmsClient
from drivers.dlms.link import HdlcLink, Link, WrapperLink, mode_e_sign_on
from drivers.errors import DriverError, ProtocolError
from drivers.meter import BlockCallback, ConnectOptions, ProgressCallback
from drivers.model import (
    Channel,
    ClockReading,
    Identity,
    MeterEvent,
    Profile,
    ProfileRow,
    RegisterValue,
    utc,
)
from drivers.transport import HDLC_8N1, IEC_SIGN_ON, SerialTransport, Transport

log = logging.getLogger(__name__)

BLOCK = timedelta(days=1)  #: span of one profile range request


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
                timeout=o.timeout,
            )
        else:
            raise ValueError(f"unknown DLMS framing {o.framing!r}; use 'hdlc' or 'wrapper'")
        self.client = DlmsClient(self.link, client_sap=o.client_sap)
        self.link.connect()
        self.client.associate(o.password)  # the link traces the AARQ's password masked

    def close(self) -> None:
        try:
            if self.client is not None:
                self.client.release()
        except Exception:  # noqa: BLE001 - close never raises
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
    def read_identity(self) -> Identity:
        return self._c().read_identity()

    def read_clock(self) -> ClockReading:
        cdt = self._c().read_clock()
        pc = datetime.now().astimezone()
        meter = cdt.to_datetime()
        if meter is None:
            raise ProtocolError(f"meter clock has unspecified fields: {cdt}", step="clock")
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

    def read_registers(self) -> list[RegisterValue]:
        return self._c().read_registers(C.ENERGY_REGISTERS)

    def read_instantaneous(self) -> list[RegisterValue]:
        return self._c().read_registers(C.INSTANTANEOUS, skip_missing=True)

    def read_profile(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        on_block: BlockCallback | None = None,
        progress: ProgressCallback | None = None,
    ) -> Profile:
        c = self._c()
        period_s, columns = c.profile_layout(C.OBIS_LOAD_PROFILE)
        period = timedelta(seconds=period_s)
        channels = c.channels(columns)
        self.profile_channels = channels
        if end is None:
            now = c.read_clock().to_datetime() or datetime.now().astimezone()
            end = utc(now)
        if start is None:
            try:
                entries = int(c.get(C.CLASS_PROFILE, C.OBIS_LOAD_PROFILE, 7))
            except DriverError:
                entries = 0
            if entries <= 0:
                start = utc(end) - timedelta(days=366)
            else:
                start = utc(end) - period * (entries + 1)
        start, end = utc(start), utc(end)
        # align the start to a period boundary (rows start on boundaries)
        offset = (start - start.replace(hour=0, minute=0, second=0, microsecond=0)) % period
        start = start - offset
        total = max(1, -(-(end - start) // BLOCK))
        rows: list[ProfileRow] = []
        done = 0
        if progress:
            progress(0, total)
        block_start = start
        while block_start < end:
            block_end = min(block_start + BLOCK, end)
            block = c.read_load_profile(block_start, block_end, layout=(period_s, columns))
            rows.extend(block)
            if on_block and block:
                on_block(block)
            done += 1
            if progress:
                progress(done, total)
            block_start = block_end
        return Profile(period_s // 60, channels, rows)

    def read_events(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> list[MeterEvent]:
        return self._c().read_events(start, end)
