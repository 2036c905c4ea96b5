"""Stimulus actions of DR4 (and CoP alarm checks): do something to the meter, then prove the alarm.

On a simulator the stimulus goes through bench control; on a real meter the tester is asked to do
it and confirm. The settlement period is then **closed** (simulated time on the simulator, a
wait on a real meter) and the event log and profile are read **twice** (two connections): the
expected :class:`~drivers.model.EventCode` must be a new event in the period(s) of the stimulus in
both reads, and the closed period's status must carry the event's :class:`StatusFlag` in both
reads (alarms are not cleared by reading). Every stimulus ends by clearing its condition (phase,
supply, battery restored; parameter put back), and the **first full settlement period after the
restore** is closed too and must **not** carry the flag (alarms reset automatically once the
abnormal condition has cleared). Results name the period as the GB settlement day and SP number
with local time and UTC.

Names: ``phase_failure`` (params ``phases``, ``combination``, ``hold_s``), ``supply_failure``
(``days``, ``hold_s``, ``clock_tolerance_s``, ``reconnect_s``), ``battery_fault``,
``forced_reset`` (``hold_s``), ``data_change`` (``parameter``, ``value``), ``reverse_running``
(``hold_s``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bench_app.checklist.context import (
    SP,
    ActionContext,
    ActionResult,
    StepAborted,
    action,
    compare_readings,
    event_identities,
    event_key,
    event_names,
    new_events,
    sp_start,
)
from bench_app.checklist.simtime import secs, sp_name
from bench_app.presentation import flag_text
from bench_app.settlement import parse_utc
from drivers.errors import DriverTimeout, TransportError
from drivers.model import ClockReading, EventCode, iso


def _first_read(ctx: ActionContext, label: str, body: Callable):
    """``body(meter)`` in a new connection, retrying the connection for ``reconnect_s`` seconds (a
    meter coming back from a reset or a supply cut may need a moment)."""
    deadline = float(ctx.param("reconnect_s", 10.0))
    waited = 0.0
    while True:
        try:
            with ctx.meter(label) as meter:
                return body(meter)
        except (TransportError, DriverTimeout):
            if waited >= deadline:
                raise
            ctx.sleep(0.5)
            waited += 0.5


def _status_of(profile, when) -> int | None:
    """Status bits of the profile row of the settlement period containing ``when`` (None when
    the period is not in the profile, i.e. not closed yet)."""
    sp = sp_start(when)
    rows = [r for r in (profile.rows if profile else []) if sp_start(r.start) == sp]
    if not rows:
        return None
    status = 0
    for r in rows:  # shorter integration periods: OR of the periods inside the SP
        status |= int(r.status)
    return status


def close_period(
    ctx: ActionContext,
    label: str,
    since: ClockReading | None = None,
    *,
    may_leave: bool = False,
) -> datetime:
    """Let the settlement period the meter clock is in close (simulated time on the simulator, a
    wait with progress on a real meter); returns the meter time it started from.

    :param since: a clock reading of this step: the meter time now is estimated from it and the
        bench clock (no connection); without it the clock is read in a new connection.
    :param may_leave: on a real meter with a tester at the prompt and more than ``ask_above_s``
        to wait, offer to leave the step and resume it later (:class:`StepAborted`; the step's
        evidence then holds what the resumed check needs).
    """
    if since is not None:
        meter_now = since.meter_time + (ctx.now() - since.pc_time)
    else:
        with ctx.meter(label) as meter:
            clock = meter.read_clock()
        ctx.observe_clock(clock, label)
        meter_now = clock.meter_time
    end = sp_start(meter_now) + SP
    wait = (end - meter_now).total_seconds()
    bt = ctx.bench_time
    ask = may_leave and bt is not None and not bt.simulated and ctx.prompt is not None
    if ask and wait > float(ctx.param("ask_above_s", 60)):
        answer = ctx.prompt(  # type: ignore[misc]
            f"{ctx.step.id}: {sp_name(meter_now)} closes in {wait:.0f} s — press Enter to "
            "wait, or type 'later' to leave this step and re-run it after the period closed"
        )
        if (answer or "").strip().lower().startswith(("l", "n", "skip")):
            raise StepAborted(
                f"waiting for {sp_name(meter_now)} to close; stimulus done — re-run "
                f"{ctx.step.id} after {end.astimezone(UTC):%H:%M} UTC to check the closed "
                "period"
            )
    if bt is not None:
        bt.close_period(meter_now, float(ctx.param("close_margin_s", 2.0)))
    return meter_now


def _wait_for_clear_period(ctx: ActionContext, clear: datetime) -> None:
    """On resuming a step: let the first full period after the restore (starting ``clear``)
    close — nothing to wait for when it already has."""
    with ctx.meter("clock at resume") as meter:
        clock = meter.read_clock()
    ctx.observe_clock(clock, "clock at resume")
    if ctx.bench_time is not None:
        ctx.bench_time.wait_until_meter(clock.meter_time, clear + SP,
                                        float(ctx.param("close_margin_s", 2.0)))  # fmt: skip


def _pending(ctx: ActionContext) -> dict | None:
    """What the step's latest attempt left for a resumed check (None when nothing is pending)."""
    latest = [r for r in ctx.store.step_results(ctx.run_id) if r["step_id"] == ctx.step.id]
    if not latest or latest[-1].get("verdict") != "not-run":
        return None
    return (latest[-1].get("evidence") or {}).get("pending")


def check_alarm(
    ctx: ActionContext,
    codes: set[int],
    stimulate: Callable[[], None],
    extra: Callable[[], tuple[list[str], bool]] | None = None,
    *,
    before_read: Callable | None = None,
    after_read: Callable | None = None,
    groups: list[set[int]] | None = None,
    must_flag: Callable[[], list[datetime]] | None = None,
) -> ActionResult:
    """Read the clock, run ``stimulate`` (which ends by clearing the condition), let the period
    close and then the first full period after it, then read clock + events + profile, and the
    events and profile again in a second connection, and judge.

    Each code in ``codes`` must have a new event (full identity: time, code, occurrence) in both
    reads, and the **closed** settlement period it is tagged to must carry the code's status flag
    in the profile in both reads (alarms are not cleared by reading); the first full period after
    the restore must be closed and must **not** carry it (the alarm reset once cleared).

    :param extra: optional further check run at the end → (texts, ok).
    :param before_read: ``f(meter)`` also run in the connection before the stimulus.
    :param after_read: ``f(meter)`` also run in the first connection after the periods closed.
    :param groups: the codes expected in each of consecutive settlement periods, in order
        (DR4-1a: one phase per period, then a combination in one period).
    :param must_flag: more settlement periods (starts) that must carry every code's flag
        (DR4-1b: each period the outage touched).
    """
    resumable = before_read is None and after_read is None and extra is None
    pending = _pending(ctx) if resumable else None
    if pending:  # a tester left this step waiting for the period: check it now, no new stimulus
        lo, hi = parse_utc(pending["lo"]), parse_utc(pending["hi"])
        old = {tuple(i) for i in pending["old"]}
        ctx.evidence["resumed"] = pending
        _wait_for_clear_period(ctx, hi)  # closed already, or wait for it now
    else:
        with ctx.meter("before stimulus") as meter:
            before = meter.read_clock()
            old = event_identities(meter.read_events(sp_start(before.meter_time) - SP, None))
            if before_read:
                before_read(meter)
        ctx.observe_clock(before, "clock before stimulus")
        stimulate()
        lo = sp_start(before.meter_time)
        hi = sp_start(before.meter_time + (ctx.now() - before.pc_time)) + SP
        if resumable:
            ctx.evidence["pending"] = {"lo": iso(lo), "hi": iso(hi), "old": sorted(old)}
        closed = close_period(ctx, "clock after stimulus", since=before, may_leave=resumable)
        hi = sp_start(closed) + SP
        # the first full settlement period after the restore: closed too, then judged clear
        close_period(ctx, "clock in the first full period after the restore", since=before)
        ctx.evidence.pop("pending", None)
    clear = hi  # the first full settlement period after the restore

    def read_one(meter):
        after = meter.read_clock()
        events = meter.read_events(lo - SP, None)
        profile = meter.read_profile(lo, clear + SP)
        if after_read:
            after_read(meter)
        return after, events, profile

    after, events, profile = _first_read(ctx, "events and profile read 1", read_one)
    ctx.observe_clock(after, "clock after the periods closed")
    _, first = ctx.store_events(events, "events read 1")
    with ctx.meter("events and profile read 2") as meter:
        events2 = meter.read_events(lo - SP, None)
        profile2 = meter.read_profile(lo, clear + SP)
    _, second = ctx.store_events(events2, "events read 2")
    new_first = new_events(first, old)
    second_ids = event_identities(second)
    problems, found_texts, periods = [], [], []
    for code in sorted(codes):
        name = EventCode(code).text
        hits = [r for r in new_first if int(r["code"]) == code and lo <= r["time"] < hi]
        if not hits:
            near = ", ".join(f"{r['text']} {iso(r['time'])}" for r in first[-5:]) or "none"
            problems.append(f"no '{name}' event logged in {sp_name(lo)} (read: {near})")
            continue
        hit = hits[-1]
        ctx.link("event_ids", hit["id"])
        if hit["identity"] not in second_ids:
            problems.append(
                f"'{name}' at {iso(hit['time'])} present in the first read but gone in the second: "
                "reading cleared the alarm"
            )
            continue
        ctx.link("event_ids", [r["id"] for r in second if event_key(r) == hit["identity"][:2]][:1])
        where = sp_name(hit["time"])
        periods.append(sp_start(hit["time"]))
        flag = EventCode(code).flag
        if flag:
            problem = _flag_problem(profile, profile2, hit["time"], flag)
            if problem:
                problems.append(problem)
                continue
            found_texts.append(
                f"'{name}' at {iso(hit['time'])}, closed {where} flagged '{flag_text(flag)}'"
            )
        else:
            found_texts.append(f"'{name}' at {iso(hit['time'])} ({where})")
    if groups:
        problems += _groups_problems(new_first, groups, lo, hi, ctx.evidence)
        wanted = set().union(*groups)
        periods += [sp_start(r["time"]) for r in new_first
                    if int(r["code"]) in wanted and lo <= r["time"] < hi]  # fmt: skip
    flags = [EventCode(c).flag for c in sorted(codes) if EventCode(c).flag]
    for sp in must_flag() if must_flag else []:
        for flag in flags:
            problem = _flag_problem(profile, profile2, sp, flag)
            if problem:
                problems.append(problem)
        periods.append(sp_start(sp))
    cleared = _clear_problems(profile, profile2, clear, flags)
    problems += cleared
    ctx.evidence["closed_periods"] = [sp_name(p) for p in sorted(set(periods))]
    ctx.evidence["clear_period"] = sp_name(clear)
    texts, ok = extra() if extra else ([], True)
    if problems or not ok:
        return ActionResult("; ".join(problems + texts), "fail", ctx.evidence)
    names = "/".join(f"'{flag_text(f)}'" for f in flags) or "alarm"
    summary = (
        "; ".join(found_texts) + "; event and flag still present on a second read; first full "
        f"period after the restore ({sp_name(clear)}) closed without {names}: the alarm cleared"
    )
    return ActionResult("; ".join([summary, *texts]), "pass", ctx.evidence)


def _flag_problem(profile, profile2, when: datetime, flag) -> str:
    """Why the closed period containing ``when`` does not carry ``flag`` in both reads ("")."""
    where = sp_name(when)
    s1, s2 = _status_of(profile, when), _status_of(profile2, when)
    if s1 is None:
        return f"period {where} not closed in the profile read after it ended"
    if not s1 & flag:
        return f"closed period {where}: status lacks '{flag_text(flag)}'"
    if s2 is None or not s2 & flag:
        return f"closed period {where}: '{flag_text(flag)}' cleared by the first read"
    return ""


def _clear_problems(profile, profile2, clear: datetime, flags: list) -> list[str]:
    """The first full period after the restore must be closed, with data, and carry none of
    ``flags`` in either read (the alarm resets once the condition has cleared)."""
    where = sp_name(clear)
    s1, s2 = _status_of(profile, clear), _status_of(profile2, clear)
    if s1 is None or s2 is None:
        return [f"first full period after the restore ({where}) has no data in the profile"]
    still = [f"'{flag_text(f)}'" for f in flags if (s1 | s2) & f]
    if still:
        return [f"alarm did NOT clear: the first full period after the restore ({where}) is "
                f"still flagged {', '.join(still)}"]  # fmt: skip
    return []


def _groups_problems(rows: list[dict], groups: list[set[int]], lo, hi, evidence: dict
                     ) -> list[str]:  # fmt: skip
    """The new events of ``groups``' codes, by settlement period, must be exactly ``groups`` in
    consecutive periods (``evidence["periods_in_turn"]``: what each period logged)."""
    wanted = set().union(*groups)
    by_sp: dict[datetime, set[int]] = {}
    for r in rows:
        if int(r["code"]) in wanted and lo <= r["time"] < hi:
            by_sp.setdefault(sp_start(r["time"]), set()).add(int(r["code"]))
    seq = sorted(by_sp)
    seen = [by_sp[s] for s in seq]
    evidence["periods_in_turn"] = [f"{sp_name(s)}: {event_names(by_sp[s])}" for s in seq]
    consecutive = all(b - a == SP for a, b in zip(seq, seq[1:], strict=False))
    if seen == [set(g) for g in groups] and consecutive:
        return []
    want = " then ".join(event_names(g) for g in groups)
    got = "; ".join(f"{sp_name(s)}: {event_names(by_sp[s])}" for s in seq) or "none"
    return [f"expected {want} in consecutive settlement periods; logged: {got}"]


@action("phase_failure")
def phase_failure(ctx: ActionContext) -> ActionResult:
    """DR4-1a: remove and restore each phase in turn, each in its own settlement period, then the
    ``combination`` of phases together in the next; a phase-failure event per phase removed, in
    consecutive periods; the period after the last restore clear."""
    phases = [int(p) for p in ctx.param("phases", [1, 2, 3])]
    combo = [int(p) for p in ctx.param("combination", [])]
    hold = float(ctx.param("hold_s", 0.5))
    groups = [[p] for p in phases] + ([combo] if combo else [])

    def stimulate() -> None:
        for n, group in enumerate(groups):
            names = " and ".join(f"L{p}" for p in group)
            if n:  # each removal in its own settlement period: close the previous one first
                close_period(ctx, f"clock before removing phase {names}")
            for p in group:
                ctx.stimulus("phase_failure", p, instruction=f"remove phase L{p}")
            ctx.sleep(hold)
            for p in group:
                ctx.stimulus("phase_restore", p, instruction=f"restore phase L{p}")

    codes = {EventCode.PHASE_FAILURE_L1 + p - 1 for g in groups for p in g}
    return check_alarm(ctx, codes, stimulate,
                       groups=[{EventCode.PHASE_FAILURE_L1 + p - 1 for p in g} for g in groups])


@action("supply_failure")
def supply_failure(ctx: ActionContext) -> ActionResult:
    """DR4-1b: cut the outstation supply, keep it off across a settlement-period boundary, restore
    it: supply-failure alarm in each period the outage touched, the data collected before the
    cut identical afterwards, the first full period after the restore with data and clear, and
    the clock after the restore within ``clock_tolerance_s`` of the reference."""
    hold = float(ctx.param("hold_s", 1.0))
    clock_tol = float(ctx.limit("clock_tolerance_s"))
    window: dict = {}

    def collect_before(meter) -> None:
        clock = meter.read_clock()
        window["clock"] = clock
        end = sp_start(clock.meter_time)
        window["span"] = (end - timedelta(days=float(ctx.param("days", 1))), end)
        start, stop = window["span"]
        window["first"], window["profile"] = ctx.collect_profile(
            meter, start, stop, "before supply cut"
        )

    def collect_after(meter) -> None:
        start, stop = window["span"]
        window["second"], _ = ctx.collect_profile(meter, start, stop, "after supply restore")
        clock = meter.read_clock()
        ctx.observe_clock(clock, "clock after supply restore")
        window["clock_after"] = clock

    def meter_now():
        since = window["clock"]
        return since.meter_time + (ctx.now() - since.pc_time)

    def stimulate() -> None:
        ctx.stimulus("supply_cut", instruction="remove the outstation supply")
        window["cut"] = meter_now()
        boundary = sp_start(window["cut"]) + SP  # keep it off across the boundary
        if ctx.bench_time is not None:
            ctx.bench_time.wait_until_meter(window["cut"], boundary, max(hold, 1.0))
        else:
            ctx.sleep(hold)
        ctx.stimulus("supply_restore", instruction="restore the outstation supply")
        window["restore"] = meter_now()

    def outage_periods() -> list[datetime]:
        sps, sp = [], sp_start(window["cut"])
        while sp <= sp_start(window["restore"]):
            sps.append(sp)
            sp += SP
        return sps

    def intact() -> tuple[list[str], bool]:
        first, second = window["first"], window["second"]
        cmp = compare_readings(ctx.store.readings(first), ctx.store.readings(second))
        ctx.evidence["comparison"] = cmp
        texts, ok = [], True
        lost = cmp["missing_in_b"] + cmp["value_diffs"] + cmp["flag_diffs"]
        if lost or not window["profile"].rows:
            ex = "; ".join(cmp["examples"])
            texts.append(
                f"data before the cut NOT intact: {cmp['missing_in_b']} of "
                f"{cmp['compared'] + cmp['missing_in_b']} values missing, {cmp['value_diffs']} "
                f"changed (collections {first} and {second}; e.g. {ex})"
            )
            ok = False
        else:
            texts.append(f"{cmp['compared']} values before the cut intact after restore")
        n = len(outage_periods())
        texts.append(f"outage {iso(window['cut'])} – {iso(window['restore'])} across {n} "
                     "settlement periods")  # fmt: skip
        dev = window["clock_after"].deviation_s
        if abs(dev) > clock_tol:
            texts.append(f"clock after restore {secs(dev)} s off the reference, outside "
                         f"±{clock_tol:g} s")  # fmt: skip
            ok = False
        else:
            texts.append(f"clock after restore {secs(dev)} s (within ±{clock_tol:g} s; "
                         f"reference: {ctx.reference_text()})")  # fmt: skip
        return texts, ok

    return check_alarm(
        ctx,
        {EventCode.SUPPLY_FAILURE},
        stimulate,
        intact,
        before_read=collect_before,
        after_read=collect_after,
        must_flag=outage_periods,
    )


@action("battery_fault")
def battery_fault(ctx: ActionContext) -> ActionResult:
    """DR4-2 / CoP alarms: battery fault → battery alarm; the battery is then replaced."""

    def stimulate() -> None:
        ctx.stimulus("battery_fault", instruction="simulate a battery fault (remove the battery)")
        ctx.sleep(float(ctx.param("hold_s", 0.0)))
        ctx.stimulus("battery_restore", instruction="refit a good battery")

    return check_alarm(ctx, {EventCode.BATTERY_FAULT}, stimulate)


@action("forced_reset")
def forced_reset(ctx: ActionContext) -> ActionResult:
    """DR4-3: a reset not caused by a supply failure → reset alarm."""

    def stimulate() -> None:
        ctx.stimulus("reset", instruction="force a reset of the outstation (not by supply)")
        ctx.sleep(float(ctx.param("hold_s", 0.5)))

    return check_alarm(ctx, {EventCode.RESET}, stimulate)


@action("data_change")
def data_change(ctx: ActionContext) -> ActionResult:
    """DR4-4: change a parameter other than date/time via a port → data-change alarm; the
    parameter is then put back as found and the restore recorded (a parameter left changed
    FAILs the step: later steps would run on a mis-configured meter)."""
    name = str(ctx.param("parameter", "ct_ratio"))
    value = ctx.param("value")
    if value is None:
        raise StepAborted(f"step {ctx.step.id} gives no value to set {name} to")
    restore: dict = {"parameter": name, "set_to": value}
    ctx.evidence["restore"] = restore

    def stimulate() -> None:
        found = _parameter(ctx, name, "as found")
        restore["as_found"] = found
        ctx.stimulus("change_parameter", name, value,
                     instruction=f"change parameter {name} to {value} via a port")  # fmt: skip
        ctx.stimulus("change_parameter", name, found,
                     instruction=f"put parameter {name} back to {found} (as found)")  # fmt: skip
        restore["restored_to"] = _parameter(ctx, name, "after the restore")

    def restored() -> tuple[list[str], bool]:
        found, now = restore.get("as_found"), restore.get("restored_to")
        if found is None or str(now) != str(found):
            return [f"{name} NOT restored: as found {found}, now {now} — the meter is left "
                    "mis-configured"], False  # fmt: skip
        return [f"{name} set to {value}, then restored to {found} as found (recorded)"], True

    return check_alarm(ctx, {EventCode.DATA_CHANGE}, stimulate, restored)


def _parameter(ctx: ActionContext, name: str, when: str) -> str:
    """A parameter's value: from bench control's state on a simulator, else as the tester reads
    it with the manufacturer's tool (:class:`StepAborted` when nobody can say)."""
    if ctx.control is not None:
        params = (ctx.control.state() or {}).get("parameters") or {}
        if name not in params:
            raise StepAborted(f"the simulated meter has no parameter {name!r}")
        return str(params[name])
    if ctx.prompt is None:
        raise StepAborted(f"needs the tester to read {name} {when} (no bench control, no prompt)")
    answer = (ctx.prompt(f"{ctx.step.id}: read {name} {when} with the manufacturer's tool and "
                         "type it: ") or "").strip()  # fmt: skip
    if not answer:
        raise StepAborted(f"the tester gave no value of {name} {when}")
    return answer


@action("reverse_running")
def reverse_running(ctx: ActionContext) -> ActionResult:
    """DR4-5: run energy backwards, then stop → reverse-running alarm."""

    def stimulate() -> None:
        ctx.stimulus("reverse", True, instruction="run energy backwards through the outstation")
        ctx.sleep(float(ctx.param("hold_s", 1.0)))
        ctx.stimulus("reverse", False, instruction="stop the reverse running")

    return check_alarm(ctx, {EventCode.REVERSE_RUNNING}, stimulate)


__all__ = ["check_alarm", "event_names"]
