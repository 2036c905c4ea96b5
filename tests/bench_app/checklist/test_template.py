"""Template loading and schema validation: every error names file:line and the field."""

from __future__ import annotations

import re

import pytest

from bench_app.checklist.template import (
    KINDS,
    LineLocator,
    find_template,
    list_templates,
    load_template,
    parse_template,
)
from bench_app.errors import TemplateError

GOOD = """\
name = "t"
title = "T"
version = "2.1"
applies_to = ["dlms"]

[[steps]]
id = "A-1"
title = "first"
objective = "o"
method = "m"
expected = "e"
kind = "manual"

[[steps]]
id = "A-2"
title = "second"
objective = "o"
method = "m"
expected = "e"
kind = "automatic"
action = "clock_in_utc"
requires = ["set_clock"]
[steps.params]
max_deviation_s = 5.0
"""


def test_bundled_templates_load_with_versions_and_data():
    names = {p.stem for p in list_templates()}
    assert {
        "bscp601-protocol-cop1-2-3-5-10",
        "bscp601-protocol-cop11",
        "cop-compliance-core",
    } <= names
    dr = find_template("bscp601-protocol-cop1-2-3-5-10")
    assert [s.id for s in dr.steps] == [
        "DR1-1",
        "DR1-2",
        "DR2-1",
        "DR2-2",
        "DR3-1",
        "DR3-2",
        "DR3-3",
        "DR4-1a",
        "DR4-1b",
        "DR4-2",
        "DR4-3",
        "DR4-4",
        "DR4-5",
        "EQ-1",
    ]
    assert dr.version and set(dr.applies_to) == {"dlms", "iec21"}
    assert dr.step("DR3-2").params["offset_min"] == "@script_clock_offset_min"
    assert dr.step("DR3-2").params["direction"] == "slow"
    assert dr.step("DR3-3").params["direction"] == "fast"
    assert all(s.kind in KINDS and s.expected for s in dr.steps)
    cop11 = find_template("bscp601-protocol-cop11")
    assert "AMHHDC" in cop11.title and not [s for s in cop11.steps if s.id.startswith("DR4")]
    core = find_template("cop-compliance-core")
    assert core.step("CC-02").params["min_days"] == "@storage_days"
    assert core.step("CC-04").params["tolerance_pct"] == "@hh_register_tolerance_pct"
    assert core.step("CC-07").params["min_length"] == "@password_min_length"
    assert core.step("CC-07").params["max_length"] == "@password_max_length"
    assert {s.kind for s in core.steps} == set(KINDS)


def test_good_template_parses_and_locates_lines():
    t = parse_template(GOOD, "good.toml")
    assert t.version == "2.1"
    assert t.steps[0].line == 6 and t.steps[1].line == 14
    assert t.step("A-2").requires == ("set_clock",)
    assert t.step("A-2").params == {"max_deviation_s": 5.0}
    loc = LineLocator(GOOD)
    assert loc.line("steps[1].kind") == 20
    assert loc.line("steps[1].params.max_deviation_s") == 24
    assert loc.line("steps[1].nonexistent") == 14
    assert loc.line("version") == 3


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_missing_field_names_file_line_step_and_field(tmp_path):
    text = GOOD.replace('expected = "e"\nkind = "automatic"', 'kind = "automatic"')
    path = tmp_path / "broken.toml"
    path.write_text(text)
    with pytest.raises(TemplateError) as err:
        load_template(path)
    msg = str(err.value)
    assert (
        msg == f"broken.toml:{_line_of(text, '[[steps]]') + 8}: step A-2: missing field 'expected'"
    )
    assert err.value.exit_code == 9


def test_unknown_kind_points_at_the_kind_line():
    text = GOOD.replace('kind = "manual"', 'kind = "robotic"')
    with pytest.raises(
        TemplateError,
        match=r"^x\.toml:12: step A-1: unknown step kind 'robotic' "
        r"in field 'kind'",
    ):
        parse_template(text, "x.toml")


@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        (
            ('action = "clock_in_utc"', 'action = "teleport"'),
            r"x\.toml:21: step A-2: unknown action 'teleport' in field 'action'",
        ),
        (('action = "clock_in_utc"\n', ""), r"x\.toml:14: step A-2: missing field 'action'"),
        (('version = "2.1"\n', ""), r"x\.toml:1: missing field 'version'"),
        (
            ('title = "second"', 'title = "second"\ncolour = "red"'),
            r"x\.toml:17: step A-2: unknown field 'colour'",
        ),
        (('id = "A-2"', 'id = "A-1"'), r"x\.toml:15: step A-1: duplicate step id"),
        (
            ('requires = ["set_clock"]', 'requires = "set_clock"'),
            r"x\.toml:22: step A-2: field 'requires' must be a list",
        ),
        (('objective = "o"', 'objective = ""'), r"x\.toml:9: step A-1: field 'objective' must"),
        (("[steps.params]", "[steps.params\n"), r"x\.toml:\d+: not valid TOML"),
    ],
)
def test_schema_errors_name_line_and_field(change, pattern):
    old, new = change
    text = GOOD.replace(old, new, 1)
    assert text != GOOD
    with pytest.raises(TemplateError, match=pattern):
        parse_template(text, "x.toml")


def test_unknown_template_name_lists_available():
    with pytest.raises(TemplateError, match=re.escape("cop-compliance-core")):
        find_template("no-such-template")
