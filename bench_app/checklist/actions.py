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
from decimal import Decimal

from bench_app.checklist.alarms import close_period
from bench_app.checklist.context import (
    ACTIONS,
    SP,
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
from bench_app.reconcile import DIFFER, reconcile
from bench_app.store.collection_meta import CollectionMeta
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


def _export_problem(ctx: ActionContext, src: str, col: dict) -> str:
    """An export must hold at least ``hhdc_min_days`` of half-hourly data (the script's DR1-1:
    the HHDC's system collects at least one day)."""
    need = float(ctx.limit("hhdc_min_days"))
    span = ctx.store.interval_span(col["id"])
    if span is None:
        return f"the {SOURCE_TEXT[src]} export (collection {col['id']}) holds no data"
    days = ((span[1] - span[0]).total_seconds() + span[2]) / 86400
    if days + 1 / 24 < need:  # an hour of slack: a spring clock-change day is 23 h long
        return (
            f"the {SOURCE_TEXT[src]} export (collection {col['id']}) covers {days:.2f} days; "
            f"DR1-1 needs at least {need:g} day(s) collected"
        )
    return ""


def _outstation_setup(ctx: ActionContext, meter) -> str:
    """The script's set-up, checked on the outstation (a bench read before the test): at least
    ``setup_days`` of stored data, not uniform (a channel with two different values). → the
    problem ("" when met)."""
    need = float(ctx.limit("setup_days"))
    clock = meter.read_clock()
    ctx.observe_clock(clock, "clock before the set-up check")
    now = clock.meter_time
    cid, profile = ctx.collect_profile(meter, now - timedelta(days=need + 1), None,
                                       "set-up check: data held by the outstation")  # fmt: skip
    if not profile.rows:
        return f"set-up not met: the outstation holds no data (collection {cid})"
    held = (now - profile.rows[0].start).total_seconds() / 86400
    ctx.evidence["setup"] = {"days_held": round(held, 2), "days_needed": need, "collection": cid}
    if held + profile.period_min / 1440 < need:
        return (f"set-up not met: the outstation holds {held:.1f} days of data (collection {cid}); "
                f"the script pre-loads at least {need:g} days of non-uniform data")  # fmt: skip
    uniform = all(len({round(float(r.values[i]), 6) for r in profile.rows if i < len(r.values)})
                  <= 1 for i in range(len(profile.channels)))  # fmt: skip
    if uniform:
        return (f"set-up not met: the outstation's {held:.1f} days of data are uniform "
                f"(collection {cid}); load it with non-uniform data")  # fmt: skip
    return ""


def _resolution(ctx: ActionContext, col: dict) -> Decimal:
    """The export's own resolution (kWh): what its import recorded, else the finest decimal
    place among its stored values."""
    declared = (col.get("meta") or {}).get("resolution")
    if declared:
        return Decimal(str(declared))
    finest = 0
    for r in ctx.store.readings(col["id"]):
        exp = Decimal(repr(float(r.value))).normalize().as_tuple().exponent
        if isinstance(exp, int):
            finest = min(finest, exp)
    return Decimal(1).scaleb(finest)


@action("collect_and_reconcile")
def collect_and_reconcile(ctx: ActionContext) -> ActionResult:
    """DR1-1 as the script writes it: the outstation holds ``setup_days`` of non-uniform data
    (checked by a bench read first; else not run, set-up); the HHDC and the manufacturer-software
    exports each hold at least ``hhdc_min_days``; they are compared with each other over their
    whole span and each with a bench collection of the newest ``bench_days`` of it — "identical"
    at the export's own resolution (the bench value rounded to the export's last digit), no other
    tolerance. Every import of a source counts: the newest is judged, an earlier one that
    differed stays in the result with the reason it was superseded."""
    sources = list(ctx.param("compare_sources", ["hhdc", "manufacturer"]))
    imports: dict[str, list[dict]] = {}
    for col in ctx.store.collections(ctx.session_id):
        if col["source"] in sources and col.get("rows"):
            imports.setdefault(col["source"], []).append(col)
    refs = {src: cols[-1] for src, cols in imports.items()}  # the newest import of each source
    missing = [s for s in sources if s not in refs]
    if missing:
        advice = "; ".join(
            f"import the {SOURCE_TEXT.get(s, s)} export (bench-app import --source {s} …)"
            for s in missing
        )
        return ActionResult(f"not run: {advice}, then re-run DR1-1", "not-run", ctx.evidence)
    for src in sources:
        ctx.link("collection_ids", refs[src]["id"])
        problem = _export_problem(ctx, src, refs[src])
        if problem:
            return ActionResult(f"not run: {problem}", "not-run", ctx.evidence)
    spans = [ctx.store.interval_span(refs[s]["id"]) for s in sources]
    start = min(sp[0] for sp in spans)
    end = max(sp[1] for sp in spans) + timedelta(seconds=spans[0][2])
    lines, verdict = [], "pass"
    bench_days = float(ctx.param("bench_days", 0))
    bench_start = max(start, end - timedelta(days=bench_days)) if bench_days > 0 else start
    res = {src: _resolution(ctx, refs[src]) for src in sources}
    ctx.evidence["resolution_kwh"] = {src: str(r) for src, r in res.items()}
    a, b = sources[0], sources[1] if len(sources) > 1 else sources[0]
    with ctx.meter("set-up check and collection") as meter:
        problem = _outstation_setup(ctx, meter)
        if problem:
            return ActionResult(f"not run: {problem}", "not-run", ctx.evidence)
        clock = meter.read_clock()
        ctx.observe_clock(clock, "clock before collection")
        cid, profile = ctx.collect_profile(meter, bench_start, end, "DR1-1 collection")
    if a != b:
        coarse = max(res[a], res[b])
        rec = reconcile(ctx.store, refs[a]["id"], refs[b]["id"], float(coarse) / 2, start=start,
                        end=end)  # fmt: skip
        ctx.evidence.setdefault("reconcile", {})[f"{a}-{b}"] = rec.summary()
        if not rec.ok:
            verdict = "fail"
            lines.append(f"{SOURCE_TEXT[a]} vs {SOURCE_TEXT[b]} disagree: {_reconcile_text(rec)}")
        else:
            lines.append(
                f"{SOURCE_TEXT[a]} (collection {refs[a]['id']}) and {SOURCE_TEXT[b]} "
                f"(collection {refs[b]['id']}): {rec.matched} period values and flags identical "
                f"at {coarse} kWh"
            )
    if not profile.rows:
        return ActionResult(
            f"bench collected no data for {iso(bench_start)} – {iso(end)}", "fail", ctx.evidence
        )
    lines.insert(
        0,
        f"outstation holds {ctx.evidence['setup']['days_held']:g} days (set-up); bench "
        f"collected {len(profile.rows)} periods × {len(profile.channels)} channels "
        f"({iso(bench_start)} – {iso(end)}, collection {cid})",
    )
    for src in sources:
        rec = reconcile(ctx.store, refs[src]["id"], cid, float(res[src]) / 2, start=bench_start,
                        end=end)  # fmt: skip
        ctx.evidence.setdefault("reconcile", {})[src] = rec.summary()
        if not rec.ok:
            verdict = "fail"
            lines.append(f"{SOURCE_TEXT[src]} vs bench disagree at the export's resolution "
                         f"{res[src]} kWh: {_reconcile_text(rec)}")  # fmt: skip
        else:
            lines.append(f"{SOURCE_TEXT[src]} vs bench: {rec.matched} period values identical "
                         f"at the export's resolution {res[src]} kWh")  # fmt: skip
    lines += _superseded(ctx, imports, refs, cid, bench_start, end)
    return ActionResult("; ".join(lines), verdict, ctx.evidence)


def _superseded(ctx: ActionContext, imports: dict, refs: dict, bench: int, start, end
                ) -> list[str]:  # fmt: skip
    """Earlier imports of each source, compared with the bench too: one that differed stays in
    the result, with the import that superseded it (never silently dropped)."""
    out, kept = [], []
    for src, cols in imports.items():
        for col in cols[:-1]:
            rec = reconcile(ctx.store, col["id"], bench, float(_resolution(ctx, col)) / 2,
                            start=start, end=end)  # fmt: skip
            newer = refs[src]
            what = f"earlier {SOURCE_TEXT.get(src, src)} import (collection {col['id']}"
            what += f", {col.get('source_file')})" if col.get("source_file") else ")"
            reason = f"superseded by collection {newer['id']}, imported later"
            kept.append({"collection": col["id"], "source": src, "result": rec.verdict,
                         "superseded_by": newer["id"], "reason": reason})  # fmt: skip
            if rec.verdict == DIFFER:
                out.append(f"{what} DIFFERED from the bench ({_reconcile_text(rec)}); {reason}")
    if kept:
        ctx.evidence["superseded"] = kept
    return out


@action("recollect_unchanged")
def recollect_unchanged(ctx: ActionContext) -> ActionResult:
    """DR1-2: collect the previous step's period again; a difference means reading changed data."""
    prev_step = ctx.param("previous_step", "DR1-1")
    tol = float(ctx.param("tolerance_kwh", 0.0))
    previous: tuple[int, datetime, datetime] | None = None
    for col in ctx.store.collections(ctx.session_id):
        meta = CollectionMeta.from_json(col.get("meta"))
        if (col["source"] == "bench" and meta.step == prev_step and meta.start
                and meta.end):  # the step's own collection, not its set-up read
            previous = (col["id"], meta.start, meta.end)
    with ctx.meter("re-collect") as meter:
        if previous is None:  # no DR1-1 yet: collect twice here
            start, end = _window(ctx, meter)
            first, _ = ctx.collect_profile(meter, start, end, "first collection")
        else:
            first, start, end = previous
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


def _offset_minutes(ctx: ActionContext) -> float:
    """The script's clock offset (minutes, from the limits table) with the step's direction:
    ``slow`` = UTC − offset, ``fast`` = UTC + offset."""
    minutes = abs(float(ctx.limit("offset_min")))
    direction = str(ctx.param("direction", ""))
    if direction not in ("slow", "fast"):
        raise StepAborted(f"step {ctx.step.id}: direction must be slow or fast, not {direction!r}")
    return -minutes if direction == "slow" else minutes


def _wait_for_reentry(ctx: ActionContext, minutes: float) -> None:
    """Let time pass (simulated, or a real wait with progress) until the reference is half the
    offset before a settlement-period boundary: the clock then put ``minutes`` fast has closed
    the period, and its correction re-enters it (what DR3-3 is about)."""
    if ctx.bench_time is None:
        return
    now = ctx.now()
    into = (now - sp_start(now)).total_seconds()
    target = SP.total_seconds() - minutes * 60 / 2
    wait = (target - into) % SP.total_seconds()
    if wait > 1:
        ctx.bench_time.advance(wait)


def _reentry_check(ctx: ActionContext, held: list, before, after, profile, profile2):
    """DR3-3: the period the fast clock had closed and the correction re-entered must be held
    once (no duplicate) and must not count its energy again: after it closes again, each value is
    at most the value held before × (period + re-entered time) / period. → (text, failed)."""
    if not held:
        return ("the correction re-entered no closed period (none was held before it)", False)
    start = sp_start(held[0].start)
    span = SP.total_seconds()
    back = (start + SP - after.meter_time).total_seconds()  # re-entered seconds
    if back <= 0:
        return (f"the correction did not re-enter {sp_name(start)}", False)
    ctx.evidence["reentered_period"] = {"period": sp_name(start), "reentered_s": round(back, 1)}
    for n, prof in ((1, profile), (2, profile2)):
        rows = [r for r in prof.rows if r.start == held[0].start]
        if len(rows) != 1:
            return (f"re-entered period {sp_name(start)} held {len(rows)} times in read {n} "
                    "(duplicate)" if rows else f"re-entered period {sp_name(start)} missing "
                    f"in read {n}", True)  # fmt: skip
        for i, (old, new) in enumerate(zip(held[0].values, rows[0].values, strict=False)):
            bound = float(old) * (span + back) / span
            if float(new) > bound + 1e-9:
                return (f"re-entered period {sp_name(start)} DOUBLE COUNTED: channel {i + 1} "
                        f"held {float(old):g} before the correction, {float(new):g} after "
                        f"(at most {bound:g} for {back:.0f} s re-entered)", True)  # fmt: skip
    return (f"re-entered period {sp_name(start)} held once, not double counted "
            f"({back:.0f} s re-entered)", False)  # fmt: skip


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
    minutes = _offset_minutes(ctx)
    tol = float(ctx.limit("tolerance_s"))
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
    minutes = _offset_minutes(ctx)
    tol = float(ctx.limit("tolerance_s"))
    if minutes > 0:  # DR3-3: the correction must take the meter back into a closed period
        _wait_for_reentry(ctx, minutes)
    _offset_clock(ctx, minutes)
    corrected = False
    reentered: list = []
    try:
        with ctx.meter("offset check, events, correction") as meter:
            before = _read_offset(ctx, minutes, tol, meter)
            look_from = sp_start(before.meter_time) - timedelta(hours=1)
            old = event_identities(meter.read_events(look_from, None))
            if minutes > 0:  # the period the fast clock closed: what the meter held for it
                last = sp_start(before.meter_time) - SP
                reentered = [r for r in meter.read_profile(last, last + SP).rows
                             if sp_start(r.start) == last]  # fmt: skip
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
    reentry = ""
    if minutes > 0:
        reentry, bad = _reentry_check(ctx, reentered, before, after, profile, profile2)
        if bad:
            problems.append(reentry)
    if problems:
        return ActionResult(
            f"clock at UTC{minutes:+g} min: " + "; ".join(problems), "fail", ctx.evidence
        )
    return ActionResult(
        f"clock at UTC{minutes:+g} min corrected to {secs(after.deviation_s)} s; "
        f"{len(new)} clock-change event(s) logged; closed {' / '.join(map(sp_name, flagged))} "
        f"flagged ({how}); still flagged on a second read" + (f"; {reentry}" if reentry else "")
        + f"; reference: {ctx.reference_text()}",
        "pass",
        ctx.evidence,
    )

