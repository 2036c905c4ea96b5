"""The checklist's worker thread: runs engine steps, reports waits and asks the tester.

:class:`ChecklistWorker` runs :class:`bench_app.checklist.ChecklistEngine` steps in its own
:class:`QThread` with its own store connection. It turns the engine's ``progress`` callback into
``waiting(remaining_s, message)`` signals (a real meter: the step waits for a settlement period
to close) and its ``prompt`` into ``prompt_requested(text)`` answered with :meth:`answer`.

:meth:`ChecklistWorker.cancel` is thread-safe: a wait or a question in progress ends at once with
:class:`~bench_app.checklist.context.StepAborted`, so the engine records the step as not-run with
the evidence stored so far (and, for an alarm check left waiting, what a re-run needs to check the
closed period); steps not started yet are not run. :func:`countdown_text` formats a wait the way
the panel shows it: ``SP 5 closes 02:30:00 GMT — 12:34``.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from bench_app import settlement
from bench_app.checklist import ChecklistEngine, find_template
from bench_app.checklist.context import StepAborted
from bench_app.checklist.simtime import countdown
from drivers.meter import create_meter
from ui.context import open_store

log = logging.getLogger(__name__)

#: what a cancelled step records as the reason it was not completed
CANCEL_TEXT = "cancelled by the tester (window closed or Cancel pressed); evidence so far kept"


def countdown_text(remaining_s: float, now: datetime | None = None) -> str:
    """``SP 5 closes 02:30:00 GMT — 12:34``: the settlement period the wait ends with, its end
    in GB local time, and the time left (h:mm:ss above an hour)."""
    now = now or datetime.now(UTC)
    target = now + timedelta(seconds=max(0.0, remaining_s))
    end = settlement.floor_to_period(target)  # the boundary the wait runs to (plus a margin)
    day, sp = settlement.settlement_period(end - timedelta(seconds=1))
    local = settlement.to_local(end)
    left = countdown(remaining_s)
    return f"SP {sp} ({day:%d %b}) closes {local:%H:%M:%S} {local.tzname()} — {left}"


class ChecklistWorker(QObject):
    """Runs engine steps in a worker thread; ``prompt`` questions are answered from the GUI."""

    finished = Signal(object)  # list[StepOutcome]
    failed = Signal(object)
    prompt_requested = Signal(str)
    #: ``(remaining seconds, engine message)`` while a step waits for a period to close
    waiting = Signal(float, str)
    #: ``(step id, index, count)`` when a step starts
    step_started = Signal(str, int, int)

    def __init__(
        self,
        db_path: Any,
        session_id: int,
        template_name: str,
        meter_setup: Any,
        control: Any,
        *,
        simulated: bool | None = None,
        by: str = "bench",
    ) -> None:
        super().__init__()
        self.db_path, self.session_id, self.template_name = db_path, session_id, template_name
        self.meter_setup, self.control = meter_setup, control
        self.simulated, self.by = simulated, by
        self._answer = ""
        self._answered = threading.Event()
        self._cancel = threading.Event()
        #: the step running now ("" between steps)
        self.current = ""

    # -- thread-safe controls ------------------------------------------------------------------
    def cancel(self) -> None:
        """Stop at the next wait or question (never in the middle of a meter exchange)."""
        self._cancel.set()
        self._answered.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def answer(self, text: str) -> None:
        self._answer = text
        self._answered.set()

    # -- engine callbacks (worker thread) ------------------------------------------------------
    def _check(self) -> None:
        if self._cancel.is_set():
            raise StepAborted(CANCEL_TEXT)

    def _prompt(self, message: str) -> str:
        self._check()
        self._answered.clear()
        self.prompt_requested.emit(message)
        self._answered.wait()
        self._check()
        return self._answer

    def _sleep(self, seconds: float) -> None:
        """The engine's sleep: ends early (StepAborted) when cancelled."""
        self._check()
        if self._cancel.wait(max(0.0, float(seconds))):
            raise StepAborted(CANCEL_TEXT)

    def _progress(self, remaining_s: float, message: str) -> None:
        self.waiting.emit(float(remaining_s), message)

    @Slot(object)
    def run(self, step_ids: list[str]) -> None:
        store = None
        outcomes: list = []
        try:
            store = open_store(self.db_path)
            proto, opts = self.meter_setup if self.meter_setup else ("", None)
            factory = (
                (lambda **ov: create_meter(proto, replace(opts, trace=type(opts.trace)(), **ov)))
                if opts is not None
                else None
            )
            engine = ChecklistEngine(
                store,
                self.session_id,
                find_template(self.template_name),
                factory,
                control=self.control,
                prompt=self._prompt,
                protocol=proto,
                password=opts.password if opts is not None else None,
                by=self.by,
                sleep=self._sleep,
                progress=self._progress,
                simulated=self.simulated,
            )
            _ = engine.run_id  # the run is stored before its first step is announced
            for n, step_id in enumerate(step_ids):
                if self._cancel.is_set():  # steps not started stay not run
                    break
                self.current = step_id
                self.step_started.emit(step_id, n, len(step_ids))
                outcomes.append(engine.run_step(step_id))
        except Exception as exc:
            log.exception("checklist run of %s failed", ", ".join(step_ids))
            self.failed.emit(exc)
        else:
            self.finished.emit(outcomes)
        finally:
            self.current = ""
            if store is not None:
                store.close()
