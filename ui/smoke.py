"""``bench-app gui --smoke-test``: the whole window offscreen against the built-in simulator.

Connects, reads 7 days of profile, draws them, runs one automatic checklist step and prints one
JSON line with counts and timings (seconds) plus the longest event-loop stall (ms). Exit code 0
when every stage succeeded.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

SMOKE_STEP = ("bscp601-protocol-cop1-2-3-5-10", "DR2-2")
SIM_LEVEL_SAP, SIM_PASSWORD = 48, "HHDC2PASS"  # the simulated Prometer's HHDC level (data file)


class StallMeter:
    """Largest gap between 5 ms timer ticks on the GUI thread (ms): how long the UI froze."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.max_gap_ms = 0.0
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.max_gap_ms = max(self.max_gap_ms, (now - self._last) * 1000)
        self._last = now

    def start(self) -> None:
        self._last = time.perf_counter()
        self.max_gap_ms = 0.0
        self.timer.start()

    def stop(self) -> float:
        self.timer.stop()
        return self.max_gap_ms


def wait_until(pred: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Run the event loop until ``pred()`` is true; TimeoutError naming ``what`` otherwise."""
    from PySide6.QtCore import QCoreApplication, QEventLoop

    deadline = time.monotonic() + timeout_s
    while not pred():
        if time.monotonic() > deadline:
            raise TimeoutError(f"smoke test: {what} did not happen within {timeout_s:.0f} s")
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        time.sleep(0.002)


def configure_simulator(window, protocol: str = "dlms") -> None:
    """Fill the connection form for the built-in simulator at the HHDC reading level."""
    conn = window.connection
    idx = next(
        i
        for i in range(conn.protocol_combo.count())
        if conn.protocol_combo.itemData(i) == (protocol, False)
    )
    conn.protocol_combo.setCurrentIndex(idx)
    conn.sim_check.setChecked(True)
    conn.level_combo.setCurrentIndex(conn.level_combo.findData(SIM_LEVEL_SAP))
    conn.password_edit.setText(SIM_PASSWORD)


def run_smoke(db_path: str | Path | None = None) -> dict:
    """Run the smoke test and return its JSON-able result (``ok`` plus counts and timings)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QDate

    from ui.app import build_window, make_app

    t0 = time.perf_counter()
    make_app()
    tmp = None
    if db_path is None:
        tmp = tempfile.TemporaryDirectory(prefix="wb-smoke-")
        db_path = Path(tmp.name) / "smoke.db"
    window, ctx = build_window(db_path)
    out: dict = {"ok": False, "db": str(db_path)}
    timings: dict = {"startup": 0.0}
    stall = StallMeter()
    try:
        window.resize(1366, 768)
        window.show()
        sid = ctx.store.create_session(
            f"SMOKE-{int(time.time())}", "protocol-approval", location="offscreen smoke test"
        )
        window.open_session(sid)
        timings["startup"] = time.perf_counter() - t0
        configure_simulator(window)
        conn = window.connection
        t = time.perf_counter()
        conn.connect_meter()
        wait_until(lambda: conn.identity is not None and not ctx.port.busy, 30, "connect")
        timings["connect"] = time.perf_counter() - t
        out["serial"] = conn.identity.serial
        today = QDate.currentDate()
        conn.from_date.setDate(today.addDays(-7))
        conn.to_date.setDate(today)
        done: list[dict] = []
        conn.profile_done.connect(done.append)
        t = time.perf_counter()
        stall.start()
        conn.read_profile()
        wait_until(lambda: bool(done) or conn.resume_btn.isVisibleTo(conn), 120, "profile read")
        out["max_stall_ms"] = round(stall.stop(), 1)
        timings["profile_read"] = time.perf_counter() - t
        if not done:
            raise RuntimeError(f"profile read failed: {conn.message.label.text()}")
        cid = done[0]["collection_id"]
        out["profile_rows"] = done[0]["rows"]
        out["stored_readings"] = len(ctx.store.readings(cid))
        t = time.perf_counter()
        window.profile.reload_collections()
        window.show_panel(window.profile)
        window.profile.redraw()
        out["periods_drawn"] = window.profile.periods_shown()
        out["days_loaded"] = len(window.profile.series.days())
        timings["draw"] = time.perf_counter() - t

        panel = window.checklist
        template, step = SMOKE_STEP
        panel.template_combo.setCurrentIndex(panel.template_combo.findData(template))
        finished: list = []
        panel.step_finished.connect(finished.append)
        t = time.perf_counter()
        panel.run_steps([step])
        wait_until(lambda: bool(finished), 120, f"checklist step {step}")
        timings["checklist_step"] = time.perf_counter() - t
        outcome = finished[0][0] if finished[0] else None
        out["checklist"] = {
            "step": step,
            "verdict": outcome.verdict if outcome else "error",
            "actual": outcome.actual[:160] if outcome else panel.message.label.text(),
        }
        out["traces"] = len(ctx.store.traces(sid))
        out["ok"] = (
            bool(out["stored_readings"]) and outcome is not None and outcome.verdict == "pass"
        )
    except Exception as exc:  # noqa: BLE001 - reported in the JSON line, exit code 1
        from ui.errors import describe

        info = describe(exc)
        out["error"] = f"{info.title}: {info.what}"
    finally:
        timings["total"] = time.perf_counter() - t0
        out["timings_s"] = {k: round(v, 3) for k, v in timings.items()}
        window.close()
        ctx.shutdown()
        ctx.store.close()
        if tmp is not None:
            tmp.cleanup()
    return out


def main(db_path: str | Path | None = None) -> int:
    result = run_smoke(db_path)
    print(json.dumps(result), flush=True)
    return 0 if result.get("ok") else 1
