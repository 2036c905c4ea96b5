"""Approval records as the BSC and the DCC run them: a certificate covers exactly its
combination (a hardware variant only once assessed, or through a granted variant amendment), the
DCC's order assurance → assessed → proposed → eligible, the signature's three dimensions and
major firmware iterations, the IHD/PPMID rule, the two regimes kept apart, BSCP32 grants by
reach, the PPCL/EPCL and TIRs, and the migration of records written before."""

from __future__ import annotations

import sqlite3

import pytest
import sqlite_utils

from bench_app.checklist import ChecklistEngine, find_template
from bench_app.equipment import Register, check_session, import_text, session_deviations
from bench_app.errors import DataImportError, UsageError
from bench_app.report.published_lists import publish
from bench_app.store import Store
from bench_app.store.migrations import migrate
from drivers.sim.meter import MeterDescription
from tests.bench_app.checklist.conftest import PASSWORD, factory_for, make_sim

SIM = MeterDescription.load("prometer100")  # PRO-SIM-000123, type PRO, firmware MET 2.14…


@pytest.fixture
def p3e(store):
    """A CoP 5 certificate limited to combination P3E (the simulator's firmware), and a session
    whose equipment is the same firmware on hardware X9Z."""
    reg = Register(store)
    reg.add_type("PRO", "Secure Meters", ["Prometer 100 P3E"], ["5"])
    reg.add_combination("PRO", "Prometer 100", dict(SIM.firmware), "P3E", key="P3E")
    reg.add_certificate("PRO", "5", "6", "Lab A", "2024-03-01", "CERT-5", combination="P3E")
    sid = store.create_session("BSCP601-90", "protocol-approval", cops=["CoP 5 issue 6"])
    store.set_equipment(sid, outstation_type="PRO", model="Prometer 100", serials=[SIM.serial],
                        firmware=dict(SIM.firmware), hardware_version="X9Z")  # fmt: skip
    return reg, sid


def _eq1(store, sid):
    engine = ChecklistEngine(store, sid, find_template("bscp601-protocol-cop1-2-3-5-10"),
                             factory_for(make_sim(days=1)), protocol="dlms",
                             password=PASSWORD)  # fmt: skip
    return engine.run_step("EQ-1")


def test_a_p3e_certificate_does_not_cover_an_unassessed_x9z_variant(store, p3e):
    reg, sid = p3e
    out = _eq1(store, sid)
    assert out.verdict != "pass"
    assert "variant not assessed" in out.actual and "P3E" in out.actual
    codes = [f["code"] for f in out.evidence["findings"]]
    assert "variant-not-assessed" in codes and "certificate-missing" not in codes
    # registered, with only the manufacturer's assurance: still not covered
    reg.add_combination("PRO", "Prometer 100", dict(SIM.firmware), "X9Z", key="X9Z")
    reg.record_assurance("X9Z", "P3E", "manufacturer's statement MS-9")
    assert "variant-not-assessed" in [f.code for f in check_session(store, sid)]
    # assessed on evidence of its own: covered, and the check says by what
    reg.assess_equivalent("X9Z", "P3E", "Elexon technical assurance", "2026-11-20",
                          "comparison of both variants' test results TR-12")  # fmt: skip
    got = check_session(store, sid)
    assert [f.code for f in got if f.severity == "warning"] == []
    (why,) = [f for f in got if f.code == "variant-covered"]
    assert "Elexon technical assurance" in why.message
    assert _eq1(store, sid).verdict == "pass"


def test_a_granted_variant_amendment_covers_the_variant(store, p3e):
    reg, sid = p3e
    reg.add_combination("PRO", "Prometer 100", dict(SIM.firmware), "X9Z", key="X9Z")
    appr = reg.add_approval("P3E", "Demo Data Collection", "UKDC", "Collector", "4.2", 2025)
    reg.add_application("BSCP601-91", "Secure", "protocol-approval", combination="X9Z",
                        amends=appr, amendment="variant")  # fmt: skip
    reg.remove_certificate(reg.certificates("PRO")[0]["id"], "2026-01-01", "retest")
    got = check_session(store, sid)
    assert "variant-not-assessed" in [f.code for f in got]  # pending: not granted yet
    reg.decide_application("BSCP601-91", "granted", "2026-11-30")
    got = check_session(store, sid)
    assert "variant-not-assessed" not in [f.code for f in got]
    assert any(f.code == "variant-covered" and "granted variant amendment" in f.message
               for f in got)  # fmt: skip


def test_signature_counts_factory_configuration_and_major_iterations(store):
    reg = Register(store)
    reg.add_type("XS2", "Example", ["XS2"], regime="smets", major_pattern=r"^[A-Z]+-(\d+\.\d+)")
    for key, fw, fc, hw in (("A", "E-8.0.12", "FC-01", "1"), ("B", "E-8.0.14", "FC-01", "2"),
                            ("C", "E-8.0.12", "FC-09", "3"), ("D", "E-8.1.0", "FC-01", "4")):
        reg.add_combination("XS2", "XS2", hardware_version=hw, key=key, solution_release="r")
        reg.add_device(key, "ESME", "XS2-E", hw, "A", fw, fc)
    reg.record_assurance("B", "A")  # 8.0.12 and 8.0.14: one major iteration (8.0)
    with pytest.raises(UsageError, match="factory configuration"):
        reg.record_assurance("C", "A")
    with pytest.raises(UsageError, match="more than hardware"):
        reg.record_assurance("D", "A")  # 8.1 is another major iteration
    with pytest.raises(UsageError, match="pattern"):
        reg.add_type("XS3", major_pattern=r"\d+", regime="smets")  # no group


def test_ihd_ppmid_rule_on_import(store):
    reg = Register(store)
    reg.add_type("XS1", "Example", regime="smets")
    reg.add_combination("XS1", "XS1", hardware_version="HW1", key="K", solution_release="r")
    text = ("combination,role,model,firmware,upgradable,smso\n"
            "K,IHD,Display 1,D-1,yes,\n"
            "K,ESME,Meter 1,E-1,yes,Some SMSO\n"
            "K,IHD,Display 2,D-2,no,\n")  # fmt: skip
    with pytest.raises(DataImportError) as err:
        import_text(store, "devices", text, "dev.csv")
    msg = str(err.value)
    assert "dev.csv:2:" in msg and "is a PPMID, not an IHD" in msg
    assert "dev.csv:3:" in msg and "communications hub" in msg
    assert reg.devices() == []  # nothing stored
    reg.add_device("K", "IHD", "Display 2", firmware="D-2")  # not upgradable: an IHD


def test_the_two_regimes_are_kept_apart(store):
    reg = Register(store)
    with pytest.raises(UsageError, match="exempt"):
        reg.add_type("XS1", "Example", cops=["10"], regime="smets")
    reg.add_type("XS1", "Example", regime="smets")
    reg.add_combination("XS1", "XS1", hardware_version="HW1", key="K", solution_release="r")
    for attempt in (lambda: reg.add_certificate("XS1", "5", "6"),
                    lambda: reg.add_approval("K", "HHDC", "UKDC"),
                    lambda: reg.add_application("APP-1", combination="K")):  # fmt: skip
        with pytest.raises(UsageError, match="exempt from BSCP601"):
            attempt()
    reg.add_type("PRO", "Secure", cops=["5"])
    reg.add_combination("PRO", "Prometer", {"metrology": "1"}, "P3E", key="P")
    with pytest.raises(UsageError, match="only SMETS device model combinations"):
        reg.set_dcc_entry("P", "ppcl", "in testing", "SIT")


def test_ppcl_versions_keep_their_rows_and_tirs_gate_the_epcl(store, tmp_path):
    reg = Register(store)
    reg.add_type("XS1", "Example", regime="smets")
    reg.add_combination("XS1", "XS1", hardware_version="HW1", key="K", solution_release="r",
                        fuel="dual")  # fmt: skip
    reg.set_dcc_entry("K", "ppcl", "in testing", "DMCT", "2026-09-01")
    reg.add_tir("TIR-9", "meter clock drifts", "open", ["K"])
    path, n = publish(store, "ppcl", "1.0", "2026-10-01", tmp_path / "ppcl.csv")
    assert n == 1 and "in testing,DMCT" in path.read_text()
    with pytest.raises(UsageError, match="TIR-9 is still open"):
        reg.set_dcc_entry("K", "epcl", "eligible")
    reg.add_tir("TIR-9", "meter clock drifts", "firmware-fix", ["K"], fixed_firmware="E-2",
                replace=True)  # fmt: skip
    reg.set_dcc_entry("K", "ppcl", "withdrawn", "DMCT")
    reg.set_dcc_entry("K", "epcl", "eligible", "", "2026-12-01")
    publish(store, "epcl", "1.0", "2026-12-01", tmp_path / "epcl.pdf")
    kept = store.conn.execute(
        "SELECT r.status, r.stage FROM eq_dcc_list_rows r JOIN eq_publications p "
        "ON p.id = r.publication_id WHERE p.list = 'ppcl' AND p.version = '1.0'").fetchall()
    assert kept == [("in testing", "DMCT")]  # PPCL v1.0 as published, though K moved on


def test_bscp32_grants_reach_by_type_site_or_metering_system(store):
    reg = Register(store)
    reg.add_type("PRO", "Secure", cops=["5"])
    sid = store.create_session("S-1", "cop-compliance", cops=["CoP 5"], location="Lab North")
    store.set_equipment(sid, outstation_type="PRO", model="Prometer 100")
    reg.add_dispensation("MD-TYPE", cop="5", outstation_type="PRO", expiry="2099-01-01")
    reg.add_dispensation("MD-OTHER", cop="5", outstation_type="ABC")
    reg.add_dispensation("MD-SITE", cop="5", site="lab north")
    reg.add_dispensation("MD-MSID", cop="5", msid="1234567890123")
    with pytest.raises(UsageError, match="13-digit"):
        reg.add_dispensation("MD-BAD", cop="5", msid="12345")
    with pytest.raises(UsageError, match="say what it covers"):
        reg.add_dispensation("MD-NOCOP", outstation_type="PRO", step_id="")
    cited = {d.reference: d.text for d in session_deviations(store, sid)
             if d.kind == "cop-departure"}  # fmt: skip
    assert set(cited) == {"MD-TYPE", "MD-SITE"}
    assert "granted for generic for type PRO and CoP 5" in cited["MD-TYPE"]
    assert "granted for site lab north" in cited["MD-SITE"]


def test_equivalences_written_before_are_migrated_in_the_dccs_order(tmp_path):
    path = tmp_path / "v7.db"
    db = sqlite_utils.Database(sqlite3.connect(path))
    migrate(db, target=7)
    now = "2026-01-01T00:00:00Z"
    db.execute("INSERT INTO eq_types (code, created_at, updated_at) VALUES ('XS1', ?, ?)",
               (now, now))  # fmt: skip
    for key in ("A", "B", "C"):
        db.execute("INSERT INTO eq_combinations (key, type_id, model, hardware_version, "
                   "created_at, updated_at) VALUES (?, 1, 'M', ?, ?, ?)", (key, key, now, now))
    db.execute("INSERT INTO eq_equivalences (combination_id, tested_id, status, created_at, "
               "updated_at) VALUES (2, 1, 'proposed', ?, ?)", (now, now))  # fmt: skip
    db.execute("INSERT INTO eq_equivalences (combination_id, tested_id, status, assessed_by, "
               "assessed_date, evidence, created_at, updated_at) VALUES (3, 1, 'assessed', "
               "'A', '2025-01-01', 'MS-1', ?, ?)", (now, now))  # fmt: skip
    db.conn.commit()
    db.conn.close()
    with Store.open(path) as store:
        rows = {e["combination"]: (e["status"], e["evidence_kind"])
                for e in Register(store).equivalences()}  # fmt: skip
        types = Register(store).types()
    assert rows == {"B": ("assurance", ""), "C": ("assessed", "unstated")}
    assert types[0]["regime"] == "bsc"


def test_a_bsc_template_on_a_smets_session_needs_a_recorded_reason(store):
    from bench_app.equipment.approvals import check_template_serves

    reg = Register(store)
    reg.add_type("XS1", "Example", regime="smets")
    sid = store.create_session("S-2", "protocol-approval")
    store.set_equipment(sid, outstation_type="XS1", model="XS1")
    template = find_template("bscp601-protocol-cop1-2-3-5-10")
    with pytest.raises(UsageError, match="SMETS device model under the DCC regime"):
        check_template_serves(store, sid, template)
    reg.record_template_override(sid, template.name, "rehearsal of the HHDC's read path", "Sam")
    check_template_serves(store, sid, template)  # allowed, and listed as a deviation
    assert any(d.kind == "template-override" for d in session_deviations(store, sid))


def test_decide_from_the_cli(tmp_path, capsys):
    from bench_app.cli import main

    db = ["--db", str(tmp_path / "eq.db")]
    assert main(["equipment", "types", "add", "--code", "PRO", "--cop", "5", *db]) == 0
    assert main(["equipment", "applications", "add", "--reference", "APP-7", "--type", "PRO",
                 *db]) == 0  # fmt: skip
    assert main(["equipment", "applications", "decide", "APP-7", "granted", *db]) == 2
    assert "decision date" in capsys.readouterr().err
    assert main(["equipment", "applications", "decide", "APP-7", "granted", "--date",
                 "2026-12-01", *db]) == 0  # fmt: skip
    assert main(["equipment", "applications", "list", "--json", *db]) == 0
    (app,) = __import__("json").loads(capsys.readouterr().out.split("\n", 1)[1])
    assert (app["decision"], app["decision_date"]) == ("granted", "2026-12-01")
