"""Checklist templates: TOML data files in ``resources/checklists/``, validated with line numbers.

A template is a witness's script: a name, a title, a version, the protocols it applies to and an
ordered list of steps. Each step has an ``id``, ``title``, ``objective``, ``method``, ``expected``
and a ``kind``:

* ``automatic`` — the bench runs the named ``action`` and proposes the verdict;
* ``stimulus`` — something is done to the meter (through bench control on a simulator, by the
  tester on a real meter), then the bench reads back the evidence (also an ``action``);
* ``manual`` — the tester types the actual result and the verdict;
* ``attachment`` — a file or photo is attached (hashed by the store).

Optional step fields: ``requires`` (protocol names such as ``"dlms"`` or capabilities such as
``"set_clock"``; a step whose requirement the meter lacks is recorded ``na`` with the reason),
``fitted`` (a "(where fitted)" test: the declared capability it needs, see
:mod:`bench_app.capabilities`),
``na_reason`` (text used for that reason) and ``params`` (a table of numbers and texts given to the
action — tolerances, days, clock offsets in minutes).

Optional top-level fields: ``session_kind`` / ``session_kinds`` (the session kinds the template
serves) and ``cops`` (the Codes of Practice with their issues it serves, e.g. ``"CoP 5 Issue 6"``;
empty: any). :meth:`Template.mismatches` says why a template does not serve a session; the engine
refuses to start such a run unless an override is recorded (a deviation in the report).

``tomllib`` gives no line numbers, so :class:`LineLocator` scans the text for ``[[steps]]`` headers
and ``key =`` lines to turn a key path (``steps[3].kind``) into a line number for the error.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench_app.checklist.registry import load_actions
from bench_app.errors import TemplateError
from bench_app.paths import resource_path

KINDS = ("automatic", "stimulus", "manual", "attachment")
#: Session kinds a template can serve (as :data:`bench_app.store.sessions.KINDS`).
SESSION_KINDS = ("protocol-approval", "cop-compliance")
TOP_REQUIRED = ("name", "title", "version", "applies_to", "steps")
STEP_REQUIRED = ("id", "title", "objective", "method", "expected", "kind")
STEP_OPTIONAL = ("action", "requires", "na_reason", "params", "fitted")
TOP_OPTIONAL = ("session_kind", "session_kinds", "cops", "description", "run_kind")
#: What a protocol-approval run is: the HHDC's system under test, observed and judged on its own
#: evidence (``witnessed``), or the bench collecting from the meter itself (``rehearsal``): only a
#: witnessed run can give a protocol approval its PASS.
RUN_KINDS = ("witnessed", "rehearsal")

_HEADER = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_.\-]+)\s*\]\]\s*(#.*)?$")
_TABLE = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\-]+)\s*\]\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+|\"[^\"]*\")\s*=")


class LineLocator:
    """Map key paths of a parsed TOML document to line numbers (1-based) in its text.

    Supports what the templates use: top-level keys, ``[[steps]]`` arrays of tables and their
    sub-tables (``[steps.params]``). Unknown paths fall back to the nearest enclosing table's line.
    """

    def __init__(self, text: str) -> None:
        self._lines: dict[str, int] = {}
        counters: dict[str, int] = {}
        prefix = ""  # current table path, e.g. "steps[3]" or "steps[3].params"
        for number, line in enumerate(text.splitlines(), start=1):
            header = _HEADER.match(line)
            if header:
                name = header.group(1)
                index = counters.get(name, 0)
                counters[name] = index + 1
                prefix = f"{name}[{index}]"
                self._lines.setdefault(prefix, number)
                continue
            table = _TABLE.match(line)
            if table:
                parts = table.group(1).split(".")
                # [steps.params] inside the latest [[steps]] → steps[N].params
                head = parts[0]
                if head in counters:
                    prefix = ".".join([f"{head}[{counters[head] - 1}]", *parts[1:]])
                else:
                    prefix = table.group(1)
                self._lines.setdefault(prefix, number)
                continue
            key = _KEY.match(line)
            if key:
                name = key.group(1).strip('"')
                path = f"{prefix}.{name}" if prefix else name
                self._lines.setdefault(path, number)

    def line(self, path: str) -> int:
        """Line of ``path`` (``"steps[2].kind"``), else of its closest parent; 1 when unknown."""
        while path:
            if path in self._lines:
                return self._lines[path]
            if "." in path:
                path = path.rsplit(".", 1)[0]
            elif "[" in path:
                path = path.split("[", 1)[0]
            else:
                break
        return self._lines.get(path, 1)


@dataclass(frozen=True)
class Step:
    """One checklist step (see the module docstring for the fields)."""

    id: str
    title: str
    objective: str
    method: str
    expected: str
    kind: str
    action: str | None = None
    requires: tuple[str, ...] = ()
    na_reason: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    line: int = 0
    #: "(where fitted)": the capability (bench_app.capabilities) the step needs; n/a when the
    #: session declares it not fitted, never n/a when declared fitted
    fitted: str = ""
    #: figures of the limits table the step refers to, as chosen for the session
    #: (:meth:`Template.resolved`): name → :meth:`bench_app.limits.Resolved.to_json`
    limits: dict[str, Any] = field(default_factory=dict)

    def references(self) -> list[str]:
        """Names of the limits-table figures the step's texts and params refer to."""
        from bench_app.limits import references

        texts = [self.title, self.objective, self.method, self.expected, self.na_reason]
        return list(dict.fromkeys(references(texts) + references(self.params)))


@dataclass(frozen=True)
class Template:
    """A parsed, validated template. ``source`` is the file it came from."""

    name: str
    title: str
    version: str
    applies_to: tuple[str, ...]
    steps: tuple[Step, ...]
    session_kind: str = ""
    cops: tuple[str, ...] = ()
    source: str = ""
    #: session kinds the template serves (``session_kind`` plus ``session_kinds``; empty: any)
    session_kinds: tuple[str, ...] = ()
    #: :data:`RUN_KINDS` ("" for templates that are neither, e.g. CoP compliance)
    run_kind: str = ""

    def resolved(self, limits: Any) -> Template:
        """This template with every ``@name`` / ``{name}`` replaced by the session's figure
        (``limits``: :class:`bench_app.limits.SessionLimits`); each step's :attr:`Step.limits`
        says which figures it used and where they come from."""
        from dataclasses import replace

        from bench_app.limits import resolve_value

        steps = []
        for s in self.steps:
            steps.append(replace(
                s,
                title=resolve_value(s.title, limits),
                objective=resolve_value(s.objective, limits),
                method=resolve_value(s.method, limits),
                expected=resolve_value(s.expected, limits),
                na_reason=resolve_value(s.na_reason, limits),
                params=resolve_value(s.params, limits),
                limits={n: limits.get(n).to_json() for n in s.references()},
            ))  # fmt: skip
        return replace(self, title=resolve_value(self.title, limits), steps=tuple(steps))

    def mismatches(self, session: dict, records: dict | None = None) -> list[str]:
        """Why this template does not serve ``session`` (kind, cops); empty when it does.

        A session CoP must be one of the template's (when it names any); when both state an
        issue, the issues must agree. The session's issue is the one named at creation or
        recorded later (``session set cop-issue``, in ``records``): both are checked. A session
        CoP without an issue is not refused for it (its figures are NOT CONFIRMED instead).
        """
        from bench_app.cops import cop_ref_lenient, cop_text, session_cops

        out = []
        kind = str(session.get("kind") or "")
        if self.session_kinds and kind not in self.session_kinds:
            out.append(f"it serves {' / '.join(self.session_kinds)} sessions, not {kind}")
        mine = [r for r in (cop_ref_lenient(c) for c in self.cops) if r]
        if mine:
            for cop, issue in session_cops(session, records):
                issues = {i for c, i in mine if c == cop}
                if not issues:
                    out.append(f"it does not serve CoP {cop}")
                elif issue and "" not in issues and issue not in issues:
                    held = ", ".join(cop_text(cop, i) for i in sorted(issues))
                    out.append(f"it serves {held}, not {cop_text(cop, issue)}")
        return out

    def step(self, step_id: str) -> Step:
        """The step called ``step_id``; :class:`TemplateError` when there is none."""
        for step in self.steps:
            if step.id == step_id:
                return step
        known = ", ".join(s.id for s in self.steps)
        raise TemplateError(f"template {self.name}: no step {step_id!r} (steps: {known})")


def templates_dir() -> Path:
    """The folder of bundled templates (``resources/checklists``)."""
    return resource_path("checklists")


def parse_template(
    text: str, filename: str = "<template>", actions: set[str] | None = None
) -> Template:
    """Parse and validate template text; every error names ``filename:line`` and the field.

    :param actions: known action names (default: every registered action,
        :func:`bench_app.checklist.registry.load_actions`).
    """
    if actions is None:
        actions = set(load_actions())
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = match.group(1) if match else "1"
        raise TemplateError(f"{filename}:{line}: not valid TOML: {exc}") from None
    loc = LineLocator(text)

    def fail(path: str, message: str) -> TemplateError:
        return TemplateError(f"{filename}:{loc.line(path)}: {message}")

    for key in TOP_REQUIRED:
        if key not in data:
            raise fail(key, f"missing field {key!r}")
    for key in data:
        if key not in TOP_REQUIRED + TOP_OPTIONAL:
            raise fail(key, f"unknown field {key!r}")
    for key in ("name", "title", "version"):
        if not isinstance(data[key], str) or not data[key].strip():
            raise fail(key, f"field {key!r} must be a non-empty text")
    applies = data["applies_to"]
    if not isinstance(applies, list) or not applies or not all(isinstance(p, str) for p in applies):
        raise fail("applies_to", "field 'applies_to' must be a non-empty list of protocol names")
    cops = data.get("cops", [])
    if not isinstance(cops, list) or not all(isinstance(c, str) for c in cops):
        raise fail("cops", "field 'cops' must be a list of texts such as 'CoP 5 Issue 6'")
    from bench_app.cops import cop_ref

    for c in cops:
        try:
            cop_ref(c)
        except ValueError as exc:
            raise fail("cops", f"field 'cops': {exc}") from None
    kinds = data.get("session_kinds", [])
    if not isinstance(kinds, list) or not all(k in SESSION_KINDS for k in kinds):
        raise fail("session_kinds", "field 'session_kinds' must list session kinds from "
                   + ", ".join(SESSION_KINDS))  # fmt: skip
    if data.get("run_kind") and data["run_kind"] not in RUN_KINDS:
        raise fail("run_kind", f"field 'run_kind' must be one of {', '.join(RUN_KINDS)}")
    if data.get("session_kind") and data["session_kind"] not in SESSION_KINDS:
        raise fail("session_kind",
                   f"field 'session_kind' must be one of {', '.join(SESSION_KINDS)}")  # fmt: skip
    steps_data = data["steps"]
    if not isinstance(steps_data, list) or not steps_data:
        raise fail("steps", "field 'steps' must be a non-empty array of [[steps]] tables")

    steps: list[Step] = []
    seen: set[str] = set()
    for index, raw in enumerate(steps_data):
        base = f"steps[{index}]"
        label = f"step {raw.get('id')}" if isinstance(raw.get("id"), str) else f"step #{index + 1}"
        for key in STEP_REQUIRED:
            if key not in raw:
                raise fail(base, f"{label}: missing field {key!r}")
            if not isinstance(raw[key], str) or not raw[key].strip():
                raise fail(f"{base}.{key}", f"{label}: field {key!r} must be a non-empty text")
        for key in raw:
            if key not in STEP_REQUIRED + STEP_OPTIONAL:
                raise fail(f"{base}.{key}", f"{label}: unknown field {key!r}")
        if raw["id"] in seen:
            raise fail(f"{base}.id", f"{label}: duplicate step id {raw['id']!r}")
        seen.add(raw["id"])
        kind = raw["kind"]
        if kind not in KINDS:
            raise fail(
                f"{base}.kind",
                f"{label}: unknown step kind {kind!r} in field 'kind' "
                f"(choose from {', '.join(KINDS)})",
            )
        action = raw.get("action")
        if kind in ("automatic", "stimulus"):
            if not action:
                raise fail(base, f"{label}: missing field 'action' (required for {kind} steps)")
            if action not in actions:
                raise fail(
                    f"{base}.action",
                    f"{label}: unknown action {action!r} in field 'action' "
                    f"(known: {', '.join(sorted(actions))})",
                )
        elif action is not None:
            raise fail(f"{base}.action", f"{label}: field 'action' is only for automatic/stimulus")
        requires = raw.get("requires", [])
        if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
            raise fail(f"{base}.requires", f"{label}: field 'requires' must be a list of texts")
        params = raw.get("params", {})
        if not isinstance(params, dict):
            raise fail(f"{base}.params", f"{label}: field 'params' must be a table")
        na_reason = raw.get("na_reason", "")
        if not isinstance(na_reason, str):
            raise fail(f"{base}.na_reason", f"{label}: field 'na_reason' must be a text")
        fitted = raw.get("fitted", "")
        from bench_app.capabilities import CAPABILITIES

        if fitted and fitted not in CAPABILITIES:
            raise fail(f"{base}.fitted", f"{label}: field 'fitted': unknown capability "
                       f"{fitted!r} (known: {', '.join(CAPABILITIES)})")  # fmt: skip
        from bench_app.limits import references, table

        known = table().names()
        for key in (*STEP_REQUIRED, "na_reason", "params"):
            for name in references(raw.get(key, "")):
                if name not in known:
                    raise fail(f"{base}.{key}", f"{label}: field {key!r} refers to {name!r}, "
                               "which is not in the limits table (resources/cops/figures.toml)")
        steps.append(
            Step(
                id=raw["id"],
                title=raw["title"],
                objective=raw["objective"],
                method=raw["method"],
                expected=raw["expected"],
                kind=kind,
                action=action,
                requires=tuple(requires),
                na_reason=na_reason,
                params=dict(params),
                line=loc.line(base),
                fitted=str(fitted),
            )
        )
    return Template(
        name=data["name"],
        title=data["title"],
        version=data["version"],
        applies_to=tuple(applies),
        steps=tuple(steps),
        session_kind=str(data.get("session_kind", "")),
        cops=tuple(str(c) for c in data.get("cops", [])),
        source=filename,
        session_kinds=tuple(dict.fromkeys(
            [k for k in [data.get("session_kind", "")] if k] + list(kinds)
        )),  # fmt: skip
        run_kind=str(data.get("run_kind", "")),
    )


def load_template(path: str | Path) -> Template:
    """Read and validate a template file (:class:`TemplateError` naming file:line on problems)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TemplateError(f"{path}: cannot read template: {exc.strerror or exc}") from None
    return parse_template(text, path.name)


def list_templates(folder: str | Path | None = None) -> list[Path]:
    """Template files in ``folder`` (default: the bundled ones), sorted by name."""
    folder = Path(folder) if folder else templates_dir()
    return sorted(folder.glob("*.toml"))


def find_template(name_or_path: str, folder: str | Path | None = None) -> Template:
    """Load a template by name (``cop-compliance-core``) or by path to a ``.toml`` file."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" and candidate.exists():
        return load_template(candidate)
    for path in list_templates(folder):
        if path.stem == name_or_path:
            return load_template(path)
    names = ", ".join(p.stem for p in list_templates(folder))
    raise TemplateError(f"no checklist template {name_or_path!r} (available: {names})")


#: Step fields a frozen template keeps (what the report prints and the verdict reads).
FROZEN_STEP_FIELDS = ("id", "title", "objective", "method", "expected", "kind", "action",
                      "na_reason", "fitted", "params", "limits")  # fmt: skip


def freeze(template: Template) -> dict:
    """The template as a run uses it (texts and figures resolved for the session) → a JSON-able
    dict stored with the run (:meth:`bench_app.store.Store.start_checklist_run`)."""
    return {
        "name": template.name,
        "title": template.title,
        "version": template.version,
        "cops": list(template.cops),
        "source": template.source,
        "steps": [{k: getattr(s, k) for k in FROZEN_STEP_FIELDS} for s in template.steps],
        **({"run_kind": template.run_kind} if template.run_kind else {}),
    }


def thaw(frozen: dict) -> Template:
    """A :class:`Template` back from :func:`freeze`'s dict (steps as they were run)."""
    steps = tuple(
        Step(
            id=str(s["id"]), title=str(s.get("title", "")), objective=str(s.get("objective", "")),
            method=str(s.get("method", "")), expected=str(s.get("expected", "")),
            kind=str(s.get("kind", "")), action=s.get("action"),
            na_reason=str(s.get("na_reason", "")), fitted=str(s.get("fitted", "")),
            params=dict(s.get("params") or {}), limits=dict(s.get("limits") or {}),
        )
        for s in frozen.get("steps") or []
    )  # fmt: skip
    return Template(
        name=str(frozen.get("name", "")), title=str(frozen.get("title", "")),
        version=str(frozen.get("version", "")), applies_to=(), steps=steps,
        cops=tuple(frozen.get("cops") or ()), source=str(frozen.get("source", "")),
        run_kind=str(frozen.get("run_kind", "")),
    )  # fmt: skip
