"""Installed-base coverage: which share of the base the tested combinations cover, and which
combinations to test next to reach a target share.

Units: counts are installed outstations (non-negative integers); shares are fractions 0–1.

This is the *planner* (which combinations to test next): a tested combination is taken to cover
its whole equivalence class. Hardware-only equivalence is only a claim until assessed, so the
result also splits the covered count into ``exact_tested``, ``assessed`` and ``unassessed``;
:mod:`bench_app.equipment.shares` reports dated snapshots with those shares kept apart.

A tested combination covers its whole equivalence class (combinations differing only in hardware
version) plus the classes of the variants it was *claimed* to cover (``covers`` column of the
base file, or the sessions' variant claims in the register). Without claims the classes are
disjoint and picking the largest uncovered class first is optimal. With claims, coverage sets
overlap and choosing the fewest combinations is a weighted set-cover problem: the greedy answer
(most newly covered installations first) is then *not always the smallest*. For inputs of at most
:data:`EXACT_LIMIT` equivalence classes the exact minimum is also computed by brute force
(subsets in increasing size) and both answers are reported.

Base CSV: header with ``combination`` (or ``key``) and ``count``; optional ``outstation_type``,
``model``, ``metrology``, ``application``, ``communications``, ``hardware_version`` (when given,
the row's equivalence class comes from them; otherwise the key is looked up in the register) and
``covers`` (``;``-separated keys the combination is claimed to cover).
"""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass, field
from pathlib import Path

from bench_app.equipment import fields as F
from bench_app.equipment.register import Combination
from bench_app.errors import DataImportError, NotFoundError, UsageError

#: Brute force is run when there are at most this many equivalence classes.
EXACT_LIMIT = 20
_OPTIONAL = ("outstation_type", "model", *F.FIRMWARE_PARTS, "hardware_version", "covers")


@dataclass
class BaseEntry:
    """One row of the installed base: a combination key, its count and its equivalence class."""

    key: str
    count: int
    class_key: tuple[str, ...]
    covers: set[str] = field(default_factory=set)
    line: int = 0


@dataclass
class Suggestion:
    """A set of combinations to add: representative keys, and the share reached with them."""

    keys: list[str]
    share: float
    covered: int

    def to_json(self) -> dict:
        return {"keys": self.keys, "size": len(self.keys), "share": self.share,
                "covered": self.covered}  # fmt: skip


@dataclass
class CoverageResult:
    """What :func:`analyse` found. Shares are fractions of ``total`` (0 when the base is empty)."""

    total: int
    tested: list[str]
    covered: int
    share: float
    covered_keys: list[str]
    target: float
    greedy: Suggestion
    exact: Suggestion | None = None
    exact_note: str = ""
    reachable: bool = True
    #: installations of exactly the tested combinations
    exact_tested: int = 0
    #: installations covered through an *assessed* equivalence (register) to a tested one
    assessed: int = 0

    @property
    def unassessed(self) -> int:
        """Covered only by hardware-only equivalence or a variant claim nobody assessed."""
        return self.covered - self.exact_tested - self.assessed

    def to_json(self) -> dict:
        return {
            "exact_tested": self.exact_tested,
            "assessed": self.assessed,
            "unassessed": self.unassessed,
            "total": self.total,
            "tested": self.tested,
            "covered": self.covered,
            "share": self.share,
            "covered_keys": self.covered_keys,
            "target": self.target,
            "reachable": self.reachable,
            "greedy": self.greedy.to_json(),
            "exact": self.exact.to_json() if self.exact else None,
            "exact_note": self.exact_note,
        }


def load_base(path: str | Path, register=None) -> list[BaseEntry]:
    """Read an installed-base CSV (see the module docstring).

    :param register: a :class:`~bench_app.equipment.Register` to resolve keys without firmware
        columns and to add the sessions' variant claims; None for a self-contained file.
    :raises DataImportError: unreadable file or bad rows, listed as ``file:line: reason``.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataImportError(f"{path}: cannot read as UTF-8 CSV: {exc}") from None
    return parse_base(text, str(path), register)


def parse_base(text: str, name: str = "<base>", register=None) -> list[BaseEntry]:
    """:func:`load_base` on CSV text."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    cols = {(h or "").strip().lower(): h for h in reader.fieldnames or []}
    keycol = cols.get("combination") or cols.get("key")
    if keycol is None or "count" not in cols:
        raise DataImportError(f"{name}:1: needs columns 'combination' (or 'key') and 'count'")
    errors: list[str] = []
    out: list[BaseEntry] = []
    seen: dict[str, int] = {}
    claims = register.variant_claims() if register is not None else {}
    prev = reader.line_num
    for row in reader:
        line, prev = prev + 1, reader.line_num
        get = {k: str(row.get(h) or "").strip() for k, h in cols.items()}
        key = get[keycol.strip().lower()]
        if not any(get.values()):
            continue
        try:
            if not key:
                raise ValueError("empty combination key")
            if key in seen:
                raise ValueError(f"combination {key!r} repeats line {seen[key]}")
            try:
                count = int(get["count"])
            except ValueError:
                raise ValueError(f"count {get['count']!r} is not a whole number") from None
            if count < 0:
                raise ValueError(f"count {count} is negative")
            class_key = _class_of(key, get, register)
        except (ValueError, UsageError) as exc:
            errors.append(f"{name}:{line}: {exc}")
            continue
        seen[key] = line
        covers = {c.strip() for c in get.get("covers", "").split(";") if c.strip()}
        out.append(BaseEntry(key, count, class_key, covers | claims.get(key, set()), line))
    if errors:
        raise DataImportError(f"{name}: {len(errors)} bad row(s):\n" + "\n".join(errors[:50]))
    return out


def _class_of(key: str, get: dict[str, str], register) -> tuple[str, ...]:
    if get.get("outstation_type") or get.get("model"):
        fw = {p: get.get(p, "") for p in F.FIRMWARE_PARTS}
        combo = Combination(0, key, F.type_code(get.get("outstation_type", "")),
                            F.required(get.get("model"), "model"), fw,
                            get.get("hardware_version", ""))  # fmt: skip
        return combo.class_key
    if register is None:
        raise ValueError(f"combination {key!r} has no firmware columns and no register to look in")
    try:
        return register.combination(key).class_key
    except NotFoundError:
        raise ValueError(
            f"combination {key!r} is not in the register and the row has no firmware columns"
        ) from None


def analyse(
    base: list[BaseEntry], tested: list[str], target: float = 0.8, register=None
) -> CoverageResult:
    """Share covered by ``tested`` and the smallest additions reaching ``target`` (0–1).

    :raises UsageError: target outside 0–1, or a tested key neither in the base nor the register.
    """
    if not 0.0 <= target <= 1.0:
        raise UsageError(f"target share {target} must be between 0 and 1 (e.g. 0.8)")
    by_key = {e.key: e for e in base}
    classes = sorted({e.class_key for e in base})
    index = {c: i for i, c in enumerate(classes)}
    weight = [0] * len(classes)
    for e in base:
        weight[index[e.class_key]] += e.count
    total = sum(weight)

    def class_of(key: str) -> tuple[str, ...] | None:
        if key in by_key:
            return by_key[key].class_key
        if register is not None:
            try:
                return register.combination(key).class_key
            except NotFoundError:
                return None
        return None

    # coverage mask of each class: itself plus the classes of every claimed variant
    cover: dict[tuple[str, ...], int] = {}
    claims = register.variant_claims() if register is not None else {}
    for e in base:
        mask = cover.get(e.class_key, 1 << index[e.class_key])
        for k in e.covers:
            c = class_of(k)
            if c in index:
                mask |= 1 << index[c]
        cover[e.class_key] = mask
    tested_mask = 0
    for key in tested:
        c = class_of(key)
        if c is None:
            raise UsageError(f"tested combination {key!r} is neither in the base nor the register")
        mask = cover.get(c, 1 << index[c] if c in index else 0)
        for k in claims.get(key, set()):
            kc = class_of(k)
            if kc in index:
                mask |= 1 << index[kc]
        tested_mask |= mask

    # weight of a class mask by 8-bit table look-ups (brute force calls this a million times)
    tables = [
        (shift, [sum(weight[shift + j] for j in range(8) if m >> j & 1 and shift + j < len(weight))
                 for m in range(256)])
        for shift in range(0, len(weight), 8)
    ]  # fmt: skip

    def wsum(mask: int) -> int:
        return sum(t[(mask >> s) & 255] for s, t in tables)

    def share(mask: int) -> float:
        return wsum(mask) / total if total else 0.0

    rep = {c: max((e for e in base if e.class_key == c), key=lambda e: (e.count, e.key)).key
           for c in classes}  # fmt: skip
    cands = sorted((rep[c], cover[c]) for c in classes if cover[c] & ~tested_mask)
    full = tested_mask
    for _, m in cands:
        full |= m
    reachable = share(full) + 1e-12 >= target

    # greedy: most newly covered installations first (ties: smaller key)
    chosen, mask = [], tested_mask
    while share(mask) + 1e-12 < target:
        best, gain = None, 0
        for cand in cands:  # sorted by key: the first of equal gains wins
            g = wsum(cand[1] & ~mask)
            if g > gain:
                best, gain = cand, g
        if best is None:
            break
        chosen.append(best[0])
        mask |= best[1]
    greedy = Suggestion(chosen, share(mask), wsum(mask))

    exact, note = None, ""
    if len(classes) > EXACT_LIMIT:
        note = f"exact minimum not computed: {len(classes)} classes > {EXACT_LIMIT}"
    elif not reachable:
        note = "target cannot be reached with the combinations in the base"
    else:
        exact = _exact(cands, tested_mask, target, share, wsum)
        if exact is not None and len(exact.keys) < len(greedy.keys):
            note = f"greedy needs {len(greedy.keys)}, the exact minimum is {len(exact.keys)}"
        else:
            note = "greedy is optimal here"
    covered_keys = sorted(e.key for e in base if tested_mask >> index[e.class_key] & 1)
    exact_tested = sum(e.count for e in base if e.key in tested)
    ok = {(q["combination"]) for q in (register.equivalences() if register is not None else [])
          if q["status"] in F.EQUIVALENCE_COVERED and q["tested"] in tested}  # fmt: skip
    assessed = sum(e.count for e in base if e.key in ok and e.key in covered_keys
                   and e.key not in tested)  # fmt: skip
    return CoverageResult(total, list(tested), wsum(tested_mask), share(tested_mask),
                          covered_keys, target, greedy, exact, note, reachable,
                          exact_tested, assessed)  # fmt: skip


def _exact(cands, start: int, target: float, share, wsum) -> Suggestion | None:
    """Fewest candidates reaching ``target`` (most installations among equally small sets)."""
    if share(start) + 1e-12 >= target:
        return Suggestion([], share(start), wsum(start))
    for size in range(1, len(cands) + 1):
        best = None
        for subset in itertools.combinations(cands, size):
            mask = start
            for _, m in subset:
                mask |= m
            if share(mask) + 1e-12 >= target:
                w = wsum(mask)
                if best is None or w > best[0]:
                    best = (w, [k for k, _ in subset], mask)
        if best is not None:
            return Suggestion(best[1], share(best[2]), best[0])
    return None
