"""GET-with-list (issue 15): identity and registers in one request each when the association's
conformance allows it; the result equals one GET per object; a refused item is only a warning."""

from __future__ import annotations

import dataclasses

from drivers.description import builtin_dir, load_description
from drivers.dlms.meter import DlmsMeter
from drivers.meter import ConnectOptions
from drivers.sim import SimOptions, start_simulator

PROMETER = load_description(builtin_dir() / "prometer100.toml")


def read(sim, description=PROMETER):
    m = DlmsMeter(
        ConnectOptions(
            sim.url, password="HHDC2PASS", client_sap=48, timeout=2.0, description=description
        )
    )
    m.connect()
    try:
        return m.read_identity(), m.read_registers(), m.warnings, m.trace
    finally:
        m.close()


def steps(trace) -> list[str]:
    return [r.note for r in trace if r.direction == "tx" and r.note.startswith("GET")]


def test_identity_and_registers_in_two_requests_equal_one_get_each():
    one_by_one = dataclasses.replace(PROMETER, quirks=frozenset({"no_get_with_list"}))
    with start_simulator("dlms", options=SimOptions(days=1)) as sim:
        ident, regs, warnings, trace = read(sim)
        ident1, regs1, _, trace1 = read(sim, one_by_one)
    assert ident == ident1 and len(ident.firmware) == 3 and ident.outstation_type == "PRO"
    assert [(r.obis, r.unit) for r in regs] == [(r.obis, r.unit) for r in regs1]
    assert [r.value for r in regs] == [r.value for r in regs1]  # energy does not move in 1 s
    assert warnings == []
    assert steps(trace) == ["GET with list of 6", "GET with list of 8"]
    assert len(steps(trace1)) == 6 + 8
    assert sum(trace.byte_counts()) < sum(trace1.byte_counts())


def test_a_refused_item_of_the_list_is_a_warning_the_rest_is_read():
    opts = SimOptions(days=1, without=["0.1.0.2.0.255", "1.0.3.8.0.255"])
    with start_simulator("dlms", options=opts) as sim:
        ident, regs, warnings, trace = read(sim)
    assert set(ident.firmware) == {"metrology", "communications"}
    assert [r.obis for r in regs] == ["1.0.1.8.0.255", "1.0.2.8.0.255", "1.0.4.8.0.255"]
    assert {(w.object, w.attribute) for w in warnings} == {
        ("0.1.0.2.0.255", 2), ("1.0.3.8.0.255", 3),
    }  # fmt: skip
    assert "GET with list of 6" in steps(trace)


def test_entry_based_quirk_reads_the_same_rows_without_range_selection(sim_factory, h):
    """A meter without range selection (quirk ``entry_based_profile``): entries counted back
    from the newest row give the same rows as a range read."""
    from datetime import timedelta

    sim = sim_factory(days=5)
    by_entry = dataclasses.replace(PROMETER, quirks=frozenset({"entry_based_profile"}))
    profiles, traces = [], []
    for description in (PROMETER, by_entry):
        m = DlmsMeter(
            ConnectOptions(
                sim.url, password="HHDC2PASS", client_sap=48, timeout=2.0, description=description
            )
        )
        m.connect()
        try:
            profiles.append(m.read_profile(h.T0 - timedelta(days=3), h.T0 - timedelta(hours=5)))
        finally:
            m.close()
        traces.append(m.trace)
    by_range, entries = profiles
    assert len(by_range.rows) == 3 * 48 - 10
    assert [(r.start, r.values, r.status) for r in entries.rows] == [
        (r.start, r.values, r.status) for r in by_range.rows
    ]
    sent = b"".join(r.data for r in traces[1] if r.direction == "tx")
    assert b"\x01\x02\x02\x04\x06" in sent  # access selector 2 (entry) + its structure
