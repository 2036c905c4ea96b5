"""What a reconciliation compares: which settlement periods (spans) and which values (decimals).

Values are compared as exact decimals at :data:`RESOLUTION` (:func:`to_decimal`), so sums and
differences print as ``3.131``, never ``3.1310000000000002``.

A bench read holds everything the meter stored (often 90 days); an HHDC or manufacturer export
holds the few days that system collected. A comparison answers "do they agree over the export's
span", so :func:`default_span` limits it to that span and says which it is.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from bench_app import settlement
from bench_app.store.reader import SessionReader

__all__ = ["RESOLUTION", "default_span", "describe_span", "export_span", "show", "to_decimal"]

#: Resolution of compared values: 10⁻⁹ of the stored unit (1 mWh of a kWh value is 10⁻⁶).
RESOLUTION = Decimal("1e-9")


def to_decimal(value: float | int | Decimal) -> Decimal:
    """A stored value as an exact decimal at :data:`RESOLUTION` (``3.1310000000000002`` →
    ``3.131``)."""
    dec = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    return dec.quantize(RESOLUTION, rounding=ROUND_HALF_EVEN).normalize() + 0


def show(value: float | int | Decimal | None) -> str:
    """A value for people: ``3.131``, ``0``, ``-0.005``; ``-`` for None."""
    if value is None:
        return "-"
    return f"{to_decimal(value):f}"


def _z(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def describe_span(start: datetime, end: datetime) -> str:
    """``2026-08-25T23:00Z → 2026-08-28T23:00Z (settlement days 2026-08-26 … 2026-08-28)``."""
    first = settlement.settlement_day(start)
    last = settlement.settlement_day(end - timedelta(seconds=1))
    days = first.isoformat() if first == last else f"{first.isoformat()} … {last.isoformat()}"
    return f"{_z(start)} → {_z(end)} (settlement day{'s' if first != last else ''} {days})"


def export_span(store: SessionReader, collection_id: int) -> tuple[datetime, datetime] | None:
    """``[start, end)`` of the settlement periods a collection holds: from the start of its first
    period to the end of its last (30-minute periods; shorter intervals count whole). None when
    it holds no readings."""
    span = store.interval_span(collection_id)
    if span is None:
        return None
    first, last, _period = span
    return settlement.floor_to_period(first), settlement.floor_to_period(last) + settlement.SP


def default_span(
    store: SessionReader, collection_a: int, collection_b: int
) -> tuple[tuple[datetime, datetime] | None, str]:
    """The span a comparison answers by default, and how it was chosen.

    A bench read holds everything the meter stored (often 90 days); an export holds the few days
    the HHDC or the manufacturer's software collected. So: bench vs export → the export's own
    span; export vs export → from the earlier start to the later end of the two; bench vs bench →
    everything (None).
    """
    ca, cb = store.collection(collection_a), store.collection(collection_b)
    exports = [c for c in (ca, cb) if c["source"] != "bench"]
    found = [(c, export_span(store, c["id"])) for c in exports]
    spans = [(c, sp) for c, sp in found if sp is not None]
    if not spans:
        return None, "all periods of both collections"
    start = min(sp[0] for _c, sp in spans)
    end = max(sp[1] for _c, sp in spans)
    whose = " and ".join(f"{c['source']} collection {c['id']}" for c, _sp in spans)
    return (start, end), f"{whose} span {describe_span(start, end)}"
