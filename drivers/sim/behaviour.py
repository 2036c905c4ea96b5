"""How a simulated meter behaves where real meters differ: the ``[simulation]`` table of a
description (data, not code), so a lab can rehearse ``probe`` and ``read`` against each kind.

=========================  =======================================================================
key                        meaning (default)
=========================  =======================================================================
``referencing``            ``"ln"`` logical names (default) or ``"sn"`` short names (base names)
``selective_access``       profile access selectors served: ``["range", "entry"]`` (default);
                           ``["entry"]`` = no range selection, ``[]`` = whole buffer only
``range_deviation``        ``"any"`` (default) or ``"unspecified"``: a range whose date-times carry
                           a deviation gets an empty buffer (the meter wants "not specified")
``get_with_list``          ``true`` (default); ``false`` drops multiple-references from the
                           conformance and refuses GET-with-list
``general_block_transfer`` ``true`` (default): the meter offers general-block-transfer in its
                           conformance and streams long answers in GBT blocks; ``false``: it
                           answers with GET-Response-With-Datablock only
``profile_gaps``           ``[{days_ago = D, hours = H}, …]``: no entries for H hours starting D
                           days before start-up (an outage the meter did not record)
``profile_stopped_hours``  the profile stopped capturing this many hours before start-up (the
                           clock and registers run on; entries_in_use stays put)
``clock_column``           position of the clock column in the load profile (0)
=========================  =======================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drivers.description import Description, DescriptionError

SELECTORS = {"range": 1, "entry": 2}
_KEYS = {
    "referencing", "selective_access", "range_deviation", "get_with_list", "profile_gaps",
    "profile_stopped_hours", "clock_column", "general_block_transfer",
}  # fmt: skip


@dataclass(frozen=True)
class Behaviour:
    """A simulated meter's protocol behaviour (see the module table)."""

    referencing: str = "ln"
    selective_access: tuple[str, ...] = ("range", "entry")
    range_deviation: str = "any"
    get_with_list: bool = True
    profile_gaps: tuple[tuple[float, float], ...] = ()  #: (days before start-up, hours)
    profile_stopped_hours: float | None = None
    clock_column: int = 0
    general_block_transfer: bool = True

    @property
    def selectors(self) -> frozenset[int]:
        """Access selector numbers the profiles accept."""
        return frozenset(SELECTORS[s] for s in self.selective_access)

    @classmethod
    def of(cls, description: Description | None) -> Behaviour:
        """The ``[simulation]`` table of ``description`` (defaults without one)."""
        if description is None:
            return cls()
        table: Any = description.raw.get("simulation", {})
        where = f"{description.source}: simulation"

        def fail(key: str, why: str) -> DescriptionError:
            return DescriptionError(f"{where}.{key}: {why}")

        if not isinstance(table, dict):
            raise DescriptionError(f"{where}: expected a table")
        unknown = set(table) - _KEYS
        if unknown:
            raise fail(sorted(unknown)[0], f"unknown key; known: {', '.join(sorted(_KEYS))}")
        ref = table.get("referencing", "ln")
        if ref not in ("ln", "sn"):
            raise fail("referencing", f"{ref!r} is not 'ln' or 'sn'")
        access = table.get("selective_access", ["range", "entry"])
        if not isinstance(access, list) or any(a not in SELECTORS for a in access):
            raise fail("selective_access", f"{access!r}: a list of 'range' and/or 'entry'")
        deviation = table.get("range_deviation", "any")
        if deviation not in ("any", "unspecified"):
            raise fail("range_deviation", f"{deviation!r} is not 'any' or 'unspecified'")
        with_list = table.get("get_with_list", True)
        if not isinstance(with_list, bool):
            raise fail("get_with_list", "expected true or false")
        gaps = []
        for i, g in enumerate(table.get("profile_gaps", [])):
            try:
                days, hours = float(g["days_ago"]), float(g["hours"])
            except (TypeError, KeyError, ValueError):
                raise fail(f"profile_gaps[{i}]", "needs days_ago and hours numbers") from None
            if not (0 < hours <= 24 * 400 and 0 < days <= 4000):
                raise fail(f"profile_gaps[{i}]", "days_ago 0…4000 and hours 0…9600, above 0")
            gaps.append((days, hours))
        stopped = table.get("profile_stopped_hours")
        if stopped is not None and (
            not isinstance(stopped, int | float) or isinstance(stopped, bool) or stopped < 0
        ):
            raise fail("profile_stopped_hours", f"{stopped!r} is not a number of hours >= 0")
        gbt = table.get("general_block_transfer", True)
        if not isinstance(gbt, bool):
            raise fail("general_block_transfer", "expected true or false")
        column = table.get("clock_column", 0)
        if not isinstance(column, int) or isinstance(column, bool) or column < 0:
            raise fail("clock_column", f"{column!r} is not a column number >= 0")
        return cls(
            ref, tuple(access), deviation, with_list, tuple(gaps),
            None if stopped is None else float(stopped), column, gbt,
        )  # fmt: skip
