"""Argument validators shared by the ``bench-app`` commands.

Each is an ``argparse`` ``type=`` function: a bad value becomes argparse's usage error naming the
option (exit 2), never a traceback and never a silently odd value (``--date tomorrow``,
``--baud 0``, ``--timeout -1``). :func:`output_file` and :func:`input_file` are called by commands
when they run (a missing folder is an error, never created behind the user's back).
"""

from __future__ import annotations

import argparse
import math
import os
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from bench_app.errors import UsageError

#: Baud rates a serial port or the IEC 62056-21 baud characters know.
BAUD_RATES = (300, 600, 1200, 2400, 4800, 9600, 14400, 19200, 38400, 57600, 115200)


def iso_date(text: str) -> str:
    """``YYYY-MM-DD`` of a real calendar day (``2026-02-30`` and ``tomorrow`` are refused)."""
    try:
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date YYYY-MM-DD that exists in the calendar"
        ) from None


def baud(text: str) -> int:
    """A standard baud rate (300 … 115200)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value not in BAUD_RATES:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a baud rate; use one of {', '.join(map(str, BAUD_RATES))}"
        )
    return value


def _finite_float(text: str, allow_zero: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        more = "of 0 or more" if allow_zero else "greater than 0"
        raise argparse.ArgumentTypeError(f"{text!r} must be a number {more}")
    return value


def positive_float(text: str) -> float:
    """A finite number > 0 (seconds, kWh …)."""
    return _finite_float(text, allow_zero=False)


def non_negative_float(text: str) -> float:
    """A finite number ≥ 0 (tolerances)."""
    return _finite_float(text, allow_zero=True)


def positive_decimal(text: str) -> Decimal:
    """A finite decimal number > 0, exactly as written."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value.is_finite() or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a number greater than 0")
    return value


def int_range(lo: int, hi: int):
    """A ``type=`` for a whole number in ``lo…hi``."""

    def check(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{text!r} must be between {lo} and {hi}")
        return value

    check.__name__ = f"whole number {lo}…{hi}"
    return check


def listen_url(text: str) -> str:
    """Where ``simulate`` listens: ``tcp://HOST:PORT`` with a port 0…65535 (0 = any free one)."""
    value = text.strip()
    scheme, sep, rest = value.partition("://")
    host, colon, port = rest.rpartition(":")
    if sep and scheme.lower() in ("tcp", "socket") and colon and host and port.isdigit():
        if 0 <= int(port) <= 65535:
            return f"tcp://{host}:{int(port)}"
        raise argparse.ArgumentTypeError(f"{text!r}: port {port} is not 0…65535")
    raise argparse.ArgumentTypeError(
        f"{text!r} is not tcp://HOST:PORT (e.g. tcp://127.0.0.1:4059; port 0 = any free port)"
    )


def port_url(text: str) -> str:
    """A port: serial device (``/dev/ttyUSB0``, ``COM3``) or URL. ``tcp://HOST:PORT`` (what
    ``simulate`` prints) is accepted as ``socket://HOST:PORT``."""
    value = text.strip()
    if not value:
        raise argparse.ArgumentTypeError("the port is empty")
    if value.lower().startswith("tcp://"):
        value = "socket://" + value[len("tcp://") :]
    if "://" in value:
        scheme = value.split("://", 1)[0].lower()
        if scheme not in ("socket", "rfc2217", "loop", "spy", "alt", "hwgrep"):
            raise argparse.ArgumentTypeError(
                f"{text!r}: unknown port scheme {scheme!r}; use a serial device (/dev/ttyUSB0, "
                "COM3) or socket://HOST:PORT (tcp://HOST:PORT is taken as socket://)"
            )
    return value


def output_file(path: str | os.PathLike, option: str) -> Path:
    """A file the command will write: its folder must exist (it is never created silently) and
    it must not be a folder.

    :raises UsageError: naming the option and the path.
    """
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"{option} {p}: is a folder; give a file name inside it")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(
            f"{option} {p}: folder {parent} does not exist; create it first (nothing written)"
        )
    return p


def output_dir(path: str | os.PathLike, option: str) -> Path:
    """A folder the command will write into: it may be new, but its parent must exist.

    :raises UsageError: the path is a file, or its parent folder does not exist.
    """
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise UsageError(f"{option} {p}: is a file, not a folder")
    if not p.exists() and not p.parent.is_dir():
        raise UsageError(f"{option} {p}: folder {p.parent} does not exist; create it first")
    return p


def input_file(path: str | os.PathLike, option: str) -> Path:
    """A file the command will read: it must exist and be a file.

    :raises UsageError: naming the option and the path.
    """
    p = Path(path)
    if not p.exists():
        raise UsageError(f"{option} {p}: no such file")
    if p.is_dir():
        raise UsageError(f"{option} {p}: is a folder, not a file")
    return p
