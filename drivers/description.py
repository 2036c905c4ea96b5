"""Meter descriptions as data: what one outstation type has and where (TOML, no code).

A description names, per outstation type, the protocols, the DLMS addressing and association
levels (client SAP, meaning), the OBIS codes of the identity objects (serial, outstation type code,
each firmware identifier), clock, energy registers, instantaneous values, load profile and event
logs, the meter's **event codes → bench event kinds** and **status bits → settlement flags**, the
IEC 62056-21 addresses and P.01/P.98 layout, and quirk switches. The files ship in
``resources/meters/`` and a lab adds its own in the user data folder (``bench_app.meters`` finds
them); the simulated meters and the drivers read the same files. The full field list is in
``resources/meters/README.md``.

This module never imports ``bench_app``: give it a path (:func:`load_description`) or text
(:func:`parse_description`). Errors are :class:`DescriptionError` naming ``file:line`` and field.

>>> d = load_description(builtin_dir() / "prometer100.toml")
>>> d.level(2).client_sap
48
>>> d.event_kind(1).name, d.flags_of(0x0001).name
('PHASE_FAILURE_L1', 'PHASE_FAILURE')
"""

from __future__ import annotations

import enum as enum_mod
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drivers.model import EventCode, StatusFlag
from drivers.obis import Obis, ObisError

PROTOCOLS = ("dlms", "iec21")
#: quirk switches a description may set (all default False).
QUIRKS = {
    "range_deviation_unspecified": "send range-selection date-times with deviation 'not specified'",
    "entry_based_profile": "no range selection: read the load profile by entry (selector 2)",
    "no_get_with_list": "never use GET-with-list even if the conformance block allows it",
    "no_selective_access": "no selective access: read whole buffers, then keep the span",
}
_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\"]+)\s*\]\]?")
_KEY = re.compile(r"^\s*\"?([A-Za-z0-9_\-]+)\"?\s*=")


def builtin_dir() -> Path:
    """``resources/meters`` of the source tree, or of a frozen bundle (``sys._MEIPASS``)."""
    frozen = getattr(sys, "_MEIPASS", None)
    root = Path(frozen) if frozen else Path(__file__).resolve().parent.parent
    return root / "resources" / "meters"


class DescriptionError(ValueError):
    """A meter description is invalid: ``file:line: field: reason``."""


@dataclass(frozen=True)
class Level:
    """One association level: ``level`` 0…4, DLMS client SAP, what it may do, LLS secret (the
    simulator's; a real meter's description leaves it empty)."""

    level: int
    client_sap: int
    meaning: str = ""
    password: str = ""


@dataclass(frozen=True)
class RegisterSpec:
    """An energy register / profile channel: long OBIS, IEC 62056-21 address, unit, name."""

    obis: str
    iec: str = ""
    unit: str = ""
    name: str = ""


@dataclass(frozen=True)
class Description:
    """One outstation type as the drivers and the checklist see it (all OBIS codes long form).

    :param identity: ``{"logical_device_name"|"serial"|"outstation_type": OBIS}``.
    :param firmware: firmware identifier name (``metrology``…) → OBIS of its Data object.
    :param event_codes: the meter's event code → bench :class:`EventCode`.
    :param status_bits: bit number (0 = LSB) of the meter's profile status → :class:`StatusFlag`.
    :param iec21: IEC 62056-21 addresses (``serial``, ``time``, ``date``, ``profile`` = ``P.01``,
        ``events`` = ``P.98``, ``profile_layout``).
    """

    name: str
    source: str
    title: str = ""
    protocols: tuple[str, ...] = ("dlms",)
    outstation_type: str = ""
    flag: str = ""
    levels: tuple[Level, ...] = ()
    server_logical: int = 1
    server_physical: int = 17
    identity: dict[str, str] = field(default_factory=dict)
    firmware: dict[str, str] = field(default_factory=dict)
    clock: str = "0.0.1.0.0.255"
    registers: tuple[RegisterSpec, ...] = ()
    instantaneous: tuple[str, ...] = ()
    load_profile: str = "1.0.99.1.0.255"
    profile_status: str = "0.0.96.10.1.255"
    event_logs: tuple[str, ...] = ()
    event_code: str = "0.0.96.11.0.255"
    event_codes: dict[int, EventCode] = field(default_factory=dict)
    status_bits: dict[int, StatusFlag] = field(default_factory=dict)
    iec21: dict[str, str] = field(default_factory=dict)
    quirks: frozenset[str] = frozenset()
    #: DLMS referencing: ``"ln"`` logical names or ``"sn"`` short names (base names)
    referencing: str = "ln"
    #: the most energy (kWh or kvarh) one settlement period can plausibly hold on this meter type
    #: (its rating × 0.5 h); None when the description does not know (a generic description)
    max_kwh_per_period: float | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    # -- the small API the checklist and the drivers use ----------------------------------------
    def level(self, number: int) -> Level:
        """The association level ``number`` (0 public … 4); KeyError names what exists."""
        for lv in self.levels:
            if lv.level == number:
                return lv
        raise KeyError(f"{self.name}: no association level {number} (has {self.level_numbers})")

    @property
    def level_numbers(self) -> list[int]:
        return [lv.level for lv in self.levels]

    def has_quirk(self, name: str) -> bool:
        return name in self.quirks

    def event_kind(self, code: int) -> EventCode | None:
        """Bench event kind of the meter's event ``code`` (None = not in the mapping)."""
        return self.event_codes.get(int(code))

    def meter_event_code(self, kind: EventCode) -> int | None:
        """The meter's code for bench event ``kind`` (first in the mapping), None if it has none."""
        return next((c for c, k in self.event_codes.items() if k == kind), None)

    def flags_of(self, raw: int) -> StatusFlag:
        """The meter's status word → bench :class:`StatusFlag` bits (unmapped bits dropped)."""
        out = StatusFlag.NONE
        for bit, flag in self.status_bits.items():
            if raw >> bit & 1:
                out |= flag
        return out

    def status_of(self, flags: int) -> int:
        """Bench flags → the meter's status word (the simulator's direction)."""
        out = 0
        for bit, flag in self.status_bits.items():
            if flags & flag:
                out |= 1 << bit
        return out

    def dlms_objects(self) -> list[str]:
        """Every OBIS code the DLMS driver may read for this type (for matching and drafts)."""
        codes = [*self.identity.values(), *self.firmware.values(), self.clock]
        codes += [r.obis for r in self.registers] + list(self.instantaneous)
        codes += [self.load_profile, self.profile_status, *self.event_logs, self.event_code]
        return list(dict.fromkeys(c for c in codes if c))


# -- loading --------------------------------------------------------------------------------------
class _Lines:
    """``table.key`` / ``array[i].key`` → line number, for error messages (tomllib has none)."""

    def __init__(self, text: str) -> None:
        self.lines: dict[str, int] = {}
        counters: dict[str, int] = {}
        prefix = ""
        for number, line in enumerate(text.splitlines(), start=1):
            h = _HEADER.match(line)
            if h:
                name = h.group(2).replace('"', "")
                if h.group(1) == "[[":
                    counters[name] = counters.get(name, -1) + 1
                    prefix = f"{name}[{counters[name]}]"
                else:
                    prefix = name
                self.lines.setdefault(prefix, number)
                continue
            k = _KEY.match(line)
            if k:
                key = f"{prefix}.{k.group(1)}" if prefix else k.group(1)
                self.lines.setdefault(key, number)

    def of(self, path: str) -> int:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path.rpartition(".")[0]
        return 1


class _Reader:
    """Typed field access that raises :class:`DescriptionError` with ``file:line``."""

    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.where = _Lines(text)

    def fail(self, path: str, reason: str) -> DescriptionError:
        return DescriptionError(f"{self.source}:{self.where.of(path)}: {path}: {reason}")

    def get(self, table: dict, key: str, path: str, kind: type | tuple, default: Any = ...) -> Any:
        if key not in table:
            if default is ...:
                raise self.fail(path, "required field is missing")
            return default
        value = table[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(path, f"expected {_kind_name(kind)}, got {value!r}")
        return value

    def obis(self, value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise self.fail(path, f"expected an OBIS code as text, got {value!r}")
        try:
            return Obis.parse(value).long
        except ObisError as exc:
            raise self.fail(path, str(exc)) from None


def _kind_name(kind: type | tuple) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {str: "text", int: "an integer", list: "a list", dict: "a table", bool: "true/false",
             float: "a number"}  # fmt: skip
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise DescriptionError(f"{source}:{m.group(1) if m else 1}: {exc}") from None


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` on top of ``base``: tables merge key by key, anything else is replaced."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def read_description(path: str | Path, _depth: int = 0) -> tuple[dict[str, Any], str]:
    """The TOML table and text of the description at ``path``, with ``extends = "NAME"`` resolved:
    the file is read on top of ``NAME.toml`` (same folder first, then the built-in ones), so a
    variant of a meter type names only what differs (a simulated behaviour, other SAPs)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DescriptionError(f"{p}: cannot read the meter description: {exc}") from None
    raw = _toml(text, str(p))
    base_name = raw.pop("extends", None)
    if base_name is None:
        return raw, text
    if not isinstance(base_name, str) or not base_name or _depth > 4:
        line = _Lines(text).of("extends")
        raise DescriptionError(f"{p}:{line}: extends: {base_name!r} is not a description name")
    base = next(
        (d / f"{base_name}.toml" for d in (p.parent, builtin_dir()) if (d / f"{base_name}.toml")
         .is_file()), None,
    )  # fmt: skip
    if base is None or base.resolve() == p.resolve():
        line = _Lines(text).of("extends")
        raise DescriptionError(f"{p}:{line}: extends: no description {base_name!r} to extend")
    base_raw, _ = read_description(base, _depth + 1)
    return _merge(base_raw, raw), text


def load_description(path: str | Path) -> Description:
    """Read and validate the description at ``path`` (DescriptionError names file:line)."""
    p = Path(path)
    raw, text = read_description(p)
    return parse_description(text, str(p), default_name=p.stem, raw=raw)


def parse_description(
    text: str, source: str = "<text>", *, default_name: str = "", raw: dict | None = None
) -> Description:
    """Validate a description given as TOML text (or its already merged table ``raw``, see
    :func:`read_description`); ``source`` is named in errors."""
    if raw is None:
        raw = _toml(text, source)
    r = _Reader(source, text)
    name = r.get(raw, "name", "name", str, default_name)
    if not name:
        raise r.fail("name", "required field is missing")
    protocols = tuple(r.get(raw, "protocols", "protocols", list, ["dlms"]))
    for i, proto in enumerate(protocols):
        if proto not in PROTOCOLS:
            raise r.fail("protocols", f"item {i}: {proto!r} is not one of {list(PROTOCOLS)}")
    levels = []
    for i, a in enumerate(r.get(raw, "associations", "associations", list, [])):
        path = f"associations[{i}]"
        number = r.get(a, "level", f"{path}.level", int)
        if not 0 <= number <= 4:
            raise r.fail(f"{path}.level", f"{number} is not a level 0…4")
        sap = r.get(a, "sap", f"{path}.sap", int)
        if not 1 <= sap <= 0x7F:
            raise r.fail(f"{path}.sap", f"client SAP {sap} is not 1…127")
        levels.append(
            Level(
                number,
                sap,
                r.get(a, "meaning", f"{path}.meaning", str, ""),
                r.get(a, "password", f"{path}.password", str, ""),
            )
        )
    if len({lv.level for lv in levels}) != len(levels):
        raise r.fail("associations", "a level is listed twice")
    dlms = r.get(raw, "dlms", "dlms", dict, {})
    ident = r.get(dlms, "identity", "dlms.identity", dict, {})
    identity = {k: r.obis(v, f"dlms.identity.{k}") for k, v in ident.items()}
    unknown = set(identity) - {"logical_device_name", "serial", "outstation_type"}
    if unknown:
        raise r.fail(f"dlms.identity.{sorted(unknown)[0]}", "unknown identity object")
    firmware = {
        k: r.obis(v, f"dlms.firmware.{k}")
        for k, v in r.get(dlms, "firmware", "dlms.firmware", dict, {}).items()
    }
    registers = []
    for i, c in enumerate(r.get(raw, "channels", "channels", list, [])):
        path = f"channels[{i}]"
        registers.append(
            RegisterSpec(
                r.obis(c.get("obis"), f"{path}.obis"),
                r.get(c, "iec", f"{path}.iec", str, ""),
                r.get(c, "unit", f"{path}.unit", str, ""),
                r.get(c, "name", f"{path}.name", str, ""),
            )
        )

    def codes(key: str) -> tuple[str, ...]:
        items = r.get(dlms, key, f"dlms.{key}", list, [])
        return tuple(r.obis(v, f"dlms.{key}") for v in items)

    def one(key: str, default: str) -> str:
        value = r.get(dlms, key, f"dlms.{key}", str, default)
        return r.obis(value, f"dlms.{key}") if value else ""

    referencing = r.get(dlms, "referencing", "dlms.referencing", str, "ln")
    if referencing not in ("ln", "sn"):
        raise r.fail("dlms.referencing", f"{referencing!r} is not 'ln' or 'sn'")
    quirk_table = r.get(raw, "quirks", "quirks", dict, {})
    for q in quirk_table:
        if q not in QUIRKS:
            raise r.fail(f"quirks.{q}", f"unknown quirk; known: {', '.join(QUIRKS)}")
        r.get(quirk_table, q, f"quirks.{q}", bool)
    limit = r.get(raw, "max_kwh_per_period", "max_kwh_per_period", (int, float), None)
    if limit is not None and not (0 < limit < float("inf")):
        raise r.fail("max_kwh_per_period", f"{limit!r} is not a number > 0")
    iec = r.get(raw, "iec21", "iec21", dict, {})
    for k in iec:
        r.get(iec, k, f"iec21.{k}", str)
    return Description(
        name=name,
        source=source,
        title=r.get(raw, "title", "title", str, r.get(raw, "model", "model", str, "")),
        protocols=protocols,
        outstation_type=r.get(raw, "outstation_type", "outstation_type", str, ""),
        flag=r.get(raw, "flag", "flag", str, ""),
        levels=tuple(sorted(levels, key=lambda lv: lv.level)),
        server_logical=r.get(dlms, "server_logical", "dlms.server_logical", int, 1),
        server_physical=r.get(dlms, "server_physical", "dlms.server_physical", int, 17),
        identity=identity,
        firmware=firmware,
        clock=one("clock", "0.0.1.0.0.255"),
        registers=tuple(registers),
        instantaneous=codes("instantaneous"),
        load_profile=one("load_profile", "1.0.99.1.0.255"),
        profile_status=one("profile_status", ""),
        event_logs=codes("event_logs"),
        event_code=one("event_code", "0.0.96.11.0.255"),
        event_codes=_mapping(r, raw, "event_codes", EventCode, 0xFFFF),
        status_bits=_mapping(r, raw, "status_bits", StatusFlag, 31),
        iec21=dict(iec),
        quirks=frozenset(q for q, on in quirk_table.items() if on),
        referencing=referencing,
        max_kwh_per_period=None if limit is None else float(limit),
        raw=raw,
    )


def _mapping(r: _Reader, raw: dict, key: str, enum: type[enum_mod.Enum], top: int) -> dict:
    out = {}
    for k, v in r.get(raw, key, key, dict, {}).items():
        path = f"{key}.{k}"
        try:
            number = int(k, 0)
        except ValueError:
            raise r.fail(path, f"{k!r} is not a number") from None
        if not 0 <= number <= top:
            raise r.fail(path, f"{number} is not 0…{top}")
        if not isinstance(v, str) or v not in enum.__members__ or v == "NONE":
            names = ", ".join(n for n in enum.__members__ if n != "NONE")
            raise r.fail(path, f"{v!r} is not one of {names}")
        out[number] = enum[v]
    return out
