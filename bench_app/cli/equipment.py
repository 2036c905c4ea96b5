"""``bench-app equipment``: the equipment register, its checks and installed-base coverage.

    bench-app equipment types|combos|certs|approvals|applications list [--json]
    bench-app equipment types add --code PRO --manufacturer "Secure" --model P3E --model R3E --cop 5
    bench-app equipment combos add --type PRO --model "Prometer 100" --metrology 1.02 … --hardware X
    bench-app equipment certs add --type PRO --cop 5 --issue=6 --agent "Lab" --date 2024-03-01
    bench-app equipment certs remove ID --date 2025-01-01 --reason "..."
    bench-app equipment KIND import FILE.csv | export FILE.csv
    bench-app equipment equivalents KEY
    bench-app equipment variants --session ID --tested KEY --covers KEY [KEY …]
    bench-app equipment check --session ID [--json]
    bench-app equipment coverage --base FILE.csv --tested KEY … --target 0.8 [--json]

The approval records (devices, conditions, dispensations, equivalences, dated
snapshots, upgrade plans, overrides, shares, deviations, published lists) are in
:mod:`bench_app.cli.equipment_records`.

Import reports every bad row as ``file:line: reason`` and stores nothing (exit 8).
"""

from __future__ import annotations

import argparse

from bench_app.cli import equipment_records as X
from bench_app.cli.common import add_db_option, open_store, print_json
from bench_app.equipment import (
    COLUMNS,
    Register,
    analyse,
    check_session,
    export_csv,
    import_csv,
    load_base,
)
from bench_app.equipment.fields import ASKS

_ADD_HELP = {
    "types": "add an outstation type (3-character code)",
    "combos": "add a device model combination (model + firmware + hardware)",
    "certs": "add a compliance certificate",
    "approvals": "add a protocol approval",
    "applications": "add a BSCP601 application",
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("equipment", help="equipment register: types, combinations, certificates…")
    es = p.add_subparsers(dest="equipment_command", metavar="WHAT")
    es.required = True
    for kind in COLUMNS:
        k = es.add_parser(kind, help=f"{kind}: list, add, import, export")
        ks = k.add_subparsers(dest="action", metavar="ACTION")
        ks.required = True
        q = ks.add_parser("list", help=f"list {kind}")
        q.add_argument("--json", action="store_true")
        add_db_option(q)
        q.set_defaults(func=run_list, kind=kind)
        new_kind = kind in X.NEW_KINDS
        q = ks.add_parser("add", help=X.ADD_HELP[kind] if new_kind else _ADD_HELP[kind])
        (X.add_options if new_kind else _add_options)(kind, q)
        q.add_argument("--replace", action="store_true", help="update the entry if it exists")
        add_db_option(q)
        q.set_defaults(func=X.run_add if new_kind else run_add, kind=kind)
        if new_kind:
            X.add_remove(kind, ks)
        q = ks.add_parser("import", help=f"import {kind} from CSV (all or nothing)")
        q.add_argument("file")
        add_db_option(q)
        q.set_defaults(func=run_import, kind=kind)
        q = ks.add_parser("export", help=f"export {kind} to CSV")
        q.add_argument("file")
        add_db_option(q)
        q.set_defaults(func=run_export, kind=kind)
        if kind in ("certs", "approvals"):
            q = ks.add_parser("remove", help="mark as removed, with date and reason")
            q.add_argument("id", type=int)
            q.add_argument("--date", required=True, help="removal date YYYY-MM-DD")
            q.add_argument("--reason", required=True)
            add_db_option(q)
            q.set_defaults(func=run_remove, kind=kind)
        if kind in ("types", "combos", "applications"):
            q = ks.add_parser("remove", help="delete an entry nothing else refers to")
            q.add_argument("id", help={"types": "type code", "combos": "combination key",
                                       "applications": "application reference"}[kind])  # fmt: skip
            add_db_option(q)
            q.set_defaults(func=run_delete, kind=kind)
        if kind == "applications":
            q = ks.add_parser("link", help="link a session to an application")
            q.add_argument("reference")
            q.add_argument("--session", type=int, required=True)
            add_db_option(q)
            q.set_defaults(func=run_link)
            q = ks.add_parser("decide", help="record an application's outcome (a granted "
                              "variant amendment covers the variant)")  # fmt: skip
            q.add_argument("reference")
            q.add_argument("decision", choices=("granted", "refused", "pending"))
            q.add_argument("--date", default="", help="decision date YYYY-MM-DD")
            add_db_option(q)
            q.set_defaults(func=run_decide)

    X.register_commands(es)
    q = es.add_parser("equivalents", help="combinations equivalent to KEY (differ in hardware)")
    q.add_argument("key")
    q.add_argument("--json", action="store_true")
    add_db_option(q)
    q.set_defaults(func=run_equivalents)

    q = es.add_parser("variants", help="record that a session's tested variant covers others")
    q.add_argument("--session", type=int, required=True)
    q.add_argument("--tested", required=True, help="key of the combination tested")
    q.add_argument("--covers", nargs="+", required=True, metavar="KEY")
    q.add_argument("--reason", default="", help="default: firmware is shared")
    add_db_option(q)
    q.set_defaults(func=run_variants)

    q = es.add_parser("check", help="compare the meter read in a session with its declaration")
    q.add_argument("--session", type=int, required=True)
    q.add_argument("--json", action="store_true")
    add_db_option(q)
    q.set_defaults(func=run_check)

    q = es.add_parser("coverage", help="share of the installed base covered by tested combos")
    q.add_argument("--base", required=True, help="CSV: combination,count[,firmware columns]")
    q.add_argument("--tested", nargs="*", default=[], metavar="KEY")
    q.add_argument("--target", type=float, default=0.8, help="target share 0–1 (default 0.8)")
    q.add_argument("--no-register", action="store_true", help="use only the base file")
    q.add_argument("--json", action="store_true")
    add_db_option(q)
    q.set_defaults(func=run_coverage)


def _add_options(kind: str, q: argparse.ArgumentParser) -> None:
    if kind == "types":
        q.add_argument("--code", required=True, help="3-character outstation type, e.g. PRO")
        q.add_argument("--manufacturer", default="")
        q.add_argument("--model", action="append", default=[], help="model/variant (repeatable)")
        q.add_argument("--cop", action="append", default=[], help="CoP (repeatable)")
        q.add_argument("--notes", default="")
        q.add_argument("--regime", default="bsc", choices=("bsc", "smets"),
                       help="bsc: BSCP601/CoPs; smets: a SMETS device model under the DCC regime")
        q.add_argument("--major-pattern", default="",
                       help=r"regex whose group is the major firmware iteration, e.g. (\d+\.\d+)")
    elif kind == "combos":
        q.add_argument("--type", required=True, dest="outstation_type")
        q.add_argument("--model", required=True)
        for part in ("metrology", "application", "communications"):
            q.add_argument(f"--{part}", default="", help=f"{part} firmware version")
        q.add_argument("--hardware", default="", help="hardware version")
        q.add_argument("--key", default="", help="name of the combination (default: derived)")
        q.add_argument("--notes", default="")
        q.add_argument("--solution-release", default="", help="e.g. 8.0.12g (bundled firmware)")
        q.add_argument("--fuel", default="", choices=("", "dual", "electricity", "gas"),
                       help="fuel of a SMETS device model combination")
    elif kind == "certs":
        q.add_argument("--type", required=True, dest="outstation_type")
        q.add_argument("--cop", required=True)
        q.add_argument("--issue", default="", help="CoP issue/version")
        q.add_argument("--agent", default="", help="compliance testing agent")
        q.add_argument("--date", default="", help="issue date YYYY-MM-DD")
        q.add_argument("--reference", default="", help="certificate number")
        q.add_argument("--combination", default=None, help="limit to this combination key")
        _scope_condition_options(q)
    elif kind == "approvals":
        q.add_argument("--combination", required=True)
        q.add_argument("--hhdc-name", required=True)
        q.add_argument("--mpid", required=True, help="HHDC MPID (4 letters)")
        q.add_argument("--software", default="", help="HHDC software")
        q.add_argument("--version", default="", help="HHDC software version")
        q.add_argument("--year", default=None)
        _scope_condition_options(q)
    else:
        q.add_argument("--reference", required=True, help="BSCP601 application reference")
        q.add_argument("--applicant", default="")
        q.add_argument("--asks", default="both", choices=ASKS)
        q.add_argument("--type", default=None, dest="outstation_type")
        q.add_argument("--combination", default=None, help="declared combination key")
        q.add_argument("--cop", action="append", default=[])
        q.add_argument("--session", action="append", type=int, default=[])
        q.add_argument("--notes", default="")
        q.add_argument("--amends", type=int, default=None, help="id of the approval amended")
        q.add_argument("--amendment", default="", help="firmware, hhdc-software or variant")


def _scope_condition_options(q: argparse.ArgumentParser) -> None:
    q.add_argument("--scope", action="append", default=[],
                   help="sva-hhdc, cva-cdca or asset-hhdc (repeatable)")  # fmt: skip
    q.add_argument("--condition", action="append", default=[],
                   help="e.g. 'manufacturer software >= 8.1.2' (repeatable)")  # fmt: skip


def _rows(reg: Register, kind: str) -> list[dict]:
    if kind in X.NEW_KINDS:
        from bench_app.equipment.csv_records import rows

        return rows(reg, kind)
    if kind == "types":
        return reg.types()
    if kind == "combos":
        return [{**c.to_json(), **c.firmware} for c in reg.combinations()]
    if kind == "certs":
        return reg.certificates()
    if kind == "approvals":
        return reg.approvals()
    return reg.applications()


def _cell(value) -> str:
    if isinstance(value, list):
        value = ";".join(str(v) for v in value)
    text = "" if value is None else str(value).replace("\n", " ")
    return text if len(text) <= 32 else text[:31] + "…"


def print_table(rows: list[dict], cols: list[str]) -> None:
    """Plain text table with a header and a rule (cells cut at 32 characters)."""
    cells = [[_cell(r.get(c)) for c in cols] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(cols)]
    print("  ".join(c.ljust(w) for c, w in zip(cols, widths)).rstrip())
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())


def run_list(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        rows = _rows(Register(store), args.kind)
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print(f"no {args.kind} in the register")
        return 0
    cols = list(COLUMNS[args.kind])
    if args.kind in ("certs", "approvals", *X.NEW_KINDS) and "id" not in cols:
        cols = ["id", *cols]
    if args.kind == "certs":  # where equipment compliant with the CoP can be registered
        cols.append("registrable")
    print_table(rows, cols)
    return 0


def run_add(args: argparse.Namespace) -> int:
    a, kind = args, args.kind
    new: int | str
    with open_store(args) as store:
        reg = Register(store)
        if kind == "types":
            new = reg.add_type(a.code, a.manufacturer, a.model, a.cop, a.notes, regime=a.regime,
                               major_pattern=a.major_pattern, replace=a.replace)
        elif kind == "combos":
            fw = {p: getattr(a, p) for p in ("metrology", "application", "communications")}
            new = reg.add_combination(a.outstation_type, a.model, fw, a.hardware, a.key, a.notes,
                                      solution_release=a.solution_release, fuel=a.fuel,
                                      replace=a.replace)  # fmt: skip
            new = reg.combination(new).key
        elif kind == "certs":
            new = reg.add_certificate(a.outstation_type, a.cop, a.issue, a.agent, a.date,
                                      a.reference, a.combination, scope=a.scope,
                                      replace=a.replace)  # fmt: skip
            for text in a.condition:
                reg.add_condition("certificate", new, text)
        elif kind == "approvals":
            new = reg.add_approval(a.combination, a.hhdc_name, a.mpid, a.software, a.version,
                                   a.year, scope=a.scope, replace=a.replace)  # fmt: skip
            for text in a.condition:
                reg.add_condition("approval", new, text)
        else:
            new = reg.add_application(a.reference, a.applicant, a.asks, a.outstation_type,
                                      a.combination, a.cop, a.notes, a.session,
                                      amends=a.amends, amendment=a.amendment,
                                      replace=a.replace)  # fmt: skip
    print(new)
    return 0


def run_remove(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        reg = Register(store)
        if args.kind == "certs":
            reg.remove_certificate(args.id, args.date, args.reason)
        else:
            reg.remove_approval(args.id, args.date, args.reason)
    print(f"{args.kind[:-1]} {args.id} removed on {args.date}")
    return 0


def run_delete(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        reg = Register(store)
        {"types": reg.remove_type, "combos": reg.remove_combination,
         "applications": reg.remove_application}[args.kind](args.id)  # fmt: skip
    print(f"{args.kind} {args.id} removed")
    return 0


def run_link(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        Register(store).link_session(args.reference, args.session)
    print(f"session {args.session} linked to application {args.reference}")
    return 0


def run_decide(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        Register(store).decide_application(args.reference, args.decision, args.date)
    print(f"application {args.reference}: {args.decision}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    from bench_app.cli.validate import input_file

    input_file(args.file, "file")
    with open_store(args) as store:
        n = import_csv(store, args.kind, args.file)
    print(f"{n} {args.kind} imported from {args.file}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from bench_app.cli.validate import output_file

    output_file(args.file, "file")
    with open_store(args) as store:
        n = export_csv(store, args.kind, args.file)
    print(f"{n} {args.kind} written to {args.file}")
    return 0


def run_equivalents(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        combos = Register(store).equivalents(args.key)
    if args.json:
        print_json([c.to_json() for c in combos])
        return 0
    rows = [{**c.to_json(), **c.firmware} for c in combos]
    print_table(rows, ["key", "model", "metrology", "application", "communications",
                       "hardware_version"])  # fmt: skip
    return 0


def run_variants(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        reg = Register(store)
        reg.record_variants(args.session, args.tested, args.covers, args.reason)
        claims = reg.session_variants(args.session)
    for c in claims:
        print(f"session {args.session}: tested {c['tested']} covers {c['covered']} ({c['reason']})")
    return 0


def run_check(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        findings = check_session(store, args.session)
    if args.json:
        print_json([f.to_json() for f in findings])
        return 0
    if not findings:
        print(f"session {args.session}: the meter matches the declaration; certificates in place")
    for f in findings:
        print(f"{f.severity.upper():<8} {f.code:<26} {f.message}")
    return 0


def run_coverage(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        reg = None if args.no_register else Register(store)
        base = load_base(args.base, register=reg)
        res = analyse(base, args.tested, args.target, register=reg)
    if args.json:
        print_json(res.to_json())
        return 0
    print(f"installed base: {res.total} outstations in {len(base)} combinations")
    print(f"tested {', '.join(res.tested) or 'nothing'}: covers {res.covered} = {res.share:.1%}")
    if res.covered_keys:
        print(f"  covered combinations: {', '.join(res.covered_keys)}")
    if res.total:
        print(f"  of which exact-tested {res.exact_tested / res.total:.1%}, assessed equivalent "
              f"{res.assessed / res.total:.1%}, claimed but not assessed "
              f"{res.unassessed / res.total:.1%}")  # fmt: skip
    g = res.greedy
    reach = "" if res.reachable else " (target cannot be reached)"
    print(f"target {res.target:.1%}{reach}")
    print(
        f"greedy suggestion: {', '.join(g.keys) or 'nothing more'} → {g.share:.1%} ({len(g.keys)})"
    )
    if res.exact is not None:
        e = res.exact
        print(f"exact minimum:     {', '.join(e.keys) or 'nothing more'} → {e.share:.1%} "
              f"({len(e.keys)})")  # fmt: skip
    if res.exact_note:
        print(f"  {res.exact_note}")
    return 0
