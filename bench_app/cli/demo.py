"""``bench-app demo``: the whole witnessed session against a built-in simulated outstation.

Simulated meter → session → read → HHDC and manufacturer exports imported → reconciliation →
BSCP601 checklist run automatically → report signed by tester and witness → verified. Opens the
GUI on that session when a display exists (unless ``--headless``).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run a full scripted session against a simulated meter")
    p.add_argument("--protocol", choices=["dlms", "iec21"], default="dlms")
    p.add_argument("--days", type=int, default=90, help="days of data in the simulated meter")
    p.add_argument("--headless", action="store_true", help="never open the GUI")
    p.add_argument("--out", default="out/demo", help="folder for the demo's outputs")
    p.set_defaults(func=run)


def has_display() -> bool:
    """True when a GUI can be shown (X11/Wayland display, or Windows/macOS desktop)."""
    if os.name == "nt" or os.uname().sysname == "Darwin":
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run(args: argparse.Namespace) -> int:
    from bench_app.demo import run_demo

    result = run_demo(Path(args.out), protocol=args.protocol, days=args.days)
    counts = ", ".join(f"{n} {v}" for v, n in sorted(result.verdicts.items()))
    print()
    print(f"Checklist:  {counts}")
    print(f"Overall:    {result.overall}")
    print(f"Session:    {result.session_id} in {result.db_path}")
    print(f"Report:     {result.report_path.resolve()}")
    print(f"Verify:     bench-app verify {result.report_path} --db {result.db_path}")
    print(f"Done in {result.seconds:.1f} s")
    if result.verify_code != 0:
        return result.verify_code
    if not args.headless and has_display():
        from bench_app.cli import main

        print("Opening the GUI on the demo session…")
        try:
            return main(["gui", "--db", str(result.db_path), "--session", str(result.session_id)])
        except SystemExit:  # no GUI installed: argparse refused the unknown command
            print("The GUI is not installed here; the report above is complete.")
    return 0
