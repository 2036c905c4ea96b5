"""Equipment register: outstation types, device model combinations, compliance
certificates, protocol approvals and BSCP601 applications; CSV import/export; the checks that
compare the meter with what was declared; installed-base coverage.

>>> from bench_app.equipment import Register, check_session
>>> reg = Register(store)
>>> reg.add_type("PRO", "Secure Meters", models=["Prometer 100 P3E", "Prometer 100 R3E"])
>>> findings = check_session(store, session_id)     # list[Finding]

Issue 18 added the approval records: CoP issues, conditions and scopes, BSCP32 dispensations and
amendments (:mod:`.approvals`, :mod:`.conditions`), the session's deviations
(:func:`session_deviations`), devices of multi-device combinations, equivalence assessments, dated
installed-base snapshots and upgrade plans (:mod:`.devices`, :func:`coverage_shares`) and the
published lists (:func:`bench_app.report.published_lists.publish`).
"""

from bench_app.equipment.checks import MISMATCH_CODES, Finding, check_session, meter_identity
from bench_app.equipment.coverage import CoverageResult, analyse, load_base, parse_base
from bench_app.equipment.csvio import COLUMNS, export_csv, import_csv, import_text, rows_for
from bench_app.equipment.deviations import Deviation, session_deviations
from bench_app.equipment.fields import KINDS
from bench_app.equipment.records import Register
from bench_app.equipment.register import Combination
from bench_app.equipment.shares import Shares, coverage_shares

__all__ = [
    "COLUMNS",
    "KINDS",
    "MISMATCH_CODES",
    "Combination",
    "CoverageResult",
    "Deviation",
    "Finding",
    "Register",
    "Shares",
    "analyse",
    "check_session",
    "coverage_shares",
    "export_csv",
    "import_csv",
    "import_text",
    "load_base",
    "meter_identity",
    "parse_base",
    "rows_for",
    "session_deviations",
]
