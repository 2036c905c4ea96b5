"""Register API: types, combinations and their equivalence, variant claims, certificates,
approvals and applications over a real SQLite store."""

from __future__ import annotations

import pytest

from bench_app.errors import NotFoundError, SessionLockedError, UsageError
from tests.bench_app.equipment.eqhelp import FW


def test_combinations_differing_only_in_hardware_are_equivalent(reg):
    assert [c.key for c in reg.equivalents("PRO-R3E")] == ["PRO-R3E", "PRO-P3E"]
    assert [c.key for c in reg.equivalents("PRO-P3E-35")] == ["PRO-P3E-35"]
    a, b, c = (reg.combination(k) for k in ("PRO-P3E", "PRO-R3E", "PRO-P3E-35"))
    assert a.class_key == b.class_key != c.class_key
    classes = reg.equivalence_classes()
    assert sorted(len(v) for v in classes.values()) == [1, 2]
    # model names compare case- and space-blind; a different model is not equivalent
    reg.add_combination("PRO", "prometer  100", FW, "X9", key="PRO-X9")
    assert "PRO-X9" in [c.key for c in reg.equivalents("PRO-P3E")]
    reg.add_combination("PRO", "Prometer 200", FW, "P3E", key="PRO200")
    assert [c.key for c in reg.equivalents("PRO200")] == ["PRO200"]


def test_type_and_combination_rules(reg):
    assert reg.get_type("pro")["models"] == ["Prometer 100 P3E", "Prometer 100 R3E"]
    assert reg.get_type("PRO")["cops"] == ["5", "10"]
    with pytest.raises(UsageError, match="3 letters"):
        reg.add_type("PROM")
    with pytest.raises(UsageError, match="already in the register"):
        reg.add_type("PRO")
    with pytest.raises(UsageError, match="CoPs.*not 1–11"):
        reg.add_type("ABC", cops=["CoP12"])
    reg.add_type("PRO", "Secure Meters Ltd", replace=True)
    assert reg.get_type("PRO")["manufacturer"] == "Secure Meters Ltd"
    with pytest.raises(NotFoundError, match="XYZ"):
        reg.add_combination("XYZ", "M", FW)
    with pytest.raises(UsageError, match="already registered as 'PRO-P3E'"):
        reg.add_combination("PRO", "Prometer 100", FW, "P3E", key="OTHER")
    with pytest.raises(UsageError, match="unknown firmware part"):
        reg.add_combination("PRO", "M", {"bootloader": "1"})
    key = reg.combination(reg.add_combination("PRO", "M", {"metrology": "9"})).key
    assert key == "PRO/M/9///"


def test_variant_claims_need_shared_firmware_and_update_the_equipment_record(store, reg):
    sid = store.create_session("APP-1", "protocol-approval", cops=["5"])
    store.set_equipment(sid, outstation_type="PRO", model="Prometer 100", serials=["S1"],
                        firmware=FW, hardware_version="P3E")  # fmt: skip
    reg.add_combination("PRO", "Prometer 100 rack", FW, "R4", key="PRO-RACK")
    with pytest.raises(UsageError, match="does not share firmware"):
        reg.record_variants(sid, "PRO-P3E", ["PRO-P3E-35"])
    assert reg.record_variants(sid, "PRO-P3E", ["PRO-R3E", "PRO-RACK"])
    claims = reg.session_variants(sid)
    assert [(c["tested"], c["covered"]) for c in claims] == [
        ("PRO-P3E", "PRO-R3E"), ("PRO-P3E", "PRO-RACK"),
    ]  # fmt: skip
    eq = store.equipment(sid)
    assert "tested PRO-P3E covers PRO-RACK (firmware is shared)" in eq["variants_covered"]
    assert eq["serials"] == ["S1"] and eq["firmware"] == FW
    assert store.verify(sid).ok
    assert reg.variant_claims() == {"PRO-P3E": {"PRO-R3E", "PRO-RACK"}}
    store.lock_session(sid, "B. Witness")
    with pytest.raises(SessionLockedError):
        reg.record_variants(sid, "PRO-R3E", ["PRO-P3E"])


def test_certificates_removed_with_date_and_reason(reg):
    cid = reg.add_certificate("PRO", "CoP5", "6", "Lab A", "2024-03-01", "CERT-1")
    with pytest.raises(UsageError, match="already in the register"):
        reg.add_certificate("PRO", "5", "6")
    with pytest.raises(UsageError, match="reason"):
        reg.remove_certificate(cid, "2025-01-01", " ")
    with pytest.raises(UsageError, match="YYYY-MM-DD"):
        reg.remove_certificate(cid, "1/1/2025", "x")
    reg.remove_certificate(cid, "2025-01-01", "CoP issue 7 now required")
    (cert,) = reg.certificates("PRO")
    assert (cert["status"], cert["removed_date"], cert["removed_reason"]) == (
        "removed", "2025-01-01", "CoP issue 7 now required",
    )  # fmt: skip
    with pytest.raises(NotFoundError):
        reg.remove_certificate(999, "2025-01-01", "x")
    with pytest.raises(UsageError, match="of type PRO, not ABC"):
        reg.add_type("ABC")
        reg.add_certificate("ABC", "5", combination="PRO-P3E")


def test_approvals_and_applications_link_sessions(store, reg):
    aid = reg.add_approval("PRO-R3E", "Demo DC", "ukdc", "Suite", "4.2", 2025)
    with pytest.raises(UsageError, match="MPID"):
        reg.add_approval("PRO-R3E", "Demo DC", "UK", "Suite", "4.3", 2025)
    with pytest.raises(UsageError, match="year 1066"):
        reg.add_approval("PRO-R3E", "Demo DC", "UKDC", "Suite", "4.3", 1066)
    reg.remove_approval(aid, "2026-02-01", "software withdrawn")
    (ap,) = reg.approvals()
    assert (
        ap["hhdc_mpid"] == "UKDC" and ap["status"] == "removed" and ap["outstation_type"] == "PRO"
    )
    s1 = store.create_session("BSCP601-9", "protocol-approval")
    s2 = store.create_session("OTHER", "cop-compliance")
    reg.add_application("BSCP601-9", "Secure", "protocol approval", combination="PRO-R3E",
                        cops="CoP5;CoP10", sessions=[s2])  # fmt: skip
    app = reg.application("BSCP601-9")
    assert app["asks"] == "protocol-approval" and app["outstation_type"] == "PRO"
    assert app["sessions"] == [s1, s2] and app["linked_sessions"] == [s2]
    assert reg.application_for_session(s1)["reference"] == "BSCP601-9"
    assert reg.declared_combination(s2).key == "PRO-R3E"
    with pytest.raises(UsageError, match="'asks'"):
        reg.add_application("X", asks="everything")
    with pytest.raises(NotFoundError, match="session 99"):
        reg.link_session("BSCP601-9", 99)
