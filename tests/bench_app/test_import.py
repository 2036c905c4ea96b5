"""CSV import through the shipped TOML mappings: layouts, clock-change days, errors."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from bench_app import settlement
from bench_app.cli import main
from bench_app.errors import DataImportError
from bench_app.importers import available_mappings, import_csv, load_mapping, parse_flag
from drivers.model import StatusFlag
from tests.bench_app.storehelp import utc

HEADER = ["MPAN", "Serial", "Date", "SP", "Channel", "Value", "Unit", "Flag"]


def write_interval(path, days, *, value=lambda d, sp: sp / 10, extra=()):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for day in days:
            for sp in range(1, settlement.periods_in_day(day) + 1):
                w.writerow(
                    [
                        "1200012345678",
                        "S1",
                        day.isoformat(),
                        sp,
                        "AI",
                        f"{value(day, sp):.3f}",
                        "kWh",
                        0,
                    ]
                )
        for row in extra:
            w.writerow(row)
    return path


def write_per_day(path, days, *, columns=50, flags=False, tweak=None):
    head = ["MPAN", "Serial", "Date", "Channel", "Unit"] + [f"SP{n}" for n in range(1, columns + 1)]
    if flags:
        head += [f"F{n}" for n in range(1, columns + 1)]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(head)
        for day in days:
            n = settlement.periods_in_day(day)
            vals = [f"{sp * 100}" for sp in range(1, n + 1)] + [""] * (columns - n)
            row = ["1200012345678", "S1", day.isoformat(), "1.0.1.8.0.255", "Wh"] + vals
            if flags:
                row += ["PF" if sp == 3 else "" for sp in range(1, columns + 1)]
            if tweak:
                tweak(row)
            w.writerow(row)
    return path


@pytest.fixture
def sid(store):
    return store.create_session("APP-1", "protocol-approval")


def test_shipped_mappings_load():
    assert {"generic-interval", "per-day-columns"} <= set(available_mappings())
    assert load_mapping("per-day-columns").layout == "per-day"
    with pytest.raises(DataImportError, match="no column mapping 'nope'"):
        load_mapping("nope")


def test_generic_interval_across_clock_change(tmp_path, store, sid):
    days = [date(2026, 3, 29), date(2026, 10, 25), date(2026, 10, 26)]
    path = write_interval(tmp_path / "hhdc.csv", days)
    res = import_csv(store, sid, path, source="hhdc", mapping="generic-interval")
    assert res.rows == 46 + 50 + 48 and not res.errors
    coll = store.collection(res.collection_id)
    assert coll["source"] == "hhdc" and coll["source_file"] == "hhdc.csv"
    assert len(coll["source_hash"]) == 64 and coll["meta"]["mpans"] == ["1200012345678"]
    got = store.readings(res.collection_id, utc(2026, 10, 24, 23), utc(2026, 10, 25, 1, 30))
    assert [r.start for r in got][:1] == [utc(2026, 10, 24, 23)]  # SP1 of the autumn day
    assert got[0].channel == "1.0.1.8.0.255" and got[0].value == pytest.approx(0.1)
    assert store.verify(sid).ok


def test_per_day_layout_46_48_50(tmp_path, store, sid):
    days = [date(2026, 3, 29), date(2026, 3, 30), date(2026, 10, 25)]
    path = write_per_day(tmp_path / "manuf.csv", days, flags=True)
    res = import_csv(store, sid, path, source="manufacturer", mapping="per-day-columns")
    assert res.rows == 46 + 48 + 50
    rows = store.readings(res.collection_id)
    assert {r.unit for r in rows} == {"kWh"} and rows[0].value == pytest.approx(0.1)
    flagged = [r for r in rows if r.status]
    assert len(flagged) == 3 and all(r.status == StatusFlag.PHASE_FAILURE for r in flagged)


def test_errors_name_file_and_line_and_nothing_is_stored(tmp_path, store, sid):
    extra = [
        ["1", "S", "2026-03-29", "47", "AI", "1", "kWh", "0"],  # no SP47 on the spring day
        ["1", "S", "2026-04-01", "2", "AI", "abc", "kWh", "0"],
        ["1", "S", "01/04/2026", "2", "AI", "1", "kWh", "0"],
        ["1", "S", "2026-04-01", "3", "AI", "1", "kWh", "WOBBLE"],
        ["1", "S", "2026-03-29", "1", "AI", "1", "kWh", "0"],  # repeats line 2
    ]
    path = write_interval(tmp_path / "bad.csv", [date(2026, 3, 29)], extra=extra)
    first = 2 + 46
    with pytest.raises(DataImportError) as err:
        import_csv(store, sid, path, source="hhdc")
    text = str(err.value)
    assert f"bad.csv:{first}: settlement period 47 does not exist on 2026-03-29" in text
    assert f"bad.csv:{first + 1}: value 'abc' is not a number" in text
    assert f"bad.csv:{first + 2}: date '01/04/2026'" in text
    assert f"bad.csv:{first + 3}: unknown flag 'WOBBLE'" in text
    assert f"bad.csv:{first + 4}:" in text and "repeats line 2" in text
    assert store.collections(sid) == []
    assert store.conn.execute("SELECT count(*) FROM readings").fetchone()[0] == 0


def test_keep_valid_stores_the_good_lines(tmp_path, store, sid):
    extra = [["1", "S", "2026-03-30", "49", "AI", "1", "kWh", "0"]]
    path = write_interval(tmp_path / "some.csv", [date(2026, 3, 29)], extra=extra)
    res = import_csv(store, sid, path, source="hhdc", keep_valid=True)
    assert res.rows == 46 and len(res.errors) == 1 and res.errors[0].line == 48
    assert store.collection(res.collection_id)["meta"]["bad_lines"] == 1


def test_per_day_errors(tmp_path, store, sid):
    def put_sp47(row):
        row[5 + 46] = "5"  # SP47 on the 46-period day

    path = write_per_day(tmp_path / "pd.csv", [date(2026, 3, 29)], tweak=put_sp47)
    with pytest.raises(
        DataImportError, match=r"pd.csv:2: SP47 has data but 2026-03-29 has only 46"
    ):
        import_csv(store, sid, path, source="manufacturer", mapping="per-day-columns")
    short = write_per_day(tmp_path / "short.csv", [date(2026, 10, 25)], columns=48)
    with pytest.raises(DataImportError, match=r"short.csv:2: 2026-10-25 has 50 .* no column SP50"):
        import_csv(store, sid, short, source="manufacturer", mapping="per-day-columns")


def test_missing_header_column(tmp_path, store, sid):
    path = tmp_path / "h.csv"
    path.write_text("Date,SP,Channel\n2026-01-01,1,AI\n")
    with pytest.raises(DataImportError, match=r"h.csv:1: header lacks column\(s\) Value"):
        import_csv(store, sid, path, source="hhdc")


def test_timestamp_mode_and_custom_mapping(tmp_path, store, sid):
    mapping = tmp_path / "ts.toml"
    mapping.write_text(
        'name = "ts"\nlayout = "interval"\ndelimiter = ";"\n'
        '[columns]\ntimestamp = "Time"\nvalue = "kWh"\nflag = "Status"\n'
        '[format]\ntimestamp = "%d/%m/%Y %H:%M"\ntimezone = "Europe/London"\nchannel = "1.8.0"\n'
    )
    data = tmp_path / "ts.csv"
    data.write_text("Time;kWh;Status\n01/07/2026 00:00;1.5;0x1\n01/07/2026 00:30;2.5;BATTERY\n")
    res = import_csv(store, sid, data, source="manufacturer", mapping=mapping)
    rows = store.readings(res.collection_id)
    assert [r.start for r in rows] == [utc(2026, 6, 30, 23), utc(2026, 6, 30, 23, 30)]
    assert [r.status for r in rows] == [1, int(StatusFlag.BATTERY)]


def test_parse_flag_forms():
    m = load_mapping("generic-interval")
    assert parse_flag("", m) == 0
    assert parse_flag("0x0003", m) == 3
    assert parse_flag("PHASE_FAILURE|battery", m) == StatusFlag.PHASE_FAILURE | StatusFlag.BATTERY
    assert parse_flag("PF SF", m) == StatusFlag.PHASE_FAILURE | StatusFlag.SUPPLY_FAILURE
    assert parse_flag("A", m) == 0


def test_cli_import(tmp_path, capsys):
    db = str(tmp_path / "cli.db")
    assert main(["session", "new", "--reference", "R", "--kind", "cop-compliance", "--db", db]) == 0
    sid = capsys.readouterr().out.strip()
    good = write_interval(tmp_path / "g.csv", [date(2026, 5, 1)])
    assert main(["import", "--session", sid, "--source", "hhdc", str(good), "--db", db]) == 0
    assert "48 readings" in capsys.readouterr().out
    bad = write_interval(
        tmp_path / "b.csv", [], extra=[["1", "S", "2026-05-01", "1", "AI", "", "", ""]]
    )
    assert main(["import", "--session", sid, "--source", "hhdc", str(bad), "--db", db]) == 8
    assert "b.csv:2: value is empty" in capsys.readouterr().err
