"""Witnessing checklists: templates as data (``resources/checklists/*.toml``), the actions the
bench runs by itself, and the engine that records every step's attempts in the session store."""

from bench_app.checklist.context import ActionContext, ActionResult, StepAborted
from bench_app.checklist.engine import ChecklistEngine, StepOutcome
from bench_app.checklist.registry import load_actions
from bench_app.checklist.template import (
    Step,
    Template,
    find_template,
    list_templates,
    load_template,
    parse_template,
)

ACTIONS = load_actions()

__all__ = [
    "ACTIONS",
    "ActionContext",
    "ActionResult",
    "ChecklistEngine",
    "Step",
    "StepAborted",
    "StepOutcome",
    "Template",
    "find_template",
    "list_templates",
    "load_template",
    "parse_template",
]
