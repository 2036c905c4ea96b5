"""``probe --draft D`` then ``read --meter D`` on meters that behave the way real ones do: the
draft records what the probe saw, and the read with it — no hand edit — returns exactly the rows
the meter holds, with exit 0, or 16 and the warning that applies."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bench_app.cli import main
from drivers.sim import SimOptions, start_simulator

T0 = datetime(2025, 3, 10, 10, 5, tzinfo=UTC)
H = timedelta(hours=1)
HOUR = T0.replace(minute=0)  # spans start on period boundaries (a read aligns its start down)

CASES = {
    # meter: (quirk the draft must set, --from, --to, exit code, warning text)
    "sim-deviation-refused": ("range_deviation_unspecified", HOUR - 48 * H, HOUR - 24 * H, 0, None),
    "sim-entry-gaps": ("entry_based_profile", HOUR - 96 * H, HOUR - H, 0, None),
    "sim-profile-stopped": ("entry_based_profile", HOUR - 72 * H, T0, 16, "stopped capturing"),
    "sim-no-selective-access": ("no_selective_access", HOUR - 48 * H, HOUR - 24 * H, 0, None),
}


def held(sim, start, end):
    """Rows the simulated meter holds that start at ``start`` or later and end by ``end``."""
    period = timedelta(seconds=sim.meter.period_s)
    return [r for r in sim.meter.profile_rows(start, end) if r[0] + period <= end]


@pytest.mark.parametrize("meter", sorted(CASES))
def test_probe_draft_then_read_returns_the_rows_held(meter, tmp_path, capsys):
    quirk, start, end, exit_code, warning = CASES[meter]
    draft = tmp_path / f"{meter}-draft.toml"
    with start_simulator("dlms", options=SimOptions(meter=meter), clock=lambda: T0) as sim:
        base = ["--port", sim.url, "--protocol", "dlms", "--password", "HHDC2PASS"]
        assert main(["probe", *base, "--draft", str(draft), "--json"]) == 0
        probed = json.loads(capsys.readouterr().out)
        code = main(["read", *base, "--meter", str(draft), "--from", start.isoformat(),
                     "--to", end.isoformat(), "--json"])  # fmt: skip
        reading = json.loads(capsys.readouterr().out)
        want = held(sim, start, end)
    text = draft.read_text(encoding="utf-8")
    assert f"\n{quirk} = true\n" in text  # found by trying, not edited in
    assert probed["findings"]["quirks"][quirk]["value"] is True
    assert {t["trial"] for t in probed["trials"]} >= {
        "range selection with deviation", "range selection with deviation not specified",
        "entry selection", "no selective access", "GET-with-list", "block transfer",
        "HDLC window and information field", "referencing", "clock deviation and status",
    }  # fmt: skip
    rows = reading["profile"]["rows"]
    assert len(rows) == len(want) > 0
    assert [r["start"] for r in rows] == [w[0].strftime("%Y-%m-%dT%H:%M:%SZ") for w in want]
    assert code == exit_code
    reasons = [w["reason"] for w in reading["warnings"]]
    if warning is None:
        assert reasons == []
    else:
        assert len(reasons) == 1 and warning in reasons[0]


def test_gaps_make_entry_numbers_differ_from_periods_back(tmp_path, capsys):
    """The span crosses both outages: counting periods back from now would miss rows."""
    _, start, end, _, _ = CASES["sim-entry-gaps"]
    opts = SimOptions(meter="sim-entry-gaps")
    with start_simulator("dlms", options=opts, clock=lambda: T0) as sim:
        want = held(sim, start, end)
    assert len(want) < (end - start) // timedelta(minutes=30) - 10


def test_the_commands_in_docs_meters_run(tmp_path, capsys, monkeypatch):
    """docs/meters.md: the probe and read lines run against the simulator the doc starts."""
    import re
    import shlex
    from pathlib import Path

    doc = (Path(__file__).parents[3] / "docs" / "meters.md").read_text(encoding="utf-8")
    lines = re.findall(r"^bench-app .*$", doc, flags=re.M)
    simulate = shlex.split(lines[0])
    assert simulate[1:3] == ["simulate", "--meter"]
    monkeypatch.chdir(tmp_path)
    opts = SimOptions(meter=simulate[3])
    with start_simulator("dlms", options=opts, clock=lambda: T0) as sim:
        port = sim.url.rsplit(":", 1)[1]
        for line in lines[1:]:
            args = shlex.split(line.replace("PORT", port))[1:]
            assert main(args) == 0, line
    assert "Profile     " in capsys.readouterr().out
