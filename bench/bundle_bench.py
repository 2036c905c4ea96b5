"""Offline bundle: size and start-up of the built executable (``make dist`` first). Prints JSON::

    python bench/bundle_bench.py [--dist dist/witness-bench] [--runs 7] [--drop-caches]

Measures, using only the bundle (clean ``WITNESS_BENCH_HOME`` in a temporary folder):

* ``size``: MiB (2^20 bytes, the unit ``du -sh`` and Explorer call "M"/"MB") of the onedir
  folder, apparent (sum of file sizes) and on disk (allocated blocks, what ``du`` shows), the same
  in decimal MB, file count, and the largest entries of ``_internal/`` (goal ≤ 200 MiB).
* ``version``: wall time of ``bench-app --version`` — the first run after the build or after
  ``--drop-caches`` (root only; flushes the page cache for a true cold start) and the median of
  ``--runs`` warm runs (seconds).
* ``gui_smoke``: ``bench-app gui --smoke-test`` offscreen. ``window_shown_s`` is the smoke test's
  own ``startup`` timing (QApplication + window built, shown and a session opened, measured inside
  the process after Qt was imported); ``launch_to_window_s_max`` is an upper bound on launch →
  window shown: process wall time minus the smoke test's work after the window appeared (goal
  ≤ 3 s).
* ``onefile``: ``--version`` of ``dist/bench-app`` when the onefile target was built as well.

Without a bundle it prints ``{"skipped": ...}`` and exits 0, so ``make bench`` still runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZE_GOAL_MIB = 200.0
WINDOW_GOAL_S = 3.0


MIB = 1024 * 1024


def folder_size(folder: Path) -> dict:
    """Apparent and allocated size (MiB, as ``du -sh`` and Explorer show) of ``folder``."""
    apparent = allocated = files = 0
    for path in folder.rglob("*"):
        st = path.lstat()
        if path.is_symlink() or not path.is_file():
            continue
        files += 1
        apparent += st.st_size
        allocated += getattr(st, "st_blocks", (st.st_size + 4095) // 4096 * 8) * 512
    return {"apparent_mib": apparent / MIB, "on_disk_mib": allocated / MIB, "files": files}


def largest(folder: Path, top: int = 12) -> dict[str, float]:
    """The ``top`` largest direct children of ``folder`` (MiB, apparent)."""
    sizes = {}
    for child in folder.iterdir():
        if child.is_symlink():
            continue
        if child.is_dir():
            sizes[child.name] = folder_size(child)["apparent_mib"]
        else:
            sizes[child.name] = child.stat().st_size / MIB
    ranked = sorted(sizes.items(), key=lambda kv: kv[1], reverse=True)[:top]
    return {name: round(mb, 1) for name, mb in ranked}


def run(
    argv: list[str], env: dict, timeout: float = 300
) -> tuple[float, subprocess.CompletedProcess]:
    """Run ``argv``; returns (wall seconds, completed process)."""
    t = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout)
    return time.perf_counter() - t, proc


def drop_caches() -> bool:
    """Flush the page cache (root on Linux only); False when not possible."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def measure_version(exe: Path, env: dict, runs: int, cold: bool) -> dict:
    flushed = drop_caches() if cold else False
    first, proc = run([str(exe), "--version"], env)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip()[-300:]}
    warm = [run([str(exe), "--version"], env)[0] for _ in range(runs)]
    return {
        "output": proc.stdout.strip(),
        "first_run_s": round(first, 3),
        "first_run_after_cache_flush": flushed,
        "warm_median_s": round(statistics.median(warm), 3),
        "warm_min_s": round(min(warm), 3),
        "runs": runs,
    }


def measure_gui(exe: Path, env: dict) -> dict:
    help_wall, proc = run([str(exe), "gui", "--help"], env)
    if proc.returncode != 0 or "--smoke-test" not in proc.stdout:
        return {"skipped": "bench-app gui --smoke-test does not exist in this build"}
    wall, proc = run([str(exe), "gui", "--smoke-test"], dict(env, QT_QPA_PLATFORM="offscreen"))
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        return {"error": f"exit {proc.returncode}: {proc.stderr.strip()[-300:]}"}
    result = json.loads(lines[-1])
    timings = result.get("timings_s", {})
    shown = timings.get("startup")
    after_shown = timings.get("total", 0.0) - (shown or 0.0)
    upper = wall - after_shown
    return {
        "ok": result.get("ok"),
        "window_shown_s": shown,
        "launch_to_window_s_max": round(upper, 3),
        "process_wall_s": round(wall, 3),
        "smoke_timings_s": timings,
        "max_stall_ms": result.get("max_stall_ms"),
        "goal_window_s": WINDOW_GOAL_S,
        "meets_goal": upper <= WINDOW_GOAL_S,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--dist", default=str(ROOT / "dist" / "witness-bench"))
    parser.add_argument("--runs", type=int, default=7, help="warm runs of --version (median)")
    parser.add_argument("--drop-caches", action="store_true", help="true cold start (root)")
    args = parser.parse_args(argv)

    dist = Path(args.dist)
    exe = next((p for p in (dist / "bench-app", dist / "bench-app.exe") if p.is_file()), None)
    if exe is None:
        print(json.dumps({"skipped": f"no bundle at {dist}; run 'make dist' first"}))
        return 0

    with tempfile.TemporaryDirectory(prefix="wb-bundle-bench-") as tmp:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "WITNESS_BENCH_DB")
        }
        env.update(HOME=tmp, WITNESS_BENCH_HOME=str(Path(tmp) / "data"))
        size = folder_size(dist)
        out = {
            "bundle": str(dist),
            "size": {
                "apparent_mib": round(size["apparent_mib"], 1),
                "on_disk_mib": round(size["on_disk_mib"], 1),
                "apparent_mb_decimal": round(size["apparent_mib"] * MIB / 1e6, 1),
                "files": size["files"],
                "goal_mib": SIZE_GOAL_MIB,
                "meets_goal": size["apparent_mib"] <= SIZE_GOAL_MIB,
                "largest_internal_mib": largest(dist / "_internal")
                if (dist / "_internal").is_dir()
                else {},
            },
            "version": measure_version(exe, env, args.runs, args.drop_caches),
            "gui_smoke": measure_gui(exe, env),
        }
        onefile = dist.parent / ("bench-app.exe" if exe.suffix == ".exe" else "bench-app")
        if onefile.is_file():
            out["onefile"] = {
                "size_mib": round(onefile.stat().st_size / MIB, 1),
                "version": measure_version(onefile, env, max(1, args.runs // 2), False),
            }
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
