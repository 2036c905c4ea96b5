"""The engine's stimulus questions become forms with buttons that say what they do."""

from __future__ import annotations

from datetime import UTC, datetime

from ui.checklist_worker import countdown_text
from ui.stimulus_form import StimulusForm, parse_prompt


def test_prompts_become_requests():
    req = parse_prompt("DR4-1a: remove phase L2 — press Enter when done")
    assert (req.step, req.kind, req.done_label) == ("DR4-1a", "do", "Phase L2 removed")
    assert "L2" in req.shows and req.safety
    assert parse_prompt("DR4-1a: restore phase L2 — press Enter when done").done_label == (
        "Phase L2 restored"
    )
    wait = parse_prompt(
        "DR4-2: 2026-12-07 SP 7, 03:00–03:30 GMT (UTC 03:00–03:30) closes in 15 min — press "
        "Enter to wait, or type 'later' to leave this step and re-run it after the period closed"
    )
    assert wait.kind == "wait" and "closes in 15 min" in wait.instruction


def test_form_answers_say_who_and_why(qtbot, monkeypatch):
    form = StimulusForm(parse_prompt("DR4-1a: remove phase L1 — press Enter when done"), "A. T")
    qtbot.addWidget(form)
    got: list[str] = []
    form.answered.connect(got.append)
    assert form.done_btn.text() == "Phase L1 removed" and not form.done_btn.autoDefault()
    form.done_btn.click()
    assert got == ["done by A. T"]
    skip = StimulusForm(parse_prompt("DR4-1a: remove phase L1 — press Enter when done"), "")
    qtbot.addWidget(skip)
    skip.answered.connect(got.append)
    monkeypatch.setattr(
        "ui.stimulus_form.QInputDialog.getText", lambda *a, **k: ("rig isolator broken", True)
    )
    skip.skip_btn.click()
    assert got[-1] == "skip: rig isolator broken"


def test_countdown_names_the_period_and_time_left():
    now = datetime(2026, 12, 7, 2, 17, 26, tzinfo=UTC)
    assert countdown_text(754, now) == "SP 5 (07 Dec) closes 02:30:00 GMT — 12:34"
    assert countdown_text(3 * 3600 + 5, now).endswith("— 3:00:05")
