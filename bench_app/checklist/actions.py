"""Automatic and stimulus actions of the BSCP601 protocol test script (DR1 – DR4).

Each action is registered by name in :data:`ACTIONS` (names used in the templates' ``action``
field) and returns :class:`ActionResult` ``(actual, proposed_verdict, evidence)``. Figures (days,
offsets in minutes, tolerances in seconds or kWh) come from the step's ``params``.

Names: ``collect_and_reconcile`` (DR1-1), ``recollect_unchanged`` (DR1-2),
``wrong_password_refused`` (DR2-1), ``right_password_collects`` (DR2-2),
``clock_correction_refused`` (DR3-1), ``clock_correction_flagged`` (DR3-2, DR3-3) and the alarm
stimuli in :mod:`bench_app.checklist.alarms`; CoP compliance checks live in
:mod:`bench_app.checklist.cop_actions`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bench_app.checklist.alarms import close_period
from bench_app.checklist.context import (
    ACTIONS,
    ActionContext,
    ActionResult,
    StepAborted,
    action,
    compare_readings,
    differences,
    event_identities,
    new_events,
    sp_start,
)
from bench_app.checklist.simtime import secs, sp_name
from bench_app.reconcile import reconcile
from bench_app.settlement import parse_utc
from drivers.errors import AuthenticationError
from drivers.model import EventCode, StatusFlag, iso

__all__ = ["ACTIONS", "ActionContext", "ActionResult", "StepAborted", "action"]


def _window(ctx: ActionContext, meter) -> tuple[datetime, datetime]:
    """The last ``days`` whole settlement periods before the meter's current time."""
    clock = meter.read_clock()
    ctx.observe_clock(clock, "clock before collection")
    end = sp_start(clock.meter_time)
    return end - timedelta(days=float(ctx.param("days", 1))), end


def _cmp_text(cmp: dict) -> str:
    parts = []
    for key, words in (
        ("missing_in_b", "missing"),
        ("missing_in_a", "extra"),
        ("value_diffs", "with different values"),
        ("flag_diffs", "with different flags"),
    ):
        if cmp[key]:
            parts.append(f"{cmp[key]} {words}")
    return "; ".join(parts) + (
        " (e.g. " + "; ".join(cmp["examples"]) + ")" if cmp["examples"] else ""
    )


def _reconcile_text(res) -> str:
    parts = [
        f"{n} {words}"
        for n, words in (
            (res.value_diffs, "with different values"),
            (res.flag_diffs, "with different flags"),
            (res.missing_in_a, f"missing in {res.source_a}"),
            (res.missing_in_b, "missing in the bench collection"),
        )
        if n
    ]
    ex = [
        f"SP {d.sp} of {d.settlement_day} {d.channel} {d.kind} {d.a} vs {d.b}"
        for d in res.discrepancies[:3]
    ]
    return "; ".join(parts or ["nothing compared"]) + (f" (e.g. {'; '.join(ex)})" if ex else "")


SOURCE_TEXT = {"hhdc": "HHDC", "manufacturer": "manufacturer-software"}


def _setup_problem(ctx: ActionContext, src: str, col: dict) -> str:
    """The BSCP601 set-up condition for one export: at least ``setup_days`` days of half-hourly
    data that is not uniform (one channel with at least two different values)."""
    need = float(ctx.param("setup_days", 20))
    span = ctx.store.interval_span(col["id"])
    if span is None:
        return f"the {SOURCE_TEXT[src]} export (collection {col['id']}) holds no data"
    days = ((span[1] - span[0]).total_seconds() + span[2]) / 86400
    if days + 1 / 24 < need:  # an hour of slack: a spring clock-change day is 23 h long
        return (
            f"set-up condition not met: the {SOURCE_TEXT[src]} export (collection {col['id']}) "
            f"covers {days:.1f} days, the script needs at least {need:g} days"
        )
    values: dict[str, set] = {}
    for r in ctx.store.readings(col["id"]):
        values.setdefault(r.channel, set()).add(round(float(r.value), 6))
    if not any(len(v) > 1 for v in values.values()):
        return (
            f"set-up condition not met: the {SOURCE_TEXT[src]} export (collection {col['id']}) "
            "holds uniform data; load the outstation with non-uniform data"
        )
    return ""


@action("collect_and_reconcile")
def collect_and_reconcile(ctx: ActionContext) -> ActionResult:
    """DR1-1: needs the HHDC **and** the manufacturer-software exports of the session (each ≥
    ``setup_days`` of non-uniform data, else not run with advice); compares them directly over
    their whole span (identical values and flags per settlement period and channel,
    ``tolerance_kwh``), then collects the newest ``bench_days`` of that span (0 = all of it) with
    the bench and compares each export with it."""
    sources = list(ctx.param("compare_sources", ["hhdc", "manufacturer"]))
    tol = float(ctx.param("tolerance_kwh", 0.0))
    refs = {}
    for col in ctx.store.collections(ctx.session_id):
        if col["source"] in sources and col.get("rows"):
            refs[col["source"]] = col  # the latest of each source wins
    missing = [s for s in sources if s not in refs]
    if missing:
        advice = "; ".join(
            f"import the {SOURCE_TEXT.get(s, s)} export (bench-app import --source {s} …)"
            for s in missing
        )
        return ActionResult(f"not run: {advice}, then re-run DR1-1", "not-run", ctx.evidence)
    for src in sources:
        ctx.link("collection_ids", refs[src]["id"])
        problem = _setup_problem(ctx, src, refs[src])
        if problem:
            return ActionResult(f"not run: {problem}", "not-run", ctx.evidence)
    spans = [ctx.store.interval_span(refs[s]["id"]) for s in sources]
    start = min(sp[0] for sp in spans)
    end = max(sp[1] for sp in spans) + timedelta(seconds=spans[0][2])
    lines, verdict = [], "pass"
    bench_days = float(ctx.param("bench_days", 0))
    bench_start = max(start, end - timedelta(days=bench_days)) if bench_days > 0 else start
    a, b = sources[0], sources[1] if len(sources) > 1 else sources[0]
    if a != b:
        res = reconcile(ctx.store, refs[a]["id"], refs[b]["id"], tol, start=start, end=end)
        ctx.evidence.setdefault("reconcile", {})[f"{a}-{b}"] = res.summary()
        if not res.ok:
            verdict = "fail"
            lines.append(f"{SOURCE_TEXT[a]} vs {SOURCE_TEXT[b]} disagree: {_reconcile_text(res)}")
        else:
            lines.append(
                f"{SOURCE_TEXT[a]} (collection {refs[a]['id']}) and {SOURCE_TEXT[b]} "
                f"(collection {refs[b]['id']}): {res.matched} period values and flags identical"
            )
    with ctx.meter("collect") as meter:
        clock = meter.read_clock()
        ctx.observe_clock(clock, "clock before collection")
        cid, profile = ctx.collect_profile(meter, bench_start, end, "DR1-1 collection")
    if not profile.rows:
        return ActionResult(
            f"bench collected no data for {iso(bench_start)} – {iso(end)}", "fail", ctx.evidence
        )
    lines.insert(
        0,
        f"bench collected {len(profile.rows)} periods × {len(profile.channels)} channels "
        f"({iso(bench_start)} – {iso(end)}, collection {cid})",
    )
    for src in sources:
        res = reconcile(ctx.store, refs[src]["id"], cid, tol, start=bench_start, end=end)
        ctx.evidence.setdefault("reconcile", {})[src] = res.summary()
        if not res.ok:
            verdict = "fail"
            lines.append(f"{SOURCE_TEXT[src]} vs bench disagree: {_reconcile_text(res)}")
        else:
            lines.append(f"{SOURCE_TEXT[src]} vs bench: {res.matched} period values identical")
    return ActionResult("; ".join(lines), verdict, ctx.evidence)


@action("recollect_unchanged")
def recollect_unchanged(ctx: ActionContext) -> ActionResult:
    """DR1-2: collect the previous step's period again; a difference means reading changed data."""
    prev_step = ctx.param("previous_step", "DR1-1")
    tol = float(ctx.param("tolerance_kwh", 0.0))
    previous = None
    for col in ctx.store.collections(ctx.session_id):
        meta = col.get("meta") or {}
        if col["source"] == "bench" and meta.get("step") == prev_step and meta.get("start"):
            previous = col
    with ctx.meter("re-collect") as meter:
        if previous is None:  # no DR1-1 yet: collect twice here
            start, end = _window(ctx, meter)
            first, _ = ctx.collect_profile(meter, start, end, "first collection")
        else:
            first = previous["id"]
            start = parse_utc(previous["meta"]["start"])
            end = parse_utc(previous["meta"]["end"])
            ctx.link("collection_ids", first)
        second, profile = ctx.collect_profile(meter, start, end, "repeated collection")
    cmp = compare_readings(ctx.store.readings(first), ctx.store.readings(second), tol)
    ctx.evidence["comparison"] = cmp
    what = f"collections {first} and {second} ({iso(start)} – {iso(end)})"
    if not profile.rows:
        return ActionResult(f"repeated collection returned no data; {what}", "fail", ctx.evidence)
    if differences(cmp):
        return ActionResult(
            f"data changed between readings: {_cmp_text(cmp)}; {what}", "fail", ctx.evidence
        )
    return ActionResult(
        f"{cmp['compared']} values and flags identical in {what}; reading changed nothing",
        "pass",
        ctx.evidence,
    )


def _wrong_password(ctx: ActionContext) -> str:
    wrong = str(ctx.param("wrong_password", "WRONG-L2"))
    # never derived from the real password: the wrong one is quoted in stored step results
    return wrong if wrong != ctx.password else ("WRONG-L2" if wrong != "WRONG-L2" else "WRONG-L2B")


@action("wrong_password_refused")
def wrong_password_refused(ctx: ActionContext) -> ActionResult:
    """DR2-1: a wrong Level 2 password must raise AuthenticationError and return no data."""
    wrong = _wrong_password(ctx)
    with ctx.meter("clock before") as meter:
        before = meter.read_clock()
        ctx.observe_clock(before, "clock before wrong-password attempt")
    start = sp_start(before.meter_time) - timedelta(days=float(ctx.param("days", 1)))
    refused, rows = "", 0
    try:
        with ctx.meter("wrong password", password=wrong) as meter:
            rows = len(meter.read_profile(start, sp_start(before.meter_time)).rows)
    except AuthenticationError as exc:
        refused = str(exc)
    window = timedelta(seconds=float(ctx.param("event_window_s", 120)))
    with ctx.meter("events after") as meter:
        events = meter.read_events(before.meter_time - window, None)
    _, stored = ctx.store_events(events, "events after wrong password")
    logged = [
        r
        for r in stored
        if int(r["code"]) == EventCode.WRONG_PASSWORD and r["time"] >= before.meter_time - window
    ]
    ctx.link("event_ids", [r["id"] for r in logged])
    log_text = (
        f"attempt logged at {iso(logged[0]['time'])}"
        if logged
        else "no wrong-password event in the log"
    )
    if not refused:
        return ActionResult(
            f"wrong password {wrong!r} was ACCEPTED: {rows} periods returned; {log_text}",
            "fail",
            ctx.evidence,
        )
    if not logged and ctx.param("require_event", False):
        return ActionResult(f"access refused ({refused}) but {log_text}", "fail", ctx.evidence)
    return ActionResult(f"access refused ({refused}); no data; {log_text}", "pass", ctx.evidence)


def _level_text(ctx: ActionContext) -> str:
    assoc = ctx.evidence.get("association")
    if not assoc:
        return ""
    return f" (association level {assoc['level']}, client SAP {assoc['client_sap']})"


@action("right_password_collects")
def right_password_collects(ctx: ActionContext) -> ActionResult:
    """DR2-2: the right Level 2 password gives access and data (a refusal is a FAIL)."""
    try:
        with ctx.meter("right password") as meter:
            start, end = _window(ctx, meter)
            cid, profile = ctx.collect_profile(meter, start, end, "DR2-2 collection")
    except AuthenticationError as exc:
        return ActionResult(
            f"the meter REFUSED the Level 2 password given for the session{_level_text(ctx)}: "
            f"{exc}",
            "fail",
            ctx.evidence,
        )
    if not profile.rows:
        return ActionResult("access granted but no data returned", "fail", ctx.evidence)
    return ActionResult(
        f"access granted{_level_text(ctx)}; {len(profile.rows)} periods × "
        f"{len(profile.channels)} channels collected (collection {cid})",
        "pass",
        ctx.evidence,
    )


def _offset_clock(ctx: ActionContext, minutes: float) -> None:
    """Put the meter clock ``minutes`` off UTC: bench control, or the right password on a real
    meter (that setting itself is logged by the meter; the checks count events after it)."""
    if ctx.control is not None:
        ctx.control.set_clock_offset(minutes)
        return
    with ctx.meter(f"clock set to UTC{minutes:+g} min") as meter:
        meter.set_clock(ctx.now() + timedelta(minutes=minutes))


def _restore_clock(ctx: ActionContext) -> None:
    if ctx.control is not None:
        ctx.control.set_clock_offset(0)
    else:
        with ctx.meter("clock restored") as meter:
            meter.set_clock(ctx.now())


def _read_offset(ctx: ActionContext, minutes: float, tol: float, meter=None):
    """Read the clock (in ``meter``'s connection, else a new one) and check it is off by
    ``minutes`` (:class:`StepAborted` when the offset could not be set)."""
    if meter is not None:
        clock = meter.read_clock()
    else:
        with ctx.meter("clock after offset") as fresh:
            clock = fresh.read_clock()
    ctx.observe_clock(clock, f"clock after offset to UTC{minutes:+g} min")
    if abs(clock.deviation_s - minutes * 60) > tol:
        raise StepAborted(
            f"could not put the clock at UTC{minutes:+g} min "
            f"(deviation {secs(clock.deviation_s)} s)"
        )
    return clock


@action("clock_correction_refused")
def clock_correction_refused(ctx: ActionContext) -> ActionResult:
    """DR3-1: with the clock off by ``offset_min``, a correction with a wrong password is refused
    and the clock stays where it was (within ``tolerance_s``)."""
    minutes = float(ctx.param("offset_min", -10))
    tol = float(ctx.param("tolerance_s", 30))
    wrong = _wrong_password(ctx)
    _offset_clock(ctx, minutes)
    try:
        before = _read_offset(ctx, minutes, tol)
        refused = ""
        try:
            with ctx.meter("correction with wrong password", password=wrong) as meter:
                meter.set_clock(ctx.now())
        except AuthenticationError as exc:
            refused = str(exc)
        with ctx.meter("clock check") as meter:
            after = meter.read_clock()
        ctx.observe_clock(after, "clock after wrong-password correction attempt")
    finally:
        _restore_clock(ctx)
    moved = after.deviation_s - before.deviation_s
    text = f"clock deviation {secs(before.deviation_s)} s before, {secs(after.deviation_s)} s after"
    if not refused:
        return ActionResult(
            f"correction with wrong password {wrong!r} was ACCEPTED; {text}", "fail", ctx.evidence
        )
    if abs(moved) > tol:
        return ActionResult(
            f"refused ({refused}) but the clock moved: {text}", "fail", ctx.evidence
        )
    return ActionResult(
        f"correction refused ({refused}); clock unchanged: {text}", "pass", ctx.evidence
    )


@action("clock_correction_flagged")
def clock_correction_flagged(ctx: ActionContext) -> ActionResult:
    """DR3-2/DR3-3: with the clock off by ``offset_min``, correct it with the right password; the
    clock must be within ``tolerance_s`` of UTC, a new CLOCK_SET event logged (full identity), and
    — once the period has **closed** — the affected settlement period's profile status must carry
    CLOCK_CHANGE/PERIOD_ADJUSTED, in two reads (not cleared by reading)."""
    minutes = float(ctx.param("offset_min", -10))
    tol = float(ctx.param("tolerance_s", 30))
    _offset_clock(ctx, minutes)
    corrected = False
    try:
        with ctx.meter("offset check, events, correction") as meter:
            before = _read_offset(ctx, minutes, tol, meter)
            look_from = sp_start(before.meter_time) - timedelta(hours=1)
            old = event_identities(meter.read_events(look_from, None))
            after = meter.set_clock(ctx.now())
        ctx.observe_clock(after, "clock after correction with the right password")
        corrected = abs(after.deviation_s) <= tol
    finally:
        if not corrected:
            _restore_clock(ctx)
    close_period(ctx, "clock before the affected period closed", since=after)
    reads = []
    for n in (1, 2):
        with ctx.meter(f"evidence after the period closed, read {n}") as meter:
            events = meter.read_events(look_from, None)
            profile = meter.read_profile(look_from, None)
        _, stored = ctx.store_events(events, f"events after clock correction, read {n}")
        reads.append((stored, profile))
    (stored, profile), (stored2, profile2) = reads
    new = [r for r in new_events(stored, old) if int(r["code"]) == EventCode.CLOCK_SET]
    ctx.link("event_ids", [r["id"] for r in new])
    affected = sorted({sp_start(before.meter_time), sp_start(after.meter_time)})
    wanted = StatusFlag.CLOCK_CHANGE | StatusFlag.PERIOD_ADJUSTED
    problems = []
    if not corrected:
        problems.append(f"clock NOT corrected (deviation {secs(after.deviation_s)} s)")
    if not new:
        problems.append("no clock-change event logged")
    elif not {r["identity"] for r in new} <= event_identities(stored2):
        problems.append("clock-change event gone in the second read: reading cleared it")

    def status(prof, sp):
        rows = [r for r in prof.rows if sp_start(r.start) == sp]
        return None if not rows else int(rows[0].status)

    flagged, how = [], ""
    for sp in affected:
        s1, s2 = status(profile, sp), status(profile2, sp)
        if s1 is not None and s1 & wanted and s2 is not None and s2 & wanted:
            flagged.append(sp)
            how = how or f"profile status {', '.join(StatusFlag.names(s1))}"
    where = " / ".join(sp_name(s) for s in affected)
    ctx.evidence["closed_periods"] = [sp_name(s) for s in flagged]
    if not flagged:
        problems.append(f"closed period {where} NOT flagged in the profile")
    if problems:
        return ActionResult(
            f"clock at UTC{minutes:+g} min: " + "; ".join(problems), "fail", ctx.evidence
        )
    return ActionResult(
        f"clock at UTC{minutes:+g} min corrected to {secs(after.deviation_s)} s; "
        f"{len(new)} clock-change event(s) logged; closed {' / '.join(map(sp_name, flagged))} "
        f"flagged ({how}); still flagged on a second read",
        "pass",
        ctx.evidence,
    )

