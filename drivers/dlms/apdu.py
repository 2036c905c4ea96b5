"""xDLMS APDUs with Logical Name referencing: AARQ/AARE, GET, SET, ACTION, RLRQ/RLRE, errors.

This is the client's half: it builds requests and parses responses. The simulator has its own,
independent server half (:mod:`drivers.sim.dlms_apdu`), so that each checks the other in tests.

Conventions:

* OBIS codes are 6 bytes on the wire; :func:`obis_bytes` / :func:`obis_str` convert from/to
  ``"1.0.99.1.0.255"`` (``"1-0:99.1.0*255"`` is accepted too).
* ``invoke`` is the whole Invoke-Id-And-Priority byte (default ``0xC1``: invoke-id 1, confirmed,
  high priority).
* Data carried by GET/SET/ACTION is kept as *encoded A-XDR bytes* (:mod:`drivers.dlms.axdr`);
  the client decodes them after reassembling blocks.
* AARQ: application context LN without ciphering (``2.16.756.5.8.1.1``); authentication none
  or LLS (mechanism ``2.16.756.5.8.2.1``, ``…02 01``), the password being the
  calling-authentication-value; optionally the client's system title as calling-AP-title
  (``A6 0A 04 08`` + 8 octets), which says who is calling.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import datetime

from drivers.dlms import axdr, ber
from drivers.dlms.axdr import CosemDateTime, DataType, Typed
from drivers.errors import AuthenticationError, ObjectError, ProtocolError
from drivers.obis import Obis

CONTEXT_LN = bytes.fromhex("60857405080101")
MECHANISM_LLS = bytes.fromhex("60857405080201")
MECHANISM_HLS_GMAC = bytes.fromhex("60857405080205")
#: get, set, action, selective access, block transfer with get/set/action, multiple refs,
#: priority management, attribute 0 with get, event notification, general block transfer
#: (bit 2: used only when the meter's AARE grants it).
DEFAULT_CONFORMANCE = 0x207E1F
DEFAULT_INVOKE = 0xC1

# Tags
AARQ, AARE, RLRQ, RLRE = 0x60, 0x61, 0x62, 0x63
GET_REQUEST, SET_REQUEST, ACTION_REQUEST = 0xC0, 0xC1, 0xC3
GET_RESPONSE, SET_RESPONSE, ACTION_RESPONSE = 0xC4, 0xC5, 0xC7
EXCEPTION_RESPONSE, CONFIRMED_SERVICE_ERROR = 0xD8, 0x0E

#: Data-Access-Result / Action-Result codes → text.
ACCESS_RESULTS = {
    0: "success",
    1: "hardware-fault",
    2: "temporary-failure",
    3: "read-write-denied",
    4: "object-undefined",
    9: "object-class-inconsistent",
    11: "object-unavailable",
    12: "type-unmatched",
    13: "scope-of-access-violated",
    14: "data-block-unavailable",
    15: "long-get-aborted",
    16: "no-long-get-in-progress",
    17: "long-set-aborted",
    18: "no-long-set-in-progress",
    19: "data-block-number-invalid",
    250: "other-reason",
}
READ_WRITE_DENIED = 3
SCOPE_OF_ACCESS_VIOLATED = 13

#: AARE result-source-diagnostic (acse-service-user) codes → text.
ACSE_DIAGNOSTICS = {
    0: "null",
    1: "no-reason-given",
    2: "application-context-name-not-supported",
    11: "authentication-mechanism-name-not-recognised",
    12: "authentication-mechanism-name-required",
    13: "authentication-failure",
    14: "authentication-required",
}


class DataAccessError(ObjectError):
    """The meter answered a GET/SET/ACTION with a Data-Access-Result other than success."""

    def __init__(self, code: int, *, what: str = "", data: bytes = b"") -> None:
        text = ACCESS_RESULTS.get(code, f"code {code}")
        super().__init__(
            f"meter refused {what or 'the request'}: {text}", data=data, reason=f"refused: {text}"
        )
        self.code = code


class AccessDenied(AuthenticationError, ObjectError):
    """Read/write denied: the association level does not allow this object (exit code 5 when it
    aborts a command; an optional object's denial is a warning)."""

    def __init__(self, code: int, *, what: str = "") -> None:
        text = ACCESS_RESULTS.get(code, f"code {code}")
        ObjectError.__init__(
            self,
            f"access to {what or 'the object'} denied at this association level: {text}",
            reason=f"access denied at this association level: {text}",
        )
        self.code = code


def raise_for_result(code: int, what: str, data: bytes = b"") -> None:
    """Raise the typed error for a non-zero Data-Access-Result ``code``."""
    if code == 0:
        return
    if code in (READ_WRITE_DENIED, SCOPE_OF_ACCESS_VIOLATED):
        raise AccessDenied(code, what=what)
    raise DataAccessError(code, what=what, data=data)


# -- OBIS -----------------------------------------------------------------------------------------
def obis_bytes(obis: str | bytes) -> bytes:
    """``"1.0.99.1.0.255"`` (or ``"1-0:99.1.0*255"``, or 6 bytes) → 6 bytes (:class:`Obis`)."""
    return Obis.parse(obis).to_bytes()


def obis_str(raw: bytes) -> str:
    """6 bytes → ``"1.0.99.1.0.255"``; anything else → :class:`ProtocolError`."""
    if not isinstance(raw, bytes | bytearray) or len(raw) != 6:
        shown = bytes(raw) if isinstance(raw, bytes | bytearray) else b""
        raise ProtocolError(f"OBIS code must be 6 bytes, got {raw!r}", data=shown)
    return Obis.parse(raw).long


@dataclass(frozen=True)
class Descriptor:
    """COSEM attribute or method descriptor: class id, OBIS (6 bytes), attribute/method id."""

    class_id: int
    obis: bytes
    index: int

    @classmethod
    def of(cls, class_id: int, obis: str | bytes, index: int) -> Descriptor:
        return cls(class_id, obis_bytes(obis), index)

    def encode(self) -> bytes:
        return struct.pack(">H", self.class_id) + self.obis + struct.pack(">b", self.index)

    def __str__(self) -> str:
        return f"class {self.class_id} {obis_str(self.obis)} #{self.index}"


# -- association ----------------------------------------------------------------------------------
def initiate_request(max_pdu: int = 0xFFFF, conformance: int = DEFAULT_CONFORMANCE) -> bytes:
    """xDLMS InitiateRequest (DLMS version 6), unciphered."""
    return (
        b"\x01\x00\x00\x00\x06\x5f\x1f\x04\x00"
        + conformance.to_bytes(3, "big")
        + max_pdu.to_bytes(2, "big")
    )


def aarq(
    password: bytes | str | None = None,
    *,
    max_pdu: int = 0xFFFF,
    conformance: int = DEFAULT_CONFORMANCE,
    context: bytes = CONTEXT_LN,
    calling_ap_title: bytes = b"",
) -> bytes:
    """AARQ (LN context unless ``context`` says SN): no authentication, or LLS with
    ``password``; ``calling_ap_title`` (the client's 8-octet system title) when given."""
    body = ber.tlv(0xA1, ber.tlv(0x06, context))
    if calling_ap_title:  # calling-AP-title [6] AP-title: OCTET STRING (system title)
        if len(calling_ap_title) != 8:
            raise ValueError("a calling-AP-title (system title) is 8 octets")
        body += ber.tlv(0xA6, ber.tlv(0x04, bytes(calling_ap_title)))
    if password is not None:
        pw = password.encode("latin-1") if isinstance(password, str) else bytes(password)
        body += (
            b"\x8a\x02\x07\x80" + ber.tlv(0x8B, MECHANISM_LLS) + ber.tlv(0xAC, ber.tlv(0x80, pw))
        )
    body += ber.tlv(0xBE, ber.tlv(0x04, initiate_request(max_pdu, conformance)))
    return ber.tlv(AARQ, body)


@dataclass(frozen=True)
class AssociationResult:
    """A parsed AARE: ``result`` 0 accepted, 1 rejected-permanent, 2 rejected-transient."""

    result: int
    diagnostic: int
    conformance: int = 0
    max_pdu: int = 0
    raw: bytes = b""

    @property
    def accepted(self) -> bool:
        return self.result == 0

    @property
    def diagnostic_text(self) -> str:
        return ACSE_DIAGNOSTICS.get(self.diagnostic, f"diagnostic {self.diagnostic}")


def parse_aare(data: bytes) -> AssociationResult:
    """Parse an AARE; :class:`ProtocolError` when it is not one."""
    result, diagnostic, conformance, max_pdu = None, 0, 0, 0
    for tag, value in ber.items(ber.outer(data, AARE, "AARE"), "AARE"):
        if tag == 0xA2:
            inner = ber.items(value, "AARE result")
            if not inner or inner[0][0] != 0x02 or len(inner[0][1]) != 1:
                raise ProtocolError("AARE result is not a 1-byte integer", data=bytes(data))
            result = inner[0][1][0]
        elif tag == 0xA3:
            inner = ber.items(value, "AARE diagnostic")
            if inner:
                deeper = ber.items(inner[0][1], "AARE diagnostic")
                if deeper and deeper[0][1]:
                    diagnostic = deeper[0][1][-1]
        elif tag == 0xBE:
            ini = ber.first(value, "AARE user-information") if value[:1] == b"\x04" else value
            if ini[:1] == b"\x08" and b"\x5f\x1f\x04" in ini:
                at = ini.index(b"\x5f\x1f\x04") + 4
                conformance = int.from_bytes(ini[at : at + 3], "big")
                max_pdu = int.from_bytes(ini[at + 3 : at + 5], "big")
    if result is None:
        raise ProtocolError("AARE has no association result", data=bytes(data))
    return AssociationResult(result, diagnostic, conformance, max_pdu, bytes(data))


def rlrq() -> bytes:
    """Release request, reason normal."""
    return bytes.fromhex("62 03 80 01 00")


# -- selective access -----------------------------------------------------------------------------
CLOCK_COLUMN = Typed(
    DataType.STRUCTURE,
    (
        Typed(DataType.UINT16, 8),
        Typed(DataType.OCTET_STRING, bytes([0, 0, 1, 0, 0, 255])),
        Typed(DataType.INT8, 2),
        Typed(DataType.UINT16, 0),
    ),
)


def _dt_bytes(value: CosemDateTime | datetime) -> bytes:
    return axdr.encode_datetime(value)


def range_descriptor(
    start: CosemDateTime | datetime, end: CosemDateTime | datetime
) -> tuple[int, bytes]:
    """Access selector 1 (range): restricting object clock 0.0.1.0.0.255 attr 2, from/to as
    12-byte octet-strings, selected values = empty array (all columns). Returns
    ``(selector, encoded parameters)`` for :func:`get_request`."""
    params = Typed(
        DataType.STRUCTURE,
        (
            CLOCK_COLUMN,
            Typed(DataType.OCTET_STRING, _dt_bytes(start)),
            Typed(DataType.OCTET_STRING, _dt_bytes(end)),
            Typed(DataType.ARRAY, ()),
        ),
    )
    return 1, params.encode()


def entry_descriptor(first: int, last: int) -> tuple[int, bytes]:
    """Access selector 2 (entry): entries ``first…last`` (1 = oldest), all columns."""
    params = Typed(
        DataType.STRUCTURE,
        (
            Typed(DataType.UINT32, first),
            Typed(DataType.UINT32, last),
            Typed(DataType.UINT16, 1),
            Typed(DataType.UINT16, 0),
        ),
    )
    return 2, params.encode()


# -- requests -------------------------------------------------------------------------------------
def get_request(
    desc: Descriptor, access: tuple[int, bytes] | None = None, invoke: int = DEFAULT_INVOKE
) -> bytes:
    """GET-Request-Normal; ``access`` = ``(selector, encoded parameters)`` or None."""
    sel = b"\x00" if access is None else bytes([1, access[0]]) + access[1]
    return bytes([GET_REQUEST, 1, invoke]) + desc.encode() + sel


#: conformance bit "multiple-references" (bit 14 counted from the MSB of 24): GET-with-list.
MULTIPLE_REFERENCES = 1 << (23 - 14)


def get_request_with_list(descs: list[Descriptor], invoke: int = DEFAULT_INVOKE) -> bytes:
    """GET-Request-With-List: several attributes (no selective access) in one request."""
    body = b"".join(d.encode() + b"\x00" for d in descs)
    return bytes([GET_REQUEST, 3, invoke]) + ber.encode_length(len(descs)) + body


def parse_list_results(data: bytes) -> list[tuple[int, bytes]]:
    """The SEQUENCE OF Get-Data-Result of a GET-Response-With-List (count first):
    ``[(0, encoded Data) | (Data-Access-Result, b"")]``; malformed → ProtocolError."""
    try:
        count, pos = ber.decode_length(data, 0)
    except (ValueError, IndexError) as exc:
        raise ProtocolError(f"GET-Response-With-List count unreadable: {exc}", data=data) from None
    out: list[tuple[int, bytes]] = []
    for i in range(count):
        if pos >= len(data):
            raise ProtocolError(f"GET-Response-With-List ends before item {i}", data=data)
        choice = data[pos]
        if choice == 1 and pos + 1 < len(data):
            out.append((data[pos + 1], b""))
            pos += 2
        elif choice == 0:
            _, rest = axdr.decode(data[pos + 1 :])
            end = len(data) - len(rest)
            out.append((0, data[pos + 1 : end]))
            pos = end
        else:
            raise ProtocolError(f"GET-Response-With-List item {i} malformed", data=data)
    if pos != len(data):
        raise ProtocolError("GET-Response-With-List has trailing bytes", data=data)
    return out


def get_request_next(block_number: int, invoke: int = DEFAULT_INVOKE) -> bytes:
    """GET-Request-Next acknowledging ``block_number`` (uint32)."""
    return bytes([GET_REQUEST, 2, invoke]) + struct.pack(">I", block_number)


def set_request(desc: Descriptor, data: bytes, invoke: int = DEFAULT_INVOKE) -> bytes:
    """SET-Request-Normal with encoded A-XDR ``data``."""
    return bytes([SET_REQUEST, 1, invoke]) + desc.encode() + b"\x00" + data


def action_request(desc: Descriptor, data: bytes | None, invoke: int = DEFAULT_INVOKE) -> bytes:
    """ACTION-Request-Normal; ``data`` = encoded parameters or None."""
    params = b"\x00" if data is None else b"\x01" + data
    return bytes([ACTION_REQUEST, 1, invoke]) + desc.encode() + params


# -- responses ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Response:
    """A parsed server APDU.

    ``kind``: ``"get"``, ``"get-block"``, ``"set"``, ``"action"``, ``"release"``.
    ``data``: encoded Data (normal GET/ACTION) or the raw block slice (``"get-block"``).
    ``result``: Data-Access-Result (0 = success).
    """

    kind: str
    invoke: int = DEFAULT_INVOKE
    result: int = 0
    data: bytes | None = None
    block_number: int = 0
    last: bool = True


def _service_error(apdu: bytes) -> ProtocolError:
    if apdu[0] == EXCEPTION_RESPONSE:
        state = apdu[1] if len(apdu) > 1 else -1
        service = apdu[2] if len(apdu) > 2 else -1
        return ProtocolError(
            f"meter sent ExceptionResponse (state-error {state}, service-error {service})",
            data=apdu,
        )
    return ProtocolError("meter sent ConfirmedServiceError", data=apdu)


def parse_response(apdu: bytes) -> Response:
    """Parse a server APDU. ExceptionResponse / ConfirmedServiceError → :class:`ProtocolError`."""
    apdu = bytes(apdu)
    if not apdu:
        raise ProtocolError("empty APDU from the meter", data=apdu)
    tag = apdu[0]
    if tag in (EXCEPTION_RESPONSE, CONFIRMED_SERVICE_ERROR):
        raise _service_error(apdu)
    if tag == RLRE:
        return Response("release")
    if tag not in (GET_RESPONSE, SET_RESPONSE, ACTION_RESPONSE) or len(apdu) < 4:
        raise ProtocolError(f"unexpected APDU tag 0x{tag:02X}", data=apdu)
    choice, invoke = apdu[1], apdu[2]
    if tag == GET_RESPONSE and choice == 1:
        if apdu[3] == 0:
            return Response("get", invoke, 0, apdu[4:])
        if len(apdu) < 5:
            raise ProtocolError("GET-Response result truncated", data=apdu)
        return Response("get", invoke, apdu[4])
    if tag == GET_RESPONSE and choice == 3:
        return Response("get-list", invoke, 0, apdu[3:])
    if tag == GET_RESPONSE and choice == 2:
        if len(apdu) < 10:
            raise ProtocolError("GET-Response-With-Datablock truncated", data=apdu)
        last = apdu[3] != 0
        block = int.from_bytes(apdu[4:8], "big")
        if apdu[8] == 1:
            return Response("get-block", invoke, apdu[9], None, block, last)
        n, pos = ber.decode_length(apdu, 9)
        if pos + n != len(apdu):
            raise ProtocolError("GET-Response data block length does not match", data=apdu)
        return Response("get-block", invoke, 0, apdu[pos:], block, last)
    if tag == SET_RESPONSE and choice == 1:
        return Response("set", invoke, apdu[3])
    if tag == ACTION_RESPONSE and choice == 1:
        data = None
        if len(apdu) > 5 and apdu[4] == 1 and apdu[5] == 0:
            data = apdu[6:]
        return Response("action", invoke, apdu[3], data)
    raise ProtocolError(f"response choice {choice} of tag 0x{tag:02X} not supported", data=apdu)
