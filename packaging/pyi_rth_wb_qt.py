"""PyInstaller runtime hook replacing PyInstaller's ``pyi_rth_pyside6`` (see ``build.spec``).

The stock hook imports ``PySide6.QtCore`` at start-up (loading Qt and its 30 MB ICU data) only to
register an embedded ``qt.conf``, which the PyPI PySide6 wheels already do themselves when QtCore is
first imported. Every CLI command paid for that. This hook only sets the environment the stock hook
sets, so Qt is loaded when (and only when) ``bench-app gui`` imports it.
"""

import os
import sys


def _wb_qt_environment() -> None:
    base = getattr(sys, "_MEIPASS", None)
    if not base:
        return
    if sys.platform.startswith("win"):
        qt_root = os.path.join(base, "PySide6")
        os.environ["PATH"] = base + os.pathsep + os.environ.get("PATH", "")
    else:
        qt_root = os.path.join(base, "PySide6", "Qt")
    os.environ["QT_PLUGIN_PATH"] = os.path.join(qt_root, "plugins")
    os.environ["QML2_IMPORT_PATH"] = os.path.join(qt_root, "qml")


_wb_qt_environment()
del _wb_qt_environment
