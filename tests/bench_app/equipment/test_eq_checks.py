"""Checks against the meter: firmware that differs from the application's combination is a
warning in the check, in the EQ-1 checklist result and in the report; certificates missing or
removed for the session's CoPs are warnings; equivalent combinations count."""

from __future__ import annotations

import shutil

import pytest

from bench_app.checklist import ChecklistEngine, find_template
from bench_app.equipment import Register, check_session, meter_identity
from bench_app.errors import UsageError
from bench_app.report import collect_report_data, render_report
from drivers.sim.meter import MeterDescription
from tests.bench_app.checklist.conftest import PASSWORD, factory_for, make_sim
from tests.bench_app.report.report_fixtures import pdftotext

SIM = MeterDescription.load("prometer100")  # serial PRO-SIM-000123, type PRO, firmware MET 2.14…


@pytest.fixture
def declared(store):
    """Register with the simulated Prometer's firmware in two hardware variants (the rack variant
    assessed equivalent to the wall one), an application declaring the rack variant, and a
    session of that application (CoPs 5 and 10)."""
    reg = Register(store)
    reg.add_type("PRO", "Secure Meters", ["Prometer 100 P3E", "Prometer 100 R3E"], ["5", "10"])
    reg.add_combination("PRO", "Prometer 100", dict(SIM.firmware), "P3E", key="SIM-P3E")
    reg.add_combination("PRO", "Prometer 100", dict(SIM.firmware), "R3E", key="SIM-R3E")
    reg.add_application("BSCP601-77", "Secure", "both", combination="SIM-R3E", cops="5;10")
    sid = store.create_session("BSCP601-77", "protocol-approval", cops=["CoP5", "CoP10"])
    reg.add_certificate("PRO", "5", "6", "Lab A", "2024-03-01", combination="SIM-P3E")
    reg.add_certificate("PRO", "10", "2", "Lab B", "2024-04-01")
    reg.record_assurance("SIM-R3E", "SIM-P3E", "manufacturer's statement MS-1")
    reg.assess_equivalent("SIM-R3E", "SIM-P3E", "A. Assessor", "2026-11-01",
                          "lab comparison LC-9 of both variants")  # fmt: skip
    return reg, sid


def _identity(**firmware) -> dict:
    return {
        "serial": SIM.serial,
        "outstation_type": "PRO",
        "firmware": {**SIM.firmware, **firmware},
    }


def _codes(findings) -> list[tuple[str, str]]:
    return [(f.code, f.component) for f in findings if f.severity == "warning"]


def test_a_variant_is_covered_only_once_assessed(store, declared):
    reg, sid = declared
    # the certificate names the P3E variant; the application declares R3E: same firmware, other
    # hardware — not covered once the assessed equivalence is withdrawn
    (eq,) = reg.equivalences()
    reg.remove_equivalence(eq["id"])
    got = check_session(store, sid, identity=_identity())
    assert _codes(got) == [("variant-not-assessed", "hardware")]
    assert got[-1].is_mismatch and "variant not assessed" in got[-1].message
    reg.record_assurance("SIM-R3E", "SIM-P3E", "manufacturer's statement MS-1")
    assert _codes(check_session(store, sid, identity=_identity())) == [
        ("variant-not-assessed", "hardware")]  # an assurance alone does not cover
    with pytest.raises(UsageError, match="not an assessment"):
        reg.assess_equivalent("SIM-R3E", "SIM-P3E", "A. Assessor", "2026-11-01",
                              "manufacturer's statement MS-1", "manufacturer")
    reg.assess_equivalent("SIM-R3E", "SIM-P3E", "A. Assessor", "2026-11-01",
                          "lab comparison LC-9 of both variants")  # fmt: skip
    got = check_session(store, sid, identity=_identity())
    assert _codes(got) == []
    assert [f.code for f in got if f.code == "variant-covered"] == ["variant-covered"]


def test_firmware_differs_from_the_application_combination(store, declared):
    _, sid = declared
    cid = store.new_collection(
        sid, "bench", "dlms", meta={"identity": _identity(metrology="MET 2.15")}
    )
    assert store.collection(cid)["meta"]["identity"]["firmware"]["metrology"] == "MET 2.15"
    assert meter_identity(store, sid)["firmware"]["metrology"] == "MET 2.15"
    findings = check_session(store, sid)
    (f,) = [f for f in findings if f.severity == "warning"]
    assert (f.code, f.source, f.component, f.declared, f.read) == (
        "firmware-mismatch", "application", "metrology", "MET 2.14", "MET 2.15",
    )  # fmt: skip
    assert "application BSCP601-77 (SIM-R3E) declares MET 2.14" in f.message and f.is_mismatch


def test_removed_and_missing_certificates_and_non_equivalent_combinations(store, declared):
    reg, sid = declared
    cert10 = reg.certificates("PRO")[1]
    assert cert10["cop"] == "10"
    reg.remove_certificate(cert10["id"], "2025-06-30", "CoP 10 issue 3 required")
    got = check_session(store, sid, identity=_identity())
    assert _codes(got) == [("certificate-removed", "CoP 10")]
    assert "removed on 2025-06-30: CoP 10 issue 3 required" in got[-1].message
    assert not got[-1].is_mismatch
    # a certificate for a different firmware does not cover this combination
    reg.add_combination("PRO", "Prometer 100", {**SIM.firmware, "application": "APP 6"}, key="NEW")
    reg.add_application("BSCP601-78", asks="compliance", combination="NEW")
    sid2 = store.create_session("BSCP601-78", "cop-compliance", cops=["5"])
    assert _codes(check_session(store, sid2, identity=_identity(application="APP 6"))) == [
        ("certificate-missing", "CoP 5")
    ]
    # nothing declared at all
    sid3 = store.create_session("UNKNOWN", "cop-compliance")
    assert _codes(check_session(store, sid3, identity=_identity())) == [("no-declaration", "")]


def test_session_equipment_contradicting_the_application(store, declared):
    _, sid = declared
    store.set_equipment(sid, outstation_type="PRO", serials=["OTHER-1"],
                        firmware={**SIM.firmware, "communications": "COM 9"})  # fmt: skip
    codes = _codes(check_session(store, sid, identity=_identity()))
    assert codes == [
        ("firmware-mismatch", "communications"),  # meter vs the session's equipment record
        ("serial-mismatch", "serial"),
        ("declaration-mismatch", "communications"),  # equipment record vs the application
    ]


def _engine(store, sid, sim):
    return ChecklistEngine(store, sid, find_template("bscp601-protocol-cop1-2-3-5-10"),
                           factory_for(sim), protocol="dlms", password=PASSWORD)  # fmt: skip


def test_eq1_step_fails_with_a_warning_when_firmware_differs_and_the_report_shows_it(
    store, declared, tmp_path
):
    reg, sid = declared
    sim = make_sim(days=1)
    ok = _engine(store, sid, sim).run_step("EQ-1")
    assert ok.verdict == "pass" and "matches the declaration" in ok.actual
    assert ok.evidence["identity"]["serial"] == SIM.serial and ok.evidence["trace_ids"]
    # the application now declares a different metrology firmware than the meter reports
    reg.add_combination("PRO", "Prometer 100", {**SIM.firmware, "metrology": "MET 2.10"}, "R3E",
                        key="SIM-R3E", replace=True)  # fmt: skip
    bad = _engine(store, sid, sim).run_step("EQ-1")
    assert bad.verdict == "fail"
    assert "WARNING metrology firmware read from the meter is MET 2.14" in bad.actual
    assert bad.evidence["findings"][0]["code"] == "firmware-mismatch"
    data = collect_report_data(store, sid)
    assert data.meter_identity["serial"] == SIM.serial  # taken from the EQ-1 evidence
    # the CoP 5 certificate names SIM-P3E, no longer equivalent to the declared SIM-R3E
    assert [f["code"] for f in data.equipment_findings] == [
        "firmware-mismatch",
        "certificate-missing",
    ]
    assert "also: no CoP 5 compliance certificate for PRO" in bad.actual
    (row,) = [s for s in data.steps if s.step_id == "EQ-1"]
    assert row.verdict == "fail" and "WARNING" in row.actual
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not installed")
    pdf = render_report(data, tmp_path / "r.pdf")
    text = " ".join(pdftotext(pdf).split())
    assert "Warning: equipment register checks" in text
    assert "application BSCP601-77 (SIM-R3E) declares MET 2.10" in text


def test_eq1_is_not_run_when_nothing_is_declared(store):
    sid = store.create_session("NOTHING-1", "protocol-approval")
    out = _engine(store, sid, make_sim(days=1)).run_step("EQ-1")
    assert out.verdict == "not-run" and "nothing declared to compare with" in out.actual
