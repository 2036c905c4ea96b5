"""``bench-app checklist plan``: a run's timeline before it starts, in real time.

Each step: when the operator acts (and before which settlement period ends), which settlement
period must close and when the bench reads it, in GB local time with UTC beside; the meter's
profile period and where it came from ("unknown" when nothing says); the expected time spent
waiting. See :mod:`bench_app.checklist.timeline`.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bench_app.checklist.simtime import countdown


def register(cs: argparse._SubParsersAction) -> None:
    """Add ``plan`` to the ``checklist`` sub-commands."""
    q = cs.add_parser(
        "plan",
        help="show a run's timeline and expected duration before running it",
        description=(
            "Needs --session. Writes nothing; prints each step of the template with when the "
            "operator must act, which settlement period must close and when it is read (GB "
            "local time, UTC beside), the meter's profile period and where it came from, and "
            "the expected time spent waiting (meter reads not included), assuming the run "
            "starts now or at --start."
        ),
    )
    q.add_argument("--session", type=int, required=True, help="session id")
    q.add_argument("--template", help="template name or .toml path (default: the one template "
                   "the session has runs of)")  # fmt: skip
    q.add_argument("--start", metavar="ISO", help="when the run starts, ISO 8601 with its zone "
                   "(2026-10-25T01:40+01:00 or …Z; without a zone: UTC); default now")  # fmt: skip
    q.add_argument("--period", type=int, metavar="MIN", help="the meter's profile period in "
                   "minutes (5, 10, 15, 20, 30) instead of the session's (said so)")  # fmt: skip
    q.add_argument("--meter", default="", help="meter description for the run (default: the "
                   "session's)")  # fmt: skip
    q.add_argument("--step", action="append", help="plan only this step (repeatable)")
    q.add_argument("--json", action="store_true", help="print the plan as one JSON object")
    q.add_argument("--db", help="session database (default: user data folder)")
    q.set_defaults(func=cmd_plan)


def cmd_plan(args) -> int:
    from bench_app.checklist.timeline import session_plan
    from bench_app.cli.common import open_store
    from bench_app.errors import UsageError
    from bench_app.settlement import parse_utc

    start = None
    if args.start:
        try:
            start = parse_utc(args.start)
        except ValueError:
            raise UsageError(f"--start {args.start!r} is not an ISO 8601 date-time") from None
    store = open_store(args, readonly=True)
    try:
        template = template_for(store, args)
        for sid in args.step or []:
            template.step(sid)  # unknown step ids name the known ones
        plan = session_plan(store, args.session, template, start, period_min=args.period,
                            meter=args.meter, steps=args.step)  # fmt: skip
    finally:
        store.close()
    if args.json:
        print(json.dumps(plan.to_json(), indent=1, ensure_ascii=False))
    else:
        print("\n".join(plan.lines()))
    return 0


class WaitLine:
    """The engine's ``progress`` on the terminal while a step waits for a settlement period:
    ``DR4-1a: waiting for SP 5 of Sun 25 Oct 2026 to close at 02:30:00 GMT (02:30:00 UTC) —
    12:34 left``.

    On a terminal the line is rewritten in place once a second; otherwise (a log, a pipe) one
    line is written when the wait changes and then once a minute of waiting, never more.
    """

    def __init__(self, stream: Any = None, every_s: float = 60.0) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every_s = every_s
        #: the step waiting (set by the caller before each step)
        self.step = ""
        self._message: str | None = None
        self._printed_left = 0.0
        self._open = False

    def __call__(self, remaining_s: float, message: str) -> None:
        left = max(0.0, float(remaining_s))
        line = f"{self.step + ': ' if self.step else ''}{message} — {countdown(left)} left"
        if self.tty:
            self.stream.write("\r" + line + "\x1b[K")
            self._open = True
            if left <= 1.0:
                self.end()
            self.stream.flush()
            return
        if message != self._message or self._printed_left - left >= self.every_s:
            self._message, self._printed_left = message, left
            print(line, file=self.stream, flush=True)

    def end(self) -> None:
        """Finish an in-place line (a terminal) so the next output starts on its own line."""
        if self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = False
        self._message = None


class Interrupt:
    """The engine's ``sleep`` for ``checklist run``: Ctrl-C during a wait (or at a prompt,
    :meth:`guard`) ends the step as not run with the evidence stored so far
    (:class:`StepAborted`, so the engine records it — an alarm check stopped after its stimulus
    keeps what ``--resume`` needs) and sets :attr:`interrupted`."""

    def __init__(self, sleep: Any, line: WaitLine | None = None) -> None:
        self.sleep, self.line = sleep, line
        self.interrupted = False

    def __call__(self, seconds: float) -> None:
        self.guard(self.sleep, "while waiting")(seconds)

    def guard(self, fn: Any, where: str) -> Any:
        """``fn`` with Ctrl-C turned into a not-run step (a prompt: ``where`` = "at the prompt")."""
        from bench_app.checklist.context import StepAborted

        def call(*args: Any) -> Any:
            try:
                return fn(*args)
            except KeyboardInterrupt:
                self.interrupted = True
                if self.line is not None:
                    self.line.end()
                raise StepAborted(f"interrupted (Ctrl-C) {where}; the evidence so far is kept "
                                  "— continue with checklist run --resume") from None  # fmt: skip

        return call


def template_for(store: Any, args: Any) -> Any:
    """The ``--template`` named, else the one template the session has runs of."""
    from bench_app.checklist import find_template
    from bench_app.errors import UsageError

    if args.template:
        return find_template(args.template)
    names = sorted({r["template"] for r in store.checklist_runs(args.session)})
    if len(names) == 1:
        return find_template(names[0])
    if not names:
        raise UsageError(f"session {args.session} has no checklist run yet; give --template")
    raise UsageError(f"session {args.session} has runs of {', '.join(names)}; give --template")


def resume_template(store: Any, args: Any) -> Any:
    """The template of ``--resume RUN`` (its run's), else as ``checklist show`` chooses it."""
    from bench_app.checklist import find_template

    if args.resume and not args.template:
        return find_template(store.checklist_run(args.resume)["template"])
    return template_for(store, args)


def resume_steps(engine: Any, run_id: int, only: list[str] | None = None) -> list[str]:
    """The steps ``--resume`` runs: those of the session's open run whose latest attempt is not
    run, or that were never attempted, in template order (``only``: of these ids).

    :raises UsageError: no open run, or ``run_id`` (non-zero) is not it.
    """
    from bench_app.errors import UsageError

    run = engine.current_run()
    if run is None:
        raise UsageError(f"session {engine.session_id} has no run of {engine.template.name} to "
                         "resume; run it with --template")  # fmt: skip
    if run_id and run_id != run["id"]:
        raise UsageError(f"run {run_id} is not the open run of {engine.template.name} in session "
                         f"{engine.session_id} (that is run {run['id']}, {run['status']})")
    if run["status"] == "confirmed":
        raise UsageError(f"run {run['id']} is confirmed: nothing to resume (supersede it with a "
                         "reason to run again)")  # fmt: skip
    left = [r["step"] for r in engine.results() if r["verdict"] == "not-run"]
    return [s for s in left if not only or s in only]
