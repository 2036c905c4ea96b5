"""QApplication set-up and the GUI entry point used by ``bench-app gui``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from bench_app.paths import resource_path


def make_app(argv: list[str] | None = None):
    """Return the (single) QApplication, styled, with pyqtgraph configured."""
    from PySide6.QtWidgets import QApplication

    from ui.qtfix import protect_none

    protect_none()
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv or sys.argv[:1])
    app.setApplicationName("Witness Bench")
    app.setOrganizationName("WitnessBench")
    app.setStyle("Fusion")
    from PySide6.QtGui import QIcon

    app_icon = resource_path("icons", "app.png")
    if app_icon.exists():
        app.setWindowIcon(QIcon(str(app_icon)))
    qss = resource_path("styles", "app.qss")
    if qss.exists():
        app.setStyleSheet(qss.read_text(encoding="utf-8"))
    import pyqtgraph as pg

    pg.setConfigOptions(antialias=False, background="w", foreground="#333")
    collect_in_gui_thread(app)
    return app


def collect_in_gui_thread(app) -> None:
    """Python's cyclic garbage collector runs in whichever thread happens to allocate when its
    threshold is crossed; if that is a worker QThread and the garbage holds Qt wrappers, Qt
    objects of the GUI thread are destroyed from the worker and the process can crash
    (seen: a segmentation fault inside a report-verify worker). pyqtgraph's
    ``GarbageCollector`` turns automatic collection off and collects on a 1 s timer in the GUI
    thread instead; one per application, kept on it."""
    if getattr(app, "_wb_gc", None) is None:
        from pyqtgraph.util.garbage_collector import GarbageCollector

        app._wb_gc = GarbageCollector(interval=1.0)


def build_window(
    db_path: str | Path | None = None, session_id: int | None = None, *, remember: bool = False
):
    """Open the store and return ``(MainWindow, BenchContext)``; ``remember``: the window
    restores and saves the user's settings (:mod:`ui.main_window`)."""
    from ui.context import BenchContext, open_store
    from ui.main_window import MainWindow

    store = open_store(db_path)
    ctx = BenchContext(store, db_path or store.path)
    window = MainWindow(ctx, remember=remember)
    if session_id is not None:
        store.get_session(session_id)  # NotFoundError names the id
        window.open_session(session_id)
    return window, ctx


def main(db_path: str | Path | None = None, session_id: int | None = None) -> int:
    """Run the GUI until the window is closed; returns the exit code."""
    from bench_app.logs import configure_gui

    configure_gui()
    app = make_app()
    window, _ctx = build_window(db_path, session_id, remember=True)
    window.show()
    return int(app.exec())


if __name__ == "__main__":
    os.environ.setdefault("QT_API", "pyside6")
    sys.exit(main())
