"""Screenshots of a real witnessed day at the bench (run by ``scripts/screenshots.py``).

Sessions of their own in a window of their own: an IEC 62056-21 session read over the GB
clock-change day (25 October 2026, 50 settlement periods) with its equipment checked against a
register that lacks a certificate (warnings), a manual verdict with an attachment (the rating
plate), a real-time DLMS bench (the simulator reached by its port, no bench control: the window
cannot advance time) where DR4-1a asks for the phase through its stimulus form and then waits
for the settlement period to close with a countdown (cancelled: the step is not run, its
evidence kept), a repeated run, a dispensation, a cable pulled in the middle of a step, and the
whole window at 1280×720.

Each scene writes ``<out>/<name>.png``; :func:`run_scenes` returns the shots and what each shows.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

#: the autumn clock change: 50 settlement periods (BST → GMT at 02:00 local)
CLOCK_CHANGE_DAY = date(2026, 10, 25)
#: the simulated generic meter's programming-mode (P1) password (resources/meters/iec-generic.toml)
IEC_PASSWORD = "ABCDEF12"


def grab_with_dialog(window: Any, dialog: Any, name: str, out: Path) -> dict:
    """The window with ``dialog`` drawn where it stands over it (a virtual display has no window
    manager to draw it), saved as ``out/name.png``."""
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtGui import QColor, QPainter, QPen

    from scripts.screenshots import save_image, settle

    settle(600)
    img = window.grab().toImage()
    pix = dialog.grab()
    bar = 26  # a title bar, as a window manager would draw it
    painter = QPainter(img)
    at = dialog.mapToGlobal(QPoint(0, 0)) - window.mapToGlobal(QPoint(0, 0))
    x = max(0, min(at.x(), img.width() - pix.width()))
    y = max(bar, min(at.y(), img.height() - pix.height()))
    w, h = pix.width(), pix.height() + bar
    painter.fillRect(x + 6, y - bar + 6, w, h, QColor(0, 0, 0, 70))  # shadow
    painter.fillRect(x, y - bar, w, bar, QColor("#2f3b4c"))
    painter.setPen(QColor("#ffffff"))
    painter.drawText(x + 10, y - bar, w - 20, bar, Qt.AlignmentFlag.AlignVCenter,
                     dialog.windowTitle())  # fmt: skip
    painter.drawPixmap(x, y, pix)
    painter.setPen(QPen(QColor("#2f3b4c"), 1))
    painter.drawRect(x, y - bar, w - 1, h - 1)
    painter.end()
    return save_image(img, out / f"{name}.png")


def show_detail_end(window: Any, chk: Any) -> None:
    """Show the checklist tab with its step detail scrolled to the end."""
    from PySide6.QtWidgets import QScrollArea

    from scripts.screenshots import settle

    window.show_panel(chk)
    settle(300)
    area = chk.detail.parentWidget()
    while area is not None and not isinstance(area, QScrollArea):
        area = area.parentWidget()
    if area is not None:
        bar = area.verticalScrollBar()
        bar.setValue(bar.maximum())


def iec_session(store) -> int:
    """A CoP compliance session of a generic IEC 62056-21 outstation (the IEC simulator)."""
    sid = store.create_session(
        "CC-2026-031", "cop-compliance", cops=["5", "10"], location="Lab 1, optical head",
        title="IEC Generic 1 compliance (CoP 5, CoP 10)",
    )  # fmt: skip
    store.add_participant(sid, "Carol Engineer", "Acme Meter Lab", "tester")
    store.add_participant(sid, "Bob Witness", "Elexon", "witness")
    store.set_equipment(  # what the simulated generic meter reports (resources/meters)
        sid,
        outstation_type="GEN",
        model="GEN HH-4 (simulated)",
        serials=["GEN-SIM-004711"],
        firmware={"metrology": "MET 2.14", "application": "APP 5.3.1",
                  "communications": "COM 3.07"},
        channels=4,
    )  # fmt: skip
    return sid


def realtime_session(store) -> int:
    """A protocol-approval session whose meter is reached by its port (no bench control)."""
    sid = store.create_session(
        "P601-2026-016", "protocol-approval", cops=["5"], location="Lab 2, bench B",
        title="Prometer 100 P3E on a real-time bench",
    )  # fmt: skip
    store.add_participant(sid, "Alice Tester", "Acme Meter Lab", "tester")
    store.add_participant(sid, "Bob Witness", "Elexon", "witness")
    store.add_participant(sid, "UK Data Collection", "UKDC Ltd", "hhdc", mpid="UKDC")
    return sid


def rating_plate(path: Path) -> Path:
    """A drawn stand-in for the photo of a rating plate (PNG), labelled as such."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor, QFont, QImage, QPainter

    img = QImage(480, 300, QImage.Format.Format_RGB32)
    img.fill(QColor("#d9dde3"))
    p = QPainter(img)
    p.setPen(QColor("#111111"))
    p.setFont(QFont("DejaVu Sans", 14, QFont.Weight.Bold))
    p.drawText(img.rect().adjusted(20, 20, -20, -20), Qt.AlignmentFlag.AlignLeft,
               "GEN HH-4\nSerial GEN-SIM-004711\nCoP 5 issue 6\n"
               "3 x 230/400 V  50 Hz\n\n(sample image)")  # fmt: skip
    p.end()
    img.save(str(path), "PNG")
    return path


def run_scenes(out: Path) -> dict:
    """Take the bench-day screenshots into ``out``; ``ok`` when every scene showed its state."""
    from PySide6.QtCore import QDate

    from bench_app.cli import main as cli_main
    from bench_app.equipment import import_csv as import_register
    from bench_app.paths import resource_path
    from bench_app.simulator import start_builtin
    from scripts.screenshots import SIZE, grab, read_profile, settle
    from ui.app import build_window, make_app
    from ui.smoke import SIM_LEVEL_SAP, SIM_PASSWORD, configure_simulator, wait_until

    out.mkdir(parents=True, exist_ok=True)
    make_app()
    tmp = tempfile.TemporaryDirectory(prefix="wb-day-")
    os.environ["WITNESS_BENCH_HOME"] = str(Path(tmp.name) / "home")
    db = Path(tmp.name) / "bench.db"
    window, ctx = build_window(db)
    result: dict = {"ok": False, "shots": [], "checks": {}}
    shots, checks = result["shots"], result["checks"]
    port_sim = None
    try:
        window.resize(*SIZE)
        window.show()
        samples = resource_path("samples", "equipment")
        for kind in ("types", "combos", "certs", "approvals", "applications"):
            import_register(ctx.store, kind, samples / f"{kind}.csv")

        # 1. an IEC 62056-21 session, read over the autumn clock change
        sid = iec_session(ctx.store)
        window.open_session(sid)
        configure_simulator(window, "iec21")
        window.connection.password_edit.setText(IEC_PASSWORD)
        days = (date.today() - CLOCK_CHANGE_DAY).days + 3
        ctx.sim = start_builtin("iec21", days=max(days, 8))
        read_profile(window, ctx, CLOCK_CHANGE_DAY - timedelta(days=1), CLOCK_CHANGE_DAY)
        conn = window.connection
        conn._request("clock")
        wait_until(lambda: not ctx.port.busy, 30, "clock read")
        ident = conn.identity
        checks["iec_identity"] = ident.serial if ident is not None else None
        shots.append(grab(window, conn, "connection-iec", out))
        ctx.close_port()
        prof = window.profile
        prof.reload_collections()
        prof.view_combo.setCurrentIndex(0)
        d = CLOCK_CHANGE_DAY
        prof.day_edit.setDate(QDate(d.year, d.month, d.day))
        settle(300)
        checks["clock_change_periods"] = prof.periods_shown()
        shots.append(grab(window, prof, "profile-clock-change", out))

        # 2. certificate warnings: the register holds no certificate for CoP 10
        window.equipment.refresh()
        window.equipment.tabs.setCurrentIndex(list(window.equipment.tables).index("certs"))
        findings = window.equipment.check(sid)
        checks["equipment_findings"] = [getattr(f, "code", str(f)) for f in findings or []]
        shots.append(grab(window, window.equipment, "equipment-certificate-warnings", out))

        # 3. a manual verdict with an attachment: the rating plate, judged by the witness
        chk = window.checklist
        chk.template_combo.setCurrentIndex(chk.template_combo.findData("cop-compliance-core"))
        chk.steps.setCurrentRow([r["step"] for r in chk.rows].index("CC-09"))
        chk.by_edit.setText("Bob Witness")
        chk.note_edit.setText("rating plate photographed at the bench")
        chk.attach(str(rating_plate(Path(tmp.name) / "rating-plate.png")))
        chk.actual_edit.setPlainText(
            "Rating plate shows GEN HH-4, serial GEN-SIM-004711, CoP 5 issue 6; "
            "read by the witness."
        )
        chk.verdict_combo.setCurrentIndex(chk.verdict_combo.findData("pass"))
        chk.record_result()
        chk.steps.setCurrentRow([r["step"] for r in chk.rows].index("CC-09"))
        checks["manual_verdict"] = chk.selected()["verdict"] if chk.selected() else None
        show_detail_end(window, chk)  # the earlier attempt (the attachment) below the latest
        shots.append(grab(window, chk, "checklist-manual-attachment", out))
        ctx.stop_simulator()

        # 4. a real-time bench: the simulator by its port, no bench control
        sid = realtime_session(ctx.store)
        window.open_session(sid)
        port_sim = start_builtin("dlms")
        configure_simulator(window, "dlms")
        conn.sim_check.setChecked(False)
        conn.port_combo.setEditText(port_sim.url)
        conn.level_combo.setCurrentIndex(conn.level_combo.findData(SIM_LEVEL_SAP))
        conn.password_edit.setText(SIM_PASSWORD)
        chk.template_combo.setCurrentIndex(
            chk.template_combo.findData("bscp601-protocol-cop1-2-3-5-10")
        )
        chk.by_edit.setText("Alice Tester")
        # the run's timeline before it starts
        chk.steps.setCurrentRow([r["step"] for r in chk.rows].index("DR4-1a"))
        chk.detail_tabs.setCurrentWidget(chk.timeline)
        settle(600)
        shots.append(grab(window, chk, "checklist-plan", out))
        chk.detail_tabs.setCurrentIndex(0)
        finished: list = []
        chk.step_finished.connect(finished.append)
        chk.steps.setCurrentRow([r["step"] for r in chk.rows].index("DR4-1a"))
        chk.run_selected()
        wait_until(lambda: chk._form is not None and chk._form.isVisible(), 60, "stimulus form")
        shots.append(grab_with_dialog(window, chk._form, "stimulus-form", out))
        for _ in range(40):  # "Phase L1 removed", "… restored", "Wait here": as the tester would
            if not chk.wait_bar.isHidden():
                break
            form = chk._form
            if form is not None and form.isVisible():
                form.done_btn.click()
            settle(300)
        wait_until(lambda: not chk.wait_bar.isHidden(), 60, "real-time wait")
        settle(1500)  # the countdown moves
        checks["wait_text"] = chk.wait_bar.format()
        shots.append(grab(window, chk, "checklist-realtime-wait", out))
        chk.cancel_run()
        wait_until(lambda: bool(finished), 120, "cancelled step")
        finished.clear()

        # 5. a repeated run: DR2-2 twice (every attempt is kept and counted)
        chk.steps.setCurrentRow([r["step"] for r in chk.rows].index("DR2-2"))
        for _ in range(2):
            chk.run_selected()
            wait_until(lambda: bool(finished), 180, "DR2-2")
            finished.clear()
        chk.steps.setCurrentRow([r["step"] for r in chk.rows].index("DR2-2"))
        checks["repeated_attempt"] = chk.selected()["attempt"] if chk.selected() else 0
        shots.append(grab(window, chk, "checklist-repeated-run", out))

        # 6. a dispensation for DR4-2 (no battery monitor fitted), as the CLI records it
        cli_main(["equipment", "dispensations", "add", "--reference", "MD-2026-007",
                  "--session", str(sid), "--step", "DR4-2", "--cop", "5",
                  "--text", "battery monitor not fitted on the P3E variant (BSCP32)",
                  "--db", str(db)])  # fmt: skip
        window.equipment.refresh()
        eq = window.equipment
        eq.tabs.setCurrentIndex(list(eq.tables).index("dispensations"))
        eq.check(sid)
        shots.append(grab(window, eq, "equipment-dispensation", out))

        # 7. a cable pulled in the middle of a step: a slow line (every answer late), then the
        # meter is gone while DR2-2 collects
        port_sim.stop()
        port_sim = start_builtin("dlms", faults=["delay"])
        conn.port_combo.setEditText(port_sim.url)
        chk.steps.setCurrentRow([r["step"] for r in chk.rows].index("DR2-2"))
        chk.run_selected()
        settle(6000)  # association done, the profile is being read
        port_sim.stop()
        port_sim = None
        wait_until(lambda: bool(finished), 240, "DR2-2 with the cable pulled")
        chk.steps.setCurrentRow([r["step"] for r in chk.rows].index("DR2-2"))
        step = chk.selected() or {}
        checks["cable_pulled"] = (step.get("verdict"), str(step.get("actual", ""))[:160])
        shots.append(grab(window, chk, "checklist-cable-pulled", out))

        # 8. the whole window at 1280×720 (1366×768 at 100 %, 1920×1080 at 150 %)
        window.resize(1280, 720)
        settle(500)
        checks["window_1280x720"] = (window.width(), window.height())
        shots.append(grab(window, chk, "window-1280x720", out))
        result["ok"] = (
            len(shots) == 11
            and checks["clock_change_periods"] == 50
            and checks["manual_verdict"] == "pass"
            and checks["repeated_attempt"] >= 2
            and checks["window_1280x720"] == (1280, 720)
            and "waiting" in checks["wait_text"]
            and checks["cable_pulled"][0] != "pass"
        )
    finally:
        if port_sim is not None:
            port_sim.stop()
        window.close()
        ctx.shutdown()
        ctx.store.close()
        tmp.cleanup()
    return result
