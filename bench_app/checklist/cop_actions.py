"""Automatic Code of Practice compliance checks (template ``cop-compliance-core``).

Names: ``unique_identity``, ``storage_depth`` (params ``min_days``),
``integration_period`` (``options_min``), ``hh_sum_vs_register`` (``tolerance_pct``, ``periods``,
``max_wait_s``, ``settle_s``, ``channel_map`` profile OBIS → register OBIS where they differ),
``clock_in_utc`` (``max_deviation_s``) and ``password_set_and_use`` (``min_length``,
``max_length``). Figures come from the limits table through the template's ``"@name"`` params
(:meth:`ActionContext.limit`), never from here.
"""

from __future__ import annotations

import math
from datetime import timedelta

from bench_app.checklist.context import ActionContext, ActionResult, StepAborted, action
from bench_app.checklist.simtime import secs
from drivers.errors import AuthenticationError
from drivers.model import iso, normalise


@action("unique_identity")
def unique_identity(ctx: ActionContext) -> ActionResult:
    """The outstation reports a non-empty identifier matching the session's equipment serials."""
    with ctx.meter("identity") as meter:  # read by the acquisition: a simulator is marked
        ident = ctx.acquisition(meter).read_identity()
    ctx.evidence["identity"] = ident.to_json()
    names = [n for n in (ident.serial, ident.logical_device_name) if n]
    if not ident.serial.strip():
        return ActionResult("outstation reported an empty serial number", "fail", ctx.evidence)
    equipment = ctx.store.equipment(ctx.session_id) or {}
    serials = [str(s) for s in equipment.get("serials") or []]
    text = f"outstation identifies as {' / '.join(names)}"
    if serials and ident.serial not in serials:
        return ActionResult(
            f"{text}, which is not among the session's equipment serials {serials}",
            "fail",
            ctx.evidence,
        )
    if serials:
        return ActionResult(f"{text}; matches the equipment record", "pass", ctx.evidence)
    return ActionResult(f"{text}; no equipment serials recorded to compare", "pass", ctx.evidence)


@action("storage_depth")
def storage_depth(ctx: ActionContext) -> ActionResult:
    """At least ``min_days`` days of every channel, with at most ``max_gap_periods`` gaps."""
    days = float(ctx.limit("min_days"))
    max_gaps = 0  # every period of every channel stored: the rule allows no gap
    with ctx.meter("storage depth") as meter:
        clock = meter.read_clock()
        ctx.observe_clock(clock, "clock before storage-depth read")
        since = clock.meter_time - timedelta(days=days + 1)
        cid, profile = ctx.collect_profile(meter, since, None, f"{days:g}-day storage read")
    if not profile.rows:
        return ActionResult("no stored data returned", "fail", ctx.evidence)
    step = timedelta(minutes=profile.period_min)
    oldest = profile.rows[0].start
    age_days = (clock.meter_time - oldest).total_seconds() / 86400
    gaps = sum(1 for a, b in zip(profile.rows, profile.rows[1:]) if b.start - a.start > step)
    empty = [
        ch.obis
        for i, ch in enumerate(profile.channels)
        if any(
            i >= len(r.values)
            or r.values[i] is None
            or (isinstance(r.values[i], float) and math.isnan(r.values[i]))
            for r in profile.rows
        )
    ]
    text = (
        f"oldest period {iso(oldest)} ({age_days:.2f} days), {len(profile.rows)} periods × "
        f"{len(profile.channels)} channels, {gaps} gap(s) (collection {cid})"
    )
    problems = []
    if age_days < days - step.total_seconds() / 86400:
        problems.append(f"less than {days:g} days stored")
    if gaps > max_gaps:
        problems.append(f"{gaps} gap(s) in the stored periods")
    if empty:
        problems.append(f"channels with missing values: {', '.join(empty)}")
    if problems:
        return ActionResult(f"{text}: " + "; ".join(problems), "fail", ctx.evidence)
    return ActionResult(text, "pass", ctx.evidence)


@action("integration_period")
def integration_period(ctx: ActionContext) -> ActionResult:
    """The profile's integration period is one of the CoP options (minutes)."""
    options = [int(o) for o in ctx.limit("options_min")]
    with ctx.meter("integration period") as meter:
        clock = meter.read_clock()
        profile = meter.read_profile(clock.meter_time - timedelta(hours=2), None)
    text = f"integration period {profile.period_min} min (options {options})"
    if profile.period_min not in options:
        return ActionResult(f"{text}: not an allowed option", "fail", ctx.evidence)
    return ActionResult(
        f"{text}; other options to be confirmed by the tester", "pass", ctx.evidence
    )


def _registers(meter) -> dict[str, float]:
    out = {}
    for reg in meter.read_registers():
        if isinstance(reg.value, int | float) and not isinstance(reg.value, bool):
            out[reg.obis] = normalise(float(reg.value), reg.unit)[0]
    return out


@action("hh_sum_vs_register")
def hh_sum_vs_register(ctx: ActionContext) -> ActionResult:
    """Register advance over ``periods`` whole integration periods against the HH sum, per channel,
    within ``tolerance_pct`` %. Both register reads are taken ``settle_s`` after a period boundary,
    so they cover the same whole periods; waits at most ``max_wait_s`` (else not-run)."""
    tol = float(ctx.limit("tolerance_pct"))
    periods = int(ctx.param("periods", 2))
    settle = float(ctx.param("settle_s", 5))
    max_wait = float(ctx.param("max_wait_s", 7200))
    cmap = dict(ctx.param("channel_map", {}))
    with ctx.meter("period length") as meter:
        clock = meter.read_clock()
        period_min = meter.read_profile(clock.meter_time - timedelta(hours=2), None).period_min
    step = timedelta(minutes=period_min)
    boundary = (
        clock.meter_time
        - (clock.meter_time - clock.meter_time.replace(minute=0, second=0, microsecond=0)) % step
        + step
    )
    total_wait = (
        (boundary - clock.meter_time).total_seconds() + settle + periods * step.total_seconds()
    )
    if total_wait > max_wait:
        return ActionResult(
            f"needs {total_wait / 60:.0f} min of running at full load, more than max_wait_s "
            f"({max_wait:g} s)",
            "not-run",
            ctx.evidence,
        )
    ctx.sleep((boundary - clock.meter_time).total_seconds() + settle)
    with ctx.meter("registers at start") as meter:
        r1 = _registers(meter)
    ctx.sleep(periods * step.total_seconds())
    with ctx.meter("registers at end") as meter:
        r2 = _registers(meter)
        end = boundary + periods * step
        cid, profile = ctx.collect_profile(meter, boundary, end, "HH sum window")
    lines, ok, checked = [], True, 0
    for i, ch in enumerate(profile.channels):
        reg = cmap.get(ch.obis, ch.obis)  # profile OBIS → register OBIS (same when unmapped)
        if reg not in r1 or reg not in r2:
            continue
        hh = sum(normalise(float(r.values[i]), ch.unit)[0] for r in profile.rows)
        adv = r2[reg] - r1[reg]
        if adv == 0 and hh == 0:
            continue
        checked += 1
        err = (hh - adv) / adv * 100 if adv else math.inf
        good = abs(err) <= tol
        ok &= good
        lines.append(f"{ch.obis}: HH sum {hh:.3f} vs advance {adv:.3f} ({err:+.3f} %)")
    if not checked:
        return ActionResult("no channel with a matching register advanced", "not-run", ctx.evidence)
    verdict = "pass" if ok and len(profile.rows) == periods else "fail"
    head = f"{len(profile.rows)} of {periods} periods from {iso(boundary)} (collection {cid}); "
    return ActionResult(head + "; ".join(lines) + f"; tolerance ±{tol:g} %", verdict, ctx.evidence)


@action("clock_in_utc")
def clock_in_utc(ctx: ActionContext) -> ActionResult:
    """The meter clock agrees with the PC's UTC within ``max_deviation_s`` (not local time)."""
    limit = float(ctx.limit("max_deviation_s"))
    with ctx.meter("clock") as meter:
        clock = meter.read_clock()
    ctx.observe_clock(clock, "clock against UTC")
    text = (
        f"meter {iso(clock.meter_time)} vs reference UTC {iso(clock.pc_time)}: "
        f"{secs(clock.deviation_s)} s (reference: {ctx.reference_text()})"
    )
    if abs(clock.deviation_s) <= limit:
        return ActionResult(f"{text} (limit ±{limit:g} s)", "pass", ctx.evidence)
    hours = clock.deviation_s / 3600
    if abs(hours - round(hours)) * 3600 <= limit and round(hours):
        text += f" — a whole {round(hours):+d} h: the clock looks set to local time"
    return ActionResult(f"{text}, outside ±{limit:g} s", "fail", ctx.evidence)


def _signs_on(ctx: ActionContext, label: str, password: str) -> tuple[bool, str]:
    """Try a connection with ``password`` (reading the clock); (accepted, refusal text)."""
    try:
        with ctx.meter(label, password=password) as meter:
            meter.read_clock()
    except AuthenticationError as exc:
        return False, str(exc)
    return True, ""


def _test_password(length: int, salt: int) -> str:
    """A mixed-case test password of ``length`` characters (letters and digits, never derived from
    the real one): upper and lower case, so a meter must not reject it for its case."""
    base = "Wb7kQ2xR9mT4pZ8n"
    return (base[salt:] + base[:salt])[:length]


def _set_level2(ctx: ActionContext, password: str, what: str) -> str:
    """Set the Level 2 password: bench control on a simulator (what the manufacturer's tool does on
    a real meter), else the tester with the manufacturer's tool. → refusal text ("" = set)."""
    try:
        ctx.stimulus("set_password", 2, password,
                     instruction=f"set the Level 2 password to the {what} with the "
                     f"manufacturer's tool: {password}")  # fmt: skip
    except ValueError as exc:  # the meter (simulator) refused to store it
        return str(exc)
    return ""


@action("password_set_and_use")
def password_set_and_use(ctx: ActionContext) -> ActionResult:
    """CoP password rule, set and used end to end: set a ``min_length`` and a ``max_length``
    character Level 2 password (mixed case), associate with each, then restore the original and
    associate with it. A meter that refuses to set either, or refuses the association afterwards
    (e.g. it stored the password cut short), FAILs; a meter left without its original password
    FAILs too. Passwords are never quoted in the result, only their lengths."""
    lo, hi = int(ctx.limit("min_length")), int(ctx.limit("max_length"))
    original = ctx.password or ""
    if not original:
        raise StepAborted("no Level 2 password given for the session (--password)")
    problems, notes = [], []
    for n, length in enumerate((lo, hi)):
        pw = _test_password(length, n)
        what = f"{length}-character test password"
        refused = _set_level2(ctx, pw, what)
        if refused:
            problems.append(f"the meter REFUSED to set a {what}: {refused}")
            continue
        ok, refusal = _signs_on(ctx, what, pw)
        if ok:
            notes.append(f"{what} set and accepted for the association")
        else:
            problems.append(f"{what} set, then REFUSED for the association ({refusal}): "
                            "the meter does not hold it as set")  # fmt: skip
            continue
        if length == hi:  # the whole password counts: one character more is another password
            longer = pw + "X"
            ok, _ = _signs_on(ctx, f"{len(longer)}-character password", longer)
            if ok:
                problems.append(f"a {len(longer)}-character password (the {what} plus one "
                                "character) was ACCEPTED: the meter compares only part of it")
            else:
                notes.append(f"{len(longer)}-character password refused")
    refused = _set_level2(ctx, original, "original password (restore)")
    ok, refusal = (False, refused) if refused else _signs_on(ctx, "original password", original)
    restored = not refused and ok
    ctx.evidence["password_lengths"] = {"min": lo, "max": hi, "original": len(original),
                                        "restored": restored}  # fmt: skip
    if restored:
        notes.append("original Level 2 password restored and accepted")
    else:
        problems.append(f"original Level 2 password NOT restored ({refusal}): the meter is left "
                        "with a test password")  # fmt: skip
    if problems:
        return ActionResult("; ".join(problems + notes), "fail", ctx.evidence)
    return ActionResult(f"rule {lo}–{hi} characters: " + "; ".join(notes), "pass", ctx.evidence)
