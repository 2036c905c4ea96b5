"""The whole BSCP601 protocol checklist against the SECOND simulated DLMS meter (northgate-nx7):
its own OBIS codes, event codes, status bits and client SAPs, all taken from its description
(``--meter northgate-nx7``), over the real simulator, driver and bench-control channel."""

from __future__ import annotations

import json

import pytest

from bench_app import meters
from bench_app.cli import main
from bench_app.store import Store
from drivers.sim import SimOptions, start_simulator
from tests.bench_app.checklist.conftest import add_exports, declare_sim_equipment

pytestmark = pytest.mark.slow


def test_bscp601_checklist_passes_against_the_second_dlms_meter(tmp_path, capsys):
    d = meters.load("northgate-nx7")
    assert d.level(2).client_sap == 33  # not the Prometer's 48: the SAP comes from the file
    db = tmp_path / "nx7.db"
    opts = SimOptions(meter="northgate-nx7", seed=3, days=22)  # BSCP601 set-up: >= 20 days
    with start_simulator("dlms", options=opts, control_port=0) as sim:
        with Store.open(db) as store:
            sid = store.create_session("BSCP601-NX7", "protocol-approval", cops=["CoP5"])
            declare_sim_equipment(store, sid, sim.meter.description)
            add_exports(store, sid, sim.meter)  # DR1-1 compares the HHDC and maker's exports
        argv = [
            "checklist", "run", "--session", str(sid), "--db", str(db),
            "--template", "bscp601-protocol-cop1-2-3-5-10", "--auto", "--json",
            "--port", sim.url, "--protocol", "dlms", "--meter", "northgate-nx7",
            "--password", d.level(2).password, "--control", sim.control_url, "--timeout", "5",
        ]  # fmt: skip
        code = main(argv)
    out = capsys.readouterr()
    steps = {s["step_id"]: s for s in json.loads(out.out)["steps"]}
    bad = {k: v["actual"] for k, v in steps.items() if v["verdict"] != "pass"}
    assert code == 0 and not bad, bad
    assert len(steps) >= 14
    with Store.open(db) as store:
        events = store.events(sid)
    # the meter sent its own numbers (76 = phase failure L2 …); the bench stored its kinds
    assert {e["code"] for e in events} >= {1, 2, 3, 10, 11, 20, 30, 40, 60, 70}
