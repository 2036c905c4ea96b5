"""The "Meter" box of the Connection panel: identity, clock and how the identity compares with
the session's declared equipment, shown in place as soon as the identity is read.

Manufacturer names come from the FLAG id table ``resources/identity/flag_ids.csv``; the model
from the meter description whose FLAG id and outstation type match — the descriptions the drivers
use, found by :mod:`bench_app.meters` (the user's ``meters/`` folder, then the bundled
``resources/meters/``) — else the identification text the meter sent. Mismatches are the
:class:`bench_app.equipment.checks.Finding` objects of :func:`check_session`; this module only
shows them.
"""

from __future__ import annotations

import csv
import html
from functools import cache
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QVBoxLayout

from bench_app import meters
from bench_app.paths import resource_path

if TYPE_CHECKING:
    from drivers.description import Description

BAD = "#b02a2a"
GOOD = "#1e7b34"
#: result rows: key → label
ROWS = [
    ("serial", "Serial number"),
    ("manufacturer", "Manufacturer"),
    ("model", "Model"),
    ("outstation_type", "Outstation type"),
    ("firmware", "Firmware"),
    ("clock", "Meter clock"),
    ("deviation", "Clock deviation"),
    ("last", "Last result"),
]
#: Finding.component → the row it belongs to (firmware components go to "firmware")
_ROW_OF = {"serial": "serial", "outstation_type": "outstation_type"}


@cache
def flag_names() -> dict[str, str]:
    """FLAG id (3 capital letters) → manufacturer name, from the resources table."""
    path = resource_path("identity", "flag_ids.csv")
    if not path.exists():
        return {}
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    return {r["flag"].strip().upper(): r["name"].strip() for r in csv.DictReader(lines)}


def manufacturer_text(flag: str) -> str:
    """``"Landis+Gyr (Zug) (FLAG LGZ)"``; the id as read when it is not in the table."""
    code = (flag or "").strip()
    if not code:
        return "—"
    name = flag_names().get(code[:3].upper())
    return f"{name} (FLAG {code[:3].upper()})" if name else f"{code} (FLAG id not in the table)"


def manufacturer_html(identity: Any) -> str:
    """Manufacturer by name from the FLAG table; the matching meter description's manufacturer
    below it when that names someone else (the FLAG register keeps historical owners)."""
    text = html.escape(manufacturer_text(identity.manufacturer))
    named = description_field(_description_for(identity), "manufacturer")
    if named and named.lower() not in text.lower():
        text += f"<br><span style='color:#666'>meter description: {html.escape(named)}</span>"
    return text


@cache
def _descriptions() -> tuple[Description, ...]:
    """Every meter description the drivers use (user folder first, then the bundled ones), from
    :mod:`bench_app.meters`; cached: the files do not change while the window is open."""
    return tuple(meters.all_descriptions())


def _description_for(identity: Any) -> Description | None:
    """The meter description whose FLAG id and outstation type match the identity read."""
    flag = (identity.manufacturer or "")[:3].upper()
    otype = (identity.outstation_type or "").upper()
    for d in _descriptions():
        same_flag = bool(flag) and d.flag.upper() == flag
        same_type = not otype or d.outstation_type.upper() == otype
        if same_flag and same_type:
            return d
    return None


def description_field(desc: Description | None, key: str) -> str:
    """A text field of the description (``model``, ``manufacturer``) as its file states it."""
    return str((desc.raw if desc is not None else {}).get(key) or "")


def model_text(identity: Any) -> str:
    """Model from the matching meter description (FLAG id + outstation type), else as read."""
    model = description_field(_description_for(identity), "model")
    if model:
        return f"{model} (meter description; identification {identity.model or '—'})"
    return identity.model or "—"


class IdentityView(QGroupBox):
    """Read-only rows (``labels[key]``) plus a banner summarising mismatches with the session."""

    def __init__(self) -> None:
        super().__init__("Meter")
        self.banner = QLabel("")
        self.banner.setWordWrap(True)
        self.banner.setObjectName("identityBanner")
        self.banner.hide()
        form = QFormLayout()
        self.labels: dict[str, QLabel] = {}
        for key, label in ROWS:
            lab = QLabel("—")
            lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            lab.setWordWrap(True)
            self.labels[key] = lab
            form.addRow(label, lab)
        lay = QVBoxLayout(self)
        lay.addWidget(self.banner)
        lay.addLayout(form)
        lay.addStretch(1)
        self.mismatched: set[str] = set()

    def show(self, identity: Any, findings: list | None) -> list:  # type: ignore[override]
        """Fill the identity rows and mark each mismatch in its row; returns the mismatches.

        :param findings: :func:`check_session` results; None when no session is open.
        """
        compared = findings is not None
        findings = findings or []
        mism = [f for f in findings if getattr(f, "is_mismatch", False)]
        notes: dict[str, list[str]] = {}
        fw_bad: dict[str, list[str]] = {}
        for f in mism:
            row = _ROW_OF.get(f.component, "firmware" if f.code == "firmware-mismatch" else "")
            what = "the application" if f.source == "application" else "the session"
            note = f"{what} declares <b>{html.escape(f.declared or '—')}</b>"
            if row == "firmware":
                fw_bad.setdefault(f.component, []).append(note)
            elif row:
                notes.setdefault(row, []).append(note)
        fw_lines = []
        for comp, version in identity.firmware.items():
            line = f"{html.escape(comp)} {html.escape(version)}"
            if comp in fw_bad:  # only the component that differs is marked
                line = (
                    f"<span style='color:{BAD}'><b>✘ {line}</b> — {'; '.join(fw_bad[comp])}</span>"
                )
            fw_lines.append(line)
        values = {
            "serial": html.escape(identity.serial or "—"),
            "manufacturer": manufacturer_html(identity),
            "model": html.escape(model_text(identity)),
            "outstation_type": html.escape(identity.outstation_type or "—"),
            "firmware": "<br>".join(fw_lines) or "—",
        }
        self.mismatched = set(notes) | ({"firmware"} if fw_bad else set())
        for key, text in values.items():
            lab = self.labels[key]
            if key == "firmware" and fw_bad:
                lab.setText(text)
                lab.setToolTip("The marked firmware differs from what was declared")
            elif key in notes:
                lab.setText(
                    f"<span style='color:{BAD}'><b>✘ {text}</b></span><br>"
                    f"<span style='color:{BAD}'>{'<br>'.join(notes[key])}</span>"
                )
                lab.setToolTip("Differs from what was declared for this session")
            else:
                lab.setText(text)
                lab.setToolTip("")
        if mism:
            self.banner.setText(
                f"<b style='color:{BAD}'>✘ This meter is not the declared equipment:</b> "
                + "; ".join(html.escape(f.message) for f in mism)
            )
            self.banner.setStyleSheet(
                f"background:#fbeaea; border:1px solid {BAD}; padding:4px; border-radius:3px"
            )
            self.banner.show()
        elif any(f.code == "no-declaration" for f in findings):
            self.banner.setText(
                "Nothing declared to compare with: record the equipment under test "
                "(sidebar) to check the identity."
            )
            self.banner.setStyleSheet("background:#fff6dd; padding:4px; border-radius:3px")
            self.banner.show()
        elif not compared:
            self.banner.setText("No session open: the identity is not compared with anything.")
            self.banner.setStyleSheet("background:#fff6dd; padding:4px; border-radius:3px")
            self.banner.show()
        else:
            self.banner.setText(
                f"<b style='color:{GOOD}'>✔ Identity matches the declared equipment</b>"
            )
            self.banner.setStyleSheet("background:#e9f5ec; padding:4px; border-radius:3px")
            self.banner.show()
        return mism
