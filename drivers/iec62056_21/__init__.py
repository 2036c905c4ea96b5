"""IEC 62056-21 ("mode C", optical / RS485 ASCII protocol): framing, readout parser, client, driver.

- :mod:`.readout` — BCC, message framing, :func:`parse_readout`;
- :mod:`.profile` — the load-profile (``P.01``) and event-log (``P.98``) formats;
- :mod:`.client` — :class:`Iec21Client` (sign-on, baud switch, readout, programming mode);
- :mod:`.meter` — :class:`Iec21Meter`, the :class:`drivers.meter.MeterDriver` for ``"iec21"``.
"""

from drivers.iec62056_21.readout import (
    BREAK,
    DataSet,
    Readout,
    bcc,
    check_block,
    command,
    data_block,
    parse_data,
    parse_readout,
)

__all__ = [
    "BREAK",
    "DataSet",
    "Readout",
    "bcc",
    "check_block",
    "command",
    "data_block",
    "parse_data",
    "parse_readout",
]
