"""Equipment register panel offscreen with a real store: sample CSVs load into the tables,
equivalents are listed, a bad file shows file:line and changes nothing, a session check lists
the firmware warning."""

from __future__ import annotations

from bench_app.paths import resource_path


def test_tables_import_export_and_check(qtbot, store, tmp_path):
    from ui.panels.equipment import EquipmentPanel

    panel = EquipmentPanel(store)
    qtbot.addWidget(panel)
    for kind in ("types", "combos", "certs", "approvals", "applications"):
        assert panel.import_file(kind, str(resource_path("samples", "equipment", f"{kind}.csv")))
    combos = panel.tables["combos"]
    assert combos.rowCount() == 5
    headers = [combos.horizontalHeaderItem(i).text() for i in range(combos.columnCount())]
    col = headers.index("Equivalent to")
    row = next(r for r in range(5) if combos.item(r, 0).text() == "PRO-P3E-B2")
    assert combos.item(row, col).text() == "PRO-P3E-B3"
    bad = tmp_path / "types.csv"
    bad.write_text("code\nPRO\nTOOLONG\n", encoding="utf-8")
    assert not panel.import_file("types", str(bad))
    assert f"{bad}:3:" in panel.message.text()
    assert panel.tables["types"].rowCount() == 2
    assert panel.export_file("certs", str(tmp_path / "certs.csv"))
    assert (tmp_path / "certs.csv").read_text().count("\n") == 5
    sid = store.create_session("BSCP601-DEMO-0001", "protocol-approval", cops=["5"])
    ident = {"serial": "S", "outstation_type": "PRO", "firmware": {"metrology": "MET 9"}}
    store.new_collection(sid, "bench", "dlms", meta={"identity": ident})
    found = panel.check(sid)
    assert [f.code for f in found] == ["firmware-mismatch"]
    assert "MET 9" in panel.findings.item(0).text()


def test_approval_record_tabs_remove_deviations_shares_publish(qtbot, store, tmp_path):
    """Issue 18 kinds in the panel: the DMC samples load, coverage lists exact/assessed/proposed
    now and after the plan, a dispensation is withdrawn with date and reason, the session check
    lists deviations, a published list is written."""
    from ui.panels.equipment import EquipmentPanel

    panel = EquipmentPanel(store)
    qtbot.addWidget(panel)
    for kind in ("types", "combos", "devices", "equivalences", "base", "upgrades", "dcc"):
        path = resource_path("samples", "equipment", f"dmc_{kind}.csv")
        assert panel.import_file(kind, str(path)), panel.message.text()
    assert panel.tables["devices"].rowCount() == 18
    eq = panel.tables["equivalences"]
    status_col = [eq.horizontalHeaderItem(i).text() for i in range(eq.columnCount())].index(
        "Status"
    )
    assert sorted(eq.item(r, status_col).text() for r in range(2)) == ["assurance", "proposed"]
    res = panel.shares("2026-09", ["DMC-DF-A"], "2027-Q1")
    assert [r.counts["exact"] for r in res] == [5, 5]
    texts = [panel.findings.item(i).text() for i in range(panel.findings.count())]
    assert any("pending-assessment" in t and "26.50%" in t for t in texts)
    sid = store.create_session("APP-18", "protocol-approval", cops=["CoP 5 issue 6"])
    from bench_app.equipment import Register

    did = Register(store).add_dispensation("MD-9", cop="5", text="departure")
    panel.refresh()
    panel.check(sid)
    texts = [panel.findings.item(i).text() for i in range(panel.findings.count())]
    assert any(t.startswith("DEVIATION (cop-departure, MD-9)") for t in texts)
    assert not panel.remove("dispensations", str(did), "2026-13-01", "lapsed")
    assert "cannot remove" in panel.message.text()
    assert panel.remove("dispensations", str(did), "2026-11-01", "lapsed")
    assert panel.remove("upgrades", "2027-Q1")
    assert panel.tables["upgrades"].rowCount() == 0
    assert not panel.override(sid, "cop6-compliance", "")
    assert "say why" in panel.message.text()
    assert panel.override(sid, "cop6-compliance", "CoP 6 rehearsal")
    panel.check(sid)
    texts = [panel.findings.item(i).text() for i in range(panel.findings.count())]
    assert any("template-override, cop6-compliance" in t for t in texts)
    assert panel.publish_list("ppcl", "12.0", "2026-11-29", str(tmp_path / "ppcl.csv"))
    assert "12.0" in (tmp_path / "ppcl.csv").read_text()
