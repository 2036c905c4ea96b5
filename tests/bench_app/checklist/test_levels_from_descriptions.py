"""The checklist takes association levels and SAPs from the same meter descriptions as the
drivers and the simulator (:mod:`bench_app.meters`: the user's ``meters/`` folder first, then
``resources/meters``) — one source of truth."""

from __future__ import annotations

from pathlib import Path

from bench_app import meters
from bench_app.checklist.levels import association, session_association
from bench_app.paths import user_data_dir
from drivers.description import DescriptionError
from drivers.sim.meter import MeterDescription

ROOT = Path(__file__).resolve().parents[3]


def test_level_2_sap_of_each_described_meter():
    assert association(2).client_sap == 48  # default: the simulated Prometer
    assert association(2, "NX7") == (2, 33, "northgate-nx7")
    assert association(2, "PRO", meter="northgate-nx7").client_sap == 33  # --meter wins


def test_a_labs_own_description_gives_its_saps(store, session_id):
    """A description only in the user's meters/ folder (the simulator's loader never sees it)."""
    text = (ROOT / "resources/meters/prometer100.toml").read_text(encoding="utf-8")
    text = text.replace('outstation_type = "PRO"', 'outstation_type = "LAB"')
    text = text.replace("sap = 48", "sap = 50").replace('name = "prometer100"', 'name = "labm"')
    folder = user_data_dir() / "meters"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "labm.toml").write_text(text, encoding="utf-8")
    store.set_equipment(session_id, outstation_type="LAB", serials=["L1"])
    assert session_association(store, session_id, 2) == (2, 50, "labm")


def test_the_sessions_bench_record_names_the_description(store, session_id):
    store.set_equipment(session_id, outstation_type="PRO", serials=["S1"])
    assert session_association(store, session_id, 2).client_sap == 48
    store.set_session_record(session_id, "bench", {"simulator": True, "meter": "northgate-nx7"})
    assert session_association(store, session_id, 2).meter == "northgate-nx7"
    store.set_session_record(session_id, "bench", {"simulator": True, "meter": "PRO-SIM-000123"})
    assert session_association(store, session_id, 2).meter == "prometer100"  # a serial: by type


def test_simulator_and_descriptions_share_one_file_per_meter():
    assert not (ROOT / "drivers/sim/meters").exists()  # no second copy for the simulator
    simulated = 0
    for name in MeterDescription.available():
        try:
            sim = MeterDescription.load(name)
        except DescriptionError:  # a description of real meters only (no simulator values)
            continue
        simulated += 1
        desc = meters.load(name)
        assert {(a.level, a.sap) for a in sim.associations} == {
            (lv.level, lv.client_sap) for lv in desc.levels
        }, name
    assert simulated >= 2
