"""Logging set-up. Modules log through ``logging.getLogger(__name__)``; only this module adds
handlers (``drivers`` has a ``NullHandler`` so it stays silent inside other programs).

* CLI (:func:`configure_cli`): warnings and errors on stderr; ``-v`` adds info, ``-vv`` debug
  (with tracebacks of the errors the CLI reports); ``--log FILE`` writes everything (debug) to
  ``FILE`` as well.
* GUI (:func:`configure_gui`): a rotating log file ``<user data folder>/logs/witness-bench.log``
  (1 MB × 5 files), info and above, and uncaught exceptions.

Calling a ``configure_*`` function again replaces the handlers it added before (the test-suite
and the demo run ``main`` many times in one process).
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import traceback
from pathlib import Path

from bench_app.paths import private_dir, user_data_dir
from bench_app.textsafe import printable

FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(threadName)s] %(message)s"
#: log file of the GUI, inside the user data folder.
GUI_LOG_NAME = "witness-bench.log"
GUI_LOG_BYTES = 1_000_000
GUI_LOG_BACKUPS = 5
_MARK = "_witness_bench_handler"


class SafeFormatter(logging.Formatter):
    """A formatter that shows control characters of the message as escapes, so data in a message
    (a session reference with a newline, a terminal escape) cannot forge or hide log lines.
    Tracebacks appended after the message keep their own lines."""

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_text  # another handler may have cached its own, unescaped traceback
        record.exc_text = None
        try:
            return super().format(record)
        finally:
            record.exc_text = saved

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = printable(record.message)
        return super().formatMessage(record)

    def formatException(self, ei) -> str:
        """The traceback's frames as Python writes them, its exception line(s) escaped."""
        kind, value, tb = ei
        frames = "".join(traceback.format_tb(tb)) if tb is not None else ""
        last = "".join(traceback.format_exception_only(kind, value)).rstrip("\n")
        head = "Traceback (most recent call last):\n" if frames else ""
        return head + frames + printable(last)


class _Stderr:
    """Writes to whatever ``sys.stderr`` is *now* (pytest and the GUI replace it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text) if sys.stderr else 0

    def flush(self) -> None:
        if sys.stderr:
            sys.stderr.flush()


def _install(handlers: list[logging.Handler], level: int) -> None:
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(old)
        old.close()
    for h in handlers:
        setattr(h, _MARK, True)
        root.addHandler(h)
    root.setLevel(level)


def configure_cli(verbosity: int = 0, log_file: str | Path | None = None) -> None:
    """stderr at WARNING (``verbosity`` 1: INFO, 2+: DEBUG); ``log_file`` at DEBUG, appended."""
    console = logging.StreamHandler(_Stderr())
    console.setLevel(
        logging.DEBUG if verbosity >= 2 else logging.INFO if verbosity == 1 else logging.WARNING
    )
    console.setFormatter(SafeFormatter("%(levelname)s %(name)s: %(message)s"))
    handlers: list[logging.Handler] = [console]
    if log_file is not None:
        path = Path(log_file)
        private_dir(path.parent)
        file = logging.FileHandler(path, encoding="utf-8")
        file.setLevel(logging.DEBUG)
        file.setFormatter(SafeFormatter(FORMAT))
        handlers.append(file)
    _install(handlers, logging.DEBUG if log_file is not None or verbosity >= 2 else console.level)


def gui_log_path(folder: str | Path | None = None) -> Path:
    """Where the GUI logs: ``folder`` or ``<user data folder>/logs``, file :data:`GUI_LOG_NAME`."""
    base = Path(folder) if folder is not None else user_data_dir() / "logs"
    return base / GUI_LOG_NAME


def configure_gui(folder: str | Path | None = None) -> Path:
    """Rotating file log for the GUI (INFO and above) and a hook logging uncaught exceptions.

    :returns: the log file path (shown in the GUI's About/Help so a tester can attach it).
    """
    path = gui_log_path(folder)
    private_dir(path.parent)
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=GUI_LOG_BYTES, backupCount=GUI_LOG_BACKUPS, encoding="utf-8"
    )
    handler.setLevel(logging.INFO)
    handler.setFormatter(SafeFormatter(FORMAT))
    _install([handler], logging.INFO)
    previous = sys.excepthook

    def log_uncaught(kind, value, tb) -> None:
        if not issubclass(kind, KeyboardInterrupt):
            logging.getLogger("ui").critical("uncaught exception", exc_info=(kind, value, tb))
        previous(kind, value, tb)

    if getattr(previous, _MARK, False) is False:
        setattr(log_uncaught, _MARK, True)
        sys.excepthook = log_uncaught
    logging.getLogger(__name__).info("Witness Bench GUI started; log file %s", path)
    return path


def hint_of(exc: BaseException) -> str:
    """The "what to do" advice an error class carries (empty when it has none)."""
    return str(getattr(exc, "hint", "") or "")
