"""What a witness sees on a laptop: nothing clipped at 1280x720, the status bar forgets a closed
port, errors said once, the equipment named once, events listed once with the reads that saw
them, controls that cannot act greyed out with the reason, and a revision that keeps its reason."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest
import serial
from PySide6.QtCore import QDate
from PySide6.QtWidgets import QScrollArea

from drivers.errors import TransportError, os_reason
from drivers.model import MeterEvent
from tests.ui.fakes import session_window

LIMIT = (1280, 720)


_window = session_window


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_every_tab_fits_1280x720_without_scrolling(qtbot, ctx, fake_meter_factory):
    """With a session, a connection and a profile read, no tab needs its scroll bars (a legend
    below the plot would otherwise sit off screen)."""
    w = _window(qtbot, ctx)
    panel = w.connection
    panel.port_combo.setEditText("socket://127.0.0.1:4059")
    panel.from_date.setDate(QDate(2026, 11, 2))
    panel.to_date.setDate(QDate(2026, 11, 3))
    panel.connect_meter()
    qtbot.waitUntil(lambda: panel.identity is not None, timeout=5000)
    qtbot.waitUntil(lambda: not ctx.port.busy, timeout=5000)
    with qtbot.waitSignal(panel.profile_done, timeout=10000):
        panel.read_profile()
    w.profile.reload_collections()
    w.resize(*LIMIT)
    clipped = []
    for i in range(w.tabs.count()):
        w.tabs.setCurrentIndex(i)
        views = w.profile.view_combo.count() if w.current_panel() is w.profile else 1
        for view in range(views):
            if w.current_panel() is w.profile:
                w.profile.view_combo.setCurrentIndex(view)
            qtbot.wait(30)
            scroll = w.tabs.widget(i)
            assert isinstance(scroll, QScrollArea)
            bars = (scroll.horizontalScrollBar(), scroll.verticalScrollBar())
            if any(b.isVisible() and b.maximum() > 0 for b in bars):
                size = (scroll.widget().height(), scroll.viewport().height())
                clipped.append((w.tabs.tabText(i), view, size))
    ctx.close_port()
    assert not clipped


def test_status_bar_forgets_a_closed_port(qtbot, ctx, fake_meter_factory):
    w = _window(qtbot, ctx)
    panel = w.connection
    panel.port_combo.setEditText("socket://127.0.0.1:4059")
    panel.connect_meter()
    qtbot.waitUntil(lambda: panel.identity is not None, timeout=5000)
    qtbot.waitUntil(lambda: not ctx.port.busy, timeout=5000)
    assert "4059" in w.status_labels["port"].text()
    panel.toggle_connection()  # disconnect
    qtbot.wait(600)  # the byte counter's timer runs once more
    assert w.status_labels["port"].text() == "Port: —"
    assert w.status_labels["protocol"].text() == "Protocol: —"
    assert "disconnected" in w.status_labels["state"].text()
    assert w.status_labels["bytes"].text() == "Bytes in 0 / out 0"


def test_a_port_that_never_opened_leaves_no_port_in_the_status_bar(qtbot, ctx):
    w = _window(qtbot, ctx)
    port = _closed_port()
    w.connection.port_combo.setEditText(f"socket://127.0.0.1:{port}")
    w.connection.connect_meter()
    qtbot.waitUntil(lambda: ctx.port is None, timeout=15000)
    assert str(port) not in w.status_labels["port"].text()
    text = w.connection.message.label.text()
    assert text.count(str(port)) == 1, text  # what and where, once
    assert "Errno" not in text


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (
            serial.SerialException(
                2, "could not open port /dev/ttyX: [Errno 2] No such file or directory: '/dev/ttyX'"
            ),
            "No such file or directory: '/dev/ttyX'",
        ),
        (serial.SerialException("read failed: socket disconnected"), "socket disconnected"),
        (OSError(5, "Input/output error"), "Input/output error"),
    ],
)
def test_os_errors_are_said_once(raw, reason):
    assert os_reason(raw) == reason


def test_cable_pulled_text_says_read_failed_once():
    """A real socket the far end closes (the cable pulled): one "read failed", where, no errno."""
    import threading

    from drivers.transport import SerialTransport

    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        closer = threading.Thread(target=lambda: srv.accept()[0].close())
        closer.start()
        t = SerialTransport(f"socket://127.0.0.1:{srv.getsockname()[1]}").open()
        closer.join(5)
        with pytest.raises(TransportError) as err:
            t.read_exactly(1, timeout=2, step="GET clock")
        t.close()
    text = str(err.value)
    assert text.count("read failed") == 1 and "socket disconnected" in text, text
    assert "step 'GET clock'" in text and "Errno" not in text


def test_identity_line_names_the_manufacturer_once():
    from ui.panels.session_forms import eut_line

    line = eut_line({"outstation_type": "GEN", "model": "GEN HH-4", "serials": ["GEN-1"]})
    assert line == "EUT: GEN HH-4 (GEN-1)"
    line = eut_line({"outstation_type": "PRO", "model": "Prometer 100", "serials": []})
    assert line == "EUT: PRO Prometer 100"


def test_events_read_twice_are_listed_once_with_the_reads(qtbot, ctx):
    from ui.panels.events import EventsPanel

    store, sid = ctx.store, ctx.session_id
    t = datetime(2026, 12, 6, 7, 10, tzinfo=UTC)
    ids = []
    for _ in range(2):
        cid = store.new_collection(sid, "bench", "dlms")
        store.add_events(cid, [MeterEvent(t, 1, "Phase failure L1")])
        ids.append(cid)
    panel = EventsPanel(ctx)
    qtbot.addWidget(panel)
    panel.reload()
    assert panel.table.rowCount() == 1
    assert panel.table.item(0, 6).text() == f"#{ids[0]}, #{ids[1]}"
    assert panel.table.horizontalHeaderItem(6).text() == "Seen in reads"


def test_controls_that_cannot_act_say_why(qtbot, ctx):
    w = _window(qtbot, ctx)
    # not connected: reading the meter is greyed out, with the reason
    for b in (w.connection.clock_btn, w.connection.profile_btn, w.events.read_btn):
        assert not b.isEnabled() and "Connection tab" in b.toolTip()
    # no session: nothing can be recorded
    sid = ctx.session_id
    w.open_session(None)
    w.checklist.reload()
    for b in (w.sidebar.part_btn, w.checklist.run_all_btn, w.checklist.record_btn):
        assert not b.isEnabled() and "Open a session" in b.toolTip()
    w.sync_actions()
    assert not w.actions_by_name["participant"].isEnabled()
    # a locked session: read-only, saying so
    ctx.store.lock_session(sid, "Bob Witness")
    w.open_session(sid)
    w.checklist.reload()
    for b in (w.sidebar.equip_btn, w.checklist.record_btn, w.checklist.confirm_btn):
        assert not b.isEnabled() and "locked" in b.toolTip()


def test_a_revised_manual_result_needs_a_reason_and_keeps_the_first(qtbot, ctx):
    w = _window(qtbot, ctx)
    chk = w.checklist
    chk.template_combo.setCurrentIndex(0)
    chk.reload()
    row = 0  # any step can be recorded by hand
    chk.steps.setCurrentRow(row)
    step = chk.rows[row]["step"]

    def record(actual: str, note: str = "") -> None:
        chk.actual_edit.setPlainText(actual)
        chk.verdict_combo.setCurrentIndex(chk.verdict_combo.findData("pass"))
        chk.note_edit.setText(note)
        chk.record_btn.click()

    record("rating plate as declared")
    chk.steps.setCurrentRow(row)
    assert "Revise" in chk.record_btn.text()
    record("rating plate as declared, serial re-read")  # no reason: refused, nothing recorded
    assert "reason" in chk.message.label.text()
    eng = chk.engine()
    assert eng is not None
    attempts = [r for r in eng.results() if r["step"] == step]
    assert attempts[0]["attempt"] == 1
    chk.steps.setCurrentRow(row)
    record("rating plate as declared, serial re-read", "serial misread at first")
    (res,) = [r for r in chk.engine().results() if r["step"] == step]
    assert res["attempt"] == 2 and "Revision of attempt 1: serial misread" in res["note"]
    assert res["earlier"][0]["actual"] == "rating plate as declared"


def test_empty_states_instead_of_empty_axes(qtbot, ctx):
    w = _window(qtbot, ctx)
    w.show_panel(w.profile)
    w.profile.reload_collections()
    assert w.profile.empty.isVisible() and not w.profile.stack.isVisible()
    assert "Read profile" in w.profile.empty.text()
    w.show_panel(w.live)
    assert w.live.plot_stack.currentWidget() is w.live.empty and w.live.empty.isVisible()
    assert not w.live.start_btn.isEnabled() and "Connection tab" in w.live.start_btn.toolTip()
    w.live.feed(1.0e9, {"V1": 230.0})
    assert w.live.plot_stack.currentWidget() is w.live.glw
    w.live.clear()
    assert w.live.plot_stack.currentWidget() is w.live.empty


def test_tab_order_of_the_record_form(qtbot, ctx):
    """Tab walks the record form in reading order, and leaves the multi-line Actual field."""
    from PySide6.QtCore import Qt

    w = _window(qtbot, ctx)
    chk = w.checklist
    chk.template_combo.setCurrentIndex(0)
    chk.reload()
    w.show_panel(chk)
    order = [chk.actual_edit, chk.verdict_combo, chk.by_edit, chk.note_edit, chk.record_btn]
    chk.actual_edit.setFocus()
    qtbot.waitUntil(chk.actual_edit.hasFocus, timeout=2000)
    for here, there in zip(order, order[1:]):
        assert here.hasFocus()
        qtbot.keyClick(here, Qt.Key.Key_Tab)
        qtbot.waitUntil(there.hasFocus, timeout=2000)
    assert "\t" not in chk.actual_edit.toPlainText()


def test_a_long_overall_result_is_cut_to_three_reasons_never_mid_line(qtbot, ctx):
    w = _window(qtbot, ctx)
    reasons = [f"reason {i}" for i in range(6)]
    w.sidebar.set_overall("FAIL", reasons)
    text = w.sidebar.overall.text()
    assert "reason 2" in text and "reason 3" not in text and "3 more" in text
    assert all(r in w.sidebar.overall.toolTip() for r in reasons)
