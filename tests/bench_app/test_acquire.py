"""The acquisition service against real simulated outstations and a real SQLite store.

Every stored block carries its bytes; a read stopped by the user, a driver error or Ctrl-C leaves
its collection marked incomplete with the reason; a resumed read ends with exactly the meter's
rows, events and registers; events are kept apart by their full identity.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bench_app.acquire import (
    Acquisition,
    collection_range,
    find_resumable,
    read_into_session,
    resume_segments,
)
from bench_app.cli import main
from bench_app.errors import AcquisitionStopped, UsageError
from bench_app.store import Store
from bench_app.store.acquisition import KILLED_REASON
from bench_app.store.collection_meta import CollectionMeta
from drivers.errors import TransportError
from drivers.meter import ConnectOptions, create_meter, read_all
from drivers.model import EventCode, MeterEvent, RegisterValue
from drivers.sim import start_simulator

FROZEN = datetime(2026, 11, 24, 12, 10, tzinfo=UTC)
PASSWORDS = {"dlms": "HHDC2PASS"}


@pytest.fixture
def sid(store):
    return store.create_session("ACQ-1", "protocol-approval")


@pytest.fixture(params=["dlms", "iec21"])
def sim(request):
    handle = start_simulator(request.param, days=3, seed=11, clock=lambda: FROZEN)
    handle.meter.log(EventCode.PHASE_FAILURE_L2)
    handle.meter.log(EventCode.PHASE_FAILURE_L2)  # a second real event in the same second
    yield handle
    handle.stop()


def _meter(sim):
    protocol = sim.protocol
    password = PASSWORDS.get(protocol) or sim.meter.description.iec_password
    m = create_meter(protocol, ConnectOptions(url=sim.url, password=password, client_sap=48))
    m.block_days = 1  # one day per block, so a stop can fall between profile blocks
    m.connect()
    return m


def _expected_rows(sim) -> int:
    return sim.meter.interval_count() * len(sim.meter.description.channels)


def test_every_block_is_stored_with_its_bytes(store, sid, sim):
    meter = _meter(sim)
    blocks = []
    try:
        res = read_into_session(store, sid, meter, on_block=blocks.append)
    finally:
        meter.close()
    cid = res.collection_id
    assert store.collection_state(cid)["state"] == "complete"
    assert res.rows_stored == store.collection(cid)["rows"] == _expected_rows(sim)
    stored = store.blocks(cid)
    kinds = [b["kind"] for b in stored]
    assert kinds[:2] == ["clock", "registers"] and kinds[-1] == "events"
    assert "profile" in kinds and [b.kind for b in blocks] == kinds
    assert sum(b["added"] for b in stored if b["kind"] == "profile") == res.rows_stored
    if sim.protocol == "iec21":  # one stored block per day (the meter's clock is days behind)
        profile_days = [{r.start.date() for r in b.items} for b in blocks if b.kind == "profile"]
        assert all(len(days) == 1 for days in profile_days)
        assert len(profile_days) == len(set.union(*profile_days)) >= 3
    sha = {t["sha256"] for t in store.traces(sid) if t["collection_id"] == cid}
    assert all(b["trace_sha256"] in sha for b in stored)
    assert store.uncovered_readings(cid) == 0
    # the segments, joined, are the connection's bytes from sign-on to the last register
    # (only the sign-off after it, on close, is not part of the read)
    joined = [r.data for r in store.collection_trace(cid).records]
    assert joined == [r.data for r in meter.trace.records][: len(joined)]
    assert len(joined) >= len(meter.trace) - 4
    assert b"HHDC2PASS" not in b"".join(joined)
    events = store.events(sid, cid)
    assert [e["code"] for e in events].count(EventCode.PHASE_FAILURE_L2) == 2
    assert store.verify(sid).ok


def test_stopped_read_is_incomplete_and_resume_is_exact(store, sid, sim, capsys):
    meter = _meter(sim)
    profile_blocks = []

    def on_block(block):
        if block.kind == "profile":
            profile_blocks.append(block)

    try:
        with pytest.raises(AcquisitionStopped):
            read_into_session(
                store, sid, meter, on_block=on_block, should_stop=lambda: bool(profile_blocks)
            )
    finally:
        meter.close()
    (coll,) = store.incomplete_collections(sid)
    cid = coll["id"]
    assert coll["reason"] == "stopped by the user"
    assert 0 < coll["rows"] < _expected_rows(sim)
    assert store.uncovered_readings(cid) == 0
    assert main(["session", "show", str(sid), "--db", str(store.path)]) == 0
    assert "INCOMPLETE: stopped by the user" in capsys.readouterr().out

    meter = _meter(sim)
    try:
        res = read_into_session(store, sid, meter)
        again = read_into_session(store, sid, meter, collection_id=cid)  # nothing new
    finally:
        meter.close()
    assert res.collection_id == cid and res.resumed_from is not None
    assert again.rows_stored == 0
    assert store.collection_state(cid)["state"] == "complete"
    assert store.incomplete_collections(sid) == []
    rows = store.readings_raw(cid)
    assert len(rows) == len({(r[0], r[1]) for r in rows}) == _expected_rows(sim)
    codes = [e["code"] for e in store.events(sid, cid)]
    assert codes.count(EventCode.PHASE_FAILURE_L2) == 2
    obis = [r["obis"] for r in store.registers(cid)]
    assert len(obis) == len(set(obis)) == len(res.reading.registers) > 0
    assert store.uncovered_readings(cid) == 0
    assert store.verify(sid).ok


class _Unplugged:
    """A real driver whose cable is pulled when the event log is read."""

    def __init__(self, meter):
        self._m = meter

    def __getattr__(self, name):
        return getattr(self._m, name)

    def read_events(self, start=None, end=None):
        raise TransportError("port closed: device unplugged", port="socket://x", step="events")


def test_driver_error_marks_incomplete_with_the_reason_and_keeps_blocks(store, sid, sim):
    meter = _meter(sim)
    try:
        with pytest.raises(TransportError):
            read_into_session(store, sid, _Unplugged(meter))
    finally:
        meter.close()
    (coll,) = store.incomplete_collections(sid)
    assert "device unplugged" in coll["reason"] and "TransportError" in coll["reason"]
    assert coll["rows"] == _expected_rows(sim)
    assert find_resumable(store, sid, coll["meta"]["identity"]["serial"]) == coll["id"]


def test_ctrl_c_marks_incomplete(store, sid, sim):
    meter = _meter(sim)

    def on_block(block):
        if block.kind == "profile":
            raise KeyboardInterrupt

    try:
        with pytest.raises(KeyboardInterrupt):
            read_into_session(store, sid, meter, on_block=on_block)
    finally:
        meter.close()
    (coll,) = store.incomplete_collections(sid)
    assert coll["reason"] == "interrupted by the user (Ctrl-C)"
    assert store.uncovered_readings(coll["id"]) == 0


def test_a_read_that_never_ended_is_incomplete(store, sid):
    cid = store.new_collection(sid, "bench", "dlms")
    assert store.collection_state(cid) is None  # not a read of the service: no state
    store.mark_collection(cid, "started")
    state = store.collection_state(cid)
    assert state["state"] == "incomplete" and state["reason"] == KILLED_REASON
    assert [c["id"] for c in store.incomplete_collections(sid)] == [cid]


def test_events_are_kept_apart_by_full_identity_and_stored_once(store, sid):
    cid = store.new_collection(sid, "bench", "dlms")
    t = datetime(2026, 11, 24, 3, 0, 7, tzinfo=UTC)
    twin = MeterEvent(t, EventCode.PHASE_FAILURE_L1, "Phase failure L1")
    other = MeterEvent(t, EventCode.PHASE_FAILURE_L2, "Phase failure L2")
    assert store.add_events(cid, [twin, twin, other]) == 3  # same second, two real events
    assert store.add_events(cid, [twin, twin, other]) == 0  # the same log read again
    later = MeterEvent(t + timedelta(seconds=1), EventCode.BATTERY_FAULT, "Battery fault")
    assert store.add_events(cid, [twin, twin, twin, other, later]) == 2  # a 3rd twin, a new one
    rows = store.events(sid, cid)
    assert [r["code"] for r in rows].count(EventCode.PHASE_FAILURE_L1) == 3
    assert len(rows) == 5
    other_cid = store.new_collection(sid, "bench", "dlms")  # another read keeps its own copy
    assert store.add_events(other_cid, [twin]) == 1
    assert store.verify(sid).ok


def test_registers_are_stored_once_per_collection(store, sid):
    cid = store.new_collection(sid, "bench", "dlms")
    regs = [RegisterValue("1.0.1.8.0.255", 1000.0, "Wh"), RegisterValue("1.0.2.8.0.255", 5, "kWh")]
    assert store.add_registers(cid, regs) == 2
    assert store.add_registers(cid, [RegisterValue("1.0.1.8.0.255", 1001.0, "Wh")]) == 0
    assert [r["value"] for r in store.registers(cid)] == [1.0, 5]  # the first read is kept


def test_resume_segments_cover_both_ends_of_what_is_stored():
    t0 = datetime(2026, 11, 20, tzinfo=UTC)
    span = (t0, t0 + timedelta(hours=10), 1800)
    assert resume_segments(None, None, None) == [(None, None)]
    # newest-first (IEC without a start): the older part is still to read, and anything newer
    assert resume_segments(span, None, None) == [(None, t0), (t0 + timedelta(hours=10.5), None)]
    # forwards (DLMS with a start): only after the newest stored interval
    start = t0
    assert resume_segments(span, start, None) == [(t0 + timedelta(hours=10.5), None)]


def test_the_bare_read_and_the_stored_read_are_one_sequence(store, sid, sim):
    """``bench-app read`` without a session (drivers.meter.read_all on the driver) and with one
    (the acquisition service, storing each block) ask the meter the same things in the same
    order and return the same reading."""
    bare = _meter(sim)
    try:
        reading = read_all(bare)
    finally:
        bare.close()
    kept = _meter(sim)
    try:
        res = read_into_session(store, sid, kept)
    finally:
        kept.close()

    def requests(meter) -> list[bytes]:
        return [r.data for r in meter.trace.records if r.direction == "tx"]

    assert requests(kept) == requests(bare)
    assert res.reading.identity == reading.identity
    assert res.reading.registers == reading.registers and res.reading.events == reading.events
    assert res.reading.profile.rows == reading.profile.rows
    assert res.reading.warnings == reading.warnings == []


def test_one_collection_lifecycle_marks_complete_or_incomplete(store, sid, sim):
    """``with acquisition.collection(meta) as c``: started, then complete with the body's
    reason, or incomplete with the reason of what the body raised (which goes on)."""
    meter = _meter(sim)
    try:
        acq = Acquisition(store, sid, meter, label="lifecycle")
        acq.read_identity()
        meta = CollectionMeta(label="lifecycle", start=FROZEN - timedelta(days=1), end=FROZEN)
        with acq.collection(meta) as c:
            assert [h["state"] for h in store.collection_state(c.id)["history"]] == ["started"]
            acq.read_clock()
            c.reason = "read with warnings:\nclock: made up"
        done = c.id
        with pytest.raises(TransportError), acq.collection(CollectionMeta(label="cut")) as c2:
            raise TransportError("cable pulled")
    finally:
        meter.close()
    assert store.collection_state(done)["state"] == "complete"
    assert store.collection_state(done)["warnings"] == ["clock: made up"]
    stored = store.collection(done)["meta"]
    assert stored["start"] == "2026-11-23T12:10:00Z" and stored["end"] == "2026-11-24T12:10:00Z"
    assert stored["identity"]["serial"] == acq.identity.serial and "range" not in stored
    state = store.collection_state(c2.id)
    assert state["state"] == "incomplete" and "cable pulled" in state["reason"]


def test_a_whole_read_writes_the_one_meta_scheme(store, sid, sim):
    meter = _meter(sim)
    try:
        res = read_into_session(store, sid, meter, FROZEN - timedelta(days=1), FROZEN)
    finally:
        meter.close()
    meta = store.collection(res.collection_id)["meta"]
    assert {k: meta[k] for k in ("label", "start", "end")} == {
        "label": "bench read", "start": "2026-11-23T12:10:00Z", "end": "2026-11-24T12:10:00Z"
    }
    assert "range" not in meta
    assert collection_range(store, res.collection_id) == (FROZEN - timedelta(days=1), FROZEN)


def test_without_a_store_the_service_only_reads(sim):
    meter = _meter(sim)
    got = []
    try:
        acq = Acquisition(None, None, meter, on_block=got.append)
        acq.read_identity()
        profile = acq.read_profile()
        acq.read_events()
    finally:
        meter.close()
    assert profile.rows and {b.kind for b in got} == {"profile", "events"}
    assert all(b.trace_id is None and b.added == 0 for b in got)


def test_locked_session_refuses_a_read_before_touching_the_meter(store, sid, sim):
    store.lock_session(sid, "Witness")
    meter = _meter(sim)
    try:
        with pytest.raises(Exception, match="locked"):
            read_into_session(store, sid, meter)
    finally:
        meter.close()
    assert store.collections(sid) == []


def test_bundle_carries_blocks_and_states(store, sid, sim, tmp_path):
    meter = _meter(sim)
    try:
        cid = read_into_session(store, sid, meter).collection_id
    finally:
        meter.close()
    n_blocks = len(store.blocks(cid))
    store.export_bundle(sid, tmp_path / "s.wbs")
    with Store.open(tmp_path / "other.db") as other:
        new_sid = other.import_bundle(tmp_path / "s.wbs")
        (coll,) = other.collections(new_sid)
        assert len(other.blocks(coll["id"])) == n_blocks
        assert other.collection_state(coll["id"])["state"] == "complete"
        assert other.uncovered_readings(coll["id"]) == 0
        assert other.verify(new_sid).ok


def test_an_operation_without_a_read_gets_its_own_complete_collection(store, sid, sim):
    """The GUI's Events button: the event log alone, stored, and not left 'incomplete'."""
    meter = _meter(sim)
    try:
        acq = Acquisition(store, sid, meter)
        acq.read_identity()
        events = acq.read_events()
    finally:
        meter.close()
    (coll,) = store.collections(sid)
    assert coll["meta"]["identity"]["serial"] == acq.identity.serial
    assert store.collection_state(coll["id"])["state"] == "complete"
    assert len(store.events(sid, coll["id"])) == len(events) >= 2
    assert [b["kind"] for b in store.blocks(coll["id"])] == ["events"]


def test_a_collection_stored_before_states_existed_is_resumed_by_the_old_rule(store, sid, sim):
    """An older database's unfinished read (profile stored, no registers, no state) continues."""
    meter = _meter(sim)
    try:
        ident = meter.read_identity()
        part = meter.read_profile()
        cid = store.new_collection(sid, "bench", sim.protocol, meta={"identity": ident.to_json()})
        store.add_profile_block(cid, part.channels, part.rows[: len(part.rows) // 2])
        assert store.collection_state(cid) is None
        res = read_into_session(store, sid, meter)
    finally:
        meter.close()
    assert res.collection_id == cid
    assert store.collection_state(cid)["state"] == "complete"
    assert store.collection(cid)["rows"] == _expected_rows(sim)


def test_resume_refuses_another_meters_collection(store, sid, sim):
    cid = store.new_collection(sid, "bench", "dlms", meta={"identity": {"serial": "OTHER-1"}})
    meter = _meter(sim)
    try:
        with pytest.raises(UsageError, match="OTHER-1"):
            read_into_session(store, sid, meter, collection_id=cid)
    finally:
        meter.close()
    assert store.collection(cid)["rows"] == 0


def test_another_meter_is_refused_unless_accepted(store, sid, sim):
    """A read of a meter that is not the session's (declared serial) stores nothing, unless
    --accept-serial: then it is stored and listed as a deviation, as for a CSV import."""
    from bench_app.checklist.verdict import overall_result
    from bench_app.errors import MeterMismatchError

    store.set_equipment(sid, serials=["NOT-THIS-ONE"])
    meter = _meter(sim)
    try:
        with pytest.raises(MeterMismatchError, match="NOT-THIS-ONE"):
            read_into_session(store, sid, meter)
        assert store.collections(sid) == []
        res = read_into_session(store, sid, meter, accept_serial=True)
    finally:
        meter.close()
    assert store.collection(res.collection_id)["meta"]["deviations"]
    devs = [d for d in overall_result(store, sid).deviations if d.kind == "serial-accepted"]
    assert devs and devs[0].text.startswith("bench read: meter ")
