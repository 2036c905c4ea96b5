"""Import HHDC and manufacturer-software CSV exports through a TOML column mapping.

Two layouts are supported (see ``resources/mappings/*.toml`` for the documented fields):

* ``interval`` — one line per period and channel (date + settlement period, or a timestamp);
* ``per-day`` — one line per settlement day and channel with 46/48/50 period columns.

Every line is checked (dates, period numbers on clock-change days, numbers, flags, duplicates).
Bad lines are reported as ``file:line: reason``; unless ``keep_valid`` is set nothing is stored
when any line is bad. A successful import is one new collection holding every reading, committed
in one transaction together with its audit records.
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bench_app import settlement
from bench_app.errors import DataImportError
from bench_app.paths import resource_path
from bench_app.store import Reading, Store
from drivers.model import StatusFlag, normalise

LAYOUTS = ("interval", "per-day")
MAX_ERRORS_SHOWN = 10


@dataclass
class Mapping:
    """A CSV column mapping loaded from TOML."""

    name: str
    layout: str
    columns: dict[str, str]
    fmt: dict[str, str]
    channels: dict[str, str] = field(default_factory=dict)
    flags: dict[str, list[str] | int] = field(default_factory=dict)
    delimiter: str = ","
    encoding: str = "utf-8-sig"
    skip_lines: int = 0
    path: Path | None = None


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


def available_mappings() -> list[str]:
    """Names of the mappings shipped in ``resources/mappings``."""
    return sorted(p.stem for p in resource_path("mappings").glob("*.toml"))


def load_mapping(name: str | Path) -> Mapping:
    """A mapping by name (``generic-interval``) or by path to a ``.toml`` file.

    :raises DataImportError: unknown name, unreadable or invalid TOML (naming the file).
    """
    path = Path(name)
    if not (path.suffix == ".toml" and path.exists()):
        path = resource_path("mappings", f"{name}.toml")
    if not path.exists():
        raise DataImportError(
            f"no column mapping {str(name)!r}; available: {', '.join(available_mappings())}"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DataImportError(f"{path}: cannot read column mapping: {exc}") from exc
    layout = data.get("layout", "interval")
    if layout not in LAYOUTS:
        raise DataImportError(f"{path}: layout must be one of {LAYOUTS}, not {layout!r}")
    columns = {k: str(v) for k, v in data.get("columns", {}).items() if v}
    need = ["value"] if layout == "interval" else ["date", "values"]
    for key in need:
        if key not in columns:
            raise DataImportError(f"{path}: [columns] needs {key!r} for layout {layout!r}")
    return Mapping(
        name=str(data.get("name", path.stem)),
        layout=layout,
        columns=columns,
        fmt={k: str(v) for k, v in data.get("format", {}).items()},
        channels={str(k): str(v) for k, v in data.get("channels", {}).items()},
        flags=dict(data.get("flags", {})),
        delimiter=str(data.get("delimiter", ",")),
        encoding=str(data.get("encoding", "utf-8-sig")),
        skip_lines=int(data.get("skip_lines", 0)),
        path=path,
    )


class _LineError(ValueError):
    """A reason why the current line is bad."""


def parse_flag(text: str, mapping: Mapping) -> int:
    """Flag cell → StatusFlag bits: number, ``NAME|NAME``, or tokens from ``[flags]``."""
    text = text.strip()
    if not text:
        return 0
    try:
        value = int(text, 0)
    except ValueError:
        value = None
    if value is not None:
        if not 0 <= value <= 0xFFFF:
            raise _LineError(f"flag {text!r} is outside 0…65535")
        return value
    bits = 0
    for token in re.split(r"[|;+\s]+", text):
        if not token:
            continue
        if token in mapping.flags:
            spec = mapping.flags[token]
            if isinstance(spec, int):
                bits |= spec
                continue
            for name in spec:
                bits |= _flag_name(name, text)
        else:
            bits |= _flag_name(token, text)
    return bits


def _flag_name(name: str, text: str) -> int:
    try:
        return int(StatusFlag[name.strip().upper()])
    except KeyError:
        raise _LineError(f"unknown flag {name!r} in {text!r}") from None


def _number(text: str, what: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise _LineError(f"{what} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise _LineError(f"{what} {text!r} is not a finite number")
    return value


def _date(text: str, mapping: Mapping) -> date:
    pattern = mapping.fmt.get("date", "%Y-%m-%d")
    try:
        return datetime.strptime(text.strip(), pattern).date()
    except ValueError:
        raise _LineError(f"date {text!r} does not match {pattern!r}") from None


def _timestamp(text: str, mapping: Mapping) -> datetime:
    pattern = mapping.fmt.get("timestamp", "iso")
    try:
        if pattern == "iso":
            dt = datetime.fromisoformat(text.strip())
        else:
            dt = datetime.strptime(text.strip(), pattern)
    except ValueError:
        raise _LineError(f"timestamp {text!r} does not match {pattern!r}") from None
    if dt.tzinfo is None:
        zone = mapping.fmt.get("timezone", "UTC")
        if zone.upper() == "UTC":
            dt = dt.replace(tzinfo=UTC)
        else:
            try:
                dt = (
                    settlement.local_to_utc(dt)
                    if zone == "Europe/London"
                    else dt.replace(tzinfo=ZoneInfo(zone))
                )
            except ValueError as exc:
                raise _LineError(str(exc)) from None
    dt = dt.astimezone(UTC)
    if dt.second or dt.microsecond:
        raise _LineError(f"timestamp {text!r} is not on a whole minute")
    return dt


def _sp(text: str, day: date) -> datetime:
    try:
        sp = int(text.strip())
    except ValueError:
        raise _LineError(f"settlement period {text!r} is not a whole number") from None
    try:
        return settlement.period_start(day, sp)
    except ValueError as exc:
        raise _LineError(str(exc)) from None


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


def _cell(row: list[str], idx: int | None) -> str:
    return row[idx].strip() if idx is not None and idx < len(row) else ""


def parse_csv(path: str | Path, mapping: Mapping) -> tuple[list[Reading], list[RowError], dict]:
    """Read ``path`` with ``mapping``; returns (readings, errors, meta). Never raises for bad
    lines — they become :class:`RowError`; raises DataImportError if the file is unreadable or
    its header lacks required columns."""
    path = Path(path)
    fname = path.name
    try:
        text = path.read_text(encoding=mapping.encoding)
    except (OSError, UnicodeDecodeError) as exc:
        raise DataImportError(f"{path}: cannot read: {exc}") from exc
    lines = text.splitlines(keepends=True)
    reader = csv.reader(lines[mapping.skip_lines :], delimiter=mapping.delimiter)
    offset = mapping.skip_lines
    try:
        header = next(reader)
    except StopIteration:
        raise DataImportError(f"{fname}:{offset + 1}: file has no header line") from None
    except csv.Error as exc:
        raise DataImportError(f"{fname}:{offset + 1}: {exc}") from exc
    cols = _Header(header, mapping)
    required = ["value"] if mapping.layout == "interval" else ["date"]
    if mapping.layout == "interval" and cols.index("timestamp") is None:
        required += ["date", "sp"]
    if not mapping.fmt.get("channel"):
        required.append("channel")
    missing = [mapping.columns.get(k, k) for k in required if cols.index(k) is None]
    if mapping.layout == "per-day" and cols.pattern_index("values", 1) is None:
        missing.append(mapping.columns["values"].replace("{n}", "1"))
    if missing:
        raise DataImportError(
            f"{fname}:{offset + 1}: header lacks column(s) {', '.join(missing)} "
            f"required by mapping {mapping.name!r}"
        )
    readings: list[Reading] = []
    errors: list[RowError] = []
    seen: dict[tuple[int, str], int] = {}
    mpans: set[str] = set()
    serials: set[str] = set()
    parse_row = _interval_row if mapping.layout == "interval" else _per_day_row
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(RowError(fname, offset + reader.line_num, str(exc)))
            continue
        line = offset + reader.line_num
        if not any(c.strip() for c in row):
            continue
        try:
            got = parse_row(row, cols, mapping)
        except _LineError as exc:
            errors.append(RowError(fname, line, str(exc)))
            continue
        dup = None
        for r in got:
            key = (int(r.start.timestamp()), r.channel)
            if key in seen:
                dup = (r, seen[key])
                break
        if dup:
            r, first = dup
            errors.append(
                RowError(fname, line, f"{r.channel} at {r.start.isoformat()} repeats line {first}")
            )
            continue
        for r in got:
            seen[(int(r.start.timestamp()), r.channel)] = line
        readings.extend(got)
        mpan, serial = _cell(row, cols.index("mpan")), _cell(row, cols.index("serial"))
        if mpan:
            mpans.add(mpan)
        if serial:
            serials.add(serial)
    meta = {
        "mapping": mapping.name,
        "layout": mapping.layout,
        "mpans": sorted(mpans),
        "serials": sorted(serials),
        "readings": len(readings),
        "bad_lines": len(errors),
    }
    if readings:
        meta["first"] = min(r.start for r in readings).isoformat()
        meta["last"] = max(r.start for r in readings).isoformat()
    return readings, errors, meta


def _channel(row: list[str], cols: _Header, mapping: Mapping) -> str:
    name = _cell(row, cols.index("channel")) or mapping.fmt.get("channel", "")
    if not name:
        raise _LineError("channel is empty")
    return mapping.channels.get(name, name)


def _interval_row(row: list[str], cols: _Header, mapping: Mapping) -> list[Reading]:
    ts_text = _cell(row, cols.index("timestamp"))
    if ts_text:
        start = _timestamp(ts_text, mapping)
    else:
        d, sp = _cell(row, cols.index("date")), _cell(row, cols.index("sp"))
        if not d or not sp:
            raise _LineError("needs a timestamp or a date and settlement period")
        start = _sp(sp, _date(d, mapping))
    channel = _channel(row, cols, mapping)
    raw = _cell(row, cols.index("value"))
    if not raw:
        raise _LineError("value is empty")
    unit: str | None = _cell(row, cols.index("unit")) or mapping.fmt.get("default_unit", "kWh")
    value, unit = normalise(_number(raw, "value"), unit)
    status = parse_flag(_cell(row, cols.index("flag")), mapping)
    return [Reading(start, channel, value, unit, status)]


def _per_day_row(row: list[str], cols: _Header, mapping: Mapping) -> list[Reading]:
    d = _cell(row, cols.index("date"))
    if not d:
        raise _LineError("date is empty")
    day = _date(d, mapping)
    n = settlement.periods_in_day(day)
    channel = _channel(row, cols, mapping)
    unit_in = _cell(row, cols.index("unit")) or mapping.fmt.get("default_unit", "kWh")
    if cols.pattern_index("values", n) is None:
        raise _LineError(
            f"{day.isoformat()} has {n} settlement periods but the file has no column "
            f"{mapping.columns['values'].replace('{n}', str(n))}"
        )
    out = []
    for sp in range(1, 51):
        vi = cols.pattern_index("values", sp)
        raw = _cell(row, vi)
        flag_text = _cell(row, cols.pattern_index("flags", sp))
        if sp > n:
            if raw or flag_text:
                raise _LineError(
                    f"SP{sp} has data but {day.isoformat()} has only {n} settlement periods"
                )
            continue
        if not raw:
            continue  # no data for this period
        value, unit = normalise(_number(raw, f"SP{sp} value"), unit_in)
        status = parse_flag(flag_text, mapping)
        out.append(Reading(settlement.period_start(day, sp), channel, value, unit, status))
    return out


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def import_csv(
    store: Store,
    session_id: int,
    path: str | Path,
    *,
    source: str,
    mapping: str | Path | Mapping = "generic-interval",
    keep_valid: bool = False,
    protocol: str = "",
) -> ImportResult:
    """Import a CSV export as a new collection of ``source`` (``hhdc`` or ``manufacturer``).

    :raises DataImportError: bad lines (file:line: reason for the first few) and not
        ``keep_valid``; or no readings at all. Nothing is stored then.
    """
    path = Path(path)
    store.check_unlocked(session_id)
    if not isinstance(mapping, Mapping):
        mapping = load_mapping(mapping)
    readings, errors, meta = parse_csv(path, mapping)
    if errors and not keep_valid:
        shown = "\n  ".join(str(e) for e in errors[:MAX_ERRORS_SHOWN])
        more = f"\n  … and {len(errors) - MAX_ERRORS_SHOWN} more" if len(errors) > 10 else ""
        raise DataImportError(
            f"{path.name}: {len(errors)} bad line(s), nothing imported "
            f"(use --keep-valid to import the good lines):\n  {shown}{more}"
        )
    if not readings:
        raise DataImportError(f"{path.name}: no readings found with mapping {mapping.name!r}")
    meta["keep_valid"] = keep_valid
    with store.atomic():
        cid = store.new_collection(
            session_id,
            source,
            protocol=protocol or f"csv:{mapping.name}",
            meta=meta,
            source_file=path.name,
            source_hash=file_sha256(path),
        )
        rows = store.add_readings(cid, readings)
    return ImportResult(cid, path.name, rows, errors, meta)
