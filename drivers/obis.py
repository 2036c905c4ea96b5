"""One OBIS code value type for every driver (IEC 62056-61 object identification).

An OBIS code is six value groups A-B:C.D.E*F, each 0…255. The bench writes them in the dotted long
form ``1.0.1.8.0.255`` (what DLMS sends as 6 bytes); IEC 62056-21 readouts use the short form
``1.8.0`` (groups C.D.E), or ``1-0:1.8.0*255`` with the medium/channel prefix and the F group.

>>> Obis.parse("1-0:1.8.0*255") == Obis.parse("1.8.0") == Obis.parse(bytes([1, 0, 1, 8, 0, 255]))
True
>>> str(Obis.parse("1.8.0"))
'1.0.1.8.0.255'
>>> Obis.parse("1.0.32.7.0.255").short
'32.7.0'

A short code gets A = 1 (electricity) when C is an electricity quantity (1…199 except the
abstract 0/96/97/98/99 groups, which get A = 0), B = 0, F = 255. Both drivers report the long
form, so an IEC register ``1.8.0`` and a DLMS register ``1.0.1.8.0.255`` are the same channel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_G = r"(\d{1,3})"
_LONG = re.compile(rf"^{_G}[.-]{_G}[.:]{_G}\.{_G}\.{_G}[.*&]{_G}$")
_SHORT = re.compile(rf"^(?:{_G}-{_G}:)?{_G}\.{_G}(?:\.{_G})?(?:\*{_G})?$")
#: C groups that are abstract (general purpose) objects rather than electricity quantities.
_ABSTRACT_C = frozenset({0, 96, 97, 98, 99})


class ObisError(ValueError):
    """Text or bytes that are not an OBIS code; the message quotes the input."""


@dataclass(frozen=True, order=True)
class Obis:
    """An OBIS code: six value groups, each 0…255."""

    a: int
    b: int
    c: int
    d: int
    e: int
    f: int = 255

    def __post_init__(self) -> None:
        for name in "abcdef":
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= 255:
                raise ObisError(f"OBIS value group {name.upper()} = {v!r} is not 0…255")

    @classmethod
    def parse(cls, value: str | bytes | bytearray | Obis) -> Obis:
        """Long (``1.0.1.8.0.255``, ``1-0:1.8.0*255``), short (``1.8.0``, ``C.D``) or 6 bytes."""
        if isinstance(value, Obis):
            return value
        if isinstance(value, bytes | bytearray):
            if len(value) != 6:
                raise ObisError(f"OBIS code must be 6 bytes, got {len(value)}: {value.hex()}")
            return cls(*value)
        if not isinstance(value, str):
            raise ObisError(f"not an OBIS code: {value!r}")
        text = value.strip()
        m = _LONG.match(text)
        if m:
            groups = [int(g) if g is not None else 255 for g in m.groups()]
            return cls._checked(value, groups)
        m = _SHORT.match(text)
        if m:
            a, b, c, d, e, f = m.groups()
            c_i = int(c)
            default_a = 0 if c_i in _ABSTRACT_C else 1
            groups = [
                int(a) if a is not None else default_a,
                int(b) if b is not None else 0,
                c_i,
                int(d),
                int(e) if e is not None else 0,
                int(f) if f is not None else 255,
            ]
            return cls._checked(value, groups)
        raise ObisError(f"not an OBIS code: {value!r} (expected like 1.0.1.8.0.255 or 1.8.0)")

    @classmethod
    def _checked(cls, text: str, groups: list[int]) -> Obis:
        if any(g > 255 for g in groups):
            raise ObisError(f"not an OBIS code: {text!r} (a value group is above 255)")
        return cls(*groups)

    @classmethod
    def is_obis(cls, value: object) -> bool:
        """True when :meth:`parse` accepts ``value``."""
        try:
            cls.parse(value)  # type: ignore[arg-type]
        except ObisError:
            return False
        return True

    @property
    def long(self) -> str:
        """``"1.0.1.8.0.255"`` — the bench's canonical form."""
        return f"{self.a}.{self.b}.{self.c}.{self.d}.{self.e}.{self.f}"

    @property
    def reduced(self) -> str:
        """``"1-0:1.8.0*255"`` — the IEC 62056-61 display form."""
        return f"{self.a}-{self.b}:{self.c}.{self.d}.{self.e}*{self.f}"

    @property
    def short(self) -> str:
        """``"1.8.0"`` — groups C.D.E, the IEC 62056-21 readout address."""
        return f"{self.c}.{self.d}.{self.e}"

    def to_bytes(self) -> bytes:
        """The 6 bytes DLMS sends."""
        return bytes((self.a, self.b, self.c, self.d, self.e, self.f))

    def __bytes__(self) -> bytes:
        return self.to_bytes()

    def __str__(self) -> str:
        return self.long


def canonical(value: str | bytes | Obis) -> str:
    """The long dotted form of any OBIS spelling; text that is not OBIS comes back unchanged."""
    try:
        return Obis.parse(value).long
    except ObisError:
        return value if isinstance(value, str) else bytes(value).hex()
