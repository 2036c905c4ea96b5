"""The checklist panel before and during a run: the run's timeline (when to act, which SP
closes, when it is read, the expected waiting and the profile period's source) is shown before Run
is pressed, at 1280×720; while a step runs the run-state label names it (never "No run yet")."""

from __future__ import annotations

from drivers.meter import ConnectOptions
from tests.ui.fakes import FakeMeter

PROTOCOL = "bscp601-protocol-cop1-2-3-5-10"


def _panel(qtbot, ctx):
    from ui.panels.checklist import ChecklistPanel

    panel = ChecklistPanel(ctx)
    qtbot.addWidget(panel)
    panel.template_combo.setCurrentIndex(panel.template_combo.findData(PROTOCOL))
    panel.resize(1280, 720)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def test_the_timeline_is_shown_before_a_run(qtbot, ctx):
    panel = _panel(qtbot, ctx)
    assert panel.detail_tabs.currentWidget() is panel.timeline  # no run yet: the timeline
    assert panel.timeline.isVisible() and panel.timeline.tree.isVisible()
    summary = panel.timeline.summary.text()
    assert "If the run starts now" in summary and "of waiting" in summary
    # nothing in this session says the meter's period: said, not guessed
    assert "Profile period: unknown (no bench read" in summary
    dr41a = panel.timeline.step_text("DR4-1a")
    assert "waits 2 h" in dr41a and "remove phase L1, then restore it" in dr41a
    assert dr41a.count("act before ") == 4  # each phase's deadline: the end of its SP
    assert dr41a.count("SP closes") == 5 and "bench reads" in dr41a
    assert " UTC)" in dr41a and ("GMT" in dr41a or "BST" in dr41a)
    label = panel.run_label.text()
    assert label.startswith("No run yet · expected ") and " h " in label
    assert panel.minimumSizeHint().width() <= 1280 and panel.minimumSizeHint().height() <= 720
    # a step clicked shows its details; the timeline stays one click away
    panel.steps.itemClicked.emit(panel.steps.item(0))
    assert panel.detail_tabs.currentIndex() == 0


def test_the_run_state_names_the_running_step(qtbot, ctx, monkeypatch):
    """A stimulus step on a (fake) real meter waits for the tester's form: meanwhile the label
    says what runs, in the run that now exists."""
    def fake(proto, opts):
        return FakeMeter(protocol=proto, trace=opts.trace)

    monkeypatch.setattr("ui.checklist_worker.create_meter", fake)
    panel = _panel(qtbot, ctx)
    panel.meter_setup = lambda: ("dlms", ConnectOptions(url="COM7", password="HHDC2PASS"))
    panel.steps.setCurrentRow([r["step"] for r in panel.rows].index("DR4-2"))
    panel.run_selected()
    qtbot.waitUntil(lambda: panel._form is not None, timeout=30000)  # asked to remove the battery
    label = panel.run_label.text()
    assert panel.detail_tabs.currentIndex() == 0  # the run started: the Step tab
    assert "No run yet" not in label
    assert label.startswith("Running DR4-2 (step 1 of 1) · Run #"), label
    assert panel.stop(30000)
    assert not panel.running
    assert panel.run_label.text().startswith("Run #") and "Running" not in panel.run_label.text()

    def dr42() -> dict:
        return next(r for r in panel.rows if r["step"] == "DR4-2")

    qtbot.waitUntil(lambda: dr42()["attempt"] == 1)  # the finished run's results shown
    assert dr42()["verdict"] == "not-run" and "cancelled by the tester" in dr42()["actual"]
