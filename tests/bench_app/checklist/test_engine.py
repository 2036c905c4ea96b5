"""The engine over the real Store and the real simulated meter core (in process, no bytes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bench_app.checklist.verdict import overall_result
from bench_app.errors import SessionLockedError, UsageError

DR_IDS = [
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


def _resolve(store, session, evidence):
    """Every evidence id must name a stored row of this session."""
    cols = {c["id"] for c in store.collections(session)}
    traces = {t["id"] for t in store.traces(session)}
    events = {e["id"] for e in store.events(session)}
    clocks = {c["id"] for c in store.clock_observations(session)}
    atts = {a["id"] for a in store.attachments(session)}
    for kind, known in (
        ("collection_ids", cols),
        ("trace_ids", traces),
        ("event_ids", events),
        ("clock_observation_ids", clocks),
        ("attachment_ids", atts),
    ):
        assert set(evidence.get(kind, [])) <= known, kind


def test_healthy_meter_passes_every_dr_step_with_resolvable_evidence(sim_engine, store, session):
    engine, sim = sim_engine(exports=True)
    outcomes = engine.run_all()
    assert [o.step_id for o in outcomes] == DR_IDS
    assert {o.step_id: o.verdict for o in outcomes} == dict.fromkeys(DR_IDS, "pass"), [
        (o.step_id, o.actual) for o in outcomes if o.verdict != "pass"
    ]
    for o in outcomes:
        _resolve(store, session, o.evidence)
        assert o.evidence.get("trace_ids"), o.step_id
    dr21 = next(o for o in outcomes if o.step_id == "DR2-1")
    assert "access refused" in dr21.actual and "attempt logged" in dr21.actual
    assert dr21.evidence["event_ids"]
    assert "still present on a second read" in outcomes[7].actual
    assert abs(sim.clock_offset_s) < 30  # DR3 steps left the clock corrected
    run = store.checklist_runs(session)[-1]
    assert run["template_version"] == engine.template.version
    assert store.verify(session).ok
    engine.confirm("tester", "A. Tester")
    engine.confirm("witness", "B. Witness")
    result = overall_result(store, session)  # no full bench read: the rest is a deviation
    assert result.status == "PASS", result.reasons
    assert all(d.kind == "reconciliation" for d in result.deviations)
    # the real password never reaches a stored trace
    for t in store.traces(session):
        assert b"HHDC2PASS" not in b"".join(r.data for r in store.load_trace(t["id"]))


@pytest.mark.parametrize(
    ("defect", "step", "words"),
    [
        ("accept-wrong-password", "DR2-1", "was ACCEPTED"),
        ("accept-wrong-password", "DR3-1", "was ACCEPTED"),
        ("clear-alarms-on-read", "DR4-1a", "reading cleared the alarm"),
        ("clear-alarms-on-read", "DR4-2", "reading cleared the alarm"),
        ("lose-data-on-supply-cut", "DR4-1b", "NOT intact"),
        ("clock-correction-unflagged", "DR3-2", "no clock-change event logged"),
        ("clock-correction-unflagged", "DR3-3", "NOT flagged"),
        ("reading-changes-data", "DR1-2", "data changed between readings"),
    ],
)
def test_each_defect_fails_its_step_with_a_telling_actual(sim_engine, defect, step, words):
    engine, _ = sim_engine("bscp601-protocol-cop1-2-3-5-10", defect, exports=step == "DR1-2")
    if step == "DR1-2":
        assert engine.run_step("DR1-1").verdict == "pass"
    outcome = engine.run_step(step)
    assert outcome.verdict == "fail", outcome.actual
    assert words in outcome.actual


def test_healthy_counterparts_of_defect_steps_pass(sim_engine):
    engine, _ = sim_engine()
    for step in ("DR1-2", "DR4-1b", "DR3-1"):
        outcome = engine.run_step(step)
        assert outcome.verdict == "pass", outcome.actual


@pytest.mark.parametrize(("bump", "verdict"), [(0.0, "pass"), (250.0, "fail")])  # Wh
def test_dr1_1_compares_both_exports_and_the_bench(sim_engine, store, session, bump, verdict):
    from tests.bench_app.checklist.conftest import add_exports

    engine, sim = sim_engine(days=22)
    first = engine.run_step("DR1-1")
    assert first.verdict == "not-run" and "import the HHDC export" in first.actual
    add_exports(store, session, sim, days=5, bump=bump)
    short = engine.run_step("DR1-1")  # the set-up condition is checked, not assumed
    assert short.verdict == "not-run" and "at least 20 days" in short.actual
    cols = add_exports(store, session, sim, days=21, bump=bump)
    again = engine.run_step("DR1-1")
    assert again.verdict == verdict, again.actual
    assert set(cols.values()) <= set(again.evidence["collection_ids"])
    if verdict == "pass":
        assert "HHDC (collection" in again.actual and "identical" in again.actual
    else:  # the HHDC export disagrees with the manufacturer's directly
        assert "HHDC vs manufacturer-software disagree" in again.actual
        assert "1 with different values" in again.actual and "SP " in again.actual
    attempts = store.step_results(engine.run_id, latest_only=False)
    assert [a["attempt"] for a in attempts if a["step_id"] == "DR1-1"] == [1, 2, 3]


def test_requirements_the_protocol_lacks_make_steps_na(store, session, sim_parts):
    from bench_app.checklist import ChecklistEngine, find_template

    make_sim, factory_for = sim_parts

    sim = make_sim()
    engine = ChecklistEngine(
        store,
        session,
        find_template("bscp601-protocol-cop1-2-3-5-10"),
        factory_for(sim),
        None,
        None,
        protocol="iec21",
        capabilities={"profile", "events"},
    )
    out = engine.run_step("DR3-2")
    assert out.verdict == "na"
    assert "protocol iec21 cannot do this step (needs set_clock)" in out.actual
    # a stimulus without bench control and without a person is not run, not failed
    out = engine.run_step("DR4-2")
    assert out.verdict == "not-run" and "needs the tester" in out.actual


def test_real_meter_prompts_the_tester_for_stimuli(store, session, sim_parts):
    from bench_app.checklist import ChecklistEngine, find_template

    make_sim, factory_for = sim_parts

    pc = [datetime.now(UTC)]  # the PC clock; time passes while the bench waits
    sim = make_sim(clock=lambda: pc[0])
    asked = []

    def tester(message):  # the tester does what is asked on the (simulated) meter
        asked.append(message)
        if "battery" in message:
            sim.battery_fault()
        return ""

    engine = ChecklistEngine(
        store,
        session,
        find_template("bscp601-protocol-cop1-2-3-5-10"),
        factory_for(sim),
        None,
        tester,
        protocol="dlms",
        now=lambda: pc[0],
        sleep=lambda s: pc.__setitem__(0, pc[0] + timedelta(seconds=s)),
    )
    out = engine.run_step("DR4-2")
    assert out.verdict == "pass", out.actual
    assert asked and "DR4-2" in asked[0]
    declined = ChecklistEngine(
        store,
        session,
        engine.template,
        factory_for(sim),
        None,
        lambda m: "no",
        protocol="dlms",
        sleep=lambda s: None,
    )
    out = declined.run_step("DR4-3")
    assert out.verdict == "not-run" and "did not confirm" in out.actual
    # a tester who confirms but did nothing: the alarm is missing → fail
    lazy = ChecklistEngine(
        store,
        session,
        engine.template,
        factory_for(sim),
        None,
        lambda m: "",
        protocol="dlms",
        sleep=lambda s: None,
    )
    out = lazy.run_step("DR4-5")
    assert out.verdict == "fail" and "no 'Reverse running' event" in out.actual


def test_real_meter_clock_offset_uses_the_right_password(store, session, sim_parts):
    from bench_app.checklist import ChecklistEngine, find_template

    make_sim, factory_for = sim_parts

    pc = [datetime.now(UTC)]  # the PC clock; time passes while the bench waits
    sim = make_sim(clock=lambda: pc[0])
    engine = ChecklistEngine(
        store,
        session,
        find_template("bscp601-protocol-cop1-2-3-5-10"),
        factory_for(sim),
        None,
        None,
        protocol="dlms",
        now=lambda: pc[0],
        sleep=lambda s: pc.__setitem__(0, pc[0] + timedelta(seconds=s)),
    )
    out = engine.run_step("DR3-1")
    assert out.verdict == "pass", out.actual
    out = engine.run_step("DR3-3")
    assert out.verdict == "pass", out.actual
    assert abs(sim.clock_offset_s) < 30


def test_no_meter_means_not_run(store, session):
    from bench_app.checklist import ChecklistEngine, find_template

    engine = ChecklistEngine(store, session, find_template("bscp601-protocol-cop1-2-3-5-10"))
    out = engine.run_step("DR2-2")
    assert out.verdict == "not-run" and "no meter" in out.actual


def test_confirmed_run_refuses_edits_and_can_be_superseded(sim_engine, store, session):
    engine, _ = sim_engine()
    engine.run_step("DR2-2")
    engine.record("DR1-1", "HHDC screen shows identical values", "pass", by="A. Tester")
    with pytest.raises(UsageError, match="verdict must be one of"):
        engine.record("DR1-1", "x", "maybe")
    with pytest.raises(UsageError, match="not run"):
        engine.confirm("tester", "A. Tester")
    engine.confirm("tester", "A. Tester", accept_incomplete=True)
    engine.run_step("DR2-2")  # still open after one confirmation
    with pytest.raises(UsageError, match="another person"):
        engine.confirm("witness", "A. TESTER", accept_incomplete=True)
    engine.confirm("witness", "B. Witness", accept_incomplete=True)
    with pytest.raises(SessionLockedError, match="confirmed"):
        engine.run_step("DR2-2")
    with pytest.raises(SessionLockedError):
        engine.record("DR1-1", "again", "pass")
    with pytest.raises(UsageError, match="reason"):
        engine.supersede(" ")
    old = engine.run_id
    new = engine.supersede("HHDC software version changed")
    assert new != old
    assert engine.run_step("DR2-2").verdict == "pass"
    runs = {r["id"]: r for r in store.checklist_runs(session)}
    assert runs[old]["status"] == "superseded" and runs[new]["supersedes"] == old
    assert runs[new]["reason"] == "HHDC software version changed"
    table = engine.results()
    assert [r["step"] for r in table] == DR_IDS
    assert table[3]["verdict"] == "pass" and table[0]["verdict"] == "not-run"
    assert store.verify(session).ok


def test_manual_and_attachment_steps(sim_engine, store, session, tmp_path):
    answers = iter(["Four levels listed in the manual", "pass"])
    engine, _ = sim_engine("cop-compliance-core", prompt=lambda m: next(answers))
    out = engine.run_step("CC-06")
    assert (out.verdict, out.actual) == ("pass", "Four levels listed in the manual")
    auto, _ = sim_engine("cop-compliance-core")
    assert auto.run_step("CC-06").verdict == "not-run"
    assert auto.run_step("CC-09").verdict == "not-run"
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(b"%PDF-1.4 certificate")
    out = auto.attach("CC-09", pdf)
    assert out.verdict == "pass"
    _resolve(store, session, out.evidence)
    (tmp_path / "x.txt").write_text("x")
    with pytest.raises(UsageError, match="accepted"):
        auto.attach("CC-09", tmp_path / "x.txt")


def test_cop_identity_storage_period_and_clock(sim_engine, store, session):
    engine, sim = sim_engine("cop-compliance-core", days=91)
    for step in ("CC-01", "CC-02", "CC-03", "CC-05", "CC-08"):
        out = engine.run_step(step)
        assert out.verdict == "pass", (step, out.actual)
    store.set_equipment(session, serials=["OTHER-1"])
    out = engine.run_step("CC-01")
    assert out.verdict == "fail" and "not among" in out.actual
    short, _ = sim_engine("cop-compliance-core", days=3)
    out = short.run_step("CC-02")
    assert out.verdict == "fail" and "less than 90 days" in out.actual
    sim.set_clock_offset(60)
    out = engine.run_step("CC-08")
    assert out.verdict == "fail" and "local time" in out.actual


@pytest.mark.parametrize(("scale", "verdict"), [(1.0, "pass"), (1.01, "fail")])
def test_hh_sum_against_register_advance(sim_engine, scale, verdict):
    now = [datetime(2026, 11, 24, 3, 17, 40, tzinfo=UTC)]

    def sleep(seconds):
        now[0] += timedelta(seconds=seconds)

    engine, _ = sim_engine(
        "cop-compliance-core", days=2, clock=lambda: now[0], sleep=sleep, register_scale=scale
    )
    out = engine.run_step("CC-04")
    assert out.verdict == verdict, out.actual
    assert "2 of 2 periods" in out.actual and "tolerance ±0.1 %" in out.actual


def test_cop11_variant_passes_on_a_healthy_meter(store, session, sim_engine):
    from bench_app.equipment import Register

    # the fixture's session declares CoP 5, which the CoP 11 script does not serve (issue 18)
    Register(store).record_template_override(session, "bscp601-protocol-cop11", "CoP 11 rehearsal")
    engine, _ = sim_engine("bscp601-protocol-cop11", exports=True)
    outcomes = engine.run_all()
    assert len(outcomes) == 14
    assert all(o.verdict == "pass" for o in outcomes), [
        (o.step_id, o.actual) for o in outcomes if o.verdict != "pass"
    ]


def test_protocol_name_requirement_and_custom_reason(store, session, sim_parts):
    from bench_app.checklist import ChecklistEngine, parse_template

    make_sim, factory_for = sim_parts
    text = """name = "x"\ntitle = "X"\nversion = "1"\napplies_to = ["dlms", "iec21"]
[[steps]]
id = "S1"\ntitle = "t"\nobjective = "o"\nmethod = "m"\nexpected = "e"\nkind = "automatic"
action = "clock_in_utc"\nrequires = ["dlms"]\nna_reason = "only DLMS meters log this"
"""
    template = parse_template(text, "x.toml")
    sim = make_sim()
    iec = ChecklistEngine(store, session, template, factory_for(sim), protocol="iec21")
    out = iec.run_step("S1")
    assert (out.verdict, out.actual) == ("na", "only DLMS meters log this")
    dlms = ChecklistEngine(store, session, template, factory_for(sim), protocol="dlms")
    assert dlms.run_step("S1").verdict == "pass"


def test_password_length_rule_is_checked_against_the_meter(sim_engine):
    engine, _ = sim_engine("cop-compliance-core")
    out = engine.run_step("CC-07")
    assert out.verdict == "pass", out.actual
    assert "14-character password refused" in out.actual
    assert "5-character password refused" in out.actual
    broken, _ = sim_engine("cop-compliance-core", "password-length-unchecked")
    out = broken.run_step("CC-07")
    assert out.verdict == "fail" and "was ACCEPTED" in out.actual


def test_end_of_input_at_a_prompt_is_not_run(sim_engine):
    from bench_app.checklist.context import StepAborted

    def eof(message):
        raise StepAborted("end of input at the prompt")

    engine, _ = sim_engine("cop-compliance-core", prompt=eof)
    out = engine.run_step("CC-06")
    assert out.verdict == "not-run" and "end of input" in out.actual
    real, _ = sim_engine(control=False, prompt=eof)
    out = real.run_step("DR4-2")  # the stimulus prompt got no answer: not done, not a pass
    assert out.verdict == "not-run" and "end of input" in out.actual


def test_real_meter_step_can_be_left_waiting_and_resumed(store, session, sim_parts):
    """A tester who does not want to wait for the period to close leaves the step (not run, with
    what to do); re-running it later checks the closed period without a new stimulus."""
    from bench_app.checklist import ChecklistEngine, find_template

    make_sim, factory_for = sim_parts
    pc = [datetime(2026, 11, 29, 7, 35, tzinfo=UTC)]  # 25 minutes before SP 16 closes
    sim = make_sim(clock=lambda: pc[0])
    answers: list[str] = []

    def tester(message: str) -> str:
        answers.append(message)
        if "battery" in message:
            sim.battery_fault()
        return "later" if "closes in" in message else ""

    def engine(prompt):
        return ChecklistEngine(store, session, find_template("bscp601-protocol-cop1-2-3-5-10"),
                               factory_for(sim), None, prompt, protocol="dlms",
                               now=lambda: pc[0], sleep=lambda s: None)  # fmt: skip

    left = engine(tester).run_step("DR4-2")
    assert left.verdict == "not-run" and "re-run DR4-2 after 08:00 UTC" in left.actual
    assert left.evidence["pending"]["hi"] == "2026-11-29T08:00:00Z"
    faults = len(sim.events())
    pc[0] += timedelta(minutes=30)  # the tester comes back after the period closed
    done = engine(lambda m: "").run_step("DR4-2")
    assert done.verdict == "pass", done.actual
    assert "closed 2026-11-29 SP 16, 07:30–08:00 GMT" in done.actual
    assert len(sim.events()) == faults  # no second stimulus
