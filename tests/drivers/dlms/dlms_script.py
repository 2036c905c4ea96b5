"""Build scripted HDLC byte exchanges (what a meter would answer) for DLMS client tests."""

from __future__ import annotations

from drivers.dlms import hdlc


class HdlcScript:
    """Plays the server side of an HDLC link to produce ScriptedTransport exchanges.

    :param server: encoded server address; :param client: encoded client address;
    :param server_max_info: largest info field the server sends (segments longer answers).
    """

    def __init__(
        self, server: bytes, client: bytes, server_max_info: int = 128, client_max_info: int = 128
    ) -> None:
        self.server, self.client = server, client
        self.server_max = server_max_info
        self.client_max = client_max_info
        self.c_ns = self.c_nr = 0  # client's counters
        self.exchanges: list[tuple[bytes | None, bytes]] = []

    def to_server(self, control: int, info: bytes = b"", seg: bool = False) -> bytes:
        return hdlc.encode_frame(self.server, self.client, control, info, seg)

    def to_client(self, control: int, info: bytes = b"", seg: bool = False) -> bytes:
        return hdlc.encode_frame(self.client, self.server, control, info, seg)

    def snrm(self, proposed: bytes = b"", ua_info: bytes | None = None) -> HdlcScript:
        if ua_info is None:
            ua_info = hdlc.encode_params(hdlc.HdlcParams(self.server_max, self.client_max, 1, 1))
        self.exchanges.append(
            (self.to_server(hdlc.SNRM, proposed), self.to_client(hdlc.UA, ua_info))
        )
        return self

    def request(self, apdu: bytes, answer: bytes) -> HdlcScript:
        payload = hdlc.LLC_REQUEST + apdu
        chunks = [payload[i : i + self.client_max] for i in range(0, len(payload), self.client_max)]
        for i, chunk in enumerate(chunks):
            more = i < len(chunks) - 1
            req = self.to_server(hdlc.i_control(self.c_ns, self.c_nr), chunk, more)
            self.c_ns = (self.c_ns + 1) & 7
            if more:
                self.exchanges.append((req, self.to_client(hdlc.rr_control(self.c_ns))))
        reply = hdlc.LLC_RESPONSE + answer
        parts = [reply[i : i + self.server_max] for i in range(0, len(reply), self.server_max)]
        s_ns = self.c_nr
        for j, part in enumerate(parts):
            more = j < len(parts) - 1
            frame = self.to_client(hdlc.i_control(s_ns, self.c_ns), part, more)
            s_ns = (s_ns + 1) & 7
            self.exchanges.append((req, frame))
            self.c_nr = s_ns
            req = self.to_server(hdlc.rr_control(self.c_nr))
        return self

    def disc(self) -> HdlcScript:
        self.exchanges.append((self.to_server(hdlc.DISC), self.to_client(hdlc.UA)))
        return self

    def stream(self, apdu: bytes, answers: list[bytes]) -> HdlcScript:
        """Send ``apdu`` (one frame) and answer with several APDUs in one transmission (streamed
        general-block-transfer blocks): each APDU's last segment without the segmentation bit,
        only the very last frame with the final bit."""
        req = self.to_server(hdlc.i_control(self.c_ns, self.c_nr), hdlc.LLC_REQUEST + apdu)
        self.c_ns = (self.c_ns + 1) & 7
        parts: list[tuple[bytes, bool]] = []
        for answer in answers:
            reply = hdlc.LLC_RESPONSE + answer
            starts = range(0, len(reply), self.server_max)
            parts += [
                (reply[i : i + self.server_max], i + self.server_max < len(reply)) for i in starts
            ]
        out, s_ns = b"", self.c_nr
        for k, (part, more) in enumerate(parts):
            final = k == len(parts) - 1
            out += self.to_client(hdlc.i_control(s_ns, self.c_ns, final), part, more)
            s_ns = (s_ns + 1) & 7
        self.exchanges.append((req, out))
        self.c_nr = s_ns
        return self
