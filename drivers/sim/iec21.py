"""IEC 62056-21 mode C front end of the simulated outstation.

Serves one :class:`~drivers.sim.link.SimLink` at a time. States: *idle* (300 Bd, waiting for
``/?[addr]!``), *option* (identification sent, waiting for ``ACK 0 Z Y``), *programming* (after
``Y=1``: P1, R1, W1, R5 ``P.01``/``P.98``, B0). Formats are those documented in
:mod:`drivers.iec62056_21.profile`; data-readout lines are::

    0.0.0(serial)  C.1.0(serial)  0.2.0(application firmware)
    0.9.1(hhmmss)  0.9.2(YYMMDD)  (meter clock, UTC)   0.8.4(pp*min) (profile period)
    1.8.0(0018250.375*kWh) … 4.8.0(…*kvarh)            (registers from the description's channels)
    32.7.0(230.1*V) … 14.7.0(50.01*Hz)                  (instantaneous values)

Every address of the readout can also be read with ``R1``. ``W1 0.9.1(hhmmss)`` / ``W1
0.9.2(YYMMDD)`` set the clock (:meth:`SimMeter.set_clock`); any other ``W1`` is a parameter change.
Reads work without ``P1`` (read-only access, as on many meters); writes need the right password
(``options.password`` overrides the description's ``iec_password``; an empty one means none).
A wrong ``P1`` is answered with NAK and logged by :meth:`SimMeter.check_password`.

Timing: with line-speed emulation on, the meter waits its reaction time ``tr`` before every answer
(``reaction_ms``; default 20 ms when the flag's third letter is lowercase, else 200 ms — the
standard's minimum; the first answer at a new baud waits it even without emulation, so that the
client has time to switch its port) and switches baud right after the option-select message has
arrived. A meter
whose supply is cut answers nothing. Faults (:class:`~drivers.sim.faults.FaultPlan`) act on
answers: ``corrupt``/``drop``/``delay`` on every framed answer, ``nak`` on R1/R5 answers,
``reject-password`` on P1, ``stop`` after the first R5 answer.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta

from drivers.errors import ProtocolError
from drivers.iec62056_21.client import BAUD_CODES
from drivers.iec62056_21.profile import format_events, format_profile, parse_range
from drivers.iec62056_21.readout import (
    ACK,
    EOT,
    ETX,
    NAK,
    SOH,
    check_block,
    command,
    data_block,
    parse_data,
)
from drivers.model import EventCode
from drivers.obis import Obis, ObisError
from drivers.sim.faults import FaultPlan
from drivers.sim.link import SimLink
from drivers.sim.meter import SimMeter, SimOptions

_ACK = bytes([ACK])
_NAK = bytes([NAK])
#: longest command message accepted (bytes, SOH…BCC); a longer one is dropped as noise.
MAX_MESSAGE = 1024


def iec_address(obis: str) -> str:
    """``"1.0.32.7.0.255"`` → ``"32.7.0"`` (C.D.E of a full OBIS code)."""
    try:
        return Obis.parse(obis).short
    except ObisError:
        return obis


class Iec21FrontEnd:
    """Translate IEC 62056-21 bytes into calls on a :class:`SimMeter`.

    :param reaction_ms: the meter's reaction time tr in ms (applied only with baud emulation).
    :param max_baud_code: override the description's baud character (``"0"``…``"6"``).
    :param idle_timeout_s: back to idle (300 Bd) after this long without a byte mid-session.
    """

    def __init__(
        self,
        meter: SimMeter,
        options: SimOptions,
        faults: FaultPlan,
        *,
        reaction_ms: int | None = None,
        max_baud_code: str | None = None,
        idle_timeout_s: float = 60.0,
    ) -> None:
        self.meter = meter
        self.options = options
        self.faults = faults
        desc = meter.description
        self.password = options.password if options.password is not None else desc.iec_password
        self.max_code = str(max_baud_code or desc.max_baud_code)
        if reaction_ms is None:
            reaction_ms = 20 if desc.flag[2:3].islower() else 200
        self.reaction_s = reaction_ms / 1000
        self.idle_timeout_s = idle_timeout_s
        self.state = "idle"
        self.authenticated = False
        self.last_reply = b""
        self.sessions = 0
        self._scanned = 1  # bytes of a pending SOH message already searched for ETX/EOT

    # -- loop ------------------------------------------------------------------------------------
    def serve(self, link: SimLink) -> None:
        buf = bytearray()
        last_rx = time.monotonic()
        while True:
            chunk = link.read(0.2)
            now = time.monotonic()
            if chunk:
                buf += chunk
                last_rx = now
            elif self.state != "idle" and now - last_rx > self.idle_timeout_s:
                self._idle(link)
            while (msg := self._next_message(buf)) is not None:
                if self.meter.powered and not self.faults.stopped:
                    self._handle(link, msg)

    def _idle(self, link: SimLink) -> None:
        self.state = "idle"
        self.authenticated = False
        link.baud = 300

    def _next_message(self, buf: bytearray) -> bytes | None:
        """Cut one complete message off the front of ``buf`` (noise before it is dropped)."""
        while buf:
            first = buf[0]
            if first == ord("/"):
                end = buf.find(b"\n", 0, 65)  # a sign-on is short: bounded search
                if end < 0:
                    if len(buf) > 64:
                        del buf[:1]
                        continue
                    return None
                return self._cut(buf, end + 1)
            if first == ACK and self.state == "option":
                end = buf.find(b"\n", 0, 8)
                if end < 0:
                    return None if len(buf) < 8 else self._cut(buf, 1)
                return self._cut(buf, end + 1)
            if first in (ACK, NAK):
                return self._cut(buf, 1)
            if first == SOH:
                block_end = self._block_end(buf)
                if block_end is None:
                    if len(buf) > MAX_MESSAGE:  # no ETX/EOT within bounds: noise
                        del buf[:1]
                        self._scanned = 1
                        continue
                    return None
                return self._cut(buf, block_end + 2)
            del buf[:1]  # noise, stray CR LF
        return None

    def _block_end(self, buf: bytearray) -> int | None:
        """Index of the ETX/EOT of the SOH message at ``buf[0]`` with its BCC present, or None.

        Linear overall: bytes already searched are not searched again when more arrive.
        """
        limit = min(len(buf), MAX_MESSAGE)
        found = (buf.find(ETX, self._scanned, limit), buf.find(EOT, self._scanned, limit))
        ends = [i for i in found if i >= 0]
        if not ends:
            self._scanned = max(1, limit)
            return None
        end = min(ends)
        self._scanned = end  # found: wait here for the BCC byte
        return end if end + 1 < len(buf) else None

    def _cut(self, buf: bytearray, n: int) -> bytes:
        out = bytes(buf[:n])
        del buf[:n]
        self._scanned = 1
        return out

    def _send(
        self,
        link: SimLink,
        reply: bytes,
        *,
        framed: bool = True,
        data: bool = False,
        react: bool = False,
        faults: bool = True,
    ) -> None:
        """Answer after the reaction time, through the fault plan (``data``: subject to NAK).

        ``react``: wait the reaction time even without emulation (first answer at a new baud:
        the client needs it to switch its port). ``faults=False``: the identification, which has
        no BCC, is never mangled (a client could not tell).
        """
        if (link.emulate or react) and self.reaction_s:
            time.sleep(self.reaction_s)
        self.last_reply = reply
        if not faults:
            link.write(reply)
            return
        if data and self.faults.hit("nak"):
            link.write(_NAK)
            return
        out = self.faults.mangle(reply, slice(-1, None) if framed else slice(0, 0))
        if out is not None:
            link.write(out)

    # -- messages --------------------------------------------------------------------------------
    def _handle(self, link: SimLink, msg: bytes) -> None:
        first = msg[0]
        if first == ord("/"):
            self._sign_on(link, msg)
        elif first == ACK and self.state == "option":
            self._option_select(link, msg)
        elif self.state != "programming":
            return
        elif first == NAK:
            if self.last_reply:
                self._send(link, self.last_reply, framed=len(self.last_reply) > 1)
        elif first == SOH:
            self._command(link, msg)

    def _sign_on(self, link: SimLink, msg: bytes) -> None:
        m = re.fullmatch(rb"/\?([^!]*)!\r?\n", msg)
        link.baud = 300
        self.state, self.authenticated = "idle", False
        if not m:
            return
        address = m.group(1).decode("ascii", "replace")
        if address and address != self.meter.description.serial:
            return
        desc = self.meter.description
        self.state = "option"
        self.sessions += 1
        ident = f"/{desc.flag}{self.max_code}{desc.model}\r\n".encode()
        self._send(link, ident, framed=False, faults=False)

    def _option_select(self, link: SimLink, msg: bytes) -> None:
        m = re.fullmatch(rb"\x06([0-9])([0-9])([0-9])\r?\n", msg)
        self.state = "idle"
        if not m:
            return
        z, y = m.group(2).decode(), m.group(3)
        if z > self.max_code or z not in BAUD_CODES or y not in (b"0", b"1"):
            return  # unsupported: stay silent, the client times out
        link.baud = BAUD_CODES[z]
        if y == b"0":
            self._send(link, data_block(self._readout_text()), react=True)
            link.baud = 300
            return
        self.state = "programming"
        digits = "".join(c for c in self.meter.description.serial if c.isdigit()) or "0"
        self._send(link, command("P0", f"({digits})"), react=True)

    def _values(self) -> dict[str, str]:
        """Readout / R1 address → value group text (without brackets)."""
        m = self.meter
        desc = m.description
        now = m.meter_now()
        out = {
            "0.0.0": desc.serial,
            "C.1.0": desc.serial,
            "0.2.0": desc.firmware.get("application", ""),
            "0.9.1": now.strftime("%H%M%S"),
            "0.9.2": now.strftime("%y%m%d"),
            "0.8.4": f"{m.period_min:02d}*min",
        }
        for spec, wh in m.registers_wh():
            out[spec.iec] = f"{wh / 1000:011.3f}*{spec.unit}"
        for obis, (value, unit) in m.instantaneous().items():
            out[iec_address(obis)] = f"{value}*{unit}" if unit else f"{value}"
        return out

    def _readout_text(self) -> str:
        return "".join(f"{a}({v})\r\n" for a, v in self._values().items()) + "!\r\n"

    def _command(self, link: SimLink, msg: bytes) -> None:
        try:
            head, data, _ = check_block(msg)
        except ProtocolError:
            self._send(link, _NAK, framed=False)
            return
        cmd = head.decode("ascii", "replace")
        text = data.decode("ascii", "replace")
        if cmd == "B0":
            self._idle(link)
        elif cmd in ("P1", "P2"):
            given = text.strip()[1:-1] if text.strip().startswith("(") else text.strip()
            ok = self.meter.check_password(self.meter.password_of(2, self.password), given)
            if self.faults.active("reject-password"):
                ok = False
            self.authenticated = ok
            self._send(link, _ACK if ok else _NAK, framed=False)
        elif cmd == "R1":
            address = text.split("(", 1)[0].strip()
            value = self._values().get(address)
            reply = f"{address}({value})" if value is not None else "(ERROR)"
            self._send(link, data_block(reply), data=True)
        elif cmd == "W1":
            self._write(link, text)
        elif cmd == "R5":
            self._range(link, text)
        else:
            self._send(link, data_block("(ERROR)"))

    def _write(self, link: SimLink, text: str) -> None:
        if self.password and not self.authenticated:
            self._send(link, data_block("(ERROR)"))
            return
        try:
            sets = parse_data(text)
        except ProtocolError:
            sets = []
        if not sets:
            self._send(link, data_block("(ERROR)"))
            return
        address, value = sets[0].address, sets[0].value
        digits = "".join(c for c in value if c.isdigit())
        now = self.meter.meter_now()
        try:
            if address == "0.9.1" and len(digits) == 6:
                new = now.replace(
                    hour=int(digits[:2]),
                    minute=int(digits[2:4]),
                    second=int(digits[4:]),
                    microsecond=0,
                )
                self.meter.set_clock(new)
            elif address == "0.9.2" and len(digits) == 6:
                new = now.replace(
                    year=2000 + int(digits[:2]), month=int(digits[2:4]), day=int(digits[4:])
                )
                self.meter.set_clock(new)
            else:
                self.meter.change_parameter(address, value)
        except ValueError:
            self._send(link, data_block("(ERROR)"))
            return
        self._send(link, _ACK, framed=False)

    def _range(self, link: SimLink, text: str) -> None:
        try:
            code, start, end = parse_range(text)
        except ProtocolError:
            self._send(link, data_block("(ERROR)"))
            return
        m = self.meter
        if code == "P.01":
            period = timedelta(minutes=m.period_min)
            rows = m.profile_rows(
                start - period if start else None,
                end - period + timedelta(seconds=1) if end else None,
            )
            channels = [(c.iec, c.unit) for c in m.description.channels]
            body = format_profile(
                m.period_min,
                channels,
                [(t, [f"{v / 1000:.3f}" for v in values], s) for t, values, s in rows],
            )
        elif code == "P.98":
            events = m.events(start, end + timedelta(minutes=1) if end else None)
            body = format_events([(e.time, int(EventCode(e.code).flag), e.code) for e in events])
        else:
            self._send(link, data_block("(ERROR)"))
            return
        self._send(link, data_block(body), data=True)
        self.faults.after_data_block()
