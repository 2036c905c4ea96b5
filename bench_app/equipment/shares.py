"""Coverage of a dated installed-base snapshot by the tested combinations, now and after an
upgrade plan — with exact-tested, assessed-equivalent and proposed shares kept apart.

Each combination of the snapshot (count = active + dormant installations) falls in one category:

* ``exact`` — it is one of the tested combinations;
* ``shared-firmware`` — a tested multi-device combination carries every one of its devices with
  the same model and firmware (a single-fuel DMC covered by a tested dual-fuel DMC);
* ``assessed`` — an equivalence to a tested combination was *assessed* (who, when, evidence);
* ``proposed`` — it differs from a tested combination only in hardware (or an equivalence was
  proposed) but nobody has assessed it: **not covered**;
* ``uncovered``.

``covered`` = exact + shared-firmware + assessed. Shares are fractions 0–1 of the total (0 for an
empty snapshot). The exact share can be tiny while the covered share is large: both are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bench_app.errors import NotFoundError

CATEGORIES = ("exact", "shared-firmware", "assessed", "proposed", "uncovered")
COVERED = ("exact", "shared-firmware", "assessed")


@dataclass
class Shares:
    """Counts per category (installations) for one base; ``rows``: key, count, category, via."""

    label: str
    total: int
    counts: dict[str, int]
    rows: list[dict] = field(default_factory=list)

    def share(self, category: str) -> float:
        return self.counts.get(category, 0) / self.total if self.total else 0.0

    @property
    def covered_share(self) -> float:
        return sum(self.share(c) for c in COVERED)

    def to_json(self) -> dict:
        return {
            "label": self.label,
            "total": self.total,
            "counts": dict(self.counts),
            "shares": {c: self.share(c) for c in CATEGORIES},
            "covered_share": self.covered_share,
            "rows": self.rows,
        }


def _classify(reg, key: str, tested: list[str], equiv: dict, sigs: dict) -> tuple[str, str]:
    if key in tested:
        return "exact", key
    combo = reg.combination(key)
    mine = reg.device_firmware(combo)
    for t in tested:
        theirs = reg.device_firmware(reg.combination(t))
        if mine and len(theirs) > len(mine) and mine <= theirs:
            return "shared-firmware", t
    for t in tested:
        if equiv.get((key, t)) == "assessed":
            return "assessed", t
    for t in tested:
        if equiv.get((key, t)) == "proposed" or sigs.get(t) == sigs.get(key):
            return "proposed", t
    return "uncovered", ""


def _shares(reg, label: str, counts: dict[str, int], tested: list[str]) -> Shares:
    equiv = {(e["combination"], e["tested"]): e["status"] for e in reg.equivalences()}
    sigs = {k: reg.signature(reg.combination(k)) for k in {*counts, *tested}}
    out = Shares(label, sum(counts.values()), dict.fromkeys(CATEGORIES, 0))
    for key in sorted(counts):
        category, via = _classify(reg, key, tested, equiv, sigs)
        out.counts[category] += counts[key]
        out.rows.append({"combination": key, "count": counts[key], "category": category,
                         "via": via})  # fmt: skip
    return out


def snapshot_counts(reg, snapshot: str) -> tuple[str, dict[str, int]]:
    """``(date, {combination key: active + dormant})`` of a snapshot."""
    rows = reg.base_counts(snapshot)
    if not rows:
        known = ", ".join(s["name"] for s in reg.snapshots()) or "none"
        raise NotFoundError(f"installed-base snapshot {snapshot!r} is not in the register "
                            f"(snapshots: {known})")  # fmt: skip
    return rows[0]["snapshot_date"], {r["combination"]: r["active"] + r["dormant"] for r in rows}


def apply_plan(reg, counts: dict[str, int], plan: str) -> dict[str, int]:
    """Counts after upgrade ``plan``: each move takes at most what the base has."""
    moves = reg.upgrades(plan)
    if not moves:
        raise NotFoundError(f"upgrade plan {plan!r} is not in the register")
    after = dict(counts)
    for m in moves:
        moved = min(m["count"], after.get(m["from"], 0))
        after[m["from"]] = after.get(m["from"], 0) - moved
        after[m["to"]] = after.get(m["to"], 0) + moved
    return {k: v for k, v in after.items() if v}


def coverage_shares(reg, snapshot: str, tested: list[str], plan: str | None = None) -> list[Shares]:
    """Shares of ``snapshot`` covered by ``tested`` keys now, and after ``plan`` if given.

    :raises NotFoundError: unknown snapshot, plan or tested combination.
    """
    for key in tested:
        reg.combination(key)
    date, counts = snapshot_counts(reg, snapshot)
    out = [_shares(reg, f"{snapshot} ({date}) now", counts, tested)]
    if plan:
        moves = reg.upgrades(plan)
        when = moves[0]["planned_date"] if moves else ""
        label = f"{snapshot} after plan {plan}" + (f" ({when})" if when else "")
        out.append(_shares(reg, label, apply_plan(reg, counts, plan), tested))
    return out


def format_shares(results: list[Shares]) -> str:
    """Plain-text table for the CLI."""
    lines = []
    for s in results:
        lines.append(f"{s.label}: {s.total} installations")
        for c in CATEGORIES:
            lines.append(f"  {c:<16} {s.counts[c]:>10}  {s.share(c):7.2%}")
        lines.append(f"  {'covered':<16} {'':>10}  {s.covered_share:7.2%}  (exact + shared "
                     "firmware + assessed; proposed is not covered)")  # fmt: skip
    return "\n".join(lines)
