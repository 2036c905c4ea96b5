"""DLMS/COSEM client (xDLMS, Logical Name referencing) and the bench's object conventions.

:class:`DlmsClient` runs on any :class:`~drivers.dlms.link.Link` (HDLC, wrapper, mode E):
:meth:`~DlmsClient.associate` (no security or LLS), :meth:`~DlmsClient.get` (with block transfer
and optional selective access), :meth:`~DlmsClient.set`, :meth:`~DlmsClient.action`,
:meth:`~DlmsClient.release`, and helpers that return :mod:`drivers.model` objects.

Objects the helpers read (the simulator implements the same):

=========================  =====  ======  ==================================================
OBIS                       class  attr    meaning / encoding
=========================  =====  ======  ==================================================
0.0.42.0.0.255             1      2       logical device name, octet-string (first 3 chars =
                                          manufacturer flag)
0.0.96.1.0.255             1      2       serial number, octet- or visible-string
0.0.96.1.1.255             1      2       outstation type code (``PRO``), string
1.0.0.2.0.255              1      2       firmware version, *metrology*, string
0.1.0.2.0.255              1      2       firmware version, *application*, string
0.2.0.2.0.255              1      2       firmware version, *communications*, string
0.0.1.0.0.255              8      2       clock, octet-string(12) COSEM date-time
1.0.1.8.0.255 … 1.0.4.8.0  3      2, 3    energy registers (A+, A−, R+, R−) with scaler_unit
1.0.32/52/72.7.0.255       3      2, 3    voltage L1/L2/L3
1.0.31/51/71.7.0.255       3      2, 3    current L1/L2/L3
1.0.1.7.0.255              3      2, 3    active power; 1.0.13.7.0.255 power factor;
                                          1.0.14.7.0.255 frequency
1.0.99.1.0.255             7      2,3,4   load profile: capture objects = clock, status
                                          (0.0.96.10.1.255 class 1, uint16 = StatusFlag bits),
                                          then channels (class 3 registers, raw integers
                                          scaled by each register's scaler_unit)
0.0.99.98.0.255            7      2,3     event log: capture = clock, event code
                                          (0.0.96.11.0.255 class 1, uint16 = EventCode)
=========================  =====  ======  ==================================================

Profile conventions: the clock column is the **end** of the integration period (a row stamped
00:30 covers 00:00–00:30, so ``ProfileRow.start`` = clock − period); a null clock means
"previous clock + period" (compressed buffers). Range selection (selector 1) is inclusive on
the clock column; the helpers ask for clock ∈ [start + period, end] so rows with
``start <= row.start < end`` come back. Date-times are sent with deviation 0 (UTC).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from drivers.dlms import apdu as A
from drivers.dlms import axdr, gbt
from drivers.dlms.axdr import CosemDateTime, DataType, Typed
from drivers.dlms.link import Link
from drivers.dlms.values import _is_int, _short, _text, bad_value, check_scaler_unit, scale
from drivers.errors import AuthenticationError, DriverError, ObjectError, ProtocolError
from drivers.model import (
    Channel,
    EventCode,
    Identity,
    MeterEvent,
    Profile,
    ProfileRow,
    RegisterValue,
    utc,
)
from drivers.redact import aarq_password_spans

log = logging.getLogger(__name__)

OBIS_LDN = "0.0.42.0.0.255"
OBIS_SERIAL = "0.0.96.1.0.255"
OBIS_OUTSTATION_TYPE = "0.0.96.1.1.255"
OBIS_FIRMWARE = {
    "metrology": "1.0.0.2.0.255",
    "application": "0.1.0.2.0.255",
    "communications": "0.2.0.2.0.255",
}
OBIS_CLOCK = "0.0.1.0.0.255"
OBIS_STATUS = "0.0.96.10.1.255"
OBIS_EVENT_CODE = "0.0.96.11.0.255"
OBIS_LOAD_PROFILE = "1.0.99.1.0.255"
OBIS_EVENT_LOG = "0.0.99.98.0.255"
ENERGY_REGISTERS = ("1.0.1.8.0.255", "1.0.2.8.0.255", "1.0.3.8.0.255", "1.0.4.8.0.255")
INSTANTANEOUS = (
    "1.0.32.7.0.255", "1.0.52.7.0.255", "1.0.72.7.0.255",
    "1.0.31.7.0.255", "1.0.51.7.0.255", "1.0.71.7.0.255",
    "1.0.1.7.0.255", "1.0.13.7.0.255", "1.0.14.7.0.255",
)  # fmt: skip

#: COSEM unit enumeration → unit text (255 and unknown codes → None).
UNITS = {
    27: "W", 28: "VA", 29: "var", 30: "Wh", 31: "VAh", 32: "varh", 33: "A", 35: "V", 44: "Hz",
    7: "s", 6: "min", 5: "h", 56: "%",
}  # fmt: skip
UNIT_CODES = {v: k for k, v in UNITS.items()}

CLASS_DATA, CLASS_REGISTER, CLASS_PROFILE, CLASS_CLOCK = 1, 3, 7, 8


def _values(results: list[Any]) -> list[Any]:
    """The values of a GET-with-list, raising the first item's :class:`ObjectError`."""
    for value in results:
        if isinstance(value, ObjectError):
            raise value
    return results


@dataclass(frozen=True)
class CaptureObject:
    """One profile column: class id, OBIS (dotted), attribute, data index."""

    class_id: int
    obis: str
    attr: int
    data_index: int = 0


class DlmsClient:
    """xDLMS client on a connected or unconnected :class:`Link`.

    :param link: the data link; :meth:`associate` connects it if needed.
    :param client_sap: named in authentication errors.
    :param max_pdu: client max receive PDU size proposed in the AARQ (bytes).
    """

    referencing = "ln"  #: logical names (:class:`drivers.dlms.sn.SnClient` speaks short names)
    context = A.CONTEXT_LN
    conformance = A.DEFAULT_CONFORMANCE

    def __init__(self, link: Link, *, client_sap: int = 16, max_pdu: int = 0xFFFF) -> None:
        self.link = link
        self.client_sap = client_sap
        self.max_pdu = max_pdu
        self.association: A.AssociationResult | None = None
        self.clock_deviation = 0
        #: the profile's status column (a meter description may name another object).
        self.status_obis = OBIS_STATUS
        #: quirk: send range-selection date-times with deviation "not specified".
        self.range_deviation_unspecified = False
        #: no range selection on this meter: :meth:`buffer` reads whole buffers (then filtered)
        self.whole_buffers = False
        self._scalers: dict[str, tuple[int, str | None]] = {}
        self.blocks_received = 0  #: data blocks of long answers so far (the probe reports it)
        #: blocks this client takes before acknowledging a general block transfer (1…63)
        self.gbt_window = gbt.MAX_WINDOW
        #: the client's system title sent as calling-AP-title (8 octets; b"" = none)
        self.calling_ap_title = b""

    # -- association ------------------------------------------------------------------------------
    def associate(self, password: bytes | str | None = None) -> A.AssociationResult:
        """Connect the link (if needed) and send AARQ; AARE rejected → AuthenticationError."""
        if not getattr(self.link, "connected", True):
            self.link.connect()
        request = A.aarq(
            password, max_pdu=self.max_pdu, conformance=self.conformance, context=self.context,
            calling_ap_title=self.calling_ap_title,
        )  # fmt: skip
        # the password's place in the logical AARQ; every frame carrying it is traced masked
        answer = self.link.exchange(request, step="AARQ", secret=aarq_password_spans(request))
        if answer[:1] in (bytes([A.EXCEPTION_RESPONSE]), bytes([A.CONFIRMED_SERVICE_ERROR])):
            A.parse_response(answer)  # raises ProtocolError with the meter's reason
        result = A.parse_aare(answer)
        if not result.accepted:
            mode = "no authentication" if password is None else "low level security (password)"
            error = AuthenticationError(
                f"meter rejected the association for client SAP {self.client_sap} with {mode}"
                f" ({'short' if self.referencing == 'sn' else 'logical'} names): "
                f"{result.diagnostic_text}",
                port=self.link.transport.url,
                step="AARQ",
            )
            error.diagnostic = result.diagnostic  # type: ignore[attr-defined]
            raise error
        self.association = result
        return result

    def release(self) -> None:
        """RLRQ (best effort) then link disconnect. Never raises."""
        try:
            if self.association is not None:
                self.link.exchange(A.rlrq(), step="RLRQ")
        except DriverError as exc:
            log.info("release: RLRQ not answered (%s); disconnecting anyway", exc)
        finally:
            self.association = None
            try:
                self.link.disconnect()
            except DriverError as exc:
                log.info("release: disconnect failed: %s", exc)

    # -- services --------------------------------------------------------------------------------
    @property
    def general_block_transfer(self) -> bool:
        """The association's negotiated conformance grants general block transfer."""
        return self.association is not None and bool(
            self.association.conformance & gbt.GENERAL_BLOCK_TRANSFER
        )

    def _exchange(self, request: bytes, step: str) -> bytes:
        """Send ``request``; the answer APDU, reassembled if it came by general block transfer."""
        answer = self.link.exchange(request, step=step)
        if answer[:1] == bytes([gbt.GBT_TAG]) and self.general_block_transfer:
            return self._gbt_receive(answer, step)
        return answer

    def _gbt_receive(self, first: bytes, step: str) -> bytes:
        """Reassemble the APDU the meter sends as general-block-transfer blocks from ``first``.

        Streamed blocks are taken as they come; a block that is not streamed on (the last of
        the meter's window for us) is acknowledged with a bare GBT APDU carrying our window.
        Blocks must arrive in order: a gap is a :class:`ProtocolError` naming the missing one.
        """
        data = bytearray()
        expected, sent = 1, 0
        apdu = first
        while True:
            try:
                block = gbt.parse(apdu)
            except ProtocolError as exc:
                raise exc.located(port=self.link.transport.url, step=step) from None
            if block.number != expected:
                raise ProtocolError(
                    f"general block transfer: block {expected} missing (block {block.number}"
                    " arrived instead)",
                    data=apdu[:16], port=self.link.transport.url, step=step,
                )  # fmt: skip
            data += block.data
            self.blocks_received += 1
            if block.last:
                return bytes(data)
            where = f"{step} GBT block {expected + 1}"
            if block.streaming:
                apdu = self.link.receive(step=where)
            else:
                sent += 1
                ack = gbt.Block(False, False, self.gbt_window, sent, block.number)
                apdu = self.link.exchange(ack.encode(), step=where)
            expected += 1

    def get_raw(
        self,
        class_id: int,
        obis: str | bytes,
        attr: int,
        access: tuple[int, bytes] | None = None,
        *,
        step: str = "",
    ) -> bytes:
        """GET → encoded A-XDR Data (blocks reassembled)."""
        desc = A.Descriptor.of(class_id, obis, attr)
        try:
            return self._get_raw(desc, access, step or f"GET {desc}")
        except ObjectError as exc:
            if not exc.obj:
                exc.obj, exc.attribute = A.obis_str(desc.obis), attr
            raise

    def _get_raw(self, desc: A.Descriptor, access: tuple[int, bytes] | None, step: str) -> bytes:
        resp = A.parse_response(self._exchange(A.get_request(desc, access), step))
        if resp.kind == "get":
            A.raise_for_result(resp.result, str(desc), resp.data or b"")
            return resp.data or b""
        return self._blocks(resp, step, str(desc))

    def _blocks(self, resp: A.Response, step: str, what: str) -> bytes:
        """Reassemble a GET-Response-With-Datablock sequence starting with ``resp``."""
        data = bytearray()
        expected = 1
        while True:
            if resp.kind != "get-block":
                raise ProtocolError(f"expected a data block, got {resp.kind}", step=step)
            A.raise_for_result(resp.result, f"{what} block {resp.block_number}")
            if resp.block_number != expected:
                raise ProtocolError(
                    f"data block {resp.block_number} arrived, expected {expected}", step=step
                )
            data += resp.data or b""
            self.blocks_received += 1
            if resp.last:
                return bytes(data)
            request = A.get_request_next(resp.block_number)
            resp = A.parse_response(self._exchange(request, f"{step} block {expected}"))
            expected += 1

    @property
    def can_get_with_list(self) -> bool:
        """The association's negotiated conformance allows GET-with-list (multiple-references)."""
        return self.association is not None and bool(
            self.association.conformance & A.MULTIPLE_REFERENCES
        )

    def get_list(self, items: list[tuple[int, str, int]]) -> list[Any]:
        """GET-with-list: ``[(class, obis, attr)…]`` → one decoded value or :class:`ObjectError`
        per item (a refused or undecodable item does not spoil the others)."""
        descs = [A.Descriptor.of(c, o, a) for c, o, a in items]
        step = f"GET with list of {len(descs)}"
        resp = A.parse_response(self._exchange(A.get_request_with_list(descs), step))
        if resp.kind == "get-list":
            raw = resp.data or b""
        elif resp.kind == "get-block":
            raw = self._blocks(resp, step, step)
        else:
            raise ProtocolError(f"expected GET-Response-With-List, got {resp.kind}", step=step)
        results = A.parse_list_results(raw)
        if len(results) != len(descs):
            raise ProtocolError(f"{len(results)} results for {len(descs)} items", step=step)
        out: list[Any] = []
        for (class_id, obis, attr), (code, data) in zip(items, results, strict=True):
            name = A.obis_str(A.obis_bytes(obis))
            try:
                A.raise_for_result(code, f"class {class_id} {name} #{attr}")
                value, rest = axdr.decode(data)
                if rest:
                    raise bad_value(name, attr, "stray bytes after the value")
                out.append(value)
            except ObjectError as exc:
                if not exc.obj:
                    exc.obj, exc.attribute = name, attr
                out.append(exc)
            except (ProtocolError, ValueError, IndexError) as exc:
                out.append(bad_value(name, attr, f"undecodable value: {exc}"))
        return out

    def get(
        self,
        class_id: int,
        obis: str | bytes,
        attr: int,
        selector: tuple[int, bytes] | None = None,
    ) -> Any:
        """GET → plain decoded value (see :mod:`drivers.dlms.axdr`)."""
        raw = self.get_raw(class_id, obis, attr, selector)
        name = A.obis_str(A.obis_bytes(obis))
        try:
            value, rest = axdr.decode(raw)
        except (ProtocolError, ValueError, IndexError, OverflowError) as exc:
            reason = f"undecodable value: {getattr(exc, 'message', exc)}"
            raise ObjectError(
                f"{name} attribute {attr}: {reason}", obj=name, attribute=attr, reason=reason,
                data=raw,
            ) from None  # fmt: skip
        if rest:
            raise bad_value(name, attr, f"{len(rest)} stray byte(s) after the value")
        return value

    def set(self, class_id: int, obis: str | bytes, attr: int, data: bytes | Typed) -> None:
        """SET an attribute to encoded ``data`` (or a :class:`Typed`)."""
        desc = A.Descriptor.of(class_id, obis, attr)
        raw = data.encode() if isinstance(data, Typed) else data
        resp = A.parse_response(self._exchange(A.set_request(desc, raw), f"SET {desc}"))
        if resp.kind != "set":
            raise ProtocolError(f"expected SET-Response, got {resp.kind}", step=f"SET {desc}")
        A.raise_for_result(resp.result, str(desc))

    def action(
        self, class_id: int, obis: str | bytes, method: int, data: bytes | Typed | None = None
    ) -> Any:
        """ACTION (method invocation); returns the decoded return value or None."""
        desc = A.Descriptor.of(class_id, obis, method)
        raw = data.encode() if isinstance(data, Typed) else data
        resp = A.parse_response(self._exchange(A.action_request(desc, raw), f"ACTION {desc}"))
        if resp.kind != "action":
            raise ProtocolError(f"expected ACTION-Response, got {resp.kind}")
        A.raise_for_result(resp.result, f"method {desc}")
        return axdr.decode(resp.data)[0] if resp.data else None

    # -- identity and clock ----------------------------------------------------------------------
    def _optional_text(self, obis: str) -> str | None:
        try:
            return _text(self.get(CLASS_DATA, obis, 2))
        except (A.AccessDenied, A.DataAccessError):
            return None

    def read_identity(self) -> Identity:
        """LDN, serial, outstation type and firmware ids (objects this level may not read are
        left out; the serial falls back to the LDN)."""
        ldn = self._optional_text(OBIS_LDN)
        serial = self._optional_text(OBIS_SERIAL)
        firmware = {}
        for name, obis in OBIS_FIRMWARE.items():
            text = self._optional_text(obis)
            if text is not None:
                firmware[name] = text
        return Identity(
            serial=serial or ldn or "",
            manufacturer=(ldn or "")[:3],
            model=ldn or "",
            outstation_type=self._optional_text(OBIS_OUTSTATION_TYPE),
            firmware=firmware,
            logical_device_name=ldn,
        )

    def read_clock(self) -> CosemDateTime:
        """Clock attribute 2 as sent (deviation and status kept)."""
        value = axdr.as_datetime(self.get(CLASS_CLOCK, OBIS_CLOCK, 2))
        if value is None:
            raise bad_value(OBIS_CLOCK, 2, "clock is not a 12-byte date-time")
        if value.deviation != axdr.DEVIATION_NOT_SPECIFIED:
            self.clock_deviation = value.deviation
        return value

    def set_clock(self, when: datetime) -> None:
        """Set the clock to ``when`` (UTC), expressed with the meter's last seen deviation."""
        cdt = CosemDateTime.from_datetime(utc(when), deviation=self.clock_deviation)
        self.set(CLASS_CLOCK, OBIS_CLOCK, 2, Typed(DataType.OCTET_STRING, cdt.encode()))

    # -- registers -------------------------------------------------------------------------------
    def scaler_unit(self, obis: str) -> tuple[int, str | None]:
        """Register attribute 3 (cached): ``(scaler, unit text)``."""
        if obis not in self._scalers:
            self.remember_scaler_unit(obis, self.get(CLASS_REGISTER, obis, 3))
        return self._scalers[obis]

    def remember_scaler_unit(self, obis: str, value: Any) -> tuple[int, str | None]:
        """Check a decoded scaler_unit of ``obis`` and cache it: ``(scaler, unit text)``."""
        scaler, unit = check_scaler_unit(obis, value)
        self._scalers[obis] = (scaler, UNITS.get(unit))
        return self._scalers[obis]

    def read_register(self, obis: str) -> RegisterValue:
        scaler, unit = self.scaler_unit(obis)
        return RegisterValue(obis, scale(self.get(CLASS_REGISTER, obis, 2), scaler, obis), unit)

    def read_registers(self, codes: Iterable[str], *, skip_missing: bool = False) -> list:
        out = []
        for obis in codes:
            try:
                out.append(self.read_register(obis))
            except A.DataAccessError:
                if not skip_missing:
                    raise
        return out

    # -- profiles --------------------------------------------------------------------------------
    def capture_objects(self, obis: str) -> list[CaptureObject]:
        return self._capture_objects_of(obis, self.get(CLASS_PROFILE, obis, 3))

    @staticmethod
    def _capture_objects_of(obis: str, value: Any) -> list[CaptureObject]:
        try:
            out = [CaptureObject(c, A.obis_str(ln), a, i) for (c, ln, a, i) in value]
        except (TypeError, ValueError, ProtocolError) as exc:
            raise bad_value(obis, 3, f"capture_objects malformed: {exc}") from None
        if not out or not all(_is_int(v) for c in out for v in (c.class_id, c.attr, c.data_index)):
            raise bad_value(obis, 3, f"capture_objects {_short(value)} malformed")
        return out

    def capture_period(self, obis: str) -> int:
        """Profile attribute 4, seconds (0 = asynchronous, e.g. an event log)."""
        return self._capture_period_of(obis, self.get(CLASS_PROFILE, obis, 4))

    @staticmethod
    def _capture_period_of(obis: str, value: Any) -> int:
        if not _is_int(value) or value < 0:
            raise bad_value(obis, 4, f"capture_period {_short(value)} is not a number of seconds")
        return value

    def buffer(self, obis: str, start: datetime | None = None, end: datetime | None = None) -> list:
        """Profile buffer rows (plain tuples); by range when ``start``/``end`` are given
        (inclusive on the clock column)."""
        access = None
        if (start is not None or end is not None) and not self.whole_buffers:
            lo = utc(start) if start else datetime(2000, 1, 1)
            hi = utc(end) if end else datetime(2099, 12, 31, 23, 59, 59)
            dev = self.clock_deviation
            if self.range_deviation_unspecified:
                dev = axdr.DEVIATION_NOT_SPECIFIED
            access = A.range_descriptor(
                CosemDateTime.from_datetime(lo, deviation=dev),
                CosemDateTime.from_datetime(hi, deviation=dev),
            )
        rows = self.get(CLASS_PROFILE, obis, 2, access)
        if not isinstance(rows, list):
            raise bad_value(obis, 2, f"buffer is {_short(rows)}, not an array")
        return rows

    def profile_layout(
        self, obis: str = OBIS_LOAD_PROFILE, *, with_list: bool = False
    ) -> tuple[int, list[CaptureObject]]:
        """``(period_s, capture objects)`` of a load profile; register scalers are read too.

        :param with_list: the caller knows the meter takes GET-with-list: the period and the
            capture objects go in one request, the scalers not yet known in a second one (two
            exchanges instead of two plus one per channel). A refused item raises its
            :class:`ObjectError` as a single GET would.
        """
        if with_list:
            period_v, objects_v = _values(
                self.get_list([(CLASS_PROFILE, obis, 4), (CLASS_PROFILE, obis, 3)])
            )
            period = self._capture_period_of(obis, period_v)
            columns = self._capture_objects_of(obis, objects_v)
            unknown = list(
                dict.fromkeys(
                    c.obis for c in columns if c.class_id in (3, 4) and c.obis not in self._scalers
                )
            )
            if len(unknown) > 1:
                values = _values(self.get_list([(CLASS_REGISTER, o, 3) for o in unknown]))
                for code, value in zip(unknown, values, strict=True):
                    self.remember_scaler_unit(code, value)
        else:
            period, columns = self.capture_period(obis), self.capture_objects(obis)
        for c in columns:
            if c.class_id in (3, 4):
                self.scaler_unit(c.obis)
        return period, columns

    def profile_rows(
        self,
        rows: list,
        period_s: int,
        columns: list[CaptureObject],
        obis: str = OBIS_LOAD_PROFILE,
    ) -> list[ProfileRow]:
        """Turn buffer rows into :class:`ProfileRow` (start = clock − period, scaled values).

        The clock column may be anywhere; unexpected cells are :class:`ObjectError` naming
        ``obis``. Status is the raw status word (map it with the meter description)."""
        if period_s <= 0:
            raise bad_value(obis, 4, f"capture_period {period_s} s: not a load profile")
        period = timedelta(seconds=period_s)
        out: list[ProfileRow] = []
        last_end: datetime | None = None
        scalers = [self.scaler_unit(c.obis)[0] if c.class_id in (3, 4) else 0 for c in columns]
        for row in rows:
            if not isinstance(row, tuple | list) or len(row) != len(columns):
                raise bad_value(obis, 2, f"row {_short(row)} does not match {len(columns)} columns")
            end_time, status, values = None, 0, []
            for col, sc, value in zip(columns, scalers, row, strict=True):
                if col.class_id == CLASS_CLOCK:
                    cdt = axdr.as_datetime(value)
                    end_time = cdt.to_datetime() if cdt else None
                    if end_time is None and value is None and last_end is not None:
                        end_time = last_end + period
                elif col.obis == self.status_obis:
                    if value is not None and not _is_int(value):
                        raise bad_value(obis, 2, f"status {_short(value)} is not an integer")
                    status = value or 0
                else:
                    values.append(scale(value, sc, col.obis) if value is not None else math.nan)
            if end_time is None:
                raise bad_value(obis, 2, f"row {_short(row)} has no usable clock")
            last_end = end_time
            out.append(ProfileRow(end_time - period, values, status))
        return out

    def read_load_profile(
        self,
        start: datetime,
        end: datetime,
        obis: str = OBIS_LOAD_PROFILE,
        layout: tuple[int, list[CaptureObject]] | None = None,
    ) -> list[ProfileRow]:
        """Rows with ``start <= row.start < end`` using one range GET."""
        period_s, columns = layout or self.profile_layout(obis)
        period = timedelta(seconds=period_s)
        raw = self.buffer(obis, utc(start) + period, utc(end))
        rows = self.profile_rows(raw, period_s, columns, obis)
        return [r for r in rows if utc(start) <= r.start < utc(end)]

    def channels(self, columns: list[CaptureObject]) -> list[Channel]:
        return [
            Channel(c.obis, self.scaler_unit(c.obis)[1] if c.class_id in (3, 4) else None)
            for c in columns
            if c.class_id != CLASS_CLOCK and c.obis != self.status_obis
        ]

    def read_profile(
        self, start: datetime, end: datetime, obis: str = OBIS_LOAD_PROFILE
    ) -> Profile:
        period_s, columns = self.profile_layout(obis)
        rows = self.read_load_profile(start, end, obis, (period_s, columns))
        return Profile(period_s // 60, self.channels(columns), rows)

    def read_events(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        obis: str = OBIS_EVENT_LOG,
    ) -> list[MeterEvent]:
        """Event log rows: clock column + event code column (uint16 :class:`EventCode`)."""
        columns = self.capture_objects(obis)
        rows = self.buffer(obis, start, end)
        events = []
        for row in rows:
            when, code = None, None
            if not isinstance(row, tuple | list):
                raise bad_value(obis, 2, f"event row {_short(row)} is not a structure")
            for col, value in zip(columns, row, strict=False):
                if col.class_id == CLASS_CLOCK:
                    cdt = axdr.as_datetime(value)
                    when = cdt.to_datetime() if cdt else None
                elif code is None and isinstance(value, int):
                    code = value
            if when is None or code is None:
                raise bad_value(obis, 2, f"event row {_short(row)} has no time or code")
            try:
                text = EventCode(code).text
            except ValueError:
                text = f"event {code}"
            if (start is None or when >= utc(start)) and (end is None or when < utc(end)):
                events.append(MeterEvent(when, code, text))
        return events
