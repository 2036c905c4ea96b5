"""Live-plot and profile-read responsiveness benchmark; prints one JSON object.

1. ``live``: 4 curves fed at 10 Hz for a simulated 8 hours (288 000 samples per curve, time
   compressed: samples are fed in bursts of 10 s of data between redraws). Reports frame time
   (one ``redraw`` + paint, ms) p50/p99/max and RSS growth (MB). Goals: p99 ≤ 50 ms, growth ≤ 50 MB.
   The "All" window is in view (worst case): the series buffer's min/max pyramid keeps each curve
   at ≤ 4000 points per frame (``points_per_curve_last_frame``).
2. ``profile_read``: the largest event-loop stall (ms) on the GUI thread while the window reads
   90 days of profile from the built-in simulator through the port worker. Goal ≤ 100 ms.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python bench/live_plot.py [--hours 8]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def rss_mb() -> float:
    """Current resident set size in MB (Linux /proc; falls back to peak RSS)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_live(hours: float) -> dict:
    import numpy as np
    from PySide6.QtWidgets import QApplication

    from ui.panels.live import LivePanel

    panel = LivePanel()
    panel.resize(1100, 650)
    panel.window_combo.setCurrentIndex(3)  # "All": worst case, whole 8 h in view
    panel.show()
    QApplication.processEvents()
    t0 = 1_700_000_000.0
    n = int(hours * 3600 * 10)
    burst = 100  # 10 s of 10 Hz data per frame
    rng = np.random.default_rng(1)
    base = rss_mb()
    frames, cpu = [], []  # wall-clock and GUI-thread CPU time per frame (ms)
    for i in range(0, n, burst):
        for k in range(i, min(n, i + burst)):
            t = t0 + k / 10
            panel.feed(
                t,
                {
                    "V1": 230 + rng.normal(),
                    "V2": 231 + rng.normal(),
                    "V3": 229 + rng.normal(),
                    "P": 3.4 + 0.1 * rng.normal(),
                },
            )
        s, c = time.perf_counter(), time.thread_time()
        panel.redraw()
        panel.glw.update()
        QApplication.processEvents()
        frames.append((time.perf_counter() - s) * 1000)
        cpu.append((time.thread_time() - c) * 1000)
    growth = rss_mb() - base
    points = int(len(panel.curves["V1"].getData()[0]))
    panel.close()
    panel.deleteLater()  # before the interpreter exits: Qt objects torn down in order
    QApplication.processEvents()
    arr = np.array(frames)
    return {
        "samples_per_curve": n,
        "curves": 4,
        "frames": len(frames),
        "frame_ms_p50": round(float(np.percentile(arr, 50)), 2),
        "frame_ms_p99": round(float(np.percentile(arr, 99)), 2),
        "frame_ms_max": round(float(arr.max()), 2),
        # CPU time of the GUI thread per frame: the frame's own cost, without the waits caused
        # by other processes competing for the cores (wall-clock p99 is sensitive to load)
        "frame_cpu_ms_p50": round(float(np.percentile(cpu, 50)), 2),
        "frame_cpu_ms_p99": round(float(np.percentile(cpu, 99)), 2),
        "load_avg_1min": round(os.getloadavg()[0], 2),
        "rss_growth_mb": round(growth, 1),
        "points_per_curve_last_frame": points,
        "goal_p99_ms": 50,
        "goal_growth_mb": 50,
    }


def bench_profile_read() -> dict:
    import tempfile

    from PySide6.QtCore import QDate

    from ui.app import build_window
    from ui.smoke import StallMeter, configure_simulator, wait_until

    with tempfile.TemporaryDirectory() as tmp:
        window, ctx = build_window(Path(tmp) / "bench.db")
        window.resize(1366, 768)
        window.show()
        sid = ctx.store.create_session("BENCH-90D", "protocol-approval")
        window.open_session(sid)
        window.tabs.setCurrentWidget(window.profile)
        configure_simulator(window)
        conn = window.connection
        conn.connect_meter()
        wait_until(lambda: conn.identity is not None and not ctx.port.busy, 30, "connect")
        today = QDate.currentDate()
        conn.from_date.setDate(today.addDays(-91))
        conn.to_date.setDate(today.addDays(1))
        done: list = []
        conn.profile_done.connect(done.append)
        stall = StallMeter()
        stall.start()
        t = time.perf_counter()
        conn.read_profile()
        wait_until(lambda: bool(done), 300, "90-day profile read")
        elapsed = time.perf_counter() - t
        stalled = stall.stop()
        rows = done[0]["rows"]
        window.close()
        ctx.shutdown()
        ctx.store.close()
    return {
        "rows": rows,
        "read_s": round(elapsed, 2),
        "max_stall_ms": round(stalled, 1),
        "goal_stall_ms": 100,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=8.0)
    ap.add_argument("--skip-profile", action="store_true")
    args = ap.parse_args()
    from ui.app import make_app

    make_app()
    out = {"live": bench_live(args.hours)}
    if not args.skip_profile:
        out["profile_read"] = bench_profile_read()
    live, prof = out["live"], out.get("profile_read", {})
    out["ok"] = (
        live["frame_ms_p99"] <= 50
        and live["rss_growth_mb"] <= 50
        and prof.get("max_stall_ms", 0) <= 100
    )
    print(json.dumps(out))
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
