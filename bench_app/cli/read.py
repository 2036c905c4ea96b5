"""``bench-app read``: read a meter (identity, clock, registers, profile, events).

Without ``--from/--to`` it reads everything the meter holds. ``--json`` prints one object (see
:meth:`drivers.model.MeterReading.to_json`); the default is a readable summary. With ``--session``
the read is stored in the session database block by block (resumable). Exit codes: 0 ok, 2 usage,
3 transport/timeout, 4 protocol, 5 authentication, 16 read with warnings (some optional object was
missing, refused or undecodable; everything else was read, stored and printed, and the
``warnings`` list says what and why).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from datetime import datetime

from bench_app import meters
from bench_app.cli import validate
from bench_app.cli.password import add_password_options, resolve_password
from bench_app.errors import UsageError
from bench_app.settlement import parse_utc
from drivers.errors import AuthenticationError, DriverError
from drivers.meter import ConnectOptions, MeterDriver, create_meter, read_all
from drivers.model import MeterReading, iso

#: exit code of a read that finished but could not get every object (see ``warnings``).
EXIT_READ_WITH_WARNINGS = 16


def add_connection_options(p: argparse.ArgumentParser, *, required: bool = True) -> None:
    """Port/protocol/password options shared by ``read``, ``checklist run`` and the demo."""
    p.add_argument(
        "--port",
        type=validate.port_url,
        required=required,
        help="/dev/ttyUSB0, COM3, socket://HOST:PORT (tcp://HOST:PORT is taken as socket://)",
    )
    p.add_argument("--protocol", choices=["iec21", "dlms"], required=required)
    add_password_options(p)
    p.add_argument(
        "--baud", type=validate.baud, help="max baud (IEC, mode E) or line baud (DLMS HDLC)"
    )
    p.add_argument("--device-address", default="", help="IEC 62056-21 device address")
    p.add_argument(
        "--client-sap",
        type=validate.int_range(1, 127),
        default=None,
        help="DLMS client SAP 1…127 (16 = public; default 48 with --password, else 16)",
    )
    p.add_argument(
        "--server-logical",
        type=validate.int_range(0, 16383),
        default=1,
        help="DLMS server logical address",
    )
    p.add_argument(
        "--server-physical",
        type=validate.int_range(0, 16383),
        default=17,
        help="DLMS server physical address",
    )
    p.add_argument("--mode-e", action="store_true", help="DLMS through the optical port (mode E)")
    p.add_argument("--framing", choices=["hdlc", "wrapper"], default="hdlc", help="DLMS framing")
    p.add_argument(
        "--max-info",
        type=validate.int_range(32, 2030),
        default=128,
        help="DLMS HDLC max information field (32…2030 bytes)",
    )
    p.add_argument(
        "--window", type=int, default=7, choices=range(1, 8), metavar="1..7",
        help="DLMS HDLC receive window to propose (frames per acknowledgement)",
    )  # fmt: skip
    p.add_argument("--echo", action="store_true", help="drop the echo of a half-duplex head")
    p.add_argument(
        "--timeout", type=validate.positive_float, default=3.0, help="seconds per answer (> 0)"
    )
    p.add_argument(
        "--meter",
        help="meter description (name in resources/meters or the user's meters folder, or a "
        ".toml path); default prometer100",
    )


def connect_options(args: argparse.Namespace) -> ConnectOptions:
    """Build :class:`ConnectOptions` from parsed :func:`add_connection_options` arguments
    (resolves the meter password from its source into ``args.password``)."""
    resolve_password(args)
    description = meters.load(args.meter) if getattr(args, "meter", None) else None
    client_sap = args.client_sap
    if client_sap is None:
        level = 2 if args.password else 0  # level 2 (HHDC) when a password is given
        client_sap = 48 if args.password else 16
        if description is not None and level in description.level_numbers:
            client_sap = description.level(level).client_sap
    return ConnectOptions(
        url=args.port,
        password=args.password,
        baud=args.baud,
        device_address=args.device_address,
        client_sap=client_sap,
        server_logical=args.server_logical,
        server_physical=args.server_physical,
        mode_e=args.mode_e,
        framing=args.framing,
        max_info=args.max_info,
        window=getattr(args, "window", 1),
        echo=args.echo,
        timeout=args.timeout,
        description=description,
        listen_only=getattr(args, "listen_only", False),
    )


def parse_time(text: str | None, name: str) -> datetime | None:
    if not text:
        return None
    try:
        return parse_utc(text)
    except ValueError:
        raise UsageError(f"{name}: {text!r} is not an ISO 8601 date/time") from None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "read",
        help="read a meter: identity, clock, registers, profile, events",
        description=(
            "Needs --port and --protocol (and usually --password). Reads identity, clock, "
            "registers, the load profile (--from/--to, else everything the meter holds) and "
            "the event log. Writes: with --session the read into that session (resumable); "
            "with --trace the byte trace as JSON Lines (its folder must exist). Prints a "
            "summary, or --json one object. Exit codes: 0 ok, 2 usage, 3 transport/timeout, "
            "4 protocol, 5 authentication, 16 read with warnings (the rest was read and stored)."
        ),
    )
    add_connection_options(p)
    p.add_argument("--from", dest="start", help="first interval (ISO 8601, UTC if no offset)")
    p.add_argument("--to", dest="end", help="read intervals starting before this (ISO 8601)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--listen-only",
        action="store_true",
        help="IEC 62056-21 mode D: send nothing, read the telegram the meter pushes "
        "(--baud, default 2400)",
    )
    p.add_argument(
        "--trace", help="save the byte trace as JSON Lines to this file (its folder must exist)"
    )
    p.add_argument("--session", type=int, help="store the read in this session")
    p.add_argument(
        "--accept-serial",
        action="store_true",
        help="with --session: store the read although the meter is not the session's "
        "(declared or read before); recorded as a deviation",
    )
    p.add_argument("--db", help="session database (default: user data folder)")
    add_time_source_option(p)
    p.set_defaults(func=run)


def add_time_source_option(p: argparse.ArgumentParser) -> None:
    """``--time-source pc | gps:PORT | ntp:HOST`` (the reference clock, docs/criteria.md)."""
    p.add_argument(
        "--time-source", default="pc", metavar="SOURCE",
        help="reference clock measured with every clock reading: pc (default, not traceable), "
        "gps:PORT (NMEA receiver, e.g. gps:COM5) or ntp:HOST",
    )  # fmt: skip


class _Progress:
    """Progress on stderr once a read has taken more than 2 s: days done of the requested span
    with a percentage, or (no ``--from``) days walked back so far; before the first block, what
    it is waiting for."""

    def __init__(self, port: str = "", timeout: float = 0.0) -> None:
        self.t0 = time.monotonic()
        self.shown = False
        self.port, self.timeout = port, timeout
        self._timer = threading.Timer(2.0, self._waiting)
        self._timer.daemon = True
        if port:
            self._timer.start()

    def _waiting(self) -> None:
        if not self.shown:
            print(
                f"waiting for the meter on {self.port} (each answer up to {self.timeout:g} s)…",
                file=sys.stderr,
                flush=True,
            )

    def __call__(self, done: int, total: int) -> None:
        if time.monotonic() - self.t0 < 2.0:
            return
        self.shown = True
        if total:
            text = f"reading profile: {done}/{total} days ({100 * done / total:.0f} %)"
        else:
            text = (
                f"reading profile: {done} days back so far "
                "(no --from: until the meter holds no older data)"
            )
        print(f"\r{text}", end="", file=sys.stderr, flush=True)

    def hook(self, op: str, done: int, total: int) -> None:
        """The acquisition service's ``progress(operation, done, total)`` hook."""
        self(done, total)

    def done(self) -> None:
        self._timer.cancel()
        if self.shown:
            print(file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    if args.listen_only and (args.protocol != "iec21" or args.password or args.session):
        raise UsageError("--listen-only is IEC 62056-21 only, without --password or --session")
    start, end = parse_time(args.start, "--from"), parse_time(args.end, "--to")
    if start and end and end <= start:
        raise UsageError("--to must be after --from")
    if args.trace:
        validate.output_file(args.trace, "--trace")
    from bench_app.timesource import parse as parse_time_source

    time_source = parse_time_source(getattr(args, "time_source", "pc"))
    meter = create_meter(args.protocol, connect_options(args))
    progress = _Progress(args.port, args.timeout)
    try:
        meter.connect()
        if args.session is not None:
            reading = _read_into_session(args, meter, start, end, progress, time_source)
        else:
            reading = read_all(meter, start, end, progress=progress)
    except DriverError as exc:
        exc.located(port=args.port)
        if isinstance(exc, AuthenticationError) and not args.password:
            exc.message += (
                "; without --password the meter is read as the public client, which may see "
                "only the device name and clock — give the HHDC (level 2) password"
            )
        raise
    finally:
        progress.done()
        meter.close()
        if args.trace:
            meter.trace.save(args.trace)
    if args.json:
        print(json.dumps(reading.to_json(), indent=1))
    else:
        print(summary(reading))
    if reading.warnings:
        print(
            f"read with {len(reading.warnings)} warning(s): not everything could be read",
            file=sys.stderr,
        )
        return EXIT_READ_WITH_WARNINGS
    return 0


def _read_into_session(args, meter: MeterDriver, start, end, progress, time_source=None
                       ) -> MeterReading:  # fmt: skip
    from bench_app.acquire import read_into_session
    from bench_app.cli.common import db_path
    from bench_app.store import Store

    store = Store.open(db_path(args))
    try:
        result = read_into_session(
            store,
            args.session,
            meter,
            start,
            end,
            progress=progress.hook,
            label="bench read",
            accept_serial=args.accept_serial,
            time_source=time_source,
        )
    finally:
        store.close()
    print(
        f"stored collection {result.collection_id} in session {args.session}: "
        f"{result.rows_stored} new readings"
        + (f" (resumed from {iso(result.resumed_from)})" if result.resumed_from else ""),
        file=sys.stderr,
    )
    return result.reading


def summary(reading: MeterReading) -> str:
    """A readable multi-line summary of a read (what ``make demo`` prints)."""
    ident = reading.identity
    lines = [f"Meter       {ident.serial}  ({ident.manufacturer} {ident.model})".rstrip()]
    if ident.outstation_type:
        lines.append(f"Type code   {ident.outstation_type}")
    for k, v in ident.firmware.items():
        lines.append(f"Firmware    {k}: {v}")
    if reading.clock:
        c = reading.clock
        lines.append(
            f"Clock       meter {iso(c.meter_time)}  PC {iso(c.pc_time)}  "
            f"deviation {c.deviation_s:+.1f} s"
        )
    for r in reading.registers:
        lines.append(f"Register    {r.obis:<16} {r.value:>14} {r.unit or ''}")
    p = reading.profile
    if p and p.rows:
        days = len({r.start.date() for r in p.rows})
        flagged = sum(1 for r in p.rows if r.status)
        lines.append(
            f"Profile     {len(p.rows)} intervals of {p.period_min} min over {days} "
            f"day{'s' if days != 1 else ''} (UTC dates), "
            f"{len(p.channels)} channels, {flagged} flagged; "
            f"{iso(p.rows[0].start)} → {iso(p.rows[-1].start)}"
        )
    elif p is not None:
        lines.append("Profile     no intervals in the range")
    shown = reading.events[-5:]
    more = (
        f" (the last {len(shown)} shown; --json lists all)"
        if len(shown) < len(reading.events)
        else ""
    )
    lines.append(f"Events      {len(reading.events)}{more}")
    for e in shown:
        lines.append(f"            {iso(e.time)}  {e.code:>3}  {e.text}")
    for w in reading.warnings:
        lines.append(f"Warning     {w}")
    return "\n".join(lines)
