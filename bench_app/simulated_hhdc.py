"""A simulated HHDC's system the checklist engine can drive, observed by the bench.

:class:`ObservedSimHhdc` is the :class:`~bench_app.checklist.hhdc_evidence.HhdcAgent` of the demo,
the tests and rehearsals of a witnessed run: for each step it starts ``bench-app observe``'s
relay (:class:`~bench_app.observe.Observer`, traces tagged with the step) in front of the meter,
has :class:`drivers.sim.hhdc.SimHhdc` (the project's client with the HHDC's own standing data and
defect switches) dial it, stops the relay once the call is stored, and imports the export it wrote
as the HHDC's evidence for the step (``import --source hhdc --step``). The bench never touches
the HHDC's bytes: they are what the simulated HHDC sent and the meter answered. Both are marked
simulated: the observed traces (this relay knows who dials it) and the imported export (its
System column names the simulator), so the session is a simulator session.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench_app.importers import ImportOptions, import_csv
from bench_app.observe import Observer, ObserveSpec, meter_levels
from drivers.sim.hhdc import SimHhdc, StepOutcome


class ObservedSimHhdc:
    """A simulated HHDC collecting through the bench's observer (see the module docstring).

    :param store: the session's store; ``session_id`` the session.
    :param meter_url: the meter's port (``socket://`` of a simulator).
    :param password: the Level 2 password in the HHDC's standing data.
    :param client_sap: the HHDC's DLMS client SAP (the description's level-2 SAP).
    :param out_dir: where its exports go (``hhdc-STEP.csv``).
    :param defects: :data:`drivers.sim.hhdc.HHDC_DEFECTS` switched on.
    :param clock: the HHDC's notion of UTC (the engine's simulated time in the demo).
    """

    def __init__(
        self,
        store: Any,
        session_id: int,
        meter_url: str,
        *,
        protocol: str = "dlms",
        password: str = "",
        client_sap: int = 48,
        out_dir: str | Path = ".",
        defects: tuple[str, ...] = (),
        clock: Callable[[], datetime] | None = None,
        mpan: str = "",
        wait_s: float = 5.0,
    ) -> None:
        self.store = store
        self.session_id = session_id
        self.meter_url = meter_url
        self.wait_s = wait_s
        self.sim = SimHhdc("", protocol, password, client_sap, out_dir=Path(out_dir),
                           defects=tuple(defects), mpan=mpan,
                           clock=clock or (lambda: datetime.now(UTC)))  # fmt: skip
        self.levels = meter_levels(store, session_id)

    def collect(self, step: str, start: datetime, end: datetime, *,
                password: str | None = None) -> str:  # fmt: skip
        """Collect ``[start, end)`` and the event log (observed), import the export."""
        return self._observed(step, lambda: self.sim.collect(step, start, end, password=password,
                                                             events=True))  # fmt: skip

    def set_clock(self, step: str, *, password: str | None = None) -> str:
        """Correct the meter's clock to the HHDC's time (observed)."""
        return self._observed(step, lambda: self.sim.set_clock(step, password=password))

    def _observed(self, step: str, act: Callable[[], StepOutcome]) -> str:
        spec = ObserveSpec("tcp://127.0.0.1:0", self.meter_url)
        obs = Observer(self.store, self.session_id, spec, step=step, levels=self.levels,
                       simulated=True)  # fmt: skip
        self.sim.url = obs.start()
        try:
            before = len(self.sim.outcomes)
            outcome = act()
            dialled = "nothing sent" not in outcome.note and len(self.sim.outcomes) > before
            deadline = time.monotonic() + self.wait_s
            while dialled and not obs.stored and time.monotonic() < deadline:
                obs.poll(0.05)
        finally:
            obs.stop()
        if outcome.export is not None:
            import_csv(self.store, self.session_id, outcome.export, source="hhdc",
                       mapping="generic-interval", step=step,
                       options=ImportOptions(again=True))  # fmt: skip
        said = "accepted" if outcome.accepted else "refused"
        export = f"; export {outcome.export.name}" if outcome.export else "; no export written"
        return f"{outcome.action} {said}: {outcome.note}{export}"
