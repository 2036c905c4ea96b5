"""The meter driver interface every protocol implements, and a factory that picks one by name.

Layering (PyMeasure style): a :class:`~drivers.transport.Transport` carries bytes; a protocol client
(``Iec21Client``, ``DlmsClient``) speaks the protocol on it; a *meter driver* (this interface) turns
protocol operations into :mod:`drivers.model` objects. Each layer is injectable, so tests can hand a
driver a :class:`~drivers.testing.ScriptedTransport`.

Reads that take long call ``progress(done, total)`` (any units, ``total`` may be 0 when unknown) and
deliver profile rows block by block through ``on_block(rows)`` as they arrive, so the caller can
store each block in its own transaction (crash safety) before the next one is asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from drivers.description import Description
from drivers.errors import AuthenticationError, ObjectError
from drivers.model import (
    Channel,
    ClockReading,
    Identity,
    MeterEvent,
    MeterReading,
    Profile,
    ProfileRow,
    ReadWarning,
    RegisterValue,
)
from drivers.trace import Trace

BlockCallback = Callable[[list[ProfileRow]], None]
ProgressCallback = Callable[[int, int], None]


@dataclass
class ConnectOptions:
    """How to reach a meter; protocol-specific fields are ignored by protocols that do not use them.

    :param url: port URL (``/dev/ttyUSB0``, ``COM3``, ``socket://127.0.0.1:4059``…).
    :param password: access password (IEC P1 password, DLMS LLS secret); None = no authentication.
    :param baud: for IEC 62056-21 and mode E the *maximum* baud to switch to (300…19200);
        for DLMS HDLC on RS232/RS485 the line baud.
    :param device_address: IEC 62056-21 device address for ``/?addr!`` (empty = any).
    :param client_sap: DLMS client SAP (16 public, others per association level).
    :param server_logical: DLMS server logical address (1 = management logical device).
    :param server_physical: DLMS server physical address (HDLC lower address).
    :param mode_e: DLMS through the optical port (IEC 62056-21 sign-on, then HDLC).
    :param framing: DLMS ``"hdlc"`` or ``"wrapper"`` (TCP 4059 style).
    :param max_info: DLMS HDLC maximum information field length to propose (bytes, 32…2030).
    :param window: DLMS HDLC receive window to propose (1…7 frames per RR; the CLI uses 7).
    :param echo: drop the echo of a half-duplex optical head / RS485 adapter.
    :param timeout: per-answer timeout in seconds.
    :param reaction_ms: IEC 62056-21 time to wait after the ACK before switching baud (ms).
    :param trace: where to record bytes (a new Trace when omitted).
    :param listen_only: IEC 62056-21 only: never transmit; read a pushed (mode D) telegram at
        ``baud`` (default 2400).
    :param description: the meter type's description (:mod:`drivers.description`): where its
        objects live, its event codes and status bits; None = the built-in ``prometer100``.
    """

    url: str
    password: str | None = None
    baud: int | None = None
    device_address: str = ""
    client_sap: int = 16
    server_logical: int = 1
    server_physical: int = 17
    mode_e: bool = False
    framing: str = "hdlc"
    max_info: int = 128
    window: int = 1
    echo: bool = False
    timeout: float = 3.0
    reaction_ms: int = 300
    trace: Trace = field(default_factory=Trace)
    description: Description | None = None
    #: IEC 62056-21 mode D: send nothing, take the telegram the meter pushes (passive port).
    listen_only: bool = False
    #: DLMS ``"ln"`` or ``"sn"`` referencing; None = the description's (default LN).
    referencing: str | None = None
    #: DLMS: the client's system title sent as calling-AP-title (8 octets; b"" = none). The
    #: bench's simulated HHDC sends :data:`drivers.model.SIMULATOR_SYSTEM_TITLE`.
    calling_ap_title: bytes = b""


@runtime_checkable
class MeterDriver(Protocol):
    """What the bench can ask of any meter, whatever the protocol."""

    protocol: str  #: ``"iec21"`` or ``"dlms"``
    trace: Trace
    #: the load-profile channels; set by :meth:`read_profile` before its first ``on_block`` call.
    profile_channels: list[Channel]

    def connect(self) -> None:
        """Open the port, sign on / associate (authenticate when a password is set)."""

    def close(self) -> None:
        """Release the association / send break, close the port. Never raises."""

    def read_identity(self) -> Identity: ...

    def read_clock(self) -> ClockReading: ...

    def set_clock(self, meter_time: datetime) -> ClockReading:
        """Set the meter clock (UTC) and return a fresh reading of it afterwards."""

    def read_registers(self) -> list[RegisterValue]: ...

    def read_instantaneous(self) -> list[RegisterValue]:
        """V/I per phase, P, PF, f — empty when the protocol/meter has none."""

    def read_profile(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        on_block: BlockCallback | None = None,
        progress: ProgressCallback | None = None,
    ) -> Profile:
        """Rows with ``start <= row.start < end`` (None = from the oldest / up to the newest)."""

    def read_events(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> list[MeterEvent]: ...


#: protocol name → "module:Class" of the driver, imported on first use.
DRIVERS = {
    "iec21": "drivers.iec62056_21.meter:Iec21Meter",
    "dlms": "drivers.dlms.meter:DlmsMeter",
}


def create_meter(protocol: str, options: ConnectOptions) -> MeterDriver:
    """Build (not connect) the driver for ``protocol`` (``"iec21"`` or ``"dlms"``)."""
    try:
        target = DRIVERS[protocol]
    except KeyError:
        raise ValueError(f"unknown protocol {protocol!r}; choose from {sorted(DRIVERS)}") from None
    module_name, cls_name = target.split(":")
    cls = getattr(importlib.import_module(module_name), cls_name)
    return cls(options)


def read_optional(
    what: str, fn: Callable[[], Any], default: Any, warnings: list[ReadWarning]
) -> Any:
    """``fn()``, or ``default`` with a :class:`ReadWarning` appended to ``warnings`` when the
    object is missing, refused or undecodable (:class:`ObjectError`). Authentication errors
    still raise: a whole group refused at this level is a password problem, not a gap."""
    try:
        return fn()
    except AuthenticationError:
        raise
    except ObjectError as exc:
        warnings.append(ReadWarning(exc.obj or what, exc.attribute, f"{what}: {exc.reason}"))
        return default


class Readable(Protocol):
    """The five reads of a whole read (:func:`read_all`): a :class:`MeterDriver`, or a wrapper
    that stores each one as it is read (``bench_app.acquire``)."""

    def read_identity(self) -> Identity: ...

    def read_clock(self) -> ClockReading: ...

    def read_registers(self) -> list[RegisterValue]: ...

    def read_profile(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        on_block: BlockCallback | None = None,
        progress: ProgressCallback | None = None,
    ) -> Profile | None: ...

    def read_events(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> list[MeterEvent]: ...


def read_all(
    meter: Readable,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    on_block: BlockCallback | None = None,
    progress: ProgressCallback | None = None,
) -> MeterReading:
    """Identity, clock, registers, profile and events in one go (the meter must be connected):
    the one whole-read sequence, used by ``bench-app read`` with and without a session.

    Registers come before the profile: a DLMS driver learns the channels' scalers from them, so
    the profile read then asks for fewer objects.

    Tolerant: an object the meter lacks, refuses or sends undecodable (:class:`ObjectError`)
    becomes a :class:`ReadWarning` in ``MeterReading.warnings`` and the rest is read; transport,
    timeout and authentication errors (a whole group refused at this level) still abort. Drivers
    add their own per-object warnings (a missing firmware identifier, one event log of two)
    through their ``warnings`` list.
    """
    own: list[ReadWarning] = []

    def optional(what: str, fn: Callable[[], Any], default: Any) -> Any:
        return read_optional(what, fn, default, own)

    identity = meter.read_identity()
    clock = optional("clock", meter.read_clock, None)
    registers = optional("registers", meter.read_registers, [])
    profile = optional(
        "load profile",
        lambda: meter.read_profile(start, end, on_block=on_block, progress=progress),
        None,
    )
    events = optional("events", lambda: meter.read_events(start, end), [])
    warnings = list(getattr(meter, "warnings", [])) + own
    return MeterReading(identity, clock, registers, profile, events, warnings=warnings)
