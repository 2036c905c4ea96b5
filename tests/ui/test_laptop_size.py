"""The window fits a laptop: minimum size at most 1280x720 logical pixels (1366x768 at 100 %,
1920x1080 at 150 %) with a session open, on every tab, after the panels were filled."""

from __future__ import annotations

from types import SimpleNamespace

LIMIT = (1280, 720)


def test_minimum_size_fits_1280x720_on_every_tab(qtbot, ctx, fake_meter_factory):
    from ui.main_window import MainWindow

    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    w.open_session(ctx.session_id)
    # fill the panels as normal use does: a connection with identity and clock read
    panel = w.connection
    panel.port_combo.setEditText("socket://127.0.0.1:4059")
    panel.connect_meter()
    qtbot.waitUntil(lambda: panel.identity is not None, timeout=5000)
    qtbot.waitUntil(lambda: not ctx.port.busy, timeout=5000)
    w.checklist.template_combo.setCurrentIndex(0)
    w.checklist.steps.setCurrentRow(0)
    for i in range(w.tabs.count()):
        w.tabs.setCurrentIndex(i)
        qtbot.wait(20)
        hint = w.minimumSizeHint()
        size = SimpleNamespace(
            w=max(hint.width(), w.minimumWidth()), h=max(hint.height(), w.minimumHeight())
        )
        assert size.w <= LIMIT[0] and size.h <= LIMIT[1], (w.tabs.tabText(i), size)
    w.resize(*LIMIT)
    qtbot.wait(20)
    assert (w.width(), w.height()) == LIMIT  # the window really takes that size
    # the sidebar collapses for more room, and comes back
    w.toggle_sidebar()
    assert not w.sidebar.isVisible()
    w.toggle_sidebar()
    assert w.sidebar.isVisible()
    ctx.close_port()


def test_menu_bar_has_the_desktop_menus(qtbot, ctx):
    from ui.main_window import MainWindow

    w = MainWindow(ctx)
    qtbot.addWidget(w)
    titles = [a.text().replace("&", "") for a in w.menuBar().actions()]
    assert titles == ["File", "Session", "View", "Tools", "Help"]
    acts = w.actions_by_name
    assert acts["quit"].shortcut().toString() and acts["run"].shortcut().toString() == "F5"
    assert acts["sidebar"].shortcut().toString() == "Ctrl+B"
