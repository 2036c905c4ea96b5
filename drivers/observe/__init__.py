"""Observing a third party's conversation with an outstation: relay, passive tap, evidence.

The bench sits on the line between an HHDC's system and the outstation and never alters a byte:

* :class:`~drivers.observe.relay.Relay` forwards both directions between two ports (a TCP
  listener the HHDC dials, or a serial port on the HHDC modem side, and the meter's serial port or
  ``socket://``), recording every chunk as it arrives;
* :class:`~drivers.observe.relay.Tap` listens on two receive-only ports (a Y-cable), transmitting
  nothing.

Directions in the recorded :class:`~drivers.trace.Trace`: ``"tx"`` = HHDC → meter, ``"rx"`` =
meter → HHDC (the HHDC is the client), so the drivers' dissectors read an observed trace exactly
as they read the bench's own. Passwords the HHDC sends are masked in the *recorded copy* only
(:mod:`drivers.observe.secrets`); what is forwarded is the original. IEC 62056-21 baud changes
(option select, mode E) are followed on both sides (:mod:`drivers.observe.follow`).
:mod:`drivers.observe.exchanges` pairs the observed requests and answers into lines a witness
reads ("association SAP 48 (LLS) → accepted", "GET load profile … → 48 SPs, 2 flagged").
"""

from drivers.observe.exchanges import Exchange, exchanges
from drivers.observe.ports import Endpoint, PeerClosed, SerialEndpoint, TcpListener
from drivers.observe.relay import Chunk, Relay, Tap

__all__ = [
    "Chunk",
    "Endpoint",
    "Exchange",
    "PeerClosed",
    "Relay",
    "SerialEndpoint",
    "Tap",
    "TcpListener",
    "exchanges",
]
