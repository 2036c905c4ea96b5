"""docs/cli.md's set-clock example runs: each ``$ bench-app`` line of its console block, in order,
against a simulated outstation (its ports 4059/4060 become the simulator's), into a fresh default
database; every other line is output that command must print (``…`` stands for anything), and a
command whose output starts ``error:`` must fail (exit 2)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from bench_app.cli import main
from drivers.sim import start_simulator

DOC = Path(__file__).resolve().parents[3] / "docs" / "cli.md"


def _example() -> list[tuple[str, list[str]]]:
    section = DOC.read_text(encoding="utf-8").split("\n## set-clock", 1)[1].split("\n## ", 1)[0]
    body = re.search(r"^```console\n(.*?)^```", section, re.S | re.M)
    assert body, "docs/cli.md's set-clock section shows no console block"
    out: list[tuple[str, list[str]]] = []
    for line in body.group(1).splitlines():
        if line.startswith("$ bench-app "):
            out.append((line[len("$ bench-app ") :], []))
        elif line.strip() and out:
            out[-1][1].append(line.strip())
    return out


def test_the_documented_set_clock_session_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WITNESS_BENCH_HOME", str(tmp_path))
    steps = _example()
    assert len(steps) >= 4 and any("--by" in c for c, _ in steps)
    with start_simulator("dlms", control_port=0) as sim:
        for command, expected in steps:
            command = command.replace("socket://127.0.0.1:4059", sim.url)
            command = command.replace("tcp://127.0.0.1:4060", str(sim.control_url))
            code = main(shlex.split(command))
            got = capsys.readouterr()
            text = got.out + got.err
            failing = bool(expected) and expected[0].startswith("error:")
            assert (code != 0) == failing, (command, code, text)
            for line in expected:
                pattern = ".*?".join(re.escape(p.strip()) for p in line.split("…"))
                assert re.search(pattern, text), (command, line, text)
