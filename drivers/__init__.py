"""Witness Bench drivers: bytes ↔ meter objects.

Transports (:mod:`drivers.transport`), IEC 62056-21 (:mod:`drivers.iec62056_21`), DLMS/COSEM
(:mod:`drivers.dlms`) and simulated outstations (:mod:`drivers.sim`). No Qt, no ``bench_app``.
"""

import logging

# A library stays silent unless the application configures logging (bench_app.logs does).
logging.getLogger(__name__).addHandler(logging.NullHandler())
