"""docs/equipment.md runs: its shell block is executed literally (``bench-app`` as this Python's
``-m bench_app``) in a temporary folder, and the figures the text states are what it prints."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _block() -> list[str]:
    text = (ROOT / "docs" / "equipment.md").read_text(encoding="utf-8")
    (body,) = re.findall(r"```sh\n(.*?)```", text, re.S)
    return [line for line in body.splitlines() if line.strip()]


def test_the_walk_through_runs_and_prints_what_it_says(tmp_path):
    shutil.copytree(ROOT / "resources" / "samples", tmp_path / "resources" / "samples")
    outs = []
    for line in _block():
        cmd = line.replace("bench-app", f'"{sys.executable}" -m bench_app')
        done = subprocess.run(cmd, shell=True, cwd=tmp_path, capture_output=True, text=True,
                              timeout=120)  # fmt: skip
        assert done.returncode == 0, f"{line}\n{done.stderr}"
        outs.append(done.stdout)
    first, after = outs[1].split("after plan")
    assert re.search(r"exact\s+5\s+0\.50%", first)
    assert re.search(r"assessed-equivalent\s+535\s+53\.50%", first)
    assert re.search(r"covered\s+54\.00%", first)
    assert re.search(r"exact\s+5\s+0\.50%", after)
    assert (tmp_path / "ppcl-v1.0.csv").read_text(encoding="utf-8").count("\n") == 6
    assert re.search(r"covered\s+69\.00%", outs[-1])
