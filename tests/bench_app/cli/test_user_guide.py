"""The docs run: every ``sh`` block of docs/user-guide.md and of README.md's tour, literally.

Per document, the blocks run in order in one ``bash -e`` (so ``SID=…`` and ``export`` carry
over), starting in the repository root (each document's first block activates ``.venv``;
``HOME`` is a temporary folder, so ``~/…`` stays inside the test). Each ``text`` block after an
``sh`` block lists lines that block's output must contain (``…`` stands for anything). The one
liberty taken: the simulator's ports 4059/4060 become free ports, so parallel runs do not collide.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
GUIDE = REPO / "docs" / "user-guide.md"
README = REPO / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\s*$", re.S | re.M)
PORTS = ("4059", "4060")


def blocks(text: str) -> list[tuple[str, list[str]]]:
    """``(sh block, [expected lines])`` in document order."""
    out: list[tuple[str, list[str]]] = []
    for lang, body in FENCE.findall(text):
        if lang == "sh":
            out.append((body, []))
        elif lang == "text" and out:
            out[-1][1].extend(line.strip() for line in body.splitlines() if line.strip())
    return out


def _pattern(line: str) -> re.Pattern[str]:
    return re.compile(".*?".join(re.escape(part.strip()) for part in line.split("…")))


def _free_ports(n: int) -> list[str]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [str(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


def test_guide_parses_into_runnable_blocks_with_expectations():
    found = blocks(GUIDE.read_text(encoding="utf-8"))
    assert len(found) >= 10
    assert found[0][0].startswith(". .venv/bin/activate")
    commands = "\n".join(body for body, _ in found)
    for needed in ("session new", "session set participant", "session set equipment",
                   "session set software", "read ", "import ", "reconcile", "checklist run",
                   "checklist confirm", "keys new", "report ", "verify "):  # fmt: skip
        assert f"bench-app {needed}" in commands, needed
    assert "session create" not in GUIDE.read_text(encoding="utf-8")
    expected = [line for _, lines in found for line in lines]
    assert "Overall result: PASS" in expected and "OK" in expected
    assert _pattern("a … b").search("a xx b") and not _pattern("a … b").search("b a")


def test_readme_tour_is_short_and_runnable():
    text = README.read_text(encoding="utf-8")
    assert len(text.encode("utf-8")) < 12 * 1024
    found = blocks(text)
    assert found[0][0].startswith(". .venv/bin/activate")
    assert found[-1][1] == ["OK", "UNTRUSTED", "exit 15"]
    for doc in ("user-guide", "cli", "architecture", "contributing", "glossary"):
        assert f"(docs/{doc}.md)" in text, doc


@pytest.mark.skipif(sys.platform == "win32", reason="the blocks are POSIX shell")
@pytest.mark.parametrize("doc", [GUIDE, README], ids=["user-guide", "readme"])
def test_every_command_of_the_doc_runs_with_the_documented_output(doc, tmp_path):
    """The user guide ends in an overall PASS and verify OK; README's tour shows both too."""
    activate = REPO / ".venv" / "bin" / "activate"
    assert activate.is_file(), "run `make setup` first: the docs activate .venv"
    ports = dict(zip(PORTS, _free_ports(len(PORTS)), strict=True))
    found = []
    for body, expected in blocks(doc.read_text(encoding="utf-8")):
        for old, new in ports.items():
            body = body.replace(old, new)
            expected = [e.replace(old, new) for e in expected]
        found.append((body, expected))
    outdir = tmp_path / "outputs"
    outdir.mkdir()
    script = ["set -o pipefail"]
    for i, (body, _) in enumerate(found):
        script.append(f'echo {i} > "{outdir}/current"')
        script.append(f'{{\n{body}\n}} > "{outdir}/{i}.out" 2>&1')
    script.append(f'echo done > "{outdir}/current"')
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WITNESS_BENCH")}
    env.update(HOME=str(home), WITNESS_BENCH_HOME=str(home / "data"), PYTHONWARNINGS="ignore")
    proc = subprocess.Popen(
        ["bash", "-e", "-c", "\n".join(script)],
        cwd=REPO, env=env, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        shell_out, _ = proc.communicate(timeout=900)
    finally:
        try:  # the simulator, if the guide stopped before `kill $SIM`
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    current = (outdir / "current").read_text().strip()
    if current != "done":
        i = int(current)
        out = (outdir / f"{i}.out").read_text(errors="replace")
        pytest.fail(f"block {i} failed (exit {proc.returncode}):\n{found[i][0]}\n--- output:\n"
                    f"{out[-4000:]}{shell_out[-2000:]}")  # fmt: skip
    assert proc.returncode == 0, shell_out
    for i, (body, expected) in enumerate(found):
        out = (outdir / f"{i}.out").read_text(errors="replace")
        assert "Traceback" not in out, (body, out)
        lines = out.splitlines()
        for want in expected:
            pat = _pattern(want)
            assert any(pat.search(line) for line in lines), (
                f"block {i}:\n{body}\nexpected a line matching {want!r}; got:\n{out[-4000:]}"
            )
    if doc == GUIDE:
        rehearsal = home / "wb-rehearsal"
        assert (rehearsal / "report.pdf").is_file() and (rehearsal / "bench.db").is_file()
