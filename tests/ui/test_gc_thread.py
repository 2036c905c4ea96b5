"""The GUI collects cyclic garbage in its own thread only (a worker thread collecting garbage
that holds Qt wrappers crashed the process once, in a report-verify worker)."""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject


def test_the_application_collects_garbage_on_its_own_thread_only(qapp, qtbot):
    from ui.app import make_app

    app = make_app()
    assert not gc.isenabled()  # no collection triggered by whichever thread allocates
    assert app._wb_gc.timer.isActive()  # the GUI thread's timer does it instead

    class Cycle(QObject):
        pass

    freed: list[bool] = []
    obj = Cycle()
    obj.me = obj  # a reference cycle only the cyclic collector frees
    obj.destroyed.connect(lambda *_: freed.append(True))
    del obj
    busy = [[] for _ in range(3 * gc.get_threshold()[0])]  # past the youngest generation's limit
    qtbot.waitUntil(lambda: bool(freed), timeout=5000)  # collected by the timer, in this thread
    del busy
