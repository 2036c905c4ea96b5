"""``bench-app probe`` against both built-in simulated DLMS meters, and a draft that reads one."""

from __future__ import annotations

import json
import re

import pytest

from bench_app.cli import main
from drivers.description import builtin_dir
from drivers.sim import SimOptions, start_simulator

PASSWORDS = {"prometer100": ("HHDC2PASS", 48), "northgate-nx7": ("NXHHDC22", 33)}


@pytest.mark.parametrize("name", sorted(PASSWORDS))
def test_probe_lists_objects_with_access_and_names_the_description(name, capsys):
    with start_simulator("dlms", options=SimOptions(meter=name, days=1)) as sim:
        code = main(["probe", "--port", sim.url, "--protocol", "dlms", "--json"])
        text_code = main(["probe", "--port", sim.url, "--protocol", "dlms"])
    out, text = capsys.readouterr().out.split("\n}\n", 1)
    result = json.loads(out + "}")
    assert code == text_code == 0
    assert result["match"] == name
    assert result["level"] == "public (SAP 16)"
    objects = {o["obis"]: o for o in result["objects"]}
    assert objects["0.0.40.0.0.255"]["class"] == "Association LN"
    assert objects["0.0.1.0.0.255"]["access"]["2"] == "read"  # the public client may read it
    assert objects["1.0.1.8.0.255"]["access"]["2"] == "none"  # … but not the energy
    assert f"matches description {name!r}" in text
    assert (
        result["identification"]
        == {"prometer100": "SMLSIM000000123", "northgate-nx7": "NGTSIM0099887766"}[name]
    )  # the LDN
    # the other built-in meter does not fit: its objects are not all there
    others = [c for c in result["candidates"] if c["name"] != name]
    assert all(c["score"] < 0.9 for c in others if c["name"] in PASSWORDS)


def test_a_meter_with_objects_missing_matches_nothing(capsys):
    gone = ["0.0.99.98.0.255", "1.0.99.1.0.255", "0.0.96.1.0.255", "0.0.96.11.0.255"]
    opts = SimOptions(meter="prometer100", days=1, without=gone)
    with start_simulator("dlms", options=opts) as sim:
        assert main(["probe", "--port", sim.url, "--protocol", "dlms"]) == 0
    out = capsys.readouterr().out
    assert "no known description matches; closest" in out


def test_draft_of_the_second_meter_reads_it_fully(tmp_path, capsys):
    draft = tmp_path / "lab-nx7.toml"
    password, sap = PASSWORDS["northgate-nx7"]
    opts = SimOptions(meter="northgate-nx7", days=2)
    with start_simulator("dlms", options=opts) as sim:
        sim.control.phase_failure(3)
        sim.control.battery_fault()
        base = ["--port", sim.url, "--protocol", "dlms", "--password", password]
        assert main(["probe", *base, "--client-sap", str(sap), "--draft", str(draft)]) == 0
        capsys.readouterr()
        read = ["read", *base, "--meter", str(draft), "--json"]
        first = main(read)
        as_drafted = json.loads(capsys.readouterr().out)
        # the engineer completes what cannot be discovered: codes and bits, from the maker's doc
        maker = (builtin_dir() / "northgate-nx7.toml").read_text(encoding="utf-8")
        tables = re.search(r"(\[event_codes\].*?)\n\[quirks\]", maker, re.S).group(1)
        text = draft.read_text(encoding="utf-8")
        text = text[: text.index("\n[event_codes]") + 1] + tables + "\n"
        draft.write_text(text, encoding="utf-8")
        second = main(read)
        completed = json.loads(capsys.readouterr().out)
    for reading in (as_drafted, completed):
        assert reading["identity"]["serial"] == "NX7-0099887766"
        assert reading["identity"]["outstation_type"] == "NX7"
        assert len(reading["identity"]["firmware"]) == 3
        assert [r["obis"] for r in reading["registers"]][2] == "1.0.5.8.0.255"
        assert len(reading["profile"]["rows"]) >= 2 * 48 - 1
        assert len(reading["events"]) == 2  # phase failure L3 (second log) + battery
    # as drafted: every object read, only the mapping the probe cannot know is warned about
    assert first == 16
    assert {w["object"] for w in as_drafted["warnings"]} == {"0.0.96.11.1.255"}
    assert {e["code"] for e in as_drafted["events"]} == {0}  # no kind guessed
    assert second == 0 and completed["warnings"] == []
    assert {e["text"] for e in completed["events"]} == {"Phase failure L3", "Battery fault"}


def test_probe_iec21_lists_the_readout_and_names_the_iec_description(capsys):
    with start_simulator("iec21", days=1) as sim:
        code = main(["probe", "--port", sim.url, "--protocol", "iec21", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["level"] == "data readout"
    assert {"1.8.0", "0.9.1"} <= set(out["addresses"])
    assert out["identification"].startswith("GEN")
    assert out["match"] == "iec-generic"  # same registers as prometer100, but its flag


def test_draft_needs_dlms():
    assert main(["probe", "--port", "socket://127.0.0.1:9", "--protocol", "iec21",
                 "--draft", "x.toml"]) == 2  # fmt: skip
