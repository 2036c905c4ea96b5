"""The limits table: every figure a checklist judges by, per CoP issue, with its source.

``resources/cops/`` holds the data (see its README):

* ``figures.toml`` — each figure's name, meaning, unit and ``rule`` (``at_least``: the larger
  value is stricter; ``at_most``: the smaller; ``same``: every CoP must agree);
* ``copN.toml`` — per CoP, ``[[issues]]`` each with ``[issues.figures.NAME]`` tables: ``value``,
  ``clause``, ``source`` and ``confirmed`` (false = NOT CONFIRMED: used, and listed under the
  report's Deviations);
* ``script-*.toml`` — the protocol test scripts' own figures (issue-neutral).

Templates never hold numbers of their own: a step parameter is ``"@NAME"`` and a text says
``{NAME}``. :func:`session_limits` chooses the figures for a session from its CoPs and their
issues (named at ``session new`` or recorded later with ``session set cop-issue`` — both are read
through :func:`bench_app.cops.session_cops`): for each CoP the figure of its issue; across CoPs
the strictest (the figure's rule). A CoP whose issue is not recorded, or not in the table, gets
the strictest figure of the CoP's known issues and the figure is NOT CONFIRMED for the session,
with the reason — never a silent choice.

>>> limits = session_limits(store, session_id)
>>> limits.get("storage_days").value, limits.get("storage_days").confirmed
(20, True)
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from bench_app.cops import cop_text
from bench_app.errors import TemplateError
from bench_app.paths import resource_path

RULES = ("at_least", "at_most", "same")
#: ``{NAME}`` in a template text.
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
#: ``"@NAME"`` as a template parameter value.
REF_PREFIX = "@"
_FIGURE_KEYS = {"value", "clause", "source", "confirmed"}


@dataclass(frozen=True)
class FigureDef:
    """What a figure is (``figures.toml``)."""

    name: str
    meaning: str
    unit: str
    rule: str


@dataclass(frozen=True)
class Figure:
    """One value with its provenance: ``scope`` is a CoP with its Issue (``cop_text``) or the
    script's name."""

    name: str
    value: Any
    clause: str
    source: str
    confirmed: bool
    scope: str


@dataclass
class Resolved:
    """A figure chosen for a session: the value, where it comes from, and whether it is sourced.

    :param basis: ``"<CoP and Issue>: clause …; source …"`` for each figure that gave the value.
    :param notes: why the figure is NOT CONFIRMED for this session (empty when confirmed).
    """

    name: str
    value: Any
    unit: str
    confirmed: bool
    basis: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def text(self) -> str:
        """The value as a template text shows it (``30/20/15/10/5``, ``0.1``, ``20``)."""
        return value_text(self.value)

    def to_json(self) -> dict:
        return {"value": self.value, "unit": self.unit, "confirmed": self.confirmed,
                "basis": list(self.basis), "notes": list(self.notes)}  # fmt: skip


def value_text(value: Any) -> str:
    if isinstance(value, list):
        return "/".join(value_text(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def limits_dir() -> Path:
    return resource_path("cops")


class LimitsTable:
    """The parsed ``resources/cops`` folder (see the module docstring)."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or limits_dir()
        self.defs: dict[str, FigureDef] = {}
        #: CoP number → issue → name → Figure
        self.cops: dict[str, dict[str, dict[str, Figure]]] = {}
        #: name → Figure of a protocol script (issue-neutral)
        self.script: dict[str, Figure] = {}
        self._load()

    def _read(self, path: Path) -> dict:
        try:
            return tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise TemplateError(f"limits table {path.name}: cannot read: {exc}") from None

    def _figure(self, path: Path, name: str, raw: Any, scope: str) -> Figure:
        where = f"limits table {path.name}: figure {name!r} ({scope})"
        if name not in self.defs:
            raise TemplateError(f"{where}: not defined in figures.toml")
        if not isinstance(raw, dict) or "value" not in raw:
            raise TemplateError(f"{where}: needs a value")
        unknown = set(raw) - _FIGURE_KEYS
        if unknown:
            raise TemplateError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        for key in ("clause", "source"):
            if not str(raw.get(key, "")).strip():
                raise TemplateError(f"{where}: needs a {key} (say NOT CONFIRMED where unknown)")
        confirmed = bool(raw.get("confirmed", True))
        if confirmed and "NOT CONFIRMED" in str(raw["source"]):
            raise TemplateError(f"{where}: source says NOT CONFIRMED; set confirmed = false")
        return Figure(name, raw["value"], str(raw["clause"]), str(raw["source"]), confirmed,
                      scope)  # fmt: skip

    def _load(self) -> None:
        defs = self._read(self.folder / "figures.toml")
        for name, d in defs.items():
            if d.get("rule") not in RULES:
                raise TemplateError(f"limits table figures.toml: {name}: rule must be one of "
                                    f"{', '.join(RULES)}")  # fmt: skip
            self.defs[name] = FigureDef(name, str(d.get("meaning", "")), str(d.get("unit", "")),
                                        d["rule"])  # fmt: skip
        for path in sorted(self.folder.glob("cop*.toml")):
            data = self._read(path)
            cop = str(data.get("cop", "")).strip()
            if not cop:
                raise TemplateError(f"limits table {path.name}: missing 'cop'")
            for issue in data.get("issues") or []:
                number = str(issue.get("issue", "")).strip()
                if not number:
                    raise TemplateError(f"limits table {path.name}: an [[issues]] lacks 'issue'")
                scope = cop_text(cop, number)
                self.cops.setdefault(cop, {})[number] = {
                    name: self._figure(path, name, raw, scope)
                    for name, raw in (issue.get("figures") or {}).items()
                }
        for path in sorted(self.folder.glob("script-*.toml")):
            data = self._read(path)
            scope = str(data.get("title") or data.get("script") or path.stem)
            for name, raw in (data.get("figures") or {}).items():
                if name in self.script:
                    raise TemplateError(f"limits table {path.name}: {name} defined twice")
                self.script[name] = self._figure(path, name, raw, scope)

    def names(self) -> set[str]:
        return set(self.defs)

    def resolve(self, name: str, cops: list[tuple[str, str]]) -> Resolved:
        """The figure ``name`` for a session of ``cops`` ((CoP, issue) pairs; issue may be "")."""
        if name not in self.defs:
            raise TemplateError(f"no figure {name!r} in the limits table (resources/cops)")
        d = self.defs[name]
        if name in self.script:
            f = self.script[name]
            res = Resolved(name, f.value, d.unit, f.confirmed, [_basis(f)])
            if not f.confirmed:
                res.notes.append(f"{f.scope}: {f.source}")
            return res
        chosen: list[Figure] = []
        notes: list[str] = []
        for cop, issue in cops:
            issues = self.cops.get(cop, {})
            known = [figs[name] for figs in issues.values() if name in figs]
            if issue and name in issues.get(issue, {}):
                chosen.append(issues[issue][name])
                continue
            if not known:
                notes.append(f"{cop_text(cop, issue)} has no {name} in the limits table")
                continue
            chosen.append(_strictest(d, known))
            listed = ", ".join(sorted(issues))
            notes.append(
                f"CoP {cop}: issue not recorded (session set cop-issue {cop}:ISSUE); the "
                f"strictest of the table's issues ({listed}) is used" if not issue else
                f"{cop_text(cop, issue)} is not in the limits table (issues {listed}); the "
                "strictest of those is used"
            )  # fmt: skip
        if not chosen:
            every = [figs[name] for iss in self.cops.values() for figs in iss.values()
                     if name in figs]  # fmt: skip
            if not every:
                raise TemplateError(f"no value of {name!r} in the limits table (resources/cops)")
            chosen = [_strictest(d, every)]
            if not cops:
                notes.append("the session names no Code of Practice; the strictest figure of "
                             "the limits table is used")  # fmt: skip
        best = _strictest(d, chosen)
        values = {repr(f.value) for f in chosen}
        if d.rule == "same" and len(values) > 1:
            notes.append(f"the session's CoPs give different values ({', '.join(sorted(values))})")
        for f in chosen:
            if not f.confirmed:
                notes.append(f"{f.scope}: {f.source}")
        basis = [_basis(f) for f in chosen]
        return Resolved(name, best.value, d.unit, not notes, list(dict.fromkeys(basis)),
                        list(dict.fromkeys(notes)))  # fmt: skip


def _basis(f: Figure) -> str:
    return f"{f.scope}: {f.clause}; source: {f.source}"


def _strictest(d: FigureDef, figures: list[Figure]) -> Figure:
    if d.rule == "at_least":
        return max(figures, key=lambda f: f.value)
    if d.rule == "at_most":
        return min(figures, key=lambda f: f.value)
    return figures[0]


@lru_cache(maxsize=1)
def table() -> LimitsTable:
    """The bundled limits table (read once)."""
    return LimitsTable()


class SessionLimits:
    """The figures of one session (:func:`session_limits`); resolved on first use."""

    def __init__(self, cops: list[tuple[str, str]], limits: LimitsTable | None = None) -> None:
        self.cops = cops
        self.table = limits or table()
        self._cache: dict[str, Resolved] = {}

    def get(self, name: str) -> Resolved:
        if name not in self._cache:
            self._cache[name] = self.table.resolve(name, self.cops)
        return self._cache[name]


def session_limits(store: Any, session_id: int) -> SessionLimits:
    """The figures for ``session_id``: its CoPs with the issues named at creation or recorded with
    ``session set cop-issue``."""
    from bench_app.cops import session_cops

    records = store.session_records(session_id) if hasattr(store, "session_records") else {}
    return SessionLimits(session_cops(store.get_session(session_id), records))


def references(value: Any) -> list[str]:
    """The figure names a template value refers to (``"@name"`` or ``{name}`` in a text)."""
    if isinstance(value, str):
        if value.startswith(REF_PREFIX):
            return [value[len(REF_PREFIX):]]
        return PLACEHOLDER.findall(value)
    if isinstance(value, list):
        return [n for v in value for n in references(v)]
    if isinstance(value, dict):
        return [n for v in value.values() for n in references(v)]
    return []


def resolve_value(value: Any, limits: SessionLimits) -> Any:
    """``"@name"`` → the figure's value; ``{name}`` in a text → its text; others unchanged."""
    if isinstance(value, str):
        if value.startswith(REF_PREFIX):
            return limits.get(value[len(REF_PREFIX):]).value
        return PLACEHOLDER.sub(lambda m: limits.get(m.group(1)).text(), value)
    if isinstance(value, list):
        return [resolve_value(v, limits) for v in value]
    if isinstance(value, dict):
        return {k: resolve_value(v, limits) for k, v in value.items()}
    return value
