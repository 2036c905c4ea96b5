"""Meter descriptions as data: every shipped file validates, and a bad file says file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.description import (
    DescriptionError,
    builtin_dir,
    load_description,
    parse_description,
)
from drivers.model import EventCode, StatusFlag
from drivers.sim.meter import MeterDescription

SHIPPED = sorted(builtin_dir().glob("*.toml"))


def test_the_four_required_descriptions_ship():
    assert {p.stem for p in SHIPPED} >= {
        "prometer100", "dlms-generic", "iec-generic", "northgate-nx7",
    }  # fmt: skip


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_description_validates(path: Path):
    d = load_description(path)
    assert d.name == path.stem
    assert d.levels and d.level(0).client_sap == 16
    if "dlms" in d.protocols:
        assert d.identity.get("serial") and d.load_profile and d.event_logs
        assert d.event_codes and d.status_bits


def test_second_meter_differs_from_the_first_in_every_mapping():
    a = load_description(builtin_dir() / "prometer100.toml")
    b = load_description(builtin_dir() / "northgate-nx7.toml")
    assert a.level(2).client_sap != b.level(2).client_sap
    assert set(a.firmware.values()).isdisjoint(b.firmware.values())
    assert a.identity["serial"] != b.identity["serial"]
    assert a.load_profile != b.load_profile and set(a.event_logs).isdisjoint(b.event_logs)
    assert a.profile_status != b.profile_status
    assert a.meter_event_code(EventCode.PHASE_FAILURE_L2) != b.meter_event_code(
        EventCode.PHASE_FAILURE_L2
    )
    assert a.status_of(StatusFlag.SUPPLY_FAILURE) != b.status_of(StatusFlag.SUPPLY_FAILURE)
    # both directions agree: meter word -> flags -> meter word
    for flag in StatusFlag:
        if flag:
            assert b.flags_of(b.status_of(flag)) == flag


def test_simulator_and_driver_read_the_same_file():
    sim = MeterDescription.load("northgate-nx7")
    assert sim.meter_type == load_description(builtin_dir() / "northgate-nx7.toml")
    assert [c.obis for c in sim.channels] != [r.obis for r in sim.meter_type.registers]  # spelling
    assert [r.obis for r in sim.meter_type.registers][2] == "1.0.5.8.0.255"  # canonical


GOOD = """\
name = "lab-meter"
protocols = ["dlms"]

[[associations]]
level = 0
sap = 16

[[associations]]
level = 2
sap = 48

[dlms]
load_profile = "1.0.99.1.0.255"

[dlms.identity]
serial = "0.0.96.1.0.255"

[event_codes]
"7" = "BATTERY_FAULT"
"""


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ("sap = 48", "sap = 300", 10, "associations[1].sap: client SAP 300"),
        ("level = 2", "level = 7", 9, "associations[1].level: 7 is not a level"),
        ('serial = "0.0.96.1.0.255"', 'serial = "0.0.96.1.0"', 16, "dlms.identity.serial"),
        ('load_profile = "1.0.99.1.0.255"', "load_profile = 5", 13, "dlms.load_profile"),
        ('"7" = "BATTERY_FAULT"', '"7" = "FLAT_BATTERY"', 19, "'FLAT_BATTERY' is not one of"),
        ('"7" = "BATTERY_FAULT"', '"x7" = "BATTERY_FAULT"', 19, "event_codes.x7"),
        ('protocols = ["dlms"]', 'protocols = ["modbus"]', 2, "'modbus'"),
        ("[dlms]\n", "[dlms]\nbogus = = 1\n", 13, "lab.toml:13"),
    ],
)
def test_errors_name_file_line_and_field(old, new, line, words):
    text = GOOD.replace(old, new)
    assert text != GOOD
    with pytest.raises(DescriptionError) as err:
        parse_description(text, "lab.toml")
    assert str(err.value).startswith(f"lab.toml:{line}:"), str(err.value)
    assert words in str(err.value)


def test_good_text_parses_and_answers_the_checklist_api():
    d = parse_description(GOOD, "lab.toml")
    assert d.level(2).client_sap == 48 and d.level_numbers == [0, 2]
    with pytest.raises(KeyError, match="no association level 3"):
        d.level(3)
    assert d.event_kind(7) == EventCode.BATTERY_FAULT and d.event_kind(8) is None


def test_unreadable_file_is_a_description_error(tmp_path):
    with pytest.raises(DescriptionError, match="cannot read"):
        load_description(tmp_path / "missing.toml")
    bad = tmp_path / "latin.toml"
    bad.write_bytes(b'name = "\xff"\n')
    with pytest.raises(DescriptionError, match="latin.toml"):
        load_description(bad)
