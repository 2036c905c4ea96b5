"""Installed-base coverage: equivalents counted, greedy checked by hand, a planted case where
greedy is not optimal and the brute-force minimum is smaller, register-backed keys and claims."""

from __future__ import annotations

import pytest

from bench_app.equipment import analyse, load_base, parse_base
from bench_app.equipment.coverage import EXACT_LIMIT
from bench_app.errors import DataImportError, UsageError

HEAD = (
    "combination,count,outstation_type,model,metrology,application,communications,hardware_version"
)
# class A = A-P3E + A-R3E (same firmware, hardware differs) = 500 of 1000
BASE = f"""{HEAD}
A-P3E,400,PRO,Prometer 100,1,1,1,P3E
A-R3E,100,PRO,Prometer 100,1,1,1,R3E
B,250,PRO,Prometer 100,2,1,1,P3E
C,150,PRO,Prometer 100,2,2,1,P3E
D,60,ELS,A1700,7,7,7,
E,40,ELS,A1700,8,7,7,
"""


def test_tested_variant_covers_its_equivalents_and_greedy_matches_the_hand_answer():
    base = parse_base(BASE)
    res = analyse(base, ["A-R3E"], target=0.8)
    # by hand: A-R3E covers class A (400 + 100) = 500 / 1000
    assert (res.total, res.covered, res.share) == (1000, 500, 0.5)
    assert res.covered_keys == ["A-P3E", "A-R3E"]
    # issue 18: the hardware-only equivalent is a claim until assessed
    assert (res.exact_tested, res.assessed, res.unassessed) == (100, 0, 400)
    # greedy from 0.5: + B (250) → 0.75 < 0.8, + C (150) → 0.90
    assert res.greedy.keys == ["B", "C"] and res.greedy.share == pytest.approx(0.9)
    assert res.exact.keys == ["B", "C"] and res.exact_note == "greedy is optimal here"
    none = analyse(base, [], target=0.8)
    # from nothing: A (500, represented by its biggest member A-P3E) then B (250) then C
    assert none.greedy.keys == ["A-P3E", "B", "C"] and none.greedy.covered == 900
    assert analyse(base, ["A-P3E", "B", "C"], target=0.8).greedy.keys == []
    assert analyse(base, ["D"], target=1.0).greedy.keys == ["A-P3E", "B", "C", "E"]


def test_planted_overlap_where_greedy_is_not_optimal():
    # c1 covers c2,c3; c4 covers c5,c6; c7 covers c2,c3,c5,c6 (variants claimed by sessions).
    rows = ["combination,count,outstation_type,model,metrology,covers"]
    covers = {"c1": "c2;c3", "c4": "c5;c6", "c7": "c2;c3;c5;c6"}
    for i in range(1, 8):
        key = f"c{i}"
        rows.append(f"{key},{5 if i == 7 else 10},PRO,M{i},{i},{covers.get(key, '')}")
    base = parse_base("\n".join(rows) + "\n")
    res = analyse(base, [], target=0.9)  # 0.9 x 65 = 58.5 installations
    # greedy: c7 (+45 → 45), c1 (+10 → 55 = 0.846), c4 (+10 → 65): three combinations
    assert res.greedy.keys == ["c7", "c1", "c4"] and res.greedy.covered == 65
    # exact: c1 + c4 cover 60 / 65 = 0.923 with two
    assert res.exact.keys == ["c1", "c4"] and res.exact.covered == 60
    assert res.exact_note == "greedy needs 3, the exact minimum is 2"


def test_unreachable_target_large_inputs_and_bad_rows(tmp_path):
    base = parse_base(BASE)
    with pytest.raises(UsageError, match="between 0 and 1"):
        analyse(base, [], target=80)
    with pytest.raises(UsageError, match="'Z' is neither"):
        analyse(base, ["Z"])
    big = [HEAD] + [f"k{i},{i + 1},PRO,M,{i},1,1," for i in range(EXACT_LIMIT + 1)]
    res = analyse(parse_base("\n".join(big)), [], target=0.5)
    assert res.exact is None and "not computed" in res.exact_note and res.greedy.share >= 0.5
    path = tmp_path / "base.csv"
    path.write_text(
        f"{HEAD}\nA,ten,PRO,M,1,1,1,\nB,5,PRO,M,1,1,1,\nB,5,PRO,M,1,1,1,\nC,-1,P,M,1,,,\n"
    )
    with pytest.raises(DataImportError) as exc:
        load_base(path)
    msg = str(exc.value)
    assert f"{path}:2: count 'ten' is not a whole number" in msg
    assert f"{path}:4: combination 'B' repeats line 3" in msg
    assert f"{path}:5: count -1 is negative" in msg
    with pytest.raises(DataImportError, match="no firmware columns and no register"):
        parse_base("key,count\nX,1\n")


def test_keys_resolve_through_the_register_with_session_claims(store, reg):
    reg.add_combination("PRO", "Prometer 100 rack", reg.combination("PRO-P3E").firmware, "R4",
                        key="PRO-RACK")  # fmt: skip
    sid = store.create_session("APP-C", "protocol-approval")
    reg.record_variants(sid, "PRO-P3E", ["PRO-RACK"])
    base = parse_base(
        "key,count\nPRO-P3E,10\nPRO-R3E,30\nPRO-P3E-35,20\nPRO-RACK,40\n", register=reg
    )
    res = analyse(base, ["PRO-R3E"], target=0.5, register=reg)
    # PRO-R3E is equivalent to PRO-P3E, whose session claimed PRO-RACK: 10 + 30 + 40 of 100
    assert res.share == pytest.approx(0.8) and res.greedy.keys == []
    assert analyse(base, ["PRO-P3E-35"], target=0.9, register=reg).greedy.keys == ["PRO-R3E"]
