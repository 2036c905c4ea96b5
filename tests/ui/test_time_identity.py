"""One time base (GB settlement days, GMT/BST labels) and identity checked at first sight."""

from __future__ import annotations

from datetime import UTC, date, datetime

from PySide6.QtCore import QDate

from bench_app.settlement import period_number, settlement_day
from ui.identity_view import manufacturer_text
from ui.panels.connection import ConnectionPanel
from ui.timebase import gb, gb_and_utc, gb_day_span, sp_text


def test_gb_labels_name_the_zone_and_utc_beside():
    summer = datetime(2026, 7, 1, 9, 30, tzinfo=UTC)
    winter = datetime(2026, 11, 29, 9, 30, tzinfo=UTC)
    assert gb(summer) == "01 Jul 2026 10:30:00 BST"
    assert gb(winter) == "29 Nov 2026 09:30:00 GMT"
    assert gb_and_utc(summer) == "01 Jul 2026 10:30:00 BST (09:30:00 UTC)"
    # 23:30 UTC on 30 June is already 1 July in GB: the UTC side carries its own date
    assert gb_and_utc(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)).endswith(
        "(30 Jun 2026 23:30:00 UTC)"
    )
    assert sp_text(datetime(2026, 6, 30, 23, 0, tzinfo=UTC)) == "SP 1 of Wed 01 Jul 2026"


def test_profile_days_on_a_bst_day_include_sp_1_2_and_the_end_day(qtbot, ctx):
    panel = ConnectionPanel(ctx)
    qtbot.addWidget(panel)
    panel.from_date.setDate(QDate(2026, 7, 1))
    panel.to_date.setDate(QDate(2026, 7, 1))
    start, end = panel.profile_span()
    # SP 1 of a BST day starts at 23:00 UTC the day before
    assert start == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)
    assert settlement_day(start) == date(2026, 7, 1) and period_number(start) == 1
    assert end == datetime(2026, 7, 1, 23, 0, tzinfo=UTC)  # all 48 SPs of 1 July
    assert (end - start).total_seconds() == 48 * 1800
    # "to 29 Nov" includes the 29th (GMT), and a span over the autumn change has 50 SPs that day
    panel.from_date.setDate(QDate(2026, 10, 25))
    panel.to_date.setDate(QDate(2026, 11, 29))
    start, end = panel.profile_span()
    assert start == datetime(2026, 10, 24, 23, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    spring = gb_day_span(date(2026, 3, 29), date(2026, 3, 29))
    assert (spring[1] - spring[0]).total_seconds() == 46 * 1800  # the spring day: 46 SPs


def test_to_before_from_is_a_warning_not_a_read(qtbot, ctx):
    panel = ConnectionPanel(ctx)
    qtbot.addWidget(panel)
    panel.from_date.setDate(QDate(2026, 7, 2))
    panel.to_date.setDate(QDate(2026, 7, 1))
    panel.ctx.port = None
    panel.read_profile()
    assert "'to' day" in panel.message.label.text()


def _connected(qtbot, ctx, otype, serial, metrology):
    """Declare the session's equipment, then connect to the fake meter (serial FAKE-0001, type
    FAK, metrology firmware 1.0) and wait for its identity."""
    ctx.store.set_equipment(
        ctx.session_id,
        outstation_type=otype,
        model="Declared 100",
        serials=[serial],
        firmware={"metrology": metrology},
    )
    panel = ConnectionPanel(ctx)
    qtbot.addWidget(panel)
    panel.port_combo.setEditText("socket://127.0.0.1:1")
    panel.connect_meter()
    qtbot.waitUntil(lambda: panel.identity is not None, timeout=5000)
    qtbot.waitUntil(lambda: not ctx.port.busy, timeout=5000)
    return panel


def test_mismatched_identity_is_flagged_on_connection(qtbot, ctx, fake_meter_factory):
    panel = _connected(qtbot, ctx, "PRO", "SIM0000001", "1.02")
    view = panel.identity_view
    assert view.mismatched == {"serial", "outstation_type", "firmware"}
    serial = panel.result_labels["serial"].text()
    assert "FAKE-0001" in serial and "SIM0000001" in serial and "#b02a2a" in serial
    assert "PRO" in panel.result_labels["outstation_type"].text()
    assert "metrology" in panel.result_labels["firmware"].text()
    assert "1.02" in panel.result_labels["firmware"].text()
    assert view.banner.isVisibleTo(panel) and "not the declared" in view.banner.text()
    # correcting the declaration re-checks the identity already shown
    ctx.store.set_equipment(
        ctx.session_id, outstation_type="FAK", model="Fake 100", serials=["FAKE-0001"],
        firmware={"metrology": "1.0"},
    )  # fmt: skip
    ctx.data_changed.emit("equipment")
    assert view.mismatched == set() and "matches" in view.banner.text()


def test_matching_identity_is_confirmed(qtbot, ctx, fake_meter_factory):
    panel = _connected(qtbot, ctx, "FAK", "FAKE-0001", "1.0")
    assert panel.identity_view.mismatched == set()
    assert "#b02a2a" not in panel.result_labels["serial"].text()
    assert "matches" in panel.identity_view.banner.text()


def test_manufacturer_by_name_from_the_flag_table():
    assert manufacturer_text("LGZ") == "Landis+Gyr (Zug) (FLAG LGZ)"
    assert manufacturer_text("isk") == "Iskraemeco (FLAG ISK)"
    assert "not in the table" in manufacturer_text("QQQ")
    assert manufacturer_text("") == "—"
