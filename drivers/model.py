"""Meter objects shared by every protocol driver and by the simulated outstations.

All times are timezone-aware UTC :class:`datetime.datetime`. Energy values are in the unit named
beside them (``"kWh"``, ``"Wh"``, ``"kvarh"``…); :func:`normalise` converts to the kilo units the
bench stores and compares.

Status flags (:class:`StatusFlag`) and event codes (:class:`EventCode`) are the bench's canonical
vocabulary for the CoP alarms; drivers map a meter's own bits and codes onto them.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import ClassVar


class StatusFlag(enum.IntFlag):
    """Per-interval status bits (16-bit), one per CoP alarm category."""

    NONE = 0
    PHASE_FAILURE = 0x0001
    SUPPLY_FAILURE = 0x0002
    RESET = 0x0004  #: reset not caused by a supply failure
    BATTERY = 0x0008
    CLOCK_CHANGE = 0x0010  #: date/time changed via a port
    PERIOD_ADJUSTED = 0x0020  #: period shortened or lengthened by time synchronisation
    DATA_CHANGE = 0x0040  #: other data changed via a port
    REVERSE_RUNNING = 0x0080
    OTHER_ERROR = 0x0100
    DATA_INVALID = 0x0200

    @classmethod
    def names(cls, value: int) -> list[str]:
        """Names of the bits set in ``value``, lowest bit first (e.g. ``["PHASE_FAILURE"]``)."""
        return [f.name for f in cls if f.value and value & f.value and f.name]


class EventCode(enum.IntEnum):
    """Canonical event codes logged by outstations (and by the simulators)."""

    PHASE_FAILURE_L1 = 1
    PHASE_FAILURE_L2 = 2
    PHASE_FAILURE_L3 = 3
    PHASE_RESTORED = 4
    SUPPLY_FAILURE = 10
    SUPPLY_RESTORED = 11
    BATTERY_FAULT = 20
    RESET = 30
    CLOCK_SET = 40
    WRONG_PASSWORD = 50
    DATA_CHANGE = 60
    REVERSE_RUNNING = 70
    REVERSE_RUNNING_END = 71
    OTHER_ERROR = 90

    @property
    def text(self) -> str:
        return _EVENT_TEXT[self]

    @property
    def flag(self) -> StatusFlag:
        """The interval status flag this event raises (``NONE`` for restorations and refusals)."""
        return _EVENT_FLAG.get(self, StatusFlag.NONE)


_EVENT_TEXT = {
    EventCode.PHASE_FAILURE_L1: "Phase failure L1",
    EventCode.PHASE_FAILURE_L2: "Phase failure L2",
    EventCode.PHASE_FAILURE_L3: "Phase failure L3",
    EventCode.PHASE_RESTORED: "Phase restored",
    EventCode.SUPPLY_FAILURE: "Outstation supply failure",
    EventCode.SUPPLY_RESTORED: "Outstation supply restored",
    EventCode.BATTERY_FAULT: "Battery fault",
    EventCode.RESET: "Reset (not caused by supply failure)",
    EventCode.CLOCK_SET: "Date/time changed via port",
    EventCode.WRONG_PASSWORD: "Access refused: wrong password",
    EventCode.DATA_CHANGE: "Data changed via port",
    EventCode.REVERSE_RUNNING: "Reverse running",
    EventCode.REVERSE_RUNNING_END: "Reverse running ended",
    EventCode.OTHER_ERROR: "Other error",
}

_EVENT_FLAG = {
    EventCode.PHASE_FAILURE_L1: StatusFlag.PHASE_FAILURE,
    EventCode.PHASE_FAILURE_L2: StatusFlag.PHASE_FAILURE,
    EventCode.PHASE_FAILURE_L3: StatusFlag.PHASE_FAILURE,
    EventCode.SUPPLY_FAILURE: StatusFlag.SUPPLY_FAILURE,
    EventCode.SUPPLY_RESTORED: StatusFlag.SUPPLY_FAILURE,
    EventCode.BATTERY_FAULT: StatusFlag.BATTERY,
    EventCode.RESET: StatusFlag.RESET,
    EventCode.CLOCK_SET: StatusFlag.CLOCK_CHANGE | StatusFlag.PERIOD_ADJUSTED,
    EventCode.DATA_CHANGE: StatusFlag.DATA_CHANGE,
    EventCode.REVERSE_RUNNING: StatusFlag.REVERSE_RUNNING,
    EventCode.OTHER_ERROR: StatusFlag.OTHER_ERROR,
}

#: Unit → (factor, bench unit): values are stored and compared in kilo units.
_NORMAL_UNITS = {
    "Wh": (0.001, "kWh"),
    "kWh": (1.0, "kWh"),
    "MWh": (1000.0, "kWh"),
    "varh": (0.001, "kvarh"),
    "kvarh": (1.0, "kvarh"),
    "VAh": (0.001, "kVAh"),
    "kVAh": (1.0, "kVAh"),
    "W": (0.001, "kW"),
    "kW": (1.0, "kW"),
    "var": (0.001, "kvar"),
    "kvar": (1.0, "kvar"),
}


def normalise(value: float, unit: str | None) -> tuple[float, str | None]:
    """Convert an energy/power value to the bench's kilo unit (``Wh`` → ``kWh`` …).

    Units the table does not know (V, A, Hz, none) are returned unchanged.
    """
    if unit in _NORMAL_UNITS:
        factor, base = _NORMAL_UNITS[unit]
        return value * factor, base
    return value, unit


def utc(dt: datetime) -> datetime:
    """Return ``dt`` as aware UTC (naive datetimes are taken to be UTC)."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def iso(dt: datetime) -> str:
    """ISO 8601 UTC with a ``Z`` suffix, seconds precision (``2026-11-24T03:30:00Z``)."""
    return utc(dt).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass
class Identity:
    """Who the outstation is.

    :param serial: the outstation's unique serial number.
    :param manufacturer: manufacturer flag or name (IEC: the 3-letter flag).
    :param model: model / identification text.
    :param outstation_type: 3-character Valid Outstation Type code (``PRO``), when the meter says.
    :param firmware: ``{"metrology", "application", "communications"}`` → version text.
    :param logical_device_name: DLMS logical device name (0.0.42.0.0.255), when read.
    """

    serial: str
    manufacturer: str = ""
    model: str = ""
    outstation_type: str | None = None
    firmware: dict[str, str] = field(default_factory=dict)
    logical_device_name: str | None = None

    def to_json(self) -> dict:
        return asdict(self)

    #: What a simulated outstation puts in its manufacturer and model text (every simulator
    #: shipped in :mod:`drivers.sim` does, and its serial carries ``-SIM-``).
    SIMULATED_MARK: ClassVar[str] = "(simulated)"

    @property
    def simulated(self) -> bool:
        """The outstation says it is a simulator (see :meth:`announces_simulator`)."""
        return Identity.announces_simulator(self.to_json())

    @staticmethod
    def announces_simulator(identity: dict) -> bool:
        """True when an identity (as :meth:`to_json` gives it) is a simulated outstation's:
        ``(simulated)`` in its manufacturer or model, ``-SIM-`` in its serial, or a DLMS logical
        device name ``SIM`` after the manufacturer's 3-letter flag (``SMLSIM000000123``: the
        one object even the public client reads)."""
        texts = (str(identity.get("manufacturer") or ""), str(identity.get("model") or ""))
        serial = str(identity.get("serial") or "").upper()
        ldn = str(identity.get("logical_device_name") or "").upper()
        return (
            any(Identity.SIMULATED_MARK in t.lower() for t in texts)
            or "-SIM-" in serial
            or ldn[3:6] == "SIM"
        )


#: The DLMS system title the bench's simulated HHDC sends as its AARQ's calling-AP-title: a
#: 3-letter flag, then ``SIM`` — the convention of a simulated outstation's logical device name.
SIMULATOR_SYSTEM_TITLE = b"WBSSIM\x00\x01"


def system_title_announces_simulator(title: bytes) -> bool:
    """True when a DLMS system title (8 octets: 3-letter flag, 5 octets) says ``SIM`` after the
    flag, as :data:`SIMULATOR_SYSTEM_TITLE` does."""
    return len(title) == 8 and title[3:6] == b"SIM"


@dataclass
class ClockReading:
    """Meter clock against the PC clock at the moment of reading.

    :param meter_time: what the meter said (UTC).
    :param pc_time: the PC's UTC time when the answer arrived.
    :param deviation_s: ``meter_time − pc_time`` in seconds (positive: meter is fast).
    """

    meter_time: datetime
    pc_time: datetime
    deviation_s: float

    @classmethod
    def of(cls, meter_time: datetime, pc_time: datetime) -> ClockReading:
        meter_time, pc_time = utc(meter_time), utc(pc_time)
        return cls(meter_time, pc_time, (meter_time - pc_time).total_seconds())

    def to_json(self) -> dict:
        return {
            "meter_time": iso(self.meter_time),
            "pc_time": iso(self.pc_time),
            "deviation_s": round(self.deviation_s, 3),
        }


@dataclass
class RegisterValue:
    """A register (cumulative energy or instantaneous value) in its unit.

    :param obis: OBIS code in dotted form ``1.0.1.8.0.255`` (IEC drivers may use ``1.8.0``).
    :param value: scaled value (``raw × 10^scaler``) or text.
    :param unit: unit text (``kWh``, ``Wh``, ``V``…) or None.
    """

    obis: str
    value: float | int | str
    unit: str | None = None

    def to_json(self) -> dict:
        return {"obis": self.obis, "value": self.value, "unit": self.unit}


@dataclass
class Channel:
    """One load-profile channel: what it measures and in which unit."""

    obis: str
    unit: str | None

    def to_json(self) -> dict:
        return {"obis": self.obis, "unit": self.unit}


@dataclass
class ProfileRow:
    """One integration period.

    :param start: start of the period, UTC.
    :param values: one value per channel, in the channel's unit (advance over the period).
    :param status: :class:`StatusFlag` bits for the period.
    """

    start: datetime
    values: list[float]
    status: int = 0

    def to_json(self) -> dict:
        return {"start": iso(self.start), "values": list(self.values), "status": int(self.status)}


@dataclass
class Profile:
    """A load profile: period in minutes (5/10/15/20/30), channels and rows (oldest first)."""

    period_min: int
    channels: list[Channel]
    rows: list[ProfileRow] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "period_min": self.period_min,
            "channels": [c.to_json() for c in self.channels],
            "rows": [r.to_json() for r in self.rows],
        }


@dataclass
class MeterEvent:
    """One event-log entry: when (meter time, UTC), canonical code, text."""

    time: datetime
    code: int
    text: str

    def to_json(self) -> dict:
        return {"time": iso(self.time), "code": int(self.code), "text": self.text}


@dataclass
class ReadWarning:
    """Something a read could not get, while the rest was read and kept.

    :param object: what was not read (OBIS code, IEC address, or ``"profile"``/``"events"``…).
    :param attribute: the attribute number / item, when known.
    :param reason: why (``"refused: object-undefined"``, ``"undecodable value: …"``).
    """

    object: str
    attribute: int | str | None
    reason: str

    def to_json(self) -> dict:
        return {"object": self.object, "attribute": self.attribute, "reason": self.reason}

    def __str__(self) -> str:
        attr = f" attribute {self.attribute}" if self.attribute not in (None, "") else ""
        return f"{self.object}{attr}: {self.reason}"


@dataclass
class MeterReading:
    """Everything one read produced; :meth:`to_json` is the ``bench-app read --json`` shape."""

    identity: Identity
    clock: ClockReading | None = None
    registers: list[RegisterValue] = field(default_factory=list)
    profile: Profile | None = None
    events: list[MeterEvent] = field(default_factory=list)
    instantaneous: list[RegisterValue] = field(default_factory=list)
    #: what could not be read (the read went on); empty when everything was read.
    warnings: list[ReadWarning] = field(default_factory=list)

    def to_json(self) -> dict:
        out: dict = {
            "identity": self.identity.to_json(),
            "clock": self.clock.to_json() if self.clock else None,
            "registers": [r.to_json() for r in self.registers],
            "profile": self.profile.to_json() if self.profile else None,
            "events": [e.to_json() for e in self.events],
        }
        if self.instantaneous:
            out["instantaneous"] = [r.to_json() for r in self.instantaneous]
        out["warnings"] = [w.to_json() for w in self.warnings]
        return out
