"""What an automatic or stimulus action gets to work with, and the helpers actions share.

An action is a function ``action(ctx: ActionContext) -> ActionResult`` registered by name in
:data:`ACTIONS` with :func:`action`. It talks to the meter through :meth:`ActionContext.meter`
(connect with the session's options, optionally overridden — e.g. a wrong password; the trace is
stored and linked as evidence when the connection ends), acts on the bench through
:meth:`ActionContext.stimulus` (bench control on a simulator, the tester on a real meter) and stores
what it read with :meth:`collect_profile`, :meth:`store_events` and :meth:`observe_clock`, which
add the new row ids to :attr:`ActionContext.evidence`.

Times are aware UTC; settlement periods come from :mod:`bench_app.settlement` (30-minute UTC-aligned
periods: GB SP boundaries fall on :00 and :30 in both GMT and BST).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple, cast

from bench_app import settlement
from bench_app.acquire.service import Acquisition
from bench_app.checklist import registry
from bench_app.checklist.levels import session_association
from bench_app.checklist.simtime import BenchTime, ShiftedClockMeter
from bench_app.checklist.template import Step
from bench_app.store.collection_meta import CollectionMeta
from drivers.errors import DriverError
from drivers.meter import MeterDriver
from drivers.model import ClockReading, EventCode, MeterEvent, Profile, iso

log = logging.getLogger(__name__)

#: The actions' names for the settlement helpers (:mod:`bench_app.settlement` owns them).
sp_start = settlement.floor_to_period
sp_label = settlement.sp_label
SP = settlement.SP

#: ``meter_factory(**overrides) -> MeterDriver`` (not connected); overrides are ConnectOptions
#: fields such as ``password``.
MeterFactory = Callable[..., MeterDriver]
#: ``prompt(message) -> answer``; to a confirmation, an answer starting with "n"/"skip" means no.
Prompt = Callable[[str], str]


class ActionResult(NamedTuple):
    """What an action found: the actual-result text, the proposed verdict, evidence links."""

    actual: str
    verdict: str  #: "pass" | "fail" | "na" | "not-run"
    evidence: dict


class StepAborted(Exception):
    """The step could not be carried out (tester declined, no meter); recorded as not-run."""


# The registry lives in its own module (re-exported here for the action modules).
ACTIONS = registry.ACTIONS
action = registry.action


@dataclass
class ActionContext:
    """Everything an action may use (see the module docstring).

    :param store: the session :class:`~bench_app.store.Store`.
    :param meter_factory: builds an unconnected driver; None when no meter is attached.
    :param control: bench control (simulator) or None on a real meter.
    :param prompt: asks the tester; None when nobody is there (``--auto``).
    :param password: the session's Level 2 password (redacted from stored traces).
    :param now: PC UTC clock (injectable for tests); ``sleep`` likewise.
    """

    store: Any
    session_id: int
    run_id: int
    step: Step
    meter_factory: MeterFactory | None
    control: Any | None = None
    prompt: Prompt | None = None
    protocol: str = ""
    password: str | None = None
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    sleep: Callable[[float], None] = time.sleep
    evidence: dict = field(default_factory=dict)
    _acquisitions: dict = field(default_factory=dict, repr=False)
    #: reference time (simulated on a simulator with bench control); None = the bare PC clock.
    bench_time: BenchTime | None = None
    #: meter description named for the run (``--meter``); "" = the session's (levels, SAPs)
    meter_description: str = ""
    #: the meter is a simulated outstation (None: not known); stored with every piece of evidence
    simulated: bool | None = None
    #: who runs the bench (recorded with each stimulus the tester confirms)
    by: str = ""
    #: the HHDC's system under test, when the bench can drive it (a simulated HHDC: see
    #: :class:`bench_app.checklist.hhdc_evidence.HhdcAgent`); None: the HHDC's operator acts and
    #: a witnessed step asks the tester, or judges the evidence already stored for the step
    hhdc: Any | None = None

    @property
    def params(self) -> dict:
        return self.step.params

    def param(self, name: str, default: Any = None) -> Any:
        return self.step.params.get(name, default)

    def reference_text(self) -> str:
        """How the clock verdict's reference is named: the time source with the PC offset and
        its uncertainty, or "PC clock, not traceable"."""
        from bench_app.timesource import describe

        ref = self.bench_time.last_reference if self.bench_time is not None else None
        return describe(ref)  # type: ignore[arg-type]

    def limit(self, name: str) -> Any:
        """A figure the step is judged by: its param, which the template takes from the limits
        table (``"@name"``, resolved for the session); never a default in code.

        :raises StepAborted: the template gives no such param.
        """
        if name not in self.step.params:
            raise StepAborted(f"step {self.step.id} gives no {name} (from the limits table)")
        value = self.step.params[name]
        if isinstance(value, str) and value.startswith("@"):
            raise StepAborted(f"step {self.step.id}: {name} {value} not resolved for the session")
        return value

    def link(self, kind: str, row_id: int | list[int]) -> None:
        """Add stored row id(s) to ``evidence[kind]`` (kinds: collection_ids, trace_ids,
        event_ids, clock_observation_ids, attachment_ids)."""
        ids = self.evidence.setdefault(kind, [])
        for i in row_id if isinstance(row_id, list) else [row_id]:
            if i not in ids:
                ids.append(i)

    # -- meter -----------------------------------------------------------------------------------
    @contextlib.contextmanager
    def meter(self, label: str, **overrides: Any) -> Iterator[MeterDriver]:
        """Connect a driver (options overridden by ``overrides``), yield it, close it and store
        its trace (password redacted) linked as evidence — also when connecting failed.

        Bytes that carried stored evidence are stored with it, block by block, through the
        acquisition service (:meth:`acquisition`); the rest is stored when the connection ends.
        """
        if self.meter_factory is None:
            raise StepAborted("no meter connected to the bench (give --port and --protocol)")
        level = self.step.params.get("association_level")
        if level is not None and self.protocol == "dlms" and "client_sap" not in overrides:
            # DR2/DR3 run on the level-2 (HHDC) association of the described meter
            assoc = session_association(
                self.store, self.session_id, int(level), self.meter_description
            )
            overrides["client_sap"] = assoc.client_sap
            self.evidence["association"] = assoc._asdict()
        driver = self.meter_factory(**overrides)
        acq = self.acquisition(driver, label)
        try:
            driver.connect()
            if self.simulated is None:  # not known yet: the outstation says what it is
                self._identify(acq)
            if self.bench_time is None:
                yield driver
            else:  # same interface as the driver; clock readings against the bench time
                yield cast(MeterDriver, ShiftedClockMeter(driver, self.bench_time))
        finally:
            with contextlib.suppress(Exception):
                driver.close()
            acq.collection_id = None  # the connection's own bytes belong to the step
            acq.simulated = self.evidence_simulated()
            acq.label = f"{self.step.id} {label}"
            acq.store_trace("connection")
            self.link("trace_ids", list(acq.trace_ids))
            self.evidence_simulated()  # remembered after the connection's acquisition is gone
            self._acquisitions.pop(id(driver), None)

    def _identify(self, acq: Acquisition) -> None:
        """Read the identity once (the step's first connection): a simulated outstation announces
        itself there, so the evidence is marked whatever port reached it; a real meter's
        identity marks it real (False). A meter that does not answer leaves it not known."""
        try:
            ident = acq.read_identity()
        except (DriverError, OSError, ValueError) as exc:
            log.info("%s: identity not read for the simulated mark (%s)", self.step.id, exc)
            return
        self.simulated = bool(ident.simulated)

    def evidence_simulated(self) -> bool | None:
        """Whether evidence stored now comes from a simulated outstation: as the step was told,
        or because a meter connection of the step read an identity announcing a simulator
        (then every later piece of the step's evidence says so too)."""
        if self.simulated is None and any(a.simulated for a in self._acquisitions.values()):
            self.simulated = True
        return self.simulated

    def acquisition(self, driver: MeterDriver, label: str = "") -> Acquisition:
        """The acquisition service for a driver opened by :meth:`meter` (made on first use)."""
        # a ShiftedClockMeter wraps the connected driver: one acquisition (one byte mark) per
        # connection, whichever of the two a step hands over
        key = id(getattr(driver, "_driver", driver))
        acq = self._acquisitions.get(key)
        if acq is None:
            acq = Acquisition(
                self.store,
                self.session_id,
                driver,
                label=f"{self.step.id} {label}".strip(),
                simulated=self.simulated,
            )
            self._acquisitions[key] = acq
        return acq

    def stimulus(self, method: str, *args: Any, instruction: str) -> None:
        """Do ``control.method(*args)`` on a simulator, or ask the tester to do it on a real meter
        and wait for the confirmation (:class:`StepAborted` when declined — ``skip: reason`` —
        or nobody is there). A confirmation (Enter, or ``done by NAME``) is recorded in the
        step's evidence ``stimuli``: instruction, when asked, when confirmed (UTC) and by whom."""
        if self.control is not None:
            getattr(self.control, method)(*args)
            return
        if self.prompt is None:
            raise StepAborted(f"needs the tester to: {instruction} (no bench control, no prompt)")
        asked = self.now()
        answer = (
            self.prompt(f"{self.step.id}: {instruction} — press Enter when done") or ""
        ).strip()
        if answer.lower().startswith(("n", "skip")):
            why = answer.partition(":")[2].strip()
            raise StepAborted(
                f"tester did not confirm: {instruction}" + (f" (reason: {why})" if why else "")
            )
        # when the tester confirmed and who: evidence of the step (the report lists it)
        who = answer[8:].strip() if answer.lower().startswith("done by ") else ""
        self.evidence.setdefault("stimuli", []).append(
            {"instruction": instruction, "asked_at": iso(asked), "done_at": iso(self.now()),
             "by": who or self.by}
        )  # fmt: skip

    # -- storing evidence ------------------------------------------------------------------------
    def _meta(self, label: str, **fields: Any) -> CollectionMeta:
        """This step's collection meta (step, run, ``label``, and ``fields``)."""
        return CollectionMeta(label=label, step=self.step.id, run_id=self.run_id, **fields)

    def new_collection(self, label: str, source: str = "bench", kind: str = "") -> int:
        """A collection of evidence stored without a meter read (no acquisition to open it)."""
        meta = self._meta(label, kind=kind).to_json()
        cid = self.store.new_collection(
            self.session_id,
            source,
            protocol=self.protocol,
            meta=meta,
            simulated=self.evidence_simulated(),
        )
        self.link("collection_ids", cid)
        return cid

    @contextlib.contextmanager
    def _collection(self, acq: Acquisition, label: str, **fields: Any) -> Iterator[int]:
        """The step's collection around the ``with`` body (see ``Acquisition.collection``)."""
        acq.label = f"{self.step.id} {label}"
        with acq.collection(self._meta(label, **fields)) as opened:
            assert opened.id is not None
            self.link("collection_ids", opened.id)
            yield opened.id
        self.link("trace_ids", list(acq.trace_ids))

    def collect_profile(
        self, meter: MeterDriver, start: datetime | None, end: datetime | None, label: str
    ) -> tuple[int, Profile]:
        """Read the profile in ``[start, end)`` into a new bench collection, block by block
        (each block stored with its bytes; an interrupted read leaves the collection marked
        incomplete with the reason)."""
        acq = self.acquisition(meter)
        with self._collection(acq, label, start=start, end=end) as cid:
            profile = acq.read_profile(start, end)
        return cid, profile

    def store_events(self, events: list[MeterEvent], label: str) -> tuple[int, list[dict]]:
        """Store events read from the meter; returns (collection id, stored rows with ids).

        With the meter of :meth:`meter` still open, the bytes that carried them are stored with
        them (the acquisition service); otherwise the trace follows when the connection ends.
        """
        acq = next(reversed(self._acquisitions.values()), None)
        if acq is None:
            cid = self.new_collection(label, kind="events")
            if events:
                self.store.add_events(cid, events)
        else:
            with self._collection(acq, label, kind="events") as cid:
                acq.store_events(events)
        return cid, self.store.events(self.session_id, collection_id=cid)

    def observe_clock(self, reading: ClockReading, note: str) -> int:
        """Store a clock reading with the reference measured for it (the time source's offset)."""
        ref = self.bench_time.last_reference if self.bench_time is not None else None
        oid = self.store.add_clock_observation(
            self.session_id, reading, note=f"{self.step.id}: {note}",
            reference=ref.to_json() if ref is not None else None,  # type: ignore[attr-defined]
            simulated=self.evidence_simulated(),
        )
        if ref is not None:
            self.evidence["reference"] = ref.to_json()  # type: ignore[attr-defined]
        self.link("clock_observation_ids", oid)
        return oid


def event_key(row: dict | MeterEvent) -> tuple[str, int]:
    """``(time ISO, code)`` of a stored event row or a :class:`MeterEvent`."""
    if isinstance(row, dict):
        return iso(row["time"]), int(row["code"])
    return iso(row.time), int(row.code)


def event_identities(rows: list) -> set[tuple[str, int, int]]:
    """Full identities ``(time, code, occurrence)`` of events as read (occurrence counts equal
    time and code, so two clock changes in the same meter second are two events)."""
    seen: dict[tuple[str, int], int] = {}
    out = set()
    for r in rows:
        key = event_key(r)
        seen[key] = seen.get(key, 0) + 1
        out.add((*key, seen[key]))
    return out


def new_events(rows: list[dict], old: set[tuple[str, int, int]]) -> list[dict]:
    """Stored event rows (in log order) whose full identity is not in ``old``; each returned row
    gets its ``identity``."""
    seen: dict[tuple[str, int], int] = {}
    out = []
    for r in rows:
        key = event_key(r)
        seen[key] = seen.get(key, 0) + 1
        ident = (*key, seen[key])
        if ident not in old:
            out.append({**r, "identity": ident})
    return out


def event_names(codes: set[int] | list[int]) -> str:
    return ", ".join(EventCode(c).text for c in sorted(codes))


def compare_readings(a: list, b: list, tolerance: float = 0.0, limit: int = 3) -> dict:
    """Compare two lists of store readings (``.start .channel .value .status``) key by key.

    :returns: ``{"compared", "missing_in_b", "missing_in_a", "value_diffs", "flag_diffs",
        "examples"}`` — counts, and up to ``limit`` example texts per kind.
    """
    ka = {(r.start, r.channel): r for r in a}
    kb = {(r.start, r.channel): r for r in b}
    out: dict[str, Any] = {
        "compared": 0,
        "missing_in_b": 0,
        "missing_in_a": 0,
        "value_diffs": 0,
        "flag_diffs": 0,
        "examples": [],
    }
    for key in sorted(set(ka) | set(kb)):
        ra, rb = ka.get(key), kb.get(key)
        where = f"{iso(key[0])} {key[1]}"
        if rb is None:
            out["missing_in_b"] += 1
            text = f"{where} missing"
        elif ra is None:
            out["missing_in_a"] += 1
            text = f"{where} only in the second"
        else:
            out["compared"] += 1
            text = ""
            if abs(float(ra.value) - float(rb.value)) > tolerance + 1e-9:
                out["value_diffs"] += 1
                text = f"{where} {ra.value:g} ≠ {rb.value:g}"
            if int(ra.status) != int(rb.status):
                out["flag_diffs"] += 1
                text = text or f"{where} flags {int(ra.status):#06x} ≠ {int(rb.status):#06x}"
        if text and len(out["examples"]) < limit:
            out["examples"].append(text)
    return out


def differences(cmp: dict) -> int:
    """Number of disagreements in a :func:`compare_readings` result."""
    return cmp["missing_in_b"] + cmp["missing_in_a"] + cmp["value_diffs"] + cmp["flag_diffs"]
