"""Scripted byte exchanges for protocol tests (in the spirit of PyMeasure's ``expected_protocol``).

>>> t = ScriptedTransport([(b"/?!\\r\\n", b"/ABC5XYZ\\r\\n")])
>>> with t:
...     t.write(b"/?!\\r\\n")
...     t.read_until(b"\\n")
b'/ABC5XYZ\\r\\n'

Each pair is *(expected request, canned reply)*. A request of ``None`` means "the meter speaks
without being asked" (its reply is available from the start or right after the previous
exchange). Writing anything other than the next expected request raises
:class:`AssertionError` with both byte strings, so a test fails at the first wrong byte.
:meth:`ScriptedTransport.assert_done` checks that every exchange was used.
"""

from __future__ import annotations

from collections.abc import Iterable

from drivers.transport import IEC_SIGN_ON, LineSettings, Transport

Exchange = tuple[bytes | None, bytes]


class ScriptedTransport(Transport):
    """In-memory transport that checks requests against a script and plays canned replies.

    :param exchanges: list of ``(expected_request_or_None, reply)``.
    :param settings: initial line settings (every later :meth:`set_line` is recorded in
        :attr:`line_changes`).
    """

    def __init__(
        self,
        exchanges: Iterable[Exchange],
        settings: LineSettings = IEC_SIGN_ON,
        *,
        url: str = "script://",
        **kwargs,
    ) -> None:
        super().__init__(url, settings, **kwargs)
        self._script = list(exchanges)
        self._pos = 0
        self._pending_write = bytearray()
        self._out = bytearray()
        self.line_changes: list[LineSettings] = []
        self.written = bytearray()

    def _open(self) -> None:
        self._release_unprompted()

    def _close(self) -> None:
        pass

    def _apply(self, settings: LineSettings) -> None:
        self.line_changes.append(settings)

    def _release_unprompted(self) -> None:
        while self._pos < len(self._script) and self._script[self._pos][0] is None:
            self._out += self._script[self._pos][1]
            self._pos += 1

    def _write(self, data: bytes) -> None:
        self.written += data
        self._pending_write += data
        while self._pending_write:
            if self._pos >= len(self._script):
                raise AssertionError(f"unexpected write after the script ended: {bytes(data)!r}")
            expected = self._script[self._pos][0]
            assert expected is not None
            n = min(len(expected), len(self._pending_write))
            if bytes(self._pending_write[:n]) != expected[:n]:
                raise AssertionError(
                    f"exchange {self._pos}: expected request {expected!r} "
                    f"({expected.hex(' ')}), got {bytes(self._pending_write)!r} "
                    f"({bytes(self._pending_write).hex(' ')})"
                )
            if n < len(expected):
                return
            del self._pending_write[:n]
            self._out += self._script[self._pos][1]
            self._pos += 1
            self._release_unprompted()

    def _read(self, timeout: float) -> bytes:
        out = bytes(self._out)
        self._out.clear()
        return out

    @property
    def remaining(self) -> list[Exchange]:
        """Exchanges not used yet."""
        return self._script[self._pos :]

    def assert_done(self) -> None:
        """Fail unless every scripted exchange happened and every reply byte was read."""
        if self._pos != len(self._script):
            raise AssertionError(f"{len(self._script) - self._pos} exchange(s) never happened: "
                                 f"next expected {self._script[self._pos][0]!r}")
        if self._pending_write:
            raise AssertionError(f"incomplete request left: {bytes(self._pending_write)!r}")
