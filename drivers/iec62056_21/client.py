"""IEC 62056-21 mode C client: sign-on, baud switch, data readout and programming mode.

Sequence (what goes over the wire, 7E1 throughout)::

    → /?[addr]!CRLF                      300 Bd   sign-on request
    ← /XXXZident CRLF                    300 Bd   identification (Z = max baud code)
    → ACK 0 Z Y CRLF                     300 Bd   option select (Y: 0 readout, 1 programming)
      … both sides switch to the baud of Z once the ACK has left the wire …
    ← STX data ! CRLF ETX BCC            new Bd   (Y=0) data readout; the meter returns to 300 Bd
    ← SOH P0 STX (seed) ETX BCC          new Bd   (Y=1) password request
    → SOH P1 STX (password) ETX BCC      → ACK, or NAK / (ERROR) = refused
    → SOH R1 STX addr() ETX BCC          ← STX addr(value*unit) ETX BCC
    → SOH W1 STX addr(value) ETX BCC     ← ACK
    → SOH R5 STX P.01(from;to) ETX BCC   ← STX P.01(…)… ETX BCC   (see drivers.iec62056_21.profile)
    → SOH B0 ETX BCC                     break, end of session

Error recovery: a reply with a bad BCC is answered with NAK (the meter repeats it); a NAK from the
meter makes us repeat our message; silence makes us repeat the message — each up to ``retries``
times, then :class:`~drivers.errors.ProtocolError` / :class:`~drivers.errors.DriverTimeout`
naming the port and the step. Partial blocks (ending in EOT) are acknowledged with ACK and
joined.

Reaction time: the meter must wait ``tr`` before answering — at least 200 ms, or at least 20 ms
when the identification's third letter is lowercase (:attr:`Identification.min_reaction_s`), and
at most 1500 ms. That minimum is part of the line's pace: no client can be answered sooner.
``reaction_ms`` is the longest the client allows for it: it is added to the first-byte timeout
of every answer; the client itself never sleeps for it. The baud switch after the option select
happens as soon as the ACK message has left the wire (:meth:`Transport.set_line` drains the
output first) — the meter answers at the new baud no sooner than ``tr`` later, so waiting
before switching would only risk losing the first bytes of a quick meter. Answers are scanned
for their end while they arrive (each byte is looked at once), so a block is checked and parsed
as soon as its BCC is in.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from drivers.errors import AuthenticationError, DriverTimeout, ProtocolError
from drivers.iec62056_21.profile import (
    LoadProfile,
    parse_events,
    parse_profile,
    range_request,
)
from drivers.iec62056_21.readout import (
    ACK,
    BREAK,
    EOT,
    ETX,
    NAK,
    SOH,
    STX,
    DataSet,
    Readout,
    check_block,
    command,
    parse_data,
    parse_readout,
)
from drivers.model import MeterEvent
from drivers.redact import Span, iec_password_spans, iec_value_spans
from drivers.trace import Trace
from drivers.transport import IEC_SIGN_ON, Transport

#: identification baud character → bits per second (protocol mode C).
BAUD_CODES = {"0": 300, "1": 600, "2": 1200, "3": 2400, "4": 4800, "5": 9600, "6": 19200}
#: the least reaction time ``tr`` a meter may take before answering (seconds) ...
TR_MIN_S = 0.2
#: ... and the least for a meter whose manufacturer flag's third letter is lowercase.
TR_MIN_FAST_S = 0.02


@dataclass(frozen=True)
class Identification:
    """The meter's identification message ``/XXXZ[\\W]ident``.

    :param flag: manufacturer flag (3 letters).
    :param baud_char: the baud character ``Z`` (``"0"``…``"6"`` in mode C).
    :param ident: identification text (up to 16 characters per the standard; longer accepted).
    :param reaction_20ms: third flag letter lowercase: the meter answers within 20 ms.
    :param raw: the text after ``/`` as received.
    """

    flag: str
    baud_char: str
    ident: str
    reaction_20ms: bool
    raw: str

    @property
    def min_reaction_s(self) -> float:
        """The least time the meter may take before each answer, ``tr`` (s): 0.02 or 0.2."""
        return TR_MIN_FAST_S if self.reaction_20ms else TR_MIN_S

    @property
    def max_baud(self) -> int:
        """Highest baud the meter offers (300 when the character is not a mode C code)."""
        return BAUD_CODES.get(self.baud_char, 300)

    @classmethod
    def parse(cls, line: bytes) -> Identification:
        """Parse ``/XXXZident CR LF`` (bytes before ``/`` are ignored)."""
        slash = line.find(b"/")
        text = bytes(b & 0x7F for b in line[slash + 1 :]).decode("ascii").rstrip("\r\n")
        if slash < 0 or len(text) < 4 or not text[:3].isalpha():
            raise ProtocolError("not an identification message", data=line)
        ident = text[4:]
        while len(ident) >= 2 and ident[0] == "\\":  # mode E "\W" enhancement sequences
            ident = ident[2:]
        return cls(text[:3], text[3], ident.strip(), text[2].islower(), text)


def min_reaction_in(trace: Trace) -> float:
    """The least reaction time ``tr`` allowed by the identification found in ``trace`` (s);
    :data:`TR_MIN_S` when the trace holds none."""
    rx = b"".join(r.data for r in trace if r.direction == "rx" and r.baud == IEC_SIGN_ON.baud)
    slash = rx.find(b"/")
    end = rx.find(b"\n", slash)
    if slash < 0 or end < 0:
        return TR_MIN_S
    try:
        return Identification.parse(rx[slash : end + 1]).min_reaction_s
    except (ProtocolError, UnicodeDecodeError):
        return TR_MIN_S


#: a pushed telegram longer than this without an end is refused (bytes).
LISTEN_MAX_BYTES = 65536


def _telegram_end(buf: bytes) -> int:
    """Length of the complete telegram at the start of ``buf`` (``/`` first), 0 if incomplete."""
    eol = buf.find(b"\n")
    if eol < 0:
        return 0
    stx = buf.find(b"\x02", eol)
    bang = buf.find(b"!", eol)
    if stx >= 0 and (bang < 0 or stx < bang):
        etx = next((i for i in range(stx + 1, len(buf)) if buf[i] in (ETX, EOT)), -1)
        return etx + 2 if 0 <= etx < len(buf) - 1 else 0
    if bang >= 0:
        nl = buf.find(b"\n", bang)
        return nl + 1 if nl >= 0 else 0
    return 0


class Iec21Client:
    """IEC 62056-21 protocol client on an open :class:`~drivers.transport.Transport`.

    :param transport: open transport (its ``timeout`` is the per-answer inactivity timeout, s).
    :param device_address: sent in ``/?addr!`` (empty = whichever meter is on the line).
    :param max_baud: highest baud to switch to (None = whatever the meter offers, ≤ 19200).
    :param reaction_ms: longest meter reaction time ``tr`` to allow, ms (200…1500).
    :param retries: repeats after a NAK, a BCC error or silence before giving up.
    """

    def __init__(
        self,
        transport: Transport,
        *,
        device_address: str = "",
        max_baud: int | None = None,
        reaction_ms: int = 300,
        retries: int = 3,
    ) -> None:
        self.transport = transport
        self.device_address = device_address
        self.max_baud = max_baud
        self.reaction_ms = reaction_ms
        self.retries = retries
        self.identification: Identification | None = None
        self.mode: str | None = None  #: None (idle), "programming"
        self.logged_in = False
        self.seed = ""
        self.baud = IEC_SIGN_ON.baud
        #: wall-clock UTC time at which each readout data set finished arriving (address → time)
        self.readout_times: dict[str, datetime] = {}

    @property
    def port(self) -> str:
        return self.transport.url

    def _first_timeout(self) -> float:
        return self.transport.timeout + self.reaction_ms / 1000

    # -- sign-on and option select ---------------------------------------------------------------
    def sign_on(self) -> Identification:
        """Send ``/?addr!`` at 300 7E1 and return the meter's :class:`Identification`."""
        t = self.transport
        if t.settings != IEC_SIGN_ON:
            t.set_line(IEC_SIGN_ON)
        self.baud = IEC_SIGN_ON.baud
        self.mode, self.logged_in = None, False
        request = f"/?{self.device_address}!\r\n".encode("ascii")
        step = "sign-on"
        for attempt in range(self.retries + 1):
            t.flush_input()
            t.write(request, note="sign-on", step=step)
            try:
                line = t.read_until(b"\n", timeout=self._first_timeout(), step=step)
                self.identification = Identification.parse(line)
                return self.identification
            except (DriverTimeout, ProtocolError) as exc:
                if attempt == self.retries:
                    raise exc.located(port=self.port, step=step) from None
                time.sleep(0.05)
        raise AssertionError("unreachable")

    def _baud_char(self) -> str:
        ident = self.identification
        offered = ident.baud_char if ident and ident.baud_char in BAUD_CODES else "0"
        allowed = [c for c, b in BAUD_CODES.items() if self.max_baud is None or b <= self.max_baud]
        return min(offered, max(allowed or ["0"]))

    def _option_select(self, mode: int) -> None:
        """Send ``ACK 0 Z Y CR LF`` and switch to Z's baud once the message has left the wire."""
        z = self._baud_char()
        message = bytes([ACK]) + f"0{z}{mode}\r\n".encode("ascii")
        t = self.transport
        t.write(message, note=f"option select, mode {mode}", step="option select")
        new_baud = BAUD_CODES[z]
        if new_baud != t.settings.baud:
            t.set_line(t.settings.with_baud(new_baud))  # drains first: the ACK has left
        self.baud = new_baud

    # -- replies ---------------------------------------------------------------------------------
    def _read_reply(self, step: str, first_timeout: float | None = None) -> tuple[int, bytes]:
        """Next ACK, NAK or framed block: ``(first byte, raw)``; leading noise is dropped."""
        t = self.transport
        buf = bytearray()
        timeout = self._first_timeout() if first_timeout is None else first_timeout
        deadline = time.monotonic() + timeout
        scanned = 1  # bytes of a started block already searched for its ETX/EOT
        while True:
            if buf and buf[0] not in _STARTS:
                start = next((i for i, b in enumerate(buf) if b in _STARTS), -1)
                del buf[: start if start > 0 else len(buf)]
            if buf and buf[0] in (ACK, NAK):
                t.unread(bytes(buf[1:]))
                return buf[0], bytes(buf[:1])
            if buf:
                end = _block_end(buf, scanned)
                if 0 < end < len(buf) - 1:
                    t.unread(bytes(buf[end + 2 :]))
                    return buf[0], bytes(buf[: end + 2])
                scanned = end if end > 0 else max(1, len(buf))
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DriverTimeout(
                    "no complete answer", port=self.port, step=step, received=bytes(buf)
                )
            chunk = t.read_available(remaining, step=step)
            if chunk:
                buf += chunk
                deadline = time.monotonic() + t.timeout

    def _transact(
        self,
        message: bytes,
        step: str,
        *,
        note: str = "",
        repeat_on_nak: bool = True,
        secret: Sequence[Span] = (),
    ) -> tuple[int, bytes]:
        """Send ``message`` and return the meter's answer ``(ACK|NAK|SOH|STX, data)``.

        NAK and silence → repeat ``message``; bad BCC → send NAK; EOT blocks → ACK and join.
        A NAK that survives every retry is returned to the caller (P1 treats it as a refusal).
        """
        t = self.transport
        t.write(message, note=note, step=step, secret=secret)
        attempts = 0
        joined = bytearray()
        while True:
            try:
                kind, raw = self._read_reply(step)
            except DriverTimeout as exc:
                if attempts >= self.retries:
                    raise
                attempts += 1
                t.flush_input()
                if exc.received:
                    t.write(NAK_BYTES, note="repeat", step=step)
                else:
                    t.write(message, note="repeat", step=step, secret=secret)
                continue
            if kind == ACK:
                return ACK, b""
            if kind == NAK:
                if attempts >= self.retries or not repeat_on_nak:
                    return NAK, b""
                attempts += 1
                t.write(message, note="repeat after NAK", step=step, secret=secret)
                continue
            try:
                head, data, last = check_block(raw)
            except ProtocolError as exc:
                if attempts >= self.retries:
                    raise exc.located(port=self.port, step=step) from None
                attempts += 1
                t.write(NAK_BYTES, note="NAK: bad block", step=step)
                continue
            joined += data
            if last:
                return kind, (head + b"\x02" + bytes(joined)) if kind == SOH else bytes(joined)
            t.write(bytes([ACK]), note="next block", step=step)

    # -- data readout ----------------------------------------------------------------------------
    def read_out(self) -> Readout:
        """Sign on and read the whole data readout (mode C, Y=0); the meter then goes idle."""
        step = "data readout"
        for attempt in range(self.retries + 1):
            self.sign_on()
            self._option_select(0)
            mark = len(self.transport.trace)
            try:
                kind, raw = self._read_reply(step)
                if kind != STX:
                    raise ProtocolError("readout does not start with STX", data=raw)
                readout = parse_readout(raw)
            except (DriverTimeout, ProtocolError) as exc:
                if attempt == self.retries:
                    raise exc.located(port=self.port, step=step) from None
                continue
            finally:
                self.transport.set_line(IEC_SIGN_ON)
                self.baud = IEC_SIGN_ON.baud
            if self.identification:
                readout.identification = self.identification.raw
            self._note_times(mark, raw, readout)
            return readout
        raise AssertionError("unreachable")

    def _note_times(self, mark: int, raw: bytes, readout: Readout) -> None:
        """Record when each data set's bytes arrived (from the trace), for clock deviation."""
        recs = [r for r in self.transport.trace.since(mark) if r.direction == "rx"]
        joined = b"".join(r.data for r in recs)
        base = joined.find(raw)
        ends, acc = [], 0
        for r in recs:
            acc += len(r.data)
            ends.append((acc, r.wall_ns))
        self.readout_times = {}
        pos = 0
        for ds in readout.datasets:
            key = f"{ds.address}(".encode("ascii", "replace")
            found = raw.find(key, pos) if ds.address else -1
            if found < 0 or base < 0:
                continue
            pos = found + 1
            offset = base + found + len(key)
            wall = next((w for end, w in ends if end > offset), ends[-1][1] if ends else 0)
            self.readout_times.setdefault(ds.address, datetime.fromtimestamp(wall / 1e9, UTC))

    # -- mode D / passive port --------------------------------------------------------------------
    def listen(self, timeout: float = 30.0, max_bytes: int = LISTEN_MAX_BYTES) -> Readout:
        """Wait for a telegram the meter pushes by itself (mode D) without sending anything.

        Takes ``/ident`` CR LF then either a framed block (``STX … ETX BCC``) or unframed data
        lines up to ``!`` CR LF (``Readout.framed`` False: no BCC to check).

        :param timeout: seconds to wait for the whole telegram (mode D meters push every few s).
        :param max_bytes: give up (ProtocolError) if no end arrives within this many bytes.
        """
        step = "listen"
        t = self.transport
        buf = bytearray()
        deadline = time.monotonic() + timeout
        while True:
            slash = buf.find(b"/")
            if slash > 0:
                del buf[:slash]  # the tail of a telegram already under way
            if slash >= 0:
                end = _telegram_end(bytes(buf))
                if end:
                    t.unread(bytes(buf[end:]))
                    raw = bytes(buf[:end])
                    try:
                        readout = parse_readout(raw)
                    except ProtocolError as exc:
                        raise exc.located(port=self.port, step=step) from None
                    self.identification = Identification.parse(raw[: raw.find(b"\n") + 1])
                    return readout
            if len(buf) > max_bytes:
                raise ProtocolError(
                    f"no complete telegram in {len(buf)} bytes", port=self.port, step=step,
                    data=bytes(buf[:64]),
                )  # fmt: skip
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DriverTimeout(
                    "no telegram pushed", port=self.port, step=step, received=bytes(buf)
                )
            buf += t.read_available(min(remaining, 0.5), step=step)

    # -- programming mode ------------------------------------------------------------------------
    def start_programming(self, password: str | None = None) -> str:
        """Sign on, select programming mode (Y=1), read the P0 seed; log in when given a password.

        :returns: the seed the meter sent in P0 (often the serial or a random challenge).
        :raises AuthenticationError: the password was refused.
        """
        self.sign_on()
        self._option_select(1)
        step = "programming mode (P0)"
        kind, data = self._transact_reply_only(step)
        head, _, body = data.partition(b"\x02")
        if kind != SOH or not head.startswith(b"P0"):
            raise ProtocolError(
                "expected the P0 password request", data=data, port=self.port, step=step
            )
        sets = parse_data(body)
        self.seed = sets[0].value if sets else ""
        self.mode = "programming"
        if password is not None:
            self.login(password)
        return self.seed

    def _transact_reply_only(self, step: str) -> tuple[int, bytes]:
        """Read an unprompted message (P0) with BCC-NAK recovery."""
        for attempt in range(self.retries + 1):
            kind, raw = self._read_reply(step)
            try:
                if kind in (ACK, NAK):
                    return kind, b""
                head, data, _ = check_block(raw)
                return kind, head + b"\x02" + data if kind == SOH else data
            except ProtocolError as exc:
                if attempt == self.retries:
                    raise exc.located(port=self.port, step=step) from None
                self.transport.write(NAK_BYTES, note="NAK: bad block", step=step)
        raise AssertionError("unreachable")

    def login(self, password: str) -> None:
        """Send ``P1 (password)``; ACK = accepted.

        The trace records the password field and the BCC as ``*``, located in the P1 message's
        structure (:func:`drivers.redact.iec_password_spans`); the meter's answer is untouched.
        """
        step = "password (P1)"
        message = command("P1", f"({password})")
        kind, data = self._transact(
            message, step, note="password", repeat_on_nak=False,
            secret=iec_password_spans(message),
        )  # fmt: skip
        if kind != ACK:
            answer = "NAK" if kind == NAK else data.decode("ascii", "replace")
            self.logged_in = False
            raise AuthenticationError(
                f"meter refused the password (answered {answer})", port=self.port, step=step
            )
        self.logged_in = True

    def _need_programming(self, step: str) -> None:
        if self.mode != "programming":
            raise ProtocolError(
                "not in programming mode (call start_programming first)", port=self.port, step=step
            )

    def _data(self, message: bytes, step: str) -> bytes:
        kind, data = self._transact(message, step)
        if kind == NAK:
            raise ProtocolError(
                f"meter answered NAK {self.retries + 1} times", port=self.port, step=step
            )
        if kind != STX:
            raise ProtocolError("expected a data block", data=data, port=self.port, step=step)
        if data.strip().startswith(b"(ERROR"):
            raise ProtocolError("meter answered (ERROR)", data=data, port=self.port, step=step)
        return data

    def read_register(self, address: str) -> DataSet:
        """``R1 address()`` → the data set (address as sent, value groups as answered)."""
        step = f"R1 {address}"
        self._need_programming(step)
        data = self._data(command("R1", f"{address}()"), step)
        try:
            sets = parse_data(data)
        except ProtocolError as exc:
            raise exc.located(port=self.port, step=step) from None
        if not sets:
            raise ProtocolError("empty answer", data=data, port=self.port, step=step)
        return DataSet(address, sets[0].values)

    def write_register(self, address: str, value: str, *, secret: bool = False) -> None:
        """``W1 address(value)`` → ACK; a refusal raises (Authentication when not logged in).

        :param secret: ``value`` is a password (e.g. a new meter password): traced as ``*``.
        """
        step = f"W1 {address}"
        self._need_programming(step)
        message = command("W1", f"{address}({value})")
        spans = iec_value_spans(message) if secret else []
        kind, data = self._transact(message, step, secret=spans)
        if kind == ACK:
            return
        answer = "NAK" if kind == NAK else data.decode("ascii", "replace")
        cls = ProtocolError if self.logged_in else AuthenticationError
        raise cls(f"meter refused the write (answered {answer})", port=self.port, step=step)

    def read_load_profile(
        self, start: datetime | None, end: datetime | None, *, step: str = ""
    ) -> LoadProfile:
        """``R5 P.01(from;to)``: intervals whose capture (end) time is in ``[start, end]``."""
        request = range_request("P.01", start, end)
        step = step or f"load profile R5 {request}"
        self._need_programming(step)
        data = self._data(command("R5", request), step)
        try:
            return parse_profile(data)
        except ProtocolError as exc:
            raise exc.located(port=self.port, step=step) from None

    def read_event_log(self, start: datetime | None, end: datetime | None) -> list[MeterEvent]:
        """``R5 P.98(from;to)``: events with ``start ≤ time < end + 1 min``."""
        request = range_request("P.98", start, end)
        step = f"event log R5 {request}"
        self._need_programming(step)
        data = self._data(command("R5", request), step)
        try:
            return parse_events(data)
        except ProtocolError as exc:
            raise exc.located(port=self.port, step=step) from None

    def send_break(self) -> None:
        """``SOH B0 ETX BCC``: end the session; the meter returns to 300 Bd."""
        self.transport.write(BREAK, note="break", step="break")
        wait = len(BREAK) * 10 / self.transport.settings.baud
        time.sleep(wait)
        self.mode, self.logged_in = None, False
        self.transport.set_line(IEC_SIGN_ON)
        self.baud = IEC_SIGN_ON.baud


NAK_BYTES = bytes([NAK])
#: first bytes of a meter's answer: ACK, NAK or a framed block.
_STARTS = (ACK, NAK, SOH, STX)


def _block_end(buf: bytearray, start: int) -> int:
    """Index of the first ETX/EOT at or after ``start`` in a block begun at ``buf[0]``, else -1."""
    found = [i for i in (buf.find(ETX, start), buf.find(EOT, start)) if i >= 0]
    return min(found) if found else -1
