"""The one presentation language: times, durations, collections, internal names and flags as the
window and the report show them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench_app import presentation as P
from drivers.model import StatusFlag

WINTER = datetime(2026, 12, 7, 2, 30, tzinfo=UTC)
SUMMER = datetime(2026, 7, 1, 9, 30, tzinfo=UTC)


def test_times_are_gb_local_with_zone_and_utc_beside():
    assert P.gb(WINTER) == "07 Dec 2026 02:30:00 GMT"
    assert P.gb(SUMMER) == "01 Jul 2026 10:30:00 BST"
    assert P.gb_and_utc(SUMMER) == "01 Jul 2026 10:30:00 BST (09:30:00 UTC)"
    # the UTC part carries its own date when the local date differs
    late = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
    assert P.gb_and_utc(late) == "01 Jul 2026 00:30:00 BST (30 Jun 2026 23:30:00 UTC)"
    assert P.utc_text(SUMMER) == "01 Jul 2026 09:30:00 UTC"
    assert P.when_short(WINTER) == "07 Dec 02:30 GMT"


def test_simulated_times_are_marked():
    assert P.gb(WINTER, simulated=True) == "07 Dec 2026 02:30:00 GMT (simulated)"
    assert P.when(WINTER, simulated=True).endswith("UTC) (simulated)")
    assert "(simulated)" not in P.when(WINTER)


def test_when_takes_iso_text_naive_and_empty():
    assert P.when("2026-12-07T02:30:00Z") == "07 Dec 2026 02:30:00 GMT (02:30:00 UTC)"
    assert P.when(datetime(2026, 12, 7, 2, 30)) == P.when(WINTER)  # naive = UTC
    assert P.when(None) == "—" and P.when("") == "—"
    assert P.when("not a time") == "not a time"
    assert P.when(WINTER, utc=False) == "07 Dec 2026 02:30:00 GMT"


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)))
def test_every_instant_reads_back_to_itself(naive):
    """The text names the instant exactly: parsing the local text with its zone gives it back."""
    t = naive.replace(microsecond=0, tzinfo=UTC)
    text = P.gb(t)
    m = re.fullmatch(r"(\d\d \w{3} \d{4} \d\d:\d\d:\d\d) (GMT|BST)", text)
    assert m, text
    local = datetime.strptime(m.group(1), "%d %b %Y %H:%M:%S")
    offset = timedelta(hours=1 if m.group(2) == "BST" else 0)
    assert (local - offset).replace(tzinfo=UTC) == t
    assert P.utc_text(t).startswith(t.strftime("%d %b %Y %H:%M:%S"))


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (15788.7, "4 h 23 min 9 s"),
        (-600, "10 min"),
        (3605, "1 h 0 min 5 s"),
        (3600, "1 h"),
        (8.74, "8.7 s"),
        (0, "0.0 s"),
        (59.96, "1 min"),
        (2 * 86400 + 3 * 3600, "2 d 3 h"),
        (float("nan"), "—"),
    ],
)
def test_durations_in_hours_minutes_seconds(seconds, text):
    assert P.duration(seconds) == text


def test_signed_durations_and_clock_deviation():
    assert P.signed_duration(15788.7) == "+4 h 23 min 9 s"
    assert P.signed_duration(-600) == "-10 min"
    assert P.signed_duration(-0.01) == "0.0 s"  # never -0.0
    assert P.clock_deviation(15788.7) == "4 h 23 min 9 s ahead"
    assert P.clock_deviation(-600.0) == "10 min behind"
    assert P.clock_deviation(0.002) == "0.0 s"


@given(st.floats(min_value=-1e8, max_value=1e8, allow_nan=False))
def test_durations_add_back_up(seconds):
    """Every duration's parts add up to the seconds given (to the shown precision), and the text
    never shows a bare count of seconds above a minute."""
    text = P.duration(seconds)
    size = {"d": 86400, "h": 3600, "min": 60, "s": 1}
    total = sum(float(n) * size[u] for n, u in re.findall(r"([\d.]+) (d|h|min|s)\b", text))
    assert abs(total - abs(seconds)) <= 0.5 + 1e-6
    assert not re.search(r"\d{3,} s", text)
    assert not re.search(r"\b([6-9]\d|\d{3,}) min", text)


def test_collections_by_purpose_and_time():
    c = {
        "id": 21,
        "source": "bench",
        "started_at": "2026-12-07T10:02:13Z",
        "meta": {"label": "reference read (bench)", "step": "DR4-1a"},
        "rows": 12,
        "simulated": 1,
    }
    assert P.collection_name(c) == "Profile read 07 Dec 10:02 GMT (DR4-1a)"
    tip = P.collection_tooltip(c)
    assert "#21" in tip and "reference read (bench)" in tip and "simulated" in tip
    events = {"source": "bench", "meta": {"kind": "events"}, "started_at": "2026-07-01T09:00:00Z"}
    assert P.collection_name(events) == "Event-log read 01 Jul 10:00 BST"
    assert P.collection_name({"source": "hhdc"}) == "HHDC export"
    assert P.collection_name({"source": "manufacturer"}) == "Manufacturer export"


def test_internal_names_as_text():
    assert P.human_name("PHASE_FAILURE") == "Phase failure"
    assert P.human_name("Sig_tester") == "Tester's signature"
    assert P.human_name("Sig_witness") == "Witness's signature"
    assert P.human_name("Already text") == "Already text"


def test_one_flag_table_covers_every_status_bit():
    bits = [f for f in StatusFlag if f.value]
    assert sorted(int(s.flag) for s in P.FLAGS) == sorted(int(b) for b in bits)
    colours = [s.colour.lower() for s in P.FLAGS]
    assert len(set(colours)) == len(colours)  # told apart
    assert P.NORMAL_COLOUR.lower() not in colours
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colours)
    names = [s.name for s in P.FLAGS]
    assert all("_" not in n and n[0].isupper() for n in names)
    assert all(s.legend for s in P.FLAGS)


def test_flag_names_text_and_colour():
    both = int(StatusFlag.PHASE_FAILURE | StatusFlag.SUPPLY_FAILURE)
    assert P.flag_names(both) == ["Supply failure", "Phase failure"]  # precedence order
    assert P.flag_text(0x30) == "Clock change, Period adjusted"
    assert P.flag_text(0, none="—") == "—"
    assert P.flag_colour(both) == "#b02a2a"
    assert P.flag_colour(0) == P.NORMAL_COLOUR
    assert P.flag_names(0x8001) == ["Phase failure", "bit 0x8000"]  # nothing dropped


@given(st.integers(min_value=0, max_value=0xFFFF))
def test_every_set_bit_is_named(status):
    assert len(P.flag_names(status)) == bin(status).count("1")


def test_gui_uses_the_same_table():
    from ui.panels import profile_data, profile_flags

    assert [c for _f, c in profile_data.FLAG_COLOURS] == [s.colour for s in P.FLAGS]
    assert profile_flags.flag_names(0x1) == ["Phase failure"]
    legend = profile_flags.legend_html(0x1)
    assert "Phase failure" in legend and P.FLAGS[1].colour in legend
