"""The built-in simulated outstation as the GUI and the demo start it (through ``bench_app``).

The GUI never imports ``drivers.sim`` itself: it asks :func:`start_builtin` for a simulator on a
free local TCP port and gets a handle with ``url``, ``protocol``, ``control`` and ``stop()``.
"""

from __future__ import annotations

from typing import Any

from drivers.sim import SimHandle, start_simulator

#: what the built-in simulator holds: a fixed seed (the same data every run) and 90 days.
BUILTIN_SEED = 1
BUILTIN_DAYS = 90
#: the GUI keeps its connection open while the tester looks at the data: drop it only after
#: 15 minutes of silence (a standalone simulator drops an idle client after 2 minutes).
BUILTIN_IDLE_TIMEOUT_S = 900.0


def start_builtin(protocol: str, **overrides: Any) -> SimHandle:
    """Start the built-in ``protocol`` simulator (``"dlms"`` or ``"iec21"``) on 127.0.0.1.

    Keyword ``overrides`` go to :func:`drivers.sim.start_simulator` (``days=``, ``faults=``…).

    :raises ValueError: unknown protocol or option.
    """
    options: dict[str, Any] = {
        "seed": BUILTIN_SEED,
        "days": BUILTIN_DAYS,
        "baud_emulation": False,
        "idle_timeout_s": BUILTIN_IDLE_TIMEOUT_S,
    }
    options.update(overrides)
    return start_simulator(protocol, listen="tcp://127.0.0.1:0", **options)
