"""The built-in simulator the GUI starts through bench_app."""

from __future__ import annotations

from bench_app.simulator import BUILTIN_IDLE_TIMEOUT_S, start_builtin
from drivers.meter import ConnectOptions, create_meter


def test_builtin_simulator_serves_a_read_and_keeps_idle_gui_connections_longer():
    sim = start_builtin("iec21", days=2, reaction_ms=0)
    try:
        assert sim.url.startswith("socket://127.0.0.1:") and sim.protocol == "iec21"
        assert sim.server.idle_timeout_s == BUILTIN_IDLE_TIMEOUT_S > 120
        m = create_meter("iec21", ConnectOptions(sim.url, password="ABCDEF12"))
        m.connect()
        try:
            assert m.read_identity().serial == "GEN-SIM-004711"
        finally:
            m.close()
    finally:
        sim.stop()
