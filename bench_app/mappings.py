"""CSV column mappings (``resources/mappings/*.toml``): which column holds what, how to read it.

A mapping names the columns (``[columns]``), the layout (``interval``: a line per period and
channel; ``per-day``: a line per day and channel with SP1…SP50 columns), date/time formats and
zone (``[format]``), channel and flag aliases (``[channels]``, ``[flags]``), the text format
(``encoding``, ``delimiter``, ``decimal``: ``auto`` or fixed) and optional plausibility bounds
(``[checks] max_kwh_per_period``). The shipped mappings document every field in their comments.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from bench_app import importcheck
from bench_app.csvformat import (
    FormatError,
    normalise_decimal,
    normalise_delimiter,
    normalise_encoding,
)
from bench_app.errors import DataImportError
from bench_app.importcheck import LineError
from bench_app.paths import resource_path
from drivers.model import StatusFlag

LAYOUTS = ("interval", "per-day")


@dataclass
class Mapping:
    """A CSV column mapping loaded from TOML.

    ``encoding``, ``delimiter`` and ``decimal`` are ``auto`` (detected per file) or fixed.
    ``max_kwh_per_period`` (optional ``[checks]`` table) bounds every period value.
    """

    name: str
    layout: str
    columns: dict[str, str]
    fmt: dict[str, str]
    channels: dict[str, str] = field(default_factory=dict)
    flags: dict[str, list[str] | int] = field(default_factory=dict)
    delimiter: str = "auto"
    encoding: str = "auto"
    decimal: str = "auto"
    skip_lines: int = 0
    max_kwh_per_period: Decimal | None = None
    description: str = ""
    path: Path | None = None


def available_mappings() -> list[str]:
    """Names of the mappings shipped in ``resources/mappings``."""
    return sorted(p.stem for p in resource_path("mappings").glob("*.toml"))


def mapping_summaries() -> dict[str, str]:
    """Shipped mapping name → its one-line description (for ``--help``)."""
    out = {}
    for name in available_mappings():
        try:
            out[name] = load_mapping(name).description
        except DataImportError:
            out[name] = "(cannot be read)"
    return out


def load_mapping(name: str | Path) -> Mapping:
    """A mapping by name (``generic-interval``) or by path to a ``.toml`` file.

    :raises DataImportError: unknown name, unreadable or invalid TOML (naming the file).
    """
    path = Path(name)
    if not (path.suffix == ".toml" and path.exists()):
        path = resource_path("mappings", f"{name}.toml")
    if not path.exists():
        raise DataImportError(
            f"no column mapping {str(name)!r}; available: {', '.join(available_mappings())} "
            "(or give the path of a .toml file)"
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
    try:
        limit = data.get("checks", {}).get("max_kwh_per_period")
        return Mapping(
            name=str(data.get("name", path.stem)),
            layout=layout,
            columns=columns,
            fmt={k: str(v) for k, v in data.get("format", {}).items()},
            channels={str(k): str(v) for k, v in data.get("channels", {}).items()},
            flags=dict(data.get("flags", {})),
            delimiter=normalise_delimiter(str(data.get("delimiter", "auto"))),
            encoding=normalise_encoding(str(data.get("encoding", "auto"))),
            decimal=normalise_decimal(str(data.get("decimal", "auto"))),
            skip_lines=int(data.get("skip_lines", 0)),
            max_kwh_per_period=None if limit is None else importcheck.positive_limit(limit),
            description=str(data.get("description", "")),
            path=path,
        )
    except (FormatError, ValueError, TypeError) as exc:
        raise DataImportError(f"{path}: {exc}") from exc


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
            raise LineError(f"flag {text!r} is outside 0…65535")
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
        raise LineError(f"unknown flag {name!r} in {text!r}") from None
