"""The window's menu bar and keyboard shortcuts (desktop conventions MAP110 and MV-90 users know).

File: open database, import/export a session bundle, quit. Session: new session, participants,
equipment, software. View: the sessions sidebar (collapsible), each tab (Ctrl+1…8). Tools:
connect, read the clock, set the meter clock (asks first), run/cancel a step, render the report.
Help: user guide, glossary, about (version and build).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox

from bench_app.paths import resource_path

log = logging.getLogger(__name__)

GLOSSARY = (
    "<b>SP</b> settlement period: one of the 46, 48 or 50 half hours of a GB settlement day "
    "(Europe/London).<br><b>HHDC</b> half-hourly data collector (reads the outstation with its "
    "own system).<br><b>Outstation</b> the meter or logger under test.<br><b>Level 2 password"
    "</b> the HHDC's reading password (D0268).<br><b>Collection</b> one read of the meter, "
    "stored with the bytes that carried it.<br><b>Trace</b> those bytes, as evidence.<br><b>"
    "SIMULATOR</b> evidence from a simulated outstation: never evidence about a real meter."
)


def _act(window: Any, menu: Any, text: str, slot: Any, shortcut: Any = None) -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.triggered.connect(lambda _checked=False: slot())
    menu.addAction(action)
    menu.setToolTipsVisible(True)  # a greyed-out action says why (the button's reason)
    return action


def build_menus(window: Any) -> dict[str, QAction]:
    """Add the menu bar to ``window`` (a :class:`ui.main_window.MainWindow`); returns the
    actions by name (tests and the tab order use them)."""
    bar = window.menuBar()
    acts: dict[str, QAction] = {}
    f = bar.addMenu("&File")
    acts["open"] = _act(window, f, "&Open database…", lambda: open_database(window), "Ctrl+O")
    acts["import"] = _act(window, f, "&Import session bundle…", lambda: import_bundle(window))
    acts["export"] = _act(window, f, "&Export session bundle…", lambda: export_bundle(window))
    f.addSeparator()
    acts["quit"] = _act(window, f, "&Quit", window.close, "Ctrl+Q")
    s = bar.addMenu("&Session")
    side = window.sidebar
    acts["new"] = _act(window, s, "&New session…", side.new_session, "Ctrl+N")
    acts["participant"] = _act(window, s, "Add &participant…", side.add_participant)
    acts["equipment"] = _act(window, s, "&Equipment under test…", side.edit_equipment)
    acts["software"] = _act(window, s, "&Software under test…", side.edit_software)
    v = bar.addMenu("&View")
    acts["sidebar"] = _act(window, v, "Sessions &sidebar", window.toggle_sidebar, "Ctrl+B")
    acts["sidebar"].setCheckable(True)
    acts["sidebar"].setChecked(True)
    v.addSeparator()
    for i in range(window.tabs.count()):
        name = window.tabs.tabText(i)
        acts[f"tab{i + 1}"] = _act(
            window, v, name, lambda i=i: window.tabs.setCurrentIndex(i), f"Ctrl+{i + 1}"
        )
    t = bar.addMenu("&Tools")
    conn, chk = window.connection, window.checklist
    acts["connect"] = _act(window, t, "&Connect / disconnect", conn.toggle_connection, "Ctrl+K")
    acts["clock"] = _act(window, t, "Read &clock", lambda: conn.clock_btn.click(), "Ctrl+L")
    acts["set_clock"] = _act(window, t, "Set meter clock to PC UTC…", conn.set_clock)
    t.addSeparator()
    acts["run"] = _act(window, t, "&Run selected step", chk.run_selected, "F5")
    acts["cancel"] = _act(window, t, "Cancel running step", chk.cancel_run, "Ctrl+.")
    acts["render"] = _act(
        window, t, "Render &report", lambda: window.report.render_btn.click(), "Ctrl+R"
    )
    h = bar.addMenu("&Help")
    acts["guide"] = _act(window, h, "&User guide", lambda: user_guide(window), "F1")
    acts["glossary"] = _act(window, h, "&Glossary", lambda: glossary(window))
    acts["about"] = _act(window, h, "&About Witness Bench", lambda: about(window))
    return acts


def _busy_refusal(window: Any, what: str) -> bool:
    busy = window.busy_text()
    if busy:
        QMessageBox.information(window, what, f"{busy}\n\nWait for it to finish first.")
        return True
    return False


def open_database(window: Any) -> None:
    """Switch the window to another session database (nothing runs meanwhile)."""
    if _busy_refusal(window, "Open database"):
        return
    path, _ = QFileDialog.getOpenFileName(
        window, "Open session database", "", "Witness Bench database (*.db);;All files (*)"
    )
    if path:
        window.switch_database(path)


def import_bundle(window: Any) -> None:
    """Import a session bundle (verified on the way in) and open the session."""
    from bench_app.store.bundle import import_session

    path, _ = QFileDialog.getOpenFileName(
        window, "Import session bundle", "", "Bundle (*.zip *.wbb);;All files (*)"
    )
    if not path:
        return
    try:
        sid = import_session(window.ctx.store, path)
    except Exception as exc:
        log.exception("bundle import %s", path)
        from ui.errors import show_error

        show_error(window, exc)
        return
    window.open_session(sid)


def export_bundle(window: Any) -> None:
    """Export the open session as a bundle (database subset with its audit chain)."""
    from bench_app.store.bundle import export_session

    sid = window.ctx.session_id
    if sid is None:
        QMessageBox.information(window, "Export bundle", "Open a session first.")
        return
    path, _ = QFileDialog.getSaveFileName(
        window, "Export session bundle", f"session-{sid}.zip", "Bundle (*.zip)"
    )
    if not path:
        return
    try:
        export_session(window.ctx.store, sid, path)
    except Exception as exc:
        log.exception("bundle export of session %s", sid)
        from ui.errors import show_error

        show_error(window, exc)
        return
    window.statusBar().showMessage(f"Session {sid} exported to {path}", 8000)


def user_guide(window: Any) -> None:
    """Open the user guide shipped with the application (docs/ or the README)."""
    for candidate in (resource_path("..", "docs", "index.md"), resource_path("..", "README.md")):
        if candidate.exists():
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(candidate.resolve())))
            return
    QMessageBox.information(
        window, "User guide", "The user guide is not installed with this build."
    )


def glossary(window: Any) -> None:
    QMessageBox.information(window, "Glossary", GLOSSARY)


def about(window: Any) -> None:
    from bench_app import __version__
    from bench_app.report.data import _build

    QMessageBox.about(
        window,
        "About Witness Bench",
        f"<b>Witness Bench {__version__}</b><br>build: {_build() or 'not recorded'}<br><br>"
        "Bench testing and witnessing of half-hourly metering outstations (BSCP601, CoPs).",
    )
