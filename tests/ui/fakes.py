"""A small in-process meter that follows the MeterDriver protocol (for GUI tests only)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from drivers.errors import AuthenticationError, TransportError
from drivers.model import (
    Channel,
    ClockReading,
    EventCode,
    Identity,
    MeterEvent,
    Profile,
    ProfileRow,
    RegisterValue,
    StatusFlag,
)
from drivers.trace import Trace

BASE = datetime(2026, 10, 20, tzinfo=UTC)


class FakeMeter:
    """Deterministic data; ``fail_after_blocks`` simulates a cable pulled mid-read;
    ``block_delay`` (s) slows reads so a test can cancel; ``gate`` holds a read until set."""

    def __init__(
        self,
        protocol="dlms",
        trace=None,
        *,
        fail_after_blocks=None,
        block_delay=0.0,
        block_rows=48,
        password_ok=True,
        gate: threading.Event | None = None,
    ):
        self.protocol = protocol
        self.trace = trace if trace is not None else Trace()
        self.profile_channels: list[Channel] = []
        self.fail_after_blocks = fail_after_blocks
        self.block_delay = block_delay
        self.block_rows = block_rows
        self.password_ok = password_ok
        self.gate = gate
        self.connected = False
        self.offset = timedelta(seconds=12)

    def _io(self, tx: bytes, rx: bytes) -> None:
        self.trace.add("tx", tx, baud=9600, line="8N1")
        self.trace.add("rx", rx, baud=9600, line="8N1")

    def connect(self):
        if not self.password_ok:
            raise AuthenticationError(
                "association refused: wrong LLS password", port="fake://1", step="AARQ"
            )
        self._io(b"\x7e\xa0\x07\x03\x21\x93\x0f\x01\x7e", b"/ABC5FAKE\r\n")
        self.connected = True

    def close(self):
        self.connected = False

    def read_identity(self):
        self._io(b"identity?", b"FAKE-0001")
        return Identity("FAKE-0001", "ABC", "Fake 100", "FAK", {"metrology": "1.0"})

    def read_clock(self):
        now = datetime.now(UTC)
        return ClockReading.of(now + self.offset, now)

    def set_clock(self, meter_time):
        self.offset = timedelta(0)
        return self.read_clock()

    def read_registers(self):
        return [RegisterValue("1.0.1.8.0.255", 1234.5, "kWh")]

    def read_instantaneous(self):
        t = time.time()
        return [
            RegisterValue("1.0.32.7.0.255", 230.0 + (t % 3), "V"),
            RegisterValue("1.0.52.7.0.255", 231.0, "V"),
            RegisterValue("1.0.72.7.0.255", 229.5, "V"),
            RegisterValue("1.0.31.7.0.255", 5.1, "A"),
            RegisterValue("1.0.1.7.0.255", 3400.0, "W"),
            RegisterValue("1.0.13.7.0.255", 0.97, None),
            RegisterValue("1.0.14.7.0.255", 50.01, "Hz"),
        ]

    def rows(self, start, end):
        out = []
        t = start
        while t < end:
            i = int((t - BASE).total_seconds() // 1800)
            status = int(StatusFlag.PHASE_FAILURE) if i % 97 == 5 else 0
            out.append(ProfileRow(t, [0.2 + (i % 48) / 100.0, 0.05], status))
            t += timedelta(minutes=30)
        return out

    def read_profile(self, start=None, end=None, *, on_block=None, progress=None):
        start = start or BASE
        end = end or BASE + timedelta(days=7)
        self.profile_channels = [
            Channel("1.0.1.29.0.255", "kWh"),
            Channel("1.0.3.29.0.255", "kvarh"),
        ]
        rows = self.rows(start, end)
        blocks = [rows[i : i + self.block_rows] for i in range(0, len(rows), self.block_rows)]
        for n, block in enumerate(blocks):
            if self.gate is not None:
                self.gate.wait(5)
            if self.fail_after_blocks is not None and n >= self.fail_after_blocks:
                raise TransportError(
                    "port closed: device unplugged", port="fake://1", step=f"profile block {n + 1}"
                )
            time.sleep(self.block_delay)
            self._io(b"\x7e\xa0\x19get-next\x7e", b"\x7e\xa0\x80block\x7e")
            if on_block:
                on_block(block)
            if progress:
                progress(n + 1, len(blocks))
        return Profile(30, self.profile_channels, rows)

    def read_events(self, start=None, end=None):
        return [
            MeterEvent(BASE + timedelta(hours=2), EventCode.PHASE_FAILURE_L2, "Phase failure L2"),
            MeterEvent(
                BASE + timedelta(hours=3), EventCode.CLOCK_SET, "Date/time changed via port"
            ),
        ]


def session_window(qtbot, ctx):
    """The main window, shown, with ``ctx``'s session open (closed with the test)."""
    from ui.main_window import MainWindow

    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    w.open_session(ctx.session_id)
    return w
