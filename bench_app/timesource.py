"""The reference clock: how far the PC's clock is from UTC, measured with every clock reading.

A witness needs the PC's offset from a traceable source at the moment each meter clock is read.
``--time-source`` names the source:

* ``pc`` (default) — the PC's own clock; reported as "PC clock, not traceable" (offset 0,
  uncertainty unknown);
* ``gps:PORT`` — a GPS receiver sending NMEA 0183 sentences on a serial/USB port (``COM5``,
  ``/dev/ttyUSB0``, a pty, or ``socket://HOST:PORT``), parsed with pynmea2: each valid RMC
  sentence gives the UTC second it names, stamped with the PC time its line arrived. The offset is
  the smallest (PC − GPS) over the sentences read (the least-delayed one); the uncertainty is the
  spread of those differences plus the sentence's time resolution. Without a PPS line the
  receiver's fixed output latency is not calibrated: the report says so. A receiver whose
  ``$GPTXT`` text sentences announce a simulator (``(simulated)``, as ``bench-app simulate-gps``
  sends every second) gives a *simulated* reference: the clock observations it backs are stored
  marked simulated and the session is a simulator session;
* ``ntp:HOST`` — an NTP server (ntplib): offset and uncertainty (half the round trip plus the
  server's root dispersion) as the server reports them.

:meth:`TimeSource.measure` returns a :class:`Reference`; :func:`corrected` turns a driver's
:class:`~drivers.model.ClockReading` (meter time vs PC time) into one against the reference
(PC time − offset), and the store keeps the offset, its uncertainty and the source with the
clock observation.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bench_app.errors import UsageError
from drivers.model import ClockReading, Identity

PC_TEXT = "PC clock, not traceable"


@dataclass(frozen=True)
class Reference:
    """One measurement of the PC clock against the source.

    :param offset_s: PC clock − reference (seconds; positive: the PC is fast).
    :param uncertainty_s: of the offset (seconds), None when unknown (PC clock).
    :param source: ``"pc"``, ``"gps:COM5"``, ``"ntp:pool.example"``.
    :param text: how the report names it (``"GPS gps:COM5 (NMEA, no PPS), 7 sentences"``).
    :param traceable: False for the PC clock.
    :param at: PC time of the measurement (UTC).
    :param simulated: the source announced itself as a simulator (a simulated GPS receiver).
    """

    offset_s: float
    uncertainty_s: float | None
    source: str
    text: str
    traceable: bool
    at: datetime
    simulated: bool = False

    def to_json(self) -> dict:
        out = {"offset_s": self.offset_s, "uncertainty_s": self.uncertainty_s,
               "source": self.source, "text": self.text, "traceable": self.traceable,
               "at": self.at.isoformat().replace("+00:00", "Z")}  # fmt: skip
        if self.simulated:  # a real source's record stays as it always was
            out["simulated"] = True
        return out


def announces_simulator(text: str) -> bool:
    """True when a receiver's text (an NMEA ``TXT`` sentence) names a simulator."""
    return Identity.SIMULATED_MARK in text.lower()


def corrected(reading: ClockReading, ref: Reference) -> ClockReading:
    """``reading`` against the reference time (PC time − offset) instead of the bare PC clock."""
    if not ref.offset_s:
        return reading
    return ClockReading.of(reading.meter_time, reading.pc_time - timedelta(seconds=ref.offset_s))


class TimeSource:
    """A parsed ``--time-source`` (see the module docstring)."""

    def __init__(self, spec: str = "pc", *, timeout_s: float = 5.0, sentences: int = 3) -> None:
        spec = (spec or "pc").strip()
        kind, _, where = spec.partition(":")
        kind = kind.lower()
        if kind not in ("pc", "gps", "ntp") or (kind != "pc" and not where.strip()):
            raise UsageError(f"--time-source {spec!r}: give pc, gps:PORT (e.g. gps:COM5) or "
                             "ntp:HOST")  # fmt: skip
        self.kind, self.where, self.spec = kind, where.strip(), spec
        self.timeout_s = timeout_s
        self.sentences = sentences

    def measure(self) -> Reference:
        """Measure the PC's offset now (:class:`UsageError` naming the source when it fails)."""
        if self.kind == "pc":
            return Reference(0.0, None, "pc", PC_TEXT, False, datetime.now(UTC))
        if self.kind == "ntp":
            return self._ntp()
        return self._gps()

    def _ntp(self) -> Reference:
        import ntplib  # lazily: only an NTP source needs it

        try:
            r = ntplib.NTPClient().request(self.where, version=3, timeout=self.timeout_s)
        except (ntplib.NTPException, OSError) as exc:
            raise UsageError(f"time source ntp:{self.where}: no answer ({exc})") from None
        unc = abs(float(r.delay)) / 2 + abs(float(getattr(r, "root_dispersion", 0.0)))
        # ntplib's offset is reference − local; ours is PC − reference
        return Reference(-float(r.offset), unc, self.spec,
                         f"NTP server {self.where} (stratum {r.stratum})", True,
                         datetime.now(UTC))  # fmt: skip

    def _gps(self) -> Reference:
        import pynmea2  # lazily: only a GPS source needs it
        import serial

        diffs: list[float] = []
        announced = ""  # a TXT sentence naming a simulator
        try:
            port = serial.serial_for_url(self.where, baudrate=4800, timeout=0.5)
        except (serial.SerialException, ValueError, OSError) as exc:
            raise UsageError(f"time source gps:{self.where}: cannot open the port "
                             f"({exc})") from None  # fmt: skip
        deadline = time.monotonic() + self.timeout_s
        try:
            while len(diffs) < self.sentences and time.monotonic() < deadline:
                line = port.readline()
                pc = datetime.now(UTC)
                text = line.decode("ascii", "replace").strip()
                if not text.startswith("$"):
                    continue
                try:
                    msg = pynmea2.parse(text)
                except pynmea2.ParseError:
                    continue
                kind = getattr(msg, "sentence_type", "")
                if kind == "TXT" and announces_simulator(str(getattr(msg, "text", ""))):
                    announced = str(msg.text).strip()
                if kind != "RMC" or getattr(msg, "status", "") != "A":
                    continue
                when = datetime.combine(msg.datestamp, msg.timestamp).replace(tzinfo=UTC)
                diffs.append((pc - when).total_seconds())
        except (serial.SerialException, OSError) as exc:
            raise UsageError(f"time source gps:{self.where}: read failed ({exc})") from None
        finally:
            port.close()
        if not diffs:
            raise UsageError(f"time source gps:{self.where}: no valid RMC sentence (fix) within "
                             f"{self.timeout_s:g} s")  # fmt: skip
        offset = min(diffs)
        unc = (max(diffs) - offset) + 0.01  # spread + the sentence's 0.01 s time resolution
        text = (f"GPS receiver {self.where} (NMEA RMC, no PPS; receiver latency not calibrated), "
                f"{len(diffs)} sentences")  # fmt: skip
        if announced:
            text = f"SIMULATED {text}; the receiver says: {announced}"
        return Reference(offset, unc, self.spec, text, True, datetime.now(UTC),
                         simulated=bool(announced))  # fmt: skip


def parse(spec: str | None) -> TimeSource:
    """``--time-source`` text → :class:`TimeSource` (``None``/empty: the PC clock)."""
    return TimeSource(spec or "pc")


def describe(ref: dict | Reference | None) -> str:
    """One line for the report: source, offset and uncertainty."""
    if ref is None:
        return PC_TEXT
    data: dict[str, Any] = ref.to_json() if isinstance(ref, Reference) else ref
    if not data.get("traceable"):
        return PC_TEXT
    unc = data.get("uncertainty_s")
    return (f"{data.get('text')}: PC offset {data['offset_s']:+.3f} s"
            + (f" ± {unc:.3f} s" if unc is not None else ""))  # fmt: skip
