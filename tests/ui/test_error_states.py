"""Error states say what happened: a port that never opened is not a lost connection (no Resume,
the button offers Connect again), and every error shown is in the log."""

from __future__ import annotations

import logging
import socket


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once closed


def test_port_that_never_opened(qtbot, ctx, caplog):
    from ui.main_window import MainWindow

    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    panel = w.connection
    panel.port_combo.setEditText(f"socket://127.0.0.1:{_closed_port()}")
    with caplog.at_level(logging.WARNING, logger="ui"):
        panel.connect_meter()
        qtbot.waitUntil(lambda: ctx.port is None, timeout=15000)
    text = panel.message.label.text()
    assert "Port did not open" in text and "Connection lost" not in text
    assert "Resume" not in text and not panel.resume_btn.isVisibleTo(panel)
    assert panel.connect_btn.text() == "Connect"
    assert any("Port did not open" in r.getMessage() for r in caplog.records)
