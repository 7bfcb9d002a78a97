"""ComparisonTab: treatments side by side for the consultation, with a glance graphic."""

from __future__ import annotations

import html

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain.comparison import ComparisonView, Measure, Visual
from exodesk.domain.patient import Patient
from exodesk.domain.screening_vocabulary import verdict_look
from exodesk.errors import UserError
from exodesk.services.comparison import ComparisonService
from exodesk.services.context import SETTINGS, Changes
from exodesk.services.screening import SCREENINGS
from exodesk.ui import tips
from exodesk.ui.common import named
from exodesk.ui.current import CurrentPatient
from exodesk.ui.errors import show_user_error
from exodesk.ui.look import NOTE, ink, ink_style
from exodesk.ui.printing import preview_job
from exodesk.ui.widgets import NoWheelComboBox

DOWNTIME_TRACK_DAYS = 14
_SUPERSCRIPTS = str.maketrans("0123456789,", "⁰¹²³⁴⁵⁶⁷⁸⁹˒")
# An estimate is drawn a shade fainter than a sourced figure (still readable, see ui.look).
_ESTIMATE = "#8a8f98"


class GlanceWidget(QWidget):
    """Invasiveness dots, a downtime bar and session dots for one treatment, words beside."""

    def __init__(self, visual: Visual) -> None:
        super().__init__()
        self._ink = QColor()
        self._estimate = QColor()
        self.visual = visual
        self.setObjectName("glance")
        self.setMinimumHeight(78)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        words = [
            f"Invasiveness {visual.invasiveness.value} of 5: {visual.invasiveness.words}",
            f"Downtime: {visual.downtime_days.words}",
            f"Sessions: {visual.sessions.words}",
        ]
        self.setAccessibleName("At a glance")
        self.setAccessibleDescription(". ".join(words))
        self.setToolTip("\n".join(words) + self._estimate_note())

    def _estimate_note(self) -> str:
        if any(m.estimate for m in self._measures()):
            return "\n* an estimate: no source gives this number"
        return ""

    def _measures(self) -> tuple[Measure, Measure, Measure]:
        v = self.visual
        return v.invasiveness, v.downtime_days, v.sessions

    def sizeHint(self) -> QSize:
        return QSize(220, 78)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(self.font())
        painter.setFont(font)
        line = 24
        size = 11.0
        # The palette's own text colour: the glance sits on the window, light or dark.
        self._ink = self.palette().color(QPalette.ColorRole.WindowText)
        self._estimate = QColor(ink(_ESTIMATE))
        invasive, downtime, sessions = self._measures()
        self._dots(painter, 4, 4, invasive.value, 5, size, invasive)
        self._words(painter, 4 + 5 * (size + 4) + 6, 4, invasive, size)
        days = min(downtime.value, DOWNTIME_TRACK_DAYS)
        block = size * 0.55
        colour = self._estimate if downtime.estimate else self._ink
        painter.setPen(QPen(colour, 1))
        for day in range(DOWNTIME_TRACK_DAYS):
            rect = QRectF(4 + day * (block + 1), 4 + line, block, size)
            painter.setBrush(QBrush(colour) if day < days else Qt.BrushStyle.NoBrush)
            painter.drawRect(rect)
        self._words(painter, 4 + DOWNTIME_TRACK_DAYS * (block + 1) + 6, 4 + line, downtime, size)
        upper = max(sessions.max or sessions.value, sessions.value)
        shown = min(upper, 6)
        self._dots(painter, 4, 4 + 2 * line, min(sessions.value, shown), shown, size, sessions)
        self._words(painter, 4 + shown * (size + 4) + 6, 4 + 2 * line, sessions, size)
        painter.end()

    def _dots(
        self,
        painter: QPainter,
        x: float,
        y: float,
        filled: int,
        total: int,
        size: float,
        measure: Measure,
    ) -> None:
        colour = self._estimate if measure.estimate else self._ink
        painter.setPen(QPen(colour, 1.4))
        for n in range(total):
            painter.setBrush(QBrush(colour) if n < filled else Qt.BrushStyle.NoBrush)
            painter.drawEllipse(QRectF(x + n * (size + 4), y, size, size))

    def _words(self, painter: QPainter, x: float, y: float, measure: Measure, size: float) -> None:
        painter.setPen(self._estimate if measure.estimate else self._ink)
        text = measure.words + (" *" if measure.estimate else "")
        painter.drawText(
            QRectF(x, y - 3, self.width() - x, size + 8),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            text,
        )


PICKS_PER_ROW = 4


class ComparisonTab(QWidget):
    """Pick a concern or 2–4 treatments; they sit side by side, rows aligned."""

    data_changed = Signal(object)  # Changes

    def __init__(self, comparison: ComparisonService, current: CurrentPatient) -> None:
        super().__init__()
        self.setObjectName("comparisonTab")
        self._comparison = comparison
        self._current = current
        self.view: ComparisonView | None = None
        content = comparison.standard_content()
        self.concern = named(
            NoWheelComboBox(),
            "comparisonConcern",
            "Concern",
            "Pre-selects the treatments usually considered for it",
        )
        self.concern.addItem("Pick treatments by hand", None)
        for concern in content.concerns:
            self.concern.addItem(concern.label, concern.id)
        self.for_patient = named(
            QCheckBox("Mark what the &screening says for this patient"),
            "comparisonForPatient",
            "Show the patient's screening marks",
            "Boxes in red the treatments the patient's current screening stands in the way of.",
        )
        self.for_patient.setChecked(True)
        self.print_button = named(
            QPushButton("Print or sa&ve…"),
            "comparisonPrint",
            "Print or save the comparison handout",
        )
        self.picks: dict[str, QCheckBox] = {}
        # Four to a row: one row of eight made the window 1242 px wide (issue #18).
        picks_row = QGridLayout()
        for n, treatment in enumerate(content.treatments):
            box = named(
                QCheckBox(treatment.label), f"compare_{treatment.id}", f"Compare {treatment.label}"
            )
            box.toggled.connect(self._picked)
            self.picks[treatment.id] = box
            picks_row.addWidget(box, n // PICKS_PER_ROW, n % PICKS_PER_ROW)
        picks_row.setColumnStretch(PICKS_PER_ROW, 1)
        self.message = QLabel()
        self.message.setObjectName("comparisonMessage")
        self.message.setWordWrap(True)
        self.grid_host = QWidget()
        self.grid_host.setObjectName("comparisonGrid")
        self.grid = QGridLayout(self.grid_host)
        self.grid.setHorizontalSpacing(14)
        self.grid.setVerticalSpacing(8)
        scroll = QScrollArea()
        scroll.setObjectName("comparisonScroll")
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.grid_host)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        top = QHBoxLayout()
        top.addWidget(QLabel("Concern:"))
        top.addWidget(self.concern)
        top.addWidget(self.for_patient)
        top.addStretch(1)
        top.addWidget(self.print_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(picks_row)
        layout.addWidget(self.message)
        layout.addWidget(scroll, 1)
        self.concern.currentIndexChanged.connect(self._concern_chosen)
        self.for_patient.toggled.connect(self.refresh)
        self.print_button.clicked.connect(self.print_handout)
        current.changed.connect(lambda _p: self.refresh())
        self.concern.setCurrentIndex(max(0, self.concern.findData("skin_rejuvenation")))

    # ---- choosing ------------------------------------------------------------------------
    @property
    def patient(self) -> Patient | None:
        return self._current.patient

    def chosen(self) -> list[str]:
        return [key for key, box in self.picks.items() if box.isChecked()]

    def _concern_chosen(self) -> None:
        concern = self.concern.currentData()
        if concern is None:
            return
        wanted = set(self._comparison.standard_content().concern(concern).treatments)
        for key, box in self.picks.items():
            box.blockSignals(True)
            box.setChecked(key in wanted)
            box.blockSignals(False)
        self._picked()

    def _picked(self) -> None:
        chosen = self.chosen()
        # At most four columns stay readable across a desk; the rest wait their turn.
        for box in self.picks.values():
            box.setEnabled(box.isChecked() or len(chosen) < 4)
        if self.concern.currentData() is not None:
            standard = self._comparison.standard_content()
            wanted = set(standard.concern(self.concern.currentData()).treatments)
            if set(chosen) != wanted:
                self.concern.blockSignals(True)
                self.concern.setCurrentIndex(0)
                self.concern.blockSignals(False)
        self.refresh()

    # ---- showing -------------------------------------------------------------------------
    def refresh(self) -> None:
        """Build the view for what is chosen and lay it out as aligned rows."""
        chosen = self.chosen()
        patient = self.patient
        self.for_patient.setEnabled(patient is not None)
        if len(chosen) < 2:
            self.view = None
            self._clear()
            self.message.setText("Choose at least two treatments to compare.")
            self.print_button.setEnabled(False)
            return
        try:
            self.view = self._comparison.view(
                chosen,
                concern=self.concern.currentData(),
                patient_id=patient.id if patient and self.for_patient.isChecked() else None,
            )
        except UserError as exc:
            show_user_error(self, exc)
            return
        self.message.setText(self.view.subtitle)
        self.print_button.setEnabled(True)
        self._lay_out(self.view)

    def _clear(self) -> None:
        while (item := self.grid.takeAt(0)) is not None:  # None once the grid is empty
            widget = item.widget()
            if widget is not None:
                # Off the screen now: deleteLater alone leaves it painted until the next loop.
                widget.hide()
                widget.setParent(None)
                widget.deleteLater()

    def _lay_out(self, view: ComparisonView) -> None:
        self._clear()
        for column, treatment in enumerate(view.columns, start=1):
            title = QLabel(f"<b>{html.escape(treatment.label)}</b>")
            title.setObjectName(f"column_{treatment.treatment}")
            title.setStyleSheet("font-size: 14pt;")
            title.setWordWrap(True)
            self.grid.addWidget(title, 0, column)
            if treatment.mark is not None:
                # The verdict's symbol and colour, as on the screening card and the printout.
                look = verdict_look(treatment.mark.verdict)
                mark = QLabel(
                    f"{look.symbol} <b>{html.escape(treatment.mark.heading)}</b>"
                    + (f": {html.escape(treatment.mark.detail)}" if treatment.mark.detail else "")
                )
                mark.setObjectName(f"mark_{treatment.treatment}")
                mark.setToolTip(tips.mark_tip(treatment.mark.verdict))
                mark.setWordWrap(True)
                mark.setFrameShape(QFrame.Shape.Box)
                mark.setStyleSheet(
                    f"QLabel {{ border: 2px solid {look.colour}; padding: 4px; "
                    f"color: {look.colour}; background: {look.background}; }}"
                )
                self.grid.addWidget(mark, 1, column)
            self.grid.addWidget(GlanceWidget(treatment.visual), 2, column)
        glance_label = QLabel("<b>At a glance</b>")
        self.grid.addWidget(glance_label, 2, 0, Qt.AlignmentFlag.AlignTop)
        notes = {f.number: f for f in view.footnotes}
        # Striped rows take both colours from the palette (pale grey on light, dark on dark).
        palette = self.palette()
        stripe = (
            f"background: {palette.color(QPalette.ColorRole.AlternateBase).name()}; "
            f"color: {palette.color(QPalette.ColorRole.Text).name()};"
        )
        for r, row in enumerate(view.rows, start=3):
            label = QLabel(f"<b>{html.escape(row.label)}</b>")
            label.setWordWrap(True)
            self.grid.addWidget(label, r, 0, Qt.AlignmentFlag.AlignTop)
            for c, cell in enumerate(row.cells, start=1):
                text = html.escape(cell.text)
                if cell.footnotes:
                    text += ",".join(str(n) for n in cell.footnotes).translate(_SUPERSCRIPTS)
                if cell.edited:
                    text += " <i>(clinic)</i>"
                if cell.note:
                    text += f"<br><span style='color:{ink(NOTE)}'>{html.escape(cell.note)}</span>"
                widget = QLabel(text)
                widget.setWordWrap(True)
                widget.setTextFormat(Qt.TextFormat.RichText)
                widget.setObjectName(f"cell_{row.id}_{c}")
                widget.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
                tip = [f"{n}. {notes[n].citation}" for n in cell.footnotes if n in notes]
                if cell.edited:
                    tip.insert(0, tips.CLINIC_WORDING)
                widget.setToolTip(
                    "\n".join(tip) or ("Unknown: the sources say nothing" if cell.unknown else "")
                )
                if r % 2:
                    widget.setStyleSheet(stripe)
                self.grid.addWidget(widget, r, c)
        sources = QLabel(
            "Sources: "
            + "  ".join(f"{f.number}. {html.escape(f.citation)}" for f in view.footnotes)
            + ("<br>* an estimate: no source gives this number" if view.has_estimates else "")
        )
        sources.setWordWrap(True)
        sources.setTextFormat(Qt.TextFormat.RichText)  # escaped: shown as rich text always
        sources.setObjectName("comparisonSources")
        sources.setStyleSheet(ink_style("#444444"))
        last = len(view.rows) + 3
        self.grid.addWidget(sources, last, 0, 1, len(view.columns) + 1)
        self.grid.setColumnStretch(0, 2)
        for c in range(1, 5):
            self.grid.setColumnStretch(c, 4 if c <= len(view.columns) else 0)
        self.grid.setRowStretch(last + 1, 1)

    # ---- printing ------------------------------------------------------------------------
    def print_handout(self) -> None:
        view = self.view
        if view is None:
            return
        patient = self.patient if self.for_patient.isChecked() else None
        try:
            job = self._comparison.handout_job(view, patient_id=patient.id if patient else None)
        except UserError as exc:
            show_user_error(self, exc)
            return
        preview_job(self, job, self.data_changed.emit)

    def on_data_changed(self, changes: Changes) -> None:
        if changes.touches(SETTINGS) or changes.touches(SCREENINGS):
            self.refresh()
