"""Text from data made safe for people and spreadsheets.

- :func:`printable`: control characters (C0, DEL, C1 — terminal escapes, carriage returns,
  newlines), Unicode line separators and bidirectional overrides become visible escapes
  (``\\x1b``, ``\\n``, ``\\u202e``), so a certificate subject, a session reference or a log
  message shows what it holds and cannot move the cursor, recolour the terminal, rewrite a line
  already shown or start a forged one.
- :func:`csv_cell`: OWASP's rule against CSV (formula) injection — a cell starting with ``=``,
  ``+``, ``-``, ``@``, tab or carriage return is prefixed with ``'`` so a spreadsheet shows it as
  text; plain numbers (``-0.5``, ``+3``) are left as they are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _escape(m: re.Match[str]) -> str:
    ch = m.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: object) -> str:
    """``text`` with every control or direction-changing character shown as an escape."""
    return _UNSAFE.sub(_escape, str(text))


def csv_cell(value: object) -> str:
    """``value`` as a CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_row(row: Mapping[str, object]) -> dict[str, str]:
    """Every cell of a ``csv.DictWriter`` row through :func:`csv_cell`."""
    return {k: csv_cell(v) for k, v in row.items()}


def csv_text(cell: str) -> str:
    """A cell read back from a file :func:`csv_cell` wrote: its text-mark ``'`` removed."""
    if cell.startswith("'") and cell[1:2] and cell[1] in _FORMULA:
        return cell[1:]
    return cell
