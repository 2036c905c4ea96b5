"""``bench-app simulate`` and ``sim-control`` as a user runs them: real processes, real signals."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest


def start(*args: str) -> tuple[subprocess.Popen, str, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench_app", "simulate", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first = proc.stdout.readline().strip()
    second = proc.stdout.readline().strip()
    return proc, first, second


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_first_line_is_listening_url_and_signals_stop_cleanly(sig):
    proc, first, second = start("--protocol", "iec21", "--days", "1")
    try:
        assert first.startswith("listening on socket://127.0.0.1:"), first
        assert second.startswith("control on tcp://127.0.0.1:"), second
        control = second.removeprefix("control on ")
        out = subprocess.run(
            [sys.executable, "-m", "bench_app", "sim-control", control, "phase-failure", "1"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert out.returncode == 0, out.stderr
        state = subprocess.run(
            [sys.executable, "-m", "bench_app", "sim-control", control, "state"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert json.loads(state.stdout)["phases_ok"] == [False, True, True]
    finally:
        proc.send_signal(sig)
        assert proc.wait(timeout=10) == 0
    assert "simulator stopped" in proc.stderr.read()


def test_pty_listen():
    proc, first, _ = start("--protocol", "iec21", "--pty", "--days", "1")
    try:
        assert first.startswith("listening on /dev/"), first
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_bad_fault_is_a_usage_error():
    out = subprocess.run(
        [sys.executable, "-m", "bench_app", "simulate", "--fault", "explode"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 2
    assert "unknown fault 'explode'" in out.stderr and "Traceback" not in out.stderr


def test_idle_timeout_drops_a_silent_client():
    import socket
    import time

    proc, first, _ = start("--protocol", "iec21", "--days", "1", "--idle-timeout", "0.5")
    try:
        assert first.startswith("listening on socket://127.0.0.1:"), first
        host, port = first.removeprefix("listening on socket://").rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            started = time.monotonic()
            assert sock.recv(1) == b""  # the simulator closed the silent connection
            assert time.monotonic() - started < 8
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize("value", ["0", "-1", "nan", "soon"])
def test_idle_timeout_must_be_positive(value):
    out = subprocess.run(
        [sys.executable, "-m", "bench_app", "simulate", "--idle-timeout", value],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 2
    assert "--idle-timeout" in out.stderr and "Traceback" not in out.stderr


def test_idle_timeout_is_in_the_help():
    out = subprocess.run(
        [sys.executable, "-m", "bench_app", "simulate", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 0
    assert "--idle-timeout SECONDS" in out.stdout
