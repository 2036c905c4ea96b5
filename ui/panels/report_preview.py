"""Page preview of the witness report: pages stacked in a scroll area with zoom (25–300 %), fit
width (the default, so a page is readable at 1366×768) and page navigation.

:class:`ElidedLabel` shows long text (the session hash, names) elided in the middle with the full
text in its tooltip. Pages are PNGs rendered by :func:`ui.report_jobs.preview_pages`; zooming
scales the rendered images (the preview resolution keeps fit width and 150 % sharp).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QPixmap, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

ZOOM_STEPS = [25, 33, 50, 67, 75, 90, 100, 110, 125, 150, 175, 200, 250, 300]  #: percent
MARGIN = 28  #: pixels kept free beside a page at fit width (scroll bar and frame)


class PagePreview(QWidget):
    """Toolbar (page n of N, previous/next, zoom out/in, fit width) over the scrolling pages."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pixmaps: list[QPixmap] = []
        self.page_labels: list[QLabel] = []
        self.zoom = 100  #: percent of the rendered size
        self.fit = True  #: follow the viewport width

        self.prev_btn = QPushButton("◀")
        self.prev_btn.setToolTip("Previous page")
        self.prev_btn.clicked.connect(lambda: self.go_to(self.current_page() - 1))
        self.next_btn = QPushButton("▶")
        self.next_btn.setToolTip("Next page")
        self.next_btn.clicked.connect(lambda: self.go_to(self.current_page() + 1))
        self.page_spin = QSpinBox(minimum=1, maximum=1)
        self.page_spin.setPrefix("Page ")
        self.page_spin.valueChanged.connect(lambda n: self.go_to(n - 1))
        self.count_label = QLabel("of 0")
        self.out_btn = QPushButton("−")
        self.out_btn.setToolTip("Zoom out")
        self.out_btn.clicked.connect(lambda: self.step_zoom(-1))
        self.in_btn = QPushButton("+")
        self.in_btn.setToolTip("Zoom in")
        self.in_btn.clicked.connect(lambda: self.step_zoom(1))
        self.zoom_label = QLabel("100 %")
        self.zoom_label.setMinimumWidth(48)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.fit_btn = QPushButton("Fit width")
        self.fit_btn.setCheckable(True)
        self.fit_btn.setChecked(True)
        self.fit_btn.toggled.connect(self.set_fit)
        for b in (self.prev_btn, self.next_btn, self.out_btn, self.in_btn):
            b.setFixedWidth(32)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        for w in (self.prev_btn, self.page_spin, self.count_label, self.next_btn):
            bar.addWidget(w)
        bar.addSpacing(16)
        for w in (self.out_btn, self.zoom_label, self.in_btn, self.fit_btn):
            bar.addWidget(w)
        bar.addStretch(1)

        self.pages_box = QWidget()
        self.pages_layout = QVBoxLayout(self.pages_box)
        self.pages_layout.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.pages_layout.setSpacing(12)
        self.placeholder = QLabel()
        self.placeholder.setWordWrap(True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setMinimumWidth(380)
        self.pages_layout.addWidget(self.placeholder)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setWidget(self.pages_box)
        self.scroll_area.setObjectName("reportPreview")
        self.scroll_area.setStyleSheet(
            "#reportPreview > QWidget > QWidget { background: #e4e7eb; }"
        )
        self.scroll_area.verticalScrollBar().valueChanged.connect(lambda _v: self._sync_page())
        # fit width follows the viewport once the layout has settled (tab shown, window resized)
        self._refit_timer = QTimer(self)
        self._refit_timer.setSingleShot(True)
        self._refit_timer.setInterval(0)
        self._refit_timer.timeout.connect(self._refit)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(bar)
        lay.addWidget(self.scroll_area, 1)
        self._update_controls()

    # -- content -------------------------------------------------------------------------------
    def show_placeholder(self, text: str) -> None:
        self.set_pages([])
        self.placeholder.setText(text)
        self.placeholder.show()

    def set_pages(self, pngs: list[Path], note: str = "") -> None:
        """Show the page images (replacing any); ``note`` is shown above them when given."""
        for lab in self.page_labels:
            self.pages_layout.removeWidget(lab)
            lab.deleteLater()
        self.page_labels = []
        self.pixmaps = [QPixmap(str(p)) for p in pngs]
        for i in range(1, len(self.pixmaps) + 1):
            lab = QLabel()
            lab.setToolTip(f"Page {i} of {len(self.pixmaps)}")
            lab.setStyleSheet("background: white; border: 1px solid #b9c2cf;")
            lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.pages_layout.addWidget(lab)
            lab.show()  # now, not on the next event-loop turn: the layout places it at once
            self.page_labels.append(lab)
        self.placeholder.setVisible(bool(note) or not self.pixmaps)
        if note:
            self.placeholder.setText(note)
        self._apply_zoom()
        self._update_controls()

    # -- zoom ----------------------------------------------------------------------------------
    def fit_zoom(self) -> int:
        """Zoom (percent) at which the widest page fills the viewport width."""
        if not self.pixmaps:
            return 100
        width = max(pm.width() for pm in self.pixmaps) or 1
        avail = max(100, self.scroll_area.viewport().width() - MARGIN)
        return max(ZOOM_STEPS[0], min(ZOOM_STEPS[-1], int(100 * avail / width)))

    def set_fit(self, on: bool) -> None:
        self.fit = on
        if self.fit_btn.isChecked() != on:
            self.fit_btn.setChecked(on)
        self._apply_zoom()

    def set_zoom(self, percent: int) -> None:
        """Zoom to ``percent`` (clamped to 25–300); leaves fit-width mode."""
        self.fit = False
        self.fit_btn.blockSignals(True)
        self.fit_btn.setChecked(False)
        self.fit_btn.blockSignals(False)
        self.zoom = max(ZOOM_STEPS[0], min(ZOOM_STEPS[-1], int(percent)))
        self._apply_zoom()

    def step_zoom(self, direction: int) -> None:
        z = self.zoom
        steps = [s for s in ZOOM_STEPS if (s > z if direction > 0 else s < z)]
        if steps:
            self.set_zoom(steps[0] if direction > 0 else steps[-1])

    def _apply_zoom(self) -> None:
        page = self.current_page()
        if self.fit:
            self.zoom = self.fit_zoom()
        for lab, pm in zip(self.page_labels, self.pixmaps):
            w = max(1, round(pm.width() * self.zoom / 100))
            lab.setPixmap(
                pm.scaledToWidth(w, Qt.TransformationMode.SmoothTransformation)
                if w != pm.width()
                else pm
            )
        self.zoom_label.setText(f"{self.zoom} %")
        self.pages_layout.activate()
        # what the scroll area would do on its next layout pass, done now so navigation works
        self.pages_box.resize(self.pages_box.sizeHint().expandedTo(self.scroll_area.viewport().size()))
        self.go_to(page)

    def _refit(self) -> None:
        if self.fit and self.pixmaps and self.fit_zoom() != self.zoom:
            self._apply_zoom()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._refit_timer.start()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._refit_timer.start()

    # -- navigation ----------------------------------------------------------------------------
    def current_page(self) -> int:
        """0-based index of the page at the top of the viewport."""
        y = self.scroll_area.verticalScrollBar().value()
        page = 0
        for i, lab in enumerate(self.page_labels):
            if lab.y() <= y + 20:
                page = i
        return page

    def go_to(self, page: int) -> None:
        """Scroll so that page ``page`` (0-based) is at the top."""
        if not self.page_labels:
            return
        page = max(0, min(page, len(self.page_labels) - 1))
        self.scroll_area.verticalScrollBar().setValue(max(0, self.page_labels[page].y() - 6))
        self._sync_page(page)

    def _sync_page(self, page: int | None = None) -> None:
        n = len(self.page_labels)
        p = self.current_page() if page is None else page
        self.page_spin.blockSignals(True)
        self.page_spin.setMaximum(max(1, n))
        self.page_spin.setValue(p + 1)
        self.page_spin.blockSignals(False)
        self.count_label.setText(f"of {n}")
        self.prev_btn.setEnabled(n > 0 and p > 0)
        self.next_btn.setEnabled(n > 0 and p < n - 1)

    def _update_controls(self) -> None:
        has = bool(self.pixmaps)
        for w in (self.page_spin, self.out_btn, self.in_btn, self.fit_btn):
            w.setEnabled(has)
        self._sync_page()


class ElidedLabel(QLabel):
    """Plain-text label; :meth:`full_text` is the whole text, :meth:`text` what fits."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(60)
        self.set_full_text(text)

    def set_full_text(self, text: str, tooltip: str | None = None) -> None:
        self._full = text
        self.setToolTip(tooltip if tooltip is not None else text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def _elide(self) -> None:
        width = max(10, self.contentsRect().width())
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideMiddle, width)
        super().setText(shown)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()
