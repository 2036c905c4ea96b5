"""`bench-app simulate --protocol dlms` read by `bench-app read --protocol dlms` (processes)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def bench(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bench_app", *args], capture_output=True, text=True, timeout=timeout
    )


def test_simulate_then_read_json(framing: str = "wrapper"):
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "bench_app", "simulate", "--protocol", "dlms", "--days", "2",
            "--framing", framing, "--server-physical", "33", "--max-pdu", "512",
            "--max-info", "256",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        url = proc.stdout.readline().strip().removeprefix("listening on ")
        assert url.startswith("socket://"), url
        common = ["read", "--protocol", "dlms", "--port", url, "--framing", framing]
        common += ["--server-physical", "33", "--client-sap", "48", "--json"]
        out = bench(*common, "--password", "HHDC2PASS")
        assert out.returncode == 0, out.stderr
        reading = json.loads(out.stdout)
        assert reading["identity"]["outstation_type"] == "PRO"
        assert reading["identity"]["firmware"]["communications"] == "COM 3.07"
        bad = bench(*common, "--password", "WRONG")
        assert bad.returncode == 5, bad.stderr  # authentication error exit code
    finally:
        proc.terminate()
        proc.wait(timeout=10)
