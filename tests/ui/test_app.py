"""Main window, checklist panel and the `bench-app gui --smoke-test` end to end (real simulator)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ui.panels.session_forms import EquipmentDialog, NewSessionDialog, ParticipantDialog

ROOT = Path(__file__).resolve().parents[2]


def test_main_window_has_all_tabs_and_status(qtbot, ctx):
    from ui.main_window import MainWindow

    w = MainWindow(ctx)
    qtbot.addWidget(w)
    names = [w.tabs.tabText(i).replace("&", "") for i in range(w.tabs.count())]
    assert names == [
        "Connection",
        "Live",
        "Profile",
        "Events",
        "Checklist",
        "Trace",
        "Observer",
        "Report",
        "Equipment",
    ]
    ctx.set_session(ctx.session_id)
    assert w.equipment.session_spin.value() == ctx.session_id
    ctx.update_status(port="socket://x:1", protocol="dlms", state="connected", clock_dev_s=-2.5)
    assert "socket://x:1" in w.status_labels["port"].text()
    assert "2.5 s behind" in w.status_labels["clock"].text()  # h/min/s, as in the report
    assert w.sidebar.list.count() == 1


def test_session_forms_validate(qtbot):
    d = NewSessionDialog()
    qtbot.addWidget(d)
    assert "Reference is required" in d.validate()
    d.reference.setText("P601-1")
    d.cops.setText("5, x")
    assert "numbers" in d.validate()
    d.cops.setText("5, 10")
    assert d.validate() is None and d.values()["cops"] == ["5", "10"]
    p = ParticipantDialog()
    qtbot.addWidget(p)
    p.name.setText("A. Witness")
    p.role.setCurrentText("hhdc")
    assert "MPID" in p.validate()
    p.mpid.setText("ukdc")
    assert "4 capital letters" in p.validate()
    p.mpid.setText("UKDC")
    assert p.validate() is None
    e = EquipmentDialog()
    qtbot.addWidget(e)
    e.outstation_type.setText("PRO")
    e.model.setText("Prometer 100")
    e.serials.setText("A1, A2")
    e.firmware.setPlainText("metrology=1.0\nbroken")
    assert "name=version" in e.validate()
    e.firmware.setPlainText("metrology=1.0")
    assert e.validate() is None and e.values()["serials"] == ["A1", "A2"]


def test_checklist_records_result_attaches_and_signs_off(qtbot, ctx, tmp_path):
    from ui.panels.checklist import ChecklistPanel

    panel = ChecklistPanel(ctx)
    qtbot.addWidget(panel)
    panel.template_combo.setCurrentIndex(
        panel.template_combo.findData("bscp601-protocol-cop1-2-3-5-10")
    )
    panel.reload()
    assert panel.steps.count() > 10
    panel.steps.setCurrentRow(0)
    assert "Objective" in panel.detail.text() and "Expected" in panel.detail.text()
    panel.actual_edit.setPlainText("")
    panel.verdict_combo.setCurrentText("pass")
    panel.record_result()
    assert "actual result is empty" in panel.message.label.text()
    panel.actual_edit.setPlainText("identical values on all 48 SPs")
    panel.by_edit.setText("A. Tester")
    panel.record_result()
    assert panel.rows[0]["verdict"] == "pass"
    f = tmp_path / "photo.txt"
    f.write_text("evidence")
    panel.steps.setCurrentRow(1)
    panel.attach(str(f))
    assert "attached photo.txt" in panel.rows[1]["actual"]
    assert ctx.store.attachments(ctx.session_id)
    panel.signer_edit.setText("A. Tester")
    panel.confirm_run()  # most steps are not run: the sign-off is refused and says why
    assert "step(s) not run" in panel.message.label.text()
    # without a configured meter an automatic step says what to do instead of failing
    panel.run_selected()
    assert "Connection tab" in panel.message.label.text()


def test_checklist_step_runs_in_worker_against_simulator(qtbot, ctx):
    pytest.importorskip("drivers.sim.dlms_cosem")
    from ui.main_window import MainWindow
    from ui.smoke import configure_simulator

    w = MainWindow(ctx)
    qtbot.addWidget(w)
    configure_simulator(w)
    panel = w.checklist
    panel.template_combo.setCurrentIndex(
        panel.template_combo.findData("bscp601-protocol-cop1-2-3-5-10")
    )
    from bench_app.checklist.template import find_template

    template = find_template("bscp601-protocol-cop1-2-3-5-10")
    step_id = next(s.id for s in template.steps if s.action == "wrong_password_refused")
    idx = next(i for i, r in enumerate(panel.rows) if r["step"] == step_id)
    panel.steps.setCurrentRow(idx)
    with qtbot.waitSignal(panel.step_finished, timeout=60000) as sig:
        panel.run_selected()
    assert sig.args[0][0].step_id == step_id
    assert panel.rows[idx]["verdict"] == "pass"
    assert ctx.store.traces(ctx.session_id)


def test_cli_smoke_test_prints_json_and_exits_0(tmp_path):
    pytest.importorskip("drivers.sim.dlms_cosem")
    proc = subprocess.run(
        [sys.executable, "-m", "bench_app", "gui", "--smoke-test", "--db", str(tmp_path / "s.db")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["ok"] and result["profile_rows"] >= 7 * 48
    assert result["stored_readings"] == result["profile_rows"] * 4
    assert result["periods_drawn"] in (46, 48, 50)
    assert result["checklist"]["verdict"] == "pass"
