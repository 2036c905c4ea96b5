"""Issue 18 acceptance: CoP issues, conditions, dispensations as deviations (never a pass),
multi-device combinations from CSV with exact / assessed / proposed coverage now and after an
upgrade plan, template scope, published lists. Real SQLite, real PDFs (pdftotext)."""

from __future__ import annotations

import csv

import pytest

from bench_app.checklist import ChecklistEngine, find_template, parse_template
from bench_app.equipment import Register, check_session, import_csv
from bench_app.equipment.conditions import parse_condition
from bench_app.equipment.deviations import session_deviations
from bench_app.equipment.shares import coverage_shares
from bench_app.errors import DataImportError, SessionLockedError, TemplateError, UsageError
from bench_app.paths import resource_path
from bench_app.report import collect_report_data, render_report
from bench_app.report.published_lists import publish
from tests.bench_app.report.report_fixtures import pdftotext

SAMPLES = resource_path("samples") / "equipment"


@pytest.fixture
def pro(store):
    """PRO in the register with a CoP 5 issue 5 certificate and an application/session that
    declares CoP 5 issue 6 (the Prometer papers cite issue 6)."""
    reg = Register(store)
    reg.add_type("PRO", "Secure Meters", ["Prometer 100 P3E", "Prometer 100 R3E"], ["5"])
    reg.add_combination("PRO", "Prometer 100", {"metrology": "1.02"}, "P3E", key="PRO-P3E")
    reg.add_certificate("PRO", "5", "5", "Lab A", "2021-01-01")
    reg.add_application("BSCP601-18", "Secure", "both", combination="PRO-P3E", cops="5")
    sid = store.create_session("BSCP601-18", "protocol-approval", cops=["CoP 5 issue 6"])
    store.set_equipment(sid, outstation_type="PRO", model="Prometer 100", serials=["S1"],
                        firmware={"metrology": "1.02"}, hardware_version="P3E")  # fmt: skip
    return reg, sid


def test_certificate_of_another_issue_does_not_satisfy_and_the_report_says_so(store, pro, tmp_path):
    reg, sid = pro
    codes = {f.code: f for f in check_session(store, sid)}
    assert "certificate-wrong-issue" in codes and "certificate-missing" not in codes
    assert "CoP 5 issue 6" in codes["certificate-wrong-issue"].message
    assert "issue 5 only" in codes["certificate-wrong-issue"].message
    data = collect_report_data(store, sid)
    assert [d["kind"] for d in data.deviations] == ["cop-issue"]
    text = " ".join(pdftotext(render_report(data, tmp_path / "r.pdf")).split())
    assert "Deviations" in text and "issue 5 only" in text
    # the right issue satisfies it
    reg.add_certificate("PRO", "5", "6", "Lab A", "2024-01-01")
    assert not [f for f in check_session(store, sid) if f.code.startswith("certificate")]


@pytest.mark.parametrize(
    ("version", "status"),
    [("8.1.2.19602", "met"), ("v8.1.10", "met"), ("8.1.2", "met"), ("8.1.1.99999", "not met"),
     ("8.0", "not met"), ("", "cannot tell"), ("latest", "cannot tell")],
)  # fmt: skip
def test_minimum_manufacturer_software_condition(store, pro, version, status):
    reg, sid = pro
    cert = reg.add_certificate("PRO", "5", "6", "Lab A", "2024-01-01")
    reg.add_condition("certificate", cert, "manufacturer software ≥ 8.1.2")
    if version:
        store.set_software(sid, manufacturer_software="M-Cubed", manufacturer_version=version)
    found = [f for f in check_session(store, sid) if f.component == "condition"]
    assert [f.read for f in found] == [status]
    assert found[0].severity == ("warning" if status == "not met" else "info")
    kinds = [d.kind for d in session_deviations(store, sid)]
    assert kinds == ([] if status == "met" else ["condition"])


def test_condition_forms_and_types_condition(store, pro):
    assert parse_condition("manufacturer software from v8.1.2.19602 onwards").op == ">="
    assert parse_condition("only types P3E and R3E").values == ("P3E", "R3E")
    assert parse_condition("witnessed by Elexon").kind == "text"
    with pytest.raises(ValueError, match="no number"):
        parse_condition("hhdc software >= new")
    reg, sid = pro
    appr = reg.add_approval("PRO-P3E", "UK Data Collection", "UKDC", "DC-Soft", "4.2",
                            scope=["sva", "cdca"])  # fmt: skip
    assert reg.approvals()[0]["scope"] == ["sva-hhdc", "cva-cdca"]
    reg.add_condition("approval", appr, "only types R3E")
    store.set_software(sid, hhdc_mpid="UKDC", hhdc_version="4.2")
    found = [f for f in check_session(store, sid) if f.component == "condition"]
    assert [(f.code, f.read) for f in found] == [("condition-not-met", "not met")]
    reg.add_approval("PRO-P3E", "UK Data Collection", "UKDC", "AM-Soft", "1.0", scope="amhhdc")
    assert "approval-scope" not in {f.code for f in check_session(store, sid)}
    cop11 = store.create_session("BSCP601-18", "protocol-approval", cops=["CoP 11"])
    store.set_software(cop11, hhdc_mpid="UKDC")
    assert "approval-scope" not in {f.code for f in check_session(store, cop11)}
    reg.remove_approval(reg.approvals()[-1]["id"], "2026-01-01", "AMHHDC role withdrawn")
    found = {f.code: f for f in check_session(store, cop11)}
    assert "needs asset-hhdc" in found["approval-scope"].message
    with pytest.raises(UsageError, match="scope 'gas'"):
        reg.add_approval("PRO-P3E", "X", "ABCD", scope="gas")


def _failing_run(store, sid):
    engine = ChecklistEngine(store, sid, find_template("bscp601-protocol-cop1-2-3-5-10"))
    engine.record("DR4-2", "no battery alarm raised", "fail", by="A. Tester")
    engine.record("DR1-1", "identical", "pass", by="A. Tester")
    return engine


def test_dispensation_covers_a_failure_as_a_deviation_never_a_pass(store, pro, tmp_path):
    reg, sid = pro
    _failing_run(store, sid)
    reg.add_dispensation("MD-2026-017", session_id=sid, step_id="DR4-2", scope="battery alarm",
                         expiry="2099-12-31", text="battery monitor not fitted")  # fmt: skip
    devs = session_deviations(store, sid)
    covered = [d for d in devs if d.kind == "dispensation"]
    assert [d.reference for d in covered] == ["MD-2026-017"]
    assert "remains FAIL" in covered[0].text
    data = collect_report_data(store, sid)
    assert data.overall == "FAIL"
    assert {s.step_id: s.verdict for s in data.steps}["DR4-2"] == "fail"
    text = " ".join(pdftotext(render_report(data, tmp_path / "r.pdf")).split())
    assert "MD-2026-017" in text and "Overall result stays FAIL" in text
    # expired or withdrawn: listed, but as not covering
    reg.add_dispensation("MD-OLD", session_id=sid, step_id="DR4-2", expiry="2020-01-01")
    kinds = {d.reference: d.kind for d in session_deviations(store, sid)}
    assert kinds["MD-OLD"] == "dispensation-expired"
    did = reg.dispensations(sid)[0]["id"]
    reg.remove_dispensation(did, "2026-11-01", "superseded")
    assert not [d for d in session_deviations(store, sid) if d.kind == "dispensation"]


def test_cop_departure_dispensation_and_bad_dispensations(store, pro):
    reg, sid = pro
    reg.add_dispensation("MD-CoP5-1", cop="CoP5", text="no 90-day store on channel 4")
    assert [d.kind for d in session_deviations(store, sid)].count("cop-departure") == 1
    with pytest.raises(UsageError, match="say what it covers"):
        reg.add_dispensation("MD-X")
    with pytest.raises(UsageError, match="needs the session"):
        reg.add_dispensation("MD-X", step_id="DR1-1")


def test_a_locked_sessions_deviations_do_not_change(store, pro):
    reg, sid = pro
    _failing_run(store, sid)
    did = reg.add_dispensation("MD-1", session_id=sid, step_id="DR4-2")
    store.lock_session(sid, "B. Witness", "signed")
    before = session_deviations(store, sid)
    with pytest.raises(SessionLockedError):
        reg.add_dispensation("MD-2", session_id=sid, step_id="DR4-2")
    with pytest.raises(SessionLockedError):
        reg.remove_dispensation(did, "2026-11-01", "late")
    reg.add_dispensation("MD-COP", cop="5")  # session-less, after the lock: not this session's
    assert session_deviations(store, sid) == before
    assert [d.reference for d in before] == ["MD-1", "CoP 5"]


def test_amendment_links_to_the_approval_it_amends(store, pro):
    reg, _ = pro
    appr = reg.add_approval("PRO-P3E", "UK Data Collection", "UKDC", "DC-Soft", "4.2")
    reg.add_application("BSCP601-19", "UKDC", "protocol-approval", combination="PRO-P3E",
                        amends=appr, amendment="hhdc-software")  # fmt: skip
    app = reg.application("BSCP601-19")
    assert (app["amends"], app["amendment"]) == (appr, "hhdc-software")
    with pytest.raises(UsageError, match="amendment"):
        reg.add_application("BSCP601-20", amends=appr)
    with pytest.raises(Exception, match="approval 999"):
        reg.add_application("BSCP601-21", amends=999, amendment="firmware")


DMC_KINDS = ("types", "combos", "devices", "equivalences", "base", "upgrades", "dcc", "tirs")


def _load_dmc_samples(store):
    for kind in DMC_KINDS:
        import_csv(store, kind, SAMPLES / f"dmc_{kind}.csv")
    return Register(store)


def test_three_device_combination_from_csv_and_shares_now_and_after_upgrade(store):
    reg = _load_dmc_samples(store)
    devs = reg.devices("DMC-DF-A")
    assert [(d["role"], d["hardware_revision"]) for d in devs] == [
        ("CH", "A"), ("ESME", "A"), ("GSME", "B"), ("PPMID", "A")]  # fmt: skip
    ch = [d for d in devs if d["role"] == "CH"][0]
    assert (ch["smso"], ch["wan_provider"]) == ("Example SMSO", "Example WAN North")
    assert reg.solution_release("DMC-DF-A") == "8.0.12g"
    now, after = coverage_shares(reg, "2026-09", ["DMC-DF-A"], plan="2027-Q1")
    assert now.total == after.total == 1000
    # the seed's two figures: the exact DMC is tiny, with assessed equivalents large
    assert now.counts == {"exact": 5, "assessed-equivalent": 535, "pending-assessment": 265,
                          "uncovered": 195}  # fmt: skip
    assert now.share("exact") == pytest.approx(0.005)
    assert now.covered_share == pytest.approx(0.54)  # pending assessment is NOT covered
    pending = {r["combination"]: r["via"] for r in now.rows
               if r["category"] == "pending-assessment"}  # fmt: skip
    assert "being assessed, pending any necessary migration testing" in pending["DMC-SF-E"]
    assert "manufacturer's assurance only" in pending["DMC-DF-A-HW2"]
    # upgrades move firmware, never hardware: the 150 upgraded HW0 units are a variant of the
    # tested DMC (not assessed), so the exact share does not grow
    assert after.counts["exact"] == 5 and after.counts["uncovered"] == 45
    assert after.counts["pending-assessment"] == 265 + 150
    assert "DMC-DF-A firmware on DMC-DF-B hardware" in {r["combination"] for r in after.rows}
    assert "2026-09-30" in now.label and "2027-03-31" in after.label
    # the assurance counts only once assessed on evidence of its own
    reg.assess_equivalent("DMC-DF-A-HW2", "DMC-DF-A", "DCC device assurance", "2026-11-01",
                          "DCC assessment DA-43")  # fmt: skip
    (again,) = coverage_shares(reg, "2026-09", ["DMC-DF-A"])
    assert again.counts["assessed-equivalent"] == 685 and again.counts["pending-assessment"] == 115


def test_equivalence_follows_the_dccs_order(store):
    reg = _load_dmc_samples(store)
    with pytest.raises(UsageError, match="more than hardware"):
        reg.record_assurance("DMC-DF-B", "DMC-DF-A")
    with pytest.raises(UsageError, match="evidence"):
        reg.assess_equivalent("DMC-DF-A-HW2", "DMC-DF-A", "B. Assessor", "2026-11-01", "")
    with pytest.raises(UsageError, match="not an assessment"):
        reg.assess_equivalent("DMC-DF-A-HW2", "DMC-DF-A", "B. Assessor", "2026-11-01",
                              "manufacturer's statement MS-18", "manufacturer")
    with pytest.raises(UsageError, match="only once assessed"):
        reg.advance_equivalence("DMC-DF-A-HW2", "DMC-DF-A", "proposed", "2026-11-02")
    reg.add_combination("XS1", "XS1 dual fuel", hardware_version="HW9", key="DMC-DF-A-HW9",
                        solution_release="8.0.12g")  # fmt: skip
    with pytest.raises(UsageError, match="assurance"):  # no assurance recorded first
        reg.assess_equivalent("DMC-DF-A-HW9", "DMC-DF-A", "B. Assessor", "2026-11-01", "DA-9")
    hw3 = [e for e in reg.equivalences() if e["combination"] == "DMC-DF-A-HW3"][0]
    assert (hw3["status"], hw3["evidence_kind"]) == ("proposed", "independent")
    reg.advance_equivalence("DMC-DF-A-HW3", "DMC-DF-A", "eligible", "2026-12-01")
    with pytest.raises(UsageError, match="dated 2026-09-30"):
        reg.add_base_count("2026-09", "2026-10-01", "DMC-DF-A", 1)


def test_bad_rows_of_new_kinds_are_all_reported_and_nothing_stored(store, tmp_path):
    reg = _load_dmc_samples(store)
    bad = tmp_path / "base.csv"
    bad.write_text("snapshot,snapshot_date,combination,active,dormant\n"
                   "2027-01,2027-01-31,DMC-DF-A,10,0\n"
                   "2027-01,2027-01-31,NOPE,1,0\n"
                   "2027-01,2027-13-01,DMC-DF-B,1,0\n"
                   "2027-01,2027-01-31,DMC-SF-E,-3,0\n", encoding="utf-8")  # fmt: skip
    with pytest.raises(DataImportError) as err:
        import_csv(store, "base", bad)
    msg = str(err.value)
    assert "3 bad row(s)" in msg and ":3:" in msg and ":4:" in msg and ":5:" in msg
    assert "2027-01" not in [s["name"] for s in reg.snapshots()]


def test_template_scope_refusal_override_and_cop6_template(store, pro):
    _, sid = pro
    store_session = store.get_session(sid)
    t = find_template("bscp601-protocol-cop1-2-3-5-10")
    assert t.mismatches(store_session) == []
    # the protocol script is issue-neutral: a session of another CoP 5 issue is served (its
    # issue chooses the figures of the limits table); a CoP the script does not name is not
    other = store.create_session("BSCP601-18", "protocol-approval", cops=["CoP 5 issue 5"])
    ChecklistEngine(store, other, t).record("DR1-1", "x", "pass")
    cop6 = store.create_session("BSCP601-19", "protocol-approval", cops=["CoP 6"])
    with pytest.raises(UsageError, match="does not serve CoP 6"):
        ChecklistEngine(store, cop6, t).record("DR1-1", "x", "pass")
    Register(store).record_template_override(cop6, t.name, "CoP 6 rehearsal", by="Lead")
    ChecklistEngine(store, cop6, t).record("DR1-1", "x", "pass")
    assert [d.kind for d in session_deviations(store, cop6)].count("template-override") == 1
    cop6 = find_template("cop6-compliance")
    assert cop6.cops == ("CoP 6",) and cop6.session_kinds == ("cop-compliance",)
    assert cop6.mismatches(store_session)  # a protocol-approval CoP 5 session is not served
    bad = 'name="x"\ntitle="X"\nversion="1"\napplies_to=["dlms"]\ncops=["CoP 12"]\n'
    with pytest.raises(TemplateError, match=r"<template>:5: field 'cops'"):
        parse_template(bad + '[[steps]]\nid="S"\ntitle="t"\nobjective="o"\nmethod="m"\n'
                       'expected="e"\nkind="manual"\n')  # fmt: skip


def test_published_lists_csv_and_pdf_carry_version_and_date(store, pro, tmp_path):
    reg, _ = pro
    cert = reg.add_certificate("PRO", "5", "6", "Lab A", "2024-01-01", scope="sva")
    reg.add_condition("certificate", cert, "manufacturer software >= 8.1.2.19602")
    reg.add_certificate("PRO", "10", "2", "Lab B", "2024-01-01")
    reg.remove_certificate(reg.certificates()[-1]["id"], "2025-01-01", "withdrawn by lab")
    path, n = publish(store, "approvals", "75.0", "2026-11-29", tmp_path / "list.csv")
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert n == len(rows) == 2  # issue 5 and issue 6; the removed CoP 10 one is left out
    assert {r["list_version"] for r in rows} == {"75.0"}
    assert {r["list_date"] for r in rows} == {"2026-11-29"}
    assert "manufacturer software >= 8.1.2.19602" in {r["conditions"] for r in rows}
    pdf, _ = publish(store, "types", "12.0", "2026-11-29", tmp_path / "types.pdf")
    text = pdftotext(pdf)
    assert "Valid Outstation Types" in text and "version 12.0" in text and "PRO" in text
    with pytest.raises(UsageError, match=".csv or .pdf"):
        publish(store, "types", "1", "2026-11-29", tmp_path / "x.txt")


def test_cop_with_issue_is_read_where_issues_belong(store):
    reg = Register(store)
    reg.add_type("PRO")
    reg.add_certificate("PRO", "CoP 5 issue 6")
    assert (reg.certificates()[0]["cop"], reg.certificates()[0]["cop_issue"]) == ("5", "6")
    with pytest.raises(UsageError, match="contradicts issue 5"):
        reg.add_certificate("PRO", "5/6", "5")
    with pytest.raises(UsageError, match="number only here"):
        reg.add_type("ABC", cops=["CoP 5 issue 6"])


def test_planner_keeps_dmcs_of_other_releases_apart_and_splits_assessed(store):
    from bench_app.equipment import analyse, parse_base

    reg = _load_dmc_samples(store)
    assert [c.key for c in reg.equivalents("DMC-DF-A")] == [
        "DMC-DF-A", "DMC-DF-A-HW2", "DMC-DF-A-HW3"]  # fmt: skip  # not DMC-DF-B (7.9.3)
    text = "combination,count\nDMC-DF-A,5\nDMC-DF-A-HW2,300\nDMC-DF-A-HW3,400\nDMC-DF-B,195\n"
    res = analyse(parse_base(text, register=reg), ["DMC-DF-A"], register=reg)
    # the planner groups by firmware; it keeps the unassessed variants apart
    assert (res.covered, res.exact_tested, res.assessed, res.unassessed) == (705, 5, 400, 300)


def test_removal_of_types_combinations_and_applications(store, pro):
    reg, sid = pro
    with pytest.raises(UsageError, match=r"still used by 1 combination\(s\), 1 certificate"):
        reg.remove_type("PRO")
    with pytest.raises(UsageError, match=r"1 application\(s\)"):
        reg.remove_combination("PRO-P3E")
    reg.remove_application("BSCP601-18")
    assert reg.application_for_session(sid) is None
    assert store.get_session(sid)["reference"] == "BSCP601-18"  # the session keeps its evidence
    reg.add_device("PRO-P3E", "outstation", "Prometer 100", "P3E", "A", "1.02")
    reg.remove_combination("PRO-P3E")
    assert reg.combinations() == [] and reg.devices() == []
    reg.remove_certificate(reg.certificates()[0]["id"], "2026-01-01", "superseded")
    with pytest.raises(UsageError, match="certificate"):  # removed, but still in the register
        reg.remove_type("PRO")
