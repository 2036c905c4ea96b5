"""The observer panel: the HHDC's system and the meter, live in both directions and decoded, each
call stored in the session as an observed trace tagged with the step (real relay, real
simulator, the simulated HHDC's client dialling the panel's address)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from drivers.sim import SimOptions, start_simulator
from drivers.sim.hhdc import SimHhdc

pytestmark = pytest.mark.slow


def test_live_both_directions_decoded_and_stored(qtbot, ctx, tmp_path):
    from ui.panels.observer import ObserverPanel

    sim = start_simulator("dlms", options=SimOptions(meter="prometer100", days=1))
    panel = ObserverPanel(ctx)
    qtbot.addWidget(panel)
    try:
        panel.meter_edit.setText(sim.url)
        panel.step_edit.setText("DR2-2")
        url = panel.start()
        assert url.startswith("socket://") and url in panel.address.text()
        now = datetime.fromisoformat(str(sim.meter.state()["meter_time"]))
        end = now.replace(minute=0, second=0, microsecond=0)
        SimHhdc(url, "dlms", "HHDC2PASS", 48, out_dir=tmp_path).collect(
            "DR2-2", end - timedelta(hours=2), end)
        qtbot.waitUntil(lambda: panel.exchanges.count() > 0, timeout=10000)
        directions = {panel.table.item(r, 1).text() for r in range(panel.table.rowCount())}
        assert directions == {"HHDC → meter", "meter → HHDC"}
        listed = [panel.exchanges.item(i).text() for i in range(panel.exchanges.count())]
        assert any("association client SAP 48" in t and "accepted" in t for t in listed)
        assert any("SPs returned" in t for t in listed)
    finally:
        panel.stop()
        sim.stop()
    observed = [t for t in ctx.store.traces(ctx.session_id)
                if t["label"].startswith("observed HHDC ↔ meter [DR2-2]")]  # fmt: skip
    assert observed and not panel.stop_btn.isEnabled()


def test_no_meter_port_is_said_and_nothing_starts(qtbot, ctx):
    from ui.panels.observer import ObserverPanel

    panel = ObserverPanel(ctx)
    qtbot.addWidget(panel)
    assert panel.start() == ""
    assert "meter's port" in panel.message.label.text() and panel.observer is None


def test_test_record_form_merges_into_the_session_record(qtbot, ctx):
    """The sidebar's test-record form writes what ``session set test-record`` writes."""
    from ui.panels.test_record_form import TestRecordDialog

    dlg = TestRecordDialog({"applicant": "Old Applicant", "script_version": "1.0"})
    qtbot.addWidget(dlg)
    assert dlg.edits["applicant"].text() == "Old Applicant"
    dlg.edits["application_reference"].setText("P601-2026-042")
    dlg.lists["departures"].setPlainText("DR4-3 by forced reset\n\nDR4-5 not fitted")
    dlg.roles["cva-cdca"].setChecked(True)
    from bench_app import test_record

    test_record.record(ctx.store, ctx.session_id, {"applicant": "Old Applicant"})
    rec = test_record.record(ctx.store, ctx.session_id, dlg.values())
    assert rec["application_reference"] == "P601-2026-042"
    assert rec["applicant"] == "Old Applicant"
    assert rec["departures"] == ["DR4-3 by forced reset", "DR4-5 not fitted"]
    assert rec["approval_roles"] == ["cva-cdca"] and rec["pta_role"] == "HHDC"
