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
