"""Take the screenshots of docs/gui.md: the real window at 1366×768 against the built-in simulator.

Creates a session (participants, equipment, software under test), connects to the simulated
outstation, shows the identity checked against the declared equipment (and, in a second session,
a mismatch), acts on the simulated bench yesterday (phase failures L1-L3 over consecutive SPs,
supply cut, battery fault, reset, reverse running: the bench-control clock offset puts each
stimulus in a past settlement period, so the flags are in the profile), reads 5 weeks of profile
and the event log, polls live values, adds a generated HHDC collection of the flagged day (a copy
of the bench data with two planted differences), then runs the checklist on the simulator with
simulated time (DR2-x, DR3-2 and the alarm steps DR4-x, which close the settlement periods
they tagged; the simulator runs with the ``clock-correction-unflagged`` defect, so DR3-2 fails),
reads the profile again so the alarm steps' flags are in it, selects a refused record and (from a
second simulator that corrupts checksums) a bad frame in the trace, renders and signs the report
(tester + witness) and grabs each view to ``<out>/<name>.png`` (16 files); then the real bench
day of :mod:`scripts.screenshots_bench_day` (10 more).

Run under a virtual display from any folder: ``xvfb-run -a -s "-screen 0 1366x768x24"
.venv/bin/python scripts/screenshots.py [--out DIR]``. Prints one JSON line; exit 0 on success.
"""

from __future__ import annotations

import argparse
import json
import os
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
    window.show_panel(panel)
    settle(600)
    return save_image(window.grab().toImage(), out / f"{name}.png")


def save_image(img, path: Path) -> dict:
    """Save a QImage as the smallest PNG (a 256-colour palette when over 300 KB)."""
    img.save(str(path), "PNG", 0)  # 0 = smallest file
    if path.stat().st_size > MAX_BYTES:  # fall back to a 256-colour palette
        from PySide6.QtGui import QImage

        img.convertToFormat(QImage.Format.Format_Indexed8).save(str(path), "PNG", 0)
    shown = path.resolve()
    if shown.is_relative_to(ROOT):
        shown = shown.relative_to(ROOT)
    return {"file": str(shown), "bytes": path.stat().st_size}


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
    store.set_equipment(  # what the simulated Prometer reports (drivers/sim/meters)
        sid,
        outstation_type="PRO",
        model="Prometer 100 P3E (simulated)",
        serials=["PRO-SIM-000123"],
        firmware={
            "metrology": "MET 2.14",
            "application": "APP 5.3.1",
            "communications": "COM 3.07",
        },
        hardware_version="HW-B2",
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


def add_hhdc_copy(store, session_id: int, bench_collection: int, day) -> int:
    """An HHDC collection of settlement day ``day`` equal to the bench one except two planted
    differences: a value on SP 30 and a battery flag on SP 36."""
    from collections import defaultdict

    from bench_app.settlement import day_periods
    from drivers.model import Channel, ProfileRow, StatusFlag

    periods = day_periods(day)
    lo, hi = periods[0], periods[-1]
    readings = [r for r in store.readings(bench_collection) if lo <= r.start <= hi]
    channels = list(dict.fromkeys((r.channel, r.unit) for r in readings))
    rows: dict = defaultdict(lambda: [[None] * len(channels), 0])
    col = {c[0]: i for i, c in enumerate(channels)}
    for r in readings:
        rows[r.start][0][col[r.channel]] = r.value
        rows[r.start][1] |= int(r.status or 0)
    out = []
    for st in sorted(rows):
        values, status = rows[st]
        if st == periods[29]:
            values = [v + 0.125 if i == 0 else v for i, v in enumerate(values)]
        if st == periods[35]:
            status |= int(StatusFlag.BATTERY)
        out.append(ProfileRow(st, values, status))
    cid = store.new_collection(session_id, "hhdc", protocol="csv", meta={"generated": True})
    store.add_profile_block(cid, [Channel(n, u or "") for n, u in channels], out)
    return cid


def stimulate_yesterday(control, day) -> None:
    """Bench stimuli at GB local times of settlement day ``day`` (in the past): the bench-control
    clock offset moves the meter clock there for each action, then back to true UTC."""
    from datetime import UTC, datetime

    from bench_app.settlement import LONDON

    def at(hh: int, mm: int) -> None:
        target = datetime(day.year, day.month, day.day, hh, mm, tzinfo=LONDON)
        control.set_clock_offset((target - datetime.now(UTC)).total_seconds() / 60)

    plan = [
        ((7, 10), lambda: control.phase_failure(1)),  # DR4-1a: each phase in turn,
        ((7, 40), lambda: (control.phase_restore(1), control.phase_failure(2))),  # over
        ((8, 10), lambda: (control.phase_restore(2), control.phase_failure(3))),  # consecutive SPs
        ((8, 40), lambda: control.phase_restore(3)),
        ((10, 20), control.supply_cut),
        ((10, 50), control.supply_restore),
        ((13, 5), control.battery_fault),
        ((15, 35), control.reset),
        ((18, 15), lambda: control.reverse(True)),
        ((18, 45), lambda: control.reverse(False)),
    ]
    try:
        for (hh, mm), act in plan:
            at(hh, mm)
            act()
    finally:
        control.set_clock_offset(0)


def mismatch_session(store) -> int:
    """A second session whose declared equipment is not the meter on the bench."""
    sid = store.create_session(
        "P601-2026-015", "protocol-approval", cops=["5"], location="Lab 2, bench A",
        title="Prometer 100 R3E variant",
    )  # fmt: skip
    store.set_equipment(
        sid,
        outstation_type="PRO",
        model="Prometer 100 R3E",
        serials=["PRO-R3E-000456"],
        firmware={"metrology": "MET 2.14", "application": "APP 5.2.0"},
        channels=4,
    )
    return sid


#: the simulator's deliberate defect: DR3-2 (clock correction flagged) fails, as a witness must see
DEFECT = "clock-correction-unflagged"
#: checklist steps run on the simulator with simulated time (the alarm steps close their periods);
#: DR1-1 needs 20 days of HHDC and manufacturer exports, which the screenshots do not load
STEPS = ["DR2-1", "DR2-2", "DR3-2", "DR4-1a", "DR4-1b", "DR4-2", "DR4-3", "DR4-4", "DR4-5"]


def read_profile(window, ctx, first_day, last_day) -> dict:
    """Connect when needed and read the profile of GB settlement days ``first_day…last_day``."""
    from PySide6.QtCore import QDate

    from ui.smoke import wait_until

    conn = window.connection
    if ctx.port is None:
        conn.connect_meter()
        wait_until(lambda: ctx.port is not None and not ctx.port.busy, 30, "connect")
    conn.from_date.setDate(QDate(first_day.year, first_day.month, first_day.day))
    conn.to_date.setDate(QDate(last_day.year, last_day.month, last_day.day))
    done: list = []
    conn.profile_done.connect(done.append)
    conn.read_profile()
    wait_until(lambda: bool(done), 180, "profile read")
    conn.profile_done.disconnect(done.append)
    wait_until(lambda: not ctx.port.busy, 30, "reads after the profile")
    return done[0]


def select_level(window, ctx, sid: int, level: str) -> bool:
    """Show the trace holding a record of ``level`` (``bad``/``refused``) with it selected."""
    trace = window.trace
    trace.reload_sources()
    for t in sorted(ctx.store.traces(sid), key=lambda t: t["id"], reverse=True):
        trace.source_combo.setCurrentIndex(trace.source_combo.findData(t["id"]))
        settle(100)
        m = trace.model
        rows = list(m.rows) if m.rows is not None else list(range(len(m.records)))
        for view_row, i in enumerate(rows):
            if m.level(i) == level:
                trace.table.selectRow(view_row)
                return True
    return False


def alarm_day(store, sid: int):
    """The settlement day of the alarm steps' closed periods (simulated time may pass midnight)."""
    from datetime import date

    from bench_app.checklist.verdict import overall_result

    for step in overall_result(store, sid).steps:
        if step.step_id.startswith("DR4") and step.evidence.get("closed_periods"):
            return date.fromisoformat(step.evidence["closed_periods"][-1][:10])
    return None


def run(out: Path) -> dict:
    from datetime import UTC, datetime, timedelta

    from PySide6.QtCore import QDate

    from bench_app.settlement import settlement_day
    from bench_app.signing import new_self_signed
    from bench_app.simulator import start_builtin
    from ui.app import build_window, make_app
    from ui.smoke import configure_simulator, wait_until

    out.mkdir(parents=True, exist_ok=True)
    make_app()
    tmp = tempfile.TemporaryDirectory(prefix="wb-shots-")
    # keys, reports and the window's remembered settings stay in the temporary folder: the
    # shots never depend on (or change) the user's own settings
    os.environ["WITNESS_BENCH_HOME"] = str(Path(tmp.name) / "home")
    window, ctx = build_window(Path(tmp.name) / "bench.db")
    result: dict = {"ok": False, "shots": []}
    shots = result["shots"]
    try:
        window.resize(*SIZE)
        window.show()
        sid = populate_session(ctx.store)
        window.open_session(sid)
        configure_simulator(window)
        ctx.sim = start_builtin("dlms", defects=[DEFECT])  # the connection panel reuses it
        conn = window.connection
        conn.connect_meter()
        wait_until(lambda: conn.identity is not None and not ctx.port.busy, 30, "connect")
        today = settlement_day(datetime.now(UTC))
        flag_day = today - timedelta(days=1)
        stimulate_yesterday(ctx.sim.control, flag_day)
        first_day = today - timedelta(days=34)  # 5 weeks (both days included): heat map
        bench_cid = read_profile(window, ctx, first_day, today)["collection_id"]
        conn._request("events")
        wait_until(lambda: not ctx.port.busy, 60, "events read")
        conn._request("clock")
        wait_until(lambda: not ctx.port.busy, 30, "clock read")
        shots.append(grab(window, conn, "connection", out))
        window.open_session(mismatch_session(ctx.store))  # identity checked at once, in place
        shots.append(grab(window, conn, "connection-mismatch", out))
        window.open_session(sid)

        live = window.live
        window.show_panel(live)
        live.rate_combo.setCurrentIndex(live.rate_combo.findData(10.0))
        live.start_btn.setChecked(True)
        wait_until(lambda: live.samples >= 80, 60, "live samples")
        live.start_btn.setChecked(False)
        shots.append(grab(window, live, "live", out))

        hhdc_cid = add_hhdc_copy(ctx.store, sid, bench_cid, flag_day)

        # the checklist on the simulator, simulated time: the alarm steps close their periods
        chk = window.checklist
        chk.template_combo.setCurrentIndex(
            chk.template_combo.findData("bscp601-protocol-cop1-2-3-5-10")
        )
        chk._prompt = lambda _text: chk.worker and chk.worker.answer("")  # nobody at the bench
        finished: list = []
        chk.step_finished.connect(finished.append)
        chk.run_steps(STEPS)
        wait_until(lambda: bool(finished), 600, "checklist steps")
        for step, name in (("DR4-1a", "checklist"), ("DR3-2", "checklist-fail")):
            chk.steps.setCurrentRow(next(i for i, r in enumerate(chk.rows) if r["step"] == step))
            from scripts.screenshots_bench_day import show_detail_end

            show_detail_end(window, chk)  # the result and its evidence links
            shots.append(grab(window, chk, name, out))

        # the profile read after the run holds the alarm steps' flags (meter time has advanced)
        day = alarm_day(ctx.store, sid) or today
        after_cid = read_profile(window, ctx, first_day, max(day, today))["collection_id"]
        ctx.close_port()
        prof = window.profile
        prof.reload_collections()
        prof.collection_combo.setCurrentIndex(prof.collection_combo.findData(after_cid))
        prof.view_combo.setCurrentIndex(0)
        prof.day_edit.setDate(QDate(day.year, day.month, day.day))
        shots.append(grab(window, prof, "profile", out))
        result["flagged_periods"] = int((prof.series.status != 0).sum())
        result["alarm_day"] = day.isoformat()
        prof.view_combo.setCurrentIndex(2)
        shots.append(grab(window, prof, "profile-heatmap", out))
        prof.compare.a_combo.setCurrentIndex(prof.compare.a_combo.findData(bench_cid))
        prof.compare.b_combo.setCurrentIndex(prof.compare.b_combo.findData(hhdc_cid))
        prof.view_combo.setCurrentIndex(3)
        prof.day_edit.setDate(QDate(flag_day.year, flag_day.month, flag_day.day))
        shots.append(grab(window, prof, "profile-compare", out))
        prof.compare.diff_check.setChecked(True)  # B − A: the planted differences stand out
        shots.append(grab(window, prof, "profile-compare-difference", out))
        prof.compare.diff_check.setChecked(False)

        window.events.reload()
        shots.append(grab(window, window.events, "events", out))

        trace = window.trace
        trace.reload_sources()
        biggest = max(ctx.store.traces(sid), key=lambda t: t.get("records", 0))
        trace.source_combo.setCurrentIndex(trace.source_combo.findData(biggest["id"]))
        if trace.model.rowCount():
            trace.table.selectRow(min(3, trace.model.rowCount() - 1))
        shots.append(grab(window, trace, "trace", out))
        if select_level(window, ctx, sid, "refused"):  # DR2-1's wrong password: AARE rejected
            shots.append(grab(window, trace, "trace-refused", out))
        # a noisy line: a second simulator corrupts a share of its frames' checksums
        ctx.stop_simulator()
        ctx.sim = start_builtin("dlms", faults=["corrupt:0.3"])
        conn.connect_meter()
        wait_until(lambda: ctx.port is not None and not ctx.port.busy, 60, "noisy connect")
        ctx.close_port()
        if select_level(window, ctx, sid, "bad"):
            shots.append(grab(window, trace, "trace-bad-frame", out))

        rep = window.report
        keys = Path(tmp.name) / "keys"
        t_key, t_pem = new_self_signed(
            "Alice Tester", "Acme Meter Lab", "tester", keys, passphrase=PASS
        )
        w_key, w_pem = new_self_signed("Bob Witness", "Elexon", "witness", keys, passphrase=PASS)
        rep.confirm_first_signature = lambda role: True  # the tester read the sheet and signs
        rep.set_trust([t_pem, w_pem])  # the witness countersigns a report whose signer they trust
        wait_until(lambda: not rep.runner.busy, 120, "trusted certificates")
        for role, key in (("tester", t_key), ("witness", w_key)):
            rep.role_combo.setCurrentText(role)
            rep.key_edit.setText(str(key))
            rep.pass_edit.setText(PASS.decode())
            rep.sign()
            wait_until(lambda: not rep.runner.busy, 120, f"report signing ({role})")
        rep.key_edit.setText(str(w_key))
        rep.set_trust([t_pem, w_pem])  # the witness trusts both certificates: verdict OK
        wait_until(lambda: not rep.runner.busy, 120, "report verification")
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
        result["report_verdict"] = rep.state.result if rep.state is not None else None
        result["checklist"] = [(o.step_id, o.verdict) for o in finished[0]] if finished[0] else []
        result["simulator_badge"] = window.sidebar.simulated
        rep.set_trust([t_pem])  # a witness who trusts only the tester's certificate
        wait_until(lambda: not rep.runner.busy, 120, "verification with one certificate")
        result["one_trusted_verdict"] = rep.state.result if rep.state is not None else None
        shots.append(grab(window, rep, "report-one-trusted", out))
        result["ok"] = (
            result["valid_signatures"] == 2
            and result["report_verdict"] == "OK"
            and len(shots) >= 12
            and ("DR3-2", "fail") in result["checklist"]
            and result["flagged_periods"] > 0
            and result["simulator_badge"]
            and result["one_trusted_verdict"] == "UNTRUSTED"
        )
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
    ap.add_argument(
        "--part",
        choices=("all", "main", "bench-day"),
        default="all",
        help="main: the simulated-time session; bench-day: the real bench scenes "
        "(scripts/screenshots_bench_day.py); all: both (default)",
    )
    args = ap.parse_args()
    out = Path(args.out).expanduser().resolve()
    result: dict = {"ok": True}
    if args.part in ("all", "main"):
        result = run(out)
    if args.part in ("all", "bench-day"):
        from scripts.screenshots_bench_day import run_scenes

        try:
            day = run_scenes(out)
        except Exception as exc:  # noqa: BLE001 - reported in the JSON line, exit code 1
            from ui.errors import describe

            info = describe(exc)
            day = {"ok": False, "error": f"{info.title}: {info.what}"}
        result["bench_day"] = day
        result["ok"] = bool(result["ok"] and day["ok"])
    print(json.dumps(result), flush=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
