"""Discovery: what objects a meter has, which known description it matches, and a draft for it.

DLMS: the association's ``object_list`` (Association LN 0.0.40.0.0.255 attribute 2) with each
object's access rights, read at the lowest association level that works (public client first).
IEC 62056-21: the data readout (mode C) lists the addresses the meter sends.

:func:`match` scores each known :class:`~drivers.description.Description` by the share of its
objects the meter has (ties go to the description naming more objects, i.e. the most specific);
:func:`draft_toml` writes a starting description a lab engineer then edits. Neither needs
``bench_app``: the caller passes the descriptions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from drivers.description import Description
from drivers.dlms.values import _text
from drivers.errors import AuthenticationError, DriverError, ObjectError
from drivers.meter import ConnectOptions, create_meter
from drivers.obis import Obis, ObisError
from drivers.probe_trials import Trial, findings, run_trials

OBIS_ASSOCIATION = "0.0.40.0.0.255"
OBIS_LDN = "0.0.42.0.0.255"
#: attribute access modes (Association LN access_rights) → text.
ACCESS = {0: "none", 1: "read", 2: "write", 3: "read-write"}
#: class id → interface class name.
CLASSES = {
    1: "Data", 3: "Register", 4: "Extended register", 5: "Demand register", 7: "Profile",
    8: "Clock", 15: "Association LN", 17: "SAP assignment", 23: "IEC HDLC setup",
}  # fmt: skip


@dataclass(frozen=True)
class ObjectInfo:
    """One object the meter lists: class, version, OBIS and attribute access ``{attr: mode}``."""

    class_id: int
    version: int
    obis: str
    access: dict[int, int] = field(default_factory=dict, compare=False)
    #: short-name referencing: the object's base name (the SN object list has no access rights)
    base_name: int | None = field(default=None, compare=False)

    def readable(self, attr: int = 2) -> bool:
        if self.base_name is not None and not self.access:
            return True  # an SN list says nothing about access: try
        return bool(self.access.get(attr, 0) & 1)

    def to_json(self) -> dict:
        return {
            "class_id": self.class_id,
            "class": CLASSES.get(self.class_id, f"class {self.class_id}"),
            "version": self.version,
            "obis": self.obis,
            "access": {str(a): ACCESS.get(m, str(m)) for a, m in sorted(self.access.items())},
            **({} if self.base_name is None else {"base_name": f"0x{self.base_name:04X}"}),
        }


@dataclass
class ProbeResult:
    """What a probe found: protocol, level/SAP used, identification, objects (or IEC addresses)."""

    protocol: str
    level: str
    objects: list[ObjectInfo] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)  #: IEC 62056-21 readout addresses
    identification: str = ""
    capture: dict[str, list[str]] = field(default_factory=dict)  #: profile → column OBIS codes
    notes: list[str] = field(default_factory=list)
    referencing: str = "ln"  #: ``"ln"`` or ``"sn"`` (the meter refused the LN context)
    #: behaviour tried on the reading association (:mod:`drivers.probe_trials`)
    trials: list[Trial] = field(default_factory=list)

    def codes(self) -> set[str]:
        return {o.obis for o in self.objects} | set(self.addresses)

    def to_json(self) -> dict:
        return {
            "protocol": self.protocol,
            "level": self.level,
            "identification": self.identification,
            "referencing": self.referencing,
            "objects": [o.to_json() for o in self.objects],
            "addresses": self.addresses,
            "capture_objects": self.capture,
            "notes": self.notes,
            "trials": [t.to_json() for t in self.trials],
            "findings": {
                k: ({q: {"value": v, "seen": why} for q, (v, why) in f.items()}
                    if k == "quirks" else f)
                for k, f in findings(self.trials).items()
            },
        }  # fmt: skip


def parse_object_list(value: Any) -> list[ObjectInfo]:
    """Decoded object_list → :class:`ObjectInfo` list; malformed entries are an ObjectError."""
    if not isinstance(value, list):
        raise ObjectError("object_list is not an array", obj=OBIS_ASSOCIATION, attribute=2)
    out = []
    for i, item in enumerate(value):
        try:
            class_id, version, ln, rights = item
            attrs = rights[0] if isinstance(rights, tuple | list) and rights else []
            access = {int(a[0]): int(a[1]) for a in attrs or []}
            out.append(ObjectInfo(int(class_id), int(version), Obis.parse(bytes(ln)).long, access))
        except (TypeError, ValueError, IndexError, ObisError) as exc:
            raise ObjectError(
                f"object_list entry {i} malformed: {exc}",
                obj=OBIS_ASSOCIATION,
                attribute=2,
                reason=f"entry {i} malformed",
            ) from None
    return out


def probe_dlms(options: ConnectOptions) -> ProbeResult:
    """Read the object list at the public level; if that is refused and a password is given,
    at ``options.client_sap`` with it. Profiles' capture objects are read where allowed."""
    attempts = [replace(options, client_sap=16, password=None)]
    if options.password is not None and options.client_sap != 16:
        attempts.append(options)
    last: DriverError | None = None
    for opts in attempts:
        meter: Any = None
        try:
            meter = _connect(opts)
            client = meter.client
            options = replace(options, referencing=client.referencing)
            attempts = [replace(a, referencing=client.referencing) for a in attempts]
            if client.referencing == "sn":
                objects = [
                    ObjectInfo(c, v, Obis.parse(ln).long, base_name=base)
                    for base, c, v, ln in client.object_list()
                ]
            else:
                objects = parse_object_list(client.get(15, OBIS_ASSOCIATION, 2))
            level = "public (SAP 16)" if opts.password is None else f"SAP {opts.client_sap}"
            ident = meter.identification or ""
            if not ident and any(o.obis == OBIS_LDN and o.readable() for o in objects):
                try:  # the logical device name says who it is (often maker + serial)
                    ident = _text(client.get(1, OBIS_LDN, 2))
                except ObjectError:
                    pass
            result = ProbeResult("dlms", level, objects, identification=ident)
            result.referencing = client.referencing
            for o in objects:
                if o.class_id == 7 and o.readable(3):
                    try:
                        result.capture[o.obis] = [c.obis for c in client.capture_objects(o.obis)]
                    except ObjectError as exc:
                        result.notes.append(f"{o.obis} capture objects: {exc.reason}")
            break
        except (AuthenticationError, ObjectError) as exc:
            last = exc
        finally:
            if meter is not None:
                meter.close()
    else:
        assert last is not None
        raise last
    result.trials = try_behaviour(options, result)
    return result


def _connect(opts: ConnectOptions) -> Any:
    """A connected DLMS meter: logical names first; a meter that refuses the LN application
    context (AARE diagnostic 2) is associated again with short names."""
    meter: Any = create_meter("dlms", opts)
    try:
        meter.connect()
        return meter
    except AuthenticationError as exc:
        meter.close()
        if getattr(exc, "diagnostic", None) != 2 or opts.referencing == "sn":
            raise
    meter = create_meter("dlms", replace(opts, referencing="sn"))
    try:
        meter.connect()
    except DriverError:
        meter.close()
        raise
    return meter


def _load_profile(result: ProbeResult) -> str | None:
    for o in result.objects:
        code = Obis.parse(o.obis)
        if o.class_id == 7 and code.c == 99 and code.d in (1, 2):
            return o.obis
    return None


def try_behaviour(options: ConnectOptions, result: ProbeResult) -> list[Trial]:
    """Trials (:func:`drivers.probe_trials.run_trials`) on one association at the reading level
    (the given password's, else the public one), proposing the largest HDLC window and
    information field so the UA says what the meter accepts."""
    opts = replace(options, max_info=2030, window=7) if options.framing == "hdlc" else options
    meter: Any = create_meter("dlms", opts)
    try:
        meter.connect()
        return run_trials(meter, _load_profile(result))
    except DriverError as exc:
        result.notes.append(f"behaviour trials stopped: {exc}")
        return []
    finally:
        meter.close()


def probe_iec21(options: ConnectOptions) -> ProbeResult:
    """Sign on and take the data readout (mode C); list its addresses."""
    meter: Any = create_meter("iec21", replace(options, password=None))
    try:
        meter.connect()
        ident = meter.client.identification
        addresses = [d.address for d in meter.readout.datasets if d.address]
    finally:
        meter.close()
    text = f"{ident.flag}{ident.baud_char}{ident.ident}" if ident else ""
    return ProbeResult("iec21", "data readout", addresses=addresses, identification=text)


def match(
    result: ProbeResult, descriptions: Iterable[Description]
) -> list[tuple[float, Description]]:
    """Descriptions for the probed protocol, best first, each with the share (0…1) of its objects
    (DLMS OBIS codes / IEC addresses) the meter has."""
    have = result.codes()
    scored = []
    for d in descriptions:
        if result.protocol not in d.protocols:
            continue
        if result.protocol == "dlms":
            wanted = set(d.dlms_objects())
        else:
            wanted = {r.iec for r in d.registers if r.iec}
            if d.flag and result.identification[:3].upper() == d.flag.upper():
                have = have | {"flag"}
                wanted.add("flag")
        if wanted:
            scored.append((len(wanted & have) / len(wanted), len(wanted), d))
    scored.sort(key=lambda t: (t[0], t[1]), reverse=True)
    return [(score, d) for score, _, d in scored]


def _of(objects: list[ObjectInfo], class_id: int, c: int, d: int) -> list[str]:
    out = []
    for o in objects:
        code = Obis.parse(o.obis)
        if o.class_id == class_id and code.c == c and code.d == d:
            out.append(o.obis)
    return out


def draft_toml(result: ProbeResult, name: str, reading_sap: int | None = None) -> str:
    """A description for the probed DLMS meter, for a lab engineer to check and complete.

    :param reading_sap: the client SAP the lab reads with (written as association level 2)."""
    objs = result.objects
    profiles = [o.obis for o in objs if o.class_id == 7]
    load = [p for p in profiles if Obis.parse(p).c == 99 and Obis.parse(p).d in (1, 2)]
    logs = [p for p in profiles if Obis.parse(p).c == 99 and Obis.parse(p).d == 98]
    ids = _of(objs, 1, 96, 1)
    status = _of(objs, 1, 96, 10)
    if load and load[0] in result.capture:
        status = [c for c in result.capture[load[0]] if c in status] or status
    lines = [
        f"# DRAFT written by `bench-app probe --draft` from {result.identification or 'a meter'}",
        f"# ({result.level}). Check every line against the meter's documentation: roles of",
        "# identity/firmware objects are guessed from OBIS codes; event codes and status bits",
        "# cannot be discovered and must be filled in ([event_codes], [status_bits]).",
        f'name = "{name}"',
        f'title = "{name} (draft from probe)"',
        'protocols = ["dlms"]',
        "",
        "[[associations]]",
        "level = 0",
        "sap = 16",
        'meaning = "public client"',
    ]
    if reading_sap is not None and reading_sap != 16:
        lines += ["", "[[associations]]", "level = 2", f"sap = {reading_sap}"]
        lines.append('meaning = "HHDC reading level (check)"')
    for o in objs:
        if o.class_id == 3 and Obis.parse(o.obis).d == 8:
            lines += ["", "[[channels]]", f'obis = "{o.obis}"']
    inst = [o.obis for o in objs if o.class_id == 3 and Obis.parse(o.obis).d == 7]
    lines += [
        "",
        "[dlms]",
        f'referencing = "{result.referencing}"  # probe: the meter accepted '
        + ("short names (it refused the logical-name context)" if result.referencing == "sn"
           else "logical names"),
        f'clock = "{next((o.obis for o in objs if o.class_id == 8), "0.0.1.0.0.255")}"',
        f'load_profile = "{load[0] if load else ""}"',
        f'profile_status = "{status[0] if status else ""}"',
        "event_logs = [" + ", ".join(f'"{x}"' for x in logs) + "]",
        f'event_code = "{(_of(objs, 1, 96, 11) or ["0.0.96.11.0.255"])[0]}"',
        "instantaneous = [" + ", ".join(f'"{x}"' for x in inst) + "]",
        "",
        "[dlms.identity]",
    ]
    if any(o.obis == "0.0.42.0.0.255" for o in objs):
        lines.append('logical_device_name = "0.0.42.0.0.255"')
    for role, code in zip(("serial", "outstation_type"), ids, strict=False):
        lines.append(f'{role} = "{code}"  # guessed: check')
    lines += ["", "[dlms.firmware]  # rename to the roles the approval names"]
    for n, code in enumerate(_of(objs, 1, 0, 2), start=1):
        lines.append(f'firmware_{n} = "{code}"')
    lines += ["", '[event_codes]  # meter code = bench kind, e.g. "1" = "SUPPLY_FAILURE"']
    lines += ["", '[status_bits]  # bit = flag, e.g. "7" = "SUPPLY_FAILURE"', ""]
    lines += _behaviour_lines(result)
    return "\n".join(lines)


def _behaviour_lines(result: ProbeResult) -> list[str]:
    """``[quirks]`` as the trials found them, each with what the probe saw."""
    if not result.trials:
        return ["# behaviour not probed: [quirks] left at their defaults", ""]
    found = findings(result.trials)
    lines = ["# What `probe` saw the meter do (each trial: bench-app probe --json):"]
    lines += [f"#   {_one_line(t)}" for t in result.trials]
    lines += ["", "[quirks]"]
    for name, (value, why) in found["quirks"].items():
        lines.append(f"# {_one_line(why)}")
        lines.append(f"{name} = {'true' if value else 'false'}")
    return [*lines, ""]


def _one_line(text: object) -> str:
    return " ".join(str(text).split())
