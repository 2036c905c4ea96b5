"""The trace panel a witness can read: decoded column, highlighted bad frames and refusals,
the selected record's decoded tree beside its hex, a source list that is never clipped."""

from __future__ import annotations

from PySide6.QtCore import Qt

from drivers.dlms.hdlc import encode_frame, server_address
from drivers.trace import Trace
from ui.panels.trace import LEVEL_STYLE, TracePanel

SERVER = server_address(1, 17, 4)
AARE_REJECTED = bytes.fromhex(
    "E6E700 6129A109060760857405080101A203020101A305A10302010DBE10040E0800065F1F040000181D00EF0007"
)


def _trace() -> Trace:
    trace = Trace()
    trace.add("tx", encode_frame(SERVER, 0x21, 0x93), baud=9600, line="8N1")
    bad = bytearray(encode_frame(0x21, SERVER, 0x73))
    bad[-2] ^= 0xFF  # FCS wrong
    trace.add("rx", bytes(bad), baud=9600, line="8N1")
    trace.add("rx", encode_frame(0x21, SERVER, 0x30, AARE_REJECTED), baud=9600, line="8N1")
    return trace


def test_bad_frames_and_refusals_are_highlighted(qtbot):
    panel = TracePanel()
    qtbot.addWidget(panel)
    panel.set_trace(_trace())
    m = panel.model

    def background(row: int):
        return m.data(m.index(row, 5), Qt.ItemDataRole.BackgroundRole).color()

    assert m.level(1) == "bad" and background(1) == LEVEL_STYLE["bad"][1]
    assert m.summary(2) == "AARE: rejected — authentication failure"
    assert background(2) == LEVEL_STYLE["refused"][1]
    assert background(0) not in (LEVEL_STYLE["bad"][1], LEVEL_STYLE["refused"][1])
    assert "1 bad frame(s), 1 refusal(s)" in panel.count_label.text()


def test_selected_record_shows_its_tree_beside_the_hex(qtbot):
    panel = TracePanel()
    qtbot.addWidget(panel)
    panel.resize(1100, 700)
    panel.show()
    panel.set_trace(_trace())
    panel.table.selectRow(2)
    tops = [panel.tree.topLevelItem(i).text(0) for i in range(panel.tree.topLevelItemCount())]
    assert tops[0] == "AARE: rejected — authentication failure"
    assert any(t.startswith("HDLC I") for t in tops)
    assert panel.detail.toPlainText().startswith("0000  7E A0")
    # beside, not below: the tree and the hex share the same row of the splitter
    assert panel.tree.geometry().top() == panel.detail.geometry().top()
    longest = max(panel.detail.toPlainText().splitlines(), key=len)
    assert panel.detail.width() >= panel.detail.fontMetrics().horizontalAdvance(longest)


def test_the_source_label_is_not_clipped(qtbot, ctx):
    label = "identity, clock, registers and a wrong password on a flaky optical head (COM7)"
    ctx.store.add_trace(ctx.session_id, _trace(), label=label)
    panel = TracePanel(ctx)
    qtbot.addWidget(panel)
    panel.resize(1100, 700)
    panel.show()
    panel.reload_sources()
    text = panel.source_combo.currentText()
    assert label in text and panel.source_combo.toolTip() == text
    needed = panel.source_combo.fontMetrics().horizontalAdvance(text)
    assert panel.source_combo.width() > needed


def test_times_are_gb_local_with_zone_and_utc_beside(qtbot):
    from datetime import UTC, datetime

    panel = TracePanel()
    qtbot.addWidget(panel)
    trace = Trace()
    trace.add("tx", encode_frame(SERVER, 0x21, 0x93))
    summer = datetime(2026, 7, 1, 9, 30, 5, 250000, tzinfo=UTC)  # 10:30:05 BST
    trace.records[0].wall_ns = int(summer.timestamp() * 1e9)
    panel.set_trace(trace)
    m = panel.model
    assert m.headerData(1, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole) == (
        "Time (GB local)"
    )
    assert m.data(m.index(0, 1), Qt.ItemDataRole.DisplayRole) == "10:30:05.250 BST"
    assert "(09:30:05 UTC)" in m.data(m.index(0, 1), Qt.ItemDataRole.ToolTipRole)
