"""Writes the export corpus in this folder (run once; the files are committed as they are).

Each file imitates what another party's system writes; README.md says what each must do.
``python tests/bench_app/exports/make_corpus.py`` rewrites them identically.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).parent
MPAN, SERIAL = "1200023456789", "PRO00001"
DAY = date(2026, 6, 10)
LONDON = ZoneInfo("Europe/London")


def value(sp: int) -> str:
    """Deterministic, non-uniform kWh per period, three decimals."""
    return f"{((sp * 37) % 50 + 10) / 100:.3f}"


def interval_lines(day: date, sep: str, comma: bool = False, serial: str = SERIAL) -> list[str]:
    lines = []
    n = 48
    for sp in range(1, n + 1):
        v = value(sp).replace(".", ",") if comma else value(sp)
        lines.append(sep.join([MPAN, serial, day.isoformat(), str(sp), "AI", v, "kWh", "0"]))
    return lines


def write(name: str, text: str, encoding: str = "utf-8", bom: bool = False) -> None:
    data = text.encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    (HERE / name).write_bytes(data)


def local_day(day: date, *, offsets: bool, skip_missing: bool = True) -> list[str]:
    """Local-time lines of a whole settlement day, wall clock dd/mm/yyyy hh:mm."""
    start = datetime(day.year, day.month, day.day, tzinfo=LONDON).astimezone(ZoneInfo("UTC"))
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), LONDON)
    lines, t, sp = [], start, 1
    while t < end.astimezone(ZoneInfo("UTC")):
        local = t.astimezone(LONDON)
        cells = [MPAN, SERIAL, local.strftime("%d/%m/%Y %H:%M")]
        if offsets:
            cells.append("BST" if local.utcoffset() else "GMT")
        cells += ["AI", value(sp), "kWh", "0"]
        lines.append(",".join(cells))
        t += timedelta(minutes=30)
        sp += 1
    return lines


def main() -> None:
    head = "MPAN,Serial,Date,SP,Channel,Value,Unit,Flag"
    site = "Site,MPAN,Serial,Date,SP,Channel,Value,Unit,Flag"
    rows = [f"Café Hôtel £ Ltd,{line}" for line in interval_lines(DAY, ",")]
    write("cp1252-site-name.csv", "\r\n".join([site, *rows]) + "\r\n", "cp1252")
    body = interval_lines(DAY, ";", comma=True)
    write("semicolon-decimal-comma.csv", "\r\n".join([head.replace(",", ";"), *body]) + "\r\n")
    write("tab.tsv", "\n".join([head.replace(",", "\t"), *interval_lines(DAY, "\t")]) + "\n")
    write("pipe.txt", "\n".join([head.replace(",", "|"), *interval_lines(DAY, "|")]) + "\n")
    write("utf8-bom.csv", "\r\n".join([head, *interval_lines(DAY, ",")]) + "\r\n", bom=True)
    write(
        "other-serial.csv", "\n".join([head, *interval_lines(DAY, ",", serial="XYZ99999")]) + "\n"
    )
    neg = interval_lines(DAY, ",")
    neg[9] = neg[9].replace(f",{value(10)},", ",-5,")
    write("negative-value.csv", "\n".join([head, *neg]) + "\n")
    absurd = interval_lines(DAY, ",")
    absurd[2] = absurd[2].replace(f",{value(3)},", ",1e308,")
    absurd[3] = absurd[3].replace(f",{value(4)},", ",1e29,")
    write("absurd-values.csv", "\n".join([head, *absurd]) + "\n")
    lhead = "MPAN,Serial,Start,Channel,Value,Unit,Flag"
    autumn = local_day(date(2026, 10, 25), offsets=False)
    write("local-autumn-by-order.csv", "\n".join([lhead, *autumn]) + "\n")
    ohead = "MPAN,Serial,Start,Offset,Channel,Value,Unit,Flag"
    with_offsets = local_day(date(2026, 10, 25), offsets=True)
    with_offsets[2:6] = [with_offsets[4], with_offsets[5], with_offsets[2], with_offsets[3]]
    write("local-autumn-offset-column.csv", "\n".join([ohead, *with_offsets]) + "\n")
    spring = local_day(date(2026, 3, 29), offsets=False)
    write("local-spring-46.csv", "\n".join([lhead, *spring]) + "\n")
    bad = (
        spring[:2]
        + [
            f"{MPAN},{SERIAL},29/03/2026 01:00,AI,0.100,kWh,0",
            f"{MPAN},{SERIAL},29/03/2026 01:30,AI,0.100,kWh,0",
        ]
        + spring[2:]
    )
    write("local-spring-48.csv", "\n".join([lhead, *bad]) + "\n")


if __name__ == "__main__":
    main()
