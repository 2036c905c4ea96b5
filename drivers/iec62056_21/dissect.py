"""IEC 62056-21 dissector: sign-on, identification, option select, commands and data blocks.

:class:`IecStream` takes the bytes of one direction as recorded (any chunking) and returns a
:class:`~drivers.trace.Dissection` for each message completed: ``"/?!"`` sign-on,
identification (manufacturer, baud character, model; mode E), ``ACK V Z Y`` option select,
``SOH cmd STX data ETX BCC`` commands (P0 P1 R1 W1 R5 B0 …) and ``STX data ETX BCC`` answers.
A wrong BCC makes the message ``"bad"``; NAK and ``(ERROR)`` answers are ``"refused"``.
"""

from __future__ import annotations

from drivers.iec62056_21.client import BAUD_CODES
from drivers.trace import REDACTED_BYTE, Dissection

SOH, STX, ETX, EOT, ACK, NAK = 0x01, 0x02, 0x03, 0x04, 0x06, 0x15
MAX_MESSAGE = 65536  #: a longer message without its end is shown as garbage

MODES = {"0": "data readout", "1": "programming mode", "2": "HDLC (mode E)"}
COMMANDS = {
    "P0": "meter asks for the password",
    "P1": "password",
    "P2": "password (encrypted)",
    "R1": "read",
    "R2": "read (formatted)",
    "R5": "read range",
    "R6": "read range (partial)",
    "W1": "write",
    "W2": "write (formatted)",
    "E2": "execute",
    "B0": "break: end of session",
}
RANGES = {"P.01": "load profile", "P.98": "event log", "P.99": "event log", "P.02": "profile 2"}


def _text(data: bytes) -> str:
    return data.decode("ascii", "replace")


def _short(text: str, n: int = 60) -> str:
    text = text.replace("\r", "").replace("\n", " ")
    return text if len(text) <= n else text[: n - 1] + "…"


class IecStream:
    """Reassemble IEC 62056-21 messages of one direction and dissect each."""

    def __init__(self) -> None:
        self.buf = bytearray()

    def busy(self) -> bool:
        """A message has started and not ended yet."""
        return bool(self.buf)

    def feed(self, data: bytes) -> list[Dissection]:
        self.buf += bytes(b & 0x7F for b in data)  # 7E1 parity stripped, as the client does
        out = []
        while (msg := self._next()) is not None:
            out.append(dissect_message(msg))
        return out

    def _next(self) -> bytes | None:
        buf = self.buf
        if not buf:
            return None
        first = buf[0]
        if first in (SOH, STX):
            ends = [i for i in (buf.find(ETX, 1), buf.find(EOT, 1)) if i >= 0]
            if not ends or min(ends) + 1 >= len(buf):
                return self._overlong()
            return self._cut(min(ends) + 2)
        if first in (ACK, NAK) and (len(buf) == 1 or buf[1] not in b"012"):
            return self._cut(1)
        end = buf.find(b"\n")
        if end < 0:
            return self._overlong()
        return self._cut(end + 1)

    def _overlong(self) -> bytes | None:
        return self._cut(len(self.buf)) if len(self.buf) > MAX_MESSAGE else None

    def _cut(self, n: int) -> bytes:
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out


def dissect_message(msg: bytes) -> Dissection:
    """One complete IEC 62056-21 message (parity already stripped)."""
    first = msg[0]
    if first == ACK and len(msg) == 1:
        return Dissection("ACK (accepted)", [(0, "ACK: accepted")], "ok", "iec21")
    if first == NAK and len(msg) == 1:
        return Dissection(
            "NAK (refused, or repeat please)", [(0, "NAK: refused / repeat")], "refused", "iec21"
        )
    if first == ACK:
        return _option_select(msg)
    if first in (SOH, STX):
        return _block(msg)
    text = _text(msg).rstrip("\r\n")
    if text.startswith("/?") and text.endswith("!"):
        address = text[2:-1]
        where = f"device address {address}" if address else "any device"
        summary = f"sign-on request ({where})"
        return Dissection(summary, [(0, summary)], "ok", "iec21")
    if text.startswith("/") and len(text) >= 5:
        flag, baud, ident = text[1:4], text[4], text[5:]
        speed = BAUD_CODES.get(baud)
        mode_e = ident.startswith("\\2")
        if mode_e:
            ident = ident[2:]
        summary = f"identification: {flag} {ident}, up to {speed or '?'} Bd" + (
            ", mode E (HDLC)" if mode_e else ""
        )
        tree = [
            (0, "identification message"),
            (1, f"manufacturer flag: {flag}"),
            (1, f"baud character: {baud} ({speed or 'unknown'} Bd)"),
            (1, f"identification: {ident}"),
        ]
        return Dissection(summary, tree, "ok", "iec21")
    summary = f"text: {_short(text)}" if text.isprintable() else f"{len(msg)} bytes of noise"
    return Dissection(summary, [(0, summary)], "ok" if text.isprintable() else "bad", "iec21")


def _option_select(msg: bytes) -> Dissection:
    text = _text(msg[1:]).rstrip("\r\n")
    if len(text) < 3:
        return Dissection(f"ACK with {len(text)} option characters", [], "bad", "iec21")
    v, z, y = text[0], text[1], text[2]
    speed = BAUD_CODES.get(z)
    summary = f"option select: {MODES.get(y, f'mode {y}')} at {speed or '?'} Bd"
    tree = [
        (0, "acknowledgement / option select"),
        (1, f"protocol control V={v}"),
        (1, f"baud Z={z} ({speed or 'unknown'} Bd)"),
        (1, f"mode Y={y} ({MODES.get(y, 'unknown')})"),
    ]
    return Dissection(summary, tree, "ok", "iec21")


def _bcc_ok(msg: bytes) -> bool:
    value = 0
    for b in msg[1:-1]:
        value ^= b
    return value == msg[-1]


def _block(msg: bytes) -> Dissection:
    ok = _bcc_ok(msg)
    redacted = bytes([REDACTED_BYTE]) * 3 in msg
    end_char = "EOT (more follows)" if msg[-2] == EOT else "ETX"
    body = msg[1:-2]
    if msg[0] == SOH:
        head, _, data = body.partition(bytes([STX]))
        cmd = _text(head)
        text = _text(data)
        summary = _command_summary(cmd, text)
        tree = [(0, f"command {cmd}: {COMMANDS.get(cmd, 'unknown command')}")]
        if data and cmd not in ("P1", "P2"):
            tree.append((1, f"data: {_short(text, 200)}"))
    else:
        text = _text(body)
        summary, tree = _answer(text)
    level = "ok"
    if text.strip().startswith("(ERROR") or text.strip() == "(ERROR)":
        level = "refused"
    tree.append((1, f"ends with {end_char}"))
    if ok:
        tree.append((1, "BCC correct"))
    elif redacted:
        tree.append((1, "BCC not checked: the password inside was redacted after sending"))
    else:
        tree.append((1, f"BCC WRONG (0x{msg[-1]:02X})"))
        summary = f"BAD BCC · {summary}"
        level = "bad"
    return Dissection(summary, tree, level, "iec21")


def _command_summary(cmd: str, text: str) -> str:
    operand = text.strip()
    if cmd in ("P1", "P2"):  # never shown, even when a trace was not redacted
        return f"{cmd}: password sent" + (" (redacted in the trace)" if "*" in operand else "")
    if cmd == "P0":
        return f"P0: meter asks for the password (operand {operand})"
    if cmd == "B0":
        return "B0: break — end of session"
    address = operand.split("(", 1)[0]
    inside = operand[len(address) :].strip("()")
    if cmd in ("R5", "R6"):
        lo, _, hi = inside.partition(";")
        what = RANGES.get(address, address)
        return f"{cmd}: read {what} from {_yymmddhhmm(lo) or 'start'} to {_yymmddhhmm(hi) or 'end'}"
    if cmd in ("R1", "R2"):
        return f"{cmd}: read {address}"
    if cmd in ("W1", "W2"):
        return f"{cmd}: write {address} = {inside}"
    return f"{cmd}: {COMMANDS.get(cmd, 'unknown command')} {_short(operand, 40)}"


def _yymmddhhmm(text: str) -> str:
    """``[z]YYMMDDhhmm[ss]`` (z = season flag) → ``20YY-MM-DD hh:mm[:ss] UTC``; raw if not."""
    digits = "".join(c for c in text if c.isdigit())
    if len(digits) in (11, 13):
        digits = digits[1:]
    if len(digits) not in (10, 12):
        return digits
    out = f"20{digits[:2]}-{digits[2:4]}-{digits[4:6]} {digits[6:8]}:{digits[8:10]}"
    return out + (f":{digits[10:]}" if len(digits) == 12 else "") + " UTC"


def _answer(text: str) -> tuple[str, list[tuple[int, str]]]:
    lines = [line for line in text.replace("\r", "").split("\n") if line and line != "!"]
    if text.strip() == "(ERROR)" or text.strip().startswith("(ERROR"):
        return "answer: ERROR (refused)", [(0, "data answer: (ERROR)")]
    if any(line.startswith("P.01(") for line in lines):
        rows = sum(1 for line in lines if not line.startswith("P."))
        return f"answer: load profile, {rows} interval lines", [(0, "load profile")] + [
            (1, _short(line, 120)) for line in lines[:50]
        ]
    if any(line.startswith("P.98(") or line.startswith("P.99(") for line in lines):
        return f"answer: event log, {len(lines)} lines", [(0, "event log")] + [
            (1, _short(line, 120)) for line in lines[:50]
        ]
    if not lines:
        return "answer: (empty)", [(0, "empty data answer")]
    first = _short(lines[0], 50)
    summary = f"answer: {first}" + (f" (+{len(lines) - 1} lines)" if len(lines) > 1 else "")
    return summary, [(0, f"data answer, {len(lines)} line(s)")] + [
        (1, _short(line, 120)) for line in lines[:100]
    ]
