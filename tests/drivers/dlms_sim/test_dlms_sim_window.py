"""HDLC windows (issue 15): the client proposes a receive window, the simulator grants up to 7
and sends that many segments per RR; lost or damaged frames are recovered by go-back-N."""

from __future__ import annotations

from datetime import timedelta

import pytest

from drivers.dlms.meter import DlmsMeter
from drivers.meter import ConnectOptions


def read_day(sim, h, **kw):
    meter = DlmsMeter(
        ConnectOptions(sim.url, password="HHDC2PASS", client_sap=48, timeout=0.5, **kw)
    )
    meter.connect()
    try:
        profile = meter.read_profile(h.T0 - timedelta(days=2), h.T0)
        link = meter.link
        return profile, link.params, meter.trace
    finally:
        meter.close()


def rows(profile):
    return [(r.start, list(r.values), int(r.status)) for r in profile.rows]


def rr_count(trace) -> int:
    return sum(1 for r in trace if r.direction == "tx" and r.note == "RR")


@pytest.mark.parametrize("window", [2, 7])
def test_window_negotiated_and_fewer_acknowledgements(sim_factory, h, window):
    sim = sim_factory(days=3)
    one, p1, t1 = read_day(sim, h, max_info=128, window=1)
    many, pn, tn = read_day(sim, h, max_info=128, window=window)
    assert (p1.window_rx, pn.window_rx) == (1, window)
    assert rows(many) == rows(one) and len(one.rows) == 2 * 48
    assert rr_count(tn) * (window - 1) < rr_count(t1) * window  # about 1/window of the RRs
    assert sum(len(r.data) for r in tn) < sum(len(r.data) for r in t1)


def test_simulator_grants_no_more_than_its_own_window(sim_factory, h):
    sim = sim_factory(days=3, window=3)
    _, params, _ = read_day(sim, h, max_info=128, window=7)
    assert params.window_rx == 3


@pytest.mark.parametrize("fault", ["corrupt:0.05", "drop:0.05"])
def test_lost_or_damaged_frames_in_a_window_are_sent_again(sim_factory, h, fault):
    clean = sim_factory(days=3, seed=3)
    want, _, _ = read_day(clean, h, max_info=64, window=7)
    sim = sim_factory(days=3, faults=[fault], seed=3)
    got, _, _ = read_day(sim, h, max_info=64, window=7)
    assert sum(sim.faults.injected.values()) >= 1
    assert rows(got) == rows(want)


def test_window_outside_1_to_7_is_refused():
    from drivers.dlms.link import HdlcLink
    from drivers.testing import ScriptedTransport

    with pytest.raises(ValueError, match="window 8"):
        HdlcLink(ScriptedTransport([]), window=8)
