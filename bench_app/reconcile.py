"""Reconciliation: do two (or three) collections agree, settlement period by period?

Each collection's readings are rolled up to 30-minute settlement periods (sum of values, OR of
status flags — so a 15-minute bench read compares with an HHDC's half-hourly data) and matched on
(period start UTC, channel). Channel names are compared in canonical ``C.D.E`` OBIS form so
``1.0.1.8.0.255``, ``1-0:1.8.0*255`` and ``1.8.0`` meet; pass ``channel_map`` for other names.
Settlement day and period number of each discrepancy come from :mod:`bench_app.settlement`, so
clock-change days (46/50 periods) are numbered correctly.

Values are compared as decimals (:func:`to_decimal`: the stored value rounded to 10⁻⁹ kWh, far
below any meter's resolution and far above float storage noise), so sums and differences carry no
float noise (``3.131``, never ``3.1310000000000002``). A result says AGREE, DIFFER or CANNOT
COMPARE (nothing in the span); :func:`export_span` gives the span an HHDC or manufacturer export
covers, which is what a comparison with the (longer) bench read should be limited to.

Also the CoP check "sum of HH values over a span agrees with the register advance within ±0.1 %".
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from bench_app import settlement
from bench_app.compare_basis import describe_span, export_span, show, to_decimal
from bench_app.errors import NotFoundError, UsageError
from bench_app.store.reader import SessionReader
from drivers.obis import Obis, ObisError

#: Default absolute tolerance on a period value, in the stored unit (kWh/kvarh): half of the last
#: digit of a 3-decimal export.
DEFAULT_TOLERANCE = 0.0005

KINDS = ("missing_in_a", "missing_in_b", "value", "flag")
AGREE, DIFFER, CANNOT_COMPARE = "AGREE", "DIFFER", "CANNOT COMPARE"
_COUNTER = {k: k if k.startswith("missing") else f"{k}_diffs" for k in KINDS}



def canonical_channel(name: str) -> str:
    """``1.0.1.8.0.255`` / ``1-0:1.8.0*255`` / ``1.8.0`` → ``1.8.0``; other names unchanged."""
    text = name.strip()
    try:
        return Obis.parse(text).short
    except ObisError:
        return text


@dataclass
class Discrepancy:
    """One disagreement.

    :param start: settlement period start (UTC).
    :param sp: settlement period number (1…46/48/50).
    :param settlement_day: the local settlement day.
    :param kind: ``missing_in_a`` | ``missing_in_b`` | ``value`` | ``flag``.
    :param a: A's value (kind value/missing_in_b) or status bits (kind flag); None if missing.
    :param b: likewise for B.
    """

    start: datetime
    sp: int
    settlement_day: date
    channel: str
    kind: str
    a: float | int | None
    b: float | int | None

    def to_json(self) -> dict:
        return {
            "start": self.start.isoformat().replace("+00:00", "Z"),
            "settlement_day": self.settlement_day.isoformat(),
            "sp": self.sp,
            "channel": self.channel,
            "kind": self.kind,
            "a": self.a,
            "b": self.b,
        }


@dataclass(kw_only=True)
class Counts:
    """How many period × channel keys were compared, matched, and differed in which way."""

    compared: int = 0
    matched: int = 0
    missing_in_a: int = 0
    missing_in_b: int = 0
    value_diffs: int = 0
    flag_diffs: int = 0


@dataclass
class ChannelSummary(Counts):
    """Per-channel counts and sums over the compared periods (sums as exact decimals)."""

    channel: str
    sum_a: Decimal = Decimal(0)
    sum_b: Decimal = Decimal(0)

    def to_json(self) -> dict:
        out = dict(self.__dict__)
        out["sum_a"], out["sum_b"] = show(self.sum_a), show(self.sum_b)
        return out


@dataclass
class ReconcileResult(Counts):
    """Comparison of collection A with collection B (counts are of period × channel keys)."""

    collection_a: int
    collection_b: int
    source_a: str
    source_b: str
    tolerance: float
    days: int = 0
    clock_change_days: list[str] = field(default_factory=list)
    discrepancies: list[Discrepancy] = field(default_factory=list)
    span: tuple[datetime, datetime] | None = None
    span_text: str = "all periods of both collections"
    channels: dict[str, ChannelSummary] = field(default_factory=dict)
    periods_a: int = 0
    periods_b: int = 0

    @property
    def ok(self) -> bool:
        """No discrepancy and something was compared."""
        return not self.discrepancies and self.compared > 0

    @property
    def verdict(self) -> str:
        """AGREE, DIFFER, or CANNOT COMPARE (one side has no period in the span)."""
        if self.periods_a == 0 or self.periods_b == 0:
            return CANNOT_COMPARE
        return AGREE if self.ok else DIFFER

    def summary(self) -> dict:
        return {
            "a": {"collection": self.collection_a, "source": self.source_a},
            "b": {"collection": self.collection_b, "source": self.source_b},
            "tolerance": self.tolerance,
            "compared": self.compared,
            "matched": self.matched,
            "missing_in_a": self.missing_in_a,
            "missing_in_b": self.missing_in_b,
            "value_diffs": self.value_diffs,
            "flag_diffs": self.flag_diffs,
            "days": self.days,
            "clock_change_days": self.clock_change_days,
            "ok": self.ok,
            "verdict": self.verdict,
            "span": None
            if self.span is None
            else [
                self.span[0].isoformat().replace("+00:00", "Z"),
                self.span[1].isoformat().replace("+00:00", "Z"),
            ],
            "span_text": self.span_text,
            "channels": [c.to_json() for c in self.channels.values()],
        }

    def to_json(self) -> dict:
        out = self.summary()
        out["discrepancies"] = [d.to_json() for d in self.discrepancies]
        return out


@dataclass
class MultiReconcileResult:
    """Every pair of several collections (three: bench–hhdc, bench–manufacturer, hhdc–manuf.)."""

    results: list[ReconcileResult]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def to_json(self) -> dict:
        return {"ok": self.ok, "pairs": [r.to_json() for r in self.results]}


def _periods(
    store: SessionReader, collection_id: int, channel_map: Mapping[str, str] | None
) -> tuple[dict[tuple[int, str], list], dict[str, str]]:
    """``{(sp_start_epoch, canonical channel): [value, status]}`` and canonical → shown name.

    Intervals are rolled up to 30-minute periods by :func:`bench_app.settlement.half_hours` (a
    20-minute interval straddling a half hour is split in proportion to time).
    """
    store.collection(collection_id)  # NotFoundError for an unknown id
    rows = store.conn.execute(
        "SELECT start, channel, value, status FROM readings WHERE collection_id = ?",
        (collection_id,),
    ).fetchall()
    names: dict[str, str] = {}
    canon: dict[str, str] = {}

    def channel(name: str) -> str:
        key = canon.get(name)
        if key is None:
            mapped = channel_map.get(name, name) if channel_map else name
            key = canon[name] = canonical_channel(mapped)
            names.setdefault(key, name)
        return key

    cells = settlement.half_hours(
        ((start, channel(ch), to_decimal(value), status) for start, ch, value, status in rows),
        part=lambda dec, frac: to_decimal(dec * Decimal(repr(frac))),
    )
    out = {key: [cell[0], cell[1]] for key, cell in cells.items()}
    return out, names


def reconcile(
    store: SessionReader,
    collection_a: int,
    collection_b: int,
    tolerance: float = DEFAULT_TOLERANCE,
    *,
    channel_map: Mapping[str, str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    _cache: dict | None = None,
) -> ReconcileResult:
    """Compare two collections per settlement period and channel.

    :param tolerance: largest absolute difference (kWh/kvarh) still counted as equal (≥ 0).
    :param channel_map: source channel name → name to compare as (before canonicalisation).
    :param start: compare only periods starting at or after this (aware UTC); None = all.
    :param end: compare only periods starting before this (aware UTC); None = all.
    """
    if tolerance < 0:
        raise UsageError(f"tolerance must be ≥ 0, not {tolerance}")
    cache = {} if _cache is None else _cache
    for cid in (collection_a, collection_b):
        if cid not in cache:
            cache[cid] = (store.collection(cid), *_periods(store, cid, channel_map))
    ca, a, names_a = cache[collection_a]
    cb, b, names_b = cache[collection_b]
    if start is not None or end is not None:
        lo = start.timestamp() if start is not None else float("-inf")
        hi = end.timestamp() if end is not None else float("inf")
        a = {k: v for k, v in a.items() if lo <= k[0] < hi}
        b = {k: v for k, v in b.items() if lo <= k[0] < hi}
    res = ReconcileResult(collection_a, collection_b, ca["source"], cb["source"], tolerance)
    if start is not None and end is not None:
        res.span = (start, end)
        res.span_text = describe_span(start, end)
    res.compared = len(a) + sum(1 for k in b if k not in a)
    res.periods_a, res.periods_b = len(a), len(b)
    days: set[date] = set()
    where: dict[int, tuple[datetime, date, int]] = {}

    def locate(ts: int) -> tuple[datetime, date, int]:
        if ts not in where:
            day, sp = settlement.period_of_epoch(ts)
            where[ts] = (datetime.fromtimestamp(ts, UTC), day, sp)
        return where[ts]

    found: list[tuple[tuple[int, str], Discrepancy]] = []
    tol = to_decimal(tolerance)

    def summary(ch: str) -> ChannelSummary:
        if ch not in res.channels:
            res.channels[ch] = ChannelSummary(names_a.get(ch) or names_b.get(ch) or ch)
        return res.channels[ch]

    def add(key: tuple[int, str], kind: str, va, vb) -> None:
        start, day, sp = locate(key[0])
        shown = names_a.get(key[1]) or names_b.get(key[1]) or key[1]
        va = float(va) if isinstance(va, Decimal) else va
        vb = float(vb) if isinstance(vb, Decimal) else vb
        found.append((key, Discrepancy(start, sp, day, shown, kind, va, vb)))
        attr = _COUNTER[kind]
        ch = summary(key[1])
        setattr(ch, attr, getattr(ch, attr) + 1)

    b_get = b.get
    for key, va in a.items():
        ch = summary(key[1])
        ch.compared += 1
        ch.sum_a += va[0]
        vb = b_get(key)
        if vb is None:
            res.missing_in_b += 1
            add(key, "missing_in_b", va[0], None)
            continue
        same = True
        if abs(va[0] - vb[0]) > tol:
            res.value_diffs += 1
            add(key, "value", va[0], vb[0])
            same = False
        if va[1] != vb[1]:
            res.flag_diffs += 1
            add(key, "flag", va[1], vb[1])
            same = False
        ch.sum_b += vb[0]
        if same:
            res.matched += 1
            ch.matched += 1
    for key, vb in b.items():
        if key not in a:
            ch = summary(key[1])
            ch.compared += 1
            ch.sum_b += vb[0]
            res.missing_in_a += 1
            add(key, "missing_in_a", None, vb[0])
    order = {k: i for i, k in enumerate(KINDS)}
    found.sort(key=lambda item: (item[0], order[item[1].kind]))
    res.discrepancies = [d for _k, d in found]
    starts = sorted({k[0] for k in a} | {k[0] for k in b})
    if starts:
        day = settlement.settlement_day(datetime.fromtimestamp(starts[0], UTC))
        last = settlement.settlement_day(datetime.fromtimestamp(starts[-1], UTC))
        while day <= last:
            lo = int(settlement.day_start(day).timestamp())
            i = bisect.bisect_left(starts, lo)
            if i < len(starts) and starts[i] < lo + settlement.periods_in_day(day) * 1800:
                days.add(day)
            day += timedelta(days=1)
    res.days = len(days)
    res.clock_change_days = sorted(
        d.isoformat() for d in days if settlement.periods_in_day(d) != 48
    )
    return res


def reconcile_many(
    store: SessionReader,
    collection_ids: Sequence[int],
    tolerance: float = DEFAULT_TOLERANCE,
    *,
    channel_map: Mapping[str, str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> MultiReconcileResult:
    """Reconcile every pair of two or more collections (in the order given), optionally only
    the periods in ``[start, end)``."""
    if len(collection_ids) < 2:
        raise UsageError("reconciliation needs at least two collections")
    results = []
    cache: dict = {}
    for i, ca in enumerate(collection_ids):
        for cb in collection_ids[i + 1 :]:
            results.append(
                reconcile(
                    store,
                    ca,
                    cb,
                    tolerance,
                    channel_map=channel_map,
                    start=start,
                    end=end,
                    _cache=cache,
                )
            )
    return MultiReconcileResult(results)


def pick_collection(store: SessionReader, session_id: int, which: str | int) -> int:
    """A collection of the session by id, or the newest one of a source (bench/hhdc/manufacturer)
    that holds readings."""
    colls = store.collections(session_id)
    text = str(which)
    if text.isdigit():
        for c in colls:
            if c["id"] == int(text):
                return c["id"]
        raise NotFoundError(f"collection {text} is not part of session {session_id}")
    found = [c for c in colls if c["source"] == text and c["rows"]]
    if not found:
        raise NotFoundError(f"session {session_id} has no {text} collection with readings")
    return found[-1]["id"]


@dataclass
class RegisterCheck:
    """HH sum against register advance.

    :param hh_sum: sum of the period values over the span (kWh).
    :param advance: register end − register start (kWh).
    :param diff_pct: (hh_sum − advance) / advance × 100, None when the advance is 0.
    :param ok: ``|diff_pct| ≤ tolerance_pct`` (or both zero).
    """

    hh_sum: float
    advance: float
    diff_pct: float | None
    tolerance_pct: float
    periods: int
    ok: bool

    def to_json(self) -> dict:
        return dict(self.__dict__)


def check_advance(
    hh_sum: float, advance: float, tolerance_pct: float = 0.1, periods: int = 0
) -> RegisterCheck:
    """Compare a sum of HH values with a register advance (both in the same unit)."""
    if advance == 0:
        ok = abs(hh_sum) < 1e-9
        return RegisterCheck(hh_sum, advance, None, tolerance_pct, periods, ok)
    pct = (hh_sum - advance) / advance * 100.0
    return RegisterCheck(hh_sum, advance, pct, tolerance_pct, periods, abs(pct) <= tolerance_pct)


def register_check(
    store: SessionReader,
    collection_id: int,
    channel: str,
    start: datetime,
    end: datetime,
    register_start: float,
    register_end: float,
    tolerance_pct: float = 0.1,
) -> RegisterCheck:
    """CoP check: sum of HH values of ``channel`` with ``start <= interval < end`` against the
    register advance ``register_end − register_start`` (kWh), within ±``tolerance_pct`` %."""
    want = canonical_channel(channel)
    rows = [
        r for r in store.readings_raw(collection_id, start, end) if canonical_channel(r[1]) == want
    ]
    hh = sum(r[2] for r in rows)
    return check_advance(hh, register_end - register_start, tolerance_pct, len(rows))


def main_bench_collection(
    store: SessionReader,
    session_id: int,
    start: datetime | None = None,
    end: datetime | None = None,
) -> int | None:
    """The bench collection holding most readings in ``[start, end)`` (newest wins a tie)."""
    ids = [c["id"] for c in store.collections(session_id) if c["source"] == "bench"]
    if not ids:
        return None
    lo = int(start.timestamp()) if start else -(2**62)
    hi = int(end.timestamp()) if end else 2**62
    counts = dict(
        store.conn.execute(
            f"SELECT collection_id, count(*) FROM readings WHERE collection_id IN "
            f"({','.join('?' * len(ids))}) AND start >= ? AND start < ? GROUP BY collection_id",
            (*ids, lo, hi),
        ).fetchall()
    )
    return max(ids, key=lambda cid: (counts.get(cid, 0), cid))


@dataclass(frozen=True)
class Pair:
    """Two collections to compare over ``span`` (None = every period), and why these."""

    a: int
    b: int
    span: tuple[datetime, datetime] | None
    why: str


def reference_pair(store: SessionReader, session_id: int, source: str = "hhdc") -> Pair | None:
    """The comparison the report and the overall result make for ``source``: the newest
    ``source`` export (A) against the bench read that best covers its span (B), over that span.
    None when either side is missing."""
    refs = [c for c in store.collections(session_id) if c["source"] == source and c["rows"]]
    if not refs:
        return None
    ref = max(refs, key=lambda c: c["id"])
    span = export_span(store, ref["id"])
    if span is None:
        return None
    bench = main_bench_collection(store, session_id, *span)
    if bench is None:
        return None
    why = (f"the report's comparison: the newest {source} export against the bench read "
           "that covers most of its span, over the export's span")  # fmt: skip
    return Pair(ref["id"], bench, span, why)


def session_pairs(store: SessionReader, session_id: int) -> list[Pair]:
    """Every comparison the report and DR1-1 make in a session: each export (HHDC,
    manufacturer) against the bench read covering it (:func:`reference_pair`), and the HHDC
    export against the manufacturer's over both their spans (DR1-1's direct comparison)."""
    pairs = [p for s in ("hhdc", "manufacturer") if (p := reference_pair(store, session_id, s))]
    if len(pairs) == 2:
        a, b = pairs[0].a, pairs[1].a
        spans = [sp for sp in (pairs[0].span, pairs[1].span) if sp]
        span = (min(s[0] for s in spans), max(s[1] for s in spans)) if spans else None
        why = "DR1-1's direct comparison of the two exports, over both their spans"
        dr11 = [c for c in store.collections(session_id) if c["source"] == "hhdc" and c["rows"]
                and (c.get("meta") or {}).get("step") == "DR1-1"]  # fmt: skip
        if dr11 and dr11[-1]["id"] != a:  # the HHDC's exports are per step (witnessed run)
            a, span = dr11[-1]["id"], export_span(store, dr11[-1]["id"])
            why = ("DR1-1's direct comparison: the HHDC's DR1-1 export against the "
                   "manufacturer's, over the HHDC export's span")  # fmt: skip
        pairs.append(Pair(a, b, span, why))
    return pairs


def reference_comparison(
    store: SessionReader,
    session_id: int,
    source: str = "hhdc",
    tolerance: float = DEFAULT_TOLERANCE,
) -> ReconcileResult | None:
    """Compare the newest ``source`` collection (A) with the bench over the reference's own span
    (:func:`reference_pair`). A reference export (HHDC system, manufacturer software) covers a
    few days; the bench read that best covers those days is B. None when either side is
    missing."""
    pair = reference_pair(store, session_id, source)
    if pair is None or pair.span is None:
        return None
    return reconcile(store, pair.a, pair.b, tolerance, start=pair.span[0], end=pair.span[1])
