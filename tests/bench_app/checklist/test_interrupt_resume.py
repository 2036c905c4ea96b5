"""A real-time wait on the command line: the countdown line, Ctrl-C during the wait, and
``checklist run --resume`` continuing from the store.

The meter is the simulated core reached without bench control (so the bench really waits, as on
a real meter), on a clock that the injected ``sleep`` moves: the waits are real waits, only
faster. The tester's prompt does the stimulus on the simulated meter, as hands would."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from bench_app.checklist import ChecklistEngine, find_template
from bench_app.checklist.simtime import countdown
from bench_app.cli.checklist_time import Interrupt, WaitLine, resume_steps
from bench_app.errors import UsageError
from drivers.sim.control import BenchControl

from .conftest import PASSWORD, factory_for, make_sim

TEMPLATE = "bscp601-protocol-cop1-2-3-5-10"
START = datetime(2026, 10, 25, 0, 40, tzinfo=UTC)


class Bench:
    """A clock that only the waits move, a simulated meter on it and the tester's hands."""

    def __init__(self) -> None:
        self.t = START
        self.sim = make_sim(clock=lambda: self.t)
        self.hands = BenchControl(self.sim)
        self.asked: list[str] = []
        self.interrupt_after_s: float | None = None
        self.waited = 0.0

    def sleep(self, seconds: float) -> None:
        if self.interrupt_after_s is not None and self.waited >= self.interrupt_after_s:
            raise KeyboardInterrupt
        self.t += timedelta(seconds=seconds)
        self.waited += seconds

    def prompt(self, text: str) -> str:
        self.asked.append(text)
        if "remove the battery" in text:
            self.hands.battery_fault()
        elif "refit a good battery" in text:
            self.hands.battery_restore()
        return ""  # Enter: done (or: wait for the period)

    def engine(self, store, session, line=None, stop=None) -> ChecklistEngine:
        return ChecklistEngine(
            store, session, find_template(TEMPLATE), factory_for(self.sim), None, self.prompt,
            protocol="dlms", password=PASSWORD, now=lambda: self.t,
            sleep=stop or self.sleep, progress=line,
        )  # fmt: skip


def test_ctrl_c_during_the_wait_keeps_the_evidence_and_resume_finishes_the_check(store, session):
    bench = Bench()
    out = io.StringIO()
    line = WaitLine(out)
    stop = Interrupt(bench.sleep, line)
    engine = bench.engine(store, session, line, stop)
    line.step = "DR4-2"
    bench.interrupt_after_s = 5 * 60  # Ctrl-C five minutes into the wait
    first = engine.run_step("DR4-2")
    assert stop.interrupted and first.verdict == "not-run"
    assert "interrupted (Ctrl-C)" in first.actual
    assert first.evidence["pending"] and first.evidence["stimuli"]  # what a resume needs
    # the wait said what it waits for, in GB time with UTC, and the time left — not raw seconds
    lines = out.getvalue().splitlines()
    assert lines[0] == ("DR4-2: waiting for SP 4 of Sun 25 Oct 2026 to close at 01:00:00 GMT "
                        "(01:00:00 UTC) — 20:02 left")  # fmt: skip
    assert len(lines) == 6  # a log, not a terminal: the first line, then one a minute

    # a new process: the run is in the store; --resume picks the step up without a new stimulus
    bench.interrupt_after_s = None
    again = bench.engine(store, session)
    assert resume_steps(again, 0) == [s.id for s in again.template.steps]  # none done yet
    assert resume_steps(again, engine.run_id, ["DR4-2", "DR1-1"]) == ["DR1-1", "DR4-2"]
    asked = len(bench.asked)
    done = again.run_step("DR4-2")
    assert done.verdict == "pass", done.actual
    assert done.evidence["resumed"] == first.evidence["pending"]
    assert not any("battery" in a for a in bench.asked[asked:])  # no second stimulus
    assert resume_steps(again, 0, ["DR4-2"]) == []


def test_ctrl_c_at_a_stimulus_prompt_is_a_step_not_run(store, session):
    bench = Bench()
    stop = Interrupt(bench.sleep)

    def prompt(text: str) -> str:
        raise KeyboardInterrupt

    engine = bench.engine(store, session, stop=stop)
    engine.prompt = stop.guard(prompt, "at the prompt")
    out = engine.run_step("DR4-2")
    assert stop.interrupted and out.verdict == "not-run"
    assert out.actual.startswith("not run: interrupted (Ctrl-C) at the prompt")


def test_resume_refuses_another_run_and_a_session_without_one(store, session):
    bench = Bench()
    engine = bench.engine(store, session)
    with pytest.raises(UsageError, match="no run of"):
        resume_steps(engine, 0)
    engine.record("DR1-1", "seen", "pass", by="A. Tester")
    with pytest.raises(UsageError, match=f"that is run {engine.run_id}"):
        resume_steps(engine, engine.run_id + 1)


def test_on_a_terminal_the_countdown_is_one_line_rewritten():
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Tty()
    line = WaitLine(out)
    line.step = "DR4-1a"
    for left in (754.0, 753.0, 752.0, 1.0):
        line(left, "waiting for SP 5 of Sun 25 Oct 2026 to close at 02:30:00 GMT (02:30:00 UTC)")
    text = out.getvalue()
    assert text.count("\r") == 4 and text.count("\n") == 1 and text.endswith("\n")
    assert "— 12:34 left" in text and countdown(3723) == "1:02:03"
