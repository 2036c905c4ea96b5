"""The limits table (resources/cops): templates hold no numeric limit of their own, every figure
has a clause and a source, and a session's CoP issues (named at creation or recorded later)
choose the figures; what cannot be sourced is NOT CONFIRMED in the Deviations."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from bench_app.checklist import ChecklistEngine, find_template, parse_template
from bench_app.errors import TemplateError
from bench_app.limits import LimitsTable, session_limits, table
from bench_app.paths import resource_path

CHECKLISTS = sorted(resource_path("checklists").glob("*.toml"))
#: Step params that are the bench's procedure or an identity, never a criterion: how long to hold
#: a stimulus or wait, which phases or association level, how many days the bench re-reads.
PROCEDURE = {
    "association_level", "phases", "hold_s", "event_window_s", "days", "bench_days",
    "reconnect_s", "max_wait_s", "settle_s", "close_margin_s", "ask_above_s", "periods",
    "combination", "hhdc_level", "collect_hours",
}  # fmt: skip
#: A number followed by a unit in a text is a figure: it must be a {name} of the limits table.
UNIT_NUMBER = re.compile(
    r"(?<![\w.-])[+-]?\d+(?:[.,]\d+)?\s*(?:/\s*\d+\s*)*"
    r"(?:days?|hours?|min(?:utes?)?|s|seconds?|%|characters?|kWh|kvarh|Wh|levels?)\b"
)
NUMBER_WORDS = re.compile(r"\b(?:two|three|four|five|six|ten|twelve|twenty|ninety)\b", re.I)


def _numbers(value, path):
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [path]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _numbers(v, f"{path}[{i}]")]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _numbers(v, f"{path}.{k}")]
    return []


@pytest.mark.parametrize("path", CHECKLISTS, ids=lambda p: p.name)
def test_no_numeric_limit_in_a_template_that_is_not_a_reference(path: Path):
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    bad = []
    for step in data["steps"]:
        for key, value in (step.get("params") or {}).items():
            if key not in PROCEDURE:
                bad += [f"{step['id']} params.{p}" for p in _numbers(value, key)]
        for key in ("title", "objective", "method", "expected", "na_reason"):
            text = str(step.get(key, ""))
            bad += [f"{step['id']} {key}: {m!r}" for m in UNIT_NUMBER.findall(text)]
            bad += [f"{step['id']} {key}: {m!r}" for m in NUMBER_WORDS.findall(text)]
    assert not bad, f"{path.name}: numbers that are not references into resources/cops: {bad}"


def test_the_check_catches_a_number_of_its_own():
    assert UNIT_NUMBER.findall("at least 90 days; within 30 s; 6–12 characters; ±0.1 %")
    assert _numbers({"min_days": 90, "x": "@storage_days"}, "p") == ["p.min_days"]


@pytest.mark.parametrize("path", CHECKLISTS, ids=lambda p: p.name)
def test_every_reference_resolves_for_a_session(path, store):
    tpl = find_template(path.stem)
    sid = store.create_session("LIM-1", "cop-compliance", cops=["CoP 5 issue 6"])
    resolved = tpl.resolved(session_limits(store, sid))
    for step in resolved.steps:
        for text in (step.title, step.objective, step.method, step.expected):
            assert "{" not in text and "@" not in text, (step.id, text)
        assert not any(isinstance(v, str) and v.startswith("@") for v in step.params.values())


def test_every_figure_has_clause_and_source_and_not_confirmed_is_marked():
    t = table()
    figures = [f for iss in t.cops.values() for figs in iss.values() for f in figs.values()]
    figures += list(t.script.values())
    assert figures
    for f in figures:
        assert f.clause.strip() and f.source.strip(), f
        assert ("NOT CONFIRMED" in f.source) == (not f.confirmed), f
    assert t.cops["5"]["6"]["storage_days"].value == 20
    assert t.cops["5"]["6"]["storage_days"].confirmed
    assert not t.cops["5"]["6"]["clock_accuracy_s"].confirmed


def test_cop_issue_chooses_figures_at_creation_or_later(store):
    named = store.create_session("LIM-2", "cop-compliance", cops=["CoP 5 issue 6"])
    later = store.create_session("LIM-3", "cop-compliance", cops=["CoP 5"])
    store.set_session_record(later, "cop_issues", {"issues": {"5": "6"}})
    for sid in (named, later):
        fig = session_limits(store, sid).get("storage_days")
        assert (fig.value, fig.confirmed) == (20, True)
        assert "CoP 5 issue 6" in fig.basis[0]
    bare = store.create_session("LIM-4", "cop-compliance", cops=["CoP 5"])
    fig = session_limits(store, bare).get("storage_days")
    assert not fig.confirmed and "issue not recorded" in fig.notes[0]
    other = store.create_session("LIM-5", "cop-compliance", cops=["CoP 5 issue 9"])
    fig = session_limits(store, other).get("storage_days")
    assert not fig.confirmed and "not in the limits table" in fig.notes[0]


def test_strictest_figure_across_the_sessions_cops(tmp_path):
    (tmp_path / "figures.toml").write_text(
        '[storage_days]\nunit = "days"\nrule = "at_least"\n'
        '[clock_accuracy_s]\nunit = "s"\nrule = "at_most"\n'
    )
    for cop, days, acc in (("1", 20, 10), ("2", 90, 5)):
        (tmp_path / f"cop{cop}.toml").write_text(
            f'cop = "{cop}"\n[[issues]]\nissue = "1"\n'
            f'[issues.figures.storage_days]\nvalue = {days}\nclause = "c"\nsource = "s"\n'
            f'[issues.figures.clock_accuracy_s]\nvalue = {acc}\nclause = "c"\nsource = "s"\n'
        )
    t = LimitsTable(tmp_path)
    cops = [("1", "1"), ("2", "1")]
    assert t.resolve("storage_days", cops).value == 90
    assert t.resolve("clock_accuracy_s", cops).value == 5


def test_a_figure_without_source_or_a_dangling_reference_is_refused(tmp_path):
    (tmp_path / "figures.toml").write_text('[storage_days]\nunit = "days"\nrule = "at_least"\n')
    (tmp_path / "cop5.toml").write_text(
        'cop = "5"\n[[issues]]\nissue = "6"\n[issues.figures.storage_days]\nvalue = 20\n'
        'clause = "c"\n'
    )
    with pytest.raises(TemplateError, match="needs a source"):
        LimitsTable(tmp_path)
    text = ('name = "x"\ntitle = "X"\nversion = "1"\napplies_to = ["dlms"]\n[[steps]]\n'
            'id = "S"\ntitle = "t"\nobjective = "o {no_such_figure}"\nmethod = "m"\n'
            'expected = "e"\nkind = "manual"\n')  # fmt: skip
    with pytest.raises(TemplateError, match="x.toml:8: .*no_such_figure.*limits table"):
        parse_template(text, "x.toml")


def test_not_confirmed_figures_are_deviations_and_recorded_with_the_step(store):
    from bench_app.checklist.verdict import overall_result

    sid = store.create_session("LIM-6", "cop-compliance", cops=["CoP 5 issue 6"])
    engine = ChecklistEngine(store, sid, find_template("cop-compliance-core"))
    out = engine.record("CC-08", "meter clock 2 s fast", "pass", by="A. Tester")
    assert out.evidence["limits"]["clock_accuracy_s"]["confirmed"] is False
    out = engine.record("CC-02", "20 days seen", "pass", by="A. Tester")
    assert out.evidence["limits"]["storage_days"]["confirmed"] is True
    res = overall_result(store, sid)
    (dev,) = [d for d in res.deviations if d.kind == "limit-not-confirmed"]
    assert dev.reference == "clock_accuracy_s" and "CC-08" in dev.text
    assert "NOT CONFIRMED" in dev.text and "storage_days" not in dev.text
    assert engine.template.step("CC-02").title == "Storage of 20 days per channel"


def test_an_issue_recorded_later_is_checked_like_one_named_at_creation(store):
    from bench_app.equipment.approvals import check_template_serves
    from bench_app.errors import UsageError

    text = ('name = "x"\ntitle = "X"\nversion = "1"\napplies_to = ["dlms"]\n'
            'cops = ["CoP 5 issue 6"]\n[[steps]]\nid = "S"\ntitle = "t"\nobjective = "o"\n'
            'method = "m"\nexpected = "e"\nkind = "manual"\n')  # fmt: skip
    tpl = parse_template(text, "x.toml")
    at_creation = store.create_session("LIM-7", "cop-compliance", cops=["CoP 5 issue 5"])
    later = store.create_session("LIM-8", "cop-compliance", cops=["CoP 5"])
    store.set_session_record(later, "cop_issues", {"issues": {"5": "5"}})
    for sid in (at_creation, later):
        with pytest.raises(UsageError, match="serves CoP 5 issue 6, not CoP 5 issue 5"):
            check_template_serves(store, sid, tpl)


def test_protocol_scripts_carry_no_cop_issue():
    for name in ("bscp601-protocol-cop1-2-3-5-10", "bscp601-protocol-cop11"):
        assert all("issue" not in c for c in find_template(name).cops)
