"""DLMS/COSEM dissector: HDLC frames (or TCP wrapper) → xDLMS APDU → what was asked/answered.

:class:`DlmsStream` takes the bytes of one direction as recorded and returns a
:class:`~drivers.trace.Dissection` per frame completed. An APDU segmented over several I-frames
is dissected when its last segment arrives. Requests name the object (OBIS code, a well-known
name, interface class) and the attribute or method, with selective access dates; responses give
the result ("success", "object-unavailable", "AARE: rejected — authentication failure") and
the value. Decoding is lenient: whatever cannot be parsed is shown as such, never raised.
"""

from __future__ import annotations

import struct
from typing import Any

from drivers.dlms import ber, gbt, hdlc
from drivers.dlms.apdu import ACCESS_RESULTS, ACSE_DIAGNOSTICS, parse_aare
from drivers.dlms.axdr import CosemDate, CosemDateTime, CosemTime, DataType, Typed, decode_typed
from drivers.errors import ProtocolError
from drivers.trace import REDACTED_BYTE, Dissection

APDU_NAMES = {
    0x60: "AARQ", 0x61: "AARE", 0x62: "RLRQ", 0x63: "RLRE",
    0xC0: "GET", 0xC4: "GET.response", 0xC1: "SET", 0xC5: "SET.response",
    0xC3: "ACTION", 0xC7: "ACTION.response", 0xD8: "ExceptionResponse",
    0x0E: "ConfirmedServiceError", 0xE0: "general-block-transfer",
}  # fmt: skip
#: OBIS codes a witness recognises (the bench's own reads).
OBIS_NAMES = {
    "0.0.42.0.0.255": "logical device name",
    "0.0.96.1.0.255": "serial number",
    "0.0.96.1.1.255": "outstation type",
    "1.0.0.2.0.255": "firmware (metrology)",
    "0.1.0.2.0.255": "firmware (application)",
    "0.2.0.2.0.255": "firmware (communications)",
    "0.0.1.0.0.255": "clock",
    "1.0.99.1.0.255": "load profile",
    "0.0.99.98.0.255": "event log",
    "0.0.40.0.0.255": "current association",
    "0.0.96.10.1.255": "status",
    "0.0.96.11.0.255": "last event code",
    "1.0.1.8.0.255": "import kWh",
    "1.0.2.8.0.255": "export kWh",
    "1.0.3.8.0.255": "import kvarh",
    "1.0.4.8.0.255": "export kvarh",
}
#: (class id, attribute) → name, for the classes the bench reads.
ATTRIBUTES = {
    (1, 2): "value", (3, 2): "value", (3, 3): "scaler_unit", (8, 2): "time",
    (8, 3): "time_zone", (8, 8): "DST enabled", (7, 2): "buffer", (7, 3): "capture_objects",
    (7, 4): "capture_period", (7, 7): "entries_in_use", (15, 2): "object_list",
}  # fmt: skip
METHODS = {(8, 3): "adjust_to_minute", (8, 6): "shift_time"}
STATE_ERRORS = {1: "service not allowed", 2: "service unknown"}
SERVICE_ERRORS = {1: "operation not possible", 2: "service not supported", 3: "other reason"}
AARE_RESULTS = {0: "accepted", 1: "rejected", 2: "rejected (transient)"}


class DlmsStream:
    """Reassemble one direction's HDLC frames (or wrapper PDUs) and dissect them."""

    def __init__(self) -> None:
        self.reader = hdlc.FrameReader()
        self.wrapped = bytearray()
        self.segments = bytearray()

    def busy(self) -> bool:
        return bool(self.reader.buffer.strip(b"\x7e")) or bool(self.wrapped)

    def pending(self) -> int:
        return len(self.reader.buffer) + len(self.wrapped)

    def feed(self, data: bytes, *, wrapper: bool = False) -> list[Dissection]:
        if wrapper:
            return self._feed_wrapper(data)
        self.reader.feed(data)
        out = []
        while True:
            try:
                frame = self.reader.pop()
            except ProtocolError as exc:
                out.append(self._bad_frame(exc))
                continue
            if frame is None:
                return out
            out.append(self.frame(frame))

    def _bad_frame(self, exc: ProtocolError) -> Dissection:
        raw = exc.data
        unchecked = None
        if "FCS" in str(exc) and len(raw) > 4:
            # decode the contents with a recomputed FCS — shown as unchecked, never as good
            body = bytearray(raw[1:-1])
            body[-2:] = hdlc.crc16_x25(bytes(body[:-2])).to_bytes(2, "little")
            try:
                unchecked = self.frame(hdlc.parse_frame(bytes(body)))
            except ProtocolError:
                unchecked = None
            else:
                unchecked.tree = [
                    (d, "FCS recomputed to decode (the received one is wrong)")
                    if t == "HCS/FCS correct"
                    else (d, t)
                    for d, t in unchecked.tree
                ]
        if unchecked is not None and bytes([REDACTED_BYTE]) * 4 in raw:
            # the password inside was redacted after sending: that is why the FCS no longer fits
            unchecked.tree = [
                (d, "FCS not checked: the password inside was redacted")
                if t.startswith("FCS recomputed")
                else (d, t)
                for d, t in unchecked.tree
            ]
            return unchecked
        tree = [(0, f"BAD frame: {exc.message}"), (1, f"{len(raw)} bytes")]
        short = next((f"{c} wrong" for c in ("FCS", "HCS") if f"({c})" in exc.message), "")
        summary = f"BAD HDLC frame: {short or exc.message}"
        if unchecked is not None:
            summary += f" — unchecked: {unchecked.summary}"
            tree += [(1, "contents, NOT checked:")] + [(d + 2, t) for d, t in unchecked.tree]
        return Dissection(summary, tree, "bad", "hdlc")

    def _feed_wrapper(self, data: bytes) -> list[Dissection]:
        self.wrapped += data
        out = []
        while len(self.wrapped) >= 8:
            version, src, dst, length = struct.unpack(">HHHH", self.wrapped[:8])
            if version != 1:
                junk = bytes(self.wrapped)
                self.wrapped.clear()
                out.append(Dissection(f"not a wrapper header: {junk[:8].hex(' ')}", [], "bad"))
                break
            if len(self.wrapped) < 8 + length:
                break
            apdu = bytes(self.wrapped[8 : 8 + length])
            del self.wrapped[: 8 + length]
            d = dissect_apdu(apdu)
            d.protocol = "wrapper"
            d.tree.insert(0, (0, f"wrapper: source wPort {src} → destination wPort {dst}"))
            out.append(d)
        return out

    def frame(self, f: hdlc.HdlcFrame) -> Dissection:
        """Dissect one parsed frame (its APDU once the last segment has arrived)."""
        c = f.ctrl
        head = f"HDLC {c.kind}"
        if c.ns is not None:
            head += f" N(S)={c.ns}"
        if c.nr is not None:
            head += f" N(R)={c.nr}"
        tree = [
            (0, head + (" (segmented)" if f.segmented else "")),
            (1, f"destination {f.dest.hex(' ')} · source {f.src.hex(' ')} · {f.length} bytes"),
            (1, "HCS/FCS correct"),
        ]
        if c.kind in ("SNRM", "UA") and f.info:
            try:
                p = hdlc.decode_params(f.info)
                params = (
                    f"max info tx {p.max_info_tx} / rx {p.max_info_rx}, window "
                    f"{p.window_tx}/{p.window_rx}"
                )
                tree.append((1, params))
                return Dissection(f"{head}: {params}", tree, "ok", "hdlc")
            except ProtocolError as exc:
                return Dissection(f"{head}: bad parameters", [*tree, (1, str(exc))], "bad", "hdlc")
        if c.kind == "FRMR":
            return Dissection(f"{head}: frame rejected by the peer", tree, "refused", "hdlc")
        if c.kind == "DM":
            return Dissection(f"{head}: disconnected mode", tree, "refused", "hdlc")
        if c.kind not in ("I", "UI") or not f.info:
            meaning = {"RR": "ready for the next segment", "DISC": "disconnect"}.get(c.kind, "")
            return Dissection(f"{head}" + (f": {meaning}" if meaning else ""), tree, "ok", "hdlc")
        self.segments += f.info
        if f.segmented:
            n = len(self.segments)
            tree.append((1, f"segment of a longer APDU ({n} bytes so far)"))
            return Dissection(f"{head}: segment, APDU continues ({n} bytes)", tree, "ok", "hdlc")
        info = bytes(self.segments)
        self.segments.clear()
        if info[:2] in (b"\xe6\xe6", b"\xe6\xe7"):
            info = info[3:]
        d = dissect_apdu(info)
        d.tree += tree  # what was asked/answered first, then the frame that carried it
        d.protocol = "hdlc"
        return d


# -- APDUs --------------------------------------------------------------------------------------
def dissect_apdu(apdu: bytes) -> Dissection:
    """One complete xDLMS APDU (no LLC header)."""
    if not apdu:
        return Dissection("empty APDU", [(0, "empty APDU")], "bad")
    tag = apdu[0]
    name = APDU_NAMES.get(tag, f"APDU 0x{tag:02X}")
    try:
        if tag == 0x60:
            return _aarq(apdu)
        if tag == 0x61:
            return _aare(apdu)
        if tag in (0x62, 0x63):
            return Dissection(f"{name}: release", [(0, name)])
        if tag in (0xC0, 0xC1, 0xC3):
            return _request(apdu, name)
        if tag in (0xC4, 0xC5, 0xC7):
            return _response(apdu, name)
        if tag == gbt.GBT_TAG:
            return _gbt(apdu)
        if tag == 0xD8 and len(apdu) >= 3:
            text = (
                f"ExceptionResponse: {STATE_ERRORS.get(apdu[1], apdu[1])}, "
                f"{SERVICE_ERRORS.get(apdu[2], apdu[2])}"
            )
            return Dissection(text, [(0, text)], "refused")
    except (ProtocolError, IndexError, struct.error, ValueError) as exc:
        return Dissection(f"{name}: malformed ({exc})", [(0, f"{name}: {exc}")], "bad")
    return Dissection(f"{name} ({len(apdu)} bytes)", [(0, name)])


def _gbt(apdu: bytes) -> Dissection:
    b = gbt.parse(apdu)
    if not b.data and not b.last:
        text = f"general-block-transfer: acknowledges block {b.ack}, window {b.window}"
    else:
        how = ", ".join(w for w, on in (("last", b.last), ("streaming", b.streaming)) if on)
        text = (
            f"general-block-transfer block {b.number} ({len(b.data)} bytes"
            f"{', ' + how if how else ''}; window {b.window}, acknowledges {b.ack})"
        )
    return Dissection(text, [(0, text)])


def _aarq(apdu: bytes) -> Dissection:
    items = dict(ber.items(ber.outer(apdu, 0x60, "AARQ"), "AARQ"))
    mech = items.get(0x8B, b"")
    auth = "no authentication"
    if mech.endswith(b"\x02\x01"):
        auth = "LLS (password)"
    elif mech:
        auth = f"HLS mechanism {mech[-1]}"
    tree = [(0, "AARQ: open an association"), (1, f"authentication: {auth}")]
    if 0xAC in items:
        pw = ber.first(items[0xAC], "AARQ password")
        shown = "redacted in the trace" if bytes([REDACTED_BYTE]) in pw else "not shown"
        tree.append((1, f"password: {len(pw)} characters ({shown})"))
    ini = items.get(0xBE, b"")
    if len(ini) >= 4:
        tree.append((1, f"client max PDU {int.from_bytes(ini[-2:], 'big')} bytes"))
    return Dissection(f"AARQ: associate with {auth}", tree)


def _aare(apdu: bytes) -> Dissection:
    res = parse_aare(apdu)
    result = AARE_RESULTS.get(res.result, f"result {res.result}")
    if res.accepted:
        text = f"AARE: accepted (max PDU {res.max_pdu})"
        return Dissection(text, [(0, text), (1, f"conformance 0x{res.conformance:06X}")])
    diag = ACSE_DIAGNOSTICS.get(res.diagnostic, f"diagnostic {res.diagnostic}")
    text = f"AARE: {result} — {diag.replace('-', ' ')}"
    return Dissection(text, [(0, text)], "refused")


def _descriptor(apdu: bytes, pos: int, method: bool = False) -> tuple[str, int]:
    class_id = int.from_bytes(apdu[pos : pos + 2], "big")
    obis = ".".join(str(b) for b in apdu[pos + 2 : pos + 8])
    index = apdu[pos + 8]
    name = OBIS_NAMES.get(obis)
    what = (METHODS if method else ATTRIBUTES).get((class_id, index))
    kind = "method" if method else "attribute"
    text = f"{obis}" + (f" {name}" if name else "") + f" · class {class_id} {kind} {index}"
    return text + (f" ({what})" if what else ""), pos + 9


def _request(apdu: bytes, name: str) -> Dissection:
    choice = apdu[1]
    invoke = apdu[2]
    if apdu[0] == 0xC0 and choice == 2:
        block = int.from_bytes(apdu[3:7], "big")
        text = f"GET next: block {block + 1} please"
        return Dissection(text, [(0, text), (1, f"invoke-id {invoke & 0x0F}")])
    if choice == 3:
        return _request_list(apdu, name)
    target, pos = _descriptor(apdu, 3, method=apdu[0] == 0xC3)
    tree = [(0, f"{name} {target}"), (1, f"invoke-id {invoke & 0x0F}")]
    extra = ""
    if pos < len(apdu) and apdu[pos] == 1:
        if apdu[0] == 0xC0:
            selector = apdu[pos + 1]
            typed, _ = decode_typed(apdu[pos + 2 :])
            extra = _access(selector, typed)
            tree.append((1, f"selective access: {extra}"))
            tree += _value_tree(typed, 2)
        else:
            typed, _ = decode_typed(apdu[pos + 1 :])
            extra = f"= {_value(typed)}"
            tree += [(1, "parameter")] + _value_tree(typed, 2)
    elif apdu[0] == 0xC1 and pos + 1 < len(apdu):
        typed, _ = decode_typed(apdu[pos + 1 :])
        extra = f"= {_value(typed)}"
        tree += [(1, "value")] + _value_tree(typed, 2)
    return Dissection(f"{name} {target}" + (f" {extra}" if extra else ""), tree)


def _request_list(apdu: bytes, name: str) -> Dissection:
    """GET/SET-Request-With-List: each attribute asked (descriptor + optional access selection)."""
    count, pos = apdu[3], 4
    targets: list[str] = []
    for _ in range(count):
        target, pos = _descriptor(apdu, pos)
        if pos < len(apdu) and apdu[pos] == 1:  # selective access: selector + parameters
            typed, rest = decode_typed(apdu[pos + 2 :])
            target += f" ({_access(apdu[pos + 1], typed)})"
            pos = len(apdu) - len(rest)
        else:
            pos += 1
        targets.append(target)
    text = f"{name} with list ({count}): " + "; ".join(targets)
    tree = [(0, f"{name} with list: {count} attributes"), (1, f"invoke-id {apdu[2] & 0x0F}")]
    return Dissection(text, tree + [(1, t) for t in targets])


def _response_list(apdu: bytes, name: str) -> Dissection:
    """GET-Response-With-List: per item data or a data-access-result."""
    count, rest = apdu[3], apdu[4:]
    parts: list[str] = []
    tree: list[tuple[int, str]] = [(0, f"{name} with list: {count} results")]
    refused = 0
    for i in range(count):
        if not rest:
            raise ProtocolError(f"{name} with list: item {i + 1} of {count} missing")
        if rest[0] == 0:
            typed, rest = decode_typed(rest[1:])
            parts.append(_value(typed))
            tree += [(1, f"{i + 1}: {_value(typed)}")] + _value_tree(typed, 2)
        else:
            refused += 1
            why = ACCESS_RESULTS.get(rest[1], f"result {rest[1]}") if len(rest) > 1 else "?"
            parts.append(why)
            tree.append((1, f"{i + 1}: {why}"))
            rest = rest[2:]
    text = f"{name} with list: " + "; ".join(parts)
    return Dissection(text, tree, "refused" if refused == count and count else "ok")


def _access(selector: int, params: Typed) -> str:
    if selector == 1 and params.type == DataType.STRUCTURE and len(params.value) >= 3:
        lo, hi = params.value[1], params.value[2]
        return f"by range {_value(lo)} → {_value(hi)}"
    if selector == 2 and params.type == DataType.STRUCTURE and len(params.value) >= 2:
        return f"by entry {params.value[0].value}…{params.value[1].value}"
    return f"selector {selector}"


def _response(apdu: bytes, name: str) -> Dissection:
    choice = apdu[1]
    if apdu[0] == 0xC4 and choice == 2:
        last = apdu[3] != 0
        block = int.from_bytes(apdu[4:8], "big")
        if apdu[8] == 1:
            return _refused(f"{name} block {block}", apdu[9])
        n = len(apdu) - 10
        text = f"{name}: data block {block}{' (last)' if last else ''}, ~{n} bytes"
        return Dissection(text, [(0, text)])
    if apdu[0] == 0xC4 and choice == 1:
        if apdu[3] != 0:
            return _refused(name, apdu[4])
        typed, _ = decode_typed(apdu[4:])
        text = f"{name}: success, {_value(typed)}"
        return Dissection(text, [(0, f"{name}: success")] + _value_tree(typed, 1))
    if apdu[0] == 0xC4 and choice == 3:
        return _response_list(apdu, name)
    result = apdu[3]
    if result != 0:
        return _refused(name, result)
    text = f"{name}: success"
    tree = [(0, text)]
    if apdu[0] == 0xC7 and len(apdu) > 6 and apdu[4] == 1 and apdu[5] == 0:
        typed, _ = decode_typed(apdu[6:])
        tree += _value_tree(typed, 1)
    return Dissection(text, tree)


def _refused(name: str, code: int) -> Dissection:
    text = f"{name}: {ACCESS_RESULTS.get(code, f'result {code}')}"
    return Dissection(text, [(0, text)], "refused")


# -- values -------------------------------------------------------------------------------------
def _value(t: Typed) -> str:
    """A short rendering of a typed value for a summary line."""
    v = t.value
    if t.type == DataType.OCTET_STRING and len(v) == 12:
        dt = CosemDateTime(*struct.unpack(">HBBBBBBBhB", v))
        return _datetime(dt)
    if isinstance(v, CosemDateTime):
        return _datetime(v)
    if isinstance(v, CosemDate | CosemTime):
        return str(v)
    if t.type in (DataType.ARRAY, DataType.STRUCTURE):
        kind = "array" if t.type == DataType.ARRAY else "structure"
        return f"{kind} of {len(v)}"
    if isinstance(v, bytes):
        printable = all(32 <= b < 127 for b in v)
        return repr(v.decode()) if printable and v else v.hex(" ")
    return str(v)


def _datetime(dt: CosemDateTime) -> str:
    when = dt.to_datetime()
    if when is None:
        return "date-time (not specified)"
    return when.strftime("%Y-%m-%d %H:%M:%S UTC")


def _value_tree(t: Typed, depth: int, limit: int = 40) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []

    def walk(item: Any, d: int) -> None:
        if len(out) >= limit:
            return
        if isinstance(item, Typed) and item.type in (DataType.ARRAY, DataType.STRUCTURE):
            out.append((d, f"{item.type.name.lower()} of {len(item.value)}"))
            for child in item.value:
                walk(child, d + 1)
        elif isinstance(item, Typed):
            out.append((d, f"{item.type.name.lower()}: {_value(item)}"))
        if len(out) == limit:
            out.append((d, "…"))

    walk(t, depth)
    return out
