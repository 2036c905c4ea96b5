"""What a DLMS meter *does*, found by trying: the behaviour half of ``bench-app probe``.

Objects can be listed; behaviour has to be tried. On one association (the reading level when a
password is given) :func:`run_trials` records, each as a :class:`Trial` (what was asked, what came
back, whether it works):

* the HDLC window and information field the meter granted to the largest proposal (2030 / 7);
* referencing (LN, or SN when the meter refused the LN context), the negotiated conformance
  (GET-with-list, block transfer, selective access) and the server's max PDU;
* the clock's deviation and status as the meter sends them;
* GET-with-list tried on two objects; block transfer as seen on the long answers;
* the load profile: entries_in_use, the newest entry by entry selection, a range selection over
  the newest entries with the clock's deviation and with "not specified", and — only when no
  selective access works — the whole buffer.

:func:`findings` turns the trials into the description's settings (``profile_access``, quirks),
which :func:`drivers.probe.draft_toml` writes with a comment saying what was seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from drivers.dlms import apdu as A
from drivers.dlms import axdr
from drivers.dlms import client as C
from drivers.dlms.client import DlmsClient
from drivers.errors import DriverError, ObjectError, ProtocolError
from drivers.model import utc

#: conformance bits (bit 0 = MSB of 24) the probe reports.
CONFORMANCE = {
    "block transfer with GET": 1 << (23 - 11),
    "general block transfer": 1 << (23 - 2),
    "GET-with-list (multiple references)": 1 << (23 - 14),
    "selective access": 1 << (23 - 21),
    "read (SN)": 1 << (23 - 3),
    "parameterized access (SN)": 1 << (23 - 18),
}


@dataclass
class Trial:
    """One thing tried: ``name``, what was asked, the meter's answer, and whether it works
    (True / False; None = not tried or only observed)."""

    name: str
    asked: str
    answer: str
    works: bool | None = None

    def to_json(self) -> dict:
        return {"trial": self.name, "asked": self.asked, "answer": self.answer,
                "works": self.works}  # fmt: skip

    def __str__(self) -> str:
        verdict = {True: "works", False: "does not work", None: "seen"}[self.works]
        return f"{self.name}: {verdict} — asked {self.asked}; {self.answer}"


def _why(exc: DriverError) -> str:
    return str(getattr(exc, "reason", "") or exc.message).removeprefix("refused: ")


def run_trials(meter: Any, profile_obis: str | None) -> list[Trial]:
    """Try everything on ``meter`` (a connected :class:`~drivers.dlms.meter.DlmsMeter`)."""
    c: DlmsClient = meter.client
    out: list[Trial] = []
    link = meter.link
    params = getattr(link, "params", None)
    if params is not None and getattr(link, "proposed", None) is not None:
        p = link.proposed
        out.append(Trial(
            "HDLC window and information field",
            f"SNRM proposing max info {p.max_info_rx} bytes, window {p.window_rx}",
            f"UA granted: we may send {params.max_info_tx} bytes, the meter sends up to "
            f"{params.max_info_rx} bytes, {params.window_rx} frames per window",
            True,
        ))  # fmt: skip
    assoc = c.association
    sn = getattr(c, "referencing", "ln") == "sn"
    out.append(Trial(
        "referencing",
        "AARQ with the LN context" + (", then the SN context" if sn else ""),
        "the meter accepted short names (SN)" if sn else "the meter accepted logical names (LN)",
        True,
    ))  # fmt: skip
    conformance = assoc.conformance if assoc else 0
    offered = [n for n, bit in CONFORMANCE.items() if conformance & bit]
    out.append(Trial(
        "conformance", "AARQ proposing the client's conformance",
        f"negotiated 0x{conformance:06X}: {', '.join(offered) or 'none of interest'}; server max "
        f"PDU {assoc.max_pdu if assoc else '?'} bytes", None,
    ))  # fmt: skip
    out.append(_clock(c))
    out.append(_get_with_list(c, conformance))
    if profile_obis:
        out += _profile(c, profile_obis)
    blocks = getattr(c, "blocks_received", 0)
    bit = bool(conformance & CONFORMANCE["block transfer with GET"])
    out.append(Trial(
        "block transfer", "long answers during the probe",
        f"{blocks} data block(s) received; the conformance "
        f"{'offers' if bit else 'does not offer'} block transfer with GET",
        True if blocks else (None if bit else False),
    ))  # fmt: skip
    return out


def _clock(c: DlmsClient) -> Trial:
    try:
        cdt = c.read_clock()
    except DriverError as exc:
        return Trial("clock deviation and status", "GET clock #2", f"refused: {_why(exc)}", False)
    dev = (
        "not specified" if cdt.deviation == axdr.DEVIATION_NOT_SPECIFIED
        else f"{cdt.deviation:+d} min"
    )  # fmt: skip
    status = "not specified" if cdt.clock_status == 0xFF else f"0x{cdt.clock_status:02X}"
    when = cdt.to_datetime()
    shown = f"{when:%Y-%m-%d %H:%M:%S} UTC" if when else "unspecified fields"
    return Trial("clock deviation and status", "GET clock #2",
                 f"{shown}, deviation {dev}, status {status}", True)  # fmt: skip


def _get_with_list(c: DlmsClient, conformance: int) -> Trial:
    asked = "GET-with-list of the logical device name and the clock"
    if not conformance & A.MULTIPLE_REFERENCES:
        return Trial("GET-with-list", asked, "not tried: the conformance does not offer it", False)
    try:
        values = c.get_list([(1, C.OBIS_LDN, 2), (8, C.OBIS_CLOCK, 2)])
    except ProtocolError as exc:
        return Trial("GET-with-list", asked, f"refused: {exc.message}", False)
    except ObjectError as exc:
        return Trial("GET-with-list", asked, f"refused: {exc.reason}", False)
    fine = sum(1 for v in values if not isinstance(v, ObjectError))
    return Trial("GET-with-list", asked, f"{fine} of 2 values came back", fine > 0)


def _rows_of(c: DlmsClient, obis: str, access: tuple[int, bytes] | None) -> list:
    rows = c.get(C.CLASS_PROFILE, obis, 2, access)
    if not isinstance(rows, list):
        raise C.bad_value(obis, 2, "buffer is not an array")
    return rows


def _profile(c: DlmsClient, obis: str) -> list[Trial]:
    out: list[Trial] = []
    try:
        period_s, columns = c.profile_layout(obis)
        entries = c.get(C.CLASS_PROFILE, obis, 7)
    except DriverError as exc:
        return [Trial("load profile", f"GET {obis} #3, #4, #7", f"refused: {_why(exc)}", False)]
    period = timedelta(seconds=max(60, period_s))
    out.append(Trial("load profile", f"GET {obis} #3, #4, #7",
                     f"{len(columns)} columns, period {period_s} s, {entries} entries in use",
                     True))  # fmt: skip
    newest: datetime | None = None
    asked = f"entry selection of the newest entry ({entries})"
    if isinstance(entries, int) and entries > 0:
        try:
            rows = c.profile_rows(
                _rows_of(c, obis, A.entry_descriptor(entries, entries)), period_s, columns, obis
            )
            if rows:
                newest = rows[-1].start + period
            out.append(Trial("entry selection", asked,
                             f"{len(rows)} row(s), ending {newest:%Y-%m-%d %H:%M} UTC"
                             if newest else "no rows", bool(rows)))  # fmt: skip
        except DriverError as exc:
            out.append(Trial("entry selection", asked, f"refused: {_why(exc)}", False))
    else:
        out.append(Trial("entry selection", asked, "not tried: the profile is empty", None))
    # ranges over the newest entries: with the clock's deviation, then "not specified"
    now = newest
    if now is None:
        try:
            now = utc(c.read_clock().to_datetime() or datetime.now().astimezone())
        except DriverError:
            now = utc(datetime.now().astimezone())
    spans = [period * 2] if newest else [period * 4, timedelta(days=2), timedelta(days=14)]
    saved = c.range_deviation_unspecified
    for label, unspecified in (("with deviation", False), ("with deviation not specified", True)):
        dev = "not specified" if unspecified else f"{c.clock_deviation:+d} min"
        name = f"range selection {label}"
        c.range_deviation_unspecified = unspecified
        try:
            for span in spans:
                rows = c.buffer(obis, now - span, now)
                if rows:
                    break
            asked = f"range {now - span:%Y-%m-%d %H:%M}…{now:%H:%M} UTC, deviation {dev}"
            out.append(Trial(name, asked, f"{len(rows)} row(s)", bool(rows)))
        except DriverError as exc:
            out.append(Trial(name, f"range selection, deviation {dev}",
                             f"refused: {_why(exc)}", False))  # fmt: skip
        finally:
            c.range_deviation_unspecified = saved
    if not any(t.works for t in out if "selection" in t.name):
        asked = "the whole buffer, no selective access"
        try:
            rows = _rows_of(c, obis, None)
            out.append(Trial("no selective access", asked, f"{len(rows)} row(s)", bool(rows)))
        except DriverError as exc:
            out.append(Trial("no selective access", asked, f"refused: {_why(exc)}", False))
    else:
        out.append(
            Trial(
                "no selective access",
                "the whole buffer",
                "not tried: selective access works (a whole buffer can be long)",
                None,
            )
        )
    return out


def findings(trials: list[Trial]) -> dict[str, Any]:
    """The description settings the trials support: ``profile_access`` (``range``, ``entry``,
    ``none`` or None when nothing worked), ``quirks`` {name: (value, why)}, ``referencing``."""
    by = {t.name: t for t in trials}

    def works(name: str) -> bool:
        return bool(by.get(name) and by[name].works)

    quirks: dict[str, tuple[bool, str]] = {}
    with_dev, without = (
        works("range selection with deviation"),
        works("range selection with deviation not specified"),
    )
    access: str | None = None
    if with_dev or without:
        access = "range"
        why = "; ".join(
            f"{n}: {by[n].answer}" for n in ("range selection with deviation",
                                             "range selection with deviation not specified")
        )  # fmt: skip
        quirks["range_deviation_unspecified"] = (not with_dev, why)
    elif works("entry selection"):
        access = "entry"
    elif works("no selective access"):
        access = "none"
    if "entry selection" in by:
        quirks["entry_based_profile"] = (
            access == "entry",
            f"range selection gave nothing; entry selection: {by['entry selection'].answer}"
            if access == "entry" else f"not needed: profile read by {access or '?'} selection",
        )  # fmt: skip
    if "no selective access" in by:
        quirks["no_selective_access"] = (access == "none", by["no selective access"].answer)
    if "GET-with-list" in by:
        quirks["no_get_with_list"] = (not works("GET-with-list"), by["GET-with-list"].answer)
    referencing = "sn" if "short names" in by.get("referencing", Trial("", "", "")).answer else "ln"
    return {"profile_access": access, "quirks": quirks, "referencing": referencing}
