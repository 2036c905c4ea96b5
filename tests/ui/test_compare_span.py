"""The Compare view reconciles over the span ``bench-app reconcile`` compares by default and
names it: a 3-day HHDC export of a 10-day bench read agrees over its own span (the panel used
to compare whole collections and call every bench-only day a discrepancy)."""

from __future__ import annotations

from datetime import date, timedelta

from bench_app.compare_basis import default_span
from bench_app.reconcile import reconcile
from tests.bench_app.storehelp import CHANNELS, day_rows
from ui.panels.profile import ProfilePanel

DAYS = [date(2026, 10, 20) + timedelta(days=i) for i in range(10)]  # BST → GMT on the 25th
EXPORT = DAYS[4:7]  # 24, 25 (50 SPs) and 26 Oct


def _panel(qtbot, ctx):
    bench = ctx.store.new_collection(ctx.session_id, "bench", protocol="dlms")
    hhdc = ctx.store.new_collection(ctx.session_id, "hhdc")
    for day in DAYS:
        rows = day_rows(day, seed=day.toordinal())
        ctx.store.add_profile_block(bench, CHANNELS, rows)
        if day in EXPORT:
            ctx.store.add_profile_block(hhdc, CHANNELS, rows)
    panel = ProfilePanel(ctx)
    qtbot.addWidget(panel)
    panel.reload_collections()
    cmp = panel.compare
    cmp.a_combo.setCurrentIndex(cmp.a_combo.findData(bench))
    cmp.b_combo.setCurrentIndex(cmp.b_combo.findData(hhdc))
    panel.view_combo.setCurrentIndex(3)
    return panel, bench, hhdc


def test_compare_uses_and_names_the_exports_span(qtbot, ctx):
    panel, bench, hhdc = _panel(qtbot, ctx)
    cmp = panel.compare
    panel.day_edit.setDate(date(2026, 10, 25))
    (lo, hi), text = default_span(ctx.store, bench, hhdc)
    expected = reconcile(ctx.store, bench, hhdc, start=lo, end=hi)
    r = cmp.result
    assert r is not None and cmp.span == (lo, hi)
    assert r.verdict == "AGREE" and r.compared == expected.compared == (48 + 50 + 48) * 2
    summary = cmp.summary.text()
    # the span in GB settlement days and SP numbers; as the CLI prints it (UTC) on hover only
    assert "SP 1 of Sat 24 Oct 2026 → SP 48 of Mon 26 Oct 2026" in summary
    assert f"hhdc collection {hhdc} span" not in summary and "T00:00Z" not in summary
    tip = cmp.summary.toolTip()
    assert f"hhdc collection {hhdc} span" in tip and "settlement days 2026-10-24" in tip
    assert "AGREE" in summary and "agree on every compared period of this day" in summary
    assert cmp.discrepancies == [] and cmp.periods == 50  # the clock-change day

    # a day of the bench read outside the export: said, never "agree", nothing flagged
    panel.day_edit.setDate(date(2026, 10, 28))
    summary = cmp.summary.text()
    assert "outside the compared span" in summary and "agree on every" not in summary
    assert cmp.discrepancies == []

    # All periods compares the whole collections, as --all-periods: the bench-only days differ
    cmp.all_check.setChecked(True)
    assert cmp.span is None and cmp.result.verdict == "DIFFER"
    assert cmp.discrepancies == list(range(1, 49))  # all missing in B on 28 Oct
    assert "every period of both collections" in cmp.summary.text()

