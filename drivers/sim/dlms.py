"""DLMS/COSEM front end of the simulated outstation: HDLC (with mode E) or the TCP wrapper.

Connecting a third-party DLMS client
------------------------------------
* **Referencing**: Logical Name, no ciphering (application context ``2.16.756.5.8.1.1``).
* **HDLC server address**: logical (upper) address **1** (management logical device), physical
  (lower) address **17 = 0x11** by default (``server_physical=`` / ``--server-physical``). All
  three address forms are accepted: 1 byte (logical only, ``0x03``), 2 bytes (7 + 7 bits,
  ``0x02 0x23``) and 4 bytes (14 + 14 bits, ``0x00 0x02 0x00 0x23``). The reply uses the form the
  client used. Frames addressed to another physical address are ignored (RS485 multidrop).
  ``address_size=1|2|4`` restricts the accepted form.
* **Client SAPs and LLS passwords** (from ``resources/meters/prometer100.toml``; HDLC client
  address byte = ``SAP << 1 | 1``):

  =====  ===  ============  =============================================================
  level  SAP  password      rights
  =====  ===  ============  =============================================================
  0      16   (none)        public client: reads only LDN 0.0.42.0.0.255 and the clock
  1      32   ``LEVEL1PW``  reads everything
  2      48   ``HHDC2PASS`` HHDC reading level: reads everything, sets the clock
  3      64   ``LEVEL3PWD`` also writes parameters (clock time zone, DST)
  4      80   ``MASTER4PW`` as level 3
  =====  ===  ============  =============================================================

  Levels 1–4 need Low Level Security (mechanism ``2.16.756.5.8.2.1``) with the password; a
  wrong password gets an AARE *rejected-permanent* / *authentication-failure* (13) and logs a
  "wrong password" event. ``SimOptions.password`` (``--password``) replaces the level-2 secret.
* **HDLC parameters**: the UA grants ``min(proposed, max_info)`` (``max_info`` default 2030) for
  each direction, a transmit window of ``min(client's receive window, window)`` (``window``
  default 7; go-back-N on an RR that names an earlier frame) and a receive window of 1. Default
  128 bytes and window 1 when the SNRM carries no parameters.
  Long responses are segmented (I-frames with the segmentation bit, RR to continue).
* **xDLMS**: conformance get, set, action, selective-access, block-transfer-with-get; responses
  longer than ``min(client max PDU, max_pdu)`` (``max_pdu`` default 2048) go out as
  GET-Response-With-Datablock — or, when the client proposes general-block-transfer and the
  description does not switch it off (``[simulation] general_block_transfer = false``), as
  streamed general-block-transfer APDUs (:mod:`drivers.sim.dlms_gbt`). Server max receive PDU
  = ``max_pdu``.
* **TCP wrapper** (``framing="wrapper"``): 8-byte header version 1, source wPort, destination
  wPort, length; client wPort = client SAP, server wPort = 1.
* **Mode E** (optical port, HDLC framing only): a connection that starts with ``/?…!`` CR LF at
  300 baud gets ``/SML5\\2<LDN>`` CR LF; after ACK ``2 Z 2`` CR LF both sides continue in HDLC at
  the baud of Z (0 = 300 … 6 = 19200).

The COSEM objects are listed in :mod:`drivers.sim.dlms_cosem`. A meter with its supply cut
(``meter.powered`` False) answers nothing and forgets the link. Faults (``FaultPlan``): corrupt
(FCS bytes; wrapper: version bytes), drop, delay, nak (silence to that request), reject-password,
stop (the cable is "pulled" once the first data block has gone: a GET-Response-With-Datablock
or a profile/event-log buffer answer).
"""

from __future__ import annotations

import struct
from typing import Any

from drivers.dlms import hdlc
from drivers.errors import ProtocolError
from drivers.sim import dlms_apdu as ap
from drivers.sim import dlms_gbt
from drivers.sim.dlms_cosem import Context, CosemError, CosemModel
from drivers.sim.dlms_sn import SnServer
from drivers.sim.faults import FaultPlan
from drivers.sim.link import SimLink
from drivers.sim.meter import SimMeter, SimOptions

#: IEC 62056-21 baud character → baud.
BAUDS = {"0": 300, "1": 600, "2": 1200, "3": 2400, "4": 4800, "5": 9600, "6": 19200}
ACK = 0x06
WRAPPER_VERSION = 1
_STRIP_PARITY = bytes(i & 0x7F for i in range(256))  #: 7E1 bytes as 7-bit characters
FRAMINGS = ("hdlc", "wrapper")


class DlmsFrontEnd:
    """Serve one connection of a simulated DLMS/COSEM meter.

    :param meter: the simulated meter (shared with bench control).
    :param options: simulator options (``password`` overrides the level-2 secret).
    :param faults: fault plan applied to every reply.
    :param framing: ``"hdlc"`` (serial, optical mode E) or ``"wrapper"`` (TCP 4059 style).
    :param server_logical: HDLC upper address / wrapper wPort of the logical device (1).
    :param server_physical: HDLC lower address (default 17 = 0x11; ≤ 127 for 2-byte forms).
    :param address_size: accept only this destination address size (1, 2, 4); None = all.
    :param max_info: largest HDLC information field granted, bytes (32…2030).
    :param max_pdu: largest xDLMS PDU the server sends or receives, bytes (≥ 64).
    :param general_block_transfer: offer general block transfer (None: as the description's
        ``[simulation] general_block_transfer``, default true).
    :param mode_e: answer an IEC 62056-21 sign-on with the mode E identification.
    """

    def __init__(
        self,
        meter: SimMeter,
        options: SimOptions | None = None,
        faults: FaultPlan | None = None,
        *,
        framing: str = "hdlc",
        server_logical: int = 1,
        server_physical: int = 17,
        address_size: int | None = None,
        max_info: int = 2030,
        max_pdu: int = 2048,
        mode_e: bool = True,
        window: int = 7,
        referencing: str | None = None,
        general_block_transfer: bool | None = None,
        **_ignored: Any,
    ) -> None:
        if framing not in FRAMINGS:
            raise ValueError(f"DLMS framing must be one of {FRAMINGS}, not {framing!r}")
        if address_size not in (None, 1, 2, 4):
            raise ValueError(f"HDLC address size must be 1, 2 or 4 bytes, not {address_size}")
        if not 32 <= max_info <= 2030:
            raise ValueError(f"max_info {max_info} outside 32…2030 bytes")
        self.meter = meter
        self.options = options or SimOptions()
        self.faults = faults or FaultPlan()
        self.framing = framing
        self.server_logical = server_logical
        self.server_physical = server_physical
        self.address_size = address_size
        self.max_info = max_info
        self.max_pdu = max(64, min(max_pdu, 0xFFFF))
        self.mode_e = mode_e
        if not 1 <= window <= 7:
            raise ValueError(f"HDLC window {window} outside 1…7")
        self.window = window
        self.model = CosemModel(meter, without=frozenset(self.options.without))
        self.referencing = referencing or meter.behaviour.referencing
        if self.referencing not in ("ln", "sn"):
            raise ValueError(f"referencing must be 'ln' or 'sn', not {self.referencing!r}")
        self.sn = SnServer(self.model) if self.referencing == "sn" else None
        #: offer general-block-transfer (None: as the description's behaviour says)
        self.offers_gbt = (
            meter.behaviour.general_block_transfer
            if general_block_transfer is None
            else general_block_transfer
        )
        self.link: SimLink | None = None
        self.client = hdlc.client_address(hdlc.PUBLIC_CLIENT_SAP)
        self.me = hdlc.server_address(server_logical, server_physical, 4)
        self._reset_link()

    # -- state ------------------------------------------------------------------------------------
    def _reset_link(self) -> None:
        """HDLC disconnected, no association (SNRM, DISC, power loss)."""
        self.connected = False
        self.vs = self.vr = 0
        self.tx_max = self.rx_max = 128
        self.window_tx = 1  #: frames we may send before the client's RR (negotiated)
        self.rx_buf = bytearray()
        #: (segment, more segments of its APDU follow) waiting for the window
        self.tx_queue: list[tuple[bytes, bool]] = []
        #: (N(S), queued segment) sent, not yet acknowledged
        self.unacked: list[tuple[int, tuple[bytes, bool]]] = []
        self.tx_is_block = False
        self.last_frame: bytes | None = None
        self.last_ns = 0
        self.ctx: Context | None = None
        self.client_pdu = 0xFFFF
        self.blocks: tuple[int, bytes, int] | None = None  # invoke, data, block size
        self.sent_block = False
        self.gbt = dlms_gbt.GbtSender()
        self.gbt_granted = False
        self.streamed: list[bytes] = []  #: GBT blocks that follow handle_apdu's answer unasked

    # -- serving ----------------------------------------------------------------------------------
    def serve(self, link: SimLink) -> None:
        """Answer requests until the link closes (raises :class:`LinkClosed`)."""
        self.link = link
        reader = hdlc.FrameReader()
        wrapped = bytearray()
        text = bytearray()
        awaiting_ack = False
        while True:
            data = link.read(0.5)
            if not data:
                continue
            if not self.meter.powered:  # no supply: deaf and dumb, forgets the link
                self._reset_link()
                reader, text, awaiting_ack = hdlc.FrameReader(), bytearray(), False
                wrapped.clear()
                continue
            if self.framing == "wrapper":
                wrapped += data
                self._wrapper_feed(wrapped)
                continue
            if self.mode_e and not self.connected and (text or (data[0] & 0x7F) in (0x2F, ACK)):
                text += data
                data, awaiting_ack = self._sign_on(text, awaiting_ack)
                if not data:
                    continue
            reader.feed(data)
            while True:
                try:
                    frame = reader.pop()
                except ProtocolError:
                    continue  # bad HCS/FCS: ignore, the client repeats
                if frame is None:
                    break
                self._on_frame(frame)

    def _sign_on(self, text: bytearray, awaiting_ack: bool) -> tuple[bytes, bool]:
        """Handle IEC 62056-21 lines in ``text``; returns (bytes left for HDLC, awaiting ACK)."""
        link = self.link
        assert link is not None
        masked = bytes(text).translate(_STRIP_PARITY)  # once: linear in the bytes received
        pos = 0
        while True:
            end = masked.find(b"\r\n", pos)
            if end < 0:
                del text[:pos]
                if len(text) > 128 or (text and (text[0] & 0x7F) not in (0x2F, ACK)):
                    rest = bytes(text)
                    text.clear()
                    return rest, awaiting_ack  # not a sign-on after all: hand to HDLC
                return b"", awaiting_ack
            line = masked[pos:end]
            pos = end + 2
            if line.startswith(b"/?") and line.endswith(b"!"):
                link.baud = 300
                d = self.meter.description
                ident = f"/{d.flag}{d.max_baud_code}\\2{d.logical_device_name}\r\n"
                self._emit(ident.encode("ascii"), slice(0, 0))
                awaiting_ack = True
            elif line[:1] == bytes([ACK]) and len(line) >= 4 and awaiting_ack:
                z, y = chr(line[2]), chr(line[3])
                awaiting_ack = False
                if y == "2" and z in BAUDS:
                    link.baud = BAUDS[z]
                    rest = bytes(text[pos:])
                    text.clear()
                    return rest, False
            if pos >= len(text):
                text.clear()
                return b"", awaiting_ack

    def _emit(self, data: bytes, checksum: slice) -> None:
        out = self.faults.mangle(data, checksum)
        if out is not None and self.link is not None:
            self.link.write(out)

    # -- HDLC -------------------------------------------------------------------------------------
    def _addressed(self, dest: bytes) -> bool:
        try:
            logical, physical = hdlc.split_server_address(dest)
        except ProtocolError:
            return False
        if self.address_size is not None and len(dest) != self.address_size:
            return False
        return logical == self.server_logical and physical in (None, self.server_physical)

    def _on_frame(self, f: hdlc.HdlcFrame) -> None:
        if not self._addressed(f.dest) or not self.meter.powered:
            return
        if self.faults.hit("nak"):
            return  # silence: the client times out and repeats
        self.client, self.me = f.src, f.dest
        kind = f.kind
        if kind == "SNRM":
            try:
                proposed = hdlc.decode_params(f.info)
            except ProtocolError:
                self._send_frmr(f.control, 0x01)
                return
            self._reset_link()
            self.connected = True
            self.tx_max = max(32, min(proposed.max_info_rx, self.max_info))
            self.rx_max = max(32, min(proposed.max_info_tx, self.max_info))
            self.window_tx = max(1, min(proposed.window_rx, self.window))
            granted = hdlc.HdlcParams(self.tx_max, self.rx_max, self.window_tx, 1)
            self._send(hdlc.UA, hdlc.encode_params(granted))
        elif kind == "DISC":
            was = self.connected
            self._reset_link()
            self._send(hdlc.UA if was else hdlc.DM)
        elif not self.connected:
            if kind != "UI":
                self._send(hdlc.DM)
        elif kind == "I":
            self._on_i(f)
        elif kind == "RR":
            self._on_rr(f.ctrl.nr or 0)
        elif kind in ("RNR", "UI", "UA", "DM"):
            return
        else:
            self._send_frmr(f.control, 0x01)

    def _send(self, control: int, info: bytes = b"", segmented: bool = False) -> bytes:
        frame = hdlc.encode_frame(self.client, self.me, control, info, segmented)
        self._emit(frame, slice(-3, -1))
        return frame

    def _send_frmr(self, rejected: int, reason: int) -> None:
        self._send(hdlc.FRMR, bytes([rejected, (self.vr << 5) | (self.vs << 1), reason]))

    def _send_window(self) -> None:
        """Send queued segments while the window allows; the last one sent has the final bit."""
        while self.tx_queue and len(self.unacked) < self.window_tx:
            chunk, more = self.tx_queue.pop(0)
            final = not self.tx_queue or len(self.unacked) + 1 == self.window_tx
            self._send_i(chunk, more, final)

    def _send_i(self, chunk: bytes, segmented: bool, final: bool = True) -> None:
        self.last_ns = self.vs
        self.unacked.append((self.vs, (chunk, segmented)))
        frame = hdlc.encode_frame(
            self.client, self.me, hdlc.i_control(self.vs, self.vr, final), chunk, segmented
        )
        self.last_frame = frame
        self.vs = (self.vs + 1) % 8
        self._emit(frame, slice(-3, -1))
        if not segmented and self.tx_is_block:
            self.tx_is_block = False
            self.faults.after_data_block()

    def _on_i(self, f: hdlc.HdlcFrame) -> None:
        ns = f.ctrl.ns or 0
        if ns != self.vr:
            if ns == (self.vr - 1) % 8 and (f.segmented or self.rx_buf):
                self._send(hdlc.rr_control(self.vr))  # a request segment again: ack it again
            elif ns == (self.vr - 1) % 8 and self.unacked:
                self._go_back(self.unacked[0][0])  # our answer was lost: send it again
            elif ns == (self.vr - 1) % 8 and self.last_frame is not None:
                self._emit(self.last_frame, slice(-3, -1))
            else:
                self._send(hdlc.rr_control(self.vr))
            return
        self.vr = (self.vr + 1) % 8
        self.tx_queue.clear()
        self.unacked.clear()
        self.rx_buf += f.info
        if len(self.rx_buf) > self.max_pdu + len(hdlc.LLC_REQUEST):
            self.rx_buf.clear()  # longer than the PDU we accept: refuse, keep the buffer bounded
            self._send_frmr(f.control, 0x04)  # information field too long
            return
        if f.segmented:
            self._send(hdlc.rr_control(self.vr))
            return
        info = bytes(self.rx_buf)
        self.rx_buf.clear()
        apdu = info[3:] if info[:2] == b"\xe6\xe6" else info
        answers = [self.handle_apdu(apdu, hdlc.decode_address(self.client)[0]), *self.streamed]
        self.streamed = []
        self.tx_is_block = self.sent_block
        self.sent_block = False
        size = self.tx_max
        for answer in answers:  # each APDU's last segment goes without the segmentation bit
            response = hdlc.LLC_RESPONSE + answer
            starts = range(0, len(response), size)
            self.tx_queue += [(response[i : i + size], i + size < len(response)) for i in starts]
        self._send_window()

    def _on_rr(self, nr: int) -> None:
        """RR(N(R)): frames before N(R) arrived; resend from N(R) (go-back-N) or go on.

        An RR naming neither an unacknowledged frame nor the next one is a stale repeat: ignored
        (the client polls again with its current N(R) after its timeout)."""
        sent = [ns for ns, _ in self.unacked]
        if nr in sent:
            del self.unacked[: sent.index(nr)]
            self._go_back(nr)  # the client missed frame N(R) (and what followed it)
        elif nr == self.vs:
            self.unacked.clear()
            if self.tx_queue:
                self._send_window()
            else:
                self._send(hdlc.rr_control(self.vr))

    def _go_back(self, nr: int) -> None:
        self.tx_queue = [chunk for _, chunk in self.unacked] + self.tx_queue
        self.unacked.clear()
        self.vs = nr
        self._send_window()

    # -- TCP wrapper ------------------------------------------------------------------------------
    def _wrapper_feed(self, buf: bytearray) -> None:
        while len(buf) >= 8:
            version, src, dst, length = struct.unpack(">HHHH", buf[:8])
            if version != WRAPPER_VERSION or length > self.max_pdu:
                buf.clear()  # not a wrapper header (or too long): drop and resynchronise
                return
            if len(buf) < 8 + length:
                return
            apdu = bytes(buf[8 : 8 + length])
            del buf[: 8 + length]
            if dst != self.server_logical or not self.meter.powered or self.faults.hit("nak"):
                continue
            answers = [self.handle_apdu(apdu, src), *self.streamed]
            self.streamed = []
            block = self.sent_block
            self.sent_block = False
            for response in answers:
                header = struct.pack(">HHHH", WRAPPER_VERSION, dst, src, len(response))
                self._emit(header + response, slice(0, 2))
                if block:
                    block = False
                    self.faults.after_data_block()

    # -- application layer ------------------------------------------------------------------------
    def handle_apdu(self, apdu: bytes, sap: int) -> bytes:
        """Answer one client APDU arriving from client ``sap`` (no LLC header)."""
        if not apdu:
            return ap.exception_response(ap.STATE_SERVICE_UNKNOWN, ap.SERVICE_NOT_SUPPORTED)
        if apdu[0] == ap.AARQ:
            return self._associate(apdu, sap)
        if apdu[0] == ap.RLRQ:
            self.ctx = None
            self.blocks = None
            return ap.rlre()
        if self.ctx is None:
            return ap.exception_response(
                ap.STATE_SERVICE_NOT_ALLOWED, ap.SERVICE_OPERATION_NOT_POSSIBLE
            )
        if apdu[0] == dlms_gbt.TAG and self.gbt_granted:
            return self._gbt_in(apdu, sap)
        if self.sn is not None:
            several = apdu[0] in (0x05, 0x06) and len(apdu) >= 4 and apdu[1] > 1
            if several and not self.meter.behaviour.get_with_list:  # multiple references
                return ap.exception_response(ap.STATE_SERVICE_UNKNOWN, ap.SERVICE_NOT_SUPPORTED)
            response = self.sn.handle(apdu, self.ctx, min(self.client_pdu, self.max_pdu))
            self.sent_block = response[:3] == b"\x0c\x01\x02"
            return response
        try:
            req = ap.parse_request(apdu)
        except ap.RequestError as exc:
            return ap.exception_response(
                ap.STATE_SERVICE_UNKNOWN if exc.unknown else ap.STATE_SERVICE_NOT_ALLOWED,
                ap.SERVICE_NOT_SUPPORTED if exc.unknown else 3,
            )
        if req.kind == "get-next":
            return self._next_block(req)
        self.blocks = None
        self.gbt.stop()
        if req.kind == "get-list":
            if not self.meter.behaviour.get_with_list:
                return ap.exception_response(ap.STATE_SERVICE_UNKNOWN, ap.SERVICE_NOT_SUPPORTED)
            return self._get_list(req)
        try:
            obj = self.model.find(req.class_id, req.obis)
            if req.kind == "get":
                data = obj.get(self.ctx, req.index, req.selector, req.params)
            elif req.kind == "set":
                obj.set(self.ctx, req.index, req.params)
                return ap.set_response(req.invoke)
            else:
                result = obj.action(self.ctx, req.index, req.params)
                return ap.action_response(req.invoke, ap.SUCCESS, result)
        except CosemError as exc:
            if req.kind == "get":
                return ap.get_response(req.invoke, result=exc.code)
            if req.kind == "set":
                return ap.set_response(req.invoke, exc.code)
            return ap.action_response(req.invoke, exc.code)
        response = ap.get_response(req.invoke, data)
        self.sent_block = req.class_id == 7 and req.index == 2  # a profile/log buffer: data
        limit = min(self.client_pdu, self.max_pdu)
        if len(response) <= limit:
            return response
        if self.gbt_granted:
            return self._gbt_start(response, limit)
        self.blocks = (req.invoke, data, self._block_size(limit))
        return self._block(1)

    def _conformance(self) -> int:
        """What this meter offers: the simulator's full set less what its behaviour lacks."""
        b = self.meter.behaviour
        out = ap.SERVER_CONFORMANCE if self.sn is None else ap.SN_SERVER_CONFORMANCE
        if not b.selective_access:
            out &= ~(ap.SELECTIVE_ACCESS | ap.PARAMETERIZED_ACCESS)
        if not b.get_with_list:
            out &= ~ap.MULTIPLE_REFERENCES
        if self.offers_gbt and self.sn is None:
            out |= dlms_gbt.CONFORMANCE_BIT
        return out

    def _get_list(self, req: ap.Request) -> bytes:
        """GET-with-list: each item answered on its own (data or its Data-Access-Result)."""
        assert self.ctx is not None
        results: list[bytes | int] = []
        for class_id, obis, attr in req.items:
            try:
                results.append(self.model.find(class_id, obis).get(self.ctx, attr))
            except CosemError as exc:
                results.append(exc.code)
        response = ap.get_response_list(req.invoke, results)
        limit = min(self.client_pdu, self.max_pdu)
        if len(response) <= limit:
            return response
        if self.gbt_granted:
            return self._gbt_start(response, limit)
        self.blocks = (req.invoke, response[3:], self._block_size(limit))
        return self._block(1)

    def _gbt_start(self, response: bytes, limit: int) -> bytes:
        """Send ``response`` by general block transfer: the first block is the answer, the
        rest of the client's window is streamed after it."""
        self.sent_block = True
        frame = self.tx_max if self.framing == "hdlc" else None
        blocks = self.gbt.start(response, dlms_gbt.block_size(limit, frame))
        self.streamed = blocks[1:]
        return blocks[0]

    def _gbt_in(self, apdu: bytes, sap: int) -> bytes:
        """A client's GBT APDU: an acknowledgement (the next window) or a one-block request."""
        try:
            block = dlms_gbt.decode(apdu)
            if block.data:
                if not (block.last and block.number == 1):
                    raise dlms_gbt.GbtError("requests in several blocks are not supported")
                self.gbt.window = block.window or 1
                return self.handle_apdu(block.data, sap)
            blocks = self.gbt.on_ack(block)
        except dlms_gbt.GbtError:
            return ap.exception_response(
                ap.STATE_SERVICE_NOT_ALLOWED, ap.SERVICE_OPERATION_NOT_POSSIBLE
            )
        self.sent_block = True
        self.streamed = blocks[1:]
        return blocks[0]

    def _block_size(self, limit: int) -> int:
        """Raw data bytes per GET-Response-With-Datablock within the negotiated PDU ``limit``.

        Over HDLC each block (with its LLC header) is cut into frames of the negotiated max
        info length, sent a window at a time: a block that fills whole frames, and whole windows
        when it holds two or more, leaves no short last frame and no short last window (one RR
        less per block); it is chosen when it keeps at least half the PDU."""
        size = max(16, limit - ap.BLOCK_OVERHEAD)
        if self.framing != "hdlc" or self.tx_max <= 0:
            return size
        frames = (limit + len(hdlc.LLC_RESPONSE)) // self.tx_max
        if frames >= 2 * self.window_tx:  # whole windows: no short window at a block's end
            frames -= frames % self.window_tx
        aligned = frames * self.tx_max - len(hdlc.LLC_RESPONSE) - ap.BLOCK_OVERHEAD
        return aligned if aligned >= max(16, limit // 2) else size

    def _block(self, number: int) -> bytes:
        assert self.blocks is not None
        invoke, data, size = self.blocks
        count = -(-len(data) // size)
        chunk = data[(number - 1) * size : number * size]
        self.sent_block = True
        return ap.get_response_block(invoke, number, number >= count, chunk)

    def _next_block(self, req: ap.Request) -> bytes:
        if self.blocks is None:
            return ap.get_response_block(
                req.invoke, req.block, True, None, ap.NO_LONG_GET_IN_PROGRESS
            )
        _, data, size = self.blocks
        number = req.block + 1
        if not 1 <= number <= -(-len(data) // size):
            self.blocks = None
            return ap.get_response_block(
                req.invoke, req.block, True, None, ap.DATA_BLOCK_NUMBER_INVALID
            )
        return self._block(number)

    def _associate(self, apdu: bytes, sap: int) -> bytes:
        self.ctx = None
        self.blocks = None
        try:
            aarq = ap.parse_aarq(apdu)
        except ap.RequestError:
            return ap.aare(1, ap.DIAG_NO_REASON)
        wanted = ap.CONTEXT_SN if self.sn is not None else ap.CONTEXT_LN
        if aarq.context != wanted or aarq.ciphered:
            return ap.aare(1, ap.DIAG_CONTEXT_NOT_SUPPORTED, context=aarq.context or wanted)
        spec = self.meter.association(sap)
        if spec is None:
            return ap.aare(1, ap.DIAG_NO_REASON)
        expected = spec.password
        if spec.level == 2 and self.options.password:
            expected = self.options.password
        expected = self.meter.password_of(spec.level, expected)  # one set through a port wins
        if expected:
            if aarq.mechanism not in (None, ap.MECHANISM_LLS):
                return ap.aare(1, ap.DIAG_MECHANISM_NOT_RECOGNISED)
            if self.faults.active("reject-password"):
                self.faults.injected["reject-password"] = (
                    self.faults.injected.get("reject-password", 0) + 1
                )
                return ap.aare(1, ap.DIAG_AUTH_FAILURE)
            if not self.meter.check_password(expected, aarq.password):
                diag = (
                    ap.DIAG_MECHANISM_REQUIRED if aarq.mechanism is None else ap.DIAG_AUTH_FAILURE
                )
                return ap.aare(1, diag)
        self.ctx = Context(spec.level, sap)
        self.client_pdu = aarq.max_pdu
        conformance = aarq.conformance & self._conformance()
        self.gbt = dlms_gbt.GbtSender()
        self.gbt_granted = bool(conformance & dlms_gbt.CONFORMANCE_BIT)
        if self.sn is not None:
            self.sn.blocks = None
        return ap.aare(
            0,
            conformance=conformance,
            max_pdu=self.max_pdu,
            mechanism=ap.MECHANISM_LLS if aarq.mechanism == ap.MECHANISM_LLS else None,
            context=wanted,
            vaa_name=0xFA00 if self.sn is not None else 0x0007,
        )
