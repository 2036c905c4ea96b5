"""``bench-app session set ID WHAT …``: complete a session's formal record from the command line.

WHAT is one of:

* ``participant --name N [--organisation O] --role tester|witness|hhdc|manufacturer [--mpid X]``
* ``hhdc --name N --mpid XXXX`` — the HHDC acting as Protocol Testing Agent
* ``equipment [--type PRO] [--model M] [--serial S …] [--firmware COMPONENT=VERSION …]
  [--hardware H] [--channels N] [--comms TEXT]`` — declared equipment under test
* ``software [--hhdc-software N] [--hhdc-version V] [--hhdc-date D] [--hhdc-host H]
  [--hhdc-modules M] [--manufacturer-software N] [--manufacturer-version V]``
* ``test-equipment --item TEXT …`` — probe, cables, supply, with serials and calibration
* ``time-source TEXT`` — the reference time source
* ``cop-issue COP:ISSUE …`` — the Codes of Practice with the issue tested against
* ``capabilities NAME=yes|no … [--by NAME]`` — what the outstation has fitted (battery,
  reset_alarm, reverse_running, internal_clock, hh_storage, any_storage, instantaneous_power,
  energy_flow_direction; export_channels=COUNT): "(where fitted)" steps are n/a when not fitted
* ``bench (--simulator [--meter NAME] | --port URL [--baud N] [--framing F] [--probe P])``
* ``test-record [--application-reference R] [--applicant A] [--pta-role HHDC|AMHHDC]
  [--pta-tester NAME …] [--protocol TEXT …] [--approval-role sva-hhdc|cva-cdca …]
  [--script-reference R] [--script-version V] [--departure TEXT …] [--witness-remarks TEXT]`` —
  the Elexon test record's
  fields the other records do not hold (merged with the newest; a repeated option replaces the
  list)

Equipment and software records are merged with the newest record (fields not given are kept); a
new record supersedes the old one, which stays in the audit chain.
"""

from __future__ import annotations

import argparse
import re

from bench_app.cli.common import add_db_option, open_store
from bench_app.errors import UsageError
from bench_app.store.sessions import ROLES

_SOFTWARE = ("hhdc_software", "hhdc_version", "hhdc_date", "hhdc_host", "hhdc_modules",
             "manufacturer_software", "manufacturer_version")  # fmt: skip


def register(ss: argparse._SubParsersAction) -> None:
    """Add ``session set`` to the ``session`` sub-commands."""
    p = ss.add_parser("set", help="set participants, HHDC, equipment, software, test set-up")
    w = p.add_subparsers(dest="what", metavar="WHAT")
    w.required = True

    def sub(name: str, help_text: str) -> argparse.ArgumentParser:
        q = w.add_parser(name, help=help_text)
        q.add_argument("id", type=int, help="session id")
        add_db_option(q)
        q.set_defaults(func=run_set)
        return q

    q = sub("participant", "add a tester, witness, HHDC or manufacturer participant")
    q.add_argument("--name", required=True)
    q.add_argument("--organisation", default="")
    q.add_argument("--role", required=True, choices=ROLES)
    q.add_argument("--mpid", default=None, help="4-letter Market Participant ID (HHDC)")
    q = sub("hhdc", "the HHDC (name and MPID) acting as Protocol Testing Agent")
    q.add_argument("--name", required=True)
    q.add_argument("--mpid", required=True, help="4-letter Market Participant ID, e.g. UKDC")
    q = sub("equipment", "declared equipment under test (serials, firmware)")
    q.add_argument("--type", dest="outstation_type", help="Valid Outstation Type code, e.g. PRO")
    q.add_argument("--model")
    q.add_argument("--serial", action="append", help="serial number (repeatable)")
    q.add_argument("--firmware", action="append", metavar="COMPONENT=VERSION", help="repeatable")
    q.add_argument("--hardware", dest="hardware_version")
    q.add_argument("--channels", type=int)
    q.add_argument("--comms", dest="comms_method", help="remote communication method")
    q.add_argument("--channel-types", help="type of each channel, e.g. 'import kWh, export kWh'")
    q = sub("software", "software under test: HHDC and manufacturer software with versions")
    for field in _SOFTWARE:
        q.add_argument("--" + field.replace("_", "-"), dest=field)
    q = sub("test-equipment", "test equipment (probe, cables, supply) with serials")
    q.add_argument("--item", action="append", required=True, help="one item (repeatable)")
    q = sub("time-source", "the reference time source the clock checks use")
    q.add_argument("source", help="e.g. 'GPS-disciplined NTP server ntp1.lab (stratum 1)'")
    q = sub("cop-issue", "Codes of Practice with the issue tested against")
    q.add_argument("issues", nargs="+", metavar="COP:ISSUE", help="e.g. 1:2 5:6")
    q = sub("capabilities", "what the outstation has fitted (the '(where fitted)' tests)")
    q.add_argument("values", nargs="+", metavar="NAME=yes|no", help="e.g. battery=no")
    q.add_argument("--by", default="", help="who declares it (quoted with the n/a verdict)")
    q = sub("test-record", "the Elexon test record: application, applicant, PTA testers, "
            "protocols, approval role, agreed script and departures")
    q.add_argument("--application-reference", help="BSCP601 application reference")
    q.add_argument("--applicant", help="who applied (usually the manufacturer)")
    q.add_argument("--pta-role", help="the Protocol Testing Agent acts as HHDC or AMHHDC")
    q.add_argument("--pta-tester", dest="pta_testers", action="append", metavar="NAME",
                   help="a tester of the Protocol Testing Agent (repeatable)")
    q.add_argument("--protocol", dest="protocols", action="append", metavar="TEXT",
                   help="protocol in test with its version, e.g. 'DLMS/COSEM IEC 62056-5-3 "
                   "ed. 2' (repeatable)")
    q.add_argument("--approval-role", dest="approval_roles", action="append",
                   metavar="sva-hhdc|cva-cdca", help="approval role sought (repeatable)")
    q.add_argument("--script-reference", help="reference of the Elexon-agreed script")
    q.add_argument("--script-version", help="version of the Elexon-agreed script")
    q.add_argument("--departure", dest="departures", action="append", metavar="TEXT",
                   help="one departure from the sample script agreed with Elexon (repeatable)")
    q.add_argument("--witness-remarks", metavar="TEXT",
                   help="the witness's overall remarks (per step: checklist record --note)")
    q = sub("bench", "how the meter was reached: the simulator, or port, baud, framing, probe")
    q.add_argument("--simulator", action="store_true", help="the built-in simulated outstation")
    q.add_argument("--meter", default="", help="simulated meter description (with --simulator)")
    q.add_argument("--port", default="")
    q.add_argument("--protocol", default="")
    q.add_argument("--baud", type=int, default=None)
    q.add_argument("--framing", default="", help="e.g. 7E1 (IEC mode C), 8N1 (HDLC)")
    q.add_argument("--probe", default="", help="optical probe or converter used")


def _pairs(items: list[str] | None, what: str, sep: str) -> dict[str, str]:
    out = {}
    for item in items or []:
        key, found, value = item.partition(sep)
        if not found or not key.strip() or not value.strip():
            raise UsageError(f"{what} {item!r}: expected KEY{sep}VALUE")
        out[key.strip()] = value.strip()
    return out


def _set_equipment(store, sid: int, args) -> str:
    old = store.equipment(sid) or {}
    firmware = dict(old.get("firmware") or {})
    firmware.update(_pairs(args.firmware, "--firmware", "="))
    keep = ("outstation_type", "model", "hardware_version", "channels", "comms_method")
    fields = {k: getattr(args, k) if getattr(args, k) is not None else old.get(k) for k in keep}
    store.set_equipment(
        sid,
        serials=args.serial if args.serial else old.get("serials") or [],
        firmware=firmware,
        channel_types=args.channel_types if args.channel_types is not None
        else old.get("channel_types") or "",
        variants_covered=old.get("variants_covered") or "",
        **{k: v if v is not None else ("" if k != "channels" else 0) for k, v in fields.items()},
    )
    return "equipment under test recorded"


def _set_software(store, sid: int, changes: dict) -> None:
    old = store.software(sid) or {}
    keys = ("hhdc_name", "hhdc_mpid", *_SOFTWARE)
    merged = {k: (changes[k] if changes.get(k) is not None else old.get(k) or "") for k in keys}
    store.set_software(sid, **merged)


def run_set(args: argparse.Namespace) -> int:
    sid = args.id
    with open_store(args) as store:
        store.get_session(sid)
        what = args.what
        if what == "participant":
            store.add_participant(sid, args.name, args.organisation, args.role, args.mpid)
            done = f"{args.role} {args.name} added"
        elif what == "hhdc":
            if not re.fullmatch(r"[A-Z]{4}", args.mpid):
                raise UsageError(f"--mpid {args.mpid!r}: an MPID is 4 capital letters (e.g. UKDC)")
            _set_software(store, sid, {"hhdc_name": args.name, "hhdc_mpid": args.mpid})
            done = f"HHDC {args.name} ({args.mpid}) recorded"
        elif what == "equipment":
            done = _set_equipment(store, sid, args)
        elif what == "software":
            _set_software(store, sid, {k: getattr(args, k) for k in _SOFTWARE})
            done = "software under test recorded"
        elif what == "test-equipment":
            store.set_session_record(sid, "test_equipment", {"items": args.item})
            done = f"{len(args.item)} test equipment item(s) recorded"
        elif what == "time-source":
            store.set_session_record(sid, "time_source", {"source": args.source})
            done = "reference time source recorded"
        elif what == "cop-issue":
            issues = _pairs(args.issues, "COP:ISSUE", ":")
            store.set_session_record(sid, "cop_issues", {"issues": issues})
            done = "CoP issues recorded: " + ", ".join(
                f"CoP {c} issue {i}" for c, i in issues.items()
            )
        elif what == "capabilities":
            from bench_app.capabilities import parse_pairs, record

            merged = record(store, sid, parse_pairs(args.values), args.by)
            done = "capabilities declared: " + ", ".join(f"{k}={v}" for k, v in merged.items())
        elif what == "test-record":
            from bench_app import test_record

            rec = test_record.record(store, sid, {k: getattr(args, k) for k in test_record.FIELDS})
            done = "test record: " + ", ".join(k for k in rec if rec.get(k)) + " recorded"
        else:
            done = _set_bench(store, sid, args)
    print(f"session {sid}: {done}")
    return 0


def _set_bench(store, sid: int, args) -> str:
    if args.simulator == bool(args.port):
        raise UsageError("give --simulator or --port URL (one of them)")
    data = {
        "simulator": bool(args.simulator),
        "meter": args.meter,
        "port": args.port,
        "protocol": args.protocol,
        "baud": args.baud,
        "framing": args.framing,
        "probe": args.probe,
    }
    store.set_session_record(sid, "bench", data)
    return "bench connection recorded" + (" (built-in simulator)" if args.simulator else "")
