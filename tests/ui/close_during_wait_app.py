"""Run by ``test_close_during_wait``: the real GUI in its own process, closed while DR4-1a waits.

``python -m tests.ui.close_during_wait_app DB SESSION URL`` opens the window on session SESSION of
DB, sets the port to URL (a ``bench-app simulate`` on a socket, no bench control: a real-time
bench), runs DR4-1a, confirms each stimulus form as a tester would, and as soon as the step waits
for its settlement period to close, closes the window and answers Yes to the question. Prints
``asked: …`` when the question came; the exit code is the application's.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main(db: str, session_id: int, url: str) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from ui.app import build_window, make_app

    app = make_app()
    window, _ctx = build_window(db, session_id)
    window.show()
    conn = window.connection
    conn.port_combo.setEditText(url)
    conn.protocol_combo.setCurrentIndex(1)  # DLMS/COSEM over HDLC
    conn.level_combo.setCurrentIndex(2)  # level 2, SAP 48 (the HHDC's)
    conn.password_edit.setText("HHDC2PASS")
    chk = window.checklist
    chk.by_edit.setText("A. Tester")
    chk.template_combo.setCurrentIndex(
        chk.template_combo.findData("bscp601-protocol-cop1-2-3-5-10")
    )
    chk.steps.setCurrentRow([r["step"] for r in chk.rows].index("DR4-1a"))
    state = {"closing": False}

    def answer_question() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            print(f"asked: {box.text()!r}", flush=True)
            box.button(QMessageBox.StandardButton.Yes).click()
        else:
            QTimer.singleShot(100, answer_question)

    def poll() -> None:
        form = chk._form
        if form is not None and form.isVisible():
            form.done_btn.click()  # "Phase L1 removed", "Phase L1 restored", "Wait here"
        if not chk.wait_bar.isHidden() and not state["closing"]:
            state["closing"] = True
            print(f"waiting: {chk.wait_bar.format()}", flush=True)
            QTimer.singleShot(100, answer_question)
            QTimer.singleShot(0, window.close)
            return
        QTimer.singleShot(200, poll)

    chk.run_selected()
    QTimer.singleShot(200, poll)
    return int(app.exec())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
