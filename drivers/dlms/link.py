"""Carry xDLMS APDUs over a :class:`~drivers.transport.Transport`: HDLC, TCP wrapper, mode E.

* :class:`HdlcLink` — IEC 62056-46 over a serial line (8N1) or the optical port after mode E:
  SNRM/UA parameter negotiation (max info length and window, up to 7), I-frames with N(S)/N(R),
  segmentation both ways (our long APDUs are split to the negotiated max info length and each
  segment waits for the server's RR; a segmented answer arrives a window at a time — frames
  without the final bit are taken without a reply, the final one is acknowledged with RR, and a
  gap in N(S) makes the client ask again from the missing frame), DISC at the end. A frame with
  a bad HCS/FCS, or no answer within the timeout, makes the client send its last frame again
  (``retries`` times) — a server receiving a repeated I-frame (same N(S)) or a repeated RR should
  resend its last frame. DM → :class:`~drivers.errors.ProtocolError` ("meter disconnected"),
  FRMR → :class:`~drivers.errors.ProtocolError` with the rejected frame.
* :class:`WrapperLink` — TCP/UDP wrapper (port 4059 style): 8-byte header version 0x0001,
  source wPort (client SAP), destination wPort (server logical address), length; no HDLC, no LLC.
* :func:`mode_e_sign_on` — IEC 62056-21 sign-on at 300 7E1, ``/?!`` CR LF, identification,
  ACK ``2 Z 2`` CR LF, then 8N1 at the baud of Z (capped by the caller's maximum).

Timeouts are in seconds (the transport's ``timeout`` unless given).
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence

from drivers.dlms import hdlc
from drivers.dlms.hdlc import FrameReader, HdlcFrame, HdlcParams
from drivers.errors import DriverTimeout, ProtocolError
from drivers.redact import Span, shift, spans_in_segment
from drivers.transport import IEC_SIGN_ON, LineSettings, Transport

log = logging.getLogger(__name__)

#: IEC 62056-21 baud characters.
BAUD_CODES = {"0": 300, "1": 600, "2": 1200, "3": 2400, "4": 4800, "5": 9600, "6": 19200}


class Link(ABC):
    """One APDU in, one APDU out."""

    transport: Transport

    @abstractmethod
    def connect(self) -> None:
        """Establish the link (SNRM/UA for HDLC; nothing for the wrapper)."""

    @abstractmethod
    def exchange(self, apdu: bytes, *, step: str = "", secret: Sequence[Span] = ()) -> bytes:
        """Send ``apdu`` and return the complete response APDU.

        :param secret: byte spans of ``apdu`` holding a password; the trace never records them.
        """

    @abstractmethod
    def receive(self, *, step: str = "") -> bytes:
        """The next APDU the server sends without a request of ours (a streamed block)."""

    @abstractmethod
    def disconnect(self) -> None:
        """Tear the link down (DISC for HDLC). Never raises for a meter that already left."""


class HdlcLink(Link):
    """HDLC data link, client side.

    :param transport: an open transport (8N1 at the line baud, or after :func:`mode_e_sign_on`).
    :param client_sap: client SAP (16 public; others per association level), 0…127.
    :param server_logical: server upper address (1 = management logical device).
    :param server_physical: server lower address, or None for a 1-byte server address.
    :param address_size: 1, 2 or 4 bytes; None picks 1 without a physical address, else 4.
    :param max_info: max information field length to propose both ways (bytes, 32…2030).
    :param window: receive window to propose (frames the server may send before our RR, 1…7).
    :param retries: repeats of a frame after a timeout or a corrupt answer.
    :param timeout: seconds to wait for each answer frame (the transport's timeout if None).
    """

    def __init__(
        self,
        transport: Transport,
        *,
        client_sap: int = hdlc.PUBLIC_CLIENT_SAP,
        server_logical: int = 1,
        server_physical: int | None = 17,
        address_size: int | None = None,
        max_info: int = 128,
        window: int = 1,
        retries: int = 3,
        timeout: float | None = None,
    ) -> None:
        if not 1 <= window <= 7:
            raise ValueError(f"HDLC window {window} outside 1…7")
        self.transport = transport
        self.client_sap = client_sap
        if address_size is None:
            address_size = 1 if server_physical is None else 4
        self.server_addr = hdlc.server_address(server_logical, server_physical, address_size)
        self.client_addr = hdlc.client_address(client_sap)
        self.proposed = HdlcParams(max_info, max_info, 1, window)
        self.params = HdlcParams()
        self.retries = retries
        self.timeout = timeout
        self.reader = FrameReader()
        self.ns = 0  #: our next send sequence number
        self.nr = 0  #: next sequence number we expect from the server
        self.connected = False
        self._polled = True  #: the last answer frame carried the final bit (the server waits)

    # -- frame I/O -------------------------------------------------------------------------------
    def _send(
        self,
        control: int,
        info: bytes = b"",
        segmented: bool = False,
        note: str = "",
        secret: Sequence[Span] = (),
    ) -> tuple[bytes, list[Span]]:
        """Write one frame; returns it and the spans of it to mask in the trace (the parts of
        ``secret``, spans of ``info``, plus the FCS computed over them)."""
        frame = hdlc.encode_frame(self.server_addr, self.client_addr, control, info, segmented)
        hidden: list[Span] = []
        if secret:
            info_at = len(frame) - 3 - len(info)  # ... info FCS(2) flag
            hidden = [*shift(secret, info_at), (len(frame) - 3, len(frame) - 1)]
        self.transport.write(frame, note=note, secret=hidden)
        return frame, hidden

    def _receive(self, step: str) -> HdlcFrame:
        """Next frame addressed to us; raises DriverTimeout or ProtocolError (bad FCS)."""
        timeout = self.transport.timeout if self.timeout is None else self.timeout
        deadline = time.monotonic() + timeout
        while True:
            frame = self.reader.pop()
            if frame is not None:
                if frame.dest == self.client_addr and frame.src == self.server_addr:
                    return frame
                continue  # someone else's frame on a shared bus
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                got = bytes(self.reader.buffer)
                raise DriverTimeout(
                    "no HDLC frame from the meter", port=self.transport.url, step=step, received=got
                )
            chunk = self.transport.read_available(min(remaining, 0.5), step=step)
            if chunk:
                self.reader.feed(chunk)

    def _transact(self, frame: bytes, step: str, secret: Sequence[Span] = ()) -> HdlcFrame:
        """Send ``frame`` and return the answer, repeating the frame on timeout / bad FCS."""
        attempt = 0
        while True:
            try:
                answer = self._receive(step)
            except (DriverTimeout, ProtocolError) as exc:
                attempt += 1
                if attempt > self.retries:
                    raise exc.located(port=self.transport.url, step=step) from None
                self.transport.write(frame, note=f"repeat {attempt}", secret=secret)
                continue
            self._check_fatal(answer, step)
            return answer

    def _check_fatal(self, frame: HdlcFrame, step: str) -> None:
        kind = frame.kind
        if kind == "DM":
            self.connected = False
            raise ProtocolError(
                "meter is in disconnected mode (DM): link not established or dropped",
                data=frame.encode(), port=self.transport.url, step=step,
            )  # fmt: skip
        if kind == "FRMR":
            raise ProtocolError(
                f"meter rejected our frame (FRMR {frame.info.hex(' ')})",
                data=frame.encode(), port=self.transport.url, step=step,
            )  # fmt: skip
        if kind == "DISC":
            self.connected = False
            raise ProtocolError(
                "meter disconnected (DISC)", data=frame.encode(), port=self.transport.url,
                step=step,
            )  # fmt: skip

    # -- link control ----------------------------------------------------------------------------
    def connect(self) -> None:
        """SNRM → UA; negotiated sizes in :attr:`params` (seen from the client)."""
        self.reader = FrameReader()
        info = b"" if self.proposed == HdlcParams() else hdlc.encode_params(self.proposed)
        frame, _ = self._send(hdlc.SNRM, info, note="SNRM")
        answer = self._transact(frame, "SNRM")
        if answer.kind != "UA":
            raise ProtocolError(
                f"expected UA to SNRM, got {answer.kind}", data=answer.encode(),
                port=self.transport.url, step="SNRM",
            )  # fmt: skip
        server = hdlc.decode_params(answer.info)  # server's view: tx = server → client
        self.params = HdlcParams(
            max_info_tx=min(self.proposed.max_info_tx, server.max_info_rx),
            max_info_rx=server.max_info_tx,
            window_tx=1,
            window_rx=max(1, min(self.proposed.window_rx, server.window_tx)),
        )
        self.ns = self.nr = 0
        self.connected = True

    def disconnect(self) -> None:
        if not self.connected:
            return
        self.connected = False
        try:
            frame, _ = self._send(hdlc.DISC, note="DISC")
            answer = self._transact(frame, "DISC")
            if answer.kind not in ("UA", "DM"):
                raise ProtocolError(f"expected UA to DISC, got {answer.kind}")
        except (DriverTimeout, ProtocolError) as exc:
            log.info("DISC not acknowledged (%s); the link is considered closed", exc)

    # -- APDUs -----------------------------------------------------------------------------------
    def exchange(self, apdu: bytes, *, step: str = "", secret: Sequence[Span] = ()) -> bytes:
        """Send ``apdu`` in as many I-frames as the max info length needs; return the answer.

        :param secret: spans of ``apdu`` holding a password: each frame that carries part of it
            is traced with those bytes (and the frame's FCS) masked, repeats included.
        """
        if not self.connected:
            raise ProtocolError(
                "HDLC link is not connected", port=self.transport.url, step=step or "request"
            )
        if self.params.window_rx > 1:
            # frames a window repeated after the last answer was complete: not for this request
            self.reader = FrameReader()
            self.transport.flush_input()
        payload = hdlc.LLC_REQUEST + bytes(apdu)
        spans = shift(secret, len(hdlc.LLC_REQUEST))
        size = max(1, self.params.max_info_tx)
        starts = range(0, len(payload), size)
        answer: HdlcFrame | None = None
        for i, at in enumerate(starts):
            more = i < len(starts) - 1
            chunk, local = payload[at : at + size], spans_in_segment(spans, at, at + size)
            frame, hidden = self._send(
                hdlc.i_control(self.ns, self.nr), chunk, more, note=step, secret=local
            )
            self.ns = (self.ns + 1) & 7
            answer = self._transact(frame, step, hidden)
            if more and answer.kind not in ("RR", "RNR") and answer.kind != "I":
                raise ProtocolError(
                    f"expected RR after a segment, got {answer.kind}",
                    data=answer.encode(), port=self.transport.url, step=step,
                )  # fmt: skip
        assert answer is not None
        return self._collect(answer, step)

    def receive(self, *, step: str = "") -> bytes:
        """The next APDU of a stream: the frames following the last answer in the same window,
        or, once the server has closed its window (final bit), those an RR asks for."""
        if not self.connected:
            raise ProtocolError(
                "HDLC link is not connected", port=self.transport.url, step=step or "receive"
            )
        frame = None if self._polled else self._next_in_window(step)
        if frame is None:
            rr, _ = self._send(hdlc.rr_control(self.nr), note="RR")
            frame = self._transact(rr, step)
        else:
            self._check_fatal(frame, step)
        return self._collect(frame, step)

    def _next_in_window(self, step: str) -> HdlcFrame | None:
        """The next good frame of a window (damaged ones are skipped: the final frame's RR will
        ask for them again); None when nothing more comes in time (the final frame was lost)."""
        while True:
            try:
                return self._receive(step)
            except ProtocolError:
                continue
            except DriverTimeout:
                return None

    def _collect(self, first: HdlcFrame, step: str) -> bytes:
        """Gather the (possibly segmented) response starting with ``first``."""
        data = bytearray()
        frame = first
        stray = 0
        while True:
            if frame.kind in ("RR", "RNR", "UA") and stray < self.retries:
                # a late acknowledgement of a request segment (or of an SNRM) we had repeated on
                # a slow line: the answer follows
                stray += 1
                following = self._next_in_window(step)
                if following is None:
                    rr, _ = self._send(hdlc.rr_control(self.nr), note="RR")
                    following = self._transact(rr, step)
                frame = following
                continue
            if frame.kind != "I":
                raise ProtocolError(
                    f"expected an I-frame answer, got {frame.kind}", data=frame.encode(),
                    port=self.transport.url, step=step,
                )  # fmt: skip
            ctrl = frame.ctrl
            if ctrl.ns == self.nr:
                self.nr = (self.nr + 1) & 7
                data += frame.info
                if not frame.segmented:
                    self._polled = bool(ctrl.pf)
                    break
            if not ctrl.pf:  # more frames of this window are on their way: no reply yet
                following = self._next_in_window(step)
                if following is not None:
                    self._check_fatal(following, step)
                    frame = following
                    continue
            # end of a window (or a repeat / a gap): ask for the next frame we need
            rr, _ = self._send(hdlc.rr_control(self.nr), note="RR")
            frame = self._transact(rr, step)
        if not data.startswith(hdlc.LLC_RESPONSE):
            raise ProtocolError(
                "answer does not start with the LLC header E6 E7 00", data=bytes(data[:64]),
                port=self.transport.url, step=step,
            )  # fmt: skip
        return bytes(data[len(hdlc.LLC_RESPONSE) :])


class WrapperLink(Link):
    """TCP wrapper framing (IEC 62056-47 style): no link setup, one header per APDU.

    :param client_sap: source wPort.
    :param server_logical: destination wPort.
    """

    VERSION = 1

    def __init__(self, transport: Transport, *, client_sap: int = 16, server_logical: int = 1):
        self.transport = transport
        self.client_sap = client_sap
        self.server_logical = server_logical

    def connect(self) -> None:
        pass

    def disconnect(self) -> None:
        pass

    @staticmethod
    def header(version: int, src: int, dst: int, length: int) -> bytes:
        return b"".join(v.to_bytes(2, "big") for v in (version, src, dst, length))

    def exchange(self, apdu: bytes, *, step: str = "", secret: Sequence[Span] = ()) -> bytes:
        msg = self.header(self.VERSION, self.client_sap, self.server_logical, len(apdu)) + apdu
        self.transport.write(msg, note=step, secret=shift(secret, 8))
        return self.receive(step=step)

    def receive(self, *, step: str = "") -> bytes:
        """The next APDU addressed to us (others' on a shared socket are skipped)."""
        while True:
            head = self.transport.read_exactly(8, step=step)
            version, src, dst, length = (
                int.from_bytes(head[i : i + 2], "big") for i in range(0, 8, 2)
            )
            if version != self.VERSION:
                raise ProtocolError(
                    f"wrapper header version {version}, expected 1", data=head,
                    port=self.transport.url, step=step,
                )  # fmt: skip
            body = self.transport.read_exactly(length, step=step)
            if src == self.server_logical and dst == self.client_sap:
                return body


def mode_e_sign_on(
    transport: Transport,
    *,
    max_baud: int = 9600,
    device_address: str = "",
    reaction_ms: int = 300,
) -> tuple[str, int]:
    """IEC 62056-21 mode E: sign on at 300 7E1 and switch to HDLC 8N1.

    :returns: ``(identification line without / and CR LF, new baud)``.
    :raises ProtocolError: no valid identification; :class:`DriverTimeout`: no answer.
    """
    transport.set_line(IEC_SIGN_ON)
    transport.flush_input()
    transport.write(f"/?{device_address}!\r\n".encode("ascii"), note="mode E sign-on")
    line = transport.read_until(b"\n", step="mode E identification")
    start = line.find(b"/")
    ident = line[start + 1 :].rstrip(b"\r\n") if start >= 0 else b""
    if len(ident) < 5 or chr(ident[3]) not in BAUD_CODES:
        raise ProtocolError(
            "no valid IEC 62056-21 identification for mode E", data=line, port=transport.url,
            step="mode E identification",
        )  # fmt: skip
    meter_code = chr(ident[3])
    allowed = [c for c, b in BAUD_CODES.items() if b <= max_baud and c <= meter_code]
    code = max(allowed) if allowed else "0"
    transport.write(b"\x062" + code.encode() + b"2\r\n", note="mode E ACK 2 Z 2")
    baud = BAUD_CODES[code]
    transport.set_line(LineSettings(baud, 8, "N", 1))
    time.sleep(max(0, reaction_ms) / 1000.0)
    transport.flush_input()
    return ident.decode("latin-1"), baud
