"""The export corpus (tests/bench_app/exports) imports or fails exactly as its README says."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from bench_app import settlement
from bench_app.cli import main
from bench_app.errors import DataImportError
from bench_app.importers import ImportOptions, import_csv
from bench_app.store import Store
from tests.bench_app.storehelp import utc

CORPUS = Path(__file__).parent / "exports"
SERIAL = "PRO00001"


@pytest.fixture
def sid(store):
    sid = store.create_session("APP-CORPUS", "protocol-approval")
    store.set_equipment(sid, outstation_type="PRO", model="Prometer 100", serials=[SERIAL])
    return sid


@pytest.mark.parametrize(
    ("name", "described"),
    [
        ("cp1252-site-name.csv", "cp1252 (detected), comma (detected), decimal point"),
        ("semicolon-decimal-comma.csv", "utf-8 (detected), semicolon (detected), decimal comma"),
        ("tab.tsv", "utf-8 (detected), tab (detected), decimal point"),
        ("pipe.txt", "utf-8 (detected), pipe (detected), decimal point"),
        ("utf8-bom.csv", "utf-8-sig (detected), comma (detected), decimal point"),
    ],
)
def test_formats_import_and_say_how_they_were_read(store, sid, name, described):
    res = import_csv(store, sid, CORPUS / name, source="hhdc")
    assert res.rows == 48 and not res.errors
    assert res.meta["format_text"] == described
    rows = store.readings(res.collection_id)
    assert rows[0].start == settlement.period_start(date(2026, 6, 10), 1)
    assert rows[0].value == 0.47 and rows[1].value == 0.34  # decimal comma read as a decimal
    assert res.meta["identity_check"]["result"] == "serial matches the session's meter"


def test_cp1252_file_really_is_not_utf8():
    raw = (CORPUS / "cp1252-site-name.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "Café Hôtel £" in raw.decode("cp1252")


def test_forcing_the_wrong_encoding_or_delimiter_is_a_clear_error(store, sid):
    wrong = [
        ("cp1252-site-name.csv", {"encoding": "utf-8"}, r"site-name.csv:2: byte 0x.. is not valid"),
        ("semicolon-decimal-comma.csv", {"delimiter": ","}, r"lacks .* read as .*--delimiter"),
        ("semicolon-decimal-comma.csv", {"decimal": "."}, r"'0,470' is not a number \(it uses"),
    ]
    for name, override, message in wrong:
        with pytest.raises(DataImportError, match=message):
            import_csv(store, sid, CORPUS / name, source="hhdc", options=ImportOptions(**override))
    assert store.collections(sid) == []


def test_autumn_repeated_hour_by_order(store, sid):
    res = import_csv(
        store,
        sid,
        CORPUS / "local-autumn-by-order.csv",
        source="hhdc",
        mapping="local-time-interval",
    )
    assert res.rows == 50 and res.meta["repeated_local_hours"] == ["2026-10-25"]
    starts = [r.start for r in store.readings(res.collection_id)]
    assert starts == settlement.day_periods(date(2026, 10, 25))
    values = [r.value for r in store.readings(res.collection_id)]
    assert values[2] == 0.21 and values[4] == 0.45  # first 01:00 (BST) = 00:00Z, second = 01:00Z


def test_autumn_repeated_hour_by_offset_column_beats_order(store, sid):
    res = import_csv(
        store,
        sid,
        CORPUS / "local-autumn-offset-column.csv",
        source="hhdc",
        mapping="local-time-interval",
    )
    rows = store.readings(res.collection_id)
    assert res.rows == 50 and [r.start for r in rows] == settlement.day_periods(date(2026, 10, 25))
    by_start = {r.start: r.value for r in rows}
    assert by_start[utc(2026, 10, 25, 0)] == 0.21  # BST 01:00, written after the GMT lines
    assert by_start[utc(2026, 10, 25, 1)] == 0.45  # GMT 01:00, written first


def test_spring_day(store, sid):
    res = import_csv(
        store, sid, CORPUS / "local-spring-46.csv", source="hhdc", mapping="local-time-interval"
    )
    assert res.rows == 46
    assert res.meta["resolution"] == "0.001"  # the export's own last digit (DR1-1 compares at it)
    with pytest.raises(DataImportError) as err:
        import_csv(
            store,
            sid,
            CORPUS / "local-spring-48.csv",
            source="hhdc",
            mapping="local-time-interval",
        )
    text = str(err.value)
    assert "local-spring-48.csv:4: 2026-03-29T01:00:00 does not exist in Europe/London" in text
    assert "local-spring-48.csv:5: 2026-03-29T01:30:00" in text
    assert "on 2026-03-29, a settlement day of 46 periods" in text


def test_other_serial_is_refused_unless_accepted(store, sid):
    with pytest.raises(
        DataImportError,
        match=r"serial XYZ99999 .* not the session's meter \("
        r"PRO00001\).*--accept-serial",
    ):
        import_csv(store, sid, CORPUS / "other-serial.csv", source="hhdc")
    assert store.collections(sid) == []
    res = import_csv(
        store,
        sid,
        CORPUS / "other-serial.csv",
        source="hhdc",
        options=ImportOptions(accept_serial=True),
    )
    meta = store.collection(res.collection_id)["meta"]
    assert "XYZ99999" in meta["deviations"][0] and "accepted" in meta["deviations"][0]
    assert store.verify(sid).ok


def test_serial_is_compared_with_the_bench_read_and_mpan_with_earlier_imports(store):
    sid = store.create_session("APP-BENCH", "protocol-approval")
    store.new_collection(sid, "bench", "dlms", meta={"identity": {"serial": "XYZ99999"}})
    with pytest.raises(DataImportError, match="PRO00001 in tab.tsv is not the session's meter"):
        import_csv(store, sid, CORPUS / "tab.tsv", source="hhdc")
    import_csv(store, sid, CORPUS / "other-serial.csv", source="hhdc")
    other_mpan = CORPUS.parent / "exports" / "other-serial.csv"
    text = other_mpan.read_text().replace("1200023456789", "1900000000001")
    moved = Path(store.path).parent / "other-mpan.csv"
    moved.write_text(text)
    with pytest.raises(DataImportError, match=r"MPAN 1900000000001 .* earlier imports"):
        import_csv(store, sid, moved, source="manufacturer")


def test_without_a_declared_serial_earlier_imports_are_the_reference(store):
    sid = store.create_session("APP-NONE", "protocol-approval")
    first = import_csv(store, sid, CORPUS / "tab.tsv", source="hhdc")
    assert first.meta["identity_check"]["result"].startswith("serial not checked")
    with pytest.raises(DataImportError, match=r"XYZ99999 .* is not earlier imports \(PRO00001\)"):
        import_csv(store, sid, CORPUS / "other-serial.csv", source="manufacturer")
    again = import_csv(store, sid, CORPUS / "pipe.txt", source="manufacturer")
    assert again.meta["identity_check"]["result"] == "serial matches earlier imports"


def test_negative_and_absurd_values_are_file_line_errors(store, sid):
    with pytest.raises(DataImportError, match=r"negative-value.csv:11: value -5 kWh is negative"):
        import_csv(store, sid, CORPUS / "negative-value.csv", source="hhdc")
    with pytest.raises(DataImportError) as err:
        import_csv(store, sid, CORPUS / "absurd-values.csv", source="hhdc")
    text = str(err.value)
    # the session declares a PRO: the Prometer description's bound (max_kwh_per_period)
    assert "absurd-values.csv:4: value 1E+308 kWh is more than 2286 kWh" in text
    assert "absurd-values.csv:5: value 1E+29 kWh is more than" in text
    assert store.collections(sid) == []


def test_meter_rating_bound(store, sid):
    with pytest.raises(DataImportError, match=r"tab.tsv:5: value 0.58 kWh is more than 0.5 kWh"):
        import_csv(
            store,
            sid,
            CORPUS / "tab.tsv",
            source="hhdc",
            options=ImportOptions(max_kwh_per_period=Decimal("0.5")),
        )


def test_cli_import_reports_format_and_mapping_help(tmp_path, capsys):
    db = str(tmp_path / "cli.db")
    with Store.open(db) as store:
        sid = store.create_session("R", "protocol-approval")
        store.set_equipment(sid, serials=[SERIAL])
    args = ["import", "--session", str(sid), "--source", "hhdc", "--db", db]
    assert main([*args, str(CORPUS / "semicolon-decimal-comma.csv")]) == 0
    out = capsys.readouterr().out
    assert (
        "as utf-8 (detected), semicolon (detected), decimal comma" in out and "48 readings" in out
    )
    assert main([*args, str(CORPUS / "other-serial.csv")]) == 8
    assert "--accept-serial" in capsys.readouterr().err
    assert main([*args, "--accept-serial", "--json", str(CORPUS / "other-serial.csv")]) == 0
    assert json.loads(capsys.readouterr().out)["meta"]["deviations"]
    with pytest.raises(SystemExit) as usage:
        main([*args, "--encoding", "klingon", str(CORPUS / "tab.tsv")])
    assert usage.value.code == 2 and "unknown encoding 'klingon'" in capsys.readouterr().err
    again = [*args, "--delimiter", "semicolon", "--decimal", "comma",
             str(CORPUS / "semicolon-decimal-comma.csv")]  # fmt: skip
    assert main(again) == 8  # the session holds these bytes already
    assert "already holds this file" in capsys.readouterr().err
    assert main([*again[:-1], "--again", again[-1]]) == 0
    assert "semicolon, decimal comma" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["import", "--help"])
    helptext = capsys.readouterr().out
    for name in ("generic-interval", "per-day-columns", "local-time-interval"):
        assert name in helptext
