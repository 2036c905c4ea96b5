"""Witnessed BSCP601 steps: each judged on the HHDC's evidence, the bench's read the reference.

Every action here has the HHDC's system act (:func:`~bench_app.checklist.hhdc_evidence.hhdc_act`:
observed on the line and its export imported for the step), reads the meter with the bench as the
*reference* (a third reader, and the meter-side check) and proposes PASS only when the HHDC's
evidence shows the criterion. Each result stores ``evidence["hhdc"]`` (what the HHDC did, observed
and exported) and ``evidence["reference"]`` (what the bench read), which the report prints side by
side. Missing HHDC evidence gives ``not-run`` naming what is missing; evidence that contradicts
the criterion gives ``fail``.

Names: ``hhdc_collects_identical`` (DR1-1), ``hhdc_recollects_identical`` (DR1-2),
``hhdc_wrong_password_refused`` (DR2-1), ``hhdc_right_password_collects`` (DR2-2),
``hhdc_clock_set_refused`` (DR3-1), ``hhdc_clock_set_flagged`` (DR3-2, DR3-3), ``hhdc_sees_alarm``
(DR4-x: param ``stimulus`` names the meter-side alarm action run as the reference).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bench_app.checklist import hhdc_evidence as he
from bench_app.checklist.actions import (
    _export_problem,
    _offset_clock,
    _offset_minutes,
    _outstation_setup,
    _read_offset,
    _restore_clock,
    _wait_for_reentry,
)
from bench_app.checklist.alarms import close_period
from bench_app.checklist.context import (
    SP,
    ActionContext,
    ActionResult,
    StepAborted,
    action,
    sp_start,
)
from bench_app.checklist.simtime import secs, sp_name
from bench_app.settlement import sp_label
from drivers.model import EventCode


def _result(ctx: ActionContext, ev: he.HhdcEvidence, ref: list[str], fails: list[str],
            missing: list[str], passed: str) -> ActionResult:  # fmt: skip
    """The verdict from the HHDC's evidence: fail on a contradiction, not-run when evidence is
    missing, pass only otherwise; the evidence texts stored for the report."""
    ctx.evidence["hhdc"] = ev.lines(ctx.store)
    ctx.evidence["reference"] = ref
    if fails:
        return ActionResult("; ".join(fails + missing), "fail", ctx.evidence)
    if missing:
        return ActionResult("not run: HHDC evidence missing: " + "; ".join(missing), "not-run",
                            ctx.evidence)  # fmt: skip
    return ActionResult(passed, "pass", ctx.evidence)


def _reference_read(ctx: ActionContext, start: datetime, end: datetime) -> tuple[int, str]:
    """The bench's own read of ``[start, end)`` (the reference) → (collection id, text)."""
    with ctx.meter("reference read") as meter:
        cid, profile = ctx.collect_profile(meter, start, end, "reference read (bench)")
    status: dict[datetime, int] = {}
    for r in profile.rows:
        if int(r.status):
            status[r.start] = status.get(r.start, 0) | int(r.status)
    flags = sorted(status)
    shown = ", ".join(f"{sp_label(s)} 0x{status[s]:X}" for s in flags[:4])
    return cid, (f"bench read (collection #{cid}) {sp_label(start)} to {sp_label(end - SP)}: "
                 f"{len(profile.rows)} periods, {len(flags)} flagged"
                 + (f" ({shown})" if shown else ""))  # fmt: skip


def _level_problem(ctx: ActionContext, ev: he.HhdcEvidence) -> tuple[list[str], list[str]]:
    """The HHDC's accepted association must be at the script's level → (fails, missing)."""
    want = int(ctx.param("hhdc_level", 2))
    if not ev.accepted:
        if ev.refused:
            return [f"the meter refused the HHDC's association ({ev.refused[-1].result})"], []
        return [], [] if not ev.trace_ids else ["no association by the HHDC observed"]
    levels = {e.details.get("level") for e in ev.accepted}
    if None in levels:
        saps = ", ".join(str(e.details.get("sap")) for e in ev.accepted)
        return [], [f"the level of the HHDC's association (client SAP {saps}) is not known: "
                    "name the meter description of the session"]  # fmt: skip
    if want not in levels:
        return [f"the HHDC associated at level {sorted(map(str, levels))}, not level {want}"], []
    return [], []


def _collected(ev: he.HhdcEvidence) -> tuple[list[str], list[str], int]:
    """The HHDC's observed profile GETs → (fails, missing, settlement periods returned)."""
    gets = ev.profile_gets
    if not gets:
        return [], ([] if not ev.trace_ids else ["no profile GET by the HHDC observed"]), 0
    n = sum(int(g.details.get("entries") or 0) for g in gets)
    if not n:
        return ["the meter returned no settlement periods to the HHDC's GET"], [], 0
    return [], [], n


@dataclass
class Collected:
    """An HHDC collection judged against the bench's reference read of the same periods."""

    ev: he.HhdcEvidence
    fails: list[str]
    missing: list[str]
    periods: int  #: settlement periods the meter returned to the HHDC (observed)
    reference_id: int  #: the bench's reference read (collection id)
    ref: list[str]


def _collection(ctx: ActionContext, start: datetime, end: datetime, instruction: str,
                compare: bool = True) -> Collected:  # fmt: skip
    """The HHDC collects ``[start, end)`` (observed, export imported), the bench reads the same
    periods; the association level, the observed GETs and the export against the reference."""
    ev = he.hhdc_act(ctx, "collect", instruction, start=start, end=end)
    fails, missing = _level_problem(ctx, ev)
    f2, m2, n = _collected(ev)
    cid, text = _reference_read(ctx, start, end)
    out = Collected(ev, fails + f2, missing + m2 + he.missing_text(ev), n, cid, [text])
    if compare and ev.export_id is not None:
        diff, text = he.compare_text(ctx.store, ev.export_id, cid,
                                     "HHDC export vs the bench's reference read")  # fmt: skip
        (out.fails if diff else out.ref).append(text)
    return out


@action("hhdc_collects_identical")
def hhdc_collects_identical(ctx: ActionContext) -> ActionResult:
    """DR1-1: the HHDC's collection (observed and exported, at least ``hhdc_min_days``) is
    identical to the manufacturer software's export and to the bench's reference read."""
    days = float(ctx.limit("hhdc_min_days"))
    ref: list[str] = []
    with ctx.meter("set-up check") as meter:
        setup = _outstation_setup(ctx, meter)
    ref.append(setup or f"set-up: the outstation holds {ctx.evidence['setup']['days_held']:g} "
                        "days of non-uniform data")  # fmt: skip
    mans = [c for c in ctx.store.collections(ctx.session_id) if c["source"] == "manufacturer"
            and c["rows"]]  # fmt: skip
    end = sp_start(ctx.now()) - SP
    if mans:
        span = ctx.store.interval_span(mans[-1]["id"])
        if span is not None:
            end = min(end, span[1] + timedelta(seconds=span[2]))
    start = end - timedelta(days=days)
    got = _collection(ctx, start, end, f"collect {sp_label(start)} to {sp_label(end - SP)} "
                      f"({days:g} day)")  # fmt: skip
    ev, fails, missing, n = got.ev, got.fails, got.missing, got.periods
    ref += got.ref
    if setup:
        fails.append(setup)
    if ev.export_id is not None:
        col = next(c for c in ctx.store.collections(ctx.session_id) if c["id"] == ev.export_id)
        short = _export_problem(ctx, "hhdc", col)
        if short:
            fails.append(short)
        if mans:
            ctx.link("collection_ids", mans[-1]["id"])
            diff, text = he.compare_text(ctx.store, ev.export_id, mans[-1]["id"],
                                         "HHDC export vs manufacturer-software export",
                                         start, end)  # fmt: skip
            (fails if diff else ref).append(text)
        else:
            missing.append("no manufacturer-software export imported (bench-app import "
                           "--source manufacturer FILE)")  # fmt: skip
    return _result(ctx, ev, ref, fails, missing,
                   f"the HHDC's system collected {n} settlement periods at level "
                   f"{ctx.param('hhdc_level', 2)} (observed); its export is identical to the "
                   "manufacturer software's and to the bench's reference read, flags included")


@action("hhdc_recollects_identical")
def hhdc_recollects_identical(ctx: ActionContext) -> ActionResult:
    """DR1-2: the HHDC's repeated collection of the same periods is identical to its first."""
    prev = str(ctx.param("previous_step", "DR1-1"))
    first = [c for c in ctx.store.collections(ctx.session_id) if c["source"] == "hhdc"
             and (c.get("meta") or {}).get("step") == prev and c["rows"]]  # fmt: skip
    if not first:
        raise StepAborted(f"no HHDC export of {prev} to repeat (run {prev} first)")
    span = ctx.store.interval_span(first[-1]["id"])
    if span is None:
        raise StepAborted(f"the HHDC export of {prev} holds no data")
    start, end = span[0], span[1] + timedelta(seconds=span[2])
    got = _collection(ctx, start, end, f"collect {sp_label(start)} to {sp_label(end - SP)} "
                      "again")  # fmt: skip
    ev, fails, missing, n, ref = got.ev, got.fails, got.missing, got.periods, got.ref
    ctx.link("collection_ids", first[-1]["id"])
    if ev.export_id is not None:
        diff, text = he.compare_text(ctx.store, ev.export_id, first[-1]["id"],
                                     f"repeated HHDC export vs its {prev} export")  # fmt: skip
        (fails if diff else ref).append(text)
    return _result(ctx, ev, ref, fails, missing,
                   f"the HHDC's repeated collection ({n} settlement periods, observed) is "
                   f"identical to its {prev} collection and to the bench's reference read")


@action("hhdc_wrong_password_refused")
def hhdc_wrong_password_refused(ctx: ActionContext) -> ActionResult:
    """DR2-1: the HHDC's association with a wrong Level 2 password is refused by the meter and
    the HHDC's export for the step holds no data."""
    end = sp_start(ctx.now())
    start = end - timedelta(hours=float(ctx.param("collect_hours", 6)))
    ev = he.hhdc_act(ctx, "collect", "try to collect with an incorrect Level 2 password",
                     start=start, end=end, password=str(ctx.param("wrong_password")))
    fails: list[str] = []
    missing = he.missing_text(ev, export=False)
    if ev.trace_ids and not ev.associations:
        missing.append("no association by the HHDC observed")
    if ev.accepted:
        fails.append("the meter ACCEPTED the HHDC's association with the wrong password")
    got = [g for g in ev.profile_gets if g.details.get("entries")]
    if got:
        fails.append(f"the meter returned {sum(g.details['entries'] for g in got)} settlement "
                     "periods to the HHDC")  # fmt: skip
    if ev.export_id is not None and ctx.store.readings(ev.export_id):
        count = len(ctx.store.readings(ev.export_id))
        fails.append(f"the HHDC's system exported {count} readings for {ctx.step.id} although "
                     "the meter refused it: data it did not collect in this step")  # fmt: skip
    ref: list[str] = []
    with ctx.meter("reference: event log after the HHDC's attempt") as meter:
        events = meter.read_events(start, None)
    _, rows = ctx.store_events(events, "events after the HHDC's wrong password")
    logged = [r for r in rows if int(r["code"]) == EventCode.WRONG_PASSWORD]
    ref.append(f"bench read of the event log: {len(logged)} 'wrong password' event(s)"
               + ("" if logged else " (the script: logged if the outstation logs it)"))
    refused = ev.refused[-1].result if ev.refused else ""
    return _result(ctx, ev, ref, fails, missing,
                   f"the meter refused the HHDC's association ({refused}); no data reached the "
                   "HHDC's system and it exported none")


@action("hhdc_right_password_collects")
def hhdc_right_password_collects(ctx: ActionContext) -> ActionResult:
    """DR2-2: the HHDC associates at level 2 with the right password and collects; its export
    equals the bench's reference read."""
    end = sp_start(ctx.now())
    start = end - timedelta(hours=float(ctx.param("collect_hours", 6)))
    got = _collection(ctx, start, end, f"collect {sp_label(start)} to {sp_label(end - SP)} "
                      "with the correct Level 2 password")  # fmt: skip
    return _result(ctx, got.ev, got.ref, got.fails, got.missing,
                   f"access granted to the HHDC at level {ctx.param('hhdc_level', 2)} (observed); "
                   f"it collected {got.periods} settlement periods and exported them as the meter "
                   "holds them")


@action("hhdc_clock_set_refused")
def hhdc_clock_set_refused(ctx: ActionContext) -> ActionResult:
    """DR3-1: with the clock off by the script's offset, the HHDC's correction with a wrong Level
    2 password is refused (observed) and the bench's clock read shows the clock unchanged."""
    minutes = _offset_minutes(ctx)
    tol = float(ctx.limit("tolerance_s"))
    _offset_clock(ctx, minutes)
    try:
        before = _read_offset(ctx, minutes, tol)
        ev = he.hhdc_act(ctx, "set_clock", "try to correct the outstation's clock with an "
                         "incorrect Level 2 password", password=str(ctx.param("wrong_password")))
        with ctx.meter("reference clock read") as meter:
            after = meter.read_clock()
        ctx.observe_clock(after, "clock after the HHDC's wrong-password attempt")
    finally:
        _restore_clock(ctx)
    moved = after.deviation_s - before.deviation_s
    ref = [f"bench clock read: deviation {secs(before.deviation_s)} s before the HHDC's attempt, "
           f"{secs(after.deviation_s)} s after ({ctx.reference_text()})"]  # fmt: skip
    fails: list[str] = []
    missing = he.missing_text(ev, export=False)
    done = [s for s in ev.clock_sets if s.details.get("accepted")]
    if done:
        fails.append(f"the meter ACCEPTED the HHDC's clock correction: {done[-1].text}")
    if abs(moved) > tol:
        fails.append(f"the clock moved by {secs(moved)} s (tolerance {tol:g} s)")
    refusal = [e.text for e in ev.refused] + [s.text for s in ev.clock_sets
                                              if s.level == "refused"]  # fmt: skip
    if ev.trace_ids and not refusal and not done:
        missing.append("no clock-correction attempt by the HHDC observed")
    return _result(ctx, ev, ref, fails, missing,
                   f"the HHDC's correction was refused ({refusal[-1] if refusal else ''}); the "
                   f"bench's clock read shows the clock unchanged ({secs(moved)} s)")


@action("hhdc_clock_set_flagged")
def hhdc_clock_set_flagged(ctx: ActionContext) -> ActionResult:
    """DR3-2/DR3-3: the HHDC corrects the clock (observed SET with old and new time); the bench's
    clock read shows the correction; the HHDC's next collection holds the affected closed period
    flagged and the clock-change event."""
    minutes = _offset_minutes(ctx)
    tol = float(ctx.limit("tolerance_s"))
    if minutes > 0:
        _wait_for_reentry(ctx, minutes)
    _offset_clock(ctx, minutes)
    corrected = False
    try:
        before = _read_offset(ctx, minutes, tol)
        set_ev = he.hhdc_act(ctx, "set_clock", "correct the outstation's clock with the correct "
                             "Level 2 password")  # fmt: skip
        with ctx.meter("reference clock read") as meter:
            after = meter.read_clock()
        ctx.observe_clock(after, "clock after the HHDC's correction")
        corrected = abs(after.deviation_s) <= tol
    finally:
        if not corrected:
            _restore_clock(ctx)
    ref = [f"bench clock read: deviation {secs(before.deviation_s)} s before, "
           f"{secs(after.deviation_s)} s after the HHDC's correction ({ctx.reference_text()})"]
    close_period(ctx, "clock before the affected period closed", since=after)
    affected = sorted({sp_start(before.meter_time), sp_start(after.meter_time)})
    start, end = affected[0] - SP, sp_start(ctx.now())
    got = _collection(ctx, start, end, f"collect {sp_label(start)} to {sp_label(end - SP)} with "
                      "the event log")  # fmt: skip
    ev, fails, missing, cid = got.ev, got.fails, got.missing, got.reference_id
    sets = set_ev.clock_sets
    ev.claimed = "; ".join(x for x in (set_ev.claimed, ev.claimed) if x)
    ok_sets = [s for s in sets if s.details.get("accepted")]
    if not ok_sets:
        what = f" ({sets[-1].text})" if sets else ""
        (fails if not corrected else missing).insert(
            0, f"no accepted clock correction by the HHDC observed{what}")
    if not corrected:
        fails.insert(1, f"the bench's clock read shows the clock NOT corrected "
                     f"({secs(after.deviation_s)} s)")
    ref_flag = he.flagged(ctx.store, cid, he.CLOCK_FLAGS) & set(affected)
    ref += [*got.ref, "bench read: affected period(s) " + (", ".join(map(sp_name,
            sorted(ref_flag))) or "none") + " flagged"]  # fmt: skip
    if ev.export_id is not None:
        mine = he.flagged(ctx.store, ev.export_id, he.CLOCK_FLAGS) & set(affected)
        if not mine:
            fails.append("the HHDC's export holds no flagged affected period ("
                         + " / ".join(map(sp_name, affected)) + ")")
    if ev.trace_ids and he.CLOCK_EVENT not in ev.event_codes:
        (fails if ev.buffers((he.EVENT_LOG,)) else missing).append(
            "the clock-change event is not in the event log the HHDC collected")
    ctx.evidence["clock_set"] = [s.text for s in sets]
    ev.exchanges = sets + ev.exchanges
    done = ok_sets[-1].text if ok_sets else ""
    return _result(ctx, ev, ref, fails, missing,
                   f"the HHDC corrected the clock at UTC{minutes:+g} min ({done}); bench clock "
                   f"read {secs(after.deviation_s)} s; the HHDC's next collection holds the "
                   "affected period flagged and the clock-change event")


@action("hhdc_sees_alarm")
def hhdc_sees_alarm(ctx: ActionContext) -> ActionResult:
    """DR4-x: the meter-side alarm check (action ``stimulus``: stimulus, periods closed, read
    twice) is the reference; then the HHDC collects the periods and its export must hold the
    flags exactly as the meter sent them (observed) and the bench read them."""
    from bench_app.checklist.registry import load_actions

    name = str(ctx.param("stimulus", ""))
    check = load_actions().get(name)
    if check is None:
        raise StepAborted(f"step {ctx.step.id}: unknown stimulus action {name!r}")
    t0 = ctx.now()
    meter_side = check(ctx)
    if meter_side.verdict == "not-run":
        return meter_side
    start, end = sp_start(t0) - SP, sp_start(ctx.now())
    got = _collection(ctx, start, end, f"collect {sp_label(start)} to {sp_label(end - SP)}")
    ev, fails, missing, n, cid = got.ev, got.fails, got.missing, got.periods, got.reference_id
    ref = [f"meter-side check (bench): {meter_side.verdict.upper()} — {meter_side.actual}",
           *got.ref]  # fmt: skip
    if meter_side.verdict == "fail":
        fails.append("the meter-side check failed (see the reference)")
    alarm = ~he.CLOCK_FLAGS & 0xFFFFFFFF  # the clock steps' flags are not this alarm's
    want = he.flagged(ctx.store, cid, alarm)
    sent = sum(int(g.details.get("flagged") or 0) for g in ev.profile_gets)
    if ev.profile_gets and want and not sent:
        fails.append("the meter sent the HHDC no flagged period (observed)")
    if ev.export_id is not None:
        mine = he.flagged(ctx.store, ev.export_id, alarm)
        if want and not mine:
            fails.insert(0, f"the HHDC's export LOST the flag: the bench read {len(want)} "
                         f"flagged period(s) ({', '.join(map(sp_name, sorted(want)[:3]))}), the "
                         f"meter sent {sent} to the HHDC (observed), its export holds none")
    shown = ", ".join(sp_name(s) for s in sorted(want)[:3])
    return _result(ctx, ev, ref, fails, missing,
                   f"the HHDC's collection ({n} settlement periods, {sent} flagged as observed) "
                   f"holds the alarm flag in {shown or 'the stimulus period'} as the meter sent "
                   "it and the bench read it; " + meter_side.actual.split(";")[0])

