"""``bench-app equipment`` commands of the approval records (wired in by
:mod:`bench_app.cli.equipment`)::

    bench-app equipment devices add --combination KEY --role ESME --model M --firmware F \\
        [--hardware H --revision R --factory-config C]
    bench-app equipment conditions add --target certificate --id 3 \\
        --text "manufacturer software >= 8.1.2"
    bench-app equipment dispensations add --reference D123 --session 4 --step DR4-2 \\
        [--cop 5 --scope … --expiry 2027-01-01]
    bench-app equipment equivalences add --combination KEY --tested KEY \\
        [--by NAME --date D --evidence TEXT]   (with --by/--date/--evidence: assessed)
    bench-app equipment base add --snapshot S --date D --combination KEY --active N --dormant N
    bench-app equipment upgrades add --plan P --date D --from KEY --to KEY --count N
    bench-app equipment KIND remove ID|NAME [--date D --reason R]
    bench-app equipment override --session ID --template NAME --reason TEXT [--by NAME]
    bench-app equipment shares --snapshot S --tested KEY … [--plan P] [--json]
    bench-app equipment deviations --session ID [--json]
    bench-app equipment publish approvals|types|ppcl|epcl --version 75.0 [--date D]
        [--out FILE.csv|.pdf]
    bench-app equipment dcc add --combination KEY --list ppcl --status "in testing" --stage DMCT
    bench-app equipment tirs add --reference TIR-1 --title T --outcome workaround \\
        --combination KEY --detail "S1SP workaround: …"
"""

from __future__ import annotations

import argparse
from datetime import UTC

from bench_app.cli.common import add_db_option, open_store, print_json
from bench_app.equipment import fields as F
from bench_app.equipment.csv_records import COLUMNS as NEW_KINDS
from bench_app.equipment.records import Register

ADD_HELP = {
    "devices": "add a device (role, model, hardware version and revision, firmware) to a combo",
    "conditions": "attach a condition to a certificate or an approval",
    "dispensations": "record a BSCP32 metering dispensation",
    "equivalences": "a hardware variant's way: --assurance (the manufacturer's), then --by/--date/"
                    "--evidence (the assessment), then --proposed DATE, then --eligible DATE",
    "base": "count a combination in a dated installed-base snapshot",
    "upgrades": "plan an upgrade of installations from one combination to another",
    "dcc": "put a SMETS combination on the PPCL or EPCL with its status and stage",
    "tirs": "record a Testing Issue Resolution and the combinations it affects",
}


def add_options(kind: str, q: argparse.ArgumentParser) -> None:
    """Options of ``equipment KIND add`` for an approval-record kind."""
    if kind == "devices":
        q.add_argument("--combination", required=True)
        q.add_argument("--role", required=True, help="outstation, ESME, GSME, CH, PPMID or IHD")
        q.add_argument("--model", required=True)
        q.add_argument("--firmware", required=True)
        q.add_argument("--hardware", default="", help="hardware version")
        q.add_argument("--revision", default="", help="hardware revision")
        q.add_argument("--factory-config", default="")
        q.add_argument("--notes", default="")
        q.add_argument("--manufacturer", default="", help="the device's manufacturer")
        q.add_argument("--upgradable", action="store_true",
                       help="its firmware can be upgraded (a consumer display that can is a PPMID)")
        q.add_argument("--smso", default="", help="communications hub: its SMSO")
        q.add_argument("--wan-provider", default="", help="communications hub: its WAN provider")
    elif kind == "conditions":
        q.add_argument("--target", required=True, choices=("certificate", "approval"))
        q.add_argument("--id", type=int, required=True, help="certificate/approval id")
        q.add_argument("--text", required=True, help="e.g. 'manufacturer software >= 8.1.2'")
    elif kind == "dispensations":
        q.add_argument("--reference", required=True, help="BSCP32 dispensation reference")
        q.add_argument("--session", type=int, default=None)
        q.add_argument("--step", default="", help="failed step it covers")
        q.add_argument("--cop", default="", help="CoP departed from")
        q.add_argument("--scope", default="")
        q.add_argument("--expiry", default="", help="YYYY-MM-DD")
        q.add_argument("--text", default="")
        q.add_argument("--msid", default="", help="granted for this Metering System (13 digits)")
        q.add_argument("--site", default="", help="granted for this site")
        q.add_argument("--type", default="", dest="outstation_type",
                       help="generic grant for this outstation type (with --cop)")
    elif kind == "equivalences":
        q.add_argument("--combination", required=True)
        q.add_argument("--tested", required=True)
        q.add_argument("--assurance", default=None,
                       help="the manufacturer's assurance of no material difference (reference)")
        q.add_argument("--by", default="", help="who assessed it")
        q.add_argument("--date", default="", help="assessment date YYYY-MM-DD")
        q.add_argument("--evidence", default="",
                       help="the assessment's own evidence (a manufacturer's statement alone is "
                            "the assurance, not an assessment)")
        q.add_argument("--proposed", default="", metavar="DATE", help="proposed for the EPCL")
        q.add_argument("--eligible", default="", metavar="DATE", help="made eligible")
    elif kind == "dcc":
        q.add_argument("--combination", required=True)
        q.add_argument("--list", required=True, choices=("ppcl", "epcl"), dest="dcc_list")
        q.add_argument("--status", required=True, help="; ".join(F.DCC_STATUSES))
        q.add_argument("--stage", default="", choices=F.DCC_STAGES)
        q.add_argument("--since", default="", help="YYYY-MM-DD")
        q.add_argument("--notes", default="")
    elif kind == "tirs":
        q.add_argument("--reference", required=True)
        q.add_argument("--title", required=True)
        q.add_argument("--outcome", default="open", choices=F.TIR_OUTCOMES)
        q.add_argument("--combination", action="append", default=[], help="affected (repeat)")
        q.add_argument("--detail", default="", help="the workaround or documented behaviour")
        q.add_argument("--fixed-firmware", default="")
        q.add_argument("--date", default="", help="raised YYYY-MM-DD")
    elif kind == "base":
        q.add_argument("--snapshot", required=True)
        q.add_argument("--date", required=True, help="snapshot date YYYY-MM-DD")
        q.add_argument("--combination", required=True)
        q.add_argument("--active", type=int, default=0)
        q.add_argument("--dormant", type=int, default=0)
    else:
        q.add_argument("--plan", required=True)
        q.add_argument("--date", default="", help="planned date YYYY-MM-DD")
        q.add_argument("--from", dest="from_key", required=True)
        q.add_argument("--to", dest="to_key", required=True)
        q.add_argument("--count", type=int, required=True)


def run_add(a: argparse.Namespace) -> int:
    kind = a.kind
    with open_store(a) as store:
        reg = Register(store)
        if kind == "devices":
            new = reg.add_device(a.combination, a.role, a.model, a.hardware, a.revision,
                                 a.firmware, a.factory_config, a.notes,
                                 manufacturer=a.manufacturer, upgradable=a.upgradable,
                                 smso=a.smso, wan_provider=a.wan_provider,
                                 replace=a.replace)  # fmt: skip
        elif kind == "conditions":
            new = reg.add_condition(a.target, a.id, a.text)
        elif kind == "dispensations":
            new = reg.add_dispensation(a.reference, session_id=a.session, step_id=a.step,
                                       cop=a.cop, scope=a.scope, expiry=a.expiry, text=a.text,
                                       msid=a.msid, site=a.site,
                                       outstation_type=a.outstation_type,
                                       replace=a.replace)  # fmt: skip
        elif kind == "equivalences":
            new = 0
            if a.assurance is not None or not (a.by or a.date or a.evidence or a.proposed
                                               or a.eligible):
                new = reg.record_assurance(a.combination, a.tested, a.assurance or "")
            if a.by or a.date or a.evidence:
                new = reg.assess_equivalent(a.combination, a.tested, a.by, a.date, a.evidence)
            for step in ("proposed", "eligible"):
                if getattr(a, step):
                    new = reg.advance_equivalence(a.combination, a.tested, step, getattr(a, step))
        elif kind == "dcc":
            new = reg.set_dcc_entry(a.combination, a.dcc_list, a.status, a.stage, a.since,
                                    a.notes)  # fmt: skip
        elif kind == "tirs":
            new = reg.add_tir(a.reference, a.title, a.outcome, a.combination, a.detail,
                              a.fixed_firmware, a.date, replace=a.replace)  # fmt: skip
        elif kind == "base":
            new = reg.add_base_count(a.snapshot, a.date, a.combination, a.active, a.dormant,
                                     replace=a.replace)  # fmt: skip
        else:
            new = reg.add_upgrade(a.plan, a.date, a.from_key, a.to_key, a.count,
                                  replace=a.replace)  # fmt: skip
    print(new)
    return 0


def add_remove(kind: str, ks) -> None:
    """``equipment KIND remove`` for kinds other than certs/approvals (handled there)."""
    q = ks.add_parser("remove", help=f"remove from {kind}" + (
        " (withdrawn, with date and reason)" if kind == "dispensations" else ""))  # fmt: skip
    q.add_argument("id", help={"base": "snapshot name", "upgrades": "plan name",
                               "tirs": "TIR reference"}.get(kind, "id (as 'list' shows it)"))
    if kind == "dispensations":
        q.add_argument("--date", required=True, help="withdrawal date YYYY-MM-DD")
        q.add_argument("--reason", required=True)
    add_db_option(q)
    q.set_defaults(func=run_remove, kind=kind)


def run_remove(a: argparse.Namespace) -> int:
    with open_store(a) as store:
        reg = Register(store)
        if a.kind in ("base", "upgrades"):
            reg.remove_rows("snapshot" if a.kind == "base" else "plan", a.id)
        elif a.kind == "tirs":
            reg.remove_tir(a.id)
        else:
            if not str(a.id).isdigit():
                from bench_app.errors import UsageError

                raise UsageError(f"{a.kind} id {a.id!r} is not a number")
            rid = int(a.id)
            {"devices": reg.remove_device, "conditions": reg.remove_condition,
             "equivalences": reg.remove_equivalence}.get(a.kind, lambda i: None)(rid)  # fmt: skip
            if a.kind == "dispensations":
                reg.remove_dispensation(rid, a.date, a.reason)
            if a.kind == "dcc":
                reg.remove_dcc_entry(rid)
    print(f"{a.kind} {a.id} removed")
    return 0


def register_commands(es) -> None:
    """Top-level ``equipment`` commands: override, shares, deviations, publish."""
    q = es.add_parser("override", help="allow a template on a session it does not serve")
    q.add_argument("--session", type=int, required=True)
    q.add_argument("--template", required=True)
    q.add_argument("--reason", required=True)
    q.add_argument("--by", default="")
    add_db_option(q)
    q.set_defaults(func=run_override)

    q = es.add_parser("shares", help="exact / assessed / proposed shares of a dated snapshot")
    q.add_argument("--snapshot", required=True)
    q.add_argument("--tested", nargs="+", required=True, metavar="KEY")
    q.add_argument("--plan", default=None, help="also after this upgrade plan")
    q.add_argument("--json", action="store_true")
    add_db_option(q)
    q.set_defaults(func=run_shares)

    q = es.add_parser(
        "deviations",
        help="a session's deviations, as in the report (overrides, "
        "dispensations, CoP issues, conditions, serials, incomplete reads…)",
    )
    q.add_argument("--session", type=int, required=True)
    q.add_argument("--json", action="store_true")
    add_db_option(q)
    q.set_defaults(func=run_deviations)

    q = es.add_parser("publish", help="export a published list as versioned CSV or PDF")
    q.add_argument("list", choices=("approvals", "types", "ppcl", "epcl"),
                   help="approvals: CoP Compliance and Protocol Approval; types: Valid "
                   "Outstation Types; ppcl/epcl: the DCC's Pending/Eligible Product "
                   "Combinations Lists")  # fmt: skip
    q.add_argument("--version", required=True, help="list version, e.g. 75.0")
    q.add_argument("--date", default="", help="list date YYYY-MM-DD (default: today)")
    q.add_argument("--out", default="", help="FILE.csv or FILE.pdf (default: LIST-vVERSION.csv)")
    add_db_option(q)
    q.set_defaults(func=run_publish)


def run_override(a: argparse.Namespace) -> int:
    with open_store(a) as store:
        Register(store).record_template_override(a.session, a.template, a.reason, a.by)
    print(f"session {a.session}: template {a.template} may run (override recorded as deviation)")
    return 0


def run_shares(a: argparse.Namespace) -> int:
    from bench_app.equipment.shares import coverage_shares, format_shares

    with open_store(a) as store:
        res = coverage_shares(Register(store), a.snapshot, a.tested, a.plan)
    if a.json:
        print_json([r.to_json() for r in res])
    else:
        print(format_shares(res))
    return 0


def run_deviations(a: argparse.Namespace) -> int:
    """The session's full Deviations list, as the report and the overall result hold it (manual
    overrides, register deviations, accepted serial mismatches, incomplete collections…)."""
    from bench_app.checklist.verdict import overall_result

    with open_store(a) as store:
        devs = [d.to_json() for d in overall_result(store, a.session).deviations]
    if a.json:
        print_json(devs)
    elif not devs:
        print(f"session {a.session}: no deviations")
    for d in devs if not a.json else []:
        print(f"{d['kind']:<20} {d['reference'] or '—':<16} {d['text']}")
    return 0


def run_publish(a: argparse.Namespace) -> int:
    from datetime import datetime

    from bench_app.report.published_lists import publish

    when = a.date or datetime.now(UTC).date().isoformat()
    out = a.out or f"{a.list}-v{a.version.strip()}.csv"
    with open_store(a) as store:
        path, n = publish(store, a.list, a.version, when, out)
    print(f"{n} rows written to {path}")
    return 0


__all__ = ["ADD_HELP", "NEW_KINDS", "add_options", "add_remove", "register_commands", "run_add"]
