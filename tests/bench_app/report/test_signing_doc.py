"""docs/signing.md runs as written: its trust file and every command of its example."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from bench_app.cli import main

DOC = Path(__file__).parents[3] / "docs" / "signing.md"


def _blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_the_signing_example_runs_and_verifies(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WITNESS_BENCH_PASSPHRASE", raising=False)
    (tmp_path / "tester.pass").write_text("tester passphrase\n")
    (tmp_path / "witness.pass").write_text("witness passphrase\n")
    (toml,) = _blocks("toml")
    (commands,) = _blocks("sh")
    for line in commands.strip().splitlines():
        argv = shlex.split(line)
        assert argv[0] == "bench-app"
        if argv[1] == "verify":
            (tmp_path / "keys" / "trust.toml").write_text(toml)
        code = main(argv[1:])
        out = capsys.readouterr()
        assert code == 0, (line, out.out, out.err)
    assert out.out.splitlines()[-1] == "OK"
