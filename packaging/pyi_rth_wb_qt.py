"""PyInstaller runtime hook (see ``build.spec``): Qt environment without loading Qt, and stand-ins
for the PySide6 OpenGL modules that the bundle leaves out.

1. Replaces PyInstaller's ``pyi_rth_pyside6``. The stock hook imports ``PySide6.QtCore`` at
   start-up (loading Qt and its 30 MB ICU data) only to register an embedded ``qt.conf``, which the
   PyPI PySide6 wheels already do themselves when QtCore is first imported. Every CLI command paid
   for that. Here only the environment is set, so Qt loads when (and only when) the GUI needs it.
2. pyqtgraph 0.14 imports ``PySide6.QtOpenGL``/``QtOpenGLWidgets`` unconditionally (9 MB of
   bindings) although Witness Bench never enables pyqtgraph's OpenGL mode. When those modules are
   not in the bundle, a finder placed last on ``sys.meta_path`` supplies small stand-ins: a
   ``QOpenGLWidget`` class that refuses to be instantiated and modules whose other attributes raise
   ``AttributeError`` naming the bundle. A build that includes the real modules never uses them.
"""

import importlib.abc
import importlib.machinery
import os
import sys

_OPENGL_STUBS = ("PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets")
_WHY = "OpenGL is not included in the Witness Bench bundle (pyqtgraph OpenGL mode is unused)"


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


class _OpenGLStandIn(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Last-resort finder for the two PySide6 OpenGL modules left out of the bundle."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in _OPENGL_STUBS:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        def __getattr__(name):
            if name.startswith("__"):
                raise AttributeError(name)
            raise AttributeError(f"{module.__name__}.{name}: {_WHY}")

        module.__getattr__ = __getattr__
        if module.__name__.endswith("QtOpenGLWidgets"):
            from PySide6 import QtWidgets

            class QOpenGLWidget(QtWidgets.QWidget):
                """Stand-in base class; instantiating it raises RuntimeError."""

                def __init__(self, *args, **kwargs):
                    raise RuntimeError(_WHY)

            module.QOpenGLWidget = QOpenGLWidget


_wb_qt_environment()
if getattr(sys, "frozen", False):
    sys.meta_path.append(_OpenGLStandIn())
del _wb_qt_environment
