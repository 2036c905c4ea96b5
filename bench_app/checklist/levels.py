"""Association levels of the meter under test, from the meter description data (one accessor).

Today the descriptions are the simulated meters' TOML files (``drivers/sim/meters/``); when they
move (e.g. to ``resources/meters``) only :func:`descriptions` changes. A level is the CoP password
level (0 public … 4); level 2 is the HHDC's (D0268) and its client SAP is taken from the
description, never guessed.

>>> association(2)
Association(level=2, client_sap=48, meter='prometer100')
"""

from __future__ import annotations

from typing import Any, NamedTuple

from bench_app.errors import UsageError


class Association(NamedTuple):
    """A DLMS association level of a described meter: CoP level and client SAP."""

    level: int
    client_sap: int
    meter: str


def descriptions() -> list[Any]:
    """Every meter description the bench knows (re-point here when descriptions move)."""
    from drivers.sim.meter import MeterDescription

    out = []
    for name in MeterDescription.available():
        try:
            out.append(MeterDescription.load(name))
        except ValueError:
            continue
    return out


def describe_meter(outstation_type: str = "") -> Any:
    """The description of ``outstation_type`` (Valid Outstation Type code, e.g. ``PRO``); the
    first description when the type is empty or unknown."""
    known = descriptions()
    if not known:
        raise UsageError("no meter descriptions are installed")
    return next((d for d in known if d.outstation_type == outstation_type), known[0])


def association(level: int, outstation_type: str = "") -> Association:
    """Client SAP of association ``level`` (0–4) of the meter of ``outstation_type``.

    :raises UsageError: when the description has no such level.
    """
    desc = describe_meter(outstation_type)
    for a in desc.associations:
        if a.level == level:
            return Association(level, a.sap, desc.name)
    raise UsageError(f"meter description {desc.name} has no association level {level}")


def session_association(store: Any, session_id: int, level: int) -> Association:
    """:func:`association` for the outstation type declared in the session's equipment."""
    equipment = store.equipment(session_id) or {}
    return association(level, str(equipment.get("outstation_type") or ""))
