"""Bench control: do to a simulated outstation what a tester does by hand on a real bench.

:class:`BenchControl` acts on an in-process :class:`~drivers.sim.meter.SimMeter`;
:class:`RemoteBenchControl` does the same over a small JSON-lines TCP channel that ``bench-app
simulate`` opens next to the meter port (``bench-app sim-control URL ACTION [ARGS]`` uses it). Both
offer the same methods, so the checklist engine does not care which it has.

Actions (CLI name → method): ``phase-failure N``, ``phase-restore N``, ``supply-cut``,
``supply-restore``, ``battery-fault``, ``battery-restore``, ``reset``, ``reverse on|off``,
``clock-offset MINUTES``, ``change-parameter NAME VALUE``, ``set-password LEVEL PASSWORD`` (as the
manufacturer's tool would), ``advance SECONDS`` (simulated time, 0 < SECONDS ≤ one week),
``state``.

Arguments are validated before anything is done (a phase is 1…3, a clock offset a finite number
of minutes within ±400 days, an advance 0 < SECONDS ≤ 604800, a parameter name non-empty text of
≤ 64 characters); a refused request gets ``{"ok": false, "error": …}`` and the channel keeps
serving. A request line is at most
:data:`MAX_LINE` bytes; an idle control client is dropped after ``idle_timeout_s``.
"""

from __future__ import annotations

import json
import logging
import math
import socket
import threading
from collections.abc import Callable
from typing import Any

from drivers.errors import DriverTimeout, ProtocolError, TransportError
from drivers.sim.meter import SimMeter

log = logging.getLogger(__name__)

#: longest accepted request line (bytes); a longer one is refused and the connection closed.
MAX_LINE = 4096


def _phase(text: str) -> int:
    """``"1"``…``"3"`` → phase number."""
    try:
        phase = int(str(text).strip())
    except ValueError:
        raise ValueError(f"phase must be 1, 2 or 3, not {text!r}") from None
    if phase not in (1, 2, 3):
        raise ValueError(f"phase must be 1, 2 or 3, not {text!r}")
    return phase


def _minutes(text: str) -> float:
    """A finite number of minutes (``"-5"``, ``"2.5"``); NaN/inf/text refused."""
    try:
        value = float(str(text).strip())
    except ValueError:
        raise ValueError(f"clock offset must be a number of minutes, not {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"clock offset must be a finite number of minutes, not {text!r}")
    return value


def _advance_seconds(text: str) -> float:
    """Simulated time to add: a finite number of seconds, 0 < s ≤ one week (604 800 s)."""
    try:
        value = float(str(text).strip())
    except ValueError:
        raise ValueError(f"advance takes a number of seconds, not {text!r}") from None
    if not (math.isfinite(value) and 0 < value <= 604800):
        raise ValueError(f"advance takes 0 < seconds ≤ 604800 (one week), not {text!r}")
    return value


def _level(text: str) -> int:
    """``"0"``…``"4"`` → association level."""
    try:
        level = int(str(text).strip())
    except ValueError:
        raise ValueError(f"level must be 0…4, not {text!r}") from None
    if not 0 <= level <= 4:
        raise ValueError(f"level must be 0…4, not {text!r}")
    return level


def _on_off(text: str) -> bool:
    word = str(text).strip().lower()
    if word in ("1", "on", "true", "yes"):
        return True
    if word in ("0", "off", "false", "no"):
        return False
    raise ValueError(f"reverse takes on or off, not {text!r}")


def _name(text: str) -> str:
    name = str(text).strip()
    if not name or len(name) > 64 or not name.isprintable():
        raise ValueError(f"parameter name must be 1…64 printable characters, not {text!r}")
    return name


def _value(text: str) -> str:
    value = str(text)
    if len(value) > 256 or not value.isprintable():
        raise ValueError("parameter value must be ≤ 256 printable characters")
    return value


#: CLI action name → (method name, argument converters; each raises ValueError when refused).
ACTIONS: dict[str, tuple[str, tuple[Callable[[str], Any], ...]]] = {
    "phase-failure": ("phase_failure", (_phase,)),
    "phase-restore": ("phase_restore", (_phase,)),
    "supply-cut": ("supply_cut", ()),
    "supply-restore": ("supply_restore", ()),
    "battery-fault": ("battery_fault", ()),
    "battery-restore": ("battery_restore", ()),
    "set-password": ("set_password", (_level, _value)),
    "reset": ("reset", ()),
    "reverse": ("reverse", (_on_off,)),
    "clock-offset": ("set_clock_offset", (_minutes,)),
    "change-parameter": ("change_parameter", (_name, _value)),
    "advance": ("advance", (_advance_seconds,)),
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

    def battery_restore(self) -> None:
        self.meter.battery_restore()

    def set_password(self, level: int, password: str) -> str:
        return self.meter.set_password(level, password)

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

    def __init__(
        self,
        control: BenchControl,
        host: str = "127.0.0.1",
        port: int = 0,
        idle_timeout_s: float = 60.0,
    ) -> None:
        self.control = control
        self.idle_timeout_s = idle_timeout_s
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
            try:
                self._serve_connection(conn)
            except (OSError, ValueError) as exc:  # client gone, idle, or an over-long line
                log.info("bench control: connection closed: %s", exc)
            except Exception:  # isolation: a bad request never stops the control channel
                log.exception("bench control: connection ended by an unexpected error")

    def _serve_connection(self, conn: socket.socket) -> None:
        conn.settimeout(self.idle_timeout_s)
        with conn, conn.makefile("rwb") as fh:
            while line := fh.readline(MAX_LINE + 1):
                if len(line) > MAX_LINE and not line.endswith(b"\n"):
                    fh.write(b'{"ok": false, "error": "request line too long"}\n')
                    fh.flush()
                    return
                fh.write((json.dumps(self.answer(line)) + "\n").encode())
                fh.flush()

    def answer(self, line: bytes) -> dict[str, Any]:
        """The reply to one request line; never raises."""
        try:
            req = json.loads(line)
            if not isinstance(req, dict) or not isinstance(req.get("action"), str):
                raise ValueError('a request is {"action": NAME, "args": [...]}')
            args = req.get("args", [])
            if not isinstance(args, list):
                raise ValueError("args must be a list")
            return {"ok": True, "result": self.control.do(req["action"], *map(str, args))}
        except (ValueError, KeyError, TypeError, OverflowError, RecursionError) as exc:
            return {"ok": False, "error": str(exc)}
        except Exception as exc:
            log.exception("bench control: %r failed", line[:200])
            return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


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

    def battery_restore(self) -> None:
        self.do("battery-restore")

    def set_password(self, level: int, password: str) -> str:
        return str(self.do("set-password", level, password))

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
