"""Fixtures for the equipment register tests: a real Store on a temp file and a small register."""

from __future__ import annotations

import pytest

from bench_app.equipment import Register
from tests.bench_app.equipment.eqhelp import FW


@pytest.fixture
def reg(store):
    """PRO with two hardware variants of one firmware (P3E wall, R3E rack), one newer firmware."""
    r = Register(store)
    r.add_type("PRO", "Secure Meters", ["Prometer 100 P3E", "Prometer 100 R3E"], ["5", "10"])
    r.add_combination("PRO", "Prometer 100", FW, "P3E", key="PRO-P3E")
    r.add_combination("PRO", "Prometer 100", FW, "R3E", key="PRO-R3E")
    r.add_combination("PRO", "Prometer 100", {**FW, "application": "3.5"}, "P3E", key="PRO-P3E-35")
    return r
