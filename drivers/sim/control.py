"""Bench control: do to a simulated outstation what a tester does by hand on a real bench.

:class:`BenchControl` acts on an in-process :class:`~drivers.sim.meter.SimMeter`;
:class:`RemoteBenchControl` does the same over a small JSON-lines TCP channel that ``bench-app
simulate`` opens next to the meter port (``bench-app sim-control URL ACTION [ARGS]`` uses it). Both
offer the same methods, so the checklist engine does not care which it has.

Actions (CLI name → method): ``phase-failure N``, ``phase-restore N``, ``supply-cut``,
``supply-restore``, ``battery-fault``, ``reset``, ``reverse on|off``, ``clock-offset MINUTES``,
``change-parameter NAME VALUE``, ``advance SECONDS`` (simulated time, 0 < SECONDS ≤ one week),
``state``.
"""

from __future__ import annotations

import json
import socket
import threading
from typing import Any

from drivers.errors import DriverTimeout, ProtocolError, TransportError
from drivers.sim.meter import SimMeter

#: CLI action name → (method name, argument converters).
ACTIONS: dict[str, tuple[str, tuple]] = {
    "phase-failure": ("phase_failure", (int,)),
    "phase-restore": ("phase_restore", (int,)),
    "supply-cut": ("supply_cut", ()),
    "supply-restore": ("supply_restore", ()),
    "battery-fault": ("battery_fault", ()),
    "reset": ("reset", ()),
    "reverse": ("reverse", (lambda s: str(s).lower() in ("1", "on", "true", "yes"),)),
    "clock-offset": ("set_clock_offset", (float,)),
    "change-parameter": ("change_parameter", (str, str)),
    "advance": ("advance", (float,)),
    "state": ("state", ()),
}


class BenchControl:
    """Bench actions on an in-process simulated meter."""

    def __init__(self, meter: SimMeter) -> None:
        self.meter = meter

    def phase_failure(self, phase: int) -> None:
        self.meter.phase_failure(phase)

    def phase_restore(self, phase: int) -> None:
        self.meter.phase_restore(phase)

    def supply_cut(self) -> None:
        self.meter.supply_cut()

    def supply_restore(self) -> None:
        self.meter.supply_restore()

    def battery_fault(self) -> None:
        self.meter.battery_fault()

    def reset(self) -> None:
        self.meter.reset()

    def reverse(self, on: bool = True) -> None:
        self.meter.reverse(on)

    def set_clock_offset(self, minutes: float) -> None:
        self.meter.set_clock_offset(minutes)

    def change_parameter(self, name: str, value: Any) -> None:
        self.meter.change_parameter(name, value)

    def advance(self, seconds: float) -> dict:
        """Simulated time: let ``seconds`` pass in the meter at once (see SimMeter.advance)."""
        return self.meter.advance(seconds)

    def state(self) -> dict:
        return self.meter.state()

    def do(self, action: str, *args: str) -> Any:
        """Run a CLI-named action with text arguments (``do("phase-failure", "2")``)."""
        try:
            method, convs = ACTIONS[action]
        except KeyError:
            raise ValueError(
                f"unknown action {action!r}; choose from {', '.join(ACTIONS)}"
            ) from None
        if len(args) != len(convs):
            raise ValueError(f"action {action!r} takes {len(convs)} argument(s), got {len(args)}")
        return getattr(self, method)(*(c(a) for c, a in zip(convs, args, strict=True)))


class ControlServer:
    """JSON-lines TCP: ``{"action": "phase-failure", "args": ["2"]}`` → ``{"ok": true, …}``."""

    def __init__(self, control: BenchControl, host: str = "127.0.0.1", port: int = 0) -> None:
        self.control = control
        self._sock = socket.create_server((host, port))
        self._sock.settimeout(0.2)
        h, p = self._sock.getsockname()[:2]
        self.url = f"tcp://{h}:{p}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="bench-control", daemon=True)

    def start(self) -> str:
        self._thread.start()
        return self.url

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            with conn, conn.makefile("rwb") as fh:
                for line in fh:
                    try:
                        req = json.loads(line)
                        result = self.control.do(req["action"], *map(str, req.get("args", [])))
                        reply = {"ok": True, "result": result}
                    except (ValueError, KeyError, TypeError) as exc:
                        reply = {"ok": False, "error": str(exc)}
                    fh.write((json.dumps(reply) + "\n").encode())
                    fh.flush()


class RemoteBenchControl:
    """Client of :class:`ControlServer`; same methods as :class:`BenchControl`.

    :param url: ``tcp://HOST:PORT`` as printed by ``bench-app simulate``.
    :param timeout: seconds to wait for each answer.
    """

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.url = url
        self.timeout = timeout

    def do(self, action: str, *args: Any) -> Any:
        host, _, port = self.url.removeprefix("tcp://").rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=self.timeout) as sock:
                sock.sendall((json.dumps({"action": action, "args": list(args)}) + "\n").encode())
                data = b""
                while not data.endswith(b"\n"):
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    data += chunk
        except TimeoutError as exc:
            raise DriverTimeout("bench control did not answer", port=self.url, step=action) from exc
        except (OSError, ValueError) as exc:
            raise TransportError(f"bench control unreachable: {exc}", port=self.url) from exc
        try:
            reply = json.loads(data)
        except ValueError as exc:
            raise ProtocolError("bench control sent garbage", data=data, port=self.url) from exc
        if not reply.get("ok"):
            raise ValueError(reply.get("error", "bench control refused the action"))
        return reply.get("result")

    def phase_failure(self, phase: int) -> None:
        self.do("phase-failure", phase)

    def phase_restore(self, phase: int) -> None:
        self.do("phase-restore", phase)

    def supply_cut(self) -> None:
        self.do("supply-cut")

    def supply_restore(self) -> None:
        self.do("supply-restore")

    def battery_fault(self) -> None:
        self.do("battery-fault")

    def reset(self) -> None:
        self.do("reset")

    def reverse(self, on: bool = True) -> None:
        self.do("reverse", "on" if on else "off")

    def set_clock_offset(self, minutes: float) -> None:
        self.do("clock-offset", minutes)

    def change_parameter(self, name: str, value: Any) -> None:
        self.do("change-parameter", name, value)

    def advance(self, seconds: float) -> dict:
        return self.do("advance", seconds)

    def state(self) -> dict:
        return self.do("state")
