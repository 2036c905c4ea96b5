"""Follow IEC 62056-21 speed changes on an observed line (mode C option select, mode E).

A relay or tap between two serial ports must switch both ports when the HHDC and the meter
switch, or every later byte is garbage. The HHDC's side of the conversation tells when:

* ``ACK V Z Y CR LF`` (option select) — after it has left, both ends run at the baud of ``Z``
  (``0`` = 300 … ``6`` = 19200); ``Y = 2`` (HDLC, mode E) also switches the format to 8N1,
  otherwise the sign-on format (7E1) stays;
* ``SOH B 0 ETX BCC`` (break) — the meter returns to the sign-on settings.

:class:`SpeedFollower` is fed the HHDC → meter bytes in the order they are forwarded and
answers the settings both ports must take after that chunk (None: no change).
"""

from __future__ import annotations

from drivers.iec62056_21.client import BAUD_CODES
from drivers.transport import LineSettings

ACK, SOH, ETX = 0x06, 0x01, 0x03
#: the longest tail kept between chunks (an option select split over chunks).
_KEEP = 8


class SpeedFollower:
    """Watches the HHDC → meter stream for option select and break.

    :param sign_on: settings both ends start at and return to after a break.
    """

    def __init__(self, sign_on: LineSettings) -> None:
        self.sign_on = sign_on
        self.current = sign_on
        self._tail = b""
        self.changes: list[tuple[str, LineSettings]] = []
        #: mode E entered: binary HDLC until :meth:`reset` (the HHDC's next call or idle line).
        self.binary = False

    def feed(self, data: bytes) -> LineSettings | None:
        """Settings to apply after ``data`` has been forwarded, or None."""
        if self.binary:
            return None  # HDLC bytes from here on: never read as IEC text
        buf = self._tail + bytes(b & 0x7F for b in data)
        found: LineSettings | None = None
        why = ""
        i = 0
        while i < len(buf):
            b = buf[i]
            if b == ACK and i + 5 < len(buf) and buf[i + 4 : i + 6] == b"\r\n":
                z, y = chr(buf[i + 2]), chr(buf[i + 3])
                if z in BAUD_CODES and y in "012":
                    baud = BAUD_CODES[z]
                    if y == "2":
                        found = LineSettings(baud, 8, "N", 1)
                        self.binary = True
                    else:
                        found = self.sign_on.with_baud(baud)
                    why = f"option select {z}{y}: {found}"
                i += 6
                if self.binary:
                    break
                continue
            if b == SOH and buf[i + 1 : i + 4] == b"B0\x03":
                found, why = self.sign_on, f"break: back to {self.sign_on}"
                i += 4
                continue
            i += 1
        cut = max(0, len(buf) - _KEEP)
        # keep an unfinished option select / break for the next chunk, nothing already consumed
        self._tail = buf[cut:] if found is None else b""
        if found is not None and found != self.current:
            self.current = found
            self.changes.append((why, found))
            return found
        return None

    def reset(self) -> LineSettings:
        """Back to the sign-on settings (a new call); returns them."""
        self.current = self.sign_on
        self._tail = b""
        self.binary = False
        return self.sign_on
