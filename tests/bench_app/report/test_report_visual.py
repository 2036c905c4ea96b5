"""The report speaks the window's visual language: flags by name and colour, outlines that stay
visible on dark cells, one event per meter event, dates and durations for people, channels and
collections named, and empty sections that say so."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bench_app import presentation as P
from bench_app.report import render_report
from bench_app.report.cells import clock_rows, discrepancy_cells, event_rows
from bench_app.report.data import ChannelSeries, ReportData
from bench_app.report.fonts import register_fonts
from bench_app.report.profile import _outlines, daily_totals, heatmap, profile_section
from bench_app.report.styles import Styles, _plain
from drivers.model import StatusFlag
from tests.bench_app.report.report_fixtures import pdftotext
from tests.bench_app.report.sample_data import synthetic_report_data

DAY = datetime(2026, 12, 7, tzinfo=UTC).timestamp()
PHASE, SUPPLY = int(StatusFlag.PHASE_FAILURE), int(StatusFlag.SUPPLY_FAILURE)


def _series(status: list[int]) -> ChannelSeries:
    n = len(status)
    return ChannelSeries(
        "1.0.1.8.0.255", "kWh", [DAY + 1800.0 * i for i in range(n)], [1.0] * n, status, "bench", 3
    )


def _cells(t) -> list[list[str]]:
    return [[c if isinstance(c, str) else _plain(c) for c in row] for row in t._cellvalues]


def test_flag_column_names_the_flags_and_counts_the_periods():
    status = [0] * 48
    status[26] = status[27] = PHASE
    status[30] = SUPPLY
    rows = _cells(daily_totals(_series(status), Styles(register_fonts())))
    assert rows[0][:4] == ["Day", "SPs", "Total kWh", "Flags"]
    assert rows[1][0] == P.day_text(date(2026, 12, 7), weekday=False)
    assert rows[1][3] == "Supply failure, Phase failure (3 SPs)"


def test_outlines_have_a_white_halo_and_the_flags_own_colour():
    ops = _outlines([(10.0, 20.0, PHASE), (20.0, 20.0, PHASE | SUPPLY)], 8.0, 2.0)
    halo, *rest = ops.split(" RG ", 1)
    assert ops.startswith("1.0000 1.0000 1.0000 RG")  # white halo first, under the colours
    orange = "0.9020 0.4941 0.1333 RG"  # Phase failure, #e67e22
    red = "0.6902 0.1647 0.1647 RG"  # Supply failure, #b02a2a (first in precedence)
    assert orange in ops and red in ops
    assert ops.index(red) < ops.index(orange)  # table order: deterministic
    assert _outlines([], 8.0, 2.0) == ""


def test_heatmap_of_a_flagged_day_draws_the_outline_colour():
    status = [0] * 48
    status[5] = int(StatusFlag.REVERSE_RUNNING)  # the darkest flag colour: halo keeps it visible
    dw = heatmap(_series(status), Styles(register_fonts()))
    assert "0.1725 0.2431 0.3137 RG" in dw._cells and "1.0000 1.0000 1.0000 RG" in dw._cells


def test_events_seen_by_several_reads_are_one_row_with_their_reads():
    d = ReportData(session={})
    d.collections = [{"id": 3, "simulated": 1}, {"id": 5, "simulated": 1}]
    t = datetime(2026, 12, 7, 14, 0, 2, tzinfo=UTC)
    d.events = [
        {"time": t, "code": 2, "text": "Phase failure L2", "collection_id": 3},
        {"time": t, "code": 2, "text": "Phase failure L2", "collection_id": 5},
        {"time": t, "code": 4, "text": "Phase restored", "collection_id": 5},
    ]
    rows = event_rows(d)
    assert len(rows) == 2
    fail = next(r for r in rows if r[1] == 2)
    assert fail[0] == "07 Dec 2026 14:00:02 GMT (14:00:02 UTC) (simulated)"
    assert fail[3] == "Phase failure" and fail[4] == "#3, #5"
    assert next(r for r in rows if r[1] == 4)[3] == "—"  # a restoration raises no flag


def test_clock_deviation_in_words_and_simulated_times_marked():
    d = ReportData(session={})
    d.clock_observations = [
        {"id": 1, "meter_time": "2026-12-07T06:23:09Z", "reference_time": "2026-12-07T02:00:00Z",
         "deviation_s": 15788.7, "note": "", "simulated": 1},
        {"id": 2, "meter_time": "2026-12-07T01:50:00Z", "reference_time": "2026-12-07T02:00:00Z",
         "deviation_s": -600.0, "note": "", "simulated": 0},
    ]  # fmt: skip
    first, second = clock_rows(d)
    assert first[3] == "4 h 23 min 9 s ahead" and first[1].endswith("(simulated)")
    assert second[3] == "10 min behind" and "(simulated)" not in second[1]


def test_discrepancies_name_channels_flags_and_times():
    row = {"start": "2026-12-07T12:30:00Z", "settlement_day": "2026-12-07", "sp": 26,
           "channel": "1.0.1.8.0.255", "kind": "flag", "hhdc": 0, "bench": PHASE}  # fmt: skip
    keys = list(row)
    cells = discrepancy_cells(row, keys)
    assert cells == [
        "07 Dec 2026 12:30:00 GMT (12:30:00 UTC)",
        "Mon 07 Dec 2026",
        26,
        "Active import (1.0.1.8.0.255)",
        "flags",
        "no flag",
        "Phase failure",
    ]


def test_a_channel_without_values_says_so_instead_of_empty_axes():
    from reportlab.graphics.shapes import Drawing

    d = ReportData(session={})
    d.series = [_series([])]
    story = profile_section(d, Styles(register_fonts()))

    def flat(items):
        for f in items:
            yield f
            yield from flat(getattr(f, "_content", []) or [])

    flowables = list(flat(story))
    assert not any(isinstance(f, Drawing) for f in flowables)
    texts = [f.getPlainText() for f in flowables if hasattr(f, "getPlainText")]
    assert "No interval values were read for this channel." in texts


def test_rendered_report_shows_names_not_internal_codes(tmp_path):
    data = synthetic_report_data(days=3, channels=2, discrepancies=10, long_names=False)
    text = pdftotext(render_report(data, tmp_path / "r.pdf"))
    assert "PHASE_FAILURE" not in text and "Sig_tester" not in text
    assert "The tester's digital signature (PAdES) goes in this box" in text
    assert "Active import, kWh (1.0.1.29.0.255)" in text
    assert "Outline colours:" in text and "Phase failure" in text


def test_reconciliation_span_in_gb_time_with_its_settlement_days():
    from bench_app.report.cells import span_text

    one = {"span": ["2026-12-07T19:30:00Z", "2026-12-07T21:00:00Z"], "span_text": "raw"}
    assert span_text(one) == (
        "07 Dec 2026 19:30 GMT → 07 Dec 2026 21:00 GMT (settlement day Mon 07 Dec 2026)"
    )
    bst = {"span": ["2026-08-25T23:00:00Z", "2026-08-28T23:00:00Z"]}
    assert span_text(bst) == (
        "26 Aug 2026 00:00 BST → 29 Aug 2026 00:00 BST "
        "(settlement days Wed 26 Aug 2026 … Fri 28 Aug 2026)"
    )
    assert span_text({"span": None, "span_text": "all periods of both collections"}) == (
        "all periods of both collections"
    )
