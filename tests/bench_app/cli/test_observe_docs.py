"""Every ``bench-app`` command shown in docs/observe.md and docs/witnessed.md parses with today's
options."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from bench_app.cli import build_parser

DOCS = Path(__file__).resolve().parents[3] / "docs"


@pytest.mark.parametrize(("name", "least"), [("observe.md", 6), ("witnessed.md", 5)])
def test_documented_commands_parse(name, least):
    parser = build_parser([])
    commands = [
        line[len("$ bench-app ") :]
        for line in (DOCS / name).read_text(encoding="utf-8").splitlines()
        if line.startswith("$ bench-app ")
    ]
    assert len(commands) >= least
    for command in commands:
        args = parser.parse_args(shlex.split(command))
        assert callable(args.func), command
