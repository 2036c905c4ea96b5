"""Checks of a session's equipment against the meter and the register.

:func:`check_session` compares the identity read from the meter (serial, outstation type,
firmware versions) with what the session's BSCP601 application declares (its combination in the
register) and with the session's declared equipment, and looks up the compliance certificates for
the session's Codes of Practice. It returns :class:`Finding` objects; it never raises for a
mismatch. Codes:

* ``firmware-mismatch``, ``type-mismatch``, ``serial-mismatch`` (warning) — the meter is not what
  was declared (``source``: ``application`` or ``equipment``);
* ``declaration-mismatch`` (warning) — the session's equipment contradicts its application;
* ``certificate-missing`` / ``certificate-removed`` (warning) — no issued certificate for a CoP;
* ``certificate-wrong-issue`` (warning) — certificates exist for the CoP, but not at the issue
  the session declares (CoP 5 Issue 6 is not satisfied by Issue 5);
* ``condition-met`` / ``condition-unknown`` (info), ``condition-not-met`` (warning) — the
  conditions of the certificates and approvals the session relies on;
* ``approval-scope`` (warning) — the HHDC's approvals are scoped for another role (asset
  metering vs SVA/CVA collection);
* ``approval-removed`` (warning) — the HHDC's approval for this combination was removed;
* ``variant-not-assessed`` (warning, fails EQ-1) — the session's hardware is a variant of a
  certified/approved combination with the same firmware, but no equivalence was *assessed* and
  no variant amendment granted: a certificate or approval covers exactly its combination;
* ``variant-covered`` (info) — the variant is covered, and by what (assessment or amendment);
* ``no-declaration`` (warning), ``no-identity``, ``type-not-registered``,
  ``combination-not-registered`` (info) — something could not be compared.

The meter identity is the newest of: a bench collection's ``meta["identity"]`` and a checklist
step's ``evidence["identity"]`` (EQ-1 and CC-01 store it there).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from bench_app.cops import session_cops
from bench_app.equipment import fields as F
from bench_app.equipment.conditions import MET, NOT_MET, UNKNOWN, session_conditions
from bench_app.equipment.records import Register
from bench_app.equipment.register import Combination

#: Codes meaning "the meter / declaration is not what the application says" (fail EQ-1).
MISMATCH_CODES = frozenset(
    {"firmware-mismatch", "type-mismatch", "serial-mismatch", "declaration-mismatch",
     "variant-not-assessed"}
)


@dataclass(frozen=True)
class Finding:
    """One result of :func:`check_session`.

    :param severity: ``"warning"`` (shown boxed in the report and the checklist) or ``"info"``.
    :param source: what was compared with the meter: ``application``, ``equipment``,
        ``register`` or ``meter``.
    """

    code: str
    severity: str
    message: str
    source: str = ""
    component: str = ""
    declared: str = ""
    read: str = ""

    @property
    def is_mismatch(self) -> bool:
        return self.code in MISMATCH_CODES

    def to_json(self) -> dict:
        return asdict(self)


def meter_identity(store: Any, session_id: int) -> dict | None:
    """The newest identity read from the meter in this session (see the module docstring)."""
    found: list[tuple[str, dict]] = []
    for col in store.collections(session_id):
        meta = col.get("meta") or {}
        if col.get("source") == "bench" and isinstance(meta, dict) and meta.get("identity"):
            found.append((str(col.get("started_at") or ""), meta["identity"]))
    for run in store.checklist_runs(session_id):
        for res in store.step_results(run["id"], latest_only=False):
            ev = res.get("evidence") or {}
            if isinstance(ev, dict) and isinstance(ev.get("identity"), dict):
                found.append((str(res.get("at") or ""), ev["identity"]))
    return max(found, key=lambda f: f[0])[1] if found else None


def _fw(d: dict | None) -> dict[str, str]:
    return {str(k): str(v).strip() for k, v in (d or {}).items() if str(v or "").strip()}


def _compare_fw(declared: dict, read: dict, source: str, what: str) -> list[Finding]:
    out = []
    for comp in sorted(set(declared) & set(read)):
        if declared[comp] != read[comp]:
            out.append(
                Finding(
                    "firmware-mismatch",
                    "warning",
                    f"{comp} firmware read from the meter is {read[comp]}, {what} declares "
                    f"{declared[comp]}",
                    source,
                    comp,
                    declared[comp],
                    read[comp],
                )
            )
    return out


def _type_of(text: str | None) -> str:
    try:
        return F.type_code(text or "")
    except ValueError:
        return ""


def check_session(store: Any, session_id: int, identity: dict | None = None) -> list[Finding]:
    """Findings for ``session_id`` (empty when everything matches and every certificate is in).

    :param identity: the meter identity to compare (``Identity.to_json()`` shape); default: the
        newest one stored in the session (:func:`meter_identity`).
    :raises NotFoundError: the session does not exist.
    """
    session = store.get_session(session_id)
    reg = Register(store)
    ident = identity if identity is not None else meter_identity(store, session_id)
    app = reg.application_for_session(session_id)
    combo: Combination | None = reg.declared_combination(session_id)
    eq = store.equipment(session_id) or {}
    out: list[Finding] = []

    read_fw = _fw((ident or {}).get("firmware"))
    read_type = _type_of((ident or {}).get("outstation_type"))
    app_type = combo.outstation_type if combo else (app or {}).get("outstation_type") or ""
    eq_type = _type_of(eq.get("outstation_type"))
    eq_fw = _fw(eq.get("firmware"))

    if ident is None:
        out.append(Finding("no-identity", "info", "identity not read from the meter yet", "meter"))
    if not app_type and not eq:
        out.append(
            Finding(
                "no-declaration",
                "warning",
                "nothing declared to compare with: no application combination in the register "
                "and no equipment recorded for the session",
                "application",
            )
        )
    ref = (app or {}).get("reference", session["reference"])
    # meter against the application's declared combination
    if ident is not None and app_type:
        if read_type and read_type != app_type:
            out.append(
                Finding("type-mismatch", "warning",
                        f"meter reports outstation type {read_type}, application {ref} declares "
                        f"{app_type}", "application", "outstation_type", app_type, read_type)
            )  # fmt: skip
        if combo is not None:
            out += _compare_fw(_fw(combo.firmware), read_fw, "application",
                               f"application {ref} ({combo.key})")  # fmt: skip
    # meter against the session's equipment record
    if ident is not None and eq:
        if read_type and eq_type and read_type != eq_type:
            out.append(
                Finding("type-mismatch", "warning",
                        f"meter reports outstation type {read_type}, the session's equipment "
                        f"says {eq_type}", "equipment", "outstation_type", eq_type, read_type)
            )  # fmt: skip
        out += _compare_fw(eq_fw, read_fw, "equipment", "the session's equipment record")
        serials = [str(s) for s in eq.get("serials") or []]
        serial = str(ident.get("serial") or "").strip()
        if serial and serials and serial not in serials:
            out.append(
                Finding("serial-mismatch", "warning",
                        f"meter serial {serial} is not among the declared serials "
                        f"({', '.join(serials)})", "equipment", "serial", ", ".join(serials),
                        serial)
            )  # fmt: skip
    # the session's equipment against its application
    if eq and combo is not None:
        if eq_type and eq_type != combo.outstation_type:
            out.append(
                Finding("declaration-mismatch", "warning",
                        f"session equipment type {eq_type} differs from application {ref} "
                        f"({combo.outstation_type})", "application", "outstation_type",
                        combo.outstation_type, eq_type)
            )  # fmt: skip
        for f in _compare_fw(_fw(combo.firmware), eq_fw, "application", "application"):
            out.append(
                Finding("declaration-mismatch", "warning",
                        f"session equipment declares {f.component} firmware {f.read}, "
                        f"application {ref} ({combo.key}) declares {f.declared}", "application",
                        f.component, f.declared, f.read)
            )  # fmt: skip
    hw = str(eq.get("hardware_version") or "").strip()
    out += _register_findings(reg, store, session, combo, eq_type or app_type or read_type,
                              read_fw or eq_fw, hw)  # fmt: skip
    return out


def _granted_to(reg: Register, combo: Combination) -> set[str]:
    """Combinations whose approvals a granted variant amendment extends to ``combo``."""
    out = set()
    app = reg.granted_variant(combo.key)
    if app and app["amends"]:
        for a in reg.approvals():
            if a["id"] == app["amends"]:
                out.add(a["combination"])
    return out


def session_coverage(
    reg: Register, code: str, fw: dict, hw: str, combo: Combination | None
) -> tuple[set[str], set[str], list[Finding]]:
    """Which combinations' certificates and approvals cover the session's equipment.

    A certificate or approval covers exactly its combination; a hardware variant is covered
    only through an *assessed* equivalence or a *granted* variant amendment.

    :param hw: the hardware version the session's equipment declares ('' = not declared: the
        firmware-matching combinations are taken as they are).
    :returns: (covering keys, keys of same-firmware twins that do not cover it, info findings).
    """
    candidates = [combo] if combo is not None else reg.matching(code, fw)
    if not hw and combo is None:  # hardware unknown: the firmware-matching combinations
        return {c.key for c in candidates}, set(), []
    hw = hw or (combo.hardware_version if combo is not None else "")
    mine = [c for c in candidates if c.hardware_version == hw]
    if not mine:
        for c in candidates:
            sig = reg.signature(c)
            mine += [o for o in reg.combinations(c.outstation_type)
                     if o.hardware_version == hw and reg.signature(o) == sig]  # fmt: skip
    covering = {c.key for c in mine}
    notes: list[Finding] = []
    for x in mine:
        for t in reg.combinations(x.outstation_type):
            eq = reg.covered_equivalence(x.key, t.key)
            if eq is not None:
                covering.add(t.key)
                notes.append(Finding(
                    "variant-covered", "info",
                    f"{x.key} (hardware {hw}) is covered by {t.key}'s records: equivalence "
                    f"{eq['status']} by {eq['assessed_by']} on {eq['assessed_date']} "
                    f"({eq['evidence']})", "register", "hardware", t.key, x.key))
        for key in _granted_to(reg, x):
            covering.add(key)
            notes.append(Finding(
                "variant-covered", "info", f"{x.key} (hardware {hw}) is covered by {key}'s "
                "approval through a granted variant amendment", "register", "hardware", key,
                x.key))  # fmt: skip
    twins = {c.key for c in candidates} - covering
    for x in mine or candidates:
        twins |= {o.key for o in reg.combinations(x.outstation_type)
                  if o.class_key == x.class_key} - covering  # fmt: skip
    return covering, twins, notes


def _register_findings(
    reg: Register, store: Any, session: dict, combo: Combination | None, code: str, fw: dict,
    hw: str = "",
) -> list[Finding]:
    """Type/combination registered, certificates per CoP, removed approvals."""
    if not code:
        return []
    out: list[Finding] = []
    known = {t["code"] for t in reg.types()}
    if code not in known:
        return [
            Finding("type-not-registered", "info",
                    f"outstation type {code} is not in the equipment register; certificates "
                    "cannot be checked", "register", "outstation_type", "", code)
        ]  # fmt: skip
    tested = [combo] if combo is not None else reg.matching(code, fw)
    if not tested and fw:
        out.append(
            Finding("combination-not-registered", "info",
                    f"no {code} combination in the register has firmware "
                    + ", ".join(f"{k} {v}" for k, v in sorted(fw.items())), "register")
        )  # fmt: skip
    keys_ok, twins, notes = session_coverage(reg, code, fw, hw, combo)
    out += notes
    certs = reg.certificates(code)
    records = store.session_records(session["id"]) if hasattr(store, "session_records") else {}
    cops = session_cops(session, records)  # the issue named at creation or by session set
    used: list[int] = []
    for cop, issue in dict.fromkeys(cops):
        mine = [
            c for c in certs
            if c["cop"] == cop and (c["combination"] is None or c["combination"] in keys_ok)
        ]  # fmt: skip
        issued = [c for c in mine if c["status"] == "issued"]
        right = [c for c in issued if not issue or c["cop_issue"] == issue]
        if right:
            used += [c["id"] for c in right]
            continue
        twin = [c for c in certs if c["cop"] == cop and c["combination"] in twins
                and c["status"] == "issued"]  # fmt: skip
        if twin:
            out.append(_variant_finding(f"CoP {cop} certificate {twin[0]['reference'] or ''}",
                                        twin[0]["combination"], hw))  # fmt: skip
            continue
        if issued:
            held = ", ".join(sorted({c["cop_issue"] or "unstated" for c in issued}))
            out.append(
                Finding("certificate-wrong-issue", "warning",
                        f"the session declares {F.cop_text(cop, issue)}; the register holds "
                        f"{code}'s CoP {cop} certificate(s) for issue {held} only, which do not "
                        f"satisfy it", "register", f"CoP {cop}", f"issue {issue}",
                        f"issue {held}")
            )  # fmt: skip
            continue
        if mine:
            last = max(mine, key=lambda c: c["removed_date"] or "")
            out.append(
                Finding("certificate-removed", "warning",
                        f"CoP {cop} compliance certificate for {code} (issue "
                        f"{last['cop_issue'] or '—'}, {last['testing_agent'] or 'agent unknown'}) "
                        f"was removed on {last['removed_date']}: {last['removed_reason']}",
                        "register", f"CoP {cop}", "issued", "removed")
            )  # fmt: skip
        else:
            out.append(
                Finding("certificate-missing", "warning",
                        f"no {F.cop_text(cop, issue)} compliance certificate for {code} in the "
                        "register", "register", f"CoP {cop}", "issued", "none")
            )  # fmt: skip
    software = store.software(session["id"]) or {}
    mpid = str(software.get("hhdc_mpid") or "").strip().upper()
    if mpid and keys_ok:
        mine = [
            a for a in reg.approvals() if a["combination"] in keys_ok and a["hhdc_mpid"] == mpid
        ]
        if mine and all(a["status"] == "removed" for a in mine):
            last = max(mine, key=lambda a: a["removed_date"] or "")
            out.append(
                Finding("approval-removed", "warning",
                        f"protocol approval of {last['combination']} for HHDC {mpid} "
                        f"({last['hhdc_software']} {last['hhdc_version']}) was removed on "
                        f"{last['removed_date']}: {last['removed_reason']}", "register",
                        "approval", "approved", "removed")
            )  # fmt: skip
    in_force = [
        a for a in reg.approvals()
        if a["combination"] in keys_ok and a["status"] == "approved"
        and (not mpid or a["hhdc_mpid"] == mpid)
    ]  # fmt: skip
    twin_approvals = [
        a for a in reg.approvals()
        if a["combination"] in twins and a["status"] == "approved"
        and (not mpid or a["hhdc_mpid"] == mpid)
    ]  # fmt: skip
    if twin_approvals and not in_force:
        a = twin_approvals[0]
        out.append(_variant_finding(f"protocol approval for {a['hhdc_mpid']} "
                                    f"{a['hhdc_software']} {a['hhdc_version']}",
                                    a["combination"], hw))  # fmt: skip
    out += _scope_findings(in_force, [c for c, _ in cops], mpid)
    approved = [a["id"] for a in in_force]
    return out + condition_findings(reg, store, session["id"], used, approved)


def _variant_finding(record: str, combination: str, hw: str) -> Finding:
    return Finding(
        "variant-not-assessed", "warning",
        f"variant not assessed: the session's hardware {hw or '(not declared)'} is not "
        f"{combination}'s, and the {record} covers exactly {combination} — no assessed "
        "equivalence or granted variant amendment extends it to this hardware",
        "register", "hardware", combination, hw)


def _scope_findings(in_force: list[dict], cops: list[str], mpid: str) -> list[Finding]:
    """``approval-scope`` (warning) when every approval in force states a scope and none is
    the role the session needs: asset metering (CoP 11) or SVA/CVA collection (other CoPs)."""
    need = {"asset-hhdc"} if "11" in cops else {"sva-hhdc", "cva-cdca"}
    scoped = [a for a in in_force if a["scope"]]
    if not mpid or not scoped or len(scoped) < len(in_force):
        return []
    if any(need & set(a["scope"]) for a in scoped):
        return []
    held = ", ".join(sorted({s for a in scoped for s in a["scope"]}))
    return [
        Finding("approval-scope", "warning",
                f"the protocol approval(s) for HHDC {mpid} are scoped {held}; this session "
                f"needs {' or '.join(sorted(need))}", "register", "scope",
                " or ".join(sorted(need)), held)
    ]  # fmt: skip


def condition_findings(
    reg: Register, store: Any, session_id: int, cert_ids: list[int], approval_ids: list[int]
) -> list[Finding]:
    """One finding per condition of the certificates/approvals the session relies on:
    ``condition-met`` (info), ``condition-not-met`` (warning), ``condition-unknown`` (info)."""
    code = {MET: "condition-met", NOT_MET: "condition-not-met", UNKNOWN: "condition-unknown"}
    return [
        Finding(code[r.status], "warning" if r.status == NOT_MET else "info",
                f"condition of {r.owner} '{r.text}': {r.status} ({r.detail})",
                "register", "condition", r.text, r.status)
        for r in session_conditions(reg, store, session_id, cert_ids, approval_ids,
                                    meter_identity(store, session_id))
    ]  # fmt: skip


def summary(findings: list[Finding]) -> str:
    """One line for the checklist's actual-result text."""
    warnings = [f for f in findings if f.severity == "warning"]
    if not warnings:
        return "no warnings"
    return f"{len(warnings)} warning(s): " + "; ".join(f.message for f in warnings)
