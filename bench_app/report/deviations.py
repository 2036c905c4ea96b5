"""Report section "Deviations" (issue 18): dispensation-covered failures, CoP departures,
CoP-issue mismatches, unmet conditions and template overrides
(:func:`bench_app.equipment.deviations.session_deviations`).

A deviation never changes a verdict or the overall result: a failure covered by a dispensation
is still listed as FAIL in the results and counted as one in the overall result.
"""

from __future__ import annotations

from typing import Any

from reportlab.platypus import CondPageBreak, Paragraph

from bench_app.report import layout as L
from bench_app.report.styles import Styles, para, table

KIND_TEXT = {
    "dispensation": "Dispensation (failure)",
    "dispensation-expired": "Dispensation not valid",
    "cop-departure": "CoP departure",
    "cop-issue": "CoP issue",
    "condition": "Condition",
    "template-override": "Template override",
}


def section(d: Any, st: Styles) -> list:
    """Flowables of the Deviations section (nothing when the session has none)."""
    rows = getattr(d, "deviations", None) or []
    if not rows:
        return []
    out: list = [CondPageBreak(120), Paragraph("Deviations", st.h1)]
    out.append(para(f"Overall result stays {d.overall}: a dispensation documents a departure "
                    "or a failure; it never turns a FAIL into a PASS.", st.body))  # fmt: skip
    w = L.FRAME_WIDTH
    out.append(
        table(
            ["Kind", "Reference", "Deviation"],
            [[KIND_TEXT.get(r["kind"], r["kind"]), r["reference"], r["text"]] for r in rows],
            [w * 0.18, w * 0.2, w * 0.62],
            st,
        )
    )
    return out
