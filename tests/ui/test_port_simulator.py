"""A simulator reached over a port is recorded as a simulator: ``bench-app simulate`` runs in
another process, the window connects to it by its socket:// URL (not the built-in simulator),
and the session wears the SIMULATOR badge, the PDF says SIMULATED on every page, and a later
``session set bench --port COM3`` does not remove the marking."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.bench_app.report.report_fixtures import pdftotext

pytestmark = pytest.mark.slow


@pytest.fixture
def simulator_process():
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench_app", "simulate", "--protocol", "dlms", "--days", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        first = proc.stdout.readline().strip() if proc.stdout else ""
        assert first.startswith("listening on "), first
        yield first.removeprefix("listening on ").strip()
    finally:
        proc.terminate()
        proc.wait(10)


def test_port_connected_simulator_is_marked_everywhere(qtbot, ctx, simulator_process, tmp_path):
    from bench_app.cli import main as cli_main
    from bench_app.report.data import collect_report_data
    from bench_app.report.render import render_report
    from bench_app.store.records import is_simulator_session
    from ui.main_window import MainWindow

    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    w.open_session(ctx.session_id)
    panel = w.connection
    assert not panel.sim_check.isChecked()  # a port, not the built-in simulator
    panel.port_combo.setEditText(simulator_process)
    panel.protocol_combo.setCurrentIndex(1)  # DLMS/COSEM over HDLC
    assert panel.protocol_combo.currentData() == ("dlms", False)
    panel.connect_meter()
    qtbot.waitUntil(
        lambda: panel.identity is not None or panel.message.isVisible(), timeout=20000
    )
    assert panel.identity is not None, panel.message.label.text()
    qtbot.waitUntil(lambda: not ctx.port.busy, timeout=20000)
    assert panel.identity.simulated  # the logical device name announces the simulator
    qtbot.waitUntil(lambda: w.sidebar.sim_badge.isVisible(), timeout=5000)
    ctx.close_port()  # the port session's trace is stored (marked simulated)
    store, sid = ctx.store, ctx.session_id
    assert store.simulated_evidence(sid) >= 2  # the clock reading and the trace at least
    assert store.verify(sid).ok  # the marks are inside the audit chain

    # the newest bench record now names a real port: the marking stays
    rc = cli_main(
        ["session", "set", "bench", str(sid), "--port", "COM3", "--db", str(store.path)]
    )
    assert rc == 0
    assert store.session_records(sid)["bench"]["simulator"] is False
    assert is_simulator_session(store, sid)
    pdf = render_report(collect_report_data(store, sid), tmp_path / "report.pdf")
    pages = pdftotext(pdf).split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) >= 2
    assert all("SIMULATED" in p for p in pages), [p[:200] for p in pages if "SIMULATED" not in p]
    ctx.data_changed.emit("session")
    assert w.sidebar.sim_badge.isVisible()
