"""Simulated outstations that ship with the bench (training, demos, tests).

>>> sim = start_simulator("dlms", listen="tcp://127.0.0.1:0", seed=1, days=90)
>>> sim.url          # what a client opens: "socket://127.0.0.1:PORT" (or a pty path)
>>> sim.control.phase_failure(2)
>>> sim.stop()

One :class:`~drivers.sim.meter.SimMeter` holds the state; a protocol *front end* translates bytes
(``drivers.sim.iec21`` for IEC 62056-21, ``drivers.sim.dlms`` for DLMS/COSEM). Front ends are
classes built as ``FrontEnd(meter, options, faults, **extra)`` with a ``serve(link)`` method.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from drivers.sim.control import BenchControl, ControlServer
from drivers.sim.faults import FaultPlan
from drivers.sim.link import DEFAULT_IDLE_TIMEOUT_S, SimServer
from drivers.sim.meter import DEFECTS, MeterDescription, SimMeter, SimOptions

__all__ = [
    "DEFECTS",
    "BenchControl",
    "MeterDescription",
    "SimHandle",
    "SimMeter",
    "SimOptions",
    "start_simulator",
]

#: protocol → "module:Class" of the front end, imported on first use.
FRONT_ENDS = {
    "iec21": "drivers.sim.iec21:Iec21FrontEnd",
    "dlms": "drivers.sim.dlms:DlmsFrontEnd",
}
#: the meter description each protocol uses unless told otherwise.
DEFAULT_METER = {"iec21": "iec-generic", "dlms": "prometer100"}
#: the line speed a new connection starts at.
INITIAL_BAUD = {"iec21": 300}


@dataclass
class SimHandle:
    """A running simulator: where to connect, how to act on the bench, how to stop."""

    protocol: str
    url: str
    meter: SimMeter
    control: BenchControl
    server: SimServer
    faults: FaultPlan
    control_server: ControlServer | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def control_url(self) -> str | None:
        return self.control_server.url if self.control_server else None

    def stop(self) -> None:
        self.server.stop()
        if self.control_server is not None:
            self.control_server.stop()

    def __enter__(self) -> SimHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_simulator(
    protocol: str,
    listen: str = "tcp://127.0.0.1:0",
    *,
    options: SimOptions | None = None,
    clock: Callable[[], datetime] | None = None,
    control_port: int | None = None,
    baud: int = 9600,
    idle_timeout_s: float | None = DEFAULT_IDLE_TIMEOUT_S,
    **kwargs: Any,
) -> SimHandle:
    """Start a simulated outstation speaking ``protocol`` (``"iec21"`` or ``"dlms"``).

    :param listen: ``"tcp://127.0.0.1:0"`` (free port), ``"tcp://HOST:PORT"`` or ``"pty"``.
    :param options: meter, seed, days, period, defects, faults, baud emulation; keyword arguments
        with the same names (``seed=2, days=7, defects=[…]``) override fields of it.
    :param clock: true-UTC clock for the meter (tests inject one).
    :param control_port: also open the JSON bench-control channel on this TCP port (0 = any).
    :param baud: DLMS on RS232/RS485 (not mode E): the fixed line baud (emulation paces at it).
    :param idle_timeout_s: drop a client that has sent nothing for this long (s; None = never).
    :param kwargs: front-end specific extras (DLMS: ``framing``, ``server_physical``…).
    """
    if protocol not in FRONT_ENDS:
        raise ValueError(f"unknown protocol {protocol!r}; choose from {sorted(FRONT_ENDS)}")
    opts = options or SimOptions(meter=DEFAULT_METER[protocol])
    for name in list(kwargs):
        if hasattr(opts, name):
            setattr(opts, name, kwargs.pop(name))
    meter = opts.build_meter(clock)
    faults = FaultPlan.from_specs(opts.faults, seed=opts.seed)
    module_name, cls_name = FRONT_ENDS[protocol].split(":")
    front_end_cls = getattr(importlib.import_module(module_name), cls_name)
    server = SimServer(
        lambda: front_end_cls(meter, opts, faults, **kwargs),
        listen,
        baud_emulation=opts.baud_emulation,
        initial_baud=INITIAL_BAUD.get(protocol, baud),
        idle_timeout_s=idle_timeout_s,
    )
    url = server.start()
    control = BenchControl(meter)
    control_server = None
    if control_port is not None:
        control_server = ControlServer(control, port=control_port)
        control_server.start()
    return SimHandle(protocol, url, meter, control, server, faults, control_server, dict(kwargs))
