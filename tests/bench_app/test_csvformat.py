"""Text-format detection and local-time rules, against bytes and times other systems write."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bench_app.csvformat import (
    FormatError,
    detect_delimiter,
    detect_encoding,
    normalise_delimiter,
    normalise_encoding,
    parse_decimal,
)
from bench_app.importcheck import LineError, LocalTimes


def test_encodings():
    assert detect_encoding("Site £,é\n".encode()) == "utf-8"
    assert detect_encoding(b"\xef\xbb\xbfMPAN\n") == "utf-8-sig"
    assert detect_encoding("Caf\u00e9 \u20ac".encode("cp1252")) == "cp1252"  # € is 0x80 there
    assert detect_encoding(b"abc \x81 \xe9") == "latin-1"  # 0x81 is undefined in cp1252
    assert detect_encoding("MPAN".encode("utf-16")) == "utf-16"
    assert normalise_encoding("Windows-1252") == "cp1252"
    assert normalise_encoding("ISO-8859-1") == "latin-1"
    with pytest.raises(FormatError, match="unknown encoding"):
        normalise_encoding("ebcdic-klingon")


def test_delimiters():
    wanted = ["MPAN", "Date", "Value"]
    assert detect_delimiter("MPAN;Date;Value\r\n", wanted) == ";"
    assert detect_delimiter("MPAN\tDate\tValue\n", wanted) == "\t"
    assert detect_delimiter('"Site, Ltd"|MPAN|Date|Value\n', wanted) == "|"
    assert detect_delimiter("a;b;c\n", wanted) == ";"  # no names found: the commonest
    assert normalise_delimiter("semicolon") == ";" and normalise_delimiter("\\t") == "\t"
    for bad in ("ab", "1", '"', "."):
        with pytest.raises(FormatError):
            normalise_delimiter(bad)


def test_decimals():
    assert parse_decimal("0,412", "value", ",") == Decimal("0.412")
    assert parse_decimal(" -1.5e3 ", "value") == Decimal("-1500")
    for bad, mark in (("1.234,5", ","), ("1,234.5", "."), ("nan", "."), ("inf", "."), ("", ".")):
        with pytest.raises(FormatError):
            parse_decimal(bad, "value", mark)


def test_local_times_autumn_spring_and_offsets():
    lt = LocalTimes("Europe/London")
    first = lt.resolve("2026-10-25T01:00", "iso", "", "AI")
    second = lt.resolve("2026-10-25T01:00", "iso", "", "AI")
    other_channel = lt.resolve("2026-10-25T01:00", "iso", "", "RI")
    assert (first, second) == (
        datetime(2026, 10, 25, 0, tzinfo=UTC),
        datetime(2026, 10, 25, 1, tzinfo=UTC),
    )
    assert other_channel == first
    with pytest.raises(LineError, match="appears a third time"):
        lt.resolve("2026-10-25T01:00", "iso", "", "AI")
    assert lt.resolve("2026-10-25T01:30", "iso", "GMT", "AI") == datetime(
        2026, 10, 25, 1, 30, tzinfo=UTC
    )
    assert lt.resolve("2026-10-25T01:30", "iso", "+01:00", "AI") == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )
    with pytest.raises(LineError, match="wrong offset"):
        lt.resolve("2026-07-01T12:00", "iso", "GMT", "AI")  # London is on BST in July
    with pytest.raises(LineError, match="on 2026-03-29, a settlement day of 46 periods"):
        lt.resolve("2026-03-29T01:30", "iso", "", "AI")
    assert lt.resolve("2026-07-01T12:00+01:00", "iso", "", "AI") == datetime(
        2026, 7, 1, 11, tzinfo=UTC
    )
