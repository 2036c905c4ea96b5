"""The checklist action registry: template action name → function, with no imports of its own.

Action modules register with :func:`action` when they are imported; :func:`load_actions` imports
every module listed in :data:`ACTION_MODULES` (once) and returns :data:`ACTIONS`. Templates and
the engine ask :func:`load_actions`, so nothing imports the action modules for their side effect
and the registry sits below them (no import loop: actions → context → template → registry).
A new action module is added to :data:`ACTION_MODULES`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

#: the modules whose import registers actions.
ACTION_MODULES = (
    "bench_app.checklist.actions",
    "bench_app.checklist.alarms",
    "bench_app.checklist.cop_actions",
    "bench_app.checklist.equipment_action",
    "bench_app.checklist.asset_meter",
    "bench_app.checklist.witnessed",
)

#: action name (the template's ``action`` field) → ``fn(ActionContext) -> ActionResult``.
ACTIONS: dict[str, Callable[..., Any]] = {}


def action(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: register ``fn`` under ``name`` in :data:`ACTIONS`."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        ACTIONS[name] = fn
        return fn

    return register


def load_actions() -> dict[str, Callable[..., Any]]:
    """Import every action module (idempotent) and return the filled :data:`ACTIONS`."""
    for module in ACTION_MODULES:
        importlib.import_module(module)
    return ACTIONS
