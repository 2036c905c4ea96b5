"""``bench-app checklist``: list templates, run a session through one, show results, sign off.

* ``checklist list [--json]`` — bundled templates (name, version, steps, title).
* ``checklist run --session ID --template NAME [--auto] [--step ID …] [--port URL --protocol
  dlms|iec21 --password P] [--control tcp://HOST:PORT] [--supersede REASON] [--db PATH]`` — with
  ``--auto`` nobody is asked anything (stimulus steps need ``--control``; manual steps stay
  not-run); without it stimulus and manual steps prompt on the terminal.
* ``checklist show --session ID [--template NAME] [--json]`` — Objective | Method | Expected |
  Actual | Verdict.
* ``checklist record --session ID --step ID --actual TEXT --verdict V`` — a tester's result.
* ``checklist attach --session ID --step ID --file PATH`` — attach evidence (hashed).
* ``checklist confirm --session ID --role tester|witness --name N [--accept-incomplete]`` —
  sign-off; refused while steps are not run (unless ``--accept-incomplete``, a deviation) and
  for the person who already confirmed in the other role.
* ``checklist supersede RUN --reason TEXT --by NAME`` — set a run aside with the reason; it stays
  in the report as run history and a failure in it still counts.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import textwrap

from bench_app.checklist import ChecklistEngine, list_templates, load_template
from bench_app.checklist.context import StepAborted
from bench_app.checklist.engine import VERDICTS
from bench_app.checklist.verdict import overall_result
from bench_app.cli.checklist_time import Interrupt, WaitLine, resume_steps, resume_template
from bench_app.cli.checklist_time import template_for as _template_for
from bench_app.cli.common import AnnouncedSleep
from bench_app.cli.read import add_connection_options, connect_options
from bench_app.errors import UsageError
from drivers.trace import Trace


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("checklist", help="witnessing checklists: list, run, show, confirm")
    cs = p.add_subparsers(dest="checklist_command", metavar="ACTION")
    cs.required = True

    q = cs.add_parser(
        "list",
        help="list the bundled checklist templates",
        description=(
            "Needs nothing. Writes nothing; prints each bundled template: name, version, "
            "steps, title."
        ),
    )
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_list)

    q = cs.add_parser(
        "run",
        help="run a session through a template",
        description=(
            "Needs --session and --template; with --port/--protocol it drives the meter "
            "(else only manual steps run), with --control and --auto the simulator's bench "
            "control does the stimuli and nobody is asked. Writes: one checklist run in the "
            "session (a result, evidence and trace per step). Prints one line per step and "
            "a summary; a wait for a settlement period to close shows what it waits for and "
            "the time left (once a minute when not on a terminal). Ctrl-C during a wait records "
            "the step not run with its evidence (exit 130); --resume continues the run."
        ),
    )
    _session_args(q)
    q.add_argument("--auto", action="store_true", help="ask nobody (simulator with --control)")
    q.add_argument("--step", action="append", help="run only this step (repeatable)")
    q.add_argument("--resume", nargs="?", type=int, const=0, metavar="RUN",
                   help="run again the steps of the session's open run (RUN: its id, checked) "
                   "that are not completed — not run, or never attempted; an alarm step stopped "
                   "after its stimulus checks its closed periods without a new one")  # fmt: skip
    q.add_argument("--control", help="bench control of a simulator: tcp://HOST:PORT")
    from bench_app.cli.read import add_time_source_option

    add_time_source_option(q)
    q.add_argument("--by", default="bench", help="who runs the bench (recorded per result)")
    q.add_argument("--supersede", metavar="REASON", help="start a new run replacing the last one")
    q.add_argument("--json", action="store_true", help="print the outcomes as JSON")
    add_connection_options(q, required=False)
    _simulated_hhdc_args(q)
    q.set_defaults(func=cmd_run)

    q = cs.add_parser(
        "show",
        help="print a session's checklist results",
        description=(
            "Needs --session. Writes nothing; prints the latest result of every step of the run."
        ),
    )
    _session_args(q)
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_show)

    q = cs.add_parser(
        "record",
        help="record a tester's actual result and verdict for a step",
        description=(
            "Needs --session, --step, --actual and --verdict. Writes one step result "
            "(audited) into the session's open run."
        ),
    )
    _session_args(q)
    q.add_argument("--step", required=True)
    q.add_argument("--actual", required=True)
    q.add_argument("--verdict", required=True, choices=VERDICTS)
    q.add_argument("--note", default="")
    q.add_argument("--by", required=True, help="who decides the verdict (recorded with it)")
    q.set_defaults(func=cmd_record)

    q = cs.add_parser(
        "attach",
        help="attach a file (photo, certificate) to a step",
        description=(
            "Needs --session, --step and --file (an existing file). Writes a copy of the "
            "file into the session database, linked to the step."
        ),
    )
    _session_args(q)
    q.add_argument("--step", required=True)
    q.add_argument("--file", required=True)
    q.add_argument("--note", default="")
    q.add_argument("--by", default="")
    q.set_defaults(func=cmd_attach)

    q = cs.add_parser(
        "confirm",
        help="confirm (sign off) a run as tester or witness",
        description=(
            "Needs --session, --role and --name. Writes the tester's or the witness's "
            "confirmation of the run; a run confirmed by both is 'confirmed'."
        ),
    )
    _session_args(q)
    q.add_argument("--role", required=True, choices=["tester", "witness"])
    q.add_argument("--name", required=True)
    q.add_argument(
        "--accept-incomplete",
        action="store_true",
        help="confirm although steps were not run (recorded as a deviation)",
    )
    q.set_defaults(func=cmd_confirm)


    q = cs.add_parser(
        "supersede",
        help="set a checklist run aside, saying why (it stays in the report as run history)",
        description=(
            "Needs the run id, --reason and --by. Writes an audited record that the run is "
            "superseded, with the reason and who decided; the run and its verdicts stay in the "
            "session and in the report (run history), and a failure in it still counts. "
            "Prints the run and the reason."
        ),
    )
    q.add_argument("run", type=int, help="checklist run id (checklist show --json names it)")
    q.add_argument("--reason", required=True, help="why the run no longer counts as current")
    q.add_argument("--by", required=True, help="who decided")
    q.add_argument("--db", help="session database (default: user data folder)")
    q.set_defaults(func=cmd_supersede)

    from bench_app.cli import checklist_time

    checklist_time.register(cs)


def _session_args(q: argparse.ArgumentParser, template_required: bool = False) -> None:
    q.add_argument("--session", type=int, required=True, help="session id")
    q.add_argument(
        "--template",
        required=template_required,
        help="template name or .toml path"
        + ("" if template_required else " (default: the one template the session has runs of)"),
    )
    q.add_argument("--db", help="session database (default: user data folder)")


def _open_store(args):
    from bench_app.cli.common import db_path
    from bench_app.store import Store

    return Store.open(db_path(args))


def _simulated_hhdc_args(q: argparse.ArgumentParser) -> None:
    """``checklist run --simulated-hhdc``: a witnessed run on a simulator, rehearsed."""
    from drivers.sim.hhdc import HHDC_DEFECTS

    q.add_argument("--simulated-hhdc", action="store_true",
                   help="a simulated HHDC's system does the HHDC's part of a witnessed run: it "
                   "dials --port through the bench's observer with its own standing data and its "
                   "exports are imported per step (rehearsals, demos; never a real HHDC)")
    q.add_argument("--hhdc-password", help="the simulated HHDC's Level 2 password "
                   "(default: --password)")
    q.add_argument("--hhdc-client-sap", type=int, default=48,
                   help="the simulated HHDC's DLMS client SAP (default 48)")
    q.add_argument("--hhdc-defect", action="append", default=[], choices=HHDC_DEFECTS,
                   help="switch on a defect of the simulated HHDC (repeatable)")
    q.add_argument("--hhdc-out", default="hhdc-exports",
                   help="folder for the simulated HHDC's exports (default hhdc-exports)")


def _simulated_hhdc(store, args, engine) -> None:
    """Attach the simulated HHDC to ``engine`` when ``--simulated-hhdc`` asks for it."""
    if not args.simulated_hhdc:
        return
    if not args.port:
        raise UsageError("--simulated-hhdc needs --port (the meter it dials through the observer)")
    from bench_app.simulated_hhdc import ObservedSimHhdc

    engine.hhdc = ObservedSimHhdc(
        store, args.session, args.port, protocol=args.protocol,
        password=args.hhdc_password or args.password or "", client_sap=args.hhdc_client_sap,
        out_dir=args.hhdc_out, defects=tuple(args.hhdc_defect), clock=engine.now,
    )  # fmt: skip


def cmd_list(args) -> int:
    rows = []
    for path in list_templates():
        t = load_template(path)
        rows.append(
            {
                "name": t.name,
                "version": t.version,
                "steps": len(t.steps),
                "applies_to": list(t.applies_to),
                "title": t.title,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        for r in rows:
            print(f"{r['name']:<34} v{r['version']:<8} {r['steps']:>3} steps  {r['title']}")
    return 0


def _terminal_prompt(message: str) -> str:
    print(message, end="" if message.endswith(" ") else "\n> ", file=sys.stderr, flush=True)
    try:
        return input()
    except EOFError:  # end of input is "not done", never an Enter that confirms a stimulus
        raise StepAborted("end of input at the prompt") from None


def cmd_run(args) -> int:
    if bool(args.port) != bool(args.protocol):
        raise UsageError("give both --port and --protocol (or neither, for manual steps only)")
    if not args.template and args.resume is None:
        raise UsageError("give --template (or --resume to continue the session's open run)")
    factory = None
    if args.port:
        from drivers.meter import create_meter

        base = connect_options(args)

        def factory(**overrides):
            return create_meter(
                args.protocol, dataclasses.replace(base, trace=Trace(), **overrides)
            )

    control = None
    if args.control:
        from drivers.sim.control import RemoteBenchControl

        control = RemoteBenchControl(args.control)
    store = _open_store(args)
    waiting = AnnouncedSleep()
    line = WaitLine()
    stop = Interrupt(waiting, line)
    try:
        template = resume_template(store, args)
        engine = ChecklistEngine(
            store,
            args.session,
            template,
            factory,
            control,
            None if args.auto else stop.guard(_terminal_prompt, "at the prompt"),
            protocol=args.protocol or "",
            password=args.password,
            by=args.by,
            sleep=stop,
            progress=line,
            meter=args.meter or "",
            time_source=_time_source(args),
        )
        _simulated_hhdc(store, args, engine)
        if args.port:
            _record_bench(store, args, control)
        if args.supersede:
            engine.supersede(args.supersede)
        steps = args.step or [s.id for s in template.steps]
        if args.resume is not None:
            steps = resume_steps(engine, args.resume, args.step)
        for sid in steps:
            template.step(sid)  # unknown step ids fail before anything runs
        outcomes = []
        for sid in steps:
            waiting.what, line.step = f"step {sid}", sid
            out = engine.run_step(sid)
            line.end()
            outcomes.append(out)
            if not args.json:
                print(f"{out.step_id:<8} {out.verdict:<8} {out.actual}", flush=True)
            if stop.interrupted:
                print(f"interrupted during {sid}: recorded not run with its evidence; continue "
                      f"with: bench-app checklist run --session {args.session} --resume "
                      f"{engine.run_id} (and the same connection options)",
                      file=sys.stderr, flush=True)  # fmt: skip
                return 130
        counts = {v: sum(o.verdict == v for o in outcomes) for v in VERDICTS}
        if args.json:
            print(
                json.dumps(
                    {
                        "run_id": engine.run_id,
                        "template": template.name,
                        "version": template.version,
                        "counts": counts,
                        "steps": [dataclasses.asdict(o) for o in outcomes],
                    },
                    indent=1,
                    default=str,
                )
            )
        else:
            summary = ", ".join(f"{n} {v}" for v, n in counts.items() if n)
            print(f"run {engine.run_id} ({template.name} v{template.version}): {summary}")
    finally:
        store.close()
    return 0


def _simulated_meter(args, control) -> str:
    """The simulator's description name (``--meter``, else what the simulator says; older
    simulators only give their serial); empty on a real bench."""
    if control is None:
        return ""
    state = control.state() or {}
    return str(args.meter or state.get("meter") or state.get("serial", ""))


def _record_bench(store, args, control) -> None:
    """Record how the meter was reached (a new record only when it changed): bench control means
    the built-in simulator; otherwise port, protocol, baud and framing."""
    from bench_app.store.records import framing_text, record_bench

    record_bench(
        store,
        args.session,
        simulator=control is not None,
        meter=_simulated_meter(args, control),
        port=args.port,
        protocol=args.protocol,
        baud=args.baud,
        framing=framing_text(args.protocol, mode_e=args.mode_e, framing=args.framing),
    )


def _wrap_table(rows: list[list[str]], headers: list[str], width: int) -> str:
    """A plain-text table with wrapped cells, columns separated by `` | ``."""
    fixed = {4: 8}  # Verdict column
    free = max(width - 3 * (len(headers) - 1) - sum(fixed.values()), 40)
    share = free // (len(headers) - len(fixed))
    widths = [fixed.get(i, share) for i in range(len(headers))]
    out = []
    for cells in [headers, *rows]:
        wrapped = [textwrap.wrap(c, w) or [""] for c, w in zip(cells, widths)]
        for n in range(max(len(w) for w in wrapped)):
            out.append(
                " | ".join(
                    (w[n] if n < len(w) else "").ljust(widths[i]) for i, w in enumerate(wrapped)
                ).rstrip()
            )
        out.append("-+-".join("-" * w for w in widths))
    return "\n".join(out)


def cmd_show(args) -> int:
    store = _open_store(args)
    try:
        template = _template_for(store, args)
        engine = ChecklistEngine(store, args.session, template)
        run = engine.current_run()
        results = engine.results()
        overall = overall_result(store, args.session, template.name)
    finally:
        store.close()
    if args.json:
        print(
            json.dumps(
                {
                    "session": args.session,
                    "template": template.name,
                    "run": run,
                    "steps": results,
                    "overall": overall.to_json(),
                },
                indent=1,
                default=str,
            )
        )
        return 0
    if run is None:
        print(f"session {args.session}: no run of {template.name} yet")
        return 0
    who = ", ".join(f"{c['role']} {c['name']}" for c in run.get("confirmations") or [])
    print(
        f"session {args.session} — {template.title}\nrun {run['id']}: {template.name} "
        f"v{run['template_version']} ({run['status']}{'; ' + who if who else ''})\n"
    )
    width = shutil.get_terminal_size((160, 20)).columns
    rows = [
        [f"{r['step']} {r['objective']}", r["method"], r["expected"], r["actual"], r["verdict"]]
        for r in results
    ]
    print(_wrap_table(rows, ["Objective", "Method", "Expected", "Actual", "Verdict"], width))
    print(f"\nOverall result: {overall.status}")
    for reason in overall.reasons:
        print(f"  - {reason}")
    for dev in (d.to_json() for d in overall.deviations):
        print(f"  deviation {dev['kind']} {dev['reference'] or '—'}: {dev['text']}")
    return 0


def _time_source(args):
    """The ``--time-source`` of a run (None for the bare PC clock: nothing measured)."""
    from bench_app.timesource import parse

    spec = getattr(args, "time_source", "pc") or "pc"
    return None if spec == "pc" else parse(spec)


def _engine(store, args) -> ChecklistEngine:
    return ChecklistEngine(store, args.session, _template_for(store, args))


def cmd_record(args) -> int:
    store = _open_store(args)
    try:
        out = _engine(store, args).record(args.step, args.actual, args.verdict, args.note, args.by)
    finally:
        store.close()
    print(f"{out.step_id}: {out.verdict} recorded")
    return 0


def cmd_attach(args) -> int:
    from bench_app.cli.validate import input_file

    input_file(args.file, "--file")
    store = _open_store(args)
    try:
        out = _engine(store, args).attach(args.step, args.file, args.note, args.by)
    finally:
        store.close()
    print(f"{out.step_id}: {out.actual}")
    return 0


def cmd_confirm(args) -> int:
    store = _open_store(args)
    try:
        engine = _engine(store, args)
        if engine.current_run() is None:
            raise UsageError(f"session {args.session}: no run of {engine.template.name} to confirm")
        engine.confirm(args.role, args.name, accept_incomplete=args.accept_incomplete)
        run = engine.current_run()
    finally:
        store.close()
    assert run is not None  # checked above, in the same process
    print(f"run {run['id']} confirmed by {args.role} {args.name}; status {run['status']}")
    return 0


def cmd_supersede(args) -> int:
    store = _open_store(args)
    try:
        store.supersede_run(args.run, args.reason, args.by)
        run = store.checklist_run(args.run)
    finally:
        store.close()
    print(
        f"run {run['id']} ({run['template']}) superseded by {run.get('superseded_by')}: "
        f"{run.get('superseded_reason')}; it stays in the report as run history"
    )
    return 0
