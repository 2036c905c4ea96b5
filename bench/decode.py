"""Decode throughput of a DLMS load-profile buffer (90 days × 48 periods × 4 channels).

Builds the buffer with our own A-XDR encoder (clock octet-string, uint16 status, four uint32
channels per row, as the simulator sends it), then times :func:`drivers.dlms.axdr.decode` and
the conversion to :class:`drivers.model.ProfileRow`. Prints JSON::

    python bench/decode.py [--days 90] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drivers.dlms import axdr
from drivers.dlms.axdr import CosemDateTime, DataType, Typed
from drivers.dlms.client import CaptureObject, DlmsClient


def build_buffer(days: int, period_min: int = 30) -> bytes:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(days * 24 * 60 // period_min):
        end = start + timedelta(minutes=period_min * (i + 1))
        rows.append(
            Typed(
                DataType.STRUCTURE,
                (
                    Typed(DataType.OCTET_STRING, CosemDateTime.from_datetime(end).encode()),
                    Typed(DataType.UINT16, 0),
                    *(Typed(DataType.UINT32, (i * 7 + ch * 13) % 5000) for ch in range(4)),
                ),
            )
        )
    return Typed(DataType.ARRAY, tuple(rows)).encode()


class _NoLink:
    transport = None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    buf = build_buffer(args.days)
    columns = [CaptureObject(8, "0.0.1.0.0.255", 2), CaptureObject(1, "0.0.96.10.1.255", 2)] + [
        CaptureObject(3, f"1.0.{c}.8.0.255", 2) for c in (1, 2, 3, 4)
    ]
    client = DlmsClient(_NoLink())  # type: ignore[arg-type]
    client._scalers = {c.obis: (0, "Wh") for c in columns if c.class_id == 3}
    best_decode = best_rows = float("inf")
    nrows = 0
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        value, rest = axdr.decode(buf)
        t1 = time.perf_counter()
        rows = client.profile_rows(value, 1800, columns)
        t2 = time.perf_counter()
        assert not rest
        nrows = len(rows)
        best_decode = min(best_decode, t1 - t0)
        best_rows = min(best_rows, t2 - t1)
    mb = len(buf) / 1e6
    print(
        json.dumps(
            {
                "benchmark": "dlms_decode",
                "days": args.days,
                "rows": nrows,
                "buffer_bytes": len(buf),
                "axdr_decode_s": round(best_decode, 4),
                "axdr_decode_mb_per_s": round(mb / best_decode, 2),
                "to_rows_s": round(best_rows, 4),
                "total_mb_per_s": round(mb / (best_decode + best_rows), 2),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
