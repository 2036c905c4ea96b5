"""Writes to the meter under test outside a checklist step: they need intent and are evidence.

Setting the clock of a meter adds a clock-change event to its event log and flags the settlement
period in progress as shortened or lengthened — exactly the evidence DR3-2/DR3-3 examine — and
neither can be removed from the meter afterwards. So a write the tester asks for by hand (the
window's "Set clock", ``bench-app set-clock``) goes through :func:`set_clock`, which

* refuses it in a signed session and while a **witnessed** checklist run is open (not yet
  confirmed by both tester and witness, nor superseded): during a witnessed run only the steps
  write to the meter (:func:`refusal`, :class:`~bench_app.errors.WriteRefusedError`);
* needs who asks and why (:class:`WriteIntent`; the CLI refuses without ``--reason`` and ``--by``);
* reads the clock before, writes, reads it after (two clock observations with their bytes), and
* records the write as a ``meter_write`` session record (:data:`KIND`, in the audit chain): what
  changed, before and after, what it leaves in the meter, who, why, when.

The report lists every such record in its "Writes to the meter" section, from the statement's
``meter_writes`` key (:func:`meter_writes` gives them in order); ``verify --db`` re-derives it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bench_app.checklist.verdict import run_kind
from bench_app.errors import UsageError, WriteRefusedError
from drivers.model import ClockReading, iso

#: Session record kind of one write to the meter (one record per write; all are kept and listed).
KIND = "meter_write"
#: Settlement period length (minutes) assumed when naming the period a clock write flags.
PERIOD_MIN = 30


@dataclass(frozen=True)
class WriteIntent:
    """Who asks for the write and why (both required, see :meth:`check`)."""

    by: str
    reason: str

    def check(self, by_name: str = "by", reason_name: str = "reason") -> WriteIntent:
        """``self`` with both stripped; :class:`UsageError` naming what is missing (the option
        names the caller uses, e.g. ``--by``/``--reason``)."""
        by, reason = (self.by or "").strip(), (self.reason or "").strip()
        missing = [name for name, v in ((reason_name, reason), (by_name, by)) if not v]
        if missing:
            raise UsageError(
                "a write to the meter outside a checklist step needs a reason and who asks for "
                f"it: give {' and '.join(missing)}"
            )
        return WriteIntent(by, reason)

    def note(self, what: str) -> str:
        """The note stored with the clock readings around the write."""
        return f"{what} by {self.by} — reason: {self.reason}"


def refusal(store: Any, session_id: int) -> str:
    """Why a write to the meter outside a step is refused now ("" when it may be done)."""
    session = store.get_session(session_id)
    if session.get("status") == "locked":
        return f"session {session_id} is signed and locked: nothing more is recorded in it"
    for run in store.checklist_runs(session_id):
        if run_kind(run) == "witnessed" and run.get("status") == "open":
            return (
                f"checklist run {run['id']} ({run.get('template', '')}) is a witnessed run still "
                "open: during a witnessed run only its steps write to the meter (confirm or "
                "supersede the run first)"
            )
    return ""


def check_allowed(store: Any, session_id: int) -> None:
    """:class:`WriteRefusedError` with :func:`refusal`'s reason when the write is refused."""
    why = refusal(store, session_id)
    if why:
        raise WriteRefusedError(f"write to the meter refused: {why}")


def clock_leaves(before: ClockReading | None, meter_time: datetime) -> str:
    """What setting the clock to ``meter_time`` leaves in the meter, in words."""
    base = "a clock-change event in the meter's event log"
    if before is None:
        return base + "; the settlement period in progress flagged as shortened or lengthened"
    start = before.meter_time.astimezone(UTC)
    start = start.replace(minute=start.minute - start.minute % PERIOD_MIN, second=0,
                          microsecond=0)  # fmt: skip
    end = start + timedelta(minutes=PERIOD_MIN)
    step = (meter_time - before.meter_time).total_seconds()
    how = "lengthened (clock set back)" if step < 0 else "shortened (clock set forward)"
    return (f"{base}; the settlement period {iso(start)}–{iso(end)} (meter time) flagged as "
            f"{how} by about {abs(step):.0f} s")  # fmt: skip


def _reading(r: ClockReading) -> dict:
    return {"meter_time": iso(r.meter_time), "reference_time": iso(r.pc_time),
            "deviation_s": round(float(r.deviation_s), 3)}  # fmt: skip


def set_clock(
    acq: Any, meter_time: datetime, intent: WriteIntent, *, what: str = "clock set"
) -> tuple[dict, ClockReading]:
    """Set the meter clock through the acquisition service ``acq`` (connected, storing into its
    session) after the checks above; returns the ``meter_write`` record stored and the clock
    reading taken after the write.

    :param meter_time: the time written (aware, UTC).
    :param what: how the write is named in the notes ("clock set to PC UTC").
    :raises WriteRefusedError: see :func:`refusal`. :raises UsageError: no reason or no name.
    """
    if not acq.storing:
        raise UsageError("a write to the meter is recorded in a session: give the session")
    store, sid = acq.store, acq.session_id
    check_allowed(store, sid)
    intent = intent.check()
    before = acq.read_clock(note=intent.note(f"before {what}"))
    after = acq.set_clock(meter_time, note=intent.note(what))
    record = {
        "what": "clock",
        "change": f"meter clock set to {iso(meter_time)}",
        "before": _reading(before),
        "after": _reading(after),
        "leaves": clock_leaves(before, meter_time),
        "by": intent.by,
        "reason": intent.reason,
        "at": iso(datetime.now(UTC)),
        "simulated": bool(acq.simulated),
    }
    store.set_session_record(sid, KIND, record)
    return record, after


def meter_writes(store: Any, session_id: int) -> list[dict]:
    """Every ``meter_write`` record of the session, oldest first (the report's list)."""
    return store.session_record_list(session_id, KIND)
