"""P.01 / P.98 formats: round trips (property-tested) and malformed answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.errors import ProtocolError
from drivers.iec62056_21.profile import (
    format_events,
    format_profile,
    format_time,
    parse_events,
    parse_profile,
    parse_range,
    parse_time,
    range_request,
)

T0 = datetime(2026, 1, 15, tzinfo=UTC)


def test_time_formats():
    assert format_time(datetime(2026, 1, 15, 10, 30, 12, tzinfo=UTC)) == "02601151030"
    assert format_time(T0, seconds=True) == "0260115000000"
    for text in ("02601151030", "2601151030", "12601151030"):
        assert parse_time(text) == datetime(2026, 1, 15, 10, 30, tzinfo=UTC)
    assert parse_time("0260115103012").second == 12
    for bad in ("", "0261315103", "abc", "0260115103099"):
        with pytest.raises(ProtocolError):
            parse_time(bad)


def test_range_request_round_trip():
    text = range_request("P.01", T0, T0 + timedelta(days=1))
    assert text == "P.01(02601150000;02601160000)"
    assert parse_range(text) == ("P.01", T0, T0 + timedelta(days=1))
    assert parse_range("P.98(;)") == ("P.98", None, None)
    with pytest.raises(ProtocolError):
        parse_range("P.01(xx)")


rows_strategy = st.lists(
    st.tuples(
        st.integers(0, 3),  # gap in periods before this row
        st.lists(st.integers(0, 10**7), min_size=3, max_size=3),
        st.sampled_from([0, 0, 0, 0x0001, 0x0012, 0x0200]),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(rows_strategy, st.sampled_from([5, 10, 15, 30]))
def test_profile_round_trip(spec, period):
    t = T0
    rows = []
    for gap, values, status in spec:
        t += timedelta(minutes=period * gap)
        rows.append((t, [f"{v / 1000:.3f}" for v in values], status))
        t += timedelta(minutes=period)
    channels = [("1.8.0", "kWh"), ("2.8.0", "kWh"), ("3.8.0", "kvarh")]
    parsed = parse_profile(format_profile(period, channels, rows).encode())
    assert [(r.start, r.values, r.status) for r in parsed.rows] == [
        (s, [v / 1000 for v in vals], st_) for (s, _, st_), vals in zip(rows, [x[1] for x in spec])
    ]
    if rows:
        assert parsed.period_min == period
        assert [(c.obis, c.unit) for c in parsed.channels] == channels


def test_empty_profile_and_events():
    assert parse_profile(b"P.01()\r\n").rows == []
    assert parse_events(b"P.98()\r\n") == []


@pytest.mark.parametrize(
    "body",
    [
        "(ERROR)\r\n",
        "(1.0)(2.0)\r\n",  # values before a header
        "P.01(02601150030)(0000)(30)(2)(1.8.0)(kWh)(2.8.0)(kWh)\r\n(1.0)\r\n",  # count mismatch
        "P.01(02601150030)(0000)(30)(1)(1.8.0)(kWh)\r\n(x)\r\n",
        "P.01(02601150030)(00G0)(30)(1)(1.8.0)(kWh)\r\n",
        "P.01(02601150030)(0000)(30)(1)(1.8.0)(kWh)\r\nP.01(02601150130)(0000)(15)(1)(1.8.0)(kWh)\r\n",
        "1.8.0(5)\r\n",
    ],
)
def test_malformed_profiles(body):
    with pytest.raises(ProtocolError):
        parse_profile(body.encode())


def test_events_round_trip_and_errors():
    events = [(T0 + timedelta(seconds=5), 0x10, 40), (T0 + timedelta(hours=1), 0, 50)]
    parsed = parse_events(format_events(events).encode())
    assert [(e.time, e.code) for e in parsed] == [(t, c) for t, _, c in events]
    for bad in ("(ERROR)\r\n", "P.98(0260115)(0)()(1)\r\n", "P.98(0260115000000)(0)()(x)\r\n"):
        with pytest.raises(ProtocolError):
            parse_events(bad.encode())


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_profile_and_event_parsers_raise_only_protocol_error(raw):
    for parser in (parse_profile, parse_events):
        try:
            parser(raw)
        except ProtocolError:
            pass
