"""``bench-app simulate-hhdc``: one step of a simulated HHDC's system (for rehearsals and demos).

The project's own client acts as the HHDC under test: it dials ``--port`` (normally the address
``bench-app observe`` prints, so the bench records what it does) with its own standing data
(``--password``, ``--client-sap``), collects (``--collect --from … --to …``) or corrects the clock
(``--set-clock``), and writes the step's export ``hhdc-STEP.csv`` in the generic HHDC interval
layout into ``--out`` (import it with ``bench-app import --source hhdc``). ``--wrong-password P``
makes this step use another password (DR2-1, DR3-1). ``--hhdc-defect`` switches on a fault a
witness must catch: drops-flags, ignores-clock-set, stores-wrong-period,
accepts-data-after-refusal. Prints what it did; exit 0 (a refusal the HHDC met is a result, not an
error).
"""

from __future__ import annotations

import argparse

from bench_app.cli import validate
from bench_app.cli.password import add_password_options, resolve_password
from bench_app.cli.read import parse_time
from bench_app.errors import UsageError
from drivers.sim.hhdc import HHDC_DEFECTS, SimHhdc


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate-hhdc",
        help="one step of a simulated HHDC's system (collect or set the clock, write its export)",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    p.add_argument("--port", type=validate.port_url, required=True,
                   help="where the HHDC dials (the observer's socket://… address)")  # fmt: skip
    p.add_argument("--protocol", choices=["dlms", "iec21"], default="dlms")
    add_password_options(p)
    p.add_argument("--client-sap", type=validate.int_range(1, 127), default=48,
                   help="the HHDC's DLMS client SAP (level 2; default 48)")  # fmt: skip
    p.add_argument("--step", required=True, help="checklist step this is, e.g. DR1-1")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--collect", action="store_true", help="collect --from … --to …")
    what.add_argument("--set-clock", action="store_true", help="correct the meter's clock")
    p.add_argument("--from", dest="start", help="first period (ISO 8601, UTC if no offset)")
    p.add_argument("--to", dest="end", help="periods starting before this (ISO 8601)")
    p.add_argument("--wrong-password", metavar="P", help="use this password for this step")
    p.add_argument("--out", default=".", help="folder for the export (default: here)")
    p.add_argument("--mpan", default="", help="MPAN written in the export")
    p.add_argument("--hhdc-defect", action="append", default=[], choices=HHDC_DEFECTS)
    p.set_defaults(func=run_simulate_hhdc)


def run_simulate_hhdc(args: argparse.Namespace) -> int:
    password = resolve_password(args) or ""
    hhdc = SimHhdc(args.port, args.protocol, password, args.client_sap, out_dir=args.out,
                   defects=tuple(args.hhdc_defect), mpan=args.mpan)  # fmt: skip
    if args.collect:
        start, end = parse_time(args.start, "--from"), parse_time(args.end, "--to")
        if start is None or end is None:
            raise UsageError("--collect needs --from and --to (the periods the HHDC collects)")
        if end <= start:
            raise UsageError("--to must be after --from")
        outcome = hhdc.collect(args.step, start, end, password=args.wrong_password)
    else:
        outcome = hhdc.set_clock(args.step, password=args.wrong_password)
    print(f"{outcome.step}: {outcome.action} {'accepted' if outcome.accepted else 'refused'}: "
          f"{outcome.note}")  # fmt: skip
    print(f"export: {outcome.export}" if outcome.export else "export: none written")
    return 0
