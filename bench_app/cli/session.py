"""``bench-app session``: create, list, show, lock, export and import test sessions.

``session new`` prints only the new session's id, so scripts can capture it. Export writes a
``.wbs`` bundle; import checks every SHA-256 and refuses a damaged bundle without touching the
database.
"""

from __future__ import annotations

import argparse

from bench_app.cli import session_set, validate
from bench_app.cli.common import add_db_option, db_path, open_store, print_json
from bench_app.store.sessions import KINDS
from bench_app.textsafe import printable


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("session", help="create, list, show, lock, export and import sessions")
    ss = p.add_subparsers(dest="session_command", metavar="ACTION")
    ss.required = True

    q = ss.add_parser(
        "new",
        help="create a session and print its id",
        description=(
            "Needs --reference and --kind. Writes a new draft session into the database and "
            "prints only its id (so scripts can keep it). --date must be a real day "
            "YYYY-MM-DD (default today)."
        ),
    )
    q.add_argument("--reference", required=True, help="BSCP601 application reference")
    q.add_argument("--kind", required=True, choices=KINDS)
    q.add_argument(
        "--cop",
        action="append",
        default=[],
        help="Code of Practice with its issue, e.g. 'CoP 5 Issue 6' (repeatable)",
    )
    q.add_argument("--location", default="", help="where the test takes place")
    q.add_argument(
        "--date", type=validate.iso_date, default=None, help="test date YYYY-MM-DD (default today)"
    )
    q.add_argument("--title", default="", help="free title")
    add_db_option(q)
    q.set_defaults(func=run_new)

    q = ss.add_parser(
        "list",
        help="list sessions",
        description=(
            "Needs nothing. Writes nothing; prints id, date, status, kind, CoPs and reference."
        ),
    )
    q.add_argument("--json", action="store_true")
    add_db_option(q)
    q.set_defaults(func=run_list)

    q = ss.add_parser(
        "show",
        help="show one session with its collections and audit head",
        description=(
            "Needs the session id. Writes nothing; prints the session, its participants, "
            "equipment, collections and audit head."
        ),
    )
    q.add_argument("id", type=int)
    q.add_argument("--json", action="store_true")
    add_db_option(q)
    q.set_defaults(func=run_show)

    q = ss.add_parser(
        "lock",
        help="lock a session (no further changes)",
        description=(
            "Needs the session id and --by. Writes the lock (audited); the session can then "
            "be read and reported but not changed."
        ),
    )
    q.add_argument("id", type=int)
    q.add_argument("--by", required=True, help="who locks it")
    q.add_argument("--reason", default="", help="why (e.g. report signed)")
    add_db_option(q)
    q.set_defaults(func=run_lock)

    session_set.register(ss)

    q = ss.add_parser(
        "export",
        help="write the session as a .wbs bundle",
        description=(
            "Needs the session id and FILE.wbs (in an existing folder). Writes one bundle "
            "holding the session and a SHA-256 of every part."
        ),
    )
    q.add_argument("id", type=int)
    q.add_argument("file", help="bundle to write (FILE.wbs); its folder must exist")
    add_db_option(q)
    q.set_defaults(func=run_export)

    q = ss.add_parser(
        "record-csv",
        help="write the Elexon test record (header and every test's result) as CSV",
        description=(
            "Needs the session id and FILE.csv. Writes the test record's header fields, the "
            "overall result and one row per test (Objective, Method, Expected, Actual (HHDC), "
            "Reference (bench), Result); formulas are written as text."
        ),
    )
    q.add_argument("id", type=int)
    q.add_argument("file", help="CSV file to write")
    add_db_option(q)
    q.set_defaults(func=run_record_csv)

    q = ss.add_parser(
        "import",
        help="check and import a .wbs bundle; prints the new id",
        description=(
            "Needs FILE.wbs. Checks every SHA-256 first; a damaged bundle is refused "
            "without touching the database. Writes the session as a new one and prints its "
            "id."
        ),
    )
    q.add_argument("file", help="bundle to read (FILE.wbs)")
    add_db_option(q)
    q.set_defaults(func=run_import)


def run_record_csv(args: argparse.Namespace) -> int:
    from bench_app.report.data import collect_report_data
    from bench_app.test_record import write_csv

    with open_store(args) as store:
        n = write_csv(collect_report_data(store, args.id), args.file)
    print(f"session {args.id}: test record with {n} test(s) written to {args.file}")
    return 0


def run_new(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        sid = store.create_session(
            args.reference,
            args.kind,
            cops=args.cop,
            location=args.location,
            date=args.date,
            title=args.title,
        )
    print(sid)
    return 0


def _say(line: str) -> None:
    """Print one line with the control characters of its data shown as escapes."""
    print(printable(line))


def run_list(args: argparse.Namespace) -> int:
    from pathlib import Path

    if not Path(db_path(args)).exists():  # nothing recorded yet: read-only, so create nothing
        sessions = []
    else:
        with open_store(args, readonly=True) as store:
            sessions = store.list_sessions()
    if args.json:
        print_json(sessions)
        return 0
    if not sessions:
        _say("no sessions")
    for s in sessions:
        cops = ",".join(s["cops"]) or "-"
        _say(
            f"{s['id']:>4}  {s['date']}  {s['status']:<6}  {s['kind']:<17}  {cops:<10}  "
            f"{s['reference']}"
        )
    return 0


def run_show(args: argparse.Namespace) -> int:
    with open_store(args, readonly=True) as store:
        sid = args.id
        info = {
            "session": store.get_session(sid),
            "participants": store.participants(sid),
            "equipment": store.equipment(sid),
            "software": store.software(sid),
            "collections": store.collections(sid),
            "traces": store.traces(sid),
            "attachments": store.attachments(sid),
            "checklist_runs": store.checklist_runs(sid),
            "audit_head": store.audit_head(sid),
        }
        for c in info["collections"]:
            c["state"] = store.collection_state(c["id"])
    if args.json:
        print_json(info)
        return 0
    s = info["session"]
    _say(f"session {s['id']}: {s['reference']} ({s['kind']})")
    _say(
        f"  date {s['date']}  location {s['location'] or '-'}  CoPs {', '.join(s['cops']) or '-'}"
    )
    status = s["status"]
    if status != "draft":
        status += f" by {s['locked_by']} at {s['locked_at']}"
    _say(f"  status {status}")
    for p in info["participants"]:
        mpid = f" [{p['mpid']}]" if p["mpid"] else ""
        _say(f"  {p['role']:<12} {p['name']} {p['organisation']}{mpid}")
    eq = info["equipment"]
    if eq:
        _say(
            f"  equipment {eq['outstation_type']} {eq['model']} serials {', '.join(eq['serials'])}"
        )
    for c in info["collections"]:
        _say(
            f"  collection {c['id']}: {c['source']:<12} {c['protocol'] or '-':<22} "
            f"{c['rows']:>7} readings  {c['source_file']}"
        )
        state = c["state"]
        if state and state["state"] == "incomplete":
            _say(f"    INCOMPLETE: {state['reason']}")
        for warning in (state or {}).get("warnings") or []:
            _say(f"    read with warning: {warning}")
    _say(
        f"  traces {len(info['traces'])}  attachments {len(info['attachments'])}  "
        f"checklist runs {len(info['checklist_runs'])}"
    )
    _say(f"  audit head {info['audit_head']}")
    return 0


def run_lock(args: argparse.Namespace) -> int:
    from bench_app.equipment.snapshot import lock_session

    with open_store(args) as store:
        lock_session(store, args.id, args.by, args.reason)
        s = store.get_session(args.id)
    _say(f"session {args.id} locked by {s['locked_by']} at {s['locked_at']}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    validate.output_file(args.file, "bundle")
    with open_store(args) as store:
        manifest = store.export_bundle(args.id, args.file)
    print(
        f"wrote {args.file}: session {args.id}, {len(manifest['files'])} files, "
        f"audit head {manifest['audit_head']}"
    )
    return 0


def run_import(args: argparse.Namespace) -> int:
    validate.input_file(args.file, "bundle")
    with open_store(args) as store:
        sid = store.import_bundle(args.file)
    print(sid)
    return 0
