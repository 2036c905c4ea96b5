"""Take the README screenshots: the real window at 1366×768 against the built-in simulator.

Creates a session (participants, equipment, software under test), connects to the simulated
outstation, reads 8 days of profile and the event log, polls live values, adds a small generated
HHDC collection (a copy of the bench data with two planted differences) so the Compare view has
something to show, runs two checklist steps, renders and signs the report (tester + witness) and
grabs every panel to ``docs/screenshots/<panel>.png``.

Run under a virtual display: ``xvfb-run -s "-screen 0 1366x768x24" .venv/bin/python
scripts/screenshots.py [--out DIR]``. Prints one JSON line; exit 0 on success.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZE = (1366, 768)
MAX_BYTES = 300_000
PASS = b"screenshot-pass"


def settle(ms: int = 400) -> None:
    """Let the window process events (and the draw timers fire) for ``ms`` milliseconds."""
    from PySide6.QtCore import QCoreApplication, QEventLoop

    end = time.monotonic() + ms / 1000
    while time.monotonic() < end:
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        time.sleep(0.01)


def grab(window, panel, name: str, out: Path) -> dict:
    """Show ``panel``'s tab and save the whole window as ``out/name.png`` (≤ 300 KB)."""
    window.tabs.setCurrentWidget(panel)
    settle(600)
    path = out / f"{name}.png"
    img = window.grab().toImage()
    img.save(str(path), "PNG", 0)  # 0 = smallest file
    if path.stat().st_size > MAX_BYTES:  # fall back to a 256-colour palette
        from PySide6.QtGui import QImage

        img.convertToFormat(QImage.Format.Format_Indexed8).save(str(path), "PNG", 0)
    return {"file": str(path.relative_to(ROOT)), "bytes": path.stat().st_size}


def populate_session(store) -> int:
    sid = store.create_session(
        "P601-2026-014",
        "protocol-approval",
        cops=["5", "10"],
        location="Lab 2, bench A",
        title="Prometer 100 protocol approval",
    )
    store.add_participant(sid, "Alice Tester", "Acme Meter Lab", "tester")
    store.add_participant(sid, "Bob Witness", "Elexon", "witness")
    store.add_participant(sid, "UK Data Collection", "UKDC Ltd", "hhdc", mpid="UKDC")
    store.set_equipment(
        sid,
        outstation_type="PRO",
        model="Prometer 100 (simulated)",
        serials=["SIM0000001"],
        firmware={"metrology": "1.02", "application": "3.4"},
        hardware_version="B",
        channels=4,
    )
    store.set_software(
        sid,
        hhdc_name="UK Data Collection",
        hhdc_mpid="UKDC",
        hhdc_software="Collect",
        hhdc_version="7.2",
    )
    return sid


def add_hhdc_copy(store, session_id: int, bench_collection: int) -> int:
    """An HHDC collection that equals the bench one except two planted differences."""
    from collections import defaultdict

    from drivers.model import Channel, ProfileRow, StatusFlag

    readings = store.readings(bench_collection)
    channels = list(dict.fromkeys((r.channel, r.unit) for r in readings))
    rows: dict = defaultdict(lambda: [[None] * len(channels), 0])
    col = {c[0]: i for i, c in enumerate(channels)}
    for r in readings:
        rows[r.start][0][col[r.channel]] = r.value
        rows[r.start][1] |= int(r.status or 0)
    starts = sorted(rows)
    target = starts[-48 - 20] if len(starts) > 80 else starts[0]
    out = []
    for st in starts:
        values, status = rows[st]
        if st == target:
            values = [v + 0.125 if i == 0 else v for i, v in enumerate(values)]
        if st == starts[-48 - 30]:
            status |= int(StatusFlag.BATTERY)
        out.append(ProfileRow(st, values, status))
    cid = store.new_collection(session_id, "hhdc", protocol="csv", meta={"generated": True})
    store.add_profile_block(cid, [Channel(n, u or "") for n, u in channels], out)
    return cid


def run(out: Path) -> dict:
    from PySide6.QtCore import QDate

    from bench_app.signing import new_self_signed
    from ui.app import build_window, make_app
    from ui.smoke import configure_simulator, wait_until

    out.mkdir(parents=True, exist_ok=True)
    make_app()
    tmp = tempfile.TemporaryDirectory(prefix="wb-shots-")
    window, ctx = build_window(Path(tmp.name) / "bench.db")
    result: dict = {"ok": False, "shots": []}
    shots = result["shots"]
    try:
        window.resize(*SIZE)
        window.show()
        sid = populate_session(ctx.store)
        window.open_session(sid)
        configure_simulator(window)
        conn = window.connection
        conn.connect_meter()
        wait_until(lambda: conn.identity is not None and not ctx.port.busy, 30, "connect")
        today = QDate.currentDate()
        conn.from_date.setDate(today.addDays(-35))  # a month for the heat map
        conn.to_date.setDate(today)
        done: list = []
        conn.profile_done.connect(done.append)
        conn.read_profile()
        wait_until(lambda: bool(done), 120, "profile read")
        control = ctx.sim.control  # bench stimuli, so the event log has something to show
        control.phase_failure(2)
        control.phase_restore(2)
        control.supply_cut()
        control.supply_restore()
        control.battery_fault()
        conn._request("events")
        wait_until(lambda: not ctx.port.busy, 60, "events read")
        conn._request("clock")
        wait_until(lambda: not ctx.port.busy, 30, "clock read")
        shots.append(grab(window, conn, "connection", out))

        live = window.live
        window.tabs.setCurrentWidget(live)
        live.rate_combo.setCurrentIndex(live.rate_combo.findData(10.0))
        live.start_btn.setChecked(True)
        wait_until(lambda: live.samples >= 80, 60, "live samples")
        live.start_btn.setChecked(False)
        shots.append(grab(window, live, "live", out))

        bench_cid = done[0]["collection_id"]
        hhdc_cid = add_hhdc_copy(ctx.store, sid, bench_cid)
        prof = window.profile
        prof.reload_collections()
        prof.collection_combo.setCurrentIndex(prof.collection_combo.findData(bench_cid))
        last = prof.series.days()[-2]
        prof.day_edit.setDate(QDate(last.year, last.month, last.day))
        prof.view_combo.setCurrentIndex(0)
        shots.append(grab(window, prof, "profile", out))
        prof.view_combo.setCurrentIndex(2)
        shots.append(grab(window, prof, "profile-heatmap", out))
        prof.compare.a_combo.setCurrentIndex(prof.compare.a_combo.findData(bench_cid))
        prof.compare.b_combo.setCurrentIndex(prof.compare.b_combo.findData(hhdc_cid))
        prof.view_combo.setCurrentIndex(3)
        shots.append(grab(window, prof, "profile-compare", out))

        window.events.reload()
        shots.append(grab(window, window.events, "events", out))

        chk = window.checklist
        chk.template_combo.setCurrentIndex(
            chk.template_combo.findData("bscp601-protocol-cop1-2-3-5-10")
        )
        finished: list = []
        chk.step_finished.connect(finished.append)
        chk.run_steps(["DR2-1", "DR2-2"])
        wait_until(lambda: bool(finished), 180, "checklist steps")
        idx = next(i for i, r in enumerate(chk.rows) if r["step"] == "DR2-2")
        chk.steps.setCurrentRow(idx)
        shots.append(grab(window, chk, "checklist", out))

        trace = window.trace
        trace.reload_sources()
        biggest = max(ctx.store.traces(sid), key=lambda t: t.get("records", 0))
        trace.source_combo.setCurrentIndex(trace.source_combo.findData(biggest["id"]))
        if trace.model.rowCount():
            trace.table.selectRow(min(3, trace.model.rowCount() - 1))
        shots.append(grab(window, trace, "trace", out))

        rep = window.report
        keys = Path(tmp.name) / "keys"
        t_key, _ = new_self_signed(
            "Alice Tester", "Acme Meter Lab", "tester", keys, passphrase=PASS
        )
        w_key, _ = new_self_signed("Bob Witness", "Elexon", "witness", keys, passphrase=PASS)
        for role, key in (("tester", t_key), ("witness", w_key)):
            rep.role_combo.setCurrentText(role)
            rep.key_edit.setText(str(key))
            rep.pass_edit.setText(PASS.decode())
            rep.sign()
            wait_until(lambda: not rep.runner.busy, 120, f"report signing ({role})")
        rep.key_edit.setText(str(w_key))
        window.sidebar.refresh(select=sid)
        shots.append(grab(window, rep, "report", out))
        from bench_app.equipment import import_csv as import_register
        from bench_app.paths import resource_path

        samples = resource_path("samples", "equipment")
        for kind in ("types", "combos", "certs", "approvals", "applications"):
            import_register(ctx.store, kind, samples / f"{kind}.csv")
        window.equipment.refresh()
        window.equipment.check(sid)
        shots.append(grab(window, window.equipment, "equipment", out))
        result["valid_signatures"] = rep.valid_signatures()
        result["checklist"] = [(o.step_id, o.verdict) for o in finished[0]] if finished[0] else []
        result["ok"] = result["valid_signatures"] == 2 and len(shots) == 10
    except Exception as exc:  # noqa: BLE001 - reported in the JSON line, exit code 1
        from ui.errors import describe

        info = describe(exc)
        result["error"] = f"{info.title}: {info.what}"
    finally:
        window.close()
        ctx.shutdown()
        ctx.store.close()
        tmp.cleanup()
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshots"), help="output folder")
    args = ap.parse_args()
    result = run(Path(args.out))
    print(json.dumps(result), flush=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
