"""Every ``bench-app`` command shown in docs/observe.md parses with today's options."""

from __future__ import annotations

import shlex
from pathlib import Path

from bench_app.cli import build_parser

DOC = Path(__file__).resolve().parents[3] / "docs" / "observe.md"


def test_documented_commands_parse():
    parser = build_parser([])
    commands = [
        line[len("$ bench-app ") :]
        for line in DOC.read_text(encoding="utf-8").splitlines()
        if line.startswith("$ bench-app ")
    ]
    assert len(commands) >= 6
    for command in commands:
        args = parser.parse_args(shlex.split(command))
        assert callable(args.func), command
