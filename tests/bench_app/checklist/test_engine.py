"""The engine over the real Store and the real simulated meter core (in process, no bytes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bench_app.checklist.verdict import overall_result
from bench_app.errors import SessionLockedError, UsageError
from tests.bench_app.checklist.conftest import rehearsal_pass

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
    assert rehearsal_pass(result), result.reasons  # the meter side only: no approval
    assert {d.kind for d in result.deviations} == {"reconciliation", "limit-not-confirmed"}
    (nc,) = [d for d in result.deviations if d.kind == "limit-not-confirmed"]
    assert nc.reference == "clock_accuracy_s" and "NOT CONFIRMED" in nc.text
    assert "DR3-2" in nc.text
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
        ("alarm-never-clears", "DR4-1a", "alarm did NOT clear"),
        ("alarm-never-clears", "DR4-1b", "alarm did NOT clear"),
        ("alarm-never-clears", "DR4-2", "alarm did NOT clear"),
        ("alarm-never-clears", "DR4-3", "alarm did NOT clear"),
        ("alarm-never-clears", "DR4-4", "alarm did NOT clear"),
        ("alarm-never-clears", "DR4-5", "alarm did NOT clear"),
        ("period-double-counted-after-clock-forward", "DR3-3", "DOUBLE COUNTED"),
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
    for step in ("DR1-2", "DR4-1b", "DR3-1", "DR3-3"):
        outcome = engine.run_step(step)
        assert outcome.verdict == "pass", outcome.actual


def test_script_tests_as_titled(sim_engine):
    """DR4-1a: each phase in its own consecutive period, then a combination; DR4-1b: an outage
    across a period boundary, every period flagged, the clock after restore judged; every alarm
    step: the first full period after the restore closed and clear; DR4-4: CT ratio as found."""
    engine, sim = sim_engine()
    a = engine.run_step("DR4-1a")
    assert a.verdict == "pass", a.actual
    assert len(a.evidence["periods_in_turn"]) == 4  # L1, L2, L3, then L1+L2 together
    assert a.evidence["periods_in_turn"][3].endswith("Phase failure L1, Phase failure L2")
    assert "the alarm cleared" in a.actual and a.evidence["clear_period"]
    b = engine.run_step("DR4-1b")
    assert b.verdict == "pass", b.actual
    assert len(b.evidence["closed_periods"]) >= 2  # the outage spans a boundary
    assert "across 2 settlement periods" in b.actual and "clock after restore" in b.actual
    d = engine.run_step("DR4-4")
    assert d.verdict == "pass", d.actual
    assert d.evidence["restore"] == {"parameter": "ct_ratio", "set_to": "400/5",
                                     "as_found": "200/5", "restored_to": "200/5"}  # fmt: skip
    assert sim.parameters["ct_ratio"] == "200/5"
    assert "restored to 200/5 as found" in d.actual
    r = engine.run_step("DR3-3")
    assert r.verdict == "pass" and "held once, not double counted" in r.actual, r.actual


@pytest.mark.parametrize(("bump", "verdict"), [(0.0, "pass"), (250.0, "fail")])  # Wh
def test_dr1_1_compares_both_exports_and_the_bench(sim_engine, store, session, bump, verdict):
    from tests.bench_app.checklist.conftest import add_exports

    engine, sim = sim_engine(days=25)  # the outstation holds 25 days (set-up: 20)
    first = engine.run_step("DR1-1")
    assert first.verdict == "not-run" and "import the HHDC export" in first.actual
    cols = add_exports(store, session, sim, days=1, bump=bump)  # a one-day HHDC collection
    again = engine.run_step("DR1-1")
    assert again.verdict == verdict, again.actual
    assert set(cols.values()) <= set(again.evidence["collection_ids"])
    assert again.evidence["setup"]["days_held"] >= 20
    assert "outstation holds" in again.actual and "at the export's resolution" in again.actual
    if verdict == "pass":
        assert "HHDC (collection" in again.actual and "identical" in again.actual
    else:  # the HHDC export disagrees with the manufacturer's directly
        assert "HHDC vs manufacturer-software disagree" in again.actual
        assert "1 with different values" in again.actual and "SP " in again.actual
        # a corrected export imported later is judged; the earlier DIFFER stays, with why
        add_exports(store, session, sim, days=1, sources=("hhdc",))
        fixed = engine.run_step("DR1-1")
        assert fixed.verdict == "pass", fixed.actual
        assert "DIFFERED from the bench" in fixed.actual and "superseded by collection" in (
            fixed.actual)
        (old,) = [x for x in fixed.evidence["superseded"] if x["result"] == "DIFFER"]
        assert old["collection"] == cols["hhdc"]


def test_dr1_1_setup_is_checked_on_the_outstation(sim_engine, store, session):
    from tests.bench_app.checklist.conftest import add_exports

    engine, sim = sim_engine(days=10)  # the outstation holds 10 days: the set-up is not met
    add_exports(store, session, sim, days=1)
    out = engine.run_step("DR1-1")
    assert out.verdict == "not-run", out.actual
    assert "set-up not met: the outstation holds" in out.actual and "20 days" in out.actual


def test_dr1_1_identical_means_at_the_exports_resolution(sim_engine, store, session):
    """Values in Wh exported as kWh with 3 decimals: the bench's finer value rounded to the
    export's last digit must equal it; a difference of one digit of the export is a DIFFER."""
    from drivers.model import Channel, ProfileRow

    engine, sim = sim_engine(days=22)
    now = sim.meter_now()
    end = now.replace(hour=0, minute=0, second=0, microsecond=0)
    rows = sim.profile_rows(end - timedelta(days=1), end)
    chans = [Channel(c.obis, "Wh") for c in sim.description.channels]
    for source in ("hhdc", "manufacturer"):
        cid = store.new_collection(session, source, meta={"resolution": "1"})
        store.add_profile_block(cid, chans, [ProfileRow(t, [float(v) for v in vals], st)
                                             for t, vals, st in rows])  # fmt: skip
    out = engine.run_step("DR1-1")
    assert out.verdict == "pass", out.actual
    assert out.evidence["resolution_kwh"] == {"hhdc": "1", "manufacturer": "1"}


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
        if "battery fault" in message:
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
    with pytest.raises(UsageError, match="attach the file before judging"):
        auto.record("CC-09", "looked fine", "pass", by="B. Witness")
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(b"%PDF-1.4 certificate")
    out = auto.attach("CC-09", pdf)
    assert out.verdict == "not-run" and "awaiting the judgement" in out.actual  # never automatic
    _resolve(store, session, out.evidence)
    judged = auto.record("CC-09", "certificate C-123 for CoP 5 issue 6, serial matches", "pass",
                         by="B. Witness")  # fmt: skip
    assert judged.evidence["attachment_ids"] == out.evidence["attachment_ids"]

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
    assert out.verdict == "fail" and "less than 20 days" in out.actual  # CoP 5 (limits table)
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


def test_cop11_script_on_a_simulated_asset_meter(store):
    """CoP 11 as Elexon's script: HHDC and AMHHDC, access protocol, data file creation, no DR4,
    asset-meter fields declared; DR3 n/a (quoted) when no internal clock is fitted."""
    from bench_app.checklist import ChecklistEngine, find_template
    from drivers.sim.control import BenchControl
    from drivers.sim.meter import MeterDescription, SimMeter

    from .conftest import PASSWORD, add_exports, declare_sim_equipment, factory_for

    sid = store.create_session("BSCP601-AM", "protocol-approval", cops=["CoP 11"])
    desc = MeterDescription.load("asset-meter-sim")
    declare_sim_equipment(store, sid, desc)
    store.add_participant(sid, "Collector Ltd", role="hhdc", mpid="UKDC")
    sim = SimMeter(desc, seed=7, days=22)
    add_exports(store, sid, sim)
    tpl = find_template("bscp601-protocol-cop11")
    assert not [s for s in tpl.steps if s.id.startswith("DR4")]
    assert "access protocol" in tpl.step("DR2-1").title.lower()
    assert "data file creation" in tpl.step("DR1-1").title.lower()
    engine = ChecklistEngine(store, sid, tpl, factory_for(sim), BenchControl(sim),
                             protocol="dlms", password=PASSWORD, sleep=lambda s: None)  # fmt: skip
    out = engine.run_step("AM-0")
    assert out.verdict == "not-run" and "AMHHDC" in out.actual
    store.add_participant(sid, "Asset Collector Ltd", role="amhhdc", mpid="AMDC")
    outcomes = {o.step_id: o for o in engine.run_all()}
    assert outcomes["AM-0"].verdict == "pass", outcomes["AM-0"].actual
    assert "internal_clock = no" in outcomes["AM-0"].actual
    for step in ("DR3-1", "DR3-2", "DR3-3"):
        assert outcomes[step].verdict == "na", outcomes[step].actual
        assert "internal_clock = no" in outcomes[step].actual
    assert all(o.verdict == "pass" for s, o in outcomes.items() if not s.startswith("DR3")), [
        (s, o.actual) for s, o in outcomes.items() if o.verdict not in ("pass", "na")
    ]


def test_protocol_name_requirement_and_custom_reason(store, session, sim_parts):
    from bench_app.checklist import ChecklistEngine, parse_template

    make_sim, factory_for = sim_parts
    text = """name = "x"\ntitle = "X"\nversion = "1"\napplies_to = ["dlms", "iec21"]
[[steps]]
id = "S1"\ntitle = "t"\nobjective = "o"\nmethod = "m"\nexpected = "e"\nkind = "automatic"
action = "clock_in_utc"\nrequires = ["dlms"]\nna_reason = "only DLMS meters log this"
[steps.params]\nmax_deviation_s = "@clock_accuracy_s"
"""
    template = parse_template(text, "x.toml")
    sim = make_sim()
    iec = ChecklistEngine(store, session, template, factory_for(sim), protocol="iec21")
    out = iec.run_step("S1")
    assert (out.verdict, out.actual) == ("na", "only DLMS meters log this")
    dlms = ChecklistEngine(store, session, template, factory_for(sim), protocol="dlms")
    assert dlms.run_step("S1").verdict == "pass"


def test_cc07_sets_and_uses_six_and_twelve_character_passwords(sim_engine):
    engine, sim = sim_engine("cop-compliance-core")
    out = engine.run_step("CC-07")
    assert out.verdict == "pass", out.actual
    assert "6-character test password set and accepted" in out.actual
    assert "12-character test password set and accepted" in out.actual
    assert "original Level 2 password restored" in out.actual
    assert sim.password_of(2, "") == "HHDC2PASS"  # left as found
    assert "Wb7k" not in out.actual  # lengths only, never a password
    for defect, words in (("password-truncated-at-8", "REFUSED for the association"),
                          ("password-length-unchecked", "was ACCEPTED")):  # fmt: skip
        broken, _ = sim_engine("cop-compliance-core", defect)
        out = broken.run_step("CC-07")
        assert out.verdict == "fail" and words in out.actual, (defect, out.actual)


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
        if "battery fault" in message:
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
    waited = []

    def sleep(seconds):  # the resumed step waits for the first full period after the restore
        waited.append(seconds)
        pc[0] += timedelta(seconds=seconds)

    done = ChecklistEngine(store, session, find_template("bscp601-protocol-cop1-2-3-5-10"),
                           factory_for(sim), None, lambda m: "", protocol="dlms",
                           now=lambda: pc[0], sleep=sleep).run_step("DR4-2")  # fmt: skip
    assert done.verdict == "pass", done.actual
    assert "closed 2026-11-29 SP 16, 07:30–08:00 GMT" in done.actual
    assert "first full period after the restore (2026-11-29 SP 17" in done.actual
    assert 25 * 60 <= sum(waited) <= 26 * 60  # until 08:30 (+ margin), not a period more
    assert len(sim.events()) == faults  # no second stimulus


class _HandsOnly:
    """Bench control without simulated time: the bench must really wait for periods to close."""

    def __init__(self, control):
        self._control = control

    def __getattr__(self, name):
        if name == "advance":
            raise AttributeError(name)
        return getattr(self._control, name)


@pytest.mark.parametrize("step", ["DR4-1b", "DR4-2", "DR4-4", "DR3-3"])
def test_alarm_and_reentry_steps_wait_on_the_real_clock(store, session, sim_parts, step):
    """Real time: the steps wait (sleeps counted on a fake clock the simulator also follows) for
    the stimulus period and the first full period after it to close."""
    from bench_app.checklist import ChecklistEngine, find_template
    from drivers.sim.control import BenchControl

    make_sim, factory_for = sim_parts
    now = [datetime(2026, 11, 24, 3, 17, 40, tzinfo=UTC)]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += timedelta(seconds=seconds)

    sim = make_sim(clock=lambda: now[0])
    engine = ChecklistEngine(
        store, session, find_template("bscp601-protocol-cop1-2-3-5-10"), factory_for(sim),
        _HandsOnly(BenchControl(sim)), protocol="dlms", password="HHDC2PASS",
        now=lambda: now[0], sleep=sleep,
    )  # fmt: skip
    assert not engine.bench_time.simulated
    out = engine.run_step(step)
    assert out.verdict == "pass", out.actual
    if step == "DR3-3":  # waited for the boundary the fast clock crosses, then for it to close
        assert sum(slept) > 60 and "held once, not double counted" in out.actual
    else:  # at least one whole period (the first full one after the restore) waited for
        assert sum(slept) >= 30 * 60 - 1


def test_evidence_of_a_step_without_bench_control_is_marked_by_the_meters_identity(
    store, session, sim_engine
):
    """No bench control (a simulator reached like a real meter): the step's evidence is marked
    simulated because the outstation announces itself, not because of how it was reached."""
    engine, _sim = sim_engine(control=False)
    assert engine.simulated is None
    first = engine.run_step("DR2-2")  # its first connection reads the identity: it announces
    assert first.verdict == "pass", first.actual
    assert engine.simulated is True  # and every later step's evidence says so
    out = engine.run_step("DR2-2")
    assert out.verdict == "pass", out.actual
    ev = out.evidence
    assert all(t["simulated"] == 1 for t in store.traces(session))  # both steps' bytes
    assert all(c["simulated"] == 1 for c in store.collections(session))
    cols = {c["id"]: c for c in store.collections(session)}
    clocks = {c["id"]: c for c in store.clock_observations(session)}
    traces = {t["id"]: t for t in store.traces(session)}
    assert ev.get("collection_ids") and ev.get("trace_ids")
    assert all(cols[i]["simulated"] == 1 for i in ev["collection_ids"])
    assert all(traces[i]["simulated"] == 1 for i in ev["trace_ids"])
    assert all(clocks[i]["simulated"] == 1 for i in ev.get("clock_observation_ids") or [])
    assert store.verify(session).ok
