"""Coverage of a dated installed-base snapshot by the tested combinations, now and after an
upgrade plan — in the DCC's words, with exact-tested and assessed-equivalent shares kept apart.

Each combination of the snapshot (count = active + dormant installations) falls in one category:

* ``exact`` — it is one of the tested combinations;
* ``assessed-equivalent`` — a hardware variant of a tested combination that the assessment
  "judged substantively equivalent" (status assessed, proposed for the EPCL or eligible), or one
  covered by a granted variant amendment;
* ``pending-assessment`` — not covered yet: a single-fuel combination sharing a tested dual-fuel
  one's firmware (eligibility "being assessed … pending any necessary migration testing"), or a
  hardware variant with at most the manufacturer's assurance;
* ``uncovered``.

``covered`` = exact + assessed-equivalent. Shares are fractions 0–1 of the total (0 for an empty
snapshot). The exact share can be tiny while the covered share is large: both are reported.

An upgrade plan moves **firmware, never hardware**: units upgraded from A to B keep A's
hardware, so they count as B only where B's hardware is A's; otherwise they are B's firmware on
A's hardware — a variant of B, covered only once assessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bench_app.errors import NotFoundError

CATEGORIES = ("exact", "assessed-equivalent", "pending-assessment", "uncovered")
COVERED = ("exact", "assessed-equivalent")


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


@dataclass(frozen=True)
class Units:
    """Installations of one kind: the combination whose firmware they run and, after an upgrade,
    the combination whose hardware they kept (``hardware_of`` = ``firmware_of`` when none)."""

    firmware_of: str
    hardware_of: str

    @property
    def key(self) -> str:
        if self.hardware_of == self.firmware_of:
            return self.firmware_of
        return f"{self.firmware_of} firmware on {self.hardware_of} hardware"


def _classify(reg, units: Units, tested: list[str]) -> tuple[str, str]:
    """(category, why) of installations running ``firmware_of`` on ``hardware_of``'s hardware."""
    key = units.firmware_of
    sig = reg.signature(reg.combination(key))
    twins = [t for t in tested if reg.signature(reg.combination(t)) == sig]
    if units.hardware_of != key:  # upgraded units on hardware no registered combination has
        if twins:
            return "pending-assessment", (f"upgraded from {units.hardware_of}: {key}'s firmware "
                                          f"on {units.hardware_of}'s hardware, a variant of "
                                          f"{twins[0]} not assessed")  # fmt: skip
    elif key in tested:
        return "exact", key
    elif twins:
        for t in twins:
            eq = reg.covered_equivalence(key, t)
            if eq is not None:
                return "assessed-equivalent", (f"variant of {t}, {eq['status']}: assessed by "
                                               f"{eq['assessed_by']} {eq['assessed_date']}")
        if reg.granted_variant(key):
            return "assessed-equivalent", f"variant of {twins[0]}: granted variant amendment"
        status = {(e["combination"], e["tested"]): e["status"] for e in reg.equivalences()}
        has = [t for t in twins if status.get((key, t)) == "assurance"]
        why = "manufacturer's assurance only" if has else "no assurance or assessment recorded"
        return "pending-assessment", f"hardware variant of {(has or twins)[0]}: {why}"
    mine = reg.device_firmware(reg.combination(key))
    for t in tested:
        theirs = reg.device_firmware(reg.combination(t))
        if mine and len(theirs) > len(mine) and mine <= theirs:
            return "pending-assessment", (f"shares {t}'s firmware: being assessed, pending any "
                                          "necessary migration testing")  # fmt: skip
    return "uncovered", ""


def _shares(reg, label: str, counts: dict[Units, int], tested: list[str]) -> Shares:
    out = Shares(label, sum(counts.values()), dict.fromkeys(CATEGORIES, 0))
    for units in sorted(counts, key=lambda u: u.key):
        category, via = _classify(reg, units, tested)
        out.counts[category] += counts[units]
        out.rows.append({"combination": units.key, "count": counts[units],
                         "category": category, "via": via})  # fmt: skip
    return out


def snapshot_counts(reg, snapshot: str) -> tuple[str, dict[str, int]]:
    """``(date, {combination key: active + dormant})`` of a snapshot."""
    rows = reg.base_counts(snapshot)
    if not rows:
        known = ", ".join(s["name"] for s in reg.snapshots()) or "none"
        raise NotFoundError(f"installed-base snapshot {snapshot!r} is not in the register "
                            f"(snapshots: {known})")  # fmt: skip
    return rows[0]["snapshot_date"], {r["combination"]: r["active"] + r["dormant"] for r in rows}


def _upgraded(reg, frm_key: str, to_key: str) -> Units:
    """What units of ``frm_key`` become when upgraded to ``to_key``'s firmware: ``to_key``
    itself when the hardware is the same, a registered combination with ``to_key``'s signature
    on ``frm_key``'s hardware, or that variant unregistered."""
    frm, to = reg.combination(frm_key), reg.combination(to_key)
    hw, sig = reg.hardware(frm), reg.signature(to)
    if reg.hardware(to) == hw:
        return Units(to_key, to_key)
    for c in reg.combinations(to.outstation_type):
        if reg.hardware(c) == hw and reg.signature(c) == sig:
            return Units(c.key, c.key)
    return Units(to_key, frm_key)


def apply_plan(reg, counts: dict[str, int], plan: str) -> dict[Units, int]:
    """Installations after upgrade ``plan``: each move takes at most what the base has, and the
    moved units take the new firmware on the hardware they had (see the module docstring)."""
    moves = reg.upgrades(plan)
    if not moves:
        raise NotFoundError(f"upgrade plan {plan!r} is not in the register")
    after: dict[Units, int] = {Units(k, k): v for k, v in counts.items()}
    for m in moves:
        src = Units(m["from"], m["from"])
        moved = min(m["count"], after.get(src, 0))
        after[src] = after.get(src, 0) - moved
        dest = _upgraded(reg, m["from"], m["to"])
        after[dest] = after.get(dest, 0) + moved
    return {k: v for k, v in after.items() if v}


def coverage_shares(reg, snapshot: str, tested: list[str], plan: str | None = None) -> list[Shares]:
    """Shares of ``snapshot`` covered by ``tested`` keys now, and after ``plan`` if given.

    :raises NotFoundError: unknown snapshot, plan or tested combination.
    """
    for key in tested:
        reg.combination(key)
    date, counts = snapshot_counts(reg, snapshot)
    out = [_shares(reg, f"{snapshot} ({date}) now", {Units(k, k): v for k, v in counts.items()},
                   tested)]
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
            lines.append(f"  {c:<20} {s.counts[c]:>10}  {s.share(c):7.2%}")
        lines.append(f"  {'covered':<20} {'':>10}  {s.covered_share:7.2%}  (exact + assessed "
                     "equivalent; pending assessment is not covered)")  # fmt: skip
    return "\n".join(lines)
