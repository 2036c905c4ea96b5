"""Observed conversation → the exchanges a witness judges: associations, GETs, SETs, IEC commands.

:func:`exchanges` reads an observed trace (``"tx"`` HHDC → meter, ``"rx"`` meter → HHDC),
reassembles each direction's messages (HDLC frames with segmentation and GET data blocks, the
DLMS TCP wrapper, IEC 62056-21 text; mode E switches from IEC to HDLC) and pairs every request
with its answer:

* association — client SAP (and level when the caller names SAP → level), authentication
  (none / LLS with the password's length only — it is masked in the trace / HLS), accepted or
  rejected with the diagnostic;
* GET — object and attribute; for a profile or event-log buffer the range asked, the entries
  returned (settlement periods), how many carry a non-zero status and which statuses;
* SET / ACTION of the clock — the time the HHDC last read (old) and the time it wrote (new),
  success or the refusal;
* IEC 62056-21 — P1 password (masked) → ACK / NAK, R5/R1 reads → lines returned or the error,
  W5/W1 writes → ACK / NAK, break.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from drivers.dlms import ber, hdlc
from drivers.dlms.apdu import ACCESS_RESULTS, ACSE_DIAGNOSTICS, parse_aare
from drivers.dlms.axdr import DataType, Typed, as_datetime, decode_typed
from drivers.dlms.dissect import OBIS_NAMES
from drivers.errors import ProtocolError
from drivers.iec62056_21.dissect import RANGES, IecStream
from drivers.model import system_title_announces_simulator
from drivers.trace import REDACTED_BYTE, TraceRecord

CLOCK = "0.0.1.0.0.255"
STATUS_OBIS = "0.0.96.10.1.255"


@dataclass
class Exchange:
    """One request and its answer.

    :param kind: ``association``, ``get``, ``set``, ``action``, ``release``, ``iec-sign-on``,
        ``iec-password``, ``iec-read``, ``iec-write``, ``iec-break``.
    :param request: what the HHDC asked, in words.
    :param result: what the meter answered, in words ("" = no answer seen).
    :param level: ``"ok"``, ``"refused"`` or ``"bad"`` / ``"unanswered"``.
    :param record: index of the record that completed the request (0-based).
    :param wall_ns: UTC time of that record (ns since the epoch).
    :param details: machine-readable facts (``sap``, ``auth``, ``obis``, ``entries``,
        ``flagged``, ``statuses``, ``old``, ``new`` …) for checks and reports.
    """

    kind: str
    request: str
    result: str = ""
    level: str = "unanswered"
    record: int = 0
    wall_ns: int = 0
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return f"{self.request} → {self.result or 'no answer seen'}"


@dataclass
class _Msg:
    direction: str
    record: int
    wall_ns: int
    kind: str  # "apdu" | "iec"
    data: bytes
    src: int = 0


class _Messages(IecStream):
    """One direction's complete messages (APDUs or IEC text), in order."""

    def __init__(self, direction: str) -> None:
        super().__init__()
        self.direction = direction
        self.reader = hdlc.FrameReader()
        self.segments = bytearray()
        self.blocks = bytearray()
        self.wrapped = bytearray()
        self.mode = ""

    def feed_record(self, index: int, rec: TraceRecord) -> list[_Msg]:
        data = rec.data
        if not data:
            return []
        if not self.mode:
            self.mode = "hdlc" if data[0] == 0x7E else (
                "wrapper" if data[:2] == b"\x00\x01" else "iec21")  # fmt: skip
        elif self.mode == "iec21" and not self.buf and data[0] == 0x7E:
            self.mode = "hdlc"
        elif self.mode != "iec21" and data[:1] == b"/" and not self.reader.buffer.strip(b"\x7e"):
            self.mode = "iec21"
        out: list[_Msg] = []
        if self.mode == "iec21":
            self.buf += bytes(b & 0x7F for b in data)
            while (msg := self._next()) is not None:
                out.append(_Msg(self.direction, index, rec.wall_ns, "iec", msg))
            return out
        if self.mode == "wrapper":
            self.wrapped += data
            while len(self.wrapped) >= 8:
                src, length = struct.unpack(">H", self.wrapped[2:4])[0], int.from_bytes(
                    self.wrapped[6:8], "big")  # fmt: skip
                if len(self.wrapped) < 8 + length:
                    break
                apdu = bytes(self.wrapped[8 : 8 + length])
                del self.wrapped[: 8 + length]
                out += self._apdu(index, rec, apdu, src)
            return out
        self.reader.feed(data)
        while True:
            try:
                frame = self.reader.pop()
            except ProtocolError as exc:
                frame = _unchecked(exc)
                if frame is None:
                    continue
            if frame is None:
                return out
            if frame.kind not in ("I", "UI") or not frame.info:
                continue
            self.segments += frame.info
            if frame.segmented:
                continue
            info = bytes(self.segments)
            self.segments.clear()
            if info[:2] in (b"\xe6\xe6", b"\xe6\xe7"):
                info = info[3:]
            try:
                src = hdlc.decode_address(frame.src)[0]
            except ProtocolError:
                src = 0
            out += self._apdu(index, rec, info, src)

    def _apdu(self, index: int, rec: TraceRecord, apdu: bytes, src: int) -> list[_Msg]:
        # GET data blocks: hand over the whole value once the last block has arrived
        if apdu[:2] == b"\xc4\x02" and len(apdu) >= 10 and apdu[8] == 0:
            try:
                _, pos = ber.decode_length(apdu, 9, "GET data block")
            except ProtocolError:  # a block cut short: shown as the bad answer it is
                self.blocks.clear()
                return [_Msg(self.direction, index, rec.wall_ns, "apdu", apdu, src)]
            self.blocks += apdu[pos:]
            if apdu[3] == 0:
                return []
            whole = b"\xc4\x01" + apdu[2:3] + b"\x00" + bytes(self.blocks)
            self.blocks.clear()
            return [_Msg(self.direction, index, rec.wall_ns, "apdu", whole, src)]
        if apdu[:2] == b"\xc0\x02":
            return []  # GET next: part of the same request
        return [_Msg(self.direction, index, rec.wall_ns, "apdu", apdu, src)]


def _unchecked(exc: ProtocolError) -> hdlc.HdlcFrame | None:
    """A frame whose FCS no longer fits because its password was masked: parse it anyway."""
    raw = exc.data or b""
    if bytes([REDACTED_BYTE]) * 2 not in raw or len(raw) < 9:
        return None
    body = bytearray(raw[1:-1])
    body[-2:] = hdlc.crc16_x25(bytes(body[:-2])).to_bytes(2, "little")
    try:
        return hdlc.parse_frame(bytes(body))
    except ProtocolError:
        return None


def exchanges(
    records: Iterable[TraceRecord], levels: dict[int, int] | None = None
) -> list[Exchange]:
    """The observed exchanges of a trace, in order (see the module docstring).

    :param levels: client SAP → association level (from the meter description), to name levels.
    """
    streams = {"tx": _Messages("tx"), "rx": _Messages("rx")}
    msgs: list[_Msg] = []
    for i, rec in enumerate(records):
        if rec.direction in streams:
            msgs += streams[rec.direction].feed_record(i, rec)
    return _Pairing(levels or {}).run(msgs)


class _Pairing:
    def __init__(self, levels: dict[int, int]) -> None:
        self.levels = levels
        self.capture: dict[str, list[str]] = {}
        self.last_clock: str = ""
        self.out: list[Exchange] = []
        self.open: Exchange | None = None

    def run(self, msgs: list[_Msg]) -> list[Exchange]:
        for m in msgs:
            if m.direction == "tx":
                self._request(m)
            elif self.open is not None:
                self._answer(self.open, m)
                self.open = None
        return self.out

    # -- requests --------------------------------------------------------------------------------
    def _request(self, m: _Msg) -> None:
        ex = _iec_request(m.data) if m.kind == "iec" else self._dlms_request(m)
        if ex is None:
            return
        ex.record, ex.wall_ns = m.record, m.wall_ns
        self.out.append(ex)
        self.open = ex if ex.kind != "iec-break" else None

    def _dlms_request(self, m: _Msg) -> Exchange | None:
        apdu = m.data
        tag = apdu[:1]
        try:
            if tag == b"\x60":
                return self._aarq(apdu, m.src)
            if tag == b"\x62":
                return Exchange("release", "release the association")
            if tag in (b"\xc0", b"\xc1", b"\xc3") and apdu[1] == 1:
                return self._service(apdu)
            if tag == b"\xc0" and apdu[1] == 3:
                return self._get_list(apdu)
        except (IndexError, ValueError, ProtocolError) as exc:
            return Exchange("bad", f"undecodable request ({exc})", level="bad")
        return None

    def _aarq(self, apdu: bytes, sap: int) -> Exchange:
        items = dict(ber.items(ber.outer(apdu, 0x60, "AARQ"), "AARQ"))
        mech = items.get(0x8B, b"")
        auth = "none"
        if mech.endswith(b"\x02\x01"):
            auth = "LLS"
        elif mech:
            auth = f"HLS mechanism {mech[-1]}"
        pw = ber.first(items.get(0xAC, b""), "AARQ password")
        level = self.levels.get(sap)
        who = f"client SAP {sap}" + (f" (level {level})" if level is not None else "")
        text = f"association {who}, authentication {auth}"
        if pw:
            text += f", password {len(pw)} characters (masked)"
        details: dict[str, Any] = {"sap": sap, "level": level, "auth": auth}
        title = ber.first(items.get(0xA6, b""), "AARQ calling-AP-title")
        if title:  # the caller's system title: who is calling
            details["calling_ap_title"] = title.hex()
            text += f", calling AP title {title.hex()}"
            if system_title_announces_simulator(title):
                details["simulated"] = True
                text += " (a simulated HHDC)"
        return Exchange("association", text, details=details)

    def _service(self, apdu: bytes) -> Exchange:
        class_id = int.from_bytes(apdu[3:5], "big")
        obis = ".".join(str(b) for b in apdu[5:11])
        index = apdu[11]
        name = OBIS_NAMES.get(obis, obis)
        kind = {0xC0: "get", 0xC1: "set", 0xC3: "action"}[apdu[0]]
        details: dict[str, Any] = {"obis": obis, "class": class_id, "index": index}
        what = f"{kind.upper()} {name} attribute {index}" if kind != "action" else (
            f"ACTION {name} method {index}")  # fmt: skip
        rest = apdu[12:]
        if kind == "get" and rest[:1] == b"\x01":
            params, _ = decode_typed(rest[2:])
            if rest[1] == 1 and params.type == DataType.STRUCTURE and len(params.value) >= 3:
                lo, hi = (_time_text(v) for v in params.value[1:3])
                details.update({"from": lo, "to": hi})
                what += f" from {lo} to {hi}"
        if kind == "set" and rest:
            value, _ = decode_typed(rest[1:] if rest[:1] == b"\x00" else rest)
            if obis == CLOCK and index == 2:
                details.update({"old": self.last_clock, "new": _time_text(value)})
                what = f"SET clock from {self.last_clock or '(not read first)'} to {details['new']}"
        if kind == "action" and obis == CLOCK and rest[:1] == b"\x01":
            value, _ = decode_typed(rest[1:])
            details["parameter"] = str(value.plain())
            what += f" ({value.plain()})"
        return Exchange(kind, what, details=details)

    def _get_list(self, apdu: bytes) -> Exchange:
        count, pos, names = apdu[3], 4, []
        for _ in range(count):
            obis = ".".join(str(b) for b in apdu[pos + 2 : pos + 8])
            names.append(OBIS_NAMES.get(obis, obis))
            pos += 9
            if apdu[pos : pos + 1] == b"\x01":
                _, rest = decode_typed(apdu[pos + 2 :])
                pos = len(apdu) - len(rest)
            else:
                pos += 1
        shown = ", ".join(dict.fromkeys(names))
        return Exchange("get", f"GET with list ({count}): {shown}", details={"obis": "list"})

    # -- answers ---------------------------------------------------------------------------------
    def _answer(self, ex: Exchange, m: _Msg) -> None:
        try:
            if m.kind == "iec":
                _iec_answer(ex, m.data)
            else:
                self._dlms_answer(ex, m.data)
        except (IndexError, ValueError, ProtocolError) as exc:
            ex.result, ex.level = f"undecodable answer ({exc})", "bad"

    def _dlms_answer(self, ex: Exchange, apdu: bytes) -> None:
        if ex.kind == "association" and apdu[:1] == b"\x61":
            res = parse_aare(apdu)
            ex.details["accepted"] = res.accepted
            if res.accepted:
                ex.result, ex.level = "accepted", "ok"
            else:
                diag = ACSE_DIAGNOSTICS.get(res.diagnostic, f"diagnostic {res.diagnostic}")
                ex.result, ex.level = f"rejected ({diag.replace('-', ' ')})", "refused"
            return
        if ex.kind == "release":
            ex.result, ex.level = "released", "ok"
            return
        if apdu[:1] == b"\xd8":
            ex.result, ex.level = "exception response (service not allowed)", "refused"
            return
        if ex.kind == "get" and apdu[:2] == b"\xc4\x03":
            count, refused = apdu[3], 0
            rest = apdu[4:]
            for _ in range(count):
                if rest[:1] == b"\x00":
                    _, rest = decode_typed(rest[1:])
                else:
                    refused, rest = refused + 1, rest[2:]
            ex.result = f"{count - refused} of {count} returned" + (
                f", {refused} refused" if refused else "")  # fmt: skip
            ex.level = "refused" if refused == count and count else "ok"
            ex.details["accepted"] = refused < count
            return
        if ex.kind == "get" and apdu[:2] == b"\xc4\x01":
            if apdu[3] != 0:
                self._refused(ex, apdu[4])
                return
            value, _ = decode_typed(apdu[4:])
            self._got(ex, value)
            return
        if ex.kind in ("set", "action") and apdu[:1] in (b"\xc5", b"\xc7"):
            if apdu[3] != 0:
                self._refused(ex, apdu[3])
                return
            ex.result, ex.level = "success", "ok"
            ex.details["accepted"] = True
            return
        ex.result, ex.level = f"unexpected answer 0x{apdu[:1].hex()}", "bad"

    def _refused(self, ex: Exchange, code: int) -> None:
        ex.result = f"refused: {ACCESS_RESULTS.get(code, f'result {code}')}"
        ex.level = "refused"
        ex.details["accepted"] = False

    def _got(self, ex: Exchange, value: Typed) -> None:
        ex.level, ex.details["accepted"] = "ok", True
        obis, index = ex.details["obis"], ex.details["index"]
        if ex.details["class"] == 7 and index == 3 and value.type == DataType.ARRAY:
            self.capture[obis] = [_capture_obis(e) for e in value.value]
        if obis == CLOCK and index == 2:
            self.last_clock = _time_text(value)
            ex.result = f"clock {self.last_clock}"
            ex.details["time"] = self.last_clock
            return
        if ex.details["class"] == 7 and index == 2 and value.type == DataType.ARRAY:
            self._buffer(ex, value)
            return
        ex.result = f"success, {_short(value)}"

    def _buffer(self, ex: Exchange, value: Typed) -> None:
        columns = self.capture.get(ex.details["obis"], [])
        status_at = columns.index(STATUS_OBIS) if STATUS_OBIS in columns else 1
        entries = len(value.value)
        statuses: dict[str, int] = {}
        starts: list[str] = []
        for row in value.value:
            cells = row.value if row.type == DataType.STRUCTURE else ()
            if cells:
                starts.append(_time_text(cells[0]))
            if len(cells) > status_at and isinstance(cells[status_at].value, int):
                status = cells[status_at].value
                if status:
                    statuses[starts[-1] if starts else str(len(statuses))] = status
        ex.details.update({"entries": entries, "flagged": len(statuses), "statuses": statuses})
        if starts:
            ex.details.update({"first": starts[0], "last": starts[-1]})
        if ".99.1." not in ex.details["obis"] and ".99.2." not in ex.details["obis"]:
            ex.result = f"{entries} entries returned"
            return
        ex.result = f"{entries} SPs returned, {len(statuses)} with a status flag"
        if statuses:
            shown = ", ".join(f"{k} 0x{v:X}" for k, v in list(statuses.items())[:4])
            ex.result += f" ({shown}{' …' if len(statuses) > 4 else ''})"


def _capture_obis(entry: Typed) -> str:
    cells: tuple[Typed, ...] = entry.value if entry.type == DataType.STRUCTURE else ()
    raw = cells[1].value if len(cells) > 1 else b""
    return ".".join(str(b) for b in raw) if isinstance(raw, bytes) else ""


def _time_text(value: Typed | Any) -> str:
    raw = value.value if isinstance(value, Typed) else value
    dt = as_datetime(raw)
    if dt is None:
        return str(raw)
    when = dt.to_datetime()
    return when.strftime("%Y-%m-%d %H:%M:%S UTC") if when else "(not specified)"


def _short(value: Typed) -> str:
    if value.type in (DataType.ARRAY, DataType.STRUCTURE):
        return f"{value.type.name.lower()} of {len(value.value)}"
    v = value.value
    if isinstance(v, bytes):
        return repr(v.decode()) if v and all(32 <= b < 127 for b in v) else v.hex(" ")
    return str(v)


# -- IEC 62056-21 ---------------------------------------------------------------------------------
def _iec_request(msg: bytes) -> Exchange | None:
    text = msg.decode("ascii", "replace")
    if text.startswith("/?"):
        return Exchange("iec-sign-on", f"IEC sign-on {text.strip()}")
    if msg[:1] == b"\x06" and len(msg) >= 4:
        return None  # option select: answered by the meter switching, not a message
    if msg[:1] != b"\x01" or len(msg) < 4:
        return None
    cmd = text[1:3]
    body = text[4 : text.find("\x03")] if "\x03" in text else text[4:]
    if cmd in ("P1", "P2"):
        return Exchange("iec-password", f"IEC {cmd} password {len(body) - 2} characters (masked)")
    if cmd == "B0":
        return Exchange("iec-break", "IEC B0 break (end of session)", "sent", "ok")
    if cmd[:1] == "R":
        address = body.split("(")[0]
        name = RANGES.get(address, "")
        return Exchange(
            "iec-read", f"IEC {cmd} {body}" + (f" ({name})" if name else ""),
            details={"command": cmd, "address": address},
        )  # fmt: skip
    if cmd[:1] == "W":
        address = body.split("(")[0]
        return Exchange(
            "iec-write", f"IEC {cmd} {address}", details={"command": cmd, "address": address}
        )
    return Exchange("iec-command", f"IEC {cmd} {body}")


def _iec_answer(ex: Exchange, msg: bytes) -> None:
    text = msg.decode("ascii", "replace")
    if msg == b"\x06":
        ex.result, ex.level = "ACK (accepted)", "ok"
        ex.details["accepted"] = True
    elif msg == b"\x15":
        ex.result, ex.level = "NAK (refused)", "refused"
        ex.details["accepted"] = False
    elif "(ERROR" in text.upper():
        ex.result, ex.level = f"refused: {text.strip(chr(2) + chr(3)).strip()[:60]}", "refused"
        ex.details["accepted"] = False
    elif ex.kind == "iec-sign-on" and text.startswith("/"):
        ex.result, ex.level = f"identification {text.strip()}", "ok"
    elif msg[:1] == b"\x01" and text[1:3] == "P0":
        ex.result, ex.level = "P0: password asked", "ok"
    else:
        lines = [ln for ln in text.strip("\x02\x03").splitlines() if "(" in ln]
        ex.result, ex.level = f"{len(lines)} data line(s) returned", "ok"
        ex.details.update({"accepted": True, "lines": len(lines)})
