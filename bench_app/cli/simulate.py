"""``bench-app simulate`` (run a simulated outstation) and ``bench-app sim-control`` (act on it).

``simulate`` prints ``listening on URL`` as its first stdout line (the URL a client opens), then
``control on tcp://HOST:PORT`` (the bench-control channel), and runs until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from bench_app import meters
from bench_app.cli import validate
from bench_app.errors import UsageError
from drivers.obis import Obis, ObisError
from drivers.sim import (
    DEFAULT_IDLE_TIMEOUT_S,
    DEFAULT_METER,
    DEFECTS,
    SimOptions,
    start_simulator,
)
from drivers.sim.control import ACTIONS, RemoteBenchControl
from drivers.sim.faults import KINDS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate",
        help="run a simulated outstation on a pty or a TCP port",
        description="Run a simulated outstation. First stdout line: 'listening on URL'.",
    )
    p.add_argument("--protocol", choices=["iec21", "dlms"], default="dlms")
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--listen",
        default="tcp://127.0.0.1:0",
        type=validate.listen_url,
        help="tcp://HOST:PORT (0 = any)",
    )
    where.add_argument("--pty", action="store_true", help="serve on a pseudo-terminal")
    p.add_argument(
        "--meter",
        help="meter description: a name from resources/meters or the user's meters folder "
        f"({', '.join(meters.available())}) or a .toml path",
    )
    p.add_argument(
        "--without",
        action="append",
        default=[],
        metavar="OBIS",
        help="DLMS: leave this object out (repeatable), e.g. --without 0.0.99.98.0.255",
    )
    p.add_argument("--seed", type=int, default=1, help="data seed (same seed, same data)")
    p.add_argument(
        "--days",
        type=validate.int_range(1, 3660),
        help="days of stored data, 1…3660 (default: description, 90)",
    )
    p.add_argument("--period", type=int, choices=[5, 10, 15, 20, 30], help="integration minutes")
    p.add_argument("--password", help="override the meter's password (IEC P1 / DLMS level 2)")
    p.add_argument("--baud-emulation", action="store_true", help="pace bytes at the line speed")
    p.add_argument(
        "--baud", type=validate.baud, default=9600, help="DLMS HDLC line baud (emulation)"
    )
    p.add_argument(
        "--fault", action="append", default=[], metavar="KIND[:RATE]", help=f"{', '.join(KINDS)}"
    )
    p.add_argument("--defect", action="append", default=[], choices=DEFECTS)
    p.add_argument("--framing", choices=["hdlc", "wrapper"], default="hdlc", help="DLMS only")
    p.add_argument(
        "--server-physical",
        type=validate.int_range(0, 16383),
        default=17,
        help="DLMS HDLC physical address",
    )
    p.add_argument(
        "--address-size", type=int, choices=[1, 2, 4], help="DLMS: accept only this HDLC form"
    )
    p.add_argument(
        "--max-info",
        type=validate.int_range(32, 2030),
        default=2030,
        help="DLMS: largest HDLC info field (32…2030)",
    )
    p.add_argument(
        "--max-pdu",
        type=validate.int_range(64, 65535),
        default=2048,
        help="DLMS: largest xDLMS PDU (blocks)",
    )
    p.add_argument(
        "--window", type=validate.int_range(1, 7), default=7,
        help="DLMS: largest HDLC window granted (1…7)",
    )
    p.add_argument("--no-mode-e", action="store_true", help="DLMS: ignore IEC sign-on (optical)")
    p.add_argument(
        "--referencing", choices=["ln", "sn"],
        help="DLMS: logical names or short names (default: the description's, else ln)",
    )  # fmt: skip
    p.add_argument(
        "--control-port",
        type=validate.int_range(0, 65535),
        default=0,
        help="bench-control TCP port (0 = any)",
    )
    p.add_argument(
        "--idle-timeout",
        type=validate.positive_float,
        default=DEFAULT_IDLE_TIMEOUT_S,
        metavar="SECONDS",
        help="drop a client that has sent nothing for this long, seconds > 0 "
        f"(default {DEFAULT_IDLE_TIMEOUT_S:g})",
    )
    p.set_defaults(func=run_simulate)

    c = sub.add_parser(
        "sim-control",
        help="act on a running simulator: pull a phase, cut the supply, offset the clock…",
        description="Act on a running simulator through its bench-control channel (the "
        "'control on tcp://…' line simulate prints). Writes nothing; prints 'ok: …' or the "
        "simulator's state as JSON.\n\nactions and their arguments:\n"
        + "\n".join(f"  {name:<18} {ACTION_ARGS.get(name, '')}" for name in sorted(ACTIONS)),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    c.add_argument("url", help="the 'control on tcp://…' URL printed by simulate")
    c.add_argument("action", choices=sorted(ACTIONS), help="what to do (see the list above)")
    c.add_argument("args", nargs="*", help="the action's arguments (see the list above)")
    c.set_defaults(func=run_control)

    g = sub.add_parser(
        "simulate-gps",
        help="run a simulated GPS receiver (NMEA) for --time-source gps:PORT",
        description="Send NMEA RMC sentences once a second on a pty (POSIX) or a TCP port, as a "
        "GPS receiver would, each after a $GPTXT notice naming the simulator (clock "
        "observations measured against it are stored marked simulated). First stdout line: "
        "'gps on PORT' (give --time-source gps:PORT). "
        "--pc-offset S makes the receiver see a PC clock S seconds fast.",
    )
    g.add_argument("--pc-offset", type=float, default=0.0, metavar="SECONDS",
                   help="how fast the PC clock is against the simulated receiver")  # fmt: skip
    g.add_argument("--listen", default="", help="tcp://HOST:PORT instead of a pty")
    g.set_defaults(func=run_gps)


#: What each sim-control action takes (help text; arity comes from drivers.sim.control.ACTIONS).
ACTION_ARGS = {
    "phase-failure": "PHASE (1, 2 or 3): remove that phase's voltage",
    "phase-restore": "PHASE (1, 2 or 3): restore it",
    "supply-cut": "(none): cut the outstation's auxiliary supply",
    "supply-restore": "(none): restore the supply",
    "battery-fault": "(none): simulate a battery fault",
    "battery-restore": "(none): replace the battery (the fault condition clears)",
    "set-password": "LEVEL PASSWORD: set a level's password (as the manufacturer's tool would)",
    "reset": "(none): a reset not caused by a supply failure",
    "reverse": "on|off: run energy backwards (reverse running)",
    "clock-offset": "MINUTES: set the meter clock to UTC + MINUTES (e.g. -10), no event",
    "change-parameter": "NAME VALUE: change a parameter through the port",
    "advance": "SECONDS (0 < SECONDS <= 604800): let simulated time pass at once (clock, "
    "closing periods, events)",
    "state": "(none): print the simulator's state as JSON",
}


def run_simulate(args: argparse.Namespace) -> int:
    without = []
    for code in args.without:
        try:
            without.append(Obis.parse(code).long)
        except ObisError as exc:
            raise UsageError(f"--without: {exc}") from None
    if without and args.protocol != "dlms":
        raise UsageError("--without applies to the DLMS simulator only")
    meter = meters.find(args.meter or DEFAULT_METER[args.protocol])
    try:
        options = SimOptions(
            meter=str(meter),
            without=without,
            seed=args.seed,
            days=args.days,
            period_min=args.period,
            defects=list(args.defect),
            faults=list(args.fault),
            baud_emulation=args.baud_emulation,
            password=args.password,
        )
        extra = {}
        if args.protocol == "dlms":
            extra = {
                "framing": args.framing,
                "server_physical": args.server_physical,
                "address_size": args.address_size,
                "max_info": args.max_info,
                "max_pdu": args.max_pdu,
                "window": args.window,
                "mode_e": not args.no_mode_e,
                "referencing": args.referencing,
            }
        sim = start_simulator(
            args.protocol,
            "pty" if args.pty else args.listen,
            options=options,
            control_port=args.control_port,
            baud=args.baud,
            idle_timeout_s=args.idle_timeout,
            **extra,
        )
    except (ValueError, OSError) as exc:
        raise UsageError(f"cannot start the simulator: {exc}") from exc
    stop = threading.Event()

    def _stop(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    print(f"listening on {sim.url}", flush=True)
    print(f"control on {sim.control_url}", flush=True)
    state = sim.meter.state()
    print(
        f"meter {state['serial']} ({args.protocol}), {state['intervals']} intervals of "
        f"{state['period_min']} min, defects: {', '.join(state['defects']) or 'none'}"
        + (f", without: {', '.join(without)}" if without else ""),
        flush=True,
    )
    print("running until Ctrl-C (or SIGTERM)", file=sys.stderr, flush=True)
    try:
        while not stop.wait(0.2):
            pass
    finally:
        sim.stop()
        print("simulator stopped", file=sys.stderr, flush=True)
    return 0


def run_control(args: argparse.Namespace) -> int:
    takes = len(ACTIONS[args.action][1])
    if len(args.args) != takes:  # before connecting: a usage error is not a network error
        raise UsageError(
            f"action {args.action!r} takes {takes} argument(s), got {len(args.args)}: "
            f"{args.action} {ACTION_ARGS.get(args.action, '')}"
        )
    try:
        result = RemoteBenchControl(args.url).do(args.action, *args.args)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    if result is not None:
        print(json.dumps(result, indent=2, default=str))
    else:
        print(f"ok: {args.action} {' '.join(args.args)}".rstrip())
    return 0


def run_gps(args: argparse.Namespace) -> int:
    """``bench-app simulate-gps``: serve until Ctrl-C."""
    import math

    from drivers.sim.gps import GpsSimulator, serve_forever

    if not math.isfinite(args.pc_offset) or abs(args.pc_offset) > 86400:
        raise UsageError("--pc-offset must be a number of seconds within one day")
    try:
        sim = GpsSimulator(args.pc_offset, args.listen).start()
    except (ValueError, OSError) as exc:
        raise UsageError(f"simulate-gps: {exc}") from None
    print(f"gps on {sim.url}", flush=True)
    serve_forever(sim)
    return 0
