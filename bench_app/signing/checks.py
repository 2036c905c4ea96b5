"""What ``bench-app verify REPORT`` checks besides the signature mathematics.

**Later changes.** pyHanko's default policy accepts later updates of the document information and
the XMP metadata as harmless. A witness report's session link lives there, so
:data:`STRICT_DIFF_POLICY` allows after a signature only what signing itself adds: new or filled
signature fields and their widgets, the catalog/AcroForm bookkeeping, xref and object streams,
and DSS / document timestamp data; :func:`describe_changes` names what it refused.

**Session data.** :func:`check_session_data` re-checks the session a report names (id,
reference and audit head from the report's first signed revision) against the database, opened
read-only: the session's whole audit chain and every row it covers are re-hashed, the signed head
must be a record of that chain, and no record may follow it (a locked session takes no more
evidence). Any failure — a missing database or session included — is a FAILED line saying why.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from pyhanko.sign.diff_analysis import ModificationLevel, SuspiciousModification
from pyhanko.sign.diff_analysis.form_rules_api import FormUpdatingRule
from pyhanko.sign.diff_analysis.policies import StandardDiffPolicy
from pyhanko.sign.diff_analysis.rules.file_structure_rules import (
    CatalogModificationRule,
    ObjectStreamRule,
    XrefStreamRule,
)
from pyhanko.sign.diff_analysis.rules.form_field_rules import (
    DSSCompareRule,
    SigFieldCreationRule,
    SigFieldModificationRule,
)

from bench_app.errors import BenchError, NotFoundError

#: Signature fields, DSS and timestamps only; no /Info, no XMP, no other form fields.
STRICT_DIFF_POLICY = StandardDiffPolicy(
    global_rules=[
        CatalogModificationRule(),
        XrefStreamRule().as_qualified(ModificationLevel.LTA_UPDATES),
        ObjectStreamRule().as_qualified(ModificationLevel.LTA_UPDATES),
        DSSCompareRule().as_qualified(ModificationLevel.LTA_UPDATES),
    ],
    form_rule=FormUpdatingRule(field_rules=[SigFieldCreationRule(), SigFieldModificationRule()]),
)

_PATH = re.compile(r"PathInRevision\('([^']*)'\)")
_REVISION = re.compile(r"in revision (\d+)")
_KIDS = re.compile(r"^\.Root\.Pages(?:\.Kids\[(\d+)\])+")


def _plain(path: str) -> str:
    """``.Info`` → "the document information (/Info)", ``.Root.Pages.Kids[0]`` → "page 1"."""
    if path == ".Info" or path.startswith(".Info."):
        return "the document information (/Info)"
    if path.startswith(".Root.Metadata"):
        return "the XMP metadata"
    m = _KIDS.match(path)
    if m and path.count("Kids") == 1:
        return f"page {int(m.group(1)) + 1}" + (f" ({path[m.end() :]})" if path[m.end() :] else "")
    return path.lstrip(".").replace(".", "/") or "the trailer"


def describe_changes(diff_result: object) -> str:
    """Name the objects a refused later revision changed, e.g.
    ``"revision 3 changed the document information (/Info), page 1"``."""
    text = str(diff_result) if isinstance(diff_result, SuspiciousModification) else ""
    if not text:
        return f"changes after signing ({diff_result})" if diff_result else "changes after signing"
    names = list(dict.fromkeys(_plain(p) for p in _PATH.findall(text)))
    rev = _REVISION.search(text)
    where = f"revision {rev.group(1)}" if rev else "a later revision"
    if names:
        return f"{where} changed {', '.join(names)}"
    return f"{where}: {text.splitlines()[0]}"


# -- the session's data in the database ----------------------------------------------------------
def _fail(text: str) -> tuple[bool, list[str]]:
    return False, [f"session data: FAILED - {text}"]


def check_session_data(
    signed: dict[str, str], db_path: str | Path | None, statement: dict | None = None
) -> tuple[bool, list[str]]:
    """``(ok, lines)``: the re-check of the signed session in ``db_path`` (default database when
    None). The session is found by its uid (the statement's, else the signed document
    information's), wherever it lives: a bundle imported into another database verifies. With
    the report's ``statement``, the statement re-derived from the database must equal it
    (:func:`bench_app.signing.statement_check.compare_with_database`). The last line of a
    failure names the reason."""
    head, sid, ref = (
        signed.get("audit_head", ""),
        signed.get("session_id", ""),
        signed.get("reference", ""),
    )
    uid = str(((statement or {}).get("session") or {}).get("uid") or signed.get("session_uid", ""))
    if statement is not None:
        head = str(statement.get("audit_head") or "")
    if not head or not (uid or sid.isdigit()):
        return _fail("the signed report names no session and audit head")
    from bench_app.paths import default_db_path
    from bench_app.store import Store

    db = Path(db_path) if db_path else default_db_path()
    if not db.is_file():
        return _fail(f"no database at {db} (give --db DB, or --no-db to check signatures only)")
    try:
        with Store.open(db, readonly=True) as store:
            if uid:
                row = store.conn.execute("SELECT id FROM sessions WHERE uid = ?", (uid,)).fetchone()
                if row is None:
                    return _fail(f"session {uid} ({ref or 'no reference'}) is not in {db}")
                sid = str(row[0])
            ok, lines = _check(store, db, int(sid), ref, head)
            if not ok:
                return ok, lines
            if statement is None:  # verify names this problem once, from the PDF
                return False, [*lines, "session data: the report's content was NOT compared "
                               "with the database (the report carries no statement)"]  # fmt: skip
            from bench_app.signing.statement_check import compare_with_database

            problems = compare_with_database(store, int(sid), statement)
            if problems:
                return False, [*lines, *(f"session data: FAILED - {p}" for p in problems)]
            return True, [*lines, f"session data: the report's statement equals the database's "
                                  f"(session {uid}, every run, step, verdict and deviation)"]
    except BenchError as exc:
        return _fail(str(exc))
    except sqlite3.DatabaseError as exc:
        return _fail(f"database damaged at {db}: {exc}")


def _check(store, db: Path, sid: int, ref: str, head: str) -> tuple[bool, list[str]]:
    try:
        session = store.get_session(sid)
    except NotFoundError:
        other = store.conn.execute("SELECT id FROM sessions WHERE reference = ?", (ref,)).fetchone()
        hint = f" (reference {ref!r} is session {other[0]} there)" if other else ""
        return _fail(f"session {sid} is not in {db}{hint}")
    if ref and session.get("reference") != ref:
        return _fail(
            f"session {sid} in {db} is {session.get('reference')!r}, not the signed {ref!r}"
        )
    result = store.verify(sid)
    if not result.ok:
        return _fail(f"session {sid} in {db} does not verify: {result.first_broken}")
    conn = store.conn
    row = conn.execute(
        "SELECT seq FROM audit WHERE session_id = ? AND hash = ?", (sid, head)
    ).fetchone()
    if row is None:
        return _fail(
            f"the signed audit head {head[:16]}... is not in session {sid}'s chain in {db} "
            f"(its head is {result.head[:16]}...): the chain was rewritten"
        )
    later = conn.execute(
        "SELECT count(*), min(seq) FROM audit WHERE session_id = ? AND seq > ?", (sid, row[0])
    ).fetchone()
    if later[0]:
        first = conn.execute(
            "SELECT action, tbl, lo, at FROM audit WHERE session_id = ? AND seq = ?",
            (sid, later[1]),
        ).fetchone()
        return _fail(
            f"{later[0]} audit record(s) were added to session {sid} after signing "
            f"(first: {first[0]} {first[1]} id {first[2]} at {first[3]})"
        )
    lines = [
        f"session data: session {sid} {ref!r} in {db}: {result.checked} audit records and "
        f"every row they cover re-verified; signed head {head[:16]}... matches"
    ]
    if result.warning:
        lines.append(f"session data: warning - {result.warning} (written before full-width "
                     "digests; a 64-bit digest can be collided)")  # fmt: skip
    return True, lines
