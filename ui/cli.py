"""``bench-app gui``: open the desktop window (Qt is imported only inside the handler).

The GUI contributes this command to the ``bench-app`` CLI as a plugin (entry point group
``witness_bench.commands``), so ``bench_app`` never imports ``ui``.
"""

from __future__ import annotations

import argparse
import os


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "gui",
        help="open the desktop window",
        description="Open the Witness Bench window (needs a display; without one it exits 13 "
        "and says how to run headless). --smoke-test runs it offscreen against the "
        "built-in simulator (connect, 7 days of profile, one checklist step) and prints JSON.",
    )
    p.add_argument("--session", type=int, default=None, help="open this session id")
    p.add_argument("--db", default=None, help="session database (default: user data folder)")
    p.add_argument(
        "--smoke-test", action="store_true", help="offscreen self-test; prints one JSON line"
    )
    p.set_defaults(func=run_gui)


def run_gui(args: argparse.Namespace) -> int:
    from bench_app.cli.common import NO_DISPLAY_HINT, has_display
    from bench_app.errors import NoDisplayError

    if not args.smoke_test and not has_display():  # before Qt, which would abort (rc 134)
        raise NoDisplayError(NO_DISPLAY_HINT)
    if args.smoke_test:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from ui.smoke import main as smoke_main

        return smoke_main(args.db)
    from ui.app import main

    return main(args.db, args.session)
