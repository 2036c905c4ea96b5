"""Which checklist steps are running right now in this process, per session.

The engine marks a step while it runs (:func:`step_running`); signing asks
(:func:`running_step`) and refuses while a step of the session is still running, since locking
would make the step's result unrecordable. Keyed by the database file and session id.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_LOCK = threading.Lock()
_RUNNING: dict[tuple[str, int], list[str]] = {}


def _key(store: Any, session_id: int) -> tuple[str, int]:
    path = getattr(store, "path", None)
    return (str(Path(path).resolve()) if path is not None else f"id:{id(store)}", int(session_id))


@contextlib.contextmanager
def step_running(store: Any, session_id: int, step_id: str) -> Iterator[None]:
    """Mark ``step_id`` of the session as running for the duration of the ``with`` block."""
    key = _key(store, session_id)
    with _LOCK:
        _RUNNING.setdefault(key, []).append(step_id)
    try:
        yield
    finally:
        with _LOCK:
            steps = _RUNNING.get(key, [])
            if step_id in steps:
                steps.remove(step_id)
            if not steps:
                _RUNNING.pop(key, None)


def running_step(store: Any, session_id: int) -> str | None:
    """The step of the session running now (the first of several), else None."""
    with _LOCK:
        steps = _RUNNING.get(_key(store, session_id))
        return steps[0] if steps else None
