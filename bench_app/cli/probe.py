"""``bench-app probe``: what does this meter have, and which known description fits it?

DLMS: reads the association's object list (0.0.40.0.0.255 attribute 2, with access rights) at the
lowest level that works — the public client first, the given password's level if the public one
is refused — and the profiles' capture objects where allowed; then tries, at the reading level,
how the meter behaves (HDLC window and info field, referencing, GET-with-list, block transfer,
the clock's deviation, range / entry / no selective access on the load profile) and records each
trial, and the quirks it implies, in the draft. IEC 62056-21: the data readout.
Prints the objects, then the best matching description (``resources/meters`` and the user's
``meters`` folder). ``--draft FILE`` writes a description of this meter to edit (DLMS).
Exit codes as ``read``; 0 also when nothing matches (the output says so).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench_app import meters
from bench_app.cli.read import add_connection_options, connect_options
from bench_app.errors import UsageError
from drivers.probe import ACCESS, CLASSES, draft_toml, match, probe_dlms, probe_iec21

#: share of a description's objects a meter must have to be called a match.
MATCH_THRESHOLD = 0.9


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "probe",
        help="list a meter's objects, name the matching meter description, draft a new one",
    )
    add_connection_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--draft", metavar="FILE", help="write a draft description (DLMS) to FILE")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.draft and args.protocol != "dlms":
        raise UsageError("--draft needs --protocol dlms (an IEC readout names no objects)")
    options = connect_options(args)
    result = probe_dlms(options) if args.protocol == "dlms" else probe_iec21(options)
    ranked = match(result, meters.all_descriptions())
    best = ranked[0] if ranked and ranked[0][0] >= MATCH_THRESHOLD else None
    if args.draft:
        path = Path(args.draft)
        name = path.stem
        try:
            sap = options.client_sap if options.password else None
            path.write_text(draft_toml(result, name, sap), encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--draft: cannot write {path}: {exc}") from None
    if args.json:
        out = result.to_json()
        out["match"] = best[1].name if best else None
        out["candidates"] = [{"name": d.name, "score": round(s, 3)} for s, d in ranked]
        out["draft"] = args.draft
        print(json.dumps(out, indent=1))
        return 0
    print(f"probed {args.protocol} at {result.level}: {result.identification or '-'}")
    for o in result.objects:
        rights = ", ".join(f"{a}:{ACCESS.get(m, m)}" for a, m in sorted(o.access.items()))
        kind = CLASSES.get(o.class_id, f"class {o.class_id}")
        print(f"  {o.obis:<18} {kind:<16} v{o.version}  {rights}")
        for col in result.capture.get(o.obis, []):
            print(f"  {'':<18}   captures {col}")
    for a in result.addresses:
        print(f"  {a}")
    for note in result.notes:
        print(f"  note: {note}")
    if result.trials:
        print("behaviour (tried on the reading association):")
    for trial in result.trials:
        print(f"  {trial}")
    if best:
        print(f"matches description {best[1].name!r} ({best[0]:.0%} of its objects present)")
    else:
        closest = f"; closest {ranked[0][1].name!r} ({ranked[0][0]:.0%})" if ranked else ""
        print(f"no known description matches{closest}")
    if args.draft:
        print(f"draft description written to {args.draft}: check it, then --meter {args.draft}")
    return 0
