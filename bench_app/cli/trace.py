"""``bench-app trace show``: a stored or exported byte trace, decoded record by record.

``bench-app trace show FILE.jsonl`` reads an exported trace; ``bench-app trace show --session S``
shows every trace stored with session S (``--trace ID`` one of them). Each record is one line:
number, UTC time, direction, byte count, level (ok / REFUSED / BAD) and what it asked or
answered (:mod:`drivers.dissect`); ``--tree`` adds the decoded fields, ``--hex`` a hex dump,
``--bad`` shows only bad or refused records. Exit code 1 when a shown trace has a bad frame.
Observed traces (``bench-app observe``) name the roles: ``HHDC→M`` (the HHDC's system to the
meter) and ``M→HHDC``; ``--exchanges`` lists each trace's exchanges instead of its records
(association with SAP/level and result, GETs with the SPs returned and their status, clock SETs
with the old and new time, IEC 62056-21 commands and answers).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from bench_app.cli.common import add_db_option, open_store
from bench_app.errors import DataImportError, UsageError
from bench_app.observe import is_observed
from drivers.dissect import dissect_records, hex_dump, tree_text
from drivers.observe import exchanges
from drivers.trace import Trace

LEVEL_TEXT = {"ok": "ok", "refused": "REFUSED", "bad": "BAD"}
ARROWS = {"tx": "→ TX", "rx": "← RX"}
#: an observed trace: tx = the HHDC's system to the meter, rx = the meter to the HHDC
OBSERVED_ARROWS = {"tx": "HHDC→M", "rx": "M→HHDC"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("trace", help="show byte traces decoded (what was asked and answered)")
    ts = p.add_subparsers(dest="trace_command", metavar="ACTION")
    ts.required = True
    q = ts.add_parser(
        "show",
        help="decode a trace file or a session's stored traces",
        description="Decode a trace record by record: HDLC/DLMS APDUs (OBIS, attribute, result) "
        "and IEC 62056-21 messages. Exit 1 when a frame is bad (checksum, malformed).",
    )
    q.add_argument("file", nargs="?", help="exported trace (.jsonl)")
    q.add_argument("--session", type=int, help="show the traces stored with this session")
    q.add_argument("--trace", type=int, dest="trace_id", help="only this stored trace id")
    q.add_argument("--tree", action="store_true", help="print the decoded fields too")
    q.add_argument("--hex", action="store_true", help="print a hex dump of every record")
    q.add_argument("--bad", action="store_true", help="only records that are bad or refused")
    q.add_argument(
        "--exchanges",
        action="store_true",
        help="list request → answer exchanges (associations, GETs, SETs, IEC commands)",
    )
    add_db_option(q)
    q.set_defaults(func=run_show)


def _load(args: argparse.Namespace) -> list[tuple[str, Trace]]:
    """(title, trace) of the file or of each stored trace asked for."""
    return [(title, trace) for title, trace, _ in _load_rows(args)]


def _load_rows(args: argparse.Namespace) -> list[tuple[str, Trace, bool]]:
    if args.file and args.session is not None:
        raise UsageError("give a trace FILE or --session, not both")
    if args.file:
        path = Path(args.file)
        try:
            return [(str(path), Trace.load(path), False)]
        except FileNotFoundError:
            raise UsageError(f"trace file {path} does not exist") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise DataImportError(f"{path}: not a trace in JSON Lines ({exc})") from None
    if args.session is None:
        raise UsageError("give a trace FILE or --session S")
    store = open_store(args)
    try:
        rows = store.traces(args.session)
        if args.trace_id is not None:
            rows = [r for r in rows if r["id"] == args.trace_id]
            if not rows:
                raise UsageError(f"session {args.session} has no trace {args.trace_id}")
        return [(f"trace {r['id']} {r.get('label') or ''}".strip(), store.load_trace(r["id"]),
                 is_observed(r)) for r in rows]  # fmt: skip
    finally:
        store.close()


def run_show(args: argparse.Namespace) -> int:
    bad = 0
    traces = _load_rows(args)
    if not traces:
        print(f"session {args.session} has no stored traces")
    for title, trace, observed in traces:
        records = list(trace)
        print(f"== {title}: {len(records)} records")
        if args.exchanges:
            bad += _print_exchanges(records)
            continue
        arrows = OBSERVED_ARROWS if observed else ARROWS
        for i, (rec, d) in enumerate(zip(records, dissect_records(records), strict=True)):
            bad += d.level == "bad"
            if args.bad and d.level == "ok":
                continue
            when = datetime.fromtimestamp(rec.wall_ns / 1e9, UTC)
            stamp = when.strftime("%H:%M:%S.") + f"{when.microsecond // 1000:03d}"
            arrow = arrows.get(rec.direction, rec.direction)
            print(
                f"{i + 1:5d} {stamp} {arrow} {len(rec.data):5d} B "
                f"{LEVEL_TEXT[d.level]:7s} {d.summary}"
            )
            if args.tree and d.tree:
                print(_indent(tree_text(d.tree), 8))
            if args.hex:
                print(_indent(hex_dump(rec.data), 8))
    if bad:
        print(f"{bad} bad record(s): checksum wrong or not decodable")
    return 1 if bad else 0


def _print_exchanges(records: list) -> int:
    """Print one line per exchange; returns how many were bad."""
    found = exchanges(records)
    for ex in found:
        when = datetime.fromtimestamp(ex.wall_ns / 1e9, UTC).strftime("%H:%M:%S")
        flag = {"refused": "REFUSED", "bad": "BAD", "unanswered": "NO ANSWER"}.get(ex.level, "ok")
        print(f"{ex.record + 1:5d} {when} {flag:9s} {ex.text}")
    if not found:
        print("      (no request/answer exchange recognised)")
    return sum(ex.level == "bad" for ex in found)


def _indent(text: str, n: int) -> str:
    return "\n".join(" " * n + line for line in text.splitlines())
