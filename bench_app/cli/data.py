"""``bench-app import`` (HHDC / manufacturer CSV) and ``bench-app reconcile``.

``import`` reads a CSV export with a column mapping (``resources/mappings/NAME.toml`` or a path to
a ``.toml``) into a new collection; it detects the encoding, delimiter and decimal mark (and says
which it used), refuses a file for another meter unless ``--accept-serial``, and reports bad lines
as ``file:line: reason``; nothing is stored unless every line is good or ``--keep-valid``.

``reconcile`` compares collections of a session per settlement period and channel, by default
over the export's own span (it names it). Exit codes: 0 AGREE, 1 DIFFER, 12 CANNOT COMPARE.
"""

from __future__ import annotations

import argparse
import sys

from bench_app.cli import validate
from bench_app.cli.common import add_db_option, open_store, print_json
from bench_app.csvformat import (
    FormatError,
    normalise_decimal,
    normalise_delimiter,
    normalise_encoding,
)
from bench_app.errors import CannotCompareError, UsageError

#: Exit code of ``reconcile`` when something differs (AGREE is 0).
EXIT_DIFFER = 1


def _format_option(normalise):
    """An argparse ``type=`` from a :mod:`bench_app.csvformat` normaliser (usage error, exit 2)."""

    def check(text: str) -> str:
        try:
            return normalise(text)
        except FormatError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    check.__name__ = normalise.__name__.replace("normalise_", "")
    return check


def _mapping_help() -> str:
    from bench_app.importers import mapping_summaries

    lines = [f"{name} ({text})" if text else name for name, text in mapping_summaries().items()]
    return "; ".join(lines)


IMPORT_DESCRIPTION = """\
Import an HHDC system's or manufacturer software's CSV export into a session as a new collection.
Needs: --session, --source and the CSV file. Writes: one collection in the session database
(readings, the file's SHA-256, what was detected and checked) — nothing when any line is bad.

The encoding (UTF-8 with/without BOM, cp1252, Latin-1), the delimiter (comma, semicolon, tab,
pipe) and the decimal mark are detected and printed; override them with --encoding, --delimiter,
--decimal. The file's meter serial and MPAN must match the session's (declared equipment, bench
read, earlier imports) unless --accept-serial (recorded as a deviation). Values must be >= 0 and
at most --max-kwh-per-period (default: the session's meter description's max_kwh_per_period,
else the mapping's, else 1000000 kWh). Errors are file:line."""

RECONCILE_DESCRIPTION = """\
Compare collections of a session per settlement period and channel (exact decimal arithmetic).
Without --a/--b: the newest bench, hhdc and manufacturer collections, pair by pair. By default
each pair is compared over the export's own span (bench vs export: the export's periods), which
is printed; --from/--to choose another span, --all-periods compares everything.
Writes nothing. Exit codes: 0 AGREE, 1 DIFFER, 12 CANNOT COMPARE (nothing in the span)."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import",
        help="import an HHDC or manufacturer CSV export into a session",
        description=IMPORT_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--session", type=int, required=True, help="session id")
    p.add_argument("--source", required=True, choices=["hhdc", "manufacturer"])
    p.add_argument(
        "--mapping",
        default="generic-interval",
        metavar="NAME|FILE.toml",
        help=f"column mapping (default generic-interval). Shipped: {_mapping_help()}",
    )
    p.add_argument(
        "--encoding",
        type=_format_option(normalise_encoding),
        help="auto (default), utf-8, utf-8-sig, cp1252, latin-1 …",
    )
    p.add_argument(
        "--delimiter",
        type=_format_option(normalise_delimiter),
        help="auto (default), comma, semicolon, tab, pipe or a character",
    )
    p.add_argument(
        "--decimal", type=_format_option(normalise_decimal), help="auto (default), point or comma"
    )
    p.add_argument(
        "--max-kwh-per-period",
        type=validate.positive_decimal,
        metavar="KWH",
        help="largest plausible value of one period (the meter's rating × 0.5 h; default: the "
        "session's meter description's max_kwh_per_period)",
    )
    p.add_argument(
        "--accept-serial",
        action="store_true",
        help="import although the file's serial/MPAN differs from the session's (a deviation)",
    )
    p.add_argument(
        "--again",
        action="store_true",
        help="import a file the session already holds (same bytes) once more",
    )
    p.add_argument("--keep-valid", action="store_true", help="store the good lines of a bad file")
    p.add_argument(
        "--step", default="", help="checklist step the export is evidence for, e.g. DR4-1a"
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("file", help="CSV file")
    add_db_option(p)
    p.set_defaults(func=run_import)

    p = sub.add_parser(
        "reconcile",
        help="compare collections per settlement period and channel (AGREE/DIFFER)",
        description=RECONCILE_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--session", type=int, required=True, help="session id")
    p.add_argument("--a", help="collection id or source (bench/hhdc/manufacturer)")
    p.add_argument("--b", help="collection id or source")
    p.add_argument(
        "--tolerance",
        type=validate.non_negative_float,
        default=None,
        help="absolute tolerance per period (kWh, default 0.0005)",
    )
    p.add_argument("--from", dest="start", help="only periods from (ISO 8601, UTC if no offset)")
    p.add_argument("--to", dest="end", help="only periods starting before this (ISO 8601)")
    p.add_argument(
        "--all-periods", action="store_true", help="compare every period, not the export's span"
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument(
        "--limit",
        type=validate.int_range(0, 10**9),
        default=50,
        help="discrepancies listed (text output)",
    )
    p.add_argument(
        "--fail-on-diff", action="store_true", help="(kept for old scripts: DIFFER exits 1 anyway)"
    )
    add_db_option(p)
    p.set_defaults(func=run_reconcile)


def run_import(args: argparse.Namespace) -> int:
    from bench_app.importers import ImportOptions, import_csv

    validate.input_file(args.file, "file")
    options = ImportOptions(
        encoding=args.encoding,
        delimiter=args.delimiter,
        decimal=args.decimal,
        max_kwh_per_period=args.max_kwh_per_period,
        accept_serial=args.accept_serial,
        again=args.again,
    )
    with open_store(args) as store:
        res = import_csv(
            store,
            args.session,
            args.file,
            source=args.source,
            mapping=args.mapping,
            keep_valid=args.keep_valid,
            options=options,
            step=args.step,
        )
    if args.json:
        print_json(res.to_json())
        return 0
    for err in res.errors:
        print(f"warning: skipped {err}", file=sys.stderr)
    for text in res.meta.get("deviations", []):
        print(f"deviation recorded: {text}", file=sys.stderr)
    meta = res.meta
    print(f"read {res.file} as {meta['format_text']} (mapping {meta['mapping']})")
    print(f"  {meta['identity_check']['result']}")
    source = meta.get("max_kwh_per_period_source")
    print(f"  values bounded by {meta['max_kwh_per_period']} per period"
          + (f" ({source})" if source else ""))  # fmt: skip
    if meta.get("repeated_local_hours"):
        print(f"  repeated autumn hour placed on {', '.join(meta['repeated_local_hours'])}")
    first, last = (str(meta.get(k, "?")).replace("+00:00", "Z") for k in ("first", "last"))
    print(
        f"collection {res.collection_id}: {res.rows} readings from {res.file} "
        f"({args.source}, intervals {first} → {last})"
        + (f", evidence for step {args.step}" if args.step else "")
    )
    return 0


def run_reconcile(args: argparse.Namespace) -> int:
    from bench_app.cli.read import parse_time
    from bench_app.compare_basis import default_span
    from bench_app.reconcile import (
        DEFAULT_TOLERANCE,
        Pair,
        pick_collection,
        reconcile,
        session_pairs,
    )

    tol = DEFAULT_TOLERANCE if args.tolerance is None else args.tolerance
    start, end = parse_time(args.start, "--from"), parse_time(args.end, "--to")
    if start and end and end <= start:
        raise UsageError("--to must be after --from")
    if args.all_periods and (start or end):
        raise UsageError("--all-periods compares everything; leave out --from/--to")
    with open_store(args) as store:
        if args.a or args.b:
            if not (args.a and args.b):
                raise UsageError("give both --a and --b, or neither")
            ids = [pick_collection(store, args.session, w) for w in (args.a, args.b)]
            span, text = default_span(store, *ids)
            pairs = [Pair(ids[0], ids[1], span, text)]
        else:
            pairs = session_pairs(store, args.session)
            if not pairs:
                raise CannotCompareError(
                    f"session {args.session} has no export (hhdc or manufacturer) with a bench "
                    "read covering it, so there is nothing the report compares; import an "
                    "export and read the meter first, or name two collections with --a/--b"
                )
        results = []
        for pair in pairs:
            lo, hi = start, end
            if not (start or end or args.all_periods):
                lo, hi = pair.span if pair.span else (None, None)
            r = reconcile(store, pair.a, pair.b, tol, start=lo, end=hi)
            if not (start or end or args.all_periods):
                r.span_text = pair.why if args.a else f"{r.span_text}: {pair.why}"
            results.append(r)
    if args.json:
        if len(results) == 1:
            print_json(results[0].to_json())
        else:
            print_json({"ok": all(r.ok for r in results), "pairs": [r.to_json() for r in results]})
    else:
        for r in results:
            _print_result(r, args.limit)
    verdicts = {r.verdict for r in results}
    if "CANNOT COMPARE" in verdicts:
        exc = CannotCompareError(
            "nothing to compare in the span for: "
            + ", ".join(
                f"{r.source_a} {r.collection_a} vs {r.source_b} {r.collection_b}"
                for r in results
                if r.verdict == "CANNOT COMPARE"
            )
        )
        if not args.json:
            raise exc
        print(f"error: {exc}", file=sys.stderr)  # the JSON above says CANNOT COMPARE already
        return exc.exit_code
    return EXIT_DIFFER if "DIFFER" in verdicts else 0


def _print_result(r, limit: int) -> None:
    from bench_app.reconcile import show

    print(
        f"{r.source_a} (collection {r.collection_a}) vs {r.source_b} (collection "
        f"{r.collection_b}): {r.verdict}"
    )
    print(f"  over {r.span_text}")
    print(
        f"  compared {r.compared}  matched {r.matched}  missing in A {r.missing_in_a}  "
        f"missing in B {r.missing_in_b}  value diffs {r.value_diffs}  flag diffs {r.flag_diffs}"
        f"  (tolerance {show(r.tolerance)} per period)"
    )
    if r.clock_change_days:
        print(f"  clock-change days: {', '.join(r.clock_change_days)}")
    for c in r.channels.values():
        state = "agree" if c.matched == c.compared else "DIFFER"
        print(
            f"  channel {c.channel:<16} {state:<6} {c.matched}/{c.compared} periods  "
            f"sum A {show(c.sum_a)}  sum B {show(c.sum_b)}"
        )
    for d in r.discrepancies[:limit]:
        print(
            f"  {d.settlement_day} SP{d.sp:02d} {d.start:%H:%MZ} {d.channel:<16} {d.kind:<13} "
            f"A={show(d.a)} B={show(d.b)}"
        )
    if len(r.discrepancies) > limit:
        print(f"  … {len(r.discrepancies) - limit} more (use --json for all)")
