"""How a CSV export is written: text encoding, field delimiter and decimal mark.

Exports come from other people's systems, mostly Windows laptops, so a file may be UTF-8 (with or
without a byte-order mark), Windows-1252 (a ``£`` or ``é`` in a site name) or Latin-1, separated by
commas, semicolons, tabs or pipes, and may write ``0,412`` for 0.412. The importer detects each of
these (:func:`detect_encoding`, :func:`detect_delimiter`) and says what it found; a mapping or the
command line can fix any of them instead (``--encoding``, ``--delimiter``, ``--decimal``).

Numbers are parsed to :class:`decimal.Decimal` (:func:`parse_decimal`) so that a value is stored
and checked exactly as the file writes it.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

#: Encodings the importer names; ``auto`` detects one of the first four.
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16")
#: Delimiters tried by detection, with the word used for each on the command line.
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
DECIMAL_MARKS = (".", ",")

_NUMBER = {
    ".": re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"),
    ",": re.compile(r"^[+-]?(\d+(,\d*)?|,\d+)([eE][+-]?\d+)?$"),
}


class FormatError(ValueError):
    """The file's encoding, delimiter or a number cannot be read as stated."""


@dataclass
class TextFormat:
    """What was used to read a file: encoding, delimiter, decimal mark, and whether detected."""

    encoding: str
    delimiter: str
    decimal: str
    encoding_detected: bool = False
    delimiter_detected: bool = False

    def describe(self) -> str:
        """E.g. ``cp1252 (detected), semicolon (detected), decimal comma``."""
        enc = self.encoding + (" (detected)" if self.encoding_detected else "")
        sep = DELIMITERS.get(self.delimiter, repr(self.delimiter))
        sep += " (detected)" if self.delimiter_detected else ""
        mark = "decimal comma" if self.decimal == "," else "decimal point"
        return f"{enc}, {sep}, {mark}"

    def to_json(self) -> dict:
        return {"encoding": self.encoding, "delimiter": self.delimiter, "decimal": self.decimal}


def normalise_encoding(name: str) -> str:
    """A known codec name in our spelling (``UTF8`` → ``utf-8``, ``windows-1252`` → ``cp1252``).

    :raises FormatError: not a codec Python knows.
    """
    if name.strip().lower() == "auto":
        return "auto"
    try:
        info = codecs.lookup(name.strip())
    except LookupError:
        raise FormatError(f"unknown encoding {name!r} (use auto, {', '.join(ENCODINGS)})") from None
    return {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "iso8859-1": "latin-1"}.get(
        info.name, info.name
    )


def normalise_delimiter(text: str) -> str:
    """``comma``/``semicolon``/``tab``/``pipe``/``auto`` or the character itself (``\\t`` too).

    :raises FormatError: anything else (more than one character, a quote, a digit).
    """
    word = text.strip().lower() if text.strip() else text
    if word == "auto":
        return "auto"
    by_word = {v: k for k, v in DELIMITERS.items()}
    if word in by_word:
        return by_word[word]
    if text == "\\t":
        return "\t"
    if len(text) != 1 or text in "\"'\r\n" or text.isalnum() or text in ".-+":
        raise FormatError(
            f"delimiter {text!r} is not usable; give one character or auto, "
            f"{', '.join(DELIMITERS.values())}"
        )
    return text


def detect_encoding(raw: bytes) -> str:
    """The encoding of an export's bytes.

    UTF-8 with a byte-order mark → ``utf-8-sig``; a UTF-16 BOM → ``utf-16``; bytes that are valid
    UTF-8 → ``utf-8``; otherwise Windows-1252 (``cp1252``, what Excel and most Windows tools write)
    when every byte is defined there, else ``latin-1`` (which decodes any byte).
    """
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        raw.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def decode(raw: bytes, encoding: str, name: str) -> str:
    """``raw`` decoded; the error names the file, the byte offset and what to try.

    :raises FormatError: the bytes are not valid in ``encoding``.
    """
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise FormatError(
            f"{name}:{line}: byte 0x{raw[exc.start]:02x} is not valid {encoding}; "
            "give --encoding (cp1252, latin-1, utf-8) or leave it to auto-detection"
        ) from None


def detect_delimiter(header_line: str, wanted: Iterable[str]) -> str:
    """The delimiter that splits ``header_line`` into the most of the ``wanted`` column names
    (case-insensitive); on a tie (or none found) the candidate that occurs most often, then
    comma."""
    names = {w.strip().lower() for w in wanted if w}
    best = (-1, -1, 0)
    choice = ","
    for i, cand in enumerate(DELIMITERS):
        try:
            cells = next(csv.reader([header_line], delimiter=cand))
        except (csv.Error, StopIteration):
            continue
        hits = sum(1 for c in cells if c.strip().lower() in names)
        score = (hits, header_line.count(cand), -i)
        if score > best:
            best, choice = score, cand
    return choice


def parse_decimal(text: str, what: str, mark: str = ".") -> Decimal:
    """A number cell → Decimal, exactly as written.

    :param mark: the decimal mark, ``.`` or ``,``. With ``,`` a cell ``0,412`` is 0.412; thousands
        separators are never accepted (``1.234,5`` is refused rather than guessed).
    :raises FormatError: not a plain finite number in that notation (the message says which).
    """
    cell = text.strip()
    if not _NUMBER[mark].match(cell):
        other = "," if mark == "." else "."
        hint = ""
        if _NUMBER[other].match(cell):
            hint = f" (it uses a decimal {'comma' if other == ',' else 'point'}: give --decimal "
            hint += f"{'comma' if other == ',' else 'point'})"
        raise FormatError(f"{what} {text!r} is not a number{hint}")
    try:
        value = Decimal(cell.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
        raise FormatError(f"{what} {text!r} is not a number") from None
    if not value.is_finite():  # pragma: no cover - idem
        raise FormatError(f"{what} {text!r} is not a finite number")
    return value


def normalise_decimal(text: str) -> str:
    """``point``/``.``/``comma``/``,``/``auto`` → ``.``/``,``/``auto``.

    :raises FormatError: anything else.
    """
    word = text.strip().lower()
    table = {"point": ".", ".": ".", "dot": ".", "comma": ",", ",": ",", "auto": "auto"}
    if word not in table:
        raise FormatError(f"decimal mark {text!r} must be point, comma or auto")
    return table[word]
