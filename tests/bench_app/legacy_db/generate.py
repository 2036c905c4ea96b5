"""Build the frozen session databases in this folder with the code of the commit that wrote them.

Each entry of :data:`BUILDS` names a commit of ``main`` whose code wrote a schema version (PRAGMA
``user_version``) that no later code writes. The script checks that commit out in a temporary git
worktree, runs *that* commit's own demo (``python -m bench_app demo --days 3 --headless``: a
session with bench readings, the HHDC and manufacturer exports imported, the BSCP601 checklist
run and confirmed, a report signed by tester and witness) with the interpreter running this
script and ``PYTHONPATH`` pointed at the old tree, and keeps:

- ``<name>/demo.db``: the session database exactly as the old code left it (WAL checkpointed);
- ``<name>/witness-report.pdf``: the report that old code signed;
- ``<name>/trust.pem``: the demo signers' certificates (public; the PKCS#12 keys are not kept);

and records commit, ``user_version``, tables, row counts and the audit head in ``manifest.json``,
with what today's ``bench-app verify`` answers for that report (``verify_today``).

Usage (from the repository root, with the project's venv)::

    .venv/bin/python tests/bench_app/legacy_db/generate.py            # every build
    .venv/bin/python tests/bench_app/legacy_db/generate.py v4-register  # one build
    .venv/bin/python tests/bench_app/legacy_db/generate.py --verify-only  # verify_today again

A build is only needed once per schema version: the files are committed (``git add -f``, ``*.db``
is ignored) and never rebuilt by the tests.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]

#: name -> (commit, what that commit's schema holds). Today's migration numbers in brackets.
BUILDS: dict[str, tuple[str, str]] = {
    "v3-first-landing": (
        "31005ad",
        "user_version 3: core evidence, checklist runs, look-up indexes [1-3]; the first landing",
    ),
    "v4-register": (
        "09556bd^1",
        "user_version 4: adds the equipment register [4]",
    ),
    "v9-renumbered-no-acquisition": (
        "09556bd",
        "user_version 9 written while the approval records were numbered 9: holds [1-4] and [7]",
    ),
    "v9-renumbered-acquisition": (
        "7113423",
        "user_version 9 written while the approval records were numbered 9: holds [1-5] and [7]",
    ),
    "v7-session-records": (
        "4aef420",
        "user_version 7: acquisition [5], session records [6], approval records renumbered [7]",
    ),
    "v10-first-statement": (
        "11ee616",
        "user_version 10: the first landing whose reports embed their statement (pages drawn "
        "from it, no layout version recorded)",
    ),
    "v11-last-before-layout": (
        "f67438b",
        "user_version 11 (simulated marks [11]): the last landing before statements recorded "
        "their page layout",
    ),
}


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout.strip()


def _describe(db: Path) -> dict[str, object]:
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        tables = sorted(
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        )
        sessions = [r[0] for r in conn.execute("SELECT id FROM sessions ORDER BY id")]
        heads = {
            str(sid): conn.execute(
                "SELECT hash FROM audit WHERE session_id = ? ORDER BY seq DESC LIMIT 1", (sid,)
            ).fetchone()[0]
            for sid in sessions
        }
        counts = {
            t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
            for t in ("readings", "events", "audit", "checklist_steps", "traces")
        }
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()
    return {"user_version": version, "tables": tables, "audit_heads": heads, "rows": counts}


def _verify_today(folder: Path) -> dict[str, object]:
    """What today's ``bench-app verify`` answers for the old report against a copy of its database
    (exit code and ``problem:`` lines), so the test notices when that answer changes."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.db"
        shutil.copyfile(folder / "demo.db", db)
        run = subprocess.run(
            [sys.executable, "-m", "bench_app", "verify", str(folder / "witness-report.pdf"),
             "--trust", str(folder / "trust.pem"), "--db", str(db)],
            cwd=REPO, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    lines = run.stdout.splitlines()
    problems = [ln[len("problem: ") :] for ln in lines if ln.startswith("problem: ")]
    warnings = [ln for ln in lines if ": warning - " in ln]
    return {"exit": run.returncode, "result": lines[-1] if lines else "", "problems": problems,
            "warnings": warnings}  # fmt: skip


def build(name: str, manifest: dict[str, dict[str, object]]) -> None:
    """Run the old commit's demo for ``name`` and keep its database, report and certificates."""
    ref, note = BUILDS[name]
    commit = _git("rev-parse", f"{ref}^{{commit}}")
    tree = Path(tempfile.mkdtemp(prefix=f"wb-legacy-{name}-"))
    out = Path(tempfile.mkdtemp(prefix="wb-legacy-out-")) / "demo"
    _git("worktree", "add", "--detach", str(tree), commit)
    try:
        env = {**os.environ, "PYTHONPATH": str(tree)}
        run = subprocess.run(
            [sys.executable, "-m", "bench_app", "demo", "--days", "3", "--headless",
             "--out", str(out)],
            cwd=tree, env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        if run.returncode != 0:
            raise SystemExit(f"{name}: the demo of {commit[:10]} exited {run.returncode}:\n"
                             f"{run.stdout[-2000:]}{run.stderr[-2000:]}")  # fmt: skip
        dest = HERE / name
        dest.mkdir(exist_ok=True)
        info = _describe(out / "demo.db")
        shutil.copyfile(out / "demo.db", dest / "demo.db")
        shutil.copyfile(out / "witness-report.pdf", dest / "witness-report.pdf")
        certs = sorted((out / "keys").glob("*-tester.pem")) + sorted(
            (out / "keys").glob("*-witness.pem")
        )
        (dest / "trust.pem").write_text("".join(p.read_text() for p in certs))
        date = _git("log", "-1", "--format=%cI", commit)
        manifest[name] = {"commit": commit, "committed": date, "note": note, **info,
                          "verify_today": _verify_today(dest)}  # fmt: skip
        print(f"{name}: user_version {info['user_version']} from {commit[:10]} ({date})")
    finally:
        _git("worktree", "remove", "--force", str(tree))
        shutil.rmtree(out.parent, ignore_errors=True)


def main(argv: list[str]) -> int:
    verify_only = "--verify-only" in argv
    argv = [a for a in argv if a != "--verify-only"]
    names = argv or list(BUILDS)
    unknown = [n for n in names if n not in BUILDS]
    if unknown:
        print(f"unknown build(s) {unknown}; known: {', '.join(BUILDS)}", file=sys.stderr)
        return 2
    path = HERE / "manifest.json"
    manifest = json.loads(path.read_text()) if path.exists() else {}
    for name in names:
        if verify_only:  # today's answer again (after a change to verify), nothing rebuilt
            manifest[name]["verify_today"] = _verify_today(HERE / name)
            print(f"{name}: verify {manifest[name]['verify_today']['result']}")
        else:
            build(name, manifest)
    path.write_text(json.dumps(dict(sorted(manifest.items())), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
