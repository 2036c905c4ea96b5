"""Relay and passive tap: every byte between the HHDC and the meter, forwarded unchanged, recorded.

:class:`Relay` sits in the line (the HHDC dials the bench, the bench forwards to the meter);
:class:`Tap` listens on two receive-only ports of a Y-cable and transmits nothing. Both record
each chunk as it arrives into a :class:`~drivers.trace.Trace` — ``"tx"`` HHDC → meter, ``"rx"``
meter → HHDC — stamped with the monotonic and UTC wall time of its arrival and the line settings
in force, and forward it (relay only) at once. The recorded copy has the HHDC's passwords masked
(:mod:`drivers.observe.secrets`); the forwarded bytes are the originals.

Evidence is handed over in *segments* (:class:`Segment`): one per HHDC call (a TCP connection,
from accept to hang-up) and, on a serial line that never hangs up, one per burst of traffic
(cut after ``split_idle_s`` seconds of silence). ``on_segment`` is called from the relay's thread
with each finished segment; ``on_chunk`` with every recorded chunk (a GUI marshals both to its
own thread). Times are seconds unless a name says ``_ns``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from drivers.observe.follow import SpeedFollower
from drivers.observe.ports import Endpoint, PeerClosed, TcpListener
from drivers.observe.secrets import password_spans
from drivers.trace import Trace, TraceRecord

log = logging.getLogger(__name__)

#: read slice of the pump threads (s): the longest a stop request waits, not a forwarding delay.
POLL_S = 0.05
#: forwarding latencies kept for measurement (ns).
LATENCIES_KEPT = 100_000
ROLE = {"tx": "HHDC → meter", "rx": "meter → HHDC"}
#: longest message that can carry a password (an HDLC frame: 2047 bytes + flags).
MAX_MESSAGE = 2050


@dataclass(frozen=True)
class Chunk:
    """One recorded chunk, as passed to ``on_chunk``.

    :param direction: ``"tx"`` HHDC → meter or ``"rx"`` meter → HHDC.
    :param record: the recorded record (bytes masked where a password was recognised).
    :param index: its index in the segment's trace.
    :param forward_ns: time from arrival to handing it to the other side (0 for a tap).
    """

    direction: str
    record: TraceRecord
    index: int
    forward_ns: int = 0


@dataclass
class Segment:
    """A finished stretch of observed traffic.

    :param trace: the records (passwords masked).
    :param reason: why it ended (``"HHDC hung up"``, ``"line idle 2 s"``, ``"stopped"`` …).
    :param settings: line settings changes followed, as ``(why, "9600 8N1")`` texts.
    """

    trace: Trace
    reason: str
    hhdc: str
    meter: str
    changes: list[tuple[str, str]] = field(default_factory=list)


class _Recorder:
    """The trace of the current segment, masked as the HHDC's messages complete."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.trace = Trace()
        self.tx_stream = bytearray()
        self.masked: set[tuple[int, int]] = set()
        self.last_activity = time.monotonic()

    def add(
        self,
        direction: str,
        data: bytes,
        baud: int,
        line: str,
        note: str = "",
        at: tuple[int, int] | None = None,
    ) -> int:
        """Record a chunk; ``at`` = (monotonic ns, UTC wall ns) of its arrival (default now)."""
        with self.lock:
            self.last_activity = time.monotonic()
            index = self.trace.add(direction, data, baud=baud, line=line, note=note)
            if at is not None:
                rec = self.trace.records[index]
                rec.t_ns, rec.wall_ns = at
            if direction == "tx" and data:
                self.tx_stream += data
            return index

    def scan(self, added: int) -> None:
        """Mask the passwords the last ``added`` HHDC → meter bytes completed."""
        with self.lock:
            # a message holding a password is at most one HDLC frame long: rescan only the
            # tail that can still hold one that the new bytes complete
            start = max(0, len(self.tx_stream) - added - MAX_MESSAGE)
            found = password_spans(bytes(self.tx_stream[start:]))
            new = [(a + start, b + start) for a, b in found]
            new = [sp for sp in new if sp not in self.masked]
            if new:
                self.trace.mask_stream("tx", 0, new)
                self.masked.update(new)

    def cut(self) -> Trace:
        with self.lock:
            out, self.trace = self.trace, Trace()
            self.tx_stream.clear()
            self.masked.clear()
            return out

    def __len__(self) -> int:
        with self.lock:
            return len(self.trace)


class _Observer:
    """What relay and tap share: recording, segments, speed following, stopping."""

    def __init__(
        self,
        *,
        on_chunk: Callable[[Chunk], None] | None = None,
        on_segment: Callable[[Segment], None] | None = None,
        follower: SpeedFollower | None = None,
        split_idle_s: float = 2.0,
    ) -> None:
        self.on_chunk = on_chunk
        self.on_segment = on_segment
        self.follower = follower
        self.split_idle_s = split_idle_s
        self.stop_event = threading.Event()
        self.forward_ns: deque[int] = deque(maxlen=LATENCIES_KEPT)
        self.bytes_forwarded = {"tx": 0, "rx": 0}
        #: HHDC calls accepted / ended (a TCP relay; a serial line is one long call).
        self.calls = 0
        self.calls_ended = 0
        self.errors: list[str] = []
        self._rec = _Recorder()
        self._changes: list[tuple[str, str]] = []
        self._names = ("", "")

    def stop(self) -> None:
        self.stop_event.set()

    # -- recording -------------------------------------------------------------------------------
    def _record(
        self,
        direction: str,
        data: bytes,
        src: Endpoint,
        dst: Endpoint | None,
        at: tuple[int, int],
    ) -> int:
        settings = src.settings or (dst.settings if dst is not None else None)
        baud, line = (settings.baud, settings.name) if settings else (0, "")
        return self._rec.add(direction, data, baud, line, at=at)

    def _notify(self, direction: str, index: int, forward_ns: int) -> None:
        if self.on_chunk is None:
            return
        try:
            record = self._rec.trace.records[index]
            self.on_chunk(Chunk(direction, record, index, forward_ns))
        except Exception:  # a display callback must never stop the evidence (logged below)
            log.exception("observer: on_chunk callback failed")

    def _cut(self, reason: str) -> None:
        if not len(self._rec):
            return
        trace = self._rec.cut()
        seg = Segment(trace, reason, self._names[0], self._names[1], list(self._changes))
        self._changes.clear()
        if self.on_segment is not None:
            self.on_segment(seg)

    def _follow(self, data: bytes, ends: tuple[Endpoint, ...], drain: Endpoint | None) -> None:
        if self.follower is None:
            return
        new = self.follower.feed(data)
        if new is None:
            return
        if drain is not None:
            drain.drain()
        for end in ends:
            end.set_line(new)
        why = self.follower.changes[-1][0]
        self._changes.append((why, str(new)))
        self._rec.add("tx", b"", new.baud, new.name, note=f"line {new} ({why})")

    def _revert(self, ends: tuple[Endpoint, ...]) -> None:
        if self.follower is not None and self.follower.current != self.follower.sign_on:
            settings = self.follower.reset()
            for end in ends:
                end.set_line(settings)
            self._changes.append(("line idle: back to sign-on", str(settings)))

    def _pump(
        self,
        direction: str,
        src: Endpoint,
        dst: Endpoint | None,
        done: threading.Event,
        why: list[str],
        ends: tuple[Endpoint, ...],
    ) -> None:
        """Move one direction until either side goes away or the observer stops."""
        while not self.stop_event.is_set() and not done.is_set():
            try:
                data = src.read(POLL_S)
            except PeerClosed as exc:
                why.append(f"{'HHDC' if direction == 'tx' else 'meter'} side closed ({exc})")
                done.set()
                return
            if not data:
                continue
            at = (time.monotonic_ns(), time.time_ns())
            # the record takes its place in arrival order before the bytes go on (an answer
            # can never be recorded before its request); masking waits until they have gone
            index = self._record(direction, data, src, dst, at)
            forward = 0
            if dst is not None:
                try:
                    dst.write(data)
                except PeerClosed as exc:
                    why.append(f"{'meter' if direction == 'tx' else 'HHDC'} side closed ({exc})")
                    done.set()
                    return
                forward = time.monotonic_ns() - at[0]
                self.forward_ns.append(forward)
                self.bytes_forwarded[direction] += len(data)
            if direction == "tx":
                self._rec.scan(len(data))
            if direction == "tx":
                self._follow(data, ends, dst)
            self._notify(direction, index, forward)

    def _run_pair(
        self,
        a: Endpoint,
        b: Endpoint,
        *,
        forward: bool,
        split_idle: bool,
    ) -> str:
        """Pump both directions between ``a`` (HHDC side) and ``b`` (meter side) until one ends."""
        done = threading.Event()
        why: list[str] = []
        ends = (a, b)
        threads = [
            threading.Thread(
                target=self._pump, args=("tx", a, b if forward else None, done, why, ends),
                name="observe HHDC→meter", daemon=True,
            ),
            threading.Thread(
                target=self._pump, args=("rx", b, a if forward else None, done, why, ends),
                name="observe meter→HHDC", daemon=True,
            ),
        ]  # fmt: skip
        for t in threads:
            t.start()
        while not done.is_set() and not self.stop_event.is_set():
            done.wait(0.1)
            idle = time.monotonic() - self._rec.last_activity
            if split_idle and idle >= self.split_idle_s and len(self._rec):
                self._cut(f"line idle {self.split_idle_s:g} s")
                self._revert(ends)
        done.set()
        for t in threads:
            t.join(timeout=2)
        return why[0] if why else "stopped"


class Relay(_Observer):
    """In the line: the HHDC's side (a TCP listener or a serial port) ↔ the meter's side.

    :param hhdc: the HHDC side — a :class:`~drivers.observe.ports.TcpListener` (one call per
        connection) or an open :class:`Endpoint` (a serial line, kept open).
    :param meter: opens the meter side (called per call for a listener, once for a serial line).
    """

    def __init__(
        self, hhdc: TcpListener | Endpoint, meter: Callable[[], Endpoint], **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.hhdc = hhdc
        self._open_meter = meter

    def serve(self) -> None:
        """Relay until :meth:`stop` (blocks; run it in a thread or the main loop)."""
        if isinstance(self.hhdc, TcpListener):
            self._serve_calls(self.hhdc)
            return
        meter = self._open_meter()
        self._names = (self.hhdc.name, meter.name)
        try:
            reason = self._run_pair(self.hhdc, meter, forward=True, split_idle=True)
            self._cut(reason)
        finally:
            meter.close()

    def _serve_calls(self, listener: TcpListener) -> None:
        while not self.stop_event.is_set():
            caller = listener.accept(0.2)
            if caller is None:
                continue
            self.calls += 1
            try:
                meter = self._open_meter()
            except Exception as exc:  # noqa: BLE001 - the call fails, the relay keeps serving
                self.errors.append(f"call {self.calls}: cannot open the meter side: {exc}")
                log.error("observe: call %d: cannot open the meter side: %s", self.calls, exc)
                caller.close()
                self.calls_ended += 1
                continue
            self._names = (caller.name, meter.name)
            if self.follower is not None:
                self.follower.reset()
            try:
                reason = self._run_pair(caller, meter, forward=True, split_idle=False)
            finally:
                caller.close()
                meter.close()
            self._cut(reason)
            self.calls_ended += 1


class Tap(_Observer):
    """A passive tap: ``hhdc_rx`` receives what the HHDC sends, ``meter_rx`` what the meter sends.

    Nothing is ever written to either port.
    """

    def __init__(self, hhdc_rx: Endpoint, meter_rx: Endpoint, **kwargs) -> None:
        super().__init__(**kwargs)
        self.hhdc_rx = hhdc_rx
        self.meter_rx = meter_rx

    def serve(self) -> None:
        """Listen until :meth:`stop` or a port goes away (blocks)."""
        self._names = (self.hhdc_rx.name, self.meter_rx.name)
        reason = self._run_pair(self.hhdc_rx, self.meter_rx, forward=False, split_idle=True)
        self._cut(reason)
