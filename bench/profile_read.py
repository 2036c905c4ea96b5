"""Profile-read speed against the line's own pace, with line-speed emulation on.

Starts a simulated meter (``drivers.sim.start_simulator``, baud emulation on), connects through
the generic driver factory (``drivers.meter.create_meter``), reads ``--days`` whole days of load
profile, closes, and compares the wall time (what the user waits for, connection and sign-on
included) with what the line itself needs (``line_s``)::

    python bench/profile_read.py --protocol iec21 --baud 9600 --days 7 --json
    {"line_s": 13.49, "wall_s": 13.56, "ratio": 1.005, "wire_bytes_s": 12.53, ...}

``line_s`` = ``wire_bytes_s`` + ``mandated_reaction_s``:

* ``wire_bytes_s`` — the sum over every traced chunk of ``bytes × 10 / baud in force``
  (``Trace.wire_time_s``), the 300-baud IEC sign-on included;
* ``mandated_reaction_s`` — IEC 62056-21 only: before each answer the meter must wait its
  reaction time ``tr``, at least 200 ms (20 ms when its identification's third letter is
  lowercase). That wait is the line's pace, not the client's: no client can be answered
  sooner, so each answer counts the least of ``tr`` minimum and the reaction actually seen.
  Anything the meter takes beyond the minimum, and all of the client's own time, stays in the
  ratio. DLMS/HDLC has no mandated minimum reaction: 0.

(Until this definition the ratio divided by ``wire_bytes_s`` alone, charging the standard's
reaction times to the client; ``ratio_bytes_only`` still prints that figure.) The goal is
``ratio ≤ 1.05``.

DLMS also prints ``wire_efficiency`` = A-XDR payload bytes of the profile rows ÷ every byte on
the wire for the read (both directions, connection set-up included). Goals on a 30-day 4-channel
profile at 9600 Bd: ≥ 0.87 with ``--max-info 128 --window 7``, ≥ 0.95 with ``--max-info 1024``,
at the simulator's default xDLMS PDU (``--meter-pdu``, default 2048, as ``bench-app simulate``;
65535 shows a meter that takes the client's 64 KB PDU and needs no block transfer). The
simulated meter offers general block transfer (GBT): it streams its blocks, each filling whole
HDLC frames, a window of the client's choosing at a time; ``--no-gbt`` makes it a meter without
GBT, whose GET-Response-With-Datablock blocks fill whole frames and whole windows.

``--details`` adds where the rest of the time went: the meter's reaction before each answer
(request fully on the wire → first answer byte), the client's turnaround (last answer byte → next
request), and the counts.

IEC 62056-21: ``--baud`` is the highest baud the client may switch to (the simulated meter offers
it through its identification and answers after the least ``tr`` its flag allows). DLMS: the
HDLC line baud (the DLMS driver and simulator decide how it is used).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drivers.dlms.axdr import decode_length
from drivers.iec62056_21.client import BAUD_CODES, min_reaction_in
from drivers.meter import ConnectOptions, create_meter
from drivers.sim import DEFAULT_METER, MeterDescription, start_simulator
from drivers.trace import Trace


def connect_options(
    protocol: str, url: str, baud: int, password: str | None, max_info: int = 128, window: int = 7
) -> ConnectOptions:
    """Read as the HHDC would: IEC programming password / DLMS association level 2.

    :param max_info: DLMS HDLC maximum information field to propose (bytes).
    :param window: DLMS HDLC receive window to propose (frames, 1…7).
    """
    desc = MeterDescription.load(DEFAULT_METER[protocol])
    if protocol == "iec21":
        pw = password if password is not None else desc.iec_password
        return ConnectOptions(url, password=pw, baud=baud, timeout=5.0)
    level2 = next((a for a in desc.associations if a.level == 2), None)
    sap = level2.sap if level2 else 16
    pw = password if password is not None else (level2.password if level2 else None)
    return ConnectOptions(
        url, password=pw or None, baud=baud, client_sap=sap, timeout=5.0, max_info=max_info,
        window=window,
    )  # fmt: skip


class PayloadCounter:
    """Wraps a DLMS client's ``get_raw``: adds up the A-XDR bytes of profile buffer rows."""

    def __init__(self, client) -> None:
        self.bytes = 0
        self._get_raw = client.get_raw
        client.get_raw = self

    def __call__(self, class_id, obis, attr, access=None, *, step=""):
        raw = self._get_raw(class_id, obis, attr, access, step=step)
        if class_id == 7 and attr == 2 and raw[:1] == b"\x01":
            _, pos = decode_length(raw, 1)
            self.bytes += len(raw) - pos  # the row structures, without the array header
        return raw


def line_time(trace: Trace, protocol: str) -> tuple[float, float]:
    """``(wire_bytes_s, mandated_reaction_s)`` of one connection (see the module docstring)."""
    tr = min_reaction_in(trace) if protocol == "iec21" else 0.0
    return trace.wire_time_s(), trace.mandated_wait_s(tr)


def gaps(trace: Trace) -> dict:
    """Split the non-wire time: meter reaction (tx end → rx start) and client turnaround."""
    reactions, turnarounds = trace.waits()
    tx, rx = trace.byte_counts()
    return {
        "meter_reaction_s": round(sum(reactions), 3),
        "client_turnaround_s": round(sum(turnarounds), 3),
        "requests": sum(1 for r in trace if r.direction == "tx"),
        "bytes_tx": tx,
        "bytes_rx": rx,
    }


def run(
    protocol: str,
    baud: int,
    days: int,
    listen: str,
    password: str | None,
    max_info: int = 128,
    window: int = 7,
    meter_pdu: int = 2048,
    meter_gbt: bool = True,
) -> dict:
    extra: dict = {}
    if protocol == "iec21":
        code = max((c for c, b in BAUD_CODES.items() if b <= baud), default="0")
        extra["max_baud_code"] = code
    else:
        extra["baud"] = baud
        extra["max_pdu"] = meter_pdu
        extra["general_block_transfer"] = meter_gbt
    sim = start_simulator(
        protocol, listen=listen, seed=1, days=days + 2, baud_emulation=True, **extra
    )
    try:
        options = connect_options(protocol, sim.url, baud, password, max_info, window)
        meter = create_meter(protocol, options)
        now = datetime.now(UTC)
        end = datetime(now.year, now.month, now.day, tzinfo=UTC)
        start = end - timedelta(days=days)
        t0 = time.monotonic()
        meter.connect()
        counter = PayloadCounter(meter.client) if protocol == "dlms" else None
        try:
            profile = meter.read_profile(start, end)
        finally:
            meter.close()
        wall = time.monotonic() - t0
    finally:
        sim.stop()
    wire, mandated = line_time(meter.trace, protocol)
    line = wire + mandated
    out = {
        "line_s": round(line, 3), "wall_s": round(wall, 3), "ratio": round(wall / line, 3),
        "wire_bytes_s": round(wire, 3), "mandated_reaction_s": round(mandated, 3),
        "ratio_bytes_only": round(wall / wire, 3),
    }  # fmt: skip
    if counter is not None:
        out["wire_efficiency"] = round(counter.bytes / max(1, sum(meter.trace.byte_counts())), 4)
    out["_details"] = {"rows": len(profile.rows), **gaps(meter.trace)}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--protocol", choices=["iec21", "dlms"], default="iec21")
    ap.add_argument("--baud", type=int, default=9600)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--listen", default="tcp://127.0.0.1:0", help="tcp://127.0.0.1:0 or pty")
    ap.add_argument(
        "--password", default=None, help="default: the simulated meter's (DLMS: level 2)"
    )
    ap.add_argument("--max-info", type=int, default=128, help="DLMS HDLC max info field (bytes)")
    ap.add_argument("--window", type=int, default=7, help="DLMS HDLC receive window (1…7)")
    ap.add_argument(
        "--meter-pdu", type=int, default=2048, help="DLMS: the simulated meter's max xDLMS PDU"
    )
    ap.add_argument(
        "--no-gbt", action="store_true",
        help="DLMS: the simulated meter does not offer general block transfer",
    )  # fmt: skip
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--details", action="store_true", help="add where the time went")
    args = ap.parse_args(argv)
    result = run(
        args.protocol, args.baud, args.days, args.listen, args.password, args.max_info,
        args.window, args.meter_pdu, not args.no_gbt,
    )  # fmt: skip
    details = result.pop("_details")
    if args.details:
        result.update(details)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>20}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
