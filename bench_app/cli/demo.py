"""``bench-app demo``: the whole witnessed session against a built-in simulated outstation.

Simulated meter → session → read → HHDC and manufacturer exports imported → reconciliation →
BSCP601 checklist run automatically → report signed by tester and witness → verified. Runs
headless and exits; ``--gui`` then opens the window on the demo session (and waits until it is
closed). It prints where it wrote everything, the demo keys' passphrase and a ``Verify:`` command
that reproduces its own verification.
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from bench_app.cli import validate
from bench_app.cli.common import NO_DISPLAY_HINT, has_display

#: Where the demo writes when no --out is given (created with its parents).
DEFAULT_OUT = "out/demo"

DESCRIPTION = """\
Run a whole witnessed protocol test against a built-in simulated outstation, headless:
session, read, manufacturer export imported and reconciled, the witnessed BSCP601 script run
automatically with a simulated HHDC's system collecting through the bench's observer (each
step judged on its evidence, the bench's read the reference), the report signed by a demo
tester and witness, and verified. --hhdc-defect makes the simulated HHDC faulty.
Writes into --out (default out/demo): demo.db, hhdc-exports/, hhdc-export.csv (a sample for
rehearsals), manufacturer-export.csv, keys/ (demo keys, passphrase printed;
keys/demo-trust.pem) and witness-report.pdf.
Exits by itself with the verification's exit code; --gui opens the window afterwards."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="run a full scripted session against a simulated meter (headless)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--protocol", choices=["dlms", "iec21"], default="dlms")
    p.add_argument(
        "--days",
        type=validate.int_range(3, 400),
        default=90,
        help="days of data in the simulated meter (3…400, default 90)",
    )
    from drivers.sim.hhdc import HHDC_DEFECTS

    p.add_argument("--hhdc-defect", action="append", default=[], choices=HHDC_DEFECTS,
                   help="switch on a defect of the simulated HHDC's system (repeatable): the "
                   "witnessed step that must catch it FAILs")  # fmt: skip
    p.add_argument("--gui", action="store_true", help="then open the GUI on the demo session")
    p.add_argument("--headless", action="store_true", help="(the default; kept for old scripts)")
    p.add_argument(
        "--out",
        default=None,
        help=f"folder for the demo's outputs (default {DEFAULT_OUT}, created; a folder you "
        "name may be new but its parent must exist)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bench_app.demo import DEMO_PASSPHRASE, run_demo
    from bench_app.errors import NoDisplayError, UsageError

    if args.gui and args.headless:
        raise UsageError("--gui and --headless contradict each other")
    if args.gui and not has_display():
        raise NoDisplayError(NO_DISPLAY_HINT)
    out = Path(DEFAULT_OUT) if args.out is None else validate.output_dir(args.out, "--out")
    result = run_demo(out, protocol=args.protocol, days=args.days,
                      hhdc_defects=tuple(args.hhdc_defect))  # fmt: skip
    counts = ", ".join(f"{n} {v}" for v, n in sorted(result.verdicts.items()))
    print()
    print(f"Checklist:  {counts}")
    print(f"Overall:    {result.overall}")
    print(f"Session:    {result.session_id} in {result.db_path.resolve()}")
    for what, path in result.files.items():
        print(f"Wrote:      {Path(path).resolve()}  ({what})")
    print(f"Passphrase: {DEMO_PASSPHRASE.decode()}  (demo keys only)")
    verify = ["bench-app", *result.verify_command()]
    print(f"Verify:     {' '.join(shlex.quote(a) for a in verify)}")
    print(f"Done in {result.seconds:.1f} s")
    if result.verify_code != 0:
        return result.verify_code
    if args.gui:
        from bench_app.cli import main

        print("Opening the GUI on the demo session (close the window to finish)…")
        try:
            return main(["gui", "--db", str(result.db_path), "--session", str(result.session_id)])
        except SystemExit:  # no GUI installed: argparse refused the unknown command
            print("The GUI is not installed here; the report above is complete.")
    return 0
