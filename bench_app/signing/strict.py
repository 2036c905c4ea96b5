"""The difference policy reports are verified with, and plain names for what it refuses.

pyHanko's default policy accepts later updates of the document information and the XMP
metadata as harmless. A witness report's session link lives there, so this policy allows after a
signature only what signing itself adds: new or filled signature fields and their widgets, the
catalog/AcroForm bookkeeping, xref and object streams, and DSS / document timestamp data.
"""

from __future__ import annotations

import re

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
