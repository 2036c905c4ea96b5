"""Stimulus actions of DR4 (and CoP alarm checks): do something to the meter, then prove the alarm.

On a simulator the stimulus goes through bench control; on a real meter the tester is asked to do
it and confirm. The settlement period is then **closed** (simulated time on the simulator, a
wait on a real meter) and the event log and profile are read **twice** (two connections): the
expected :class:`~drivers.model.EventCode` must be a new event in the period(s) of the stimulus in
both reads, and the closed period's status must carry the event's :class:`StatusFlag` in both
reads (alarms are not cleared by reading). Results name the period as the GB settlement day and
SP number with local time and UTC.

Names: ``phase_failure`` (params ``phases``, ``hold_s``), ``supply_failure`` (``days``, ``hold_s``,
``tolerance_kwh``, ``reconnect_s``), ``battery_fault``, ``forced_reset`` (``hold_s``),
``data_change`` (``parameter``, ``value``), ``reverse_running`` (``hold_s``).
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
from bench_app.checklist.simtime import sp_name
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
    distinct_periods: bool = False,
) -> ActionResult:
    """Read the clock, run ``stimulate``, let the period close, then read clock + events +
    profile, and the events and profile again in a second connection, and judge.

    Each code in ``codes`` must have a new event (full identity: time, code, occurrence) in both
    reads, and the **closed** settlement period it is tagged to must carry the code's status flag
    in the profile in both reads (alarms are not cleared by reading).

    :param extra: optional further check run at the end → (texts, ok).
    :param before_read: ``f(meter)`` also run in the connection before the stimulus.
    :param after_read: ``f(meter)`` also run in the first connection after the period closed.
    :param distinct_periods: each code's event must be in its own consecutive period (DR4-1a).
    """
    resumable = before_read is None and after_read is None and extra is None
    pending = _pending(ctx) if resumable else None
    if pending:  # a tester left this step waiting for the period: check it now, no new stimulus
        lo, hi = parse_utc(pending["lo"]), parse_utc(pending["hi"])
        old = {tuple(i) for i in pending["old"]}
        ctx.evidence["resumed"] = pending
        close_period(ctx, "clock at resume")  # closed already, or wait for it now
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
        ctx.evidence.pop("pending", None)

    def read_one(meter):
        after = meter.read_clock()
        events = meter.read_events(lo - SP, None)
        profile = meter.read_profile(lo, hi)
        if after_read:
            after_read(meter)
        return after, events, profile

    after, events, profile = _first_read(ctx, "events and profile read 1", read_one)
    ctx.observe_clock(after, "clock after the period closed")
    _, first = ctx.store_events(events, "events read 1")
    with ctx.meter("events and profile read 2") as meter:
        events2 = meter.read_events(lo - SP, None)
        profile2 = meter.read_profile(lo, hi)
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
            s1, s2 = _status_of(profile, hit["time"]), _status_of(profile2, hit["time"])
            if s1 is None:
                problems.append(f"period {where} not closed in the profile read after it ended")
                continue
            if not s1 & flag:
                problems.append(f"closed period {where}: status lacks {flag.name}")
                continue
            if s2 is None or not s2 & flag:
                problems.append(f"closed period {where}: {flag.name} cleared by the first read")
                continue
            found_texts.append(
                f"'{name}' at {iso(hit['time'])}, closed {where} flagged {flag.name}"
            )
        else:
            found_texts.append(f"'{name}' at {iso(hit['time'])} ({where})")
    if distinct_periods and len(periods) == len(codes):
        ordered = sorted(periods)
        gaps = {b - a for a, b in zip(ordered, ordered[1:], strict=False)}
        if len(set(periods)) != len(periods) or gaps - {SP}:
            problems.append("the events are not each in their own consecutive settlement period")
    ctx.evidence["closed_periods"] = [sp_name(p) for p in sorted(set(periods))]
    texts, ok = extra() if extra else ([], True)
    if problems or not ok:
        return ActionResult("; ".join(problems + texts), "fail", ctx.evidence)
    summary = "; ".join(found_texts) + "; event and flag still present on a second read"
    return ActionResult("; ".join([summary, *texts]), "pass", ctx.evidence)


@action("phase_failure")
def phase_failure(ctx: ActionContext) -> ActionResult:
    """DR4-1a: remove and restore each phase in turn; a phase-failure event per phase."""
    phases = [int(p) for p in ctx.param("phases", [1, 2, 3])]
    hold = float(ctx.param("hold_s", 0.5))

    def stimulate() -> None:
        for n, p in enumerate(phases):
            if n:  # each phase in its own settlement period: close the previous one first
                close_period(ctx, f"clock before removing phase L{p}")
            ctx.stimulus("phase_failure", p, instruction=f"remove phase L{p}")
            ctx.sleep(hold)
            ctx.stimulus("phase_restore", p, instruction=f"restore phase L{p}")

    codes = {EventCode.PHASE_FAILURE_L1 + p - 1 for p in phases}
    return check_alarm(ctx, codes, stimulate, distinct_periods=True)


@action("supply_failure")
def supply_failure(ctx: ActionContext) -> ActionResult:
    """DR4-1b: cut and restore the outstation supply; supply-failure event and the data collected
    before the cut must come back identical afterwards."""
    hold = float(ctx.param("hold_s", 1.0))
    tol = float(ctx.param("tolerance_kwh", 0.0))
    window: dict = {}

    def collect_before(meter) -> None:
        end = sp_start(meter.read_clock().meter_time)
        window["span"] = (end - timedelta(days=float(ctx.param("days", 1))), end)
        start, stop = window["span"]
        window["first"], window["profile"] = ctx.collect_profile(
            meter, start, stop, "before supply cut"
        )

    def collect_after(meter) -> None:
        start, stop = window["span"]
        window["second"], _ = ctx.collect_profile(meter, start, stop, "after supply restore")

    def stimulate() -> None:
        ctx.stimulus("supply_cut", instruction="remove the outstation supply")
        ctx.sleep(hold)
        ctx.stimulus("supply_restore", instruction="restore the outstation supply")

    def intact() -> tuple[list[str], bool]:
        first, second = window["first"], window["second"]
        cmp = compare_readings(ctx.store.readings(first), ctx.store.readings(second), tol)
        ctx.evidence["comparison"] = cmp
        lost = cmp["missing_in_b"] + cmp["value_diffs"] + cmp["flag_diffs"]
        if lost or not window["profile"].rows:
            ex = "; ".join(cmp["examples"])
            return [
                f"data before the cut NOT intact: {cmp['missing_in_b']} of "
                f"{cmp['compared'] + cmp['missing_in_b']} values missing, {cmp['value_diffs']} "
                f"changed (collections {first} and {second}; e.g. {ex})"
            ], False
        return [f"{cmp['compared']} values before the cut intact after restore"], True

    return check_alarm(
        ctx,
        {EventCode.SUPPLY_FAILURE},
        stimulate,
        intact,
        before_read=collect_before,
        after_read=collect_after,
    )


@action("battery_fault")
def battery_fault(ctx: ActionContext) -> ActionResult:
    """DR4-2 / CoP alarms: battery fault → battery alarm."""

    def stimulate() -> None:
        ctx.stimulus("battery_fault", instruction="simulate a battery fault (remove the battery)")
        ctx.sleep(float(ctx.param("hold_s", 0.0)))

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
    """DR4-4: change a parameter other than date/time via a port → data-change alarm."""
    name = str(ctx.param("parameter", "ct_ratio"))
    value = ctx.param("value", 1)

    def stimulate() -> None:
        ctx.stimulus(
            "change_parameter",
            name,
            value,
            instruction=f"change parameter {name} to {value} via a port",
        )

    return check_alarm(ctx, {EventCode.DATA_CHANGE}, stimulate)


@action("reverse_running")
def reverse_running(ctx: ActionContext) -> ActionResult:
    """DR4-5: run energy backwards, then stop → reverse-running alarm."""

    def stimulate() -> None:
        ctx.stimulus("reverse", True, instruction="run energy backwards through the outstation")
        ctx.sleep(float(ctx.param("hold_s", 1.0)))
        ctx.stimulus("reverse", False, instruction="stop the reverse running")

    return check_alarm(ctx, {EventCode.REVERSE_RUNNING}, stimulate)


__all__ = ["check_alarm", "event_names"]
