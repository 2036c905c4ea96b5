"""``bench-app set-clock``: set the meter clock outside a checklist step, with intent recorded.

Setting a meter's clock leaves a clock-change event and a flagged settlement period in it (the
evidence DR3-2/DR3-3 examine), so the command needs ``--reason`` and ``--by`` (it names what is
missing and connects to nothing without them), refuses in a signed session and while a witnessed
checklist run is open, and stores into ``--session``: the clock read before, the clock read after
the write, and a record of the write (what, before, after, what it leaves, who, why) that the
report lists under "Writes to the meter" (:mod:`bench_app.meter_writes`).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from bench_app.cli.read import (
    add_connection_options,
    add_time_source_option,
    connect_options,
    parse_time,
)
from drivers.errors import DriverError
from drivers.meter import create_meter


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "set-clock",
        help="set the meter clock outside a checklist step (needs --reason and --by; recorded)",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    add_connection_options(p)
    p.add_argument("--session", type=int, required=True, help="the session the write belongs to")
    p.add_argument("--db", help="session database (default: user data folder)")
    p.add_argument("--to", dest="to", help="time to write (ISO 8601, UTC if no offset; default: "
                   "this PC's UTC now)")  # fmt: skip
    p.add_argument("--reason", default="", help="why the clock is set (required; recorded)")
    p.add_argument("--by", default="", help="who asks for the write (required; recorded)")
    add_time_source_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bench_app.acquire.service import Acquisition
    from bench_app.cli.common import db_path
    from bench_app.meter_writes import WriteIntent, check_allowed, set_clock
    from bench_app.store import Store
    from bench_app.timesource import parse as parse_time_source

    intent = WriteIntent(args.by, args.reason).check(by_name="--by", reason_name="--reason")
    target = parse_time(args.to, "--to")
    time_source = parse_time_source(args.time_source)
    store = Store.open(db_path(args))
    try:
        store.get_session(args.session)
        check_allowed(store, args.session)  # before anything is sent to the meter
        meter = create_meter(args.protocol, connect_options(args))
        acq = Acquisition(store, args.session, meter, label="set clock (by hand)",
                          time_source=time_source)  # fmt: skip
        try:
            meter.connect()
            acq.read_identity()  # a simulated outstation says so: the write is marked
            when = target or datetime.now(UTC)
            record, _after = set_clock(acq, when, intent, what="clock set by hand")
        except DriverError as exc:
            exc.located(port=args.port)
            raise
        finally:
            meter.close()
            acq.store_trace("connection")  # the bytes of the whole call, with the evidence
    finally:
        store.close()
    before, after = record["before"], record["after"]
    print(
        f"{record['change']} in session {args.session}: deviation "
        f"{before['deviation_s']:+.1f} s before, {after['deviation_s']:+.1f} s after"
    )
    print(f"leaves in the meter: {record['leaves']}")
    print(f"recorded: by {record['by']}, reason: {record['reason']}")
    return 0

