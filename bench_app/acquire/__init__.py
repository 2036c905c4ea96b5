"""Reading meters into sessions: one acquisition service for the CLI, demo, checklist and GUI.

* :mod:`bench_app.acquire.service` — :class:`Acquisition`, the small operations (identity, clock,
  set clock, registers, events, profile, instantaneous) with ``on_block``, ``progress`` and
  ``should_stop`` hooks; each block stored with its bytes in one transaction.
* :mod:`bench_app.acquire.session` — :func:`read_into_session`, a whole resumable read.
"""

from __future__ import annotations

from bench_app.acquire.service import (
    Acquisition,
    Block,
    BlockHook,
    ProgressHook,
    StopHook,
    resume_segments,
    stop_reason,
)
from bench_app.acquire.session import (
    AcquireResult,
    acquire_all,
    collection_range,
    find_resumable,
    read_into_session,
)

__all__ = [
    "AcquireResult",
    "Acquisition",
    "acquire_all",
    "collection_range",
    "Block",
    "BlockHook",
    "ProgressHook",
    "StopHook",
    "find_resumable",
    "read_into_session",
    "resume_segments",
    "stop_reason",
]
