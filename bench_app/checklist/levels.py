"""Association levels of the meter under test, from its meter description (:mod:`bench_app.meters`).

A level is the CoP password level (0 public … 4); level 2 is the HHDC's (D0268) and its client SAP
is taken from the description, never guessed. Which description: the one named for the run
(``checklist run --meter NAME``), else the one the session's bench record names (the simulator's
``--meter``, recorded by ``checklist run``, the demo or ``session set bench --meter``), else the
one whose Valid Outstation Type code is the session's declared outstation type, else the default
:data:`DEFAULT_METER`. The same files are what the drivers and the simulator read
(``resources/meters/`` and the user's ``meters/`` folder).

>>> association(2)
Association(level=2, client_sap=48, meter='prometer100')
"""

from __future__ import annotations

from typing import Any, NamedTuple

from bench_app import meters
from bench_app.errors import UsageError
from drivers.description import Description

#: The description used when nothing names one (the simulated Prometer-class meter).
DEFAULT_METER = "prometer100"


class Association(NamedTuple):
    """A DLMS association level of a described meter: CoP level and client SAP."""

    level: int
    client_sap: int
    meter: str


def describe_meter(outstation_type: str = "", name: str = "") -> Description:
    """The description called ``name`` (a name or ``.toml`` path), else the one of
    ``outstation_type`` (Valid Outstation Type code, e.g. ``PRO``), else :data:`DEFAULT_METER`.

    :raises UsageError: ``name`` is not a valid description.
    """
    if name:
        return meters.load(name)  # a name or the path of the file
    if outstation_type:
        for desc in meters.all_descriptions():
            if desc.outstation_type == outstation_type:
                return desc
    return meters.load(DEFAULT_METER)


def association(level: int, outstation_type: str = "", meter: str = "") -> Association:
    """Client SAP of association ``level`` (0–4) of the described meter (see
    :func:`describe_meter`).

    :raises UsageError: when the description has no such level.
    """
    desc = describe_meter(outstation_type, meter)
    if level not in desc.level_numbers:
        raise UsageError(
            f"meter description {desc.name} has no association level {level} "
            f"(it has {', '.join(map(str, desc.level_numbers)) or 'none'})"
        )
    return Association(level, desc.level(level).client_sap, desc.name)


def session_association(store: Any, session_id: int, level: int, meter: str = "") -> Association:
    """:func:`association` for the run's ``meter`` (``--meter``), else the session's bench record,
    else the outstation type declared in the session's equipment."""
    desc = meters.load(meter) if meter else meters.session_description(store, session_id)
    return association(level, meter=str(desc.source) if desc else "")
