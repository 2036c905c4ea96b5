"""``bench-app import`` (HHDC / manufacturer CSV) and ``bench-app reconcile``.

``import`` reads a CSV export with a column mapping (``resources/mappings/NAME.toml`` or a path to
a ``.toml``) into a new collection; bad lines are reported as ``file:line: reason`` and nothing is
stored unless ``--keep-valid``. ``reconcile`` compares collections of a session per settlement
period and channel; it exits 0 even when it finds discrepancies unless ``--fail-on-diff`` is given
(then 1).
"""

from __future__ import annotations

import argparse
import sys

from bench_app.cli.common import add_db_option, open_store, print_json
from bench_app.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="import an HHDC or manufacturer CSV export into a session")
    p.add_argument("--session", type=int, required=True)
    p.add_argument("--source", required=True, choices=["hhdc", "manufacturer"])
    p.add_argument("--mapping", default="generic-interval", help="mapping name or .toml path")
    p.add_argument("--keep-valid", action="store_true", help="store the good lines of a bad file")
    p.add_argument("--json", action="store_true")
    p.add_argument("file", help="CSV file")
    add_db_option(p)
    p.set_defaults(func=run_import)

    p = sub.add_parser("reconcile", help="compare collections per settlement period and channel")
    p.add_argument("--session", type=int, required=True)
    p.add_argument("--a", help="collection id or source (bench/hhdc/manufacturer)")
    p.add_argument("--b", help="collection id or source")
    p.add_argument(
        "--tolerance", type=float, default=None, help="absolute tolerance per period (kWh)"
    )
    p.add_argument("--from", dest="start", help="only periods from (ISO 8601, UTC if no offset)")
    p.add_argument("--to", dest="end", help="only periods starting before this (ISO 8601)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=int, default=50, help="discrepancies listed (text output)")
    p.add_argument("--fail-on-diff", action="store_true", help="exit 1 when anything differs")
    add_db_option(p)
    p.set_defaults(func=run_reconcile)


def run_import(args: argparse.Namespace) -> int:
    from bench_app.importers import import_csv

    with open_store(args) as store:
        res = import_csv(
            store,
            args.session,
            args.file,
            source=args.source,
            mapping=args.mapping,
            keep_valid=args.keep_valid,
        )
    if args.json:
        print_json(res.to_json())
        return 0
    for err in res.errors:
        print(f"warning: skipped {err}", file=sys.stderr)
    print(
        f"collection {res.collection_id}: {res.rows} readings from {res.file} "
        f"({args.source}, mapping {res.meta['mapping']})"
    )
    return 0


def run_reconcile(args: argparse.Namespace) -> int:
    from bench_app.cli.read import parse_time
    from bench_app.reconcile import DEFAULT_TOLERANCE, pick_collection, reconcile, reconcile_many

    tol = DEFAULT_TOLERANCE if args.tolerance is None else args.tolerance
    start, end = parse_time(args.start, "--from"), parse_time(args.end, "--to")
    with open_store(args) as store:
        if args.a or args.b:
            if not (args.a and args.b):
                raise UsageError("give both --a and --b, or neither")
            ids = [pick_collection(store, args.session, w) for w in (args.a, args.b)]
        else:
            colls = store.collections(args.session)
            ids = []
            for source in ("bench", "hhdc", "manufacturer"):
                if any(c["source"] == source and c["rows"] for c in colls):
                    ids.append(pick_collection(store, args.session, source))
            if len(ids) < 2:
                raise UsageError(
                    f"session {args.session} needs readings from at least two sources "
                    "(bench, hhdc, manufacturer) to reconcile"
                )
        results = (
            [reconcile(store, ids[0], ids[1], tol, start=start, end=end)]
            if len(ids) == 2
            else reconcile_many(store, ids, tol, start=start, end=end).results
        )
    if args.json:
        if len(results) == 1:
            print_json(results[0].to_json())
        else:
            print_json({"ok": all(r.ok for r in results), "pairs": [r.to_json() for r in results]})
    else:
        for r in results:
            _print_result(r, args.limit)
    if args.fail_on_diff and not all(r.ok for r in results):
        return 1
    return 0


def _print_result(r, limit: int) -> None:
    verdict = "AGREE" if r.ok else "DIFFER"
    print(
        f"{r.source_a} (collection {r.collection_a}) vs {r.source_b} (collection "
        f"{r.collection_b}): {verdict}"
    )
    print(
        f"  compared {r.compared}  matched {r.matched}  missing in A {r.missing_in_a}  "
        f"missing in B {r.missing_in_b}  value diffs {r.value_diffs}  flag diffs {r.flag_diffs}"
    )
    if r.clock_change_days:
        print(f"  clock-change days: {', '.join(r.clock_change_days)}")
    for d in r.discrepancies[:limit]:
        print(
            f"  {d.settlement_day} SP{d.sp:02d} {d.start:%H:%MZ} {d.channel:<16} {d.kind:<13} "
            f"A={d.a} B={d.b}"
        )
    if len(r.discrepancies) > limit:
        print(f"  … {len(r.discrepancies) - limit} more (use --json for all)")
