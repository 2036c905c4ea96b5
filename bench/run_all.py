"""``make bench``: run every benchmark and print one JSON object keyed by benchmark.

Each benchmark is a script in this folder that prints JSON (ratios and goals, not pass/fail
timings). Run one on its own for details, e.g. ``python bench/profile_read.py --help``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNS = {
    "profile_read_iec21_9600": ["profile_read.py", "--protocol", "iec21", "--baud", "9600",
                                "--days", "7", "--json"],
    "profile_read_dlms_9600": ["profile_read.py", "--protocol", "dlms", "--baud", "9600",
                               "--days", "7", "--json"],
    "profile_read_dlms_9600_info1024": ["profile_read.py", "--protocol", "dlms", "--baud", "9600",
                                        "--days", "7", "--max-info", "1024", "--json"],
    "profile_read_dlms_9600_30d_info128_window7": ["profile_read.py", "--protocol", "dlms",
                                                   "--baud", "9600", "--days", "30", "--max-info",
                                                   "128", "--window", "7", "--json"],
    "profile_read_dlms_9600_30d_info128_window7_no_gbt": ["profile_read.py", "--protocol",
                                                          "dlms", "--baud", "9600", "--days",
                                                          "30", "--max-info", "128", "--window",
                                                          "7", "--no-gbt", "--json"],
    "profile_read_dlms_9600_30d_info1024": ["profile_read.py", "--protocol", "dlms", "--baud",
                                            "9600", "--days", "30", "--max-info", "1024",
                                            "--json"],
    "decode": ["decode.py"],
    "store": ["store_bench.py"],
    "report": ["report_bench.py"],
    "verify": ["verify_bench.py"],
    "live_plot": ["live_plot.py"],
    "rehearsal_dlms_9600": ["rehearsal.py", "--protocol", "dlms", "--baud", "9600", "--json"],
    "rehearsal_iec21_9600": ["rehearsal.py", "--protocol", "iec21", "--baud", "9600", "--json"],
    "observe_latency": ["observe_latency.py"],
}  # fmt: skip


def main() -> int:
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    results: dict[str, object] = {}
    for name, argv in RUNS.items():
        print(f"running {name}…", file=sys.stderr, flush=True)
        proc = subprocess.run(
            [sys.executable, str(HERE / argv[0]), *argv[1:]],
            capture_output=True,
            text=True,
            env=env,
            timeout=900,
        )
        text = proc.stdout.strip()
        try:
            results[name] = json.loads(text[text.index("{") :]) if "{" in text else text
        except ValueError:
            results[name] = {"output": text[-2000:]}
        if proc.returncode:
            results[name] = {"error": proc.stderr[-2000:], "exit": proc.returncode}
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
