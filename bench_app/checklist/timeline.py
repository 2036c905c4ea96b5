"""A run's timeline before it starts: when the operator acts, which settlement period must close,
when it is read, and how long the whole run waits — in real time, on this meter's profile period.

On a real meter every alarm step waits for settlement periods (SPs) to close; DR4-1a alone waits
for five. :func:`plan_run` lays the template's steps end to end from a start time the way the
engine runs them (the actions in :mod:`bench_app.checklist.alarms` and
:mod:`bench_app.checklist.actions`): a stimulus in the SP the step starts in, the SP closed (read
:data:`~bench_app.checklist.simtime.CLOSE_MARGIN_S` after its end), then the first full SP after
the restore closed too. The figures come from the template's ``params`` (phases, combination,
``hold_s``, ``periods``, ``settle_s``, the clock offset from the limits table); nothing is
assumed that the template does not say. Meter reads add time the plan does not estimate (it
depends on the link), so the duration is the time spent *waiting*, a lower bound.

The meter's profile (integration) period, :func:`profile_period`, is measured from the
session's newest bench read, else taken from the meter description's ``period_min``, else it is
*unknown* — said so, never guessed. It decides CoP steps that wait whole integration periods,
and whether an SP's data is complete when the bench reads it (a 20-minute period can straddle
an SP's end).

Times are shown as :mod:`bench_app.presentation` shows every time, GB local with the zone and UTC
beside (``25 Oct 2026 01:30:00 GMT (01:30:00 UTC)``); durations in h/min/s. No Qt: the CLI
(``checklist plan``) and the window show the same :class:`Plan`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bench_app import settlement
from bench_app.checklist.simtime import CLOSE_MARGIN_S
from bench_app.checklist.template import Step, Template
from bench_app.presentation import duration as duration_text
from bench_app.presentation import gb_and_utc, sp_text

SP = settlement.SP


def hms(when: datetime) -> str:
    """``01:30:00 GMT (01:30:00 UTC)``: a time of the plan, GB local with its zone, UTC beside."""
    return gb_and_utc(when, "%H:%M:%S")

#: alarm actions (and what ``hhdc_sees_alarm`` names as its ``stimulus``) → what the operator does
ALARM_ACTS = {
    "battery_fault": "remove the battery (battery fault), then refit a good one",
    "forced_reset": "force a reset of the outstation (not by its supply)",
    "data_change": "change the parameter via a port, then put it back as found",
    "reverse_running": "run energy backwards through the outstation, then stop",
}
CLOCK_ACTIONS = ("clock_correction_flagged", "hhdc_clock_set_flagged")


@dataclass(frozen=True)
class PeriodSource:
    """The meter's profile period in minutes (None: unknown) and where it came from."""

    minutes: int | None
    source: str

    def text(self) -> str:
        if self.minutes is None:
            return f"unknown ({self.source})"
        return f"{self.minutes} min ({self.source})"


@dataclass
class Event:
    """One moment of a step: ``act`` (someone does something), ``close`` (an SP must close),
    ``read`` (the bench reads the closed periods), ``wait`` (time passes for another reason)."""

    kind: str
    at: datetime
    text: str
    sp: str = ""
    #: an ``act``'s deadline: the end of the SP it must happen in (None: no deadline)
    deadline: datetime | None = None

    def to_json(self) -> dict:
        return {"kind": self.kind, "at_utc": self.at.isoformat().replace("+00:00", "Z"),
                "at": gb_and_utc(self.at), "text": self.text, "sp": self.sp,
                "deadline_utc": self.deadline.isoformat().replace("+00:00", "Z")
                if self.deadline else None}  # fmt: skip


@dataclass
class StepPlan:
    """One step: its moments, when it starts and ends, and the time it waits (None: unknown)."""

    step: str
    title: str
    kind: str
    start: datetime
    end: datetime
    wait_s: float | None
    events: list[Event] = field(default_factory=list)
    note: str = ""

    def wait_text(self) -> str:
        """``waits 17 min 23 s``, ``no wait`` (a step that acts at once) or ``wait unknown``."""
        if self.wait_s is None:
            return "wait unknown"
        if self.wait_s < 0.05:
            return "no wait"
        return f"waits {duration_text(self.wait_s)}"

    def to_json(self) -> dict:
        return {
            "step": self.step, "title": self.title, "kind": self.kind,
            "start_utc": self.start.isoformat().replace("+00:00", "Z"),
            "end_utc": self.end.isoformat().replace("+00:00", "Z"),
            "wait_s": self.wait_s,
            "wait": duration_text(self.wait_s) if self.wait_s is not None else "unknown",
            "events": [e.to_json() for e in self.events], "note": self.note,
        }  # fmt: skip


@dataclass
class Plan:
    """A run's timeline: steps in order from :attr:`start`; :attr:`duration_s` is the time the
    steps wait (None when a step's wait is unknown), meter reads not included."""

    template: str
    version: str
    start: datetime
    period: PeriodSource
    steps: list[StepPlan]
    warnings: list[str] = field(default_factory=list)

    @property
    def end(self) -> datetime:
        return self.steps[-1].end if self.steps else self.start

    @property
    def duration_s(self) -> float | None:
        waits = [s.wait_s for s in self.steps]
        return None if any(w is None for w in waits) else sum(w or 0.0 for w in waits)

    def duration_text(self) -> str:
        """``4 h 02 min of waiting (meter reads not included)`` or why it is unknown."""
        known = sum(s.wait_s or 0.0 for s in self.steps)
        unknown = [s.step for s in self.steps if s.wait_s is None]
        if unknown:
            return (f"at least {duration_text(known)} of waiting; unknown for "
                    f"{', '.join(unknown)} (meter reads not included)")  # fmt: skip
        return f"{duration_text(known)} of waiting (meter reads not included)"

    def to_json(self) -> dict:
        return {
            "template": self.template, "version": self.version,
            "start_utc": self.start.isoformat().replace("+00:00", "Z"),
            "start": gb_and_utc(self.start),
            "end_utc": self.end.isoformat().replace("+00:00", "Z"), "end": gb_and_utc(self.end),
            "profile_period_min": self.period.minutes, "profile_period_source": self.period.source,
            "duration_s": self.duration_s, "duration": self.duration_text(),
            "steps": [s.to_json() for s in self.steps], "warnings": list(self.warnings),
        }  # fmt: skip

    def lines(self) -> list[str]:
        """The plan as text lines (``checklist plan``)."""
        out = [
            f"{self.template} v{self.version}: timeline from {gb_and_utc(self.start)}",
            f"profile period: {self.period.text()}",
            f"expected: {self.duration_text()}; waits end {gb_and_utc(self.end)}",
        ]
        for s in self.steps:
            out.append(f"{s.step:<7} {s.title}  [{s.kind}; {s.wait_text()}]")
            for e in s.events:
                out.append(f"  {hms(e.at)}  {e.kind:<5} {e.text}")
            if s.note:
                out.append(f"  {s.note}")
        out += [f"warning: {w}" for w in self.warnings]
        return out


class _Clock:
    """The plan's cursor: a step's events and the time it waits."""

    def __init__(self, t: datetime, period: PeriodSource, warnings: list[str]) -> None:
        self.t, self.period, self.warnings = t, period, warnings
        self.events: list[Event] = []
        self.waited = 0.0

    def act(self, text: str, *, deadline: bool = True) -> None:
        """Someone acts now; ``deadline``: before the SP the cursor is in ends."""
        start = settlement.floor_to_period(self.t)
        if deadline:
            text += f" — before {sp_text(start)} ends at {hms(start + SP)}"
        self.events.append(Event("act", self.t, text, sp_text(start),
                                 start + SP if deadline else None))  # fmt: skip

    def pass_s(self, seconds: float) -> None:
        seconds = max(0.0, float(seconds))
        self.t += timedelta(seconds=seconds)
        self.waited += seconds

    def close(self, why: str, margin_s: float = CLOSE_MARGIN_S) -> datetime:
        """Let the SP the cursor is in close (as ``BenchTime.close_period``); returns its start."""
        start = settlement.floor_to_period(self.t)
        end = start + SP
        self.events.append(Event("close", end, f"{sp_text(start)} closes — {why}", sp_text(start)))
        self._check_complete(start, end, margin_s)
        self.pass_s((end - self.t).total_seconds() + margin_s)
        return start

    def read(self, text: str) -> None:
        self.events.append(Event("read", self.t, text, ""))

    def _check_complete(self, start: datetime, end: datetime, margin_s: float) -> None:
        """Warn when the profile period holding the SP's end closes after the bench reads it."""
        if not self.period.minutes:
            return
        p = self.period.minutes * 60
        ts = int(end.timestamp())
        done = datetime.fromtimestamp(-(-ts // p) * p, UTC)
        if (done - end).total_seconds() > margin_s:
            self.warnings.append(
                f"{sp_text(start)}: the {self.period.minutes}-minute profile period holding its "
                f"end closes at {hms(done)}, after the bench reads it at "
                f"{hms(end + timedelta(seconds=margin_s))}"
            )


def _alarm(c: _Clock, action: str, params: dict) -> None:
    """The alarm check of :func:`bench_app.checklist.alarms.check_alarm` with its stimulus."""
    margin = float(params.get("close_margin_s", CLOSE_MARGIN_S))
    hold = float(params.get("hold_s", 0.0) or 0.0)
    if action == "phase_failure":
        phases = [int(p) for p in params.get("phases", [1, 2, 3])]
        combo = [int(p) for p in params.get("combination", [])]
        groups = [[p] for p in phases] + ([combo] if combo else [])
        for n, group in enumerate(groups):
            names = " and ".join(f"L{p}" for p in group)
            if n:
                c.close(f"phase {names} must be removed in the next one", margin)
            c.act(f"remove phase {names}, then restore it")
            c.pass_s(hold)
    elif action == "supply_failure":
        c.act("remove the outstation supply (after the bench collected the profile)",
              deadline=False)
        start = settlement.floor_to_period(c.t)
        c.events.append(Event("close", start + SP, f"{sp_text(start)} closes — keep the supply "
                              "off across this boundary", sp_text(start)))  # fmt: skip
        c.pass_s((start + SP - c.t).total_seconds() + max(hold, 1.0))
        c.act("restore the outstation supply", deadline=False)
    else:
        c.act(ALARM_ACTS.get(action, f"do the stimulus ({action})"))
        c.pass_s(hold)
    last = c.close("the stimulus period", margin)
    c.close("the first full SP after the restore (must not be flagged)", margin)
    c.read(f"read the event log and profile twice ({sp_text(last)} and the next)")


def _clock_step(c: _Clock, params: dict, hhdc: bool) -> str:
    """DR3-2/DR3-3 (``_wait_for_reentry``, then the affected SP closed); "" or why unknown."""
    offset = params.get("offset_min")
    if not isinstance(offset, int | float):
        return f"clock offset {offset!r} not resolved for the session: timing unknown"
    minutes = abs(float(offset))
    fast = str(params.get("direction", "")) == "fast"
    if fast:  # half the offset before an SP boundary, so the fast clock closes the period
        into = (c.t - settlement.floor_to_period(c.t)).total_seconds()
        wait = (SP.total_seconds() - minutes * 60 / 2 - into) % SP.total_seconds()
        if wait > 1:
            c.pass_s(wait)
    sign = "+" if fast else "-"
    c.act(f"clock put at UTC {sign} {minutes:g} min, then "
          + ("the HHDC's system corrects it" if hhdc else "corrected with the Level 2 password"),
          deadline=fast)
    c.close("the affected SP", float(params.get("close_margin_s", CLOSE_MARGIN_S)))
    c.read("read the event log and profile twice" if not hhdc
           else "the HHDC's system collects the affected period")  # fmt: skip
    return ""


def _register_step(c: _Clock, params: dict) -> str:
    """``hh_sum_vs_register``: the next integration boundary, ``settle_s``, ``periods`` periods."""
    if not c.period.minutes:
        return "waits whole profile periods; the profile period is unknown"
    p = c.period.minutes * 60
    ts = c.t.timestamp()
    boundary = datetime.fromtimestamp((int(ts) // p + 1) * p, UTC)
    settle = float(params.get("settle_s", 5))
    periods = int(params.get("periods", 2))
    total = (boundary - c.t).total_seconds() + settle + periods * p
    if total > float(params.get("max_wait_s", 7200)):
        return (f"would wait {duration_text(total)}, more than max_wait_s "
                f"({duration_text(float(params.get('max_wait_s', 7200)))}): recorded not run")
    c.pass_s((boundary - c.t).total_seconds() + settle)
    c.act("run at full load; the bench reads the registers", deadline=False)
    c.pass_s(periods * p)
    c.read(f"read the registers again after {periods} whole profile periods")
    return ""


def _step(c: _Clock, step: Step, skipped: str) -> str:
    """Lay ``step`` on the clock; returns a note (why unknown or skipped)."""
    if skipped:
        return skipped
    action, params = step.action or "", step.params
    if action == "hhdc_sees_alarm":
        _alarm(c, str(params.get("stimulus", "")), params)
        c.read("the HHDC's system collects the periods through the observer")
        return ""
    if action in ("phase_failure", "supply_failure", *ALARM_ACTS):
        _alarm(c, action, params)
        return ""
    if action in CLOCK_ACTIONS:
        return _clock_step(c, params, hhdc=action.startswith("hhdc_"))
    if action == "hh_sum_vs_register":
        return _register_step(c, params)
    if step.kind in ("manual", "attachment"):
        return "recorded by hand: no wait"
    return "meter reads only: no wait"


UNKNOWN_NOTES = ("unknown", "not resolved")


def plan_run(
    template: Template,
    period: PeriodSource,
    start: datetime,
    *,
    steps: list[str] | None = None,
    not_fitted: dict[str, str] | None = None,
) -> Plan:
    """The timeline of ``template`` (resolved for the session) started at ``start`` (aware).

    :param period: the meter's profile period (:func:`profile_period`).
    :param steps: only these step ids, in template order (default: all).
    :param not_fitted: step id → the declaration that makes it n/a (no time spent).
    """
    t = settlement.as_utc(start)
    warnings: list[str] = []
    out: list[StepPlan] = []
    for step in template.steps:
        if steps and step.id not in steps:
            continue
        c = _Clock(t, period, warnings)
        skipped = (not_fitted or {}).get(step.id, "")
        note = _step(c, step, f"n/a: {skipped}" if skipped else "")
        unknown = any(w in note for w in UNKNOWN_NOTES)
        out.append(StepPlan(step.id, step.title, step.kind, t, c.t,
                            None if unknown else c.waited, c.events, note))  # fmt: skip
        t = c.t
    return Plan(template.name, template.version, settlement.as_utc(start), period, out, warnings)


def profile_period(store: Any, session_id: int, meter: str = "") -> PeriodSource:
    """The session meter's profile period: measured from its newest bench read with at least
    two intervals, else the meter description's ``period_min`` (``meter``: a description name,
    else the session's), else unknown."""
    for coll in reversed(store.collections(session_id)):
        if coll.get("source") != "bench":
            continue
        span = store.interval_span(coll["id"])
        if span and span[1] > span[0]:
            minutes = span[2] // 60
            return PeriodSource(minutes, f"measured: intervals of collection {coll['id']}, the "
                                "session's newest bench read")  # fmt: skip
    from bench_app import meters
    from bench_app.errors import UsageError

    try:
        desc = meters.load(meter) if meter else meters.session_description(store, session_id)
    except UsageError:
        desc = None
    raw = (getattr(desc, "raw", None) or {}) if desc is not None else {}
    if raw.get("period_min"):
        return PeriodSource(int(raw["period_min"]), f"meter description {desc.name} "  # type: ignore[union-attr]
                            "(period_min)")  # fmt: skip
    return PeriodSource(None, "no bench read of the meter in this session and no period_min "
                        "in its meter description")  # fmt: skip


def session_plan(
    store: Any,
    session_id: int,
    template: Template,
    start: datetime | None = None,
    *,
    period_min: int | None = None,
    meter: str = "",
    steps: list[str] | None = None,
) -> Plan:
    """:func:`plan_run` for a session: its figures (limits table), its declarations ("(where
    fitted)" steps declared not fitted take no time) and its meter's profile period
    (``period_min`` given overrides it, said so)."""
    from bench_app.capabilities import declared
    from bench_app.limits import session_limits

    store.get_session(session_id)  # NotFoundError early
    resolved = template.resolved(session_limits(store, session_id))
    if period_min is not None:
        if period_min not in settlement.INTEGRATION_PERIODS:
            from bench_app.errors import UsageError

            raise UsageError(f"--period must be one of {settlement.INTEGRATION_PERIODS} minutes, "
                             f"not {period_min}")  # fmt: skip
        period = PeriodSource(period_min, "given with --period")
    else:
        period = profile_period(store, session_id, meter)
    decl = declared(store, session_id, meter)
    not_fitted = {}
    for s in resolved.steps:
        d = decl.get(s.fitted) if s.fitted else None
        if d is not None and not d.fitted:
            not_fitted[s.id] = f"declared not fitted ({d.source})"
    return plan_run(resolved, period, start or datetime.now(UTC), steps=steps,
                    not_fitted=not_fitted)  # fmt: skip
