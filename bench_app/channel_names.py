"""Channels named for people: ``"Active import, kWh (1.0.1.8.0.255)"`` rather than the OBIS code
alone, so a witness reads the quantity first and can still match the code the meter sent.

The quantity comes from the OBIS C group (IEC 62056-61 / the DLMS UA "Blue Book" value groups:
1 and 2 active import/export, 3 and 4 reactive import/export, 5 to 8 reactive quadrants I to IV,
9 and 10 apparent import/export); anything else is shown by its code alone.
"""

from __future__ import annotations

from drivers.obis import Obis, ObisError

#: OBIS C group (electricity) → the quantity's name
QUANTITIES = {
    1: "Active import",
    2: "Active export",
    3: "Reactive import",
    4: "Reactive export",
    5: "Reactive, quadrant I",
    6: "Reactive, quadrant II",
    7: "Reactive, quadrant III",
    8: "Reactive, quadrant IV",
    9: "Apparent import",
    10: "Apparent export",
}


def channel_name(code: str, unit: str = "") -> str:
    """``"Active import, kWh (1.0.1.8.0.255)"``; an internal or unknown channel name is given
    back as it is (with its unit in brackets)."""
    try:
        obis = Obis.parse(code)
    except (ObisError, ValueError):
        return f"{code} ({unit})" if unit else code
    quantity = QUANTITIES.get(obis.c) if obis.a == 1 else None
    if quantity is None:
        return f"{code} ({unit})" if unit else code
    return f"{quantity}, {unit} ({code})" if unit else f"{quantity} ({code})"
