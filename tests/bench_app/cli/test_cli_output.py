"""What the CLI prints while it works: progress with totals, announced waits, honest summaries."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from bench_app.cli import common
from bench_app.cli.read import _Progress, summary
from drivers.model import Channel, Identity, MeterEvent, MeterReading, Profile, ProfileRow

T0 = datetime(2026, 6, 1, tzinfo=UTC)


def test_progress_has_total_and_percentage_or_says_why_not(capsys):
    p = _Progress()
    p(1, 90)
    assert capsys.readouterr().err == ""  # quiet during the first 2 s
    p.t0 -= 10
    p(30, 90)
    assert "reading profile: 30/90 days (33 %)" in capsys.readouterr().err
    p(161, 0)
    err = capsys.readouterr().err
    assert "161 days back so far" in err and "no --from" in err and "?" not in err
    p.done()


def test_waits_longer_than_two_seconds_are_announced(monkeypatch, capsys):
    slept = []
    monkeypatch.setattr("time.sleep", slept.append)
    wait = common.AnnouncedSleep("step DR4-1a")
    wait(0.5)
    assert capsys.readouterr().err == ""
    wait(95)
    err = capsys.readouterr().err
    assert err.startswith("step DR4-1a: waiting 95 s") and "until " in err
    assert slept == [0.5, 95]


def test_summary_says_how_many_events_it_lists_and_counts_days_properly():
    events = [MeterEvent(T0 + timedelta(minutes=i), 1, f"event {i}") for i in range(43)]
    rows = [ProfileRow(T0 + timedelta(minutes=30 * i), [1.0], 0) for i in range(10)]
    reading = MeterReading(
        Identity("S1"), profile=Profile(30, [Channel("1.8.0", "kWh")], rows), events=events
    )
    text = summary(reading)
    assert "Events      43 (the last 5 shown; --json lists all)" in text
    assert text.count("event ") == 5
    assert "over 1 day (UTC dates)" in text
    few = summary(MeterReading(Identity("S1"), events=events[:3]))
    assert "Events      3\n" in few + "\n"


def test_display_detection(monkeypatch, tmp_path):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(common.sys, "platform", "linux")
    assert not common.has_display()
    monkeypatch.setenv("DISPLAY", ":987")  # no X server socket for it
    assert not common.has_display()
    monkeypatch.setenv("DISPLAY", "remote.example:0")
    assert common.has_display()
    monkeypatch.delenv("DISPLAY")
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert common.has_display()


def test_gui_without_a_display_exits_13_before_qt(monkeypatch, tmp_path, capsys):
    import subprocess
    import sys

    env = dict(os.environ)
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-m", "bench_app", "gui", "--db", str(tmp_path / "g.db")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 13, done.stderr
    assert "--smoke-test" in done.stderr and "xvfb-run" in done.stderr
    assert "Traceback" not in done.stderr and "Reinstalling" not in done.stderr
    assert not (tmp_path / "g.db").exists()


def test_docs_exit_code_table_matches_the_cli():
    import re
    from pathlib import Path

    from bench_app.cli import EXIT_CODES

    doc = (Path(__file__).parents[3] / "docs" / "cli.md").read_text(encoding="utf-8")
    table = doc.split("\n## Exit codes", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| (\d+) \| (.*) \|$", table, flags=re.M))
    assert {int(c) for c in rows} == set(EXIT_CODES)
    for code, meaning in EXIT_CODES.items():  # same meaning: the lead clause of each agrees
        lead = re.split(r"[:;(]", meaning, maxsplit=1)[0].strip().lower()
        assert lead in rows[str(code)].replace("`", "").lower(), (code, lead, rows[str(code)])


def test_docs_cli_lists_every_defect_and_sim_control_action():
    import re
    from pathlib import Path

    from bench_app.cli.simulate import ACTION_ARGS
    from drivers.sim.control import ACTIONS
    from drivers.sim.meter import DEFECTS

    doc = (Path(__file__).parents[3] / "docs" / "cli.md").read_text(encoding="utf-8")
    section = doc.split("\n## simulate and sim-control", 1)[1].split("\n## ", 1)[0]
    # the simulator's defects and actions for the criteria checks are told with them
    section += (Path(__file__).parents[3] / "docs" / "criteria.md").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", section)
    for defect in DEFECTS:
        assert defect in text, defect
    for action in ACTIONS:
        assert f"`{action}" in text, action
        assert ACTION_ARGS.get(action), f"sim-control --help says nothing about {action}"
    assert "`advance SECONDS`" in text and "password-length-unchecked" in text
