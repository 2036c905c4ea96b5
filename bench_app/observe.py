"""Observing the HHDC's system on the line: the relay / tap of :mod:`drivers.observe` stored as
session evidence.

An :class:`Observer` runs a relay or a passive tap in a thread and stores each finished segment
(one HHDC call, or one burst of traffic on a serial line) as a trace of the session, labelled
``observed HHDC ↔ meter`` (:data:`OBSERVED_LABEL`) with the checklist step it belongs to, the two
ends and why the segment ended. Directions in an observed trace: ``tx`` = HHDC → meter, ``rx`` =
meter → HHDC. The bytes are those on the wire, except the HHDC's passwords (masked where they
sit, by message structure).

The store is written only from the thread that calls :meth:`Observer.poll` (SQLite connections
stay in one thread); the relay threads hand segments over through a queue. A GUI passes
``on_chunk`` (called from a relay thread for every recorded chunk; marshal it to the GUI thread
with a Qt signal) and calls :meth:`Observer.poll` from its worker.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench_app.errors import UsageError
from drivers.observe import Chunk, Relay, SerialEndpoint, Tap, TcpListener, exchanges
from drivers.observe.exchanges import Exchange
from drivers.observe.follow import SpeedFollower
from drivers.observe.relay import Segment
from drivers.trace import Trace
from drivers.transport import IEC_SIGN_ON, LineSettings

#: label prefix of every observed trace (the report and ``trace show`` recognise it).
OBSERVED_LABEL = "observed HHDC ↔ meter"
MODES = ("relay", "tap")


@dataclass
class ObserveSpec:
    """What to observe and how.

    :param hhdc: the HHDC's side: ``tcp://HOST:PORT`` to listen on (relay), or a serial port /
        ``socket://`` URL (relay from a modem line; tap: the port receiving the HHDC's bytes).
    :param meter: the meter's side: a serial port or ``socket://`` URL (tap: the port receiving
        the meter's bytes).
    :param mode: ``relay`` (in the line, forwarding) or ``tap`` (receive only, never transmits).
    :param hhdc_line: line settings of the HHDC's serial side (ignored for TCP).
    :param meter_line: line settings of the meter's serial side (ignored for ``socket://``).
    :param follow_iec: follow IEC 62056-21 option select / break on both sides (a line that
        starts at the IEC sign-on settings).
    :param split_idle_s: on a serial line, a segment ends after this much silence (seconds > 0).
    """

    hhdc: str
    meter: str
    mode: str = "relay"
    hhdc_line: LineSettings = field(default_factory=lambda: IEC_SIGN_ON)
    meter_line: LineSettings = field(default_factory=lambda: IEC_SIGN_ON)
    follow_iec: bool = False
    split_idle_s: float = 2.0

    def check(self) -> None:
        if self.mode not in MODES:
            raise UsageError(f"observe mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if self.mode == "tap" and self.hhdc.startswith("tcp://"):
            raise UsageError("a passive tap listens on two receive-only serial ports, not tcp://")
        if self.follow_iec and self.hhdc_line != self.meter_line:
            raise UsageError(
                "following IEC 62056-21 speed changes needs both sides at the same sign-on "
                f"settings (HHDC side {self.hhdc_line}, meter side {self.meter_line})"
            )
        if self.split_idle_s <= 0:
            raise UsageError(f"the idle split must be > 0 s, not {self.split_idle_s}")

    @property
    def described(self) -> str:
        how = "passive tap" if self.mode == "tap" else "relay"
        return f"{how} {self.hhdc} ↔ {self.meter}"


@dataclass
class StoredSegment:
    """A segment once stored: its trace id, the segment and its exchanges."""

    trace_id: int
    segment: Segment
    exchanges: list[Exchange]


def observed_label(step: str, segment: Segment) -> str:
    """``observed HHDC ↔ meter [DR2-1]: tcp://… → socket://… (HHDC side closed …)``."""
    tag = f" [{step}]" if step else ""
    return f"{OBSERVED_LABEL}{tag}: {segment.hhdc} → {segment.meter} ({segment.reason})"


def is_observed(trace_row: dict) -> bool:
    """True for a trace row stored by an :class:`Observer`."""
    return str(trace_row.get("label") or "").startswith(OBSERVED_LABEL)


def observed_step(trace_row: dict) -> str:
    """The checklist step an observed trace was tagged with ("" when none)."""
    label = str(trace_row.get("label") or "")
    if not label.startswith(OBSERVED_LABEL + " ["):
        return ""
    return label[len(OBSERVED_LABEL) + 2 :].split("]", 1)[0]


class Observer:
    """Runs a relay or tap and stores what it sees in a session.

    :param store: an open :class:`~bench_app.store.Store` (used only from the polling thread).
    :param session_id: the session the observed traces belong to.
    :param spec: what to observe.
    :param step: checklist step the traces are tagged with (e.g. ``DR2-1``; "" = none).
    :param levels: client SAP → association level, to name levels in the exchanges.
    :param on_chunk: called from a relay thread with every recorded :class:`Chunk`.
    :param on_stored: called (from the polling thread) with every :class:`StoredSegment`.
    :param simulated: the HHDC side is a simulated HHDC's system (the bench's own): every
        observed trace is stored marked simulated (None: not known — a call whose association
        announces a simulated HHDC, by its calling-AP-title, is then stored marked simulated).
    """

    def __init__(
        self,
        store: Any,
        session_id: int,
        spec: ObserveSpec,
        *,
        step: str = "",
        levels: dict[int, int] | None = None,
        on_chunk: Callable[[Chunk], None] | None = None,
        on_stored: Callable[[StoredSegment], None] | None = None,
        simulated: bool | None = None,
    ) -> None:
        spec.check()
        store.get_session(session_id)  # exists (NotFoundError otherwise)
        store.check_unlocked(session_id)  # a signed session takes no more evidence
        self.store = store
        self.session_id = session_id
        self.spec = spec
        self.step = step
        self.levels = levels or {}
        self.on_stored = on_stored
        self.simulated = simulated
        self.stored: list[StoredSegment] = []
        self._queue: queue.Queue[Segment] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._listener: TcpListener | None = None
        follower = SpeedFollower(spec.hhdc_line) if spec.follow_iec else None
        common: dict[str, Any] = {
            "on_chunk": on_chunk, "on_segment": self._queue.put, "follower": follower,
            "split_idle_s": spec.split_idle_s,
        }  # fmt: skip
        self.observer: Relay | Tap
        if spec.mode == "tap":
            self.observer = Tap(
                SerialEndpoint(spec.hhdc, spec.hhdc_line),
                SerialEndpoint(spec.meter, spec.meter_line),
                **common,
            )
        elif spec.hhdc.startswith("tcp://"):
            self._listener = TcpListener(spec.hhdc)
            self.observer = Relay(self._listener, self._meter_side, **common)
        else:
            self.observer = Relay(SerialEndpoint(spec.hhdc, spec.hhdc_line), self._meter_side,
                                  **common)  # fmt: skip
        self.url = self._listener.url if self._listener else spec.hhdc

    def _meter_side(self) -> SerialEndpoint:
        return SerialEndpoint(self.spec.meter, self.spec.meter_line).open()

    def start(self) -> str:
        """Open the ports and start observing; returns what the HHDC dials (relay on TCP) or
        the HHDC-side port."""
        if isinstance(self.observer, Tap):
            self.observer.hhdc_rx.open()  # type: ignore[attr-defined]
            try:
                self.observer.meter_rx.open()  # type: ignore[attr-defined]
            except Exception:
                self.observer.hhdc_rx.close()
                raise
        elif not isinstance(self.observer.hhdc, TcpListener):
            self.observer.hhdc.open()  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._serve, name="observe", daemon=True)
        self._thread.start()
        return self.url

    def _serve(self) -> None:
        try:
            self.observer.serve()
        except Exception as exc:  # noqa: BLE001 - reported by poll(), evidence kept
            self.observer.errors.append(f"observer stopped: {type(exc).__name__}: {exc}")
            self.observer.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def poll(self, timeout: float = 0.2) -> list[StoredSegment]:
        """Store the segments finished since the last call (waits ≤ ``timeout`` s for one)."""
        out: list[StoredSegment] = []
        try:
            seg = self._queue.get(timeout=timeout)
        except queue.Empty:
            return out
        while True:
            out.append(self._store(seg))
            try:
                seg = self._queue.get_nowait()
            except queue.Empty:
                return out

    def _store(self, seg: Segment) -> StoredSegment:
        found = exchanges(list(seg.trace), self.levels)
        simulated = self.simulated
        if simulated is None and any(e.details.get("simulated") for e in found):
            simulated = True  # the HHDC's association says it is the bench's simulator
        trace_id = self.store.add_trace(self.session_id, seg.trace, observed_label(self.step, seg),
                                        simulated=simulated)  # fmt: skip
        stored = StoredSegment(trace_id, seg, found)
        self.stored.append(stored)
        if self.on_stored is not None:
            self.on_stored(stored)
        return stored

    def stop(self) -> list[StoredSegment]:
        """Stop, close the ports and store what was still in flight."""
        self.observer.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._listener is not None:
            self._listener.close()
        if isinstance(self.observer, Tap):
            self.observer.hhdc_rx.close()
            self.observer.meter_rx.close()
        elif not isinstance(self.observer.hhdc, TcpListener):
            self.observer.hhdc.close()
        return self.poll(0.0)


def session_exchanges(store: Any, session_id: int, levels: dict[int, int] | None = None
                      ) -> list[tuple[dict, list[Exchange]]]:  # fmt: skip
    """Every observed trace of a session (row from ``store.traces``) with its exchanges."""
    out = []
    for row in store.traces(session_id):
        if is_observed(row):
            trace: Trace = store.load_trace(row["id"])
            out.append((row, exchanges(list(trace), levels)))
    return out


def meter_levels(store: Any, session_id: int) -> dict[int, int]:
    """Client SAP → level of the session's meter description ({} when none is known)."""
    from bench_app import meters

    try:
        desc = meters.session_description(store, session_id)
    except Exception:  # noqa: BLE001 - naming levels is a courtesy, never a failure
        return {}
    if desc is None:
        return {}
    return {lv.client_sap: lv.level for lv in desc.levels}
