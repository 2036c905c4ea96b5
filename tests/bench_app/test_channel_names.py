"""Channels are named by quantity, with the unit and the OBIS code the meter sent."""

from __future__ import annotations

import pytest

from bench_app.channel_names import channel_name


@pytest.mark.parametrize(
    ("code", "unit", "shown"),
    [
        ("1.0.1.8.0.255", "kWh", "Active import, kWh (1.0.1.8.0.255)"),
        ("1.0.2.29.0.255", "kWh", "Active export, kWh (1.0.2.29.0.255)"),
        ("1.0.3.8.0.255", "kvarh", "Reactive import, kvarh (1.0.3.8.0.255)"),
        ("1.0.8.8.0.255", "", "Reactive, quadrant IV (1.0.8.8.0.255)"),
        ("1.0.32.7.0.255", "V", "1.0.32.7.0.255 (V)"),  # not an energy quantity: the code
        ("0.0.1.0.0.255", "", "0.0.1.0.0.255"),  # abstract object (clock)
        ("import_kwh", "kWh", "import_kwh (kWh)"),  # an export's own column name
    ],
)
def test_channel_names(code, unit, shown):
    assert channel_name(code, unit) == shown
