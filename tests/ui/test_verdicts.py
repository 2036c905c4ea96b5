"""Honest verdicts: no default verdict, a failed step looks failed, kinds and titles are shown,
evidence references open the evidence, and the overall result is always in the sidebar."""

from __future__ import annotations

from bench_app.checklist import ChecklistEngine, find_template

TEMPLATE = "bscp601-protocol-cop1-2-3-5-10"


def _panel(qtbot, ctx):
    from ui.main_window import MainWindow

    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.open_session(ctx.session_id)
    panel = w.checklist
    panel.template_combo.setCurrentIndex(panel.template_combo.findData(TEMPLATE))
    return w, panel


def _row(panel, step):
    return next(i for i, r in enumerate(panel.rows) if r["step"] == step)


def test_default_verdict_is_empty_and_recording_needs_a_choice(qtbot, ctx):
    w, panel = _panel(qtbot, ctx)
    panel.steps.setCurrentRow(_row(panel, "DR2-1"))
    assert panel.verdict_combo.currentData() is None
    assert "choose" in panel.verdict_combo.currentText()
    panel.actual_edit.setPlainText("refused")
    panel.by_edit.setText("A. Tester")
    panel.record_result()
    assert "Choose a verdict" in panel.message.label.text()
    assert panel.rows[_row(panel, "DR2-1")]["verdict"] == "not-run"  # nothing was recorded
    # choosing a verdict on one step never carries over to the next one
    panel.verdict_combo.setCurrentText("pass")
    panel.steps.setCurrentRow(_row(panel, "DR2-2"))
    assert panel.verdict_combo.currentData() is None


def test_a_fail_shows_the_fail_style_everywhere(qtbot, ctx):
    w, panel = _panel(qtbot, ctx)
    i = _row(panel, "DR2-1")
    panel.steps.setCurrentRow(i)
    panel.actual_edit.setPlainText("data returned with the wrong password")
    panel.verdict_combo.setCurrentText("fail")
    panel.by_edit.setText("A. Tester")
    panel.record_result()
    panel.steps.setCurrentRow(i)
    assert panel.rows[i]["verdict"] == "fail"
    assert panel.banner_verdict() == "FAIL"
    assert "#b02a2a" in panel.banner.styleSheet()
    assert "FAIL" in panel.detail.text() and "#b02a2a" in panel.detail.text()
    item = panel.steps.item(i)
    assert item.foreground().color().name() == "#b02a2a" and item.font().bold()
    assert "FAIL" in item.text()
    # the overall result in the sidebar follows the report's rule: any fail fails the session
    assert w.sidebar.overall_status == "FAIL"
    assert "DR2-1" in w.sidebar.overall.text()
    assert w.sidebar.overall.isVisibleTo(w)


def test_pass_is_green_and_manual_and_automatic_steps_are_marked(qtbot, ctx):
    w, panel = _panel(qtbot, ctx)
    assert panel.template_combo.currentText() == find_template(TEMPLATE).title
    kinds = {r["kind"] for r in panel.rows}
    assert "automatic" in kinds
    texts = [panel.steps.item(i).text() for i in range(panel.steps.count())]
    for r, text in zip(panel.rows, texts):
        assert ("MANUAL" in text) == (r["kind"] in ("manual", "attachment"))
        assert ("AUTO" in text) == (r["kind"] in ("automatic", "stimulus"))
    assert w.sidebar.overall_status == "INCOMPLETE"  # no run yet: the report's rule
    assert "no checklist run" in w.sidebar.overall.text()
    i = _row(panel, "DR2-2")
    panel.steps.setCurrentRow(i)
    assert panel.banner_verdict() == "NOT RUN"
    panel.actual_edit.setPlainText("granted")
    panel.verdict_combo.setCurrentText("pass")
    panel.by_edit.setText("A. Tester")
    panel.record_result()
    panel.steps.setCurrentRow(i)
    assert panel.banner_verdict() == "PASS" and "#1e7b34" in panel.banner.styleSheet()
    assert w.sidebar.overall_status == "INCOMPLETE"


def test_evidence_references_are_links_that_open_the_evidence(qtbot, ctx):
    from drivers.model import Channel, ProfileRow

    w, panel = _panel(qtbot, ctx)
    cid = ctx.store.new_collection(ctx.session_id, "bench", protocol="dlms")
    from datetime import UTC, datetime

    ctx.store.add_profile_block(
        cid,
        [Channel("1.0.1.29.0.255", "kWh")],
        [ProfileRow(datetime(2026, 7, 1, tzinfo=UTC), [1.0])],
    )
    eng = ChecklistEngine(ctx.store, ctx.session_id, find_template(TEMPLATE), by="test")
    eng.record("DR1-1", "collected", "pass", by="bench", evidence={"collection_ids": [cid]})
    panel.reload()
    panel.steps.setCurrentRow(_row(panel, "DR1-1"))
    assert f"href='collection:{cid}'" in panel.detail.text()
    panel.detail.linkActivated.emit(f"collection:{cid}")
    assert w.current_panel() is w.profile
    assert w.profile.collection_combo.currentData() == cid


def test_sidebar_shows_the_reports_overall_result_when_one_step_ran(qtbot, ctx):
    """One step run (and passed) of many: INCOMPLETE, exactly as overall_result says."""
    from bench_app.checklist.verdict import overall_result

    w, panel = _panel(qtbot, ctx)
    eng = ChecklistEngine(ctx.store, ctx.session_id, find_template(TEMPLATE), by="test")
    eng.record("DR2-2", "granted", "pass", by="bench")
    panel.reload()  # results_changed → the sidebar recomputes
    res = overall_result(ctx.store, ctx.session_id)
    assert res.status == "INCOMPLETE"
    assert w.sidebar.overall_status == res.status
    text = w.sidebar.overall.text()
    assert "Overall result: INCOMPLETE" in text
    not_run = sum(1 for s in res.steps if s.verdict == "not-run")
    assert f"{not_run} of {len(res.steps)} steps not run" in text
    assert "not confirmed by the tester and witness" in text
    assert w.sidebar.overall.toolTip().count("\n") >= len(res.reasons)  # every reason there
    # a failed step turns the same sidebar to FAIL, again as the report's function says
    eng.record("DR2-1", "data returned with the wrong password", "fail", by="A. Tester")
    panel.reload()
    assert w.sidebar.overall_status == overall_result(ctx.store, ctx.session_id).status == "FAIL"
    assert "DR2-1 failed" in w.sidebar.overall.text()


def test_a_revised_record_keeps_the_earlier_attempt_in_view(qtbot, ctx):
    """Recording a step again is a revision: the new attempt is the result, the earlier one
    (and its note) stays listed; the text typed for one step never carries over to another."""
    w, panel = _panel(qtbot, ctx)
    i = _row(panel, "DR2-1")
    for actual, verdict, note in (
        ("data returned", "fail", ""),
        ("refused: the first reading was of the wrong port", "pass", "wrong port at first"),
    ):
        panel.steps.setCurrentRow(i)
        panel.actual_edit.setPlainText(actual)
        panel.verdict_combo.setCurrentText(verdict)
        panel.note_edit.setText(note)
        panel.by_edit.setText("A. Tester")
        panel.record_result()
    panel.steps.setCurrentRow(i)
    row = panel.rows[i]
    assert row["verdict"] == "pass" and row["attempt"] == 2
    assert [e["verdict"] for e in row["earlier"]] == ["fail"]
    text = panel.detail.text()
    assert "Latest (attempt 2)" in text and "Earlier attempts (1, kept)" in text
    assert "attempt 1: <b>FAIL</b> — data returned" in text
    panel.actual_edit.setPlainText("typed for DR2-1")
    panel.note_edit.setText("a note")
    panel.steps.setCurrentRow(_row(panel, "DR2-2"))
    assert panel.actual_edit.toPlainText() == "" and panel.note_edit.text() == ""
    assert panel.detail_title.text().endswith("· AUTO")


def test_a_rehearsal_only_session_is_titled_and_never_a_pass(qtbot, ctx):
    """Every step of the meter-side rehearsal passed and both confirmed: the sidebar says
    "Meter-side rehearsal — not a protocol approval" and the result is not PASS."""
    from bench_app.checklist.verdict import REHEARSAL_TITLE

    engine = ChecklistEngine(ctx.store, ctx.session_id, find_template(TEMPLATE))
    for step in engine.template.steps:
        engine.record(step.id, "seen by the witness", "pass", by="A. Tester")
    engine.confirm("tester", "A. Tester")
    engine.confirm("witness", "B. Witness")
    w, _ = _panel(qtbot, ctx)
    w.sidebar.update_overall()
    assert w.sidebar.overall_status == "INCOMPLETE"
    assert REHEARSAL_TITLE in w.sidebar.overall.text().split("<br>")[1]
