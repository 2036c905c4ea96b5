"""The window remembers its geometry, the last port, protocol, baud, level and template."""

from __future__ import annotations

from ui.main_window import app_settings


def test_settings_survive_a_restart(qtbot, ctx):
    from ui.main_window import MainWindow

    w = MainWindow(ctx, remember=True)
    qtbot.addWidget(w)
    w.show()
    w.setGeometry(40, 50, 700, 500)  # inside the offscreen screen (800 × 600)
    size = (w.width(), w.height())  # the window's minimum may have enlarged it
    pos = (w.x(), w.y())
    assert size != (1366, 768)
    conn = w.connection
    conn.port_combo.setEditText("socket://10.0.0.7:4059")
    conn.protocol_combo.setCurrentIndex(2)  # DLMS mode E
    conn.baud_combo.setCurrentIndex(conn.baud_combo.findData(19200))
    conn.level_combo.setCurrentIndex(conn.level_combo.findData(48))
    conn.password_edit.setText("HHDC2PASS")
    chk = w.checklist
    chk.template_combo.setCurrentIndex(chk.template_combo.findData("cop-compliance-core"))
    w.close()
    assert app_settings().value("connection/port") == "socket://10.0.0.7:4059"
    with open(app_settings().fileName(), encoding="utf-8") as f:
        text = f.read()
    assert "HHDC2PASS" not in text  # passwords are never remembered

    w2 = MainWindow(ctx, remember=True)
    qtbot.addWidget(w2)
    c2 = w2.connection
    assert c2.port_combo.currentText() == "socket://10.0.0.7:4059"
    assert c2.protocol_combo.currentData() == ("dlms", True)
    assert c2.baud_combo.currentData() == 19200
    assert c2.level_combo.currentData() == 48
    assert c2.password_edit.text() == ""
    assert w2.checklist.template_combo.currentData() == "cop-compliance-core"
    # the offscreen screen is 800 px wide: Qt fits a restored width (and x) into it; the height
    # (620, not the default 768) shows the geometry came back
    assert w2.height() == size[1] != 768 and abs(w2.y() - pos[1]) <= 4


def test_first_run_has_defaults(qtbot, ctx):
    from ui.main_window import MainWindow

    w = MainWindow(ctx, remember=True)
    qtbot.addWidget(w)
    assert (w.width(), w.height()) == (1366, 768)
    assert w.connection.baud_combo.currentData() == 9600


def test_the_simulator_choice_is_remembered_but_not_its_port(qtbot, ctx):
    from ui.main_window import MainWindow

    w = MainWindow(ctx, remember=True)
    qtbot.addWidget(w)
    w.connection.port_combo.setEditText("COM3")
    w.close()
    w = MainWindow(ctx, remember=True)
    qtbot.addWidget(w)
    w.connection.sim_check.setChecked(True)
    w.connection.port_combo.setEditText("socket://127.0.0.1:40404")  # the simulator's, this run
    w.close()
    w2 = MainWindow(ctx, remember=True)
    qtbot.addWidget(w2)
    assert w2.connection.sim_check.isChecked()
    assert w2.connection.port_combo.currentText() == "COM3"


def test_windows_that_do_not_remember_leave_the_settings_alone(qtbot, ctx):
    from ui.main_window import MainWindow

    w = MainWindow(ctx)  # smoke test, benchmarks, screenshots
    qtbot.addWidget(w)
    w.connection.port_combo.setEditText("COM9")
    w.close()
    assert app_settings().value("connection/port") is None
