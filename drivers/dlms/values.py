"""Checks and conversions of values a DLMS meter sends (shared by the client and the driver).

Every unexpected value becomes an :class:`~drivers.errors.ObjectError` naming the object and the
attribute, so a tolerant read can turn it into a warning and go on.
"""

from __future__ import annotations

import math
from typing import Any

from drivers.errors import ObjectError


def scale(raw: Any, scaler: int, obj: str = "") -> float | int:
    """``raw × 10^scaler``, rounded to the scaler's decimals (ints stay ints when scaler ≥ 0).

    A value that is not a number (or not finite) is an :class:`ObjectError` naming ``obj``.
    """
    if not isinstance(raw, int | float) or isinstance(raw, bool) or not math.isfinite(raw):
        raise ObjectError(
            f"value of {obj or 'register'} is {_short(raw)}, not a number",
            obj=obj,
            attribute=2,
            reason=f"value is {_short(raw)}, not a number",
        )
    if scaler >= 0:
        return raw * 10**scaler
    return round(raw * 10.0**scaler, -scaler)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def bad_value(obj: str, attr: int | str, what: str) -> ObjectError:
    """An :class:`ObjectError` for an unexpected value of attribute ``attr`` of ``obj``."""
    return ObjectError(f"{obj} attribute {attr}: {what}", obj=obj, attribute=attr, reason=what)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1").rstrip("\x00")
    return "" if value is None else str(value)


def check_scaler_unit(obis: str, value: Any) -> tuple[int, int]:
    """A decoded Register scaler_unit → ``(scaler −128…127, unit enumeration)``."""
    if not (isinstance(value, tuple) and len(value) == 2):
        raise bad_value(obis, 3, f"scaler_unit {_short(value)} is not a 2-element structure")
    scaler, unit = value
    if not _is_int(scaler) or not -128 <= scaler <= 127:
        raise bad_value(obis, 3, f"scaler {_short(scaler)} is not an integer -128…127")
    if not _is_int(unit):
        raise bad_value(obis, 3, f"unit {_short(unit)} is not an enumeration")
    return scaler, unit
