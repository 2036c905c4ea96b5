"""The HHDC's evidence for a witnessed step: what its system did on the line, and what it exported.

A witnessed BSCP601 step is judged on the **HHDC's** evidence, never on the bench's own client:

* the observed conversation (``bench-app observe --step DR2-1``: traces labelled ``observed HHDC ↔
  meter [DR2-1]``) decoded into exchanges — associations with their level and result, GETs of the
  profile and event log with the settlement periods and statuses returned, clock SETs with the
  old and new time;
* the HHDC's export imported for that step (``bench-app import --source hhdc --step DR2-1``).

The bench's own reads stay the *reference* (a third reader) and the meter-side check.

How the HHDC acts in a step: with an :class:`HhdcAgent` (a simulated HHDC the bench drives, see
:mod:`bench_app.simulated_hhdc`) the step asks it; otherwise the tester is prompted to have the
HHDC's operator do it (observed, export imported) and press Enter; with nobody at the bench the
step judges what is already stored for it. Missing evidence is named in the result and never
gives a PASS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bench_app.checklist.context import ActionContext, StepAborted, compare_readings
from bench_app.settlement import sp_label
from drivers.model import EventCode, StatusFlag
from drivers.observe.exchanges import Exchange

EVENT_LOG = ".99.98."
PROFILE = (".99.1.", ".99.2.")


class HhdcAgent(Protocol):
    """The HHDC's system under test when the bench can drive it (a simulated HHDC).

    Each call makes the HHDC's system act through the bench's observer (traces tagged with
    ``step``) and imports the export it writes, tagged with ``step``; returns what the HHDC's
    system itself reports, in words.
    """

    def collect(self, step: str, start: datetime, end: datetime, *,
                password: str | None = None) -> str: ...  # fmt: skip

    def set_clock(self, step: str, *, password: str | None = None) -> str: ...


@dataclass
class HhdcEvidence:
    """The HHDC's evidence for one step (see the module docstring).

    :param exchanges: the observed exchanges tagged with the step, in order.
    :param trace_ids: the observed traces they come from.
    :param export_ids: the HHDC exports imported for the step (collection ids, oldest first).
    :param claimed: what the HHDC's system reported doing ("" when not driven by the bench).
    """

    step: str
    exchanges: list[Exchange] = field(default_factory=list)
    trace_ids: list[int] = field(default_factory=list)
    export_ids: list[int] = field(default_factory=list)
    claimed: str = ""

    @property
    def associations(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.kind == "association"]

    @property
    def accepted(self) -> list[Exchange]:
        return [e for e in self.associations if e.details.get("accepted") is True]

    @property
    def refused(self) -> list[Exchange]:
        return [e for e in self.associations if e.level == "refused"]

    def buffers(self, kind: tuple[str, ...]) -> list[Exchange]:
        """GETs of a profile (``PROFILE``) or event-log buffer answered with entries."""
        return [e for e in self.exchanges if e.kind == "get" and "entries" in e.details
                and any(k in str(e.details.get("obis", "")) for k in kind)]  # fmt: skip

    @property
    def profile_gets(self) -> list[Exchange]:
        return self.buffers(PROFILE)

    @property
    def event_codes(self) -> set[int]:
        """Event codes the meter returned in the event-log GETs the HHDC made."""
        codes: set[int] = set()
        for e in self.buffers((EVENT_LOG,)):
            codes |= {int(v) for v in (e.details.get("statuses") or {}).values()}
        return codes

    @property
    def clock_sets(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.kind in ("set", "action")
                and e.details.get("obis") == "0.0.1.0.0.255"]  # fmt: skip

    @property
    def export_id(self) -> int | None:
        """The newest export imported for the step."""
        return self.export_ids[-1] if self.export_ids else None

    def lines(self, store: Any) -> list[str]:
        """The evidence in words, for the report's "Actual (HHDC)"."""
        out = [f"HHDC's system: {self.claimed}"] if self.claimed else []
        shown = [e for e in self.exchanges if e.kind == "association" or e in self.clock_sets
                 or "entries" in e.details or e.level in ("refused", "bad")]  # fmt: skip
        out += [f"observed: {_short(e.text)}" for e in shown[:6]]
        if len(shown) > 6:
            out.append(f"observed: … {len(shown) - 6} more exchanges (Appendix B)")
        if not self.exchanges:
            out.append(f"observed: nothing on the line for {self.step}")
        cid = self.export_id
        if cid is None:
            out.append(f"export: none imported for {self.step}")
        else:
            rows = store.readings(cid)
            flagged = sorted({r.start for r in rows if int(r.status)})
            shown_f = ", ".join(sp_label(s) for s in flagged[:4]) + (" …" if len(flagged) > 4
                                                                      else "")  # fmt: skip
            span = f" {sp_label(rows[0].start)} to {sp_label(rows[-1].start)}" if rows else ""
            out.append(f"export (collection #{cid}): {len(rows)} readings{span}; "
                       f"{len(flagged)} period(s) flagged{': ' + shown_f if flagged else ''}")
        return out


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mark(store: Any, session_id: int) -> tuple[int, int]:
    """The newest trace and collection ids of the session (evidence after them is new)."""
    traces = [int(t["id"]) for t in store.traces(session_id)]
    cols = [int(c["id"]) for c in store.collections(session_id)]
    return max(traces, default=0), max(cols, default=0)


def gather(ctx: ActionContext, since: tuple[int, int] = (0, 0)) -> HhdcEvidence:
    """The HHDC's evidence stored for the step after ``since`` (trace id, collection id)."""
    from bench_app.observe import meter_levels, observed_step
    from drivers.observe import exchanges

    step = ctx.step.id
    ev = HhdcEvidence(step)
    levels = meter_levels(ctx.store, ctx.session_id)
    for row in ctx.store.traces(ctx.session_id):
        if int(row["id"]) > since[0] and observed_step(row) == step:
            ev.trace_ids.append(int(row["id"]))
            ev.exchanges += exchanges(list(ctx.store.load_trace(row["id"])), levels)
    ev.export_ids = [int(c["id"]) for c in ctx.store.collections(ctx.session_id)
                     if c["source"] == "hhdc" and int(c["id"]) > since[1]
                     and (c.get("meta") or {}).get("step") == step]  # fmt: skip
    return ev


def hhdc_act(ctx: ActionContext, what: str, instruction: str, **kwargs: Any) -> HhdcEvidence:
    """Have the HHDC's system do ``what`` (``collect`` / ``set_clock`` with ``kwargs``) and return
    its evidence: through the agent, else by asking the tester, else what is stored already.

    :raises StepAborted: the tester said the HHDC's system did not do it.
    """
    step = ctx.step.id
    since = (0, 0)
    claimed = ""
    if ctx.hhdc is not None:
        since = _mark(ctx.store, ctx.session_id)
        claimed = str(getattr(ctx.hhdc, what)(step, **kwargs))
    elif ctx.prompt is not None:
        answer = (ctx.prompt(
            f"{step}: the HHDC's system must now {instruction}. Observe it with `bench-app "
            f"observe --step {step}` and import its export with `bench-app import --source hhdc "
            f"--step {step} FILE`; press Enter when done (or 'skip')") or "").strip().lower()
        if answer.startswith(("n", "skip")):
            raise StepAborted(f"the HHDC's system did not {instruction}")
    ev = gather(ctx, since)
    ev.claimed = claimed
    ctx.link("trace_ids", ev.trace_ids)
    ctx.link("collection_ids", ev.export_ids)
    return ev


def missing_text(ev: HhdcEvidence, *, export: bool = True) -> list[str]:
    """What of the HHDC's evidence is missing for a criterion that needs it."""
    out = []
    if not ev.trace_ids:
        out.append(f"no observed HHDC ↔ meter trace tagged {ev.step} (observe the HHDC's system "
                   f"with bench-app observe --step {ev.step})")  # fmt: skip
    if export and ev.export_id is None:
        out.append(f"no HHDC export imported for {ev.step} (bench-app import --source hhdc "
                   f"--step {ev.step} FILE)")  # fmt: skip
    return out


def tolerance(store: Any, *collection_ids: int) -> float:
    """Half the coarsest resolution of the exports compared (kWh): an export written to 3
    decimals agrees with a read that holds more."""
    from decimal import Decimal

    coarsest = Decimal("0.000001")
    for cid in collection_ids:
        finest = 0
        for r in store.readings(cid)[:500]:
            exp = Decimal(repr(float(r.value))).normalize().as_tuple().exponent
            if isinstance(exp, int):
                finest = min(finest, exp)
        coarsest = max(coarsest, Decimal(1).scaleb(finest))
    return float(coarsest) / 2


def compare_text(store: Any, a: int, b: int, what: str, start=None, end=None) -> tuple[int, str]:
    """Compare collections ``a`` and ``b`` in ``[start, end)`` → (differences, text)."""
    from bench_app.checklist.context import differences

    cmp = compare_readings(store.readings(a, start, end), store.readings(b, start, end),
                           tolerance(store, a, b))  # fmt: skip
    n = differences(cmp)
    if not cmp["compared"] and not n:
        return 1, f"{what}: nothing to compare"
    if not n:
        return 0, f"{what}: {cmp['compared']} period values identical, same flags"
    first = what.split(" vs ", 1)[0] if " vs " in what else "the first"
    parts = [f"{cmp[k]} {label}" for k, label in (
        ("value_diffs", "values differ"), ("flag_diffs", "flags differ"),
        ("missing_in_b", f"period values only in {first}"),
        ("missing_in_a", f"period values missing in {first}")) if cmp[k]]  # fmt: skip
    return n, f"{what}: " + ", ".join(parts) + f" (e.g. {'; '.join(cmp['examples'])})"


def flagged(store: Any, cid: int, mask: int = 0xFFFFFFFF) -> set[datetime]:
    """Interval starts of collection ``cid`` whose status has a bit of ``mask``."""
    return {r.start for r in store.readings(cid) if int(r.status) & mask}


CLOCK_FLAGS = int(StatusFlag.CLOCK_CHANGE | StatusFlag.PERIOD_ADJUSTED)
CLOCK_EVENT = int(EventCode.CLOCK_SET)
