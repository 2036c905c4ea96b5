"""Writes need intent and signing only what is finished: set clock asks (reason and name go
into the stored reading's note and the recorded write — the same bench_app operation as
``bench-app set-clock``; refused while a step runs or a witnessed run is open); render and sign
are disabled while a step runs; Enter in the passphrase field never signs; the first signature is
confirmed."""

from __future__ import annotations

from bench_app.meter_writes import meter_writes
from tests.ui.fakes import session_window
from ui.write_confirm import WriteConfirmDialog, WriteIntent

_window = session_window


def _connect(qtbot, ctx, w):
    panel = w.connection
    panel.port_combo.setEditText("socket://127.0.0.1:4059")
    panel.connect_meter()
    qtbot.waitUntil(lambda: panel.clock is not None, timeout=5000)
    qtbot.waitUntil(lambda: not ctx.port.busy, timeout=5000)
    return panel


def test_set_clock_asks_and_records_who_and_why(qtbot, ctx, fake_meter_factory):
    w = _window(qtbot, ctx)
    panel = _connect(qtbot, ctx, w)
    asked: list = []
    panel.ask_write = lambda *a: asked.append(a)  # cancelled: returns None
    before = len(ctx.store.clock_observations(ctx.session_id))
    panel.set_clock()
    assert asked and "clock-change event" in asked[0][2]
    qtbot.wait(200)
    assert len(ctx.store.clock_observations(ctx.session_id)) == before  # nothing written
    panel.ask_write = lambda *a: WriteIntent("A. Tester", "meter 15 min fast before DR1-1")
    panel.set_clock()
    qtbot.waitUntil(
        lambda: len(ctx.store.clock_observations(ctx.session_id)) > before, timeout=5000
    )
    note = ctx.store.clock_observations(ctx.session_id)[-1]["note"]
    assert "by A. Tester" in note and "meter 15 min fast before DR1-1" in note
    ctx.close_port()


def test_writes_are_refused_while_a_step_runs(qtbot, ctx, fake_meter_factory):
    w = _window(qtbot, ctx)
    panel = _connect(qtbot, ctx, w)
    w._on_running(True)
    asked: list = []
    panel.ask_write = lambda *a: asked.append(a)
    panel.set_clock()
    assert not asked and "step is running" in panel.message.label.text()
    # the report can be neither rendered nor signed meanwhile, and says why
    assert not w.report.render_btn.isEnabled() and not w.report.sign_btn.isEnabled()
    assert "running" in w.report.sign_btn.toolTip()
    w._on_running(False)
    assert w.report.render_btn.isEnabled()
    ctx.close_port()


def test_confirm_dialog_needs_reason_and_name_and_enter_never_writes(qtbot):
    dlg = WriteConfirmDialog("Set the meter clock?", "clock", "event")
    qtbot.addWidget(dlg)
    ok = dlg.buttons.button(dlg.buttons.StandardButton.Ok)
    assert not ok.isEnabled()
    dlg.reason_edit.setText("why")
    dlg.by_edit.setText("who")
    assert ok.isEnabled() and not ok.isDefault()
    assert dlg.intent().note("clock set") == "clock set by who — reason: why"


def test_sign_button_off_while_running_and_enter_does_not_sign(qtbot, ctx, monkeypatch):
    w = _window(qtbot, ctx)
    rep = w.report
    signed: list = []
    monkeypatch.setattr("ui.panels.report.jobs.sign", lambda *a, **k: signed.append(a))
    rep.key_edit.setText("/nonexistent/key.p12")
    rep.pass_edit.setText("secret")
    qtbot.keyClick(rep.pass_edit, "\r")  # Enter in the passphrase field
    qtbot.wait(100)
    assert not signed and rep.pass_edit.text() == "secret"
    # the first signature asks, with the overall result and what is missing
    asked: list = []
    rep.confirm_first_signature = lambda role: asked.append(role) or False
    rep.sign()
    assert asked == ["tester"] and not signed
    sheet = rep.first_signature_sheet()
    assert "Overall result" in sheet and "witness (participant)" in sheet


def test_render_and_sign_off_while_a_meter_read_runs(qtbot, ctx, fake_meter_factory):
    w = _window(qtbot, ctx)
    _connect(qtbot, ctx, w)
    rep, port = w.report, ctx.port
    assert rep.render_btn.isEnabled() and rep.sign_btn.isEnabled()
    port.pending += 1  # a read is queued on the port's worker
    port.busy_changed.emit(True)
    assert not rep.render_btn.isEnabled() and not rep.sign_btn.isEnabled()
    assert "meter read is running" in rep.sign_btn.toolTip()
    assert rep.verify_btn.isEnabled()  # checking a signed report changes nothing
    port.pending -= 1
    port.busy_changed.emit(False)
    assert rep.render_btn.isEnabled() and rep.sign_btn.isEnabled()
    ctx.close_port()


def test_set_clock_from_the_window_is_a_recorded_write(qtbot, ctx, fake_meter_factory):
    w = _window(qtbot, ctx)
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
    w = _window(qtbot, ctx)
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
