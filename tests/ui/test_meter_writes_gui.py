"""The window's "Set clock" goes through the same bench_app operation as ``bench-app set-clock``:
the write is recorded with who and why (listed by the report), and it is refused while a
witnessed checklist run is open (the reason shown, nothing asked, nothing written)."""

from __future__ import annotations

from bench_app.meter_writes import meter_writes
from tests.ui.fakes import session_window
from ui.write_confirm import WriteIntent


def _connect(qtbot, ctx, w):
    panel = w.connection
    panel.port_combo.setEditText("socket://127.0.0.1:4059")
    panel.connect_meter()
    qtbot.waitUntil(lambda: panel.clock is not None, timeout=5000)
    qtbot.waitUntil(lambda: not ctx.port.busy, timeout=5000)
    return panel


def test_set_clock_from_the_window_is_a_recorded_write(qtbot, ctx, fake_meter_factory):
    w = session_window(qtbot, ctx)
    panel = _connect(qtbot, ctx, w)
    panel.ask_write = lambda *a: WriteIntent("A. Tester", "meter 12 s fast")
    panel.set_clock()
    qtbot.waitUntil(lambda: bool(meter_writes(ctx.store, ctx.session_id)), timeout=5000)
    (write,) = meter_writes(ctx.store, ctx.session_id)
    assert (write["by"], write["reason"], write["what"]) == ("A. Tester", "meter 12 s fast",
                                                             "clock")  # fmt: skip
    assert write["before"]["deviation_s"] != write["after"]["deviation_s"]
    assert "clock-change event" in write["leaves"]
    ctx.close_port()


def test_set_clock_is_refused_while_a_witnessed_run_is_open(qtbot, ctx, fake_meter_factory):
    ctx.store.start_checklist_run(ctx.session_id, "bscp601-witnessed", "1",
                                  frozen={"run_kind": "witnessed"})  # fmt: skip
    w = session_window(qtbot, ctx)
    panel = _connect(qtbot, ctx, w)
    asked: list = []
    panel.ask_write = lambda *a: asked.append(a)
    before = len(ctx.store.clock_observations(ctx.session_id))
    panel.set_clock()
    assert not asked and "witnessed run still open" in panel.message.label.text()
    qtbot.wait(200)
    assert len(ctx.store.clock_observations(ctx.session_id)) == before
    assert meter_writes(ctx.store, ctx.session_id) == []
    ctx.close_port()
