"""The bundle's runtime hook (``packaging/pyi_rth_wb_qt.py``): Qt paths, OpenGL stand-ins."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

HOOK = Path(__file__).resolve().parents[2] / "packaging" / "pyi_rth_wb_qt.py"


def load_hook(monkeypatch, meipass: str | None):
    """Execute the hook file as PyInstaller would (fresh module), with or without _MEIPASS."""
    if meipass is None:
        monkeypatch.delattr(sys, "_MEIPASS", raising=False)
    else:
        monkeypatch.setattr(sys, "_MEIPASS", meipass, raising=False)
    monkeypatch.delattr(sys, "frozen", raising=False)  # so the finder is not installed for real
    spec = importlib.util.spec_from_file_location("wb_rthook_under_test", HOOK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sets_qt_paths_without_importing_qt(monkeypatch, tmp_path):
    monkeypatch.delenv("QT_PLUGIN_PATH", raising=False)
    for name in [m for m in sys.modules if m.startswith("PySide6")]:
        monkeypatch.delitem(sys.modules, name)
    load_hook(monkeypatch, str(tmp_path))
    expected = tmp_path / ("PySide6" if sys.platform.startswith("win") else "PySide6/Qt")
    assert os.environ["QT_PLUGIN_PATH"] == str(expected / "plugins")
    assert not [m for m in sys.modules if m.startswith("PySide6")], "the hook must not load Qt"


def test_does_nothing_from_source(monkeypatch):
    monkeypatch.setenv("QT_PLUGIN_PATH", "untouched")
    load_hook(monkeypatch, None)
    assert os.environ["QT_PLUGIN_PATH"] == "untouched"


def test_opengl_stand_ins(monkeypatch):
    hook = load_hook(monkeypatch, None)
    finder = hook._OpenGLStandIn()
    assert finder.find_spec("PySide6.QtGui") is None
    modules = {}
    for name in ("PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets"):
        spec = finder.find_spec(name)
        assert spec is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        modules[name] = module
    with pytest.raises(AttributeError, match="not included in the Witness Bench bundle"):
        _ = modules["PySide6.QtOpenGL"].QOpenGLBuffer
    from PySide6.QtWidgets import QWidget

    widget_cls = modules["PySide6.QtOpenGLWidgets"].QOpenGLWidget
    assert issubclass(widget_cls, QWidget)

    class Sub(widget_cls):  # what pyqtgraph's OpenGLHelpers does at import time
        pass

    with pytest.raises(RuntimeError, match="OpenGL is not included"):
        Sub()


def test_launcher_opens_the_gui_only_for_an_explorer_double_click():
    spec = importlib.util.spec_from_file_location(
        "wb_launcher_under_test", HOOK.with_name("bench_app_main.py")
    )
    launcher = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(launcher)  # __name__ is not "__main__": nothing runs
    assert launcher.default_argv([], True) == ["gui"]
    assert launcher.default_argv([], False) == []
    assert launcher.default_argv(["--version"], True) == ["--version"]
    if not sys.platform.startswith("win"):
        assert launcher.launched_from_explorer() is False
