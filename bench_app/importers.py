"""Import HHDC and manufacturer-software CSV exports through a TOML column mapping.

Two layouts are supported (see ``resources/mappings/*.toml`` for the documented fields):

* ``interval`` — one line per period and channel (date + settlement period, or a timestamp);
* ``per-day`` — one line per settlement day and channel with 46/48/50 period columns.

The file's encoding, delimiter and decimal mark are detected unless the mapping or the caller
fixes them (:mod:`bench_app.csvformat`). Every line is checked (dates, period numbers on
clock-change days, local times in the repeated autumn hour and the skipped spring hour, numbers,
flags, duplicates, plausible values: :mod:`bench_app.importcheck`). A mapped ``system`` column
names the system that wrote the export; one saying ``(simulated)`` (the bench's HHDC simulator)
makes the collection simulated evidence. Bad lines are reported as
``file:line: reason``; unless ``keep_valid`` is set nothing is stored when any line is bad. The
file's meter serial and MPAN are compared with the session before anything is stored. A
successful import is one new collection holding every reading, committed in one transaction
together with its audit records.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from bench_app import importcheck, settlement
from bench_app.csvformat import (
    FormatError,
    TextFormat,
    decode,
    detect_delimiter,
    detect_encoding,
    normalise_decimal,
    normalise_delimiter,
    normalise_encoding,
    parse_decimal,
)
from bench_app.errors import DataImportError
from bench_app.importcheck import LineError, LocalTimes
from bench_app.mappings import (
    LAYOUTS,
    Mapping,
    available_mappings,
    load_mapping,
    mapping_summaries,
    parse_flag,
)
from bench_app.store import Reading, Store
from drivers.model import Identity

MAX_ERRORS_SHOWN = 10
__all__ = [
    "LAYOUTS",
    "ImportOptions",
    "ImportResult",
    "Mapping",
    "RowError",
    "available_mappings",
    "import_csv",
    "load_mapping",
    "mapping_summaries",
    "parse_csv",
    "parse_flag",
]


@dataclass
class ImportOptions:
    """Caller's overrides of the mapping (the command line's options); None = the mapping's.

    :param max_kwh_per_period: largest plausible value of one period (kWh or kvarh), > 0.
    :param accept_serial: store a file whose serial/MPAN differs from the session's, recording
        the difference as a deviation in the collection's metadata.
    :param again: import a file whose exact bytes the session already holds (refused otherwise).
    """

    encoding: str | None = None
    delimiter: str | None = None
    decimal: str | None = None
    max_kwh_per_period: Decimal | None = None
    accept_serial: bool = False
    again: bool = False


@dataclass
class RowError:
    """One bad line: file name, 1-based line number, reason."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass
class ImportResult:
    """What an import stored: the new collection, readings stored, lines rejected."""

    collection_id: int | None
    file: str
    rows: int
    errors: list[RowError]
    meta: dict

    def to_json(self) -> dict:
        return {
            "collection_id": self.collection_id,
            "file": self.file,
            "rows": self.rows,
            "errors": [str(e) for e in self.errors],
            "meta": self.meta,
        }


def _date(text: str, mapping: Mapping) -> date:
    pattern = mapping.fmt.get("date", "%Y-%m-%d")
    try:
        return datetime.strptime(text.strip(), pattern).date()
    except ValueError:
        raise LineError(f"date {text!r} does not match {pattern!r}") from None


class _Header:
    """Column positions of the mapped fields (case-insensitive header match)."""

    def __init__(self, header: list[str], mapping: Mapping) -> None:
        self.pos = {h.strip().lower(): i for i, h in enumerate(header)}
        self.mapping = mapping

    def index(self, key: str) -> int | None:
        name = self.mapping.columns.get(key)
        return None if not name else self.pos.get(name.strip().lower())

    def pattern_index(self, key: str, n: int) -> int | None:
        pattern = self.mapping.columns.get(key)
        return None if not pattern else self.pos.get(pattern.replace("{n}", str(n)).lower())

    def value_indexes(self) -> list[int]:
        """Positions of every value cell (the value column, or SP1…SP50)."""
        if self.mapping.layout == "interval":
            i = self.index("value")
            return [] if i is None else [i]
        found = (self.pattern_index("values", n) for n in range(1, 51))
        return [i for i in found if i is not None]


def _cell(row: list[str], idx: int | None) -> str:
    return row[idx].strip() if idx is not None and idx < len(row) else ""


def _read_text(path: Path, mapping: Mapping, opts: ImportOptions) -> tuple[str, TextFormat]:
    """The file's text and the format it was read with (delimiter/decimal filled in later)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataImportError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        encoding = normalise_encoding(opts.encoding or mapping.encoding)
        delimiter = normalise_delimiter(opts.delimiter or mapping.delimiter)
        decimal_mark = normalise_decimal(opts.decimal or mapping.decimal)
    except FormatError as exc:
        raise DataImportError(str(exc)) from exc
    fmt = TextFormat(encoding, delimiter, decimal_mark)
    if encoding == "auto":
        fmt.encoding, fmt.encoding_detected = detect_encoding(raw), True
    try:
        text = decode(raw, fmt.encoding, path.name)
    except FormatError as exc:
        raise DataImportError(str(exc)) from exc
    return text.lstrip("\ufeff"), fmt


def _wanted_names(mapping: Mapping) -> list[str]:
    names = [v for k, v in mapping.columns.items() if k not in ("values", "flags")]
    if "values" in mapping.columns:
        names += [mapping.columns["values"].replace("{n}", str(n)) for n in (1, 2, 3)]
    return names


def parse_csv(
    path: str | Path, mapping: Mapping, options: ImportOptions | None = None
) -> tuple[list[Reading], list[RowError], dict]:
    """Read ``path`` with ``mapping``; returns (readings, errors, meta). Never raises for bad
    lines — they become :class:`RowError`; raises DataImportError if the file is unreadable or
    its header lacks required columns (naming the delimiter and encoding it tried)."""
    path = Path(path)
    fname = path.name
    opts = options or ImportOptions()
    text, fmt = _read_text(path, mapping, opts)
    lines = text.splitlines(keepends=True)
    offset = mapping.skip_lines
    body = lines[offset:]
    if fmt.delimiter == "auto":
        fmt.delimiter = detect_delimiter(body[0] if body else "", _wanted_names(mapping))
        fmt.delimiter_detected = True
    reader = csv.reader(body, delimiter=fmt.delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise DataImportError(f"{fname}:{offset + 1}: file has no header line") from None
    except csv.Error as exc:
        raise DataImportError(f"{fname}:{offset + 1}: {exc}") from exc
    cols = _Header(header, mapping)
    _check_header(cols, mapping, fname, offset, fmt)
    rows: list[tuple[int, list[str]]] = []
    errors: list[RowError] = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(RowError(fname, offset + reader.line_num, str(exc)))
            continue
        if any(c.strip() for c in row):
            rows.append((offset + reader.line_num, row))
    if fmt.decimal == "auto":
        fmt.decimal = _detect_decimal(rows, cols, fmt.delimiter)
    parser = _RowParser(mapping, cols, fmt.decimal, opts.max_kwh_per_period)
    readings: list[Reading] = []
    seen: dict[tuple[int, str], int] = {}
    mpans: set[str] = set()
    serials: set[str] = set()
    systems: set[str] = set()
    for line, row in rows:
        try:
            got = parser.parse(row)
        except (LineError, FormatError) as exc:
            errors.append(RowError(fname, line, str(exc)))
            continue
        dup = next(((r, seen[k]) for r in got if (k := _key(r)) in seen), None)
        if dup:
            r, first = dup
            errors.append(
                RowError(fname, line, f"{r.channel} at {r.start.isoformat()} repeats line {first}")
            )
            continue
        for r in got:
            seen[_key(r)] = line
        readings.extend(got)
        mpan, serial = _cell(row, cols.index("mpan")), _cell(row, cols.index("serial"))
        if mpan:
            mpans.add(mpan)
        if serial:
            serials.add(serial)
        if system := _cell(row, cols.index("system")):
            systems.add(system)
    errors.sort(key=lambda e: e.line)
    meta = {
        "mapping": mapping.name,
        "layout": mapping.layout,
        "format": fmt.to_json(),
        "format_text": fmt.describe(),
        "max_kwh_per_period": str(parser.limit),
        "mpans": sorted(mpans),
        "serials": sorted(serials),
        "readings": len(readings),
        "bad_lines": len(errors),
        # the export's own resolution (its last written digit, in kWh/kvarh): DR1-1 compares
        # "identical" at it
        "resolution": str(Decimal(1).scaleb(parser.finest)),
    }
    if systems:  # the system(s) that wrote the export, as it says
        meta["systems"] = sorted(systems)
    if parser.local_times.repeated:
        meta["repeated_local_hours"] = sorted(parser.local_times.repeated)
    if readings:
        meta["first"] = min(r.start for r in readings).isoformat()
        meta["last"] = max(r.start for r in readings).isoformat()
    return readings, errors, meta


def _key(r: Reading) -> tuple[int, str]:
    return int(r.start.timestamp()), r.channel


def _check_header(cols: _Header, mapping: Mapping, fname: str, offset: int, fmt) -> None:
    required = ["value"] if mapping.layout == "interval" else ["date"]
    if mapping.layout == "interval" and cols.index("timestamp") is None:
        required += ["date", "sp"]
    if not mapping.fmt.get("channel"):
        required.append("channel")
    missing = [mapping.columns.get(k, k) for k in required if cols.index(k) is None]
    if mapping.layout == "per-day" and cols.pattern_index("values", 1) is None:
        missing.append(mapping.columns["values"].replace("{n}", "1"))
    if missing:
        found = ", ".join(list(cols.pos)[:8]) or "nothing"
        raise DataImportError(
            f"{fname}:{offset + 1}: header lacks column(s) {', '.join(missing)} "
            f"required by mapping {mapping.name!r}; read as {fmt.describe()}, the header "
            f"splits into: {found}. Check --mapping, or give --delimiter/--encoding"
        )


def _detect_decimal(rows: list[tuple[int, list[str]]], cols: _Header, delimiter: str) -> str:
    """``,`` when the delimiter is not a comma and a value cell uses a comma, else ``.``."""
    if delimiter == ",":
        return "."
    idx = cols.value_indexes()
    for _line, row in rows:
        for i in idx:
            cell = row[i] if i < len(row) else ""
            if "," in cell:
                return ","
            if "." in cell:
                return "."
    return "."


class _RowParser:
    """Turns one CSV row into readings; keeps what spans rows (the repeated autumn hour)."""

    def __init__(self, mapping: Mapping, cols: _Header, mark: str, limit: Decimal | None) -> None:
        self.mapping = mapping
        self.cols = cols
        self.mark = mark
        self.limit = limit or mapping.max_kwh_per_period or importcheck.DEFAULT_MAX_KWH
        self.local_times = LocalTimes(mapping.fmt.get("timezone", "UTC"))
        self.parse = self._interval if mapping.layout == "interval" else self._per_day
        self.finest = 0  # exponent of the finest decimal place seen in a value

    def _value(self, raw: str, unit: str, what: str) -> tuple[float, str]:
        value = parse_decimal(raw, what, self.mark)
        value, unit = importcheck.to_kilo(value, unit)
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int):  # the finest digit the export writes (kWh/kvarh)
            self.finest = min(self.finest, exponent)
        importcheck.check_plausible(value, unit, self.limit, what)
        return float(value), unit

    def _channel(self, row: list[str]) -> str:
        name = _cell(row, self.cols.index("channel")) or self.mapping.fmt.get("channel", "")
        if not name:
            raise LineError("channel is empty")
        return self.mapping.channels.get(name, name)

    def _interval(self, row: list[str]) -> list[Reading]:
        cols, mapping = self.cols, self.mapping
        channel = self._channel(row)
        ts_text = _cell(row, cols.index("timestamp"))
        d, sp = _cell(row, cols.index("date")), _cell(row, cols.index("sp"))
        if d and sp and (not ts_text or not self.local_times.is_utc):
            start = importcheck.sp_start(_date(d, mapping), sp)  # SP numbers are unambiguous
        elif ts_text:
            start = self.local_times.resolve(
                ts_text,
                mapping.fmt.get("timestamp", "iso"),
                _cell(row, cols.index("offset")),
                channel,
            )
        else:
            raise LineError("needs a timestamp or a date and settlement period")
        raw = _cell(row, cols.index("value"))
        if not raw:
            raise LineError("value is empty")
        unit = _cell(row, cols.index("unit")) or mapping.fmt.get("default_unit", "kWh")
        value, unit = self._value(raw, unit, "value")
        status = parse_flag(_cell(row, cols.index("flag")), mapping)
        return [Reading(start, channel, value, unit, status)]

    def _per_day(self, row: list[str]) -> list[Reading]:
        cols, mapping = self.cols, self.mapping
        d = _cell(row, cols.index("date"))
        if not d:
            raise LineError("date is empty")
        day = _date(d, mapping)
        n = settlement.periods_in_day(day)
        channel = self._channel(row)
        unit_in = _cell(row, cols.index("unit")) or mapping.fmt.get("default_unit", "kWh")
        if cols.pattern_index("values", n) is None:
            raise LineError(
                f"{day.isoformat()} has {n} settlement periods but the file has no column "
                f"{mapping.columns['values'].replace('{n}', str(n))}"
            )
        out = []
        for sp in range(1, 51):
            raw = _cell(row, cols.pattern_index("values", sp))
            flag_text = _cell(row, cols.pattern_index("flags", sp))
            if sp > n:
                if raw or flag_text:
                    raise LineError(
                        f"SP{sp} has data but {day.isoformat()} has only {n} settlement periods"
                        + importcheck.clock_change_note(day)
                    )
                continue
            if not raw:
                continue  # no data for this period
            value, unit = self._value(raw, unit_in, f"SP{sp} value")
            status = parse_flag(flag_text, mapping)
            out.append(Reading(importcheck.sp_start(day, sp), channel, value, unit, status))
        return out


def simulated_export(meta: dict) -> bool | None:
    """True when the export says a simulator wrote it (its System column carries the
    ``(simulated)`` mark); None otherwise (a real system's export is not known to be anything)."""
    mark = Identity.SIMULATED_MARK
    return True if any(mark in str(s).lower() for s in meta.get("systems") or []) else None


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def _meter_limit(store: Store, session_id: int, opts: ImportOptions) -> tuple[ImportOptions, str]:
    """``opts`` with the per-period bound of the session's meter description, when it has one."""
    from bench_app.meters import session_description

    desc = session_description(store, session_id)
    if desc is None or desc.max_kwh_per_period is None:
        return opts, ""
    limit = Decimal(repr(desc.max_kwh_per_period))
    return replace(opts, max_kwh_per_period=limit), f"meter description {desc.name}"


def import_csv(
    store: Store,
    session_id: int,
    path: str | Path,
    *,
    source: str,
    mapping: str | Path | Mapping = "generic-interval",
    keep_valid: bool = False,
    protocol: str = "",
    options: ImportOptions | None = None,
    step: str = "",
) -> ImportResult:
    """Import a CSV export as a new collection of ``source`` (``hhdc`` or ``manufacturer``).

    :param step: the checklist step the export is evidence for (e.g. ``DR4-1a``: the HHDC's
        export after that stimulus); kept in the collection's ``meta["step"]``.

    :raises DataImportError: bad lines (file:line: reason for the first few) and not
        ``keep_valid``; no readings at all; or the file's serial/MPAN differs from the
        session's and ``options.accept_serial`` is not set; or the session already holds a
        collection imported from the same bytes and ``options.again`` is not set. Nothing is
        stored then.
    """
    path = Path(path)
    opts = options or ImportOptions()
    store.check_unlocked(session_id)
    digest = file_sha256(path)
    same = [c for c in store.collections(session_id) if c.get("source_hash") == digest]
    if same and not opts.again:
        raise DataImportError(
            f"{path.name}: the session already holds this file (collection "
            f"{same[-1]['id']}, {same[-1]['source']}, SHA-256 {digest[:12]}…); nothing imported "
            "(use --again to import it once more)"
        )
    if not isinstance(mapping, Mapping):
        mapping = load_mapping(mapping)
    if opts.max_kwh_per_period is None:  # the session's meter's own bound, if it has one
        opts, limit_source = _meter_limit(store, session_id, opts)
    else:
        limit_source = "--max-kwh-per-period"
    readings, errors, meta = parse_csv(path, mapping, opts)
    if opts.max_kwh_per_period is None:
        limit_source = (f"mapping {mapping.name}" if mapping.max_kwh_per_period else
                        "default (no meter rating known)")  # fmt: skip
    meta["max_kwh_per_period_source"] = limit_source
    if errors and not keep_valid:
        shown = "\n  ".join(str(e) for e in errors[:MAX_ERRORS_SHOWN])
        more = f"\n  … and {len(errors) - MAX_ERRORS_SHOWN} more" if len(errors) > 10 else ""
        raise DataImportError(
            f"{path.name}: {len(errors)} bad line(s), nothing imported "
            f"(use --keep-valid to import the good lines):\n  {shown}{more}"
        )
    if not readings:
        raise DataImportError(f"{path.name}: no readings found with mapping {mapping.name!r}")
    meta.update(importcheck.identity_check(store, session_id, path.name, meta, opts.accept_serial))
    meta["keep_valid"] = keep_valid
    if step:
        meta["step"] = step
    with store.atomic():
        cid = store.new_collection(
            session_id,
            source,
            protocol=protocol or f"csv:{mapping.name}",
            meta=meta,
            source_file=path.name,
            source_hash=digest,
            simulated=simulated_export(meta),
        )
        rows = store.add_readings(cid, readings)
    return ImportResult(cid, path.name, rows, errors, meta)
