"""A simulated HHDC's system: the project's own client acting as the Protocol Testing Agent.

For tests, the demo and rehearsals of a witnessed protocol test: :class:`SimHhdc` collects from a
meter (normally through ``bench-app observe``, so the bench records what it does) with its *own*
standing data — the Level 2 password and client SAP it was given — and after each step writes an
export in the generic HHDC interval layout (``resources/mappings/generic-interval.toml``: one line
per period and channel, ``MPAN,Serial,Start,Channel,Value,Unit,Flag,System``, interval start in
UTC), which ``bench-app import --source hhdc`` accepts. Its ``System`` column names the system that
wrote the export, :data:`SYSTEM_NAME` — ``(simulated)`` in it, as every simulated source says —
so the bench marks what it imports from it as simulated evidence. Over DLMS it also sends its
system title :data:`drivers.model.SIMULATOR_SYSTEM_TITLE` as the AARQ's calling-AP-title, so
an observer marks the traces of its calls as simulated.

Defect switches (:data:`HHDC_DEFECTS`) make it behave like a faulty HHDC system a witness must
catch:

* ``drops-flags`` — the export loses every period's status flags (alarms never reach the data);
* ``ignores-clock-set`` — asked to correct the clock it reports done but never sends the SET;
* ``stores-wrong-period`` — the export files each value one settlement period late;
* ``accepts-data-after-refusal`` — when the meter refuses its association it still writes an
  export, filled from what it collected before (data the meter never gave it this time).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from drivers.errors import AuthenticationError
from drivers.meter import ConnectOptions, MeterDriver, create_meter
from drivers.model import SIMULATOR_SYSTEM_TITLE, Profile, utc
from drivers.trace import Trace

HHDC_DEFECTS = (
    "drops-flags",
    "ignores-clock-set",
    "stores-wrong-period",
    "accepts-data-after-refusal",
)
#: the export's columns (generic-interval mapping; Start is the interval start in UTC; System
#: names the system that wrote it).
EXPORT_COLUMNS = ("MPAN", "Serial", "Start", "Channel", "Value", "Unit", "Flag", "System")
#: What the simulated HHDC writes in its export's System column (the ``(simulated)`` mark of
#: :attr:`drivers.model.Identity.SIMULATED_MARK`).
SYSTEM_NAME = "Witness Bench HHDC simulator (simulated)"


@dataclass
class StepOutcome:
    """What the simulated HHDC did in one step.

    :param step: checklist step id (``DR2-1`` …).
    :param action: ``collect``, ``set-clock``.
    :param accepted: the meter accepted the association (and the SET, for a clock step).
    :param export: the export written (None when the HHDC wrote none).
    :param rows: profile rows in the export.
    :param note: what happened, in words.
    """

    step: str
    action: str
    accepted: bool
    export: Path | None = None
    rows: int = 0
    note: str = ""


@dataclass
class SimHhdc:
    """A scripted HHDC collector.

    :param url: where it dials (the observer's ``socket://`` address, or the meter directly).
    :param protocol: ``dlms`` or ``iec21``.
    :param password: the Level 2 password in its standing data.
    :param client_sap: its DLMS client SAP (the description's level 2 SAP).
    :param out_dir: where exports are written, one file per step.
    :param defects: :data:`HHDC_DEFECTS` to switch on.
    :param mpan: MPAN written in the export ("" = none).
    :param connect: builds the driver (tests inject one); default :func:`create_meter`.
    """

    url: str
    protocol: str = "dlms"
    password: str = ""
    client_sap: int = 48
    out_dir: Path = field(default_factory=lambda: Path("."))
    defects: tuple[str, ...] = ()
    mpan: str = ""
    timeout: float = 5.0
    connect: Callable[[str, ConnectOptions], MeterDriver] = create_meter
    serial: str = ""
    #: the HHDC's notion of true UTC (the demo passes simulated time)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    #: everything it has collected so far (its own database), by interval start
    held: Profile | None = None
    outcomes: list[StepOutcome] = field(default_factory=list)

    def __post_init__(self) -> None:
        unknown = [d for d in self.defects if d not in HHDC_DEFECTS]
        if unknown:
            raise ValueError(f"unknown HHDC defect(s) {unknown}; choose from {list(HHDC_DEFECTS)}")
        self.out_dir = Path(self.out_dir)

    # -- steps -------------------------------------------------------------------------------
    def collect(
        self, step: str, start: datetime, end: datetime, *, password: str | None = None,
        events: bool = False,
    ) -> StepOutcome:
        """Collect periods ``start``…``end`` (UTC) and write the step's export.

        :param password: use this password instead of the standing data's (DR2-1: wrong one).
        :param events: read the event log from ``start`` too (alarms and clock changes).
        """
        try:
            meter = self._open(password)
        except AuthenticationError as exc:
            return self._refused(step, "collect", str(exc))
        try:
            if not self.serial:
                self.serial = meter.read_identity().serial
            profile = meter.read_profile(utc(start), utc(end))
            if events:
                meter.read_events(utc(start), None)
        finally:
            meter.close()
        self._hold(profile)
        path = self._export(step, profile)
        return self._done(StepOutcome(step, "collect", True, path, len(profile.rows),
                                      f"collected {len(profile.rows)} periods"))  # fmt: skip

    def set_clock(
        self, step: str, *, password: str | None = None, to: datetime | None = None
    ) -> StepOutcome:
        """Correct the meter's clock to ``to`` (default: its own time, UTC) — a clock step."""
        if "ignores-clock-set" in self.defects:
            note = "reported the clock corrected (nothing sent)"
            return self._done(StepOutcome(step, "set-clock", True, None, 0, note))
        try:
            meter = self._open(password)
        except AuthenticationError as exc:
            return self._refused(step, "set-clock", str(exc))
        try:
            meter.read_clock()
            meter.set_clock(utc(to) if to else self.clock())
        except AuthenticationError as exc:
            return self._refused(step, "set-clock", str(exc))
        finally:
            meter.close()
        return self._done(StepOutcome(step, "set-clock", True, None, 0, "clock set"))

    # -- internals -----------------------------------------------------------------------------
    def _open(self, password: str | None) -> MeterDriver:
        opts = ConnectOptions(
            url=self.url,
            password=self.password if password is None else password,
            client_sap=self.client_sap,
            timeout=self.timeout,
            trace=Trace(),
            # it says who calls in its association (DLMS), as it names itself in its export
            calling_ap_title=SIMULATOR_SYSTEM_TITLE if self.protocol == "dlms" else b"",
        )
        meter = self.connect(self.protocol, opts)
        try:
            meter.connect()
        except Exception:
            meter.close()
            raise
        return meter

    def _refused(self, step: str, action: str, why: str) -> StepOutcome:
        if "accepts-data-after-refusal" in self.defects and action == "collect":
            path: Path | None = None
            if self.held and self.held.rows:
                path = self._export(step, self.held)
                rows = len(self.held.rows)
            else:  # a fresh process: its database is the exports it wrote before
                path, rows = self._re_export(step)
            if path is not None:
                return self._done(StepOutcome(step, action, False, path, rows,
                                              f"refused ({why}) — exported held data anyway"))
        return self._done(StepOutcome(step, action, False, None, 0, f"refused ({why})"))

    def _re_export(self, step: str) -> tuple[Path | None, int]:
        older = sorted(self.out_dir.glob("hhdc-*.csv"), key=lambda p: p.stat().st_mtime)
        if not older:
            return None, 0
        text = older[-1].read_text(encoding="utf-8")
        path = self.out_dir / f"hhdc-{step}.csv"
        path.write_text(text, encoding="utf-8")
        return path, max(0, text.count("\n") - 1)

    def _done(self, outcome: StepOutcome) -> StepOutcome:
        self.outcomes.append(outcome)
        return outcome

    def _hold(self, profile: Profile) -> None:
        if self.held is None:
            self.held = Profile(profile.period_min, list(profile.channels), [])
        known = {r.start for r in self.held.rows}
        self.held.rows += [r for r in profile.rows if r.start not in known]
        self.held.rows.sort(key=lambda r: r.start)

    def _export(self, step: str, profile: Profile) -> Path:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        path = self.out_dir / f"hhdc-{step}.csv"
        shift = timedelta(minutes=profile.period_min) if "stores-wrong-period" in self.defects \
            else timedelta(0)  # fmt: skip
        with open(path, "w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerow(EXPORT_COLUMNS)
            for row in profile.rows:
                flag = 0 if "drops-flags" in self.defects else row.status
                start = (row.start + shift).strftime("%Y-%m-%dT%H:%M:%SZ")
                for ch, value in zip(profile.channels, row.values, strict=False):
                    out.writerow([self.mpan, self.serial, start, ch.obis, f"{value:.6f}",
                                  ch.unit or "kWh", flag, SYSTEM_NAME])  # fmt: skip
        return path
