"""What a meter answers, built with the simulator's own server half (drivers.sim.dlms_apdu),
which is written independently of the client's codec (drivers.dlms.apdu) — in the call shapes
the client tests use (invoke id last, defaults of a typical meter: max PDU 500)."""

from __future__ import annotations

from drivers.dlms.apdu import DEFAULT_CONFORMANCE, DEFAULT_INVOKE
from drivers.sim import dlms_apdu as ap


def aare(
    result: int = 0, diagnostic: int = 0, *, lls: bool = False, conformance: int | None = None
) -> bytes:
    return ap.aare(
        result,
        diagnostic,
        conformance=DEFAULT_CONFORMANCE if conformance is None else conformance,
        max_pdu=0x01F4,
        mechanism=ap.MECHANISM_LLS if lls else None,
    )


def rlre() -> bytes:
    return ap.rlre()


def get_response_normal(data: bytes | None, result: int = 0, invoke: int = DEFAULT_INVOKE) -> bytes:
    return ap.get_response(invoke, data, result)


def get_response_block(
    raw: bytes, block_number: int, last: bool, invoke: int = DEFAULT_INVOKE
) -> bytes:
    return ap.get_response_block(invoke, block_number, last, raw)


def set_response(result: int = 0, invoke: int = DEFAULT_INVOKE) -> bytes:
    return ap.set_response(invoke, result)


def action_response(
    result: int = 0, data: bytes | None = None, invoke: int = DEFAULT_INVOKE
) -> bytes:
    return ap.action_response(invoke, result, data)


def exception_response(state_error: int = 1, service_error: int = 2) -> bytes:
    return ap.exception_response(state_error, service_error)
