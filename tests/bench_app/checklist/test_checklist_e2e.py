"""End to end: ``bench-app checklist run --auto`` against the real simulators over TCP, with the
real protocol drivers and the JSON bench-control channel — healthy and with each ``--defect``.

Skipped for a protocol until its simulator front end and driver exist.
"""

from __future__ import annotations

import importlib
import json

import pytest

from bench_app.cli import main
from bench_app.store import Store
from tests.bench_app.checklist.conftest import declare_sim_equipment

pytestmark = pytest.mark.slow

#: protocol → (simulator front end module, driver module, Level 2 / P1 password of the sim meter)
STACKS = {
    "dlms": ("drivers.sim.dlms", "drivers.dlms.meter", "HHDC2PASS"),
    "iec21": ("drivers.sim.iec21", "drivers.iec62056_21.meter", "ABCDEF12"),
}
DR_IDS = [
    "DR1-1",
    "DR1-2",
    "DR2-1",
    "DR2-2",
    "DR3-1",
    "DR3-2",
    "DR3-3",
    "DR4-1a",
    "DR4-1b",
    "DR4-2",
    "DR4-3",
    "DR4-4",
    "DR4-5",
    "EQ-1",
]


def _stack(protocol: str) -> str:
    sim_mod, drv_mod, password = STACKS[protocol]
    for mod in (sim_mod, drv_mod):
        try:
            importlib.import_module(mod)
        except ImportError as exc:
            pytest.skip(f"{mod} not available yet ({exc})")
    return password


@pytest.fixture
def bench(tmp_path):
    """Start a simulator (protocol, defects) and return a runner of ``checklist run --json``."""
    from drivers.sim import start_simulator

    handles = []
    db = tmp_path / "e2e.db"
    with Store.open(db) as store:
        sid = store.create_session("BSCP601-E2E", "protocol-approval", cops=["CoP5"])

    def start(protocol: str, *defects: str):
        password = _stack(protocol)
        sim = start_simulator(
            protocol, "tcp://127.0.0.1:0", seed=3, days=3, defects=list(defects), control_port=0
        )
        handles.append(sim)
        with Store.open(db) as store:  # EQ-1 compares the meter with this declaration
            declare_sim_equipment(store, sid, sim.meter.description)

        def run(*steps: str, capsys=None) -> dict:
            argv = [
                "checklist",
                "run",
                "--session",
                str(sid),
                "--db",
                str(db),
                "--template",
                "bscp601-protocol-cop1-2-3-5-10",
                "--auto",
                "--json",
                "--port",
                sim.url,
                "--protocol",
                protocol,
                "--password",
                password,
                "--control",
                sim.control_url,
                "--timeout",
                "5",
            ]
            for s in steps:
                argv += ["--step", s]
            assert main(argv) == 0
            out = capsys.readouterr().out
            return {s["step_id"]: s for s in json.loads(out)["steps"]}

        return run, sim

    yield start, db, sid
    for h in handles:
        h.stop()


def test_auto_run_against_healthy_dlms_passes_every_dr_step(bench, capsys):
    start, db, sid = bench
    run, sim = start("dlms")
    steps = run(capsys=capsys)
    assert list(steps) == DR_IDS
    bad = {k: v["actual"] for k, v in steps.items() if v["verdict"] != "pass"}
    assert not bad
    with Store.open(db) as store:
        assert store.verify(sid).ok
        traces = {t["id"] for t in store.traces(sid)}
        cols = {c["id"] for c in store.collections(sid)}
        events = {e["id"] for e in store.events(sid)}
        for s in steps.values():
            assert set(s["evidence"].get("trace_ids", [])) <= traces
            assert set(s["evidence"].get("collection_ids", [])) <= cols
            assert set(s["evidence"].get("event_ids", [])) <= events


def test_auto_run_against_iec21_runs_what_the_protocol_supports(bench, capsys):
    start, _, _ = bench
    run, _ = start("iec21")
    steps = run(capsys=capsys)
    assert list(steps) == DR_IDS
    for sid, s in steps.items():
        assert s["verdict"] in ("pass", "na"), (sid, s["actual"])
        if s["verdict"] == "na":
            assert "cannot" in s["actual"]


@pytest.mark.parametrize(
    ("defect", "steps", "failing", "words"),
    [
        ("accept-wrong-password", ["DR2-1"], "DR2-1", "was ACCEPTED"),
        ("clear-alarms-on-read", ["DR4-2"], "DR4-2", "reading cleared the alarm"),
        ("lose-data-on-supply-cut", ["DR4-1b"], "DR4-1b", "NOT intact"),
        ("clock-correction-unflagged", ["DR3-2"], "DR3-2", "no clock-change event logged"),
        ("reading-changes-data", ["DR1-1", "DR1-2"], "DR1-2", "data changed between readings"),
    ],
)
@pytest.mark.parametrize("protocol", ["dlms", "iec21"])
def test_each_defect_fails_the_matching_step(
    bench, capsys, protocol, defect, steps, failing, words
):
    start, _, _ = bench
    run, _ = start(protocol, defect)
    result = run(*steps, capsys=capsys)
    if result[failing]["verdict"] == "na":
        pytest.skip(f"{failing} is not applicable to {protocol}")
    assert result[failing]["verdict"] == "fail", result[failing]["actual"]
    assert words in result[failing]["actual"]
