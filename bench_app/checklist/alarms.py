"""Stimulus actions of DR4 (and CoP alarm checks): do something to the meter, then prove the alarm.

On a simulator the stimulus goes through bench control; on a real meter the tester is asked to do
it and confirm. Then the event log is read **twice** (two connections): the expected
:class:`~drivers.model.EventCode` must be present with a time inside the settlement period(s) in
which the stimulus happened, in both reads (alarms are not cleared by reading). When the period is
already closed and in the profile, its status must carry the event's :class:`StatusFlag` too.

Names: ``phase_failure`` (params ``phases``, ``hold_s``), ``supply_failure`` (``days``, ``hold_s``,
``tolerance_kwh``, ``reconnect_s``), ``battery_fault``, ``forced_reset`` (``hold_s``),
``data_change`` (``parameter``, ``value``), ``reverse_running`` (``hold_s``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from bench_app.checklist.context import (
    SP,
    ActionContext,
    ActionResult,
    action,
    compare_readings,
    event_names,
    find_events,
    sp_label,
    sp_start,
)
from drivers.errors import DriverTimeout, TransportError
from drivers.model import EventCode, iso


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


def check_alarm(
    ctx: ActionContext,
    codes: set[int],
    stimulate: Callable[[], None],
    extra: Callable[[], tuple[list[str], bool]] | None = None,
    *,
    before_read: Callable | None = None,
    after_read: Callable | None = None,
) -> ActionResult:
    """Read the clock, run ``stimulate``, then read clock + events + profile, and the events again
    in a second connection, and judge (three connections in all).

    :param codes: the event codes that must each be present (e.g. one per phase).
    :param extra: optional further check run at the end → (texts, ok).
    :param before_read: ``f(meter)`` also run in the connection before the stimulus.
    :param after_read: ``f(meter)`` also run in the first connection after the stimulus.
    """
    with ctx.meter("before stimulus") as meter:
        before = meter.read_clock()
        if before_read:
            before_read(meter)
    ctx.observe_clock(before, "clock before stimulus")
    stimulate()

    def read_one(meter):
        after = meter.read_clock()
        lo, hi = sp_start(before.meter_time), sp_start(after.meter_time) + SP
        events = meter.read_events(lo - SP, None)
        profile = meter.read_profile(lo, hi)
        if after_read:
            after_read(meter)
        return after, events, profile

    after, events, profile = _first_read(ctx, "events read 1", read_one)
    ctx.observe_clock(after, "clock after stimulus")
    lo, hi = sp_start(before.meter_time), sp_start(after.meter_time) + SP
    slack = timedelta(seconds=float(ctx.param("slack_s", 5)))
    _, first = ctx.store_events(events, "events read 1")
    with ctx.meter("events read 2") as meter:
        events = meter.read_events(lo - SP, None)
    _, second = ctx.store_events(events, "events read 2")
    problems, found_texts = [], []
    for code in sorted(codes):
        hits = [
            r for r in find_events(first, {code}, lo, hi) if r["time"] >= before.meter_time - slack
        ]
        name = EventCode(code).text
        if not hits:
            near = ", ".join(f"{r['text']} {iso(r['time'])}" for r in first[-5:]) or "none"
            problems.append(
                f"no '{name}' event in {sp_label(before.meter_time)} (events read: {near})"
            )
            continue
        hit = hits[-1]
        ctx.link("event_ids", hit["id"])
        again = [r for r in second if int(r["code"]) == code and r["time"] == hit["time"]]
        if not again:
            problems.append(
                f"'{name}' at {iso(hit['time'])} present in the first read but gone in the second: "
                "reading cleared the alarm"
            )
            continue
        ctx.link("event_ids", again[0]["id"])
        found_texts.append(f"'{name}' at {iso(hit['time'])} ({sp_label(hit['time'])})")
        flag = EventCode(code).flag
        row = next(
            (
                r
                for r in (profile.rows if profile else [])
                if sp_start(r.start) == sp_start(hit["time"])
            ),
            None,
        )
        if row is not None and flag and not row.status & flag:
            problems.append(
                f"period {sp_label(hit['time'])} closed but its status lacks {flag.name}"
            )
    texts, ok = extra() if extra else ([], True)
    if problems or not ok:
        return ActionResult("; ".join(problems + texts), "fail", ctx.evidence)
    summary = "; ".join(found_texts) + "; still present on a second read"
    return ActionResult("; ".join([summary, *texts]), "pass", ctx.evidence)


@action("phase_failure")
def phase_failure(ctx: ActionContext) -> ActionResult:
    """DR4-1a: remove and restore each phase in turn; a phase-failure event per phase."""
    phases = [int(p) for p in ctx.param("phases", [1, 2, 3])]
    hold = float(ctx.param("hold_s", 0.5))

    def stimulate() -> None:
        for p in phases:
            ctx.stimulus("phase_failure", p, instruction=f"remove phase L{p}")
            ctx.sleep(hold)
            ctx.stimulus("phase_restore", p, instruction=f"restore phase L{p}")

    codes = {EventCode.PHASE_FAILURE_L1 + p - 1 for p in phases}
    return check_alarm(ctx, codes, stimulate)


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
        start, end = window["span"]
        window["first"], window["profile"] = ctx.collect_profile(
            meter, start, end, "before supply cut"
        )

    def collect_after(meter) -> None:
        start, end = window["span"]
        window["second"], _ = ctx.collect_profile(meter, start, end, "after supply restore")

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
