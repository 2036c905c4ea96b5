"""Page geometry shared by the report renderer and the signer (PDF points, origin bottom-left, A4).

The last page of every report is a signature page with two empty boxes; the signer places the
visible signature of each role exactly in its box (:data:`SIGNATURE_BOXES`).
"""

from __future__ import annotations

from reportlab.lib.pagesizes import A4

PAGE_WIDTH, PAGE_HEIGHT = A4  #: 595.28 × 841.89 pt
MARGIN = 51.0  #: 18 mm left/right/bottom
TOP_MARGIN = 62.0  #: room for the running header
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN

_BOX_GAP = 24.0
_BOX_W = (FRAME_WIDTH - _BOX_GAP) / 2
_BOX_BOTTOM, _BOX_TOP = 380.0, 520.0

#: role → (x1, y1, x2, y2) of the visible signature on the last page.
SIGNATURE_BOXES: dict[str, tuple[float, float, float, float]] = {
    "tester": (MARGIN, _BOX_BOTTOM, MARGIN + _BOX_W, _BOX_TOP),
    "witness": (MARGIN + _BOX_W + _BOX_GAP, _BOX_BOTTOM, PAGE_WIDTH - MARGIN, _BOX_TOP),
}

#: role → signature field name.
SIGNATURE_FIELDS = {"tester": "Sig_tester", "witness": "Sig_witness"}

#: Top of the free area above the boxes on the signature page (frame bottom).
SIGNATURE_FRAME_BOTTOM = _BOX_TOP + 40.0

#: Custom document-information keys (without the leading slash).
INFO_AUDIT_HEAD = "WitnessBenchAuditHead"
INFO_SESSION_ID = "WitnessBenchSessionId"
INFO_SESSION_REF = "WitnessBenchSessionRef"
INFO_TEMPLATE = "WitnessBenchTemplate"
INFO_SESSION_UID = "WitnessBenchSessionUid"
