"""``bench-app demo`` as a user runs it: exits by itself even with a display, numbers each step
once, prints where it wrote everything and the passphrase, and its ``Verify:`` command gives the
same verdict as the demo's own verification."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path


def _run(args: list[str], env: dict, cwd: Path) -> subprocess.CompletedProcess:
    # the timeout only stops a hung run (a GUI opened and waiting); it measures nothing
    return subprocess.run(
        [sys.executable, "-m", "bench_app", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=600,
    )


def test_demo_with_a_display_is_headless_and_its_verify_command_agrees(tmp_path):
    env = dict(os.environ, DISPLAY=":0", QT_QPA_PLATFORM="offscreen")
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[2]), env.get("PYTHONPATH", "")])
    out_dir = tmp_path / "out" / "demo"  # the default --out, as `make demo` in a fresh clone
    done = _run(["demo", "--days", "4"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Opening the GUI" not in out
    steps = re.findall(r"^(\d+)\. ", out, flags=re.M)
    assert steps == [str(n) for n in range(1, 9)], steps  # each step once, in order
    assert "Passphrase: witness-bench-demo" in out
    for name in ("demo.db", "hhdc-export.csv", "manufacturer-export.csv", "witness-report.pdf"):
        assert f"Wrote:      {(out_dir / name).resolve()}" in out
    long_detail = [line for line in out.splitlines() if line.startswith("   DR") and len(line) > 96]
    assert not long_detail  # wrapped, not cut
    assert "OK" in out.splitlines()
    verify = next(line for line in out.splitlines() if line.startswith("Verify:"))
    argv = shlex.split(verify.removeprefix("Verify:").strip())
    assert argv[0] == "bench-app" and "--trust" in argv
    again = _run(argv[1:], env, tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.count("intact, valid, trusted") == 2
    assert Path(argv[argv.index("--trust") + 1]).read_text().count("BEGIN CERTIFICATE") == 2
