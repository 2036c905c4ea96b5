"""IEC 62056-21 message framing, block check character and data-readout parsing.

Framing (all characters 7-bit ASCII; on the wire 7E1):

- data message / readout: ``STX`` data-lines ``!`` CR LF ``ETX`` BCC (readout), or ``STX`` data
  ``ETX`` BCC (answers in programming mode), or ``EOT`` instead of ``ETX`` for a partial block;
- command message: ``SOH`` C D ``STX`` data ``ETX`` BCC (``P1``, ``R1``, ``W1``, ``R5``…);
- break: ``SOH B0 ETX`` BCC = ``01 42 30 03 71``.

BCC = XOR of every byte after the first ``SOH`` or ``STX`` up to and including ``ETX``/``EOT``,
7-bit (see :func:`bcc`).

Data lines: ``address(value*unit)(value*unit)…``. :func:`parse_data` accepts CR LF or LF line ends,
spaces around items, empty values ``()``, several value groups per address, several data sets on
one line, and value groups without an address (they form a data set with address ``""``, as in
load-profile value lines; in a readout they are *continuation lines* of the data set above).
Units are returned in their usual case whatever the meter sent (``KWH``, ``kwh`` → ``kWh``).

Real meters also send data messages **without STX/ETX** (mode D push telegrams, optical heads that
drop STX): ``/ident`` CR LF, data lines, ``!`` CR LF. :func:`parse_readout` accepts them and says so
(``Readout.framed`` is False: there is no BCC, the message's integrity was not checked).
Only :class:`~drivers.errors.ProtocolError` ever escapes the parsers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from drivers.errors import ProtocolError

SOH, STX, ETX, EOT, ACK, NAK = 0x01, 0x02, 0x03, 0x04, 0x06, 0x15
CRLF = b"\r\n"
#: the break message (end of session): ``SOH B0 ETX BCC``.
BREAK = b"\x01B0\x03q"

Value = tuple[str, str | None]


def bcc(data: bytes) -> int:
    """XOR of ``data`` reduced to 7 bits (0…127). Pass the bytes *after* SOH/STX incl. ETX."""
    out = 0
    for b in data:
        out ^= b
    return out & 0x7F


def command(cmd: str, data: str | bytes | None = None) -> bytes:
    """Build a command message ``SOH cmd [STX data] ETX BCC`` (``command("B0")`` = break)."""
    body = cmd.encode("ascii")
    if data is not None:
        body += b"\x02" + (data.encode("ascii") if isinstance(data, str) else bytes(data))
    body += b"\x03"
    return b"\x01" + body + bytes([bcc(body)])


def data_block(data: str | bytes, *, last: bool = True) -> bytes:
    """Build ``STX data ETX BCC`` (``EOT`` instead of ``ETX`` when ``last`` is False)."""
    body = (data.encode("ascii") if isinstance(data, str) else bytes(data)) + (
        b"\x03" if last else b"\x04"
    )
    return b"\x02" + body + bytes([bcc(body)])


def check_block(raw: bytes) -> tuple[bytes, bytes, bool]:
    """Validate a framed message (``SOH…`` or ``STX…`` ending in ``ETX``/``EOT`` + BCC).

    :returns: ``(head, data, last)``: ``head`` is the command (``b"P0"``) for SOH messages or
        ``b""``; ``data`` the bytes between STX and ETX/EOT; ``last`` False for EOT blocks.
    :raises ProtocolError: no start/end character or a BCC mismatch (``.data`` = ``raw``).
    """
    start = next((i for i, b in enumerate(raw) if b in (SOH, STX)), -1)
    if start < 0:
        raise ProtocolError("no SOH/STX in message", data=raw)
    end = next((i for i in range(start + 1, len(raw)) if raw[i] in (ETX, EOT)), -1)
    if end < 0:
        raise ProtocolError("message has no ETX/EOT", data=raw)
    if end + 1 >= len(raw):
        raise ProtocolError("message has no BCC after ETX", data=raw)
    want = bcc(raw[start + 1 : end + 1])
    got = raw[end + 1]
    if got & 0x7F != want:
        raise ProtocolError(f"BCC mismatch: got {got:02x}, computed {want:02x}", data=raw)
    inner = raw[start + 1 : end]
    if raw[start] == SOH:
        stx = inner.find(b"\x02")
        head, data = (inner, b"") if stx < 0 else (inner[:stx], inner[stx + 1 :])
    else:
        head, data = b"", inner
    return bytes(head), bytes(data), raw[end] == ETX


@dataclass
class DataSet:
    """One data set: ``address`` as written (``"1.8.0"``, ``"0.9.1"``, ``""``) and its value
    groups, each ``(value_text, unit_or_None)`` with surrounding spaces removed."""

    address: str
    values: list[Value] = field(default_factory=list)

    @property
    def value(self) -> str:
        """Text of the first value group (``""`` when there is none)."""
        return self.values[0][0] if self.values else ""

    @property
    def unit(self) -> str | None:
        return self.values[0][1] if self.values else None


@dataclass
class Readout:
    """A parsed data readout: identification text after ``/`` (``""`` if absent) and data sets."""

    identification: str
    datasets: list[DataSet] = field(default_factory=list)
    #: False when the message came without STX/ETX: no BCC was there to check.
    framed: bool = True

    def get(self, address: str) -> DataSet | None:
        """First data set whose address equals ``address`` (``1-0:`` prefixes and ``*F``/``&F``
        suffixes ignored on both sides)."""
        key = normalise_address(address)
        return next((d for d in self.datasets if normalise_address(d.address) == key), None)


def normalise_address(address: str) -> str:
    """``"1-0:1.8.0*255"`` → ``"1.8.0"``; plain addresses are returned stripped."""
    a = address.strip()
    if ":" in a:
        a = a.split(":", 1)[1]
    for sep in ("*", "&"):
        if sep in a:
            a = a.split(sep, 1)[0]
    return a


def _text(data: bytes) -> str:
    return bytes(b & 0x7F for b in data).decode("ascii")


#: unit text in lower case → its usual spelling (meters send ``KWH``, ``kwh``, ``Kwh``…).
_UNITS = {
    u.lower(): u
    for u in ("Wh", "kWh", "MWh", "varh", "kvarh", "Mvarh", "VAh", "kVAh", "MVAh", "W", "kW",
              "MW", "var", "kvar", "VA", "kVA", "V", "kV", "A", "Hz", "min", "s", "h", "%")
}  # fmt: skip


def canonical_unit(unit: str) -> str:
    """``"KWH"`` → ``"kWh"``; units the table does not know come back as sent."""
    return _UNITS.get(unit.strip().lower(), unit.strip())


def parse_data(data: bytes | str, *, continuation: bool = False) -> list[DataSet]:
    """Parse data lines (the part between STX and ETX) into :class:`DataSet` objects.

    Parsing stops at ``!`` (end of readout) outside brackets. Control characters other than CR/LF
    are treated as spaces. With ``continuation`` a line that starts with ``(`` adds its value
    groups to the data set of the line above (readouts); without, it is a data set with address
    ``""`` (load-profile value lines).

    :raises ProtocolError: an unclosed ``(`` or a ``)`` without ``(``.
    """
    text = data if isinstance(data, str) else _text(data)
    out: list[DataSet] = []
    current: DataSet | None = None
    address: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "(":
            close = text.find(")", i + 1)
            nxt = text.find("(", i + 1)
            if close < 0 or (0 <= nxt < close):
                raise ProtocolError(
                    f"unclosed '(' at offset {i}", data=text.encode("ascii", "replace")
                )
            body = text[i + 1 : close]
            value, star, unit = body.partition("*")
            addr = "".join(address).strip()
            if current is None and not addr and continuation and out:
                current = out[-1]
            if current is None or addr:
                current = DataSet(addr)
                out.append(current)
                address = []
            current.values.append((value.strip(), canonical_unit(unit) if star else None))
            i = close + 1
            continue
        if c == ")":
            raise ProtocolError(
                f"')' without '(' at offset {i}", data=text.encode("ascii", "replace")
            )
        if c == "!":
            break
        if c in "\r\n":
            current = None
            address = []
        elif c.isprintable() and c != " ":
            if current is not None and not address:
                current = None  # a new address after value groups on the same line
            address.append(c)
        i += 1
    return out


def parse_readout(data: bytes, *, unframed: bool = True) -> Readout:
    """Parse a mode A/B/C/D data readout (identification line optional, then the data).

    ``data`` is ``[/XXXZident CR LF] STX lines ! CR LF ETX BCC``; bytes after the BCC are ignored.
    Without STX (and ``unframed``) it is ``/XXXZident CR LF [CR LF] lines ! CR LF`` — the result
    then has ``framed = False``.

    :raises ProtocolError: missing STX/ETX/BCC (framed), BCC mismatch, malformed data lines,
        no ``!`` end (unframed) or non-ASCII identification — and nothing else.
    """
    data = bytes(data)
    ident = ""
    stx = data.find(b"\x02")
    if stx < 0:
        if not unframed:
            raise ProtocolError("readout has no STX", data=data)
        return _parse_unframed(data)
    head = data[:stx]
    slash = head.find(b"/")
    if slash >= 0:
        line = head[slash + 1 :]
        for term in (b"\r", b"\n"):
            cut = line.find(term)
            if cut >= 0:
                line = line[:cut]
        ident = _text(line).strip()
    _, body, _ = check_block(data[stx:])
    try:
        datasets = parse_data(body, continuation=True)
    except ProtocolError as exc:
        exc.data = data
        raise
    return Readout(ident, datasets)


def _parse_unframed(data: bytes) -> Readout:
    """``/ident`` CR LF, data lines, ``!`` — a telegram without STX/ETX and so without a BCC."""
    slash = data.find(b"/")
    if slash < 0:
        raise ProtocolError("telegram has neither STX nor an identification line '/'", data=data)
    eol = data.find(b"\n", slash)
    if eol < 0:
        raise ProtocolError("telegram identification line has no line end", data=data)
    ident = _text(data[slash + 1 : eol]).strip()
    body = data[eol + 1 :]
    if b"!" not in body:
        raise ProtocolError("telegram has no end '!'", data=data)
    try:
        datasets = parse_data(body, continuation=True)
    except ProtocolError as exc:
        exc.data = data
        raise
    return Readout(ident, datasets, framed=False)
