"""``bench-app observe``: the bench on the line between the HHDC's system and the outstation.

Three ways, each recording every byte both directions, timestamped, into the session as observed
traces (HHDC → meter / meter → HHDC), never altering a byte:

* ``--listen tcp://HOST:PORT --to COM3|socket://…`` — relay: the HHDC dials the bench (first
  stdout line ``listening on socket://HOST:PORT``), the bench forwards to the meter; one stored
  trace per call;
* ``--from COM4 --to COM3`` — relay between two serial ports, each with its own line settings;
* ``--tap-hhdc COM5 --tap-meter COM6`` — passive tap on a Y-cable: two receive-only ports.

``--iec`` starts both sides at the IEC 62056-21 sign-on (300 7E1) and follows the option select
(mode C speed, mode E → 8N1) and the break on both sides. Runs until Ctrl-C / SIGTERM, ``--calls
N`` HHDC calls or ``--for SECONDS``; every stored segment is printed with its exchanges
(associations, GETs, SETs, IEC commands).
"""

from __future__ import annotations

import argparse
import re
import signal
import sys
import threading
import time

from bench_app.cli import validate
from bench_app.cli.common import add_db_option, open_store
from bench_app.errors import UsageError
from drivers.transport import IEC_SIGN_ON, LineSettings

_LINE = re.compile(r"^\s*(\d+)\s*[ ,/:-]?\s*([78])([NEO])([12])\s*$", re.IGNORECASE)


def line_settings(text: str) -> LineSettings:
    """``"9600 8N1"`` / ``"300,7E1"`` → :class:`LineSettings` (argparse ``type=``)."""
    m = _LINE.match(text)
    if not m:
        raise argparse.ArgumentTypeError(
            f"line settings must be BAUD FORMAT such as '9600 8N1' or '300 7E1', not {text!r}"
        )
    baud = validate.baud(m.group(1))
    return LineSettings(baud, int(m.group(2)), m.group(3).upper(), int(m.group(4)))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "observe",
        help="observe the HHDC's system reading the meter (relay or passive tap), into a session",
        description="Sit on the line between the HHDC's system and the outstation: forward (relay) "
        "or only listen (tap), never altering a byte; every byte both directions is stored in "
        "the session as an observed trace and decoded (associations, GETs, SETs, IEC commands).",
    )
    p.add_argument("--session", type=int, required=True, help="store the observed traces here")
    p.add_argument("--step", default="", help="checklist step the traces belong to, e.g. DR2-1")
    hhdc = p.add_mutually_exclusive_group(required=True)
    hhdc.add_argument("--listen", help="relay: tcp://HOST:PORT the HHDC dials (port 0 = any)")
    hhdc.add_argument("--from", dest="from_port", type=validate.port_url,
                      help="relay: the HHDC's (modem) side serial port, e.g. COM4")  # fmt: skip
    hhdc.add_argument("--tap-hhdc", type=validate.port_url,
                      help="tap: receive-only port carrying what the HHDC sends")  # fmt: skip
    meter = p.add_mutually_exclusive_group(required=True)
    meter.add_argument("--to", dest="to_port", type=validate.port_url,
                       help="relay: the meter's side, e.g. COM3 or socket://HOST:PORT")  # fmt: skip
    meter.add_argument("--tap-meter", type=validate.port_url,
                       help="tap: receive-only port carrying what the meter sends")  # fmt: skip
    p.add_argument("--line", type=line_settings, help="line settings of both serial sides, "
                   "e.g. '9600 8N1' (default 300 7E1 with --iec, else 9600 8N1)")  # fmt: skip
    p.add_argument("--from-line", type=line_settings, help="HHDC side only (overrides --line)")
    p.add_argument("--to-line", type=line_settings, help="meter side only (overrides --line)")
    p.add_argument("--iec", action="store_true",
                   help="start at the IEC 62056-21 sign-on and follow option select / break")
    p.add_argument("--calls", type=validate.int_range(1, 100000),
                   help="stop after this many HHDC calls (relay on TCP)")  # fmt: skip
    p.add_argument("--for", dest="duration", type=validate.positive_float,
                   help="stop after this many seconds")  # fmt: skip
    p.add_argument("--split-idle", type=validate.positive_float, default=2.0,
                   help="serial line: a stored segment ends after this much silence (s)")
    p.add_argument("--quiet", action="store_true", help="do not print the exchanges")
    add_db_option(p)
    p.set_defaults(func=run_observe)


def _spec(args: argparse.Namespace):
    from bench_app.observe import ObserveSpec

    if args.tap_hhdc and not args.tap_meter or args.tap_meter and not args.tap_hhdc:
        raise UsageError("a passive tap needs both --tap-hhdc and --tap-meter")
    if args.tap_hhdc is None and args.to_port is None:
        raise UsageError("a relay needs --to (the meter's side)")
    if args.listen is not None and not args.listen.startswith("tcp://"):
        raise UsageError(f"--listen must be tcp://HOST:PORT, not {args.listen!r}")
    if args.calls and args.listen is None:
        raise UsageError("--calls counts HHDC calls on a TCP relay (--listen)")
    base = args.line or (IEC_SIGN_ON if args.iec else LineSettings(9600, 8, "N", 1))
    hhdc_line, meter_line = args.from_line or base, args.to_line or base
    if args.tap_hhdc:
        return ObserveSpec(args.tap_hhdc, args.tap_meter, "tap", hhdc_line, meter_line,
                           args.iec, args.split_idle)  # fmt: skip
    hhdc = args.listen or args.from_port
    return ObserveSpec(hhdc, args.to_port, "relay", hhdc_line, meter_line, args.iec,
                       args.split_idle)  # fmt: skip


def run_observe(args: argparse.Namespace) -> int:
    from bench_app.observe import Observer, StoredSegment, meter_levels

    spec = _spec(args)
    store = open_store(args)
    stop = threading.Event()

    def _stop(signum: int, frame: object) -> None:
        stop.set()

    def printed(stored: StoredSegment) -> None:
        tx, rx = stored.segment.trace.byte_counts()
        print(
            f"stored trace {stored.trace_id}: {len(stored.segment.trace)} records, {tx} B HHDC → "
            f"meter, {rx} B meter → HHDC ({stored.segment.reason})",
            flush=True,
        )
        for why, settings in stored.segment.changes:
            print(f"  line: {settings} ({why})", flush=True)
        if not args.quiet:
            for ex in stored.exchanges:
                print(f"  {ex.text}", flush=True)

    try:
        levels = meter_levels(store, args.session)
        observer = Observer(
            store, args.session, spec, step=args.step, levels=levels, on_stored=printed
        )
        url = observer.start()
        old = (signal.signal(signal.SIGINT, _stop), signal.signal(signal.SIGTERM, _stop))
        try:
            if spec.mode == "tap":
                print(f"tapping {spec.hhdc} (HHDC → meter) and {spec.meter} (meter → HHDC); "
                      "nothing is transmitted", flush=True)  # fmt: skip
            elif url.startswith("socket://"):
                print(f"listening on {url}", flush=True)
                print(f"relaying to {spec.meter}", flush=True)
            else:
                print(f"relaying {spec.hhdc} ({spec.hhdc_line}) ↔ {spec.meter} "
                      f"({spec.meter_line})", flush=True)  # fmt: skip
            print("observing until Ctrl-C (or SIGTERM)", file=sys.stderr, flush=True)
            deadline = time.monotonic() + args.duration if args.duration else None
            while not stop.is_set() and observer.running:
                observer.poll(0.2)
                if args.calls and observer.observer.calls_ended >= args.calls:
                    break
                if deadline is not None and time.monotonic() >= deadline:
                    break
        finally:
            observer.stop()
            signal.signal(signal.SIGINT, old[0])
            signal.signal(signal.SIGTERM, old[1])
        for err in observer.observer.errors:
            print(f"warning: {err}", file=sys.stderr)
        segments = len(observer.stored)
        print(f"observed {segments} segment(s) into session {args.session}", flush=True)
        return 0
    finally:
        store.close()

