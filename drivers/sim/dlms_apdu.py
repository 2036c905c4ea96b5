"""Server-side xDLMS APDUs for the simulated outstation (IEC 62056-5-3, LN referencing).

Parses what a client sends (AARQ, GET/SET/ACTION requests, RLRQ) and builds what a meter answers
(AARE, GET-Response normal / with data block, SET-Response, ACTION-Response, RLRE,
ExceptionResponse). Written from the standard's rules independently of the client's
``drivers.dlms.apdu`` so that the two cross-check each other in the end-to-end tests; A-XDR data
uses :mod:`drivers.dlms.axdr` and length octets :mod:`drivers.dlms.ber` (one parser of both).

Every malformed request raises :class:`RequestError` carrying the bytes; the front end answers
it with an ExceptionResponse.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from drivers.dlms import axdr, ber
from drivers.errors import ProtocolError

# -- constants ------------------------------------------------------------------------------------
AARQ, AARE, RLRQ, RLRE = 0x60, 0x61, 0x62, 0x63
GET_REQUEST, SET_REQUEST, ACTION_REQUEST = 0xC0, 0xC1, 0xC3
GET_RESPONSE, SET_RESPONSE, ACTION_RESPONSE = 0xC4, 0xC5, 0xC7
EXCEPTION_RESPONSE = 0xD8

#: application-context-name: LN referencing, no ciphering (joint-iso-ccitt(2) country(16)
#: country-name(756) identified-organization(5) DLMS-UA(8) application-context(1) 1).
CONTEXT_LN = bytes.fromhex("60857405080101")
CONTEXT_SN = bytes.fromhex("60857405080102")
#: mechanism names: LLS ends 02 01, HLS GMAC 02 05.
MECHANISM_LLS = bytes.fromhex("60857405080201")

#: conformance bits (bit 0 = MSB of 24): block-transfer-with-get (11), multiple-references (14,
#: GET-with-list), get (19), set (20), selective-access (21), action (23).
MULTIPLE_REFERENCES = 1 << (23 - 14)
SELECTIVE_ACCESS = 1 << (23 - 21)
PARAMETERIZED_ACCESS = 1 << (23 - 18)
#: short names: read (3), write (4), block-transfer-with-get-or-read (11), multiple-references
#: (14), parameterized-access (18).
SN_SERVER_CONFORMANCE = (
    (1 << (23 - 3)) | (1 << (23 - 4)) | (1 << (23 - 11))
    | MULTIPLE_REFERENCES | PARAMETERIZED_ACCESS
)  # fmt: skip
SERVER_CONFORMANCE = (
    (1 << (23 - 11)) | (1 << (23 - 14)) | (1 << (23 - 19)) | (1 << (23 - 20)) | (1 << (23 - 21)) | 1
)

# acse-service-user diagnostics
DIAG_NULL = 0
DIAG_NO_REASON = 1
DIAG_CONTEXT_NOT_SUPPORTED = 2
DIAG_MECHANISM_NOT_RECOGNISED = 11
DIAG_MECHANISM_REQUIRED = 12
DIAG_AUTH_FAILURE = 13

# Data-Access-Result / Action-Result
SUCCESS = 0
HARDWARE_FAULT = 1
TEMPORARY_FAILURE = 2
READ_WRITE_DENIED = 3
OBJECT_UNDEFINED = 4
OBJECT_CLASS_INCONSISTENT = 9
OBJECT_UNAVAILABLE = 11
TYPE_UNMATCHED = 12
SCOPE_OF_ACCESS_VIOLATED = 13
DATA_BLOCK_UNAVAILABLE = 14
LONG_GET_ABORTED = 15
NO_LONG_GET_IN_PROGRESS = 16
DATA_BLOCK_NUMBER_INVALID = 19
OTHER_REASON = 250

# ExceptionResponse state-error / service-error
STATE_SERVICE_NOT_ALLOWED = 1
STATE_SERVICE_UNKNOWN = 2
SERVICE_OPERATION_NOT_POSSIBLE = 1
SERVICE_NOT_SUPPORTED = 2


class RequestError(Exception):
    """A client APDU the simulator cannot parse or does not support."""

    def __init__(self, message: str, data: bytes = b"", *, unknown: bool = False) -> None:
        super().__init__(message)
        self.data = bytes(data)
        self.unknown = unknown


# -- BER (ACSE) -----------------------------------------------------------------------------------
def _ber_items(data: bytes) -> list[tuple[int, bytes]]:
    """Split a BER sequence of one-byte-tag elements into ``(tag, value)`` pairs.

    :raises RequestError: an element is cut short or has a length form DLMS does not use.
    """
    try:
        return ber.items(data, "BER")
    except ProtocolError as exc:
        raise RequestError(exc.message, data) from None


@dataclass(frozen=True)
class Aarq:
    """What a client proposed in its AARQ.

    :param context: application-context-name OID bytes (``CONTEXT_LN`` expected).
    :param mechanism: mechanism-name OID bytes, None = no authentication.
    :param password: calling-authentication-value (LLS secret), None when absent.
    :param dlms_version: proposed DLMS version (6 expected).
    :param conformance: proposed conformance block (24 bits).
    :param max_pdu: client-max-receive-pdu-size in bytes (0 read as 65535 = no limit).
    :param ciphered: the user-information held a ciphered initiate request (not supported).
    """

    context: bytes
    mechanism: bytes | None
    password: bytes | None
    dlms_version: int
    conformance: int
    max_pdu: int
    ciphered: bool = False


def parse_aarq(apdu: bytes) -> Aarq:
    """Parse an AARQ (tag 0x60).

    :raises RequestError: not an AARQ, bad BER, or no xDLMS InitiateRequest.
    """
    outer = _ber_items(apdu)
    if len(outer) != 1 or outer[0][0] != AARQ:
        raise RequestError("not an AARQ", apdu)
    context, mechanism, password = b"", None, None
    version, conformance, max_pdu, ciphered, found = 6, 0, 0xFFFF, False, False
    for tag, value in _ber_items(outer[0][1]):
        if tag == 0xA1:  # application-context-name [1] OBJECT IDENTIFIER
            inner = _ber_items(value)
            context = inner[0][1] if inner and inner[0][0] == 0x06 else value
        elif tag == 0x8B:  # mechanism-name [11] IMPLICIT OBJECT IDENTIFIER
            mechanism = value
        elif tag == 0xAC:  # calling-authentication-value [12] CHOICE charstring [0]
            inner = _ber_items(value)
            password = inner[0][1] if inner else b""
        elif tag == 0xBE:  # user-information [30] OCTET STRING (xDLMS InitiateRequest)
            inner = _ber_items(value)
            ini = inner[0][1] if inner and inner[0][0] == 0x04 else value
            if ini[:1] in (b"\x21",):  # glo-initiateRequest
                ciphered, found = True, True
                continue
            version, conformance, max_pdu = _parse_initiate(ini, apdu)
            found = True
    if not found:
        raise RequestError("AARQ has no user-information (xDLMS InitiateRequest)", apdu)
    return Aarq(context, mechanism, password, version, conformance, max_pdu or 0xFFFF, ciphered)


def _parse_initiate(ini: bytes, apdu: bytes) -> tuple[int, int, int]:
    """InitiateRequest: 01, dedicated-key OPT, response-allowed DEFAULT, qos OPT, version,
    conformance [APPLICATION 31] (5F 1F 04 00 + 3 bytes), client-max-receive-pdu-size."""
    if not ini or ini[0] != 0x01:
        raise RequestError("user-information is not an xDLMS InitiateRequest", apdu)
    pos = 1
    try:
        if ini[pos]:  # dedicated-key present
            pos += 1
            pos += 1 + ini[pos]
        else:
            pos += 1
        pos += 2 if ini[pos] else 1  # response-allowed (present → boolean follows)
        pos += 2 if ini[pos] else 1  # proposed-quality-of-service
        version = ini[pos]
        pos += 1
        if ini[pos : pos + 3] != b"\x5f\x1f\x04":
            raise RequestError("InitiateRequest conformance block missing", apdu)
        conformance = int.from_bytes(ini[pos + 4 : pos + 7], "big")
        max_pdu = int.from_bytes(ini[pos + 7 : pos + 9], "big")
        if pos + 9 > len(ini):
            raise IndexError
    except IndexError:
        raise RequestError("InitiateRequest truncated", apdu) from None
    return version, conformance, max_pdu


def aare(
    result: int,
    diagnostic: int = DIAG_NULL,
    *,
    conformance: int = SERVER_CONFORMANCE,
    max_pdu: int = 1024,
    mechanism: bytes | None = None,
    context: bytes = CONTEXT_LN,
    vaa_name: int = 0x0007,
) -> bytes:
    """AARE: ``result`` 0 accepted, 1 rejected-permanent, 2 rejected-transient;
    ``diagnostic`` acse-service-user (13 = authentication-failure).

    Accepted: user-information = InitiateResponse (version 6, negotiated ``conformance``,
    server-max-receive-pdu-size ``max_pdu``, VAA name 0x0007). Rejected: no user-information.
    """
    body = ber.tlv(0xA1, ber.tlv(0x06, context))
    body += ber.tlv(0xA2, ber.tlv(0x02, bytes([result])))
    body += ber.tlv(0xA3, ber.tlv(0xA1, ber.tlv(0x02, bytes([diagnostic]))))
    if result == 0 and mechanism is not None:
        body += ber.tlv(0x88, b"\x07\x80") + ber.tlv(0x89, mechanism)
    if result == 0:
        ini = (
            b"\x08\x00\x06\x5f\x1f\x04\x00"
            + (conformance & 0xFFFFFF).to_bytes(3, "big")
            + max_pdu.to_bytes(2, "big")
            + vaa_name.to_bytes(2, "big")
        )
        body += ber.tlv(0xBE, ber.tlv(0x04, ini))
    return ber.tlv(AARE, body)


def rlre() -> bytes:
    """RLRE, reason normal (0)."""
    return ber.tlv(RLRE, ber.tlv(0x80, b"\x00"))


# -- xDLMS requests -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Request:
    """A parsed GET/SET/ACTION request.

    :param kind: ``get``, ``get-next``, ``set``, ``action``.
    :param invoke: the whole Invoke-Id-And-Priority byte (echoed in the response).
    :param class_id: COSEM interface class (0…65535).
    :param obis: 6 OBIS bytes.
    :param index: attribute or method id.
    :param selector: access selector (1 range, 2 entry) or None.
    :param params: decoded access parameters or decoded SET/ACTION data (None when absent).
    :param block: block number acknowledged by GET-Request-Next.
    """

    kind: str
    invoke: int
    class_id: int = 0
    obis: bytes = b""
    index: int = 0
    selector: int | None = None
    params: Any = None
    block: int = 0
    raw_data: bytes = b""
    #: GET-with-list: ``(class_id, obis, attribute)`` per item (``kind == "get-list"``).
    items: tuple[tuple[int, bytes, int], ...] = ()


def _decode_all(data: bytes, apdu: bytes, what: str) -> Any:
    try:
        value, rest = axdr.decode(data)
    except Exception as exc:  # noqa: BLE001 - any codec failure is the client's bad request
        raise RequestError(f"{what}: {exc}", apdu) from None
    if rest:
        raise RequestError(f"{what}: {len(rest)} trailing bytes", apdu)
    return value


def parse_request(apdu: bytes) -> Request:
    """Parse GET-Request normal/next, SET-Request normal, ACTION-Request normal.

    :raises RequestError: malformed, or a choice the simulator does not support (``unknown``).
    """
    apdu = bytes(apdu)
    if len(apdu) < 3:
        raise RequestError("request APDU too short", apdu)
    tag, choice, invoke = apdu[0], apdu[1], apdu[2]
    if tag not in (GET_REQUEST, SET_REQUEST, ACTION_REQUEST):
        raise RequestError(f"APDU tag 0x{tag:02X} not supported", apdu, unknown=True)
    if tag == GET_REQUEST and choice == 2:
        if len(apdu) != 7:
            raise RequestError("GET-Request-Next must be 7 bytes", apdu)
        return Request("get-next", invoke, block=struct.unpack(">I", apdu[3:7])[0])
    if tag == GET_REQUEST and choice == 3:
        return _parse_get_list(apdu, invoke)
    if choice != 1:
        raise RequestError(f"request choice {choice} not supported", apdu, unknown=True)
    if len(apdu) < 13:
        raise RequestError("request descriptor truncated", apdu)
    class_id = struct.unpack(">H", apdu[3:5])[0]
    obis = apdu[5:11]
    index = struct.unpack(">b", apdu[11:12])[0]
    flag, rest = apdu[12], apdu[13:]
    if tag == GET_REQUEST:
        if flag == 0:
            if rest:
                raise RequestError("GET-Request-Normal has trailing bytes", apdu)
            return Request("get", invoke, class_id, obis, index)
        if not rest:
            raise RequestError("access selector missing", apdu)
        params = _decode_all(rest[1:], apdu, "access parameters")
        return Request("get", invoke, class_id, obis, index, rest[0], params)
    if tag == SET_REQUEST:
        if flag != 0:
            raise RequestError("SET with selective access not supported", apdu, unknown=True)
        value = _decode_all(rest, apdu, "SET data")
        return Request("set", invoke, class_id, obis, index, params=value, raw_data=rest)
    if flag == 0:
        if rest:
            raise RequestError("ACTION-Request has trailing bytes", apdu)
        return Request("action", invoke, class_id, obis, index)
    value = _decode_all(rest, apdu, "ACTION parameters")
    return Request("action", invoke, class_id, obis, index, params=value, raw_data=rest)


def _parse_get_list(apdu: bytes, invoke: int) -> Request:
    """GET-Request-With-List: count, then descriptor + access-selection flag (0) per item."""
    try:
        count, pos = ber.decode_length(apdu, 3)
    except (ProtocolError, ValueError, IndexError):
        raise RequestError("GET-with-list count unreadable", apdu) from None
    items = []
    for _ in range(count):
        if pos + 10 > len(apdu):
            raise RequestError("GET-with-list descriptor truncated", apdu)
        class_id = struct.unpack(">H", apdu[pos : pos + 2])[0]
        index = struct.unpack(">b", apdu[pos + 8 : pos + 9])[0]
        if apdu[pos + 9] != 0:
            raise RequestError("GET-with-list with selective access not supported", apdu)
        items.append((class_id, bytes(apdu[pos + 2 : pos + 8]), index))
        pos += 10
    if pos != len(apdu) or not items:
        raise RequestError("GET-with-list malformed", apdu)
    return Request("get-list", invoke, items=tuple(items))


def get_response_list(invoke: int, results: list[bytes | int]) -> bytes:
    """GET-Response-With-List: encoded Data or a Data-Access-Result per item."""
    parts = [b"\x00" + r if isinstance(r, bytes) else bytes([1, r]) for r in results]
    return bytes([GET_RESPONSE, 3, invoke]) + ber.encode_length(len(parts)) + b"".join(parts)


# -- responses ------------------------------------------------------------------------------------
def get_response(invoke: int, data: bytes | None = None, result: int = SUCCESS) -> bytes:
    """GET-Response-Normal: encoded ``data`` or a Data-Access-Result ``result``."""
    if data is not None:
        return bytes([GET_RESPONSE, 1, invoke, 0]) + data
    return bytes([GET_RESPONSE, 1, invoke, 1, result])


def get_response_block(
    invoke: int, block: int, last: bool, raw: bytes | None = None, result: int = SUCCESS
) -> bytes:
    """GET-Response-With-Datablock: ``raw`` slice of the encoded Data, or a result code."""
    head = bytes([GET_RESPONSE, 2, invoke, 1 if last else 0]) + struct.pack(">I", block)
    if raw is None:
        return head + bytes([1, result])
    return head + b"\x00" + ber.encode_length(len(raw)) + raw


#: bytes of a GET-Response-With-Datablock around its raw data (with a 3-byte length).
BLOCK_OVERHEAD = 3 + 1 + 4 + 1 + 3


def set_response(invoke: int, result: int = SUCCESS) -> bytes:
    return bytes([SET_RESPONSE, 1, invoke, result])


def action_response(invoke: int, result: int = SUCCESS, data: bytes | None = None) -> bytes:
    """ACTION-Response-Normal; ``data`` = encoded return parameters (Get-Data-Result data)."""
    tail = b"\x00" if data is None else b"\x01\x00" + data
    return bytes([ACTION_RESPONSE, 1, invoke, result]) + tail


def exception_response(
    state_error: int = STATE_SERVICE_NOT_ALLOWED,
    service_error: int = SERVICE_OPERATION_NOT_POSSIBLE,
) -> bytes:
    return bytes([EXCEPTION_RESPONSE, state_error, service_error])
