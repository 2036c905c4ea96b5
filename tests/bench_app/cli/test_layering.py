"""Imports go one way: ui → bench_app → drivers. The GUI's command arrives as a plugin."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bench_app.cli import build_parser, plugin_modules

ROOT = Path(__file__).resolve().parents[3]
FORBIDDEN = {
    "drivers": {"bench_app", "ui", "PySide6", "pyqtgraph", "shiboken6"},
    "bench_app": {"ui", "PySide6", "pyqtgraph", "shiboken6"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_upward_or_qt_imports(package):
    offenders = {
        str(p.relative_to(ROOT)): sorted(_imports(p) & FORBIDDEN[package])
        for p in (ROOT / package).rglob("*.py")
        if _imports(p) & FORBIDDEN[package]
    }
    assert offenders == {}


def test_gui_command_is_a_plugin():
    assert "ui.cli" in plugin_modules()
    without = build_parser(plugins=[])
    with pytest.raises(SystemExit):
        without.parse_args(["gui"])
    assert build_parser(plugins=["ui.cli"]).parse_args(["gui", "--smoke-test"]).smoke_test
