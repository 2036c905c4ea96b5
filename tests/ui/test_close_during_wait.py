"""Closing the window while DR4-1a waits for its settlement period: a question, then a clean
exit (code 0, no 'QThread: Destroyed while thread is still running'); after a restart the run
shows DR4-1a not run with the evidence stored so far, and the step can be run again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ui.test_port_simulator import simulator_process  # noqa: F401 - fixture

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def test_close_while_a_step_waits_exits_cleanly(qtbot, tmp_path, simulator_process):  # noqa: F811
    from bench_app.store import Store

    db = tmp_path / "bench.db"
    with Store.open(db) as store:
        sid = store.create_session("P601-CLOSE", "protocol-approval", cops=["5"])
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "tests.ui.close_during_wait_app", str(db), str(sid),
         simulator_process],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "asked: " in proc.stdout and "waiting: DR4-1a waiting: SP " in proc.stdout, out
    assert "QThread: Destroyed" not in out

    # after the restart: DR4-1a not run, with its evidence; the run is open to continue
    from ui.app import build_window, make_app

    make_app()
    window, ctx = build_window(db, sid)
    qtbot.addWidget(window)
    chk = window.checklist
    chk.template_combo.setCurrentIndex(
        chk.template_combo.findData("bscp601-protocol-cop1-2-3-5-10")
    )
    row = next(r for r in chk.rows if r["step"] == "DR4-1a")
    assert row["verdict"] == "not-run" and row["attempt"] == 1
    assert "cancelled by the tester" in row["actual"]
    ev = row["evidence"]
    assert ev.get("trace_ids") and ev.get("clock_observation_ids")
    assert ev["stimuli"][0]["by"] == "A. Tester"  # the form's confirmation is evidence
    assert ev["stimuli"][0]["instruction"] == "remove phase L1"
    chk.steps.setCurrentRow([r["step"] for r in chk.rows].index("DR4-1a"))
    assert chk.run_btn.isEnabled()  # the step can be run again in the same (open) run
    ctx.shutdown()
