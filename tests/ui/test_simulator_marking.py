"""A session whose meter was the built-in simulator says so in the window: the GUI's own
connections and checklist runs record the bench through bench_app (the CLI's function)."""

from __future__ import annotations

from types import SimpleNamespace

from bench_app.store.records import is_simulator_session, record_bench
from tests.ui.fakes import session_window


class _Control:
    def state(self) -> dict:
        return {"serial": "PRO-SIM-000123"}


_window = session_window


def test_badge_follows_the_sessions_bench_record(qtbot, ctx):
    w = _window(qtbot, ctx)
    assert not w.sidebar.sim_badge.isVisible()
    record_bench(ctx.store, ctx.session_id, simulator=True, meter="prometer100")
    ctx.data_changed.emit("session")
    assert w.sidebar.sim_badge.isVisible() and w.sidebar.simulated
    assert "SIMULATOR" in w.sidebar.sim_badge.text()
    # a real port recorded later does not unmark evidence that came from a simulator
    record_bench(ctx.store, ctx.session_id, simulator=False, port="COM3", protocol="dlms")
    ctx.data_changed.emit("session")
    assert w.sidebar.sim_badge.isVisible()
    assert is_simulator_session(ctx.store, ctx.session_id)
    # another session without simulated evidence shows no badge
    other = ctx.store.create_session("REAL-1", "protocol-approval")
    record_bench(ctx.store, other, simulator=False, port="COM3", protocol="dlms")
    assert not is_simulator_session(ctx.store, other)


def test_record_bench_writes_only_changes(store, session_id):
    assert record_bench(store, session_id, simulator=True, meter="X", port="tcp://a")
    assert not record_bench(store, session_id, simulator=True, meter="X", port="tcp://a")
    assert store.session_records(session_id)["bench"]["simulator"] is True


def test_connecting_to_the_simulator_records_and_shows_it(qtbot, ctx, fake_meter_factory):
    w = _window(qtbot, ctx)
    url = "socket://127.0.0.1:4059"
    panel = w.connection
    proto = panel.protocol_combo.currentData()[0]
    ctx.sim = SimpleNamespace(url=url, protocol=proto, control=_Control(), stop=lambda: None)
    panel.sim_check.setChecked(True)
    panel.connect_meter()
    qtbot.waitUntil(lambda: panel.result_labels["serial"].text() == "FAKE-0001", timeout=5000)
    qtbot.waitUntil(lambda: not ctx.port.busy, timeout=5000)
    bench = ctx.store.session_records(ctx.session_id)["bench"]
    assert bench["simulator"] is True and bench["port"] == url
    assert bench["meter"] == "PRO-SIM-000123" and bench["protocol"] == proto
    assert w.sidebar.sim_badge.isVisible()
    ctx.sim = None  # a stand-in: nothing to stop
    ctx.close_port()  # while the panels still exist


def test_checklist_run_on_a_real_port_records_the_port(qtbot, ctx, monkeypatch):
    """The checklist's own run records the bench before its steps (here a port, no simulator;
    the worker itself is not started)."""
    from drivers.meter import ConnectOptions

    w = _window(qtbot, ctx)
    chk = w.checklist
    chk.meter_setup = lambda: ("iec21", ConnectOptions(url="COM7", baud=9600))
    started: list = []
    monkeypatch.setattr("ui.panels.checklist.QThread.start", lambda self: started.append(self))
    chk.run_steps(["DR2-2"])
    bench = ctx.store.session_records(ctx.session_id)["bench"]
    assert bench["simulator"] is False and bench["port"] == "COM7"
    assert bench["framing"] == "IEC 62056-21 mode C" and bench["baud"] == 9600
    assert not w.sidebar.sim_badge.isVisible()
    chk._stop_thread()
