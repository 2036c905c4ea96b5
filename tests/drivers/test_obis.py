"""The one OBIS value type: every spelling a meter or a lab uses parses to the same code."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.obis import Obis, ObisError, canonical


@pytest.mark.parametrize(
    "text",
    [
        "1.0.1.8.0.255",
        "1-0:1.8.0*255",
        "1-0:1.8.0",
        "1.8.0",
        " 1.8.0 ",
        bytes([1, 0, 1, 8, 0, 255]),
    ],
)
def test_spellings_of_active_import_are_one_code(text: str | bytes) -> None:
    o = Obis.parse(text)
    assert o == Obis(1, 0, 1, 8, 0, 255)
    assert (o.long, o.reduced, o.short) == ("1.0.1.8.0.255", "1-0:1.8.0*255", "1.8.0")
    assert o.to_bytes() == bytes([1, 0, 1, 8, 0, 255])


def test_short_abstract_codes_get_group_a_zero() -> None:
    # 96.1.0 (serial) and 0.9.1 (time) are abstract objects, not electricity quantities
    assert Obis.parse("96.1.0").long == "0.0.96.1.0.255"
    assert Obis.parse("0.9.1").long == "0.0.0.9.1.255"
    assert Obis.parse("32.7.0").long == "1.0.32.7.0.255"


@pytest.mark.parametrize(
    "bad", ["", "1.0.99.1.0", "1.0.256.8.0.255", "x.8.0", "1..8", "F.F.1", b"\x01\x02", "1.8.0.0"]
)
def test_not_obis_is_a_typed_error_quoting_the_input(bad: str | bytes) -> None:
    with pytest.raises(ObisError) as err:
        Obis.parse(bad)
    assert isinstance(err.value, ValueError)
    assert not Obis.is_obis(bad)


def test_canonical_leaves_names_alone() -> None:
    assert canonical("1.8.0") == "1.0.1.8.0.255"
    assert canonical("Active import") == "Active import"


@given(st.binary(min_size=6, max_size=6))
def test_bytes_round_trip_through_every_form(raw: bytes) -> None:
    o = Obis.parse(raw)
    assert Obis.parse(o.long) == o == Obis.parse(o.reduced)
    assert bytes(o) == raw
