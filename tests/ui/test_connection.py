"""Connection panel + worker thread: connect, identity, profile stored first, cancel, lost link."""

from __future__ import annotations

import threading

from PySide6.QtCore import QDate

from ui.panels.connection import ConnectionPanel


def _panel(qtbot, ctx):
    panel = ConnectionPanel(ctx)
    qtbot.addWidget(panel)
    panel.port_combo.setEditText("socket://127.0.0.1:1")
    panel.from_date.setDate(QDate(2026, 11, 2))  # 7 GMT settlement days, both ends included
    panel.to_date.setDate(QDate(2026, 11, 8))
    return panel


class Turnstile:
    """A gate for the fake meter: open while ``free``, else one block per :meth:`allow`."""

    def __init__(self) -> None:
        self.free = True
        self._permits = threading.Semaphore(0)

    def wait(self, timeout: float) -> bool:
        return True if self.free else self._permits.acquire(timeout=timeout)

    def allow(self, n: int) -> None:
        self._permits.release(n)


def _connect(qtbot, panel):
    panel.connect_meter()
    qtbot.waitUntil(lambda: panel.result_labels["serial"].text() == "FAKE-0001", timeout=5000)
    qtbot.waitUntil(lambda: not panel.ctx.port.busy, timeout=5000)


def test_connect_identity_clock_and_profile_are_stored(qtbot, ctx, fake_meter_factory):
    panel = _panel(qtbot, ctx)
    _connect(qtbot, panel)
    assert ctx.status["state"] == "connected"
    assert "12.0 s ahead" in panel.result_labels["deviation"].text()
    blocks = []
    panel.profile_block.connect(blocks.append)
    with qtbot.waitSignal(panel.profile_done, timeout=10000) as sig:
        panel.read_profile()
    result = sig.args[0]
    assert result["rows"] == 7 * 48
    assert sum(len(b["rows"]) for b in blocks) == 7 * 48
    readings = ctx.store.readings(result["collection_id"])
    assert len(readings) == 7 * 48 * 2  # two channels, stored before emitted
    assert ctx.store.clock_observations(ctx.session_id)
    assert panel.progress.value() == 100


def test_cancel_keeps_stored_blocks_and_offers_resume(qtbot, ctx, fake_meter_factory):
    made, settings = fake_meter_factory
    gate = Turnstile()
    settings.update(gate=gate, block_rows=48)
    panel = _panel(qtbot, ctx)
    _connect(qtbot, panel)
    gate.free = False  # from now on the meter answers one block per permit
    rows_seen = []
    panel.profile_block.connect(lambda b: rows_seen.extend(b["rows"]))
    panel.read_profile()
    gate.allow(1)
    qtbot.waitUntil(lambda: len(rows_seen) >= 48, timeout=5000)
    panel.cancel()
    gate.allow(1)  # the block in flight when Cancel was pressed
    qtbot.waitUntil(lambda: not ctx.port.busy, timeout=5000)
    gate.free = True
    assert panel.resume_btn.isVisibleTo(panel)
    assert "cancelled" in panel.message.label.text().lower()
    cid = ctx.port.worker.last_collection_id
    kept = len({r.start for r in ctx.store.readings(cid)})
    assert 48 <= kept < 7 * 48
    with qtbot.waitSignal(panel.profile_done, timeout=10000):
        panel.resume()
    assert len({r.start for r in ctx.store.readings(cid)}) == 7 * 48


def test_lost_connection_mid_read_keeps_blocks_and_resumes(qtbot, ctx, fake_meter_factory):
    made, settings = fake_meter_factory
    settings.update(fail_after_blocks=3)
    panel = _panel(qtbot, ctx)
    _connect(qtbot, panel)
    panel.read_profile()
    qtbot.waitUntil(lambda: panel.resume_btn.isVisibleTo(panel), timeout=5000)
    text = panel.message.label.text()
    assert "Connection lost" in text and "unplugged" in text and "Resume" in text
    assert "Traceback" not in text
    cid = ctx.port.worker.last_collection_id
    assert len({r.start for r in ctx.store.readings(cid)}) == 3 * 48
    settings.update(fail_after_blocks=None)
    ctx.port.worker.meter.fail_after_blocks = None
    with qtbot.waitSignal(panel.profile_done, timeout=10000):
        panel.resume()
    assert len({r.start for r in ctx.store.readings(cid)}) == 7 * 48
    (coll,) = ctx.store.collections(ctx.session_id)
    # the identity read on connect travels with the collection (report and equipment checks)
    assert coll["meta"]["identity"]["serial"] == panel.identity.serial


def test_wrong_password_is_an_inline_message(qtbot, ctx, fake_meter_factory):
    made, settings = fake_meter_factory
    settings.update(password_ok=False)
    panel = _panel(qtbot, ctx)
    panel.connect_meter()
    qtbot.waitUntil(lambda: panel.message.isVisibleTo(panel), timeout=5000)
    assert "Access refused" in panel.message.label.text()
    assert "password" in panel.message.label.text()
    assert ctx.status["state"] == "error"


def test_disconnect_stores_the_trace(qtbot, ctx, fake_meter_factory):
    panel = _panel(qtbot, ctx)
    _connect(qtbot, panel)
    panel.toggle_connection()
    assert ctx.port is None
    traces = ctx.store.traces(ctx.session_id)
    assert len(traces) == 1 and traces[0]["records"] >= 4
