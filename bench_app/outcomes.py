"""The typed vocabulary of results: step verdicts, overall statuses, deviations and the causes of
an overall result.

Every enum is a :class:`enum.StrEnum` whose values are the strings stored in the database, printed
by ``--json`` and shown in reports, so ``Verdict.NOT_RUN == "not-run"`` and stored values never
change. :class:`Deviation` is the one deviation type: the overall result, the equipment register's
:func:`bench_app.equipment.deviations.session_deviations`, the report and the GUI all use it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Verdict(enum.StrEnum):
    """A checklist step's verdict as stored in ``step_results.verdict``."""

    PASS = "pass"
    FAIL = "fail"
    NA = "na"
    NOT_RUN = "not-run"


#: Every verdict in display order.
VERDICTS: tuple[str, ...] = tuple(v.value for v in Verdict)


class Status(enum.StrEnum):
    """A session's overall result (:func:`bench_app.checklist.verdict.overall_result`)."""

    PASS = "PASS"
    FAIL = "FAIL"
    INCOMPLETE = "INCOMPLETE"


class CauseKind(enum.StrEnum):
    """Why an overall result is not a plain PASS: what each reason line is."""

    FAIL = "fail"  #: a failed step, an equipment mismatch, an unmet condition, a disagreement
    NOT_RUN = "not-run"  #: a step of the template that was not run
    INCOMPLETE = "incomplete"  #: anything else that keeps the result INCOMPLETE
    NOTE = "note"  #: a PASS with deviations says so


@dataclass(frozen=True)
class Cause:
    """One reason of an overall result: its ``kind``, the step it is about (if any) and a
    sentence."""

    kind: CauseKind
    text: str
    step_id: str = ""


class DeviationKind(enum.StrEnum):
    """What a :class:`Deviation` is; :attr:`label` is how the report names it."""

    OVERRIDE = "override"
    NA = "na"
    EQUIPMENT = "equipment"
    RECONCILIATION = "reconciliation"
    SERIAL_ACCEPTED = "serial-accepted"
    INCOMPLETE_COLLECTION = "incomplete-collection"
    INCOMPLETE_RUN = "incomplete-run"
    DISPENSATION = "dispensation"
    DISPENSATION_EXPIRED = "dispensation-expired"
    COP_DEPARTURE = "cop-departure"
    COP_ISSUE = "cop-issue"
    CONDITION = "condition"
    TEMPLATE_OVERRIDE = "template-override"
    LIMIT_NOT_CONFIRMED = "limit-not-confirmed"
    ERROR = "error"

    @property
    def label(self) -> str:
        """The report's name for this kind (the Deviations table's first column)."""
        return _LABELS[self]


_LABELS = {
    DeviationKind.OVERRIDE: "Verdict overridden",
    DeviationKind.NA: "N/A without template reason",
    DeviationKind.EQUIPMENT: "Equipment warning",
    DeviationKind.RECONCILIATION: "Reconciliation",
    DeviationKind.SERIAL_ACCEPTED: "Import or read of another serial accepted",
    DeviationKind.INCOMPLETE_COLLECTION: "Incomplete collection",
    DeviationKind.INCOMPLETE_RUN: "Run confirmed with steps not run",
    DeviationKind.DISPENSATION: "Dispensation (failure)",
    DeviationKind.DISPENSATION_EXPIRED: "Dispensation not valid",
    DeviationKind.COP_DEPARTURE: "CoP departure",
    DeviationKind.COP_ISSUE: "CoP issue",
    DeviationKind.CONDITION: "Condition",
    DeviationKind.TEMPLATE_OVERRIDE: "Template override",
    DeviationKind.LIMIT_NOT_CONFIRMED: "Figure NOT CONFIRMED",
    DeviationKind.ERROR: "Not listed (error)",
}


@dataclass(frozen=True)
class Deviation:
    """A departure the witness must see, in the report's one Deviations section.

    :param kind: what it is (:class:`DeviationKind`).
    :param text: one sentence for the report.
    :param step_id: the checklist step it is about ("" when it is about no step).
    :param reference: what covers it or what it is about (dispensation reference, CoP, template,
        collection…); the report shows ``step_id`` when this is empty.
    :param proposed: for an override, the bench's proposed verdict.
    :param verdict: for an override or an n/a, the recorded verdict.
    :param by: who recorded the verdict.
    :param reason: the person's reason (appended to the text).
    """

    kind: DeviationKind
    text: str
    step_id: str = ""
    reference: str = ""
    proposed: str = ""
    verdict: str = ""
    by: str = ""
    reason: str = ""

    def to_json(self) -> dict[str, str]:
        """``{"kind", "reference", "step_id", "text"}`` as the report and the CLI print it."""
        text = self.text + (f"; reason: {self.reason}" if self.reason else "")
        return {
            "kind": str(self.kind),
            "reference": self.reference or self.step_id,
            "step_id": self.step_id,
            "text": text,
        }
