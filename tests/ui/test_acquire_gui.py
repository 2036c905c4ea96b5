"""The GUI reads through the same acquisition service as the CLI.

A GUI read (the port worker in its thread) and a CLI read (``bench-app read --session``) of the
same simulated meter store the same collections, blocks and trace bytes; after a restart the
connection panel offers to resume an incomplete collection from what the store holds.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QDate

from bench_app.acquire import read_into_session
from bench_app.cli import main
from bench_app.errors import AcquisitionStopped
from drivers.meter import ConnectOptions, create_meter
from drivers.sim import start_simulator
from ui.panels.connection import ConnectionPanel
from ui.workers import PortController

FROZEN = datetime(2026, 11, 24, 12, 10, tzinfo=UTC)


def _joined(records) -> list[tuple[str, bytes]]:
    """The bytes each way, consecutive chunks of one direction joined: how a window of frames is
    split into reads depends on timing, the bytes on the wire do not."""
    out: list[tuple[str, bytes]] = []
    for r in records:
        if out and out[-1][0] == r.direction:
            out[-1] = (r.direction, out[-1][1] + r.data)
        else:
            out.append((r.direction, r.data))
    return out


def _shape(store, sid: int) -> list:
    """What must be equal: per bench collection its meta, rows, blocks and trace bytes."""
    out = []
    for c in store.collections(sid):
        blocks = [
            (b["seq"], b["kind"], b["first_start"], b["last_start"], b["items"], b["added"])
            for b in store.blocks(c["id"])
        ]
        segments = [
            _joined(store.load_trace(t["id"]).records)
            for t in store.traces(sid)
            if t["collection_id"] == c["id"]
        ]
        meta = dict(c["meta"], label=None)
        state = store.collection_state(c["id"])["state"]
        out.append((c["source"], c["protocol"], meta, c["rows"], state, blocks, segments))
    return out


@pytest.mark.parametrize("protocol", ["dlms", "iec21"])
def test_gui_read_and_cli_read_store_the_same(qtbot, store, protocol):
    sim = start_simulator(protocol, days=3, seed=7, clock=lambda: FROZEN)
    password = "HHDC2PASS" if protocol == "dlms" else sim.meter.description.iec_password
    cli_sid = store.create_session("CLI", "protocol-approval")
    gui_sid = store.create_session("GUI", "protocol-approval")
    try:
        argv = ["read", "--port", sim.url, "--protocol", protocol, "--password", password,
                "--session", str(cli_sid), "--db", str(store.path)]  # fmt: skip
        assert main(argv) == 0
        opts = ConnectOptions(url=sim.url, password=password, client_sap=48, window=7)  # as the CLI
        port = PortController(
            lambda: create_meter(protocol, opts), lambda: type(store).open(store.path), gui_sid
        )
        try:
            done, failed = [], []
            port.worker.finished.connect(lambda op, r: done.append(op))
            port.worker.failed.connect(lambda op, e, c: failed.append((op, e)))
            port.request("connect")
            port.request("read")
            qtbot.waitUntil(lambda: "read" in done or bool(failed), timeout=30000)
            assert not failed, failed
        finally:
            port.shutdown()
    finally:
        sim.stop()
    cli, gui = _shape(store, cli_sid), _shape(store, gui_sid)
    assert len(cli) == 1 and cli[0][4] == "complete" and cli[0][3] > 0
    assert gui == cli
    assert store.verify(cli_sid).ok and store.verify(gui_sid).ok


def test_panel_offers_to_resume_an_incomplete_collection_after_restart(
    qtbot, ctx, fake_meter_factory
):
    """A read stopped early (as by a kill) before this window opened is found in the store."""
    from tests.ui.fakes import FakeMeter

    store, sid = ctx.store, ctx.session_id
    first = FakeMeter()
    first.connect()
    start, end = datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 10, 27, tzinfo=UTC)
    blocks: list = []
    with pytest.raises(AcquisitionStopped):
        read_into_session(
            store,
            sid,
            first,
            start,
            end,
            on_block=blocks.append,
            should_stop=lambda: len(blocks) > 2,
        )
    (coll,) = store.incomplete_collections(sid)
    kept = coll["rows"]
    assert 0 < kept < 7 * 48 * 2

    panel = ConnectionPanel(ctx)  # "after a restart": a new panel, nothing in memory
    qtbot.addWidget(panel)
    panel.port_combo.setEditText("socket://127.0.0.1:1")
    panel.from_date.setDate(QDate(2026, 10, 1))
    panel.connect_meter()
    qtbot.waitUntil(lambda: panel.resume_btn.isVisibleTo(panel), timeout=5000)
    assert f"Collection {coll['id']}" in panel.message.label.text()
    assert "incomplete" in panel.message.label.text()
    qtbot.waitUntil(lambda: not ctx.port.busy, timeout=5000)
    with qtbot.waitSignal(panel.profile_done, timeout=10000):
        panel.resume()
    assert store.collection_state(coll["id"])["state"] == "complete"
    assert store.incomplete_collections(sid) == []
    rows = store.readings_raw(coll["id"])
    assert len(rows) == len({(r[0], r[1]) for r in rows}) == 7 * 48 * 2
    assert len(store.events(sid, coll["id"])) == 2 and len(store.registers(coll["id"])) == 1
    assert store.uncovered_readings(coll["id"]) == 0
    assert len(store.collections(sid)) == 1
