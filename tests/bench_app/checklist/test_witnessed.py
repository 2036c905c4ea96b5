"""The witnessed BSCP601 script: each step judged on the HHDC's evidence (observed bytes and its
export), with the bench's read as the reference. A real simulated outstation over TCP, the real
observer relay, the simulated HHDC's system with each defect switch, simulated time."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bench_app.checklist import ChecklistEngine, find_template
from bench_app.demo import MPAN, _create_session
from bench_app.simulated_hhdc import ObservedSimHhdc
from bench_app.store import Store
from drivers.meter import ConnectOptions, create_meter
from drivers.sim import start_simulator
from drivers.trace import Trace

pytestmark = pytest.mark.slow
WITNESSED = "bscp601-witnessed-cop1-2-3-5-10"


@pytest.fixture
def bench(tmp_path):
    """(store, session id, engine factory(defects, template)) on a simulated outstation."""
    sim = start_simulator("dlms", "tcp://127.0.0.1:0", days=3, seed=1)
    desc = sim.meter.description
    level2 = next(a for a in desc.associations if a.level == 2)
    store = Store.open(tmp_path / "w.db")
    sid = _create_session(store, desc, "dlms")
    store.set_session_record(sid, "bench", {"simulator": True, "meter": desc.name,
                                            "port": sim.url, "protocol": "dlms"})  # fmt: skip
    base = ConnectOptions(url=sim.url, password=level2.password, client_sap=level2.sap)

    def engine(defects=(), template=WITNESSED):
        def factory(**overrides):
            return create_meter("dlms", replace(base, trace=Trace(), **overrides))

        eng = ChecklistEngine(store, sid, find_template(template), factory, sim.control,
                              protocol="dlms", password=level2.password, by="T")  # fmt: skip
        eng.hhdc = ObservedSimHhdc(store, sid, sim.url, password=level2.password,
                                   client_sap=level2.sap, out_dir=tmp_path / "exports",
                                   defects=tuple(defects), clock=eng.now, mpan=MPAN)  # fmt: skip
        return eng

    yield store, sid, engine
    store.close()
    sim.stop()


def _run(engine, *steps):
    return {s: engine.run_step(s) for s in steps}


def test_clean_hhdc_passes_on_its_own_evidence_with_the_reference_beside_it(bench):
    store, sid, engine = bench
    got = _run(engine(), "DR2-2", "DR2-1", "DR3-2", "DR4-3")
    assert {s: o.verdict for s, o in got.items()} == dict.fromkeys(got, "pass"), got
    ev = got["DR3-2"].evidence
    assert any("SET clock from" in line and "success" in line for line in ev["hhdc"])
    assert any(line.startswith("bench clock read") for line in ev["reference"])
    assert any("export (collection" in line for line in got["DR4-3"].evidence["hhdc"])
    observed = [t for t in store.traces(sid) if t["label"].startswith("observed HHDC")]
    assert {t["label"].split("[")[1].split("]")[0] for t in observed} >= {"DR2-1", "DR3-2"}


@pytest.mark.parametrize(("defect", "steps", "caught"), [
    ("drops-flags", ("DR4-3",), "DR4-3"),
    ("ignores-clock-set", ("DR3-2",), "DR3-2"),
    ("stores-wrong-period", ("DR2-2",), "DR2-2"),
    ("accepts-data-after-refusal", ("DR2-2", "DR2-1"), "DR2-1"),
])  # fmt: skip
def test_each_hhdc_defect_fails_its_step(bench, defect, steps, caught):
    _, _, engine = bench
    got = _run(engine([defect]), *steps)
    assert got[caught].verdict == "fail", got[caught].actual
    assert got[caught].evidence["hhdc"] and got[caught].evidence["reference"]


def test_missing_hhdc_evidence_is_never_a_pass(bench):
    """Nobody drives the HHDC and nobody is at the prompt: the step judges what is stored for it
    (nothing) and names what is missing."""
    _, _, engine = bench
    eng = engine()
    eng.hhdc = None
    out = eng.run_step("DR2-2")
    assert out.verdict == "not-run"
    assert "no observed HHDC ↔ meter trace tagged DR2-2" in out.actual
    assert "no HHDC export imported for DR2-2" in out.actual


def _all_recorded(store, sid, template):
    eng = ChecklistEngine(store, sid, find_template(template))
    for step in eng.template.steps:
        eng.record(step.id, "seen by the witness", "pass", by="A. Tester")
    eng.confirm("tester", "A. Tester")
    eng.confirm("witness", "B. Witness")


@pytest.mark.parametrize(("template", "status"), [
    ("bscp601-protocol-cop1-2-3-5-10", "INCOMPLETE"), (WITNESSED, "PASS")])  # fmt: skip
def test_only_a_witnessed_run_gives_a_protocol_approval_pass(store, template, status):
    """A rehearsal with every step passed and confirmed is never a protocol-approval PASS: the
    report's cover and result say "Meter-side rehearsal — not a protocol approval"."""
    from bench_app.checklist.verdict import REHEARSAL_TITLE, overall_result
    from bench_app.report.render import render_bytes
    from bench_app.report.statement import build_statement
    from tests.bench_app.report.report_fixtures import pdftotext

    sid = store.create_session("RK-1", "protocol-approval")
    _all_recorded(store, sid, template)
    res = overall_result(store, sid)
    assert res.status == status and res.rehearsal == (status == "INCOMPLETE"), res.reasons
    statement = build_statement(store, sid)
    assert statement["overall"]["status"] == status
    pdf = store.path.parent / "r.pdf"
    pdf.write_bytes(render_bytes(statement))
    pages = pdftotext(pdf).split("\f")
    text = " ".join(" ".join(pages).split())
    assert (REHEARSAL_TITLE in " ".join(pages[0].split())) == (status == "INCOMPLETE")
    assert f"Overall result: {status}" in text
    assert ("Objective | Method | Expected" in text) == (status == "PASS")  # HHDC | reference
