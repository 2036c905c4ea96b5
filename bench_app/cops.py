"""Codes of Practice cited with their issue (``"CoP 5 Issue 6"``, Elexon's capitalisation).

Shared by the checklist templates and the equipment register, so neither imports the other.
"""

from __future__ import annotations

import re

_COP_ISSUE = re.compile(
    r"^(?:cop)?\s*0*(1[01]|[1-9])\s*(?:(?:[/:]|\bissue\b|\bi)\s*([0-9][0-9.]*))?$", re.IGNORECASE
)


def cop_ref(text: str) -> tuple[str, str]:
    """A CoP with its optional issue (any case): ``"CoP 5 Issue 6"``, ``"5/6"``, ``"CoP5:6"`` →
    ``("5", "6")``; ``"CoP5"`` → ``("5", "")`` (issue not stated)."""
    m = _COP_ISSUE.match(" ".join((text or "").split()))
    if not m:
        raise ValueError(f"Code of Practice {text!r} is not 1–11 with an optional issue "
                         "(e.g. 'CoP 5 Issue 6' or 5/6)")  # fmt: skip
    return m.group(1), (m.group(2) or "")


def cop_ref_lenient(text: str) -> tuple[str, str] | None:
    """:func:`cop_ref`, or None for text that is not a CoP (session CoPs are free text)."""
    try:
        return cop_ref(text)
    except ValueError:
        return None


def cop_text(cop_no: str, issue: str = "") -> str:
    """``("5", "6")`` → ``f"CoP {cop_no} issue {issue}"`` (CoP 5 with Issue 6); without an issue
    ``"CoP 5"``."""
    return f"CoP {cop_no} issue {issue}" if issue else f"CoP {cop_no}"


def session_cops(session: dict, records: dict | None = None) -> list[tuple[str, str]]:
    """The session's CoPs, each with its issue: the issue the session's CoP names (``CoP 5 issue
    6`` at ``session new``), else the one ``session set cop-issue`` recorded (the ``cop_issues``
    session record), else ``""``. One list for the register's checks and the report's cover.

    >>> session_cops({"cops": ["CoP 5 Issue 6", "1"]}, {"cop_issues": {"issues": {"1": "2"}}})
    [('5', '6'), ('1', '2')]
    """
    recorded = ((records or {}).get("cop_issues") or {}).get("issues") or {}
    out: list[tuple[str, str]] = []
    for text in session.get("cops") or []:
        ref = cop_ref_lenient(str(text))
        if ref is not None:
            cop, issue = ref
            item = (cop, issue or str(recorded.get(cop) or ""))
            if item not in out:
                out.append(item)
    return out
