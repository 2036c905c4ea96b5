"""The None-refcount guard is applied exactly where the installed PySide6 leaks."""

from __future__ import annotations

import sys

import pytest

from ui.qtfix import affected


def _none_drift(qapp, calls: int = 200) -> int:
    from PySide6.QtWidgets import QGraphicsRectItem

    item = QGraphicsRectItem(0, 0, 1, 1)
    item.update()
    before = sys.getrefcount(None)
    for _ in range(calls):
        item.update()  # a void C++ method: must not change None's reference count
    return sys.getrefcount(None) - before


def test_a_leaking_pyside_is_always_guarded(qapp):
    drift = _none_drift(qapp)
    if drift:
        assert affected(), f"PySide6 leaks {drift} refs to None per 200 calls but is not guarded"


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="singletons are immortal from 3.12")
def test_affected_versions():
    assert affected("6.12.0") and affected("6.13.1")
    assert not affected("6.11.3") and not affected("6.9.3")
