"""CSV import/export of every register kind: round trip, idempotent re-import, and bad rows
reported as file:line: reason with nothing stored."""

from __future__ import annotations

import pytest

from bench_app.equipment import COLUMNS, Register, export_csv, import_csv, rows_for
from bench_app.errors import DataImportError, UsageError
from bench_app.store import Store

KINDS = ["types", "combos", "certs", "approvals", "applications"]


def _fill(store, reg):
    cid = reg.add_certificate("PRO", "5", "6", "Lab A", "2024-03-01", "C-1")
    reg.remove_certificate(cid, "2025-01-02", "issue 7 required")
    reg.add_certificate("PRO", "10", "2", "Lab, B", "2024-04-01", combination="PRO-R3E")
    reg.add_approval("PRO-R3E", "Demo DC", "UKDC", "Suite", "4.2", 2025)
    sid = store.create_session("OTHER-REF", "protocol-approval")
    reg.add_application("BSCP601-1", "Secure", "both", combination="PRO-P3E", cops="5;10",
                        notes="line one\nline two", sessions=[sid])  # fmt: skip


def test_round_trip_into_a_fresh_register_and_reimport_changes_nothing(store, reg, tmp_path):
    _fill(store, reg)
    before = {k: rows_for(store, k) for k in KINDS}
    assert [len(before[k]) for k in KINDS] == [1, 3, 2, 1, 1]
    for k in KINDS:
        assert export_csv(store, k, tmp_path / f"{k}.csv") == len(before[k])
        assert import_csv(store, k, tmp_path / f"{k}.csv") == len(before[k])  # same db: updates
    assert {k: rows_for(store, k) for k in KINDS} == before
    with Store.open(tmp_path / "fresh.db") as fresh:
        fresh.create_session("OTHER-REF", "protocol-approval")  # session 1 exists there too
        for k in KINDS:
            import_csv(fresh, k, tmp_path / f"{k}.csv")
        assert {k: rows_for(fresh, k) for k in KINDS} == before
        assert Register(fresh).application("BSCP601-1")["notes"] == "line one\nline two"


def test_bad_rows_are_listed_with_line_and_reason_and_nothing_is_stored(store, tmp_path):
    path = tmp_path / "types.csv"
    path.write_text(
        "Code,Manufacturer,Models,CoPs,Notes\n"
        'PRO,Secure,P3E;R3E,5,"good row\nspanning two lines"\n'  # lines 2-3
        "PROM,Secure,,5,\n"  # line 4: code too long
        "\n"  # line 5: blank, skipped
        "ELS,Elster,A1700,CoP 12,\n"  # line 6: bad CoP
        "pro,Secure,,5,\n"  # line 7: same entry as line 2
        "EDM,Landis,,5,,extra\n",  # line 8: too many fields
        encoding="utf-8",
    )
    with pytest.raises(DataImportError) as exc:
        import_csv(store, "types", path)
    msg = str(exc.value)
    assert "5 bad row(s), nothing imported" not in msg  # counts what is really bad
    assert "4 bad row(s), nothing imported" in msg
    assert f"{path}:4: outstation type: outstation type 'PROM' must be 3 letters" in msg
    assert f"{path}:6: type ELS CoPs: Code of Practice 'CoP 12' is not 1–11" in msg
    assert f"{path}:7: same entry as line 2" in msg
    assert f"{path}:8: 6 fields, header has 5" in msg
    assert f"{path}:2" not in msg and f"{path}:5" not in msg
    assert Register(store).types() == []  # the good row 2 was not kept either
    assert exc.value.exit_code == 8


def test_rows_referring_to_unknown_entries_and_bad_headers(store, reg, tmp_path):
    path = tmp_path / "certs.csv"
    path.write_text(
        "outstation_type,combination,cop,cop_issue,issued_date,status,removed_date\n"
        "PRO,,5,6,2024-01-01,issued,\n"
        "XYZ,,5,6,2024-01-01,issued,\n"
        "PRO,NOPE,5,7,2024-01-01,issued,\n"
        "PRO,,5,8,2024-13-01,issued,\n"
        "PRO,,5,9,2024-01-01,removed,2025-01-01\n",
        encoding="utf-8",
    )
    with pytest.raises(DataImportError) as exc:
        import_csv(store, "certs", path)
    msg = str(exc.value)
    assert f"{path}:3: outstation type XYZ is not in the equipment register" in msg
    assert f"{path}:4: combination 'NOPE' is not in the equipment register" in msg
    assert f"{path}:5: certificate date: date '2024-13-01' is not YYYY-MM-DD" in msg
    assert f"{path}:6: certificate: a removed entry needs a removal reason" in msg
    assert Register(store).certificates() == []
    bad = tmp_path / "bad.csv"
    bad.write_text("code,colour\nPRO,red\n", encoding="utf-8")
    with pytest.raises(DataImportError, match=r"bad.csv:1: unknown column\(s\) colour"):
        import_csv(store, "types", bad)
    bad.write_text("manufacturer\nX\n", encoding="utf-8")
    with pytest.raises(DataImportError, match=r"missing column\(s\) code"):
        import_csv(store, "types", bad)
    bad.write_bytes(b"code\n\xff\xfe\n")
    with pytest.raises(DataImportError, match="UTF-8"):
        import_csv(store, "types", bad)
    with pytest.raises(UsageError, match="register kind"):
        import_csv(store, "widgets", bad)


def test_excel_bom_and_header_spelling_are_accepted(store, tmp_path):
    path = tmp_path / "types.csv"
    path.write_bytes("\ufeffCode,Manufacturer, Models \nELS,Elster,A1700;A1140\n".encode())
    assert import_csv(store, "types", path) == 1
    assert Register(store).get_type("ELS")["models"] == ["A1700", "A1140"]
    assert COLUMNS["types"][0] == "code"
