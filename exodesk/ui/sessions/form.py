"""SessionForm: every field of a treatment session, with the checks shown as they apply."""

from __future__ import annotations

import html
from dataclasses import replace
from datetime import date, datetime

from PySide6.QtCore import QDate, QDateTime, Qt, QTime, QTimer, Signal
from PySide6.QtGui import QHideEvent, QMouseEvent, QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain.allergies import NOT_RECORDED, AllergyCheck
from exodesk.domain.problems import Problem
from exodesk.domain.session_defaults import treatment_defaults
from exodesk.domain.sessions import (
    AREAS,
    DELIVERY_METHODS,
    INDICATIONS,
    REACTIONS,
    TREATMENTS,
    PrpPreparation,
    SessionProduct,
    TreatmentSession,
    lab_reports_expected,
    lot_check,
)
from exodesk.services.catalogue import CatalogueService
from exodesk.services.sessions import SessionCheck, SessionService
from exodesk.ui import tips
from exodesk.ui.common import clear_when_edited, error_label, named
from exodesk.ui.look import CAUTION, ERROR, ink, ink_style
from exodesk.ui.sessions.lot_words import (
    lot_choice_text,
    lot_flag_text,
    lot_flag_tip,
    lot_flags_tip,
)
from exodesk.ui.widgets import (
    NoWheelComboBox,
    NoWheelDateTimeEdit,
    NoWheelDoubleSpinBox,
    NoWheelSpinBox,
)

CHECK_DELAY_MS = 200
_LOT_ROLE = Qt.ItemDataRole.UserRole + 1  # a lot item's (Product, Lot)
# The fields whose problems the live check (validate_session) finds, so says again or clears.
_RECHECKED = (
    "performed_at",
    "practitioner_id",
    "treatment",
    "areas",
    "indication",
    "delivery",
    "needle_depth_mm",
    "anaesthetic_minutes",
    "products",
    "prp",
    "reactions",
    "notes",
)
CHECKS_PER_ROW = 3


def _checks(
    prefix: str, labels: dict[str, str], title: str
) -> tuple[QWidget, dict[str, QCheckBox]]:
    box = QWidget()
    grid = QGridLayout(box)  # three to a row: one long row pushed the form sideways
    grid.setContentsMargins(0, 0, 0, 0)
    found = {}
    for n, (key, label) in enumerate(labels.items()):
        check = named(QCheckBox(label), f"{prefix}_{key}", f"{title}: {label}")
        grid.addWidget(check, n // CHECKS_PER_ROW, n % CHECKS_PER_ROW)
        found[key] = check
    grid.setColumnStretch(CHECKS_PER_ROW, 1)
    return box, found


def _combo(name: str, accessible: str, options: dict[str, str]) -> QComboBox:
    combo = named(NoWheelComboBox(), name, accessible)
    for key, label in options.items():
        combo.addItem(label, key)
    return combo


class SessionForm(QWidget):
    """Edits one session draft. ``save_requested`` carries the draft and confirmed note ids."""

    save_requested = Signal(object, list)  # TreatmentSession, confirmed regulatory note ids
    cancel_requested = Signal()

    def __init__(self, sessions: SessionService, catalogue: CatalogueService) -> None:
        super().__init__()
        self.setObjectName("sessionForm")
        self._sessions = sessions
        self._catalogue = catalogue
        self._draft: TreatmentSession | None = None
        self._amending: int | None = None
        # Areas, indication and delivery follow the treatment (and the course) until the
        # person sets one by hand in this form; that one is then theirs and left alone.
        self._by_hand: set[str] = set()
        self._quiet = False  # the form itself is setting fields: nothing is "by hand"
        self._plans: dict[int, tuple[str, str]] = {}  # course id -> (treatment, indication)
        self._said: set[str] = set()  # the fields whose problems the last save showed
        self.errors: dict[str, QLabel] = {}

        self.title = QLabel("Record a session")
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.title.setFont(font)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for label, field, key in [
            *self._build_treatment_fields(),
            ("Products", self._build_products(), "products"),
            ("", self._build_prp(), "prp"),
            *self._build_outcome_fields(),
        ]:
            self._row(form, label, field, key)
        checks = self._build_checks()
        buttons = self._build_buttons()
        self.errors["form"] = error_label("session_error_form")
        # One column that scrolls up and down, never sideways; Save and Cancel sit under it,
        # outside the scroll area, so they are always in sight (issue #18).
        body = QWidget()
        body.setObjectName("sessionFormBody")
        column = QVBoxLayout(body)
        column.addWidget(self.title)
        column.addWidget(self.errors["form"])
        column.addLayout(form)
        column.addWidget(checks)
        column.addStretch(1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setObjectName("sessionFormScroll")
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.scroll_area.setWidget(body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scroll_area, 1)
        layout.addLayout(buttons)
        self._connect_checks()
        self._connect_problems()

    # ---- building ------------------------------------------------------------------------
    def _build_treatment_fields(self) -> list[tuple[str, QWidget | QLayout, str]]:
        """Course, when, who, what and how: the form's first rows (label, field, error key)."""
        self.course = named(NoWheelComboBox(), "session_course", "Course")
        self.performed_at = named(NoWheelDateTimeEdit(), "session_performed_at", "Date and time")
        self.performed_at.setCalendarPopup(True)
        self.performed_at.setDisplayFormat("dd MMM yyyy  HH:mm")
        self.practitioner = named(NoWheelComboBox(), "session_practitioner", "Practitioner")
        self.treatment = _combo("session_treatment", "Treatment", TREATMENTS)
        areas_box, self.areas = _checks("session_area", AREAS, "Area")
        self.indication = _combo("session_indication", "Indication", INDICATIONS)
        self.delivery = _combo("session_delivery", "Delivery method", DELIVERY_METHODS)
        self.delivery.setToolTip(tips.DELIVERY)
        self.needle_depth = named(
            NoWheelDoubleSpinBox(),
            "session_needle_depth",
            "Needle depth in mm",
            "Checked against 0.1–3.0 mm; 0 means no needling",
        )
        self.needle_depth.setRange(0.0, 3.0)
        self.needle_depth.setSingleStep(0.05)
        self.needle_depth.setDecimals(2)
        self.needle_depth.setSuffix(" mm")
        self.needle_depth.setSpecialValueText("none")
        # Chosen from the catalogue's anaesthetics (whose ingredients the allergy check knows)
        # or typed; typed words are searched for the allergen list too ("lidocaine 5%").
        self.anaesthetic = named(
            NoWheelComboBox(),
            "session_anaesthetic",
            "Topical anaesthetic",
            "Choose an anaesthetic from the product list, or type it",
        )
        self.anaesthetic.setEditable(True)
        self.anaesthetic.setInsertPolicy(NoWheelComboBox.InsertPolicy.NoInsert)
        anaesthetic_line = self.anaesthetic.lineEdit()
        assert anaesthetic_line is not None
        anaesthetic_line.setPlaceholderText("e.g. lidocaine 5% cream, or none")
        self.anaesthetic_minutes = named(
            NoWheelSpinBox(),
            "session_anaesthetic_minutes",
            "Anaesthetic minutes",
            "20–30 minutes is typical",
        )
        self.anaesthetic_minutes.setRange(0, 120)
        self.anaesthetic_minutes.setSuffix(" min")
        self.anaesthetic_minutes.setSpecialValueText("—")
        choice = QHBoxLayout()
        choice.addWidget(self.anaesthetic, 1)
        choice.addWidget(self.anaesthetic_minutes)
        # The allergy stop, beside the field it is about (and again under "Before saving").
        self.anaesthetic_allergy = _stop_label("session_anaesthetic_allergy")
        anaesthetic_row = QVBoxLayout()
        anaesthetic_row.setSpacing(2)
        anaesthetic_row.addLayout(choice)
        anaesthetic_row.addWidget(self.anaesthetic_allergy)
        return [
            ("Course", self.course, "course_id"),
            ("Date and time", self.performed_at, "performed_at"),
            ("Practitioner", self.practitioner, "practitioner_id"),
            ("Treatment", self.treatment, "treatment"),
            ("Areas", areas_box, "areas"),
            ("Indication", self.indication, "indication"),
            ("Delivery", self.delivery, "delivery"),
            ("Needle depth", self.needle_depth, "needle_depth_mm"),
            ("Anaesthetic", anaesthetic_row, "anaesthetic_minutes"),
        ]

    def _build_products(self) -> QVBoxLayout:
        """The products used: one row per lot, with its volume."""
        self.products = named(QTableWidget(0, 2), "session_products", "Products used")
        self.products.setHorizontalHeaderLabels(["Product and lot", "Volume (ml)"])
        self.products.horizontalHeader().setStretchLastSection(False)
        self.products.horizontalHeader().setSectionResizeMode(
            0, self.products.horizontalHeader().ResizeMode.Stretch
        )
        self.products.verticalHeader().hide()
        self.products.setMinimumHeight(90)
        self.products.setMaximumHeight(170)
        self.add_product = named(
            QPushButton("Add prod&uct"), "session_add_product", "Add a product"
        )
        self.remove_product = named(
            QPushButton("Remove"), "session_remove_product", "Remove the selected product"
        )
        product_buttons = QHBoxLayout()
        product_buttons.addWidget(self.add_product)
        product_buttons.addWidget(self.remove_product)
        product_buttons.addStretch(1)
        self.products_allergy = _stop_label("session_products_allergy")
        products_box = QVBoxLayout()
        products_box.addWidget(self.products)
        products_box.addWidget(self.products_allergy)
        products_box.addLayout(product_buttons)
        return products_box

    def _build_prp(self) -> QGroupBox:
        """How the PRP was prepared (shown for PRP only)."""
        self.prp_box = QGroupBox("PRP preparation")
        self.prp_box.setObjectName("session_prp")
        self.prp_kit = named(QLineEdit(), "prp_kit", "PRP kit")
        self.prp_blood = self._ml("prp_blood_drawn", "Blood drawn (ml)", 100)
        self.prp_spin = _combo(
            "prp_spin", "Spin", {"single": "Single spin", "double": "Double spin"}
        )
        self.prp_speed = named(QLineEdit(), "prp_speed", "Centrifuge speed")
        self.prp_speed.setPlaceholderText("e.g. 3,500 rpm or 1,500 g")
        self.prp_minutes = named(NoWheelSpinBox(), "prp_minutes", "Spin minutes")
        self.prp_minutes.setRange(0, 60)
        self.prp_minutes.setSuffix(" min")
        self.prp_volume = self._ml("prp_volume_obtained", "Volume obtained (ml)", 100)
        self.prp_activator = named(QLineEdit(), "prp_activator", "Activator")
        self.prp_activator.setPlaceholderText("e.g. calcium chloride, or none")
        prp_form = QFormLayout(self.prp_box)
        for label, widget in (
            ("Kit", self.prp_kit),
            ("Blood drawn", self.prp_blood),
            ("Spin", self.prp_spin),
            ("Speed", self.prp_speed),
            ("Minutes", self.prp_minutes),
            ("Volume obtained", self.prp_volume),
            ("Activator", self.prp_activator),
        ):
            prp_form.addRow(label, widget)
        return self.prp_box

    def _build_outcome_fields(self) -> list[tuple[str, QWidget | QLayout, str]]:
        """Reactions seen, the aftercare sheet and notes: the form's last rows."""
        reactions_box, self.reactions = _checks("session_reaction", REACTIONS, "Reaction seen")
        self.aftercare = named(
            QCheckBox("Aftercare sheet given"), "session_aftercare", "Aftercare sheet given"
        )
        self.notes = named(QPlainTextEdit(), "session_notes", "Notes")
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(self.notes.fontMetrics().lineSpacing() * 4 + 12)
        return [
            ("Reactions seen", reactions_box, "reactions"),
            ("", self.aftercare, "aftercare_issued"),
            ("Notes", self.notes, "notes"),
        ]

    def _build_checks(self) -> QGroupBox:
        """The checks: what the practitioner must see (and answer) before saving."""
        self.check_label = QLabel()
        self.check_label.setObjectName("sessionChecks")
        self.check_label.setWordWrap(True)
        self.check_label.setTextFormat(Qt.TextFormat.RichText)
        # One label per flag (lot, needle depth, spacing), each with what it means and what
        # to do in its tooltip.
        self.flags_box = QWidget()
        self.flags_box.setObjectName("sessionFlags")
        self.flags_layout = QVBoxLayout(self.flags_box)
        self.flags_layout.setContentsMargins(0, 0, 0, 0)
        self.flags_layout.setSpacing(2)
        self.flag_labels: list[QLabel] = []
        self.gate_reason = named(
            QPlainTextEdit(),
            "session_gate_override_reason",
            "Reason to override the screening",
            tips.GATE_REASON,
        )
        self.gate_reason.setPlaceholderText("Why it is safe to go ahead despite the screening")
        self.gate_reason.setTabChangesFocus(True)
        self.gate_reason.setFixedHeight(self.gate_reason.fontMetrics().lineSpacing() * 3 + 12)
        self.spacing_reason = named(
            QLineEdit(),
            "session_spacing_reason",
            "Reason for the short spacing",
            tips.SPACING_REASON,
        )
        self.spacing_reason.setPlaceholderText("Why this session goes ahead sooner")
        self.regulatory_box = QWidget()
        self.regulatory_box.setObjectName("session_regulatory")
        self.regulatory_layout = QVBoxLayout(self.regulatory_box)
        self.regulatory_layout.setContentsMargins(0, 0, 0, 0)
        self.regulatory_checks: dict[str, QCheckBox] = {}

        checks = QGroupBox("Before saving")
        checks.setObjectName("session_checks_box")
        checks_layout = QVBoxLayout(checks)
        checks_layout.addLayout(self._build_allergy_stop())
        checks_layout.addWidget(self.check_label)
        checks_layout.addWidget(self.flags_box)
        self.gate_label = QLabel("Reason to override the screening:")
        checks_layout.addWidget(self.gate_label)
        checks_layout.addWidget(self.gate_reason)
        self.errors["gate_override_reason"] = error_label("session_error_gate")
        checks_layout.addWidget(self.errors["gate_override_reason"])
        self.spacing_label = QLabel("Reason for the short spacing:")
        checks_layout.addWidget(self.spacing_label)
        checks_layout.addWidget(self.spacing_reason)
        self.errors["spacing_reason"] = error_label("session_error_spacing")
        checks_layout.addWidget(self.errors["spacing_reason"])
        checks_layout.addWidget(self.regulatory_box)
        self.errors["regulatory"] = error_label("session_error_regulatory")
        checks_layout.addWidget(self.errors["regulatory"])
        return checks

    def _build_allergy_stop(self) -> QVBoxLayout:
        """The allergy stop: first in "Before saving", red, with the reason it needs."""
        self.allergy_label = QLabel()
        self.allergy_label.setObjectName("sessionAllergyStop")
        self.allergy_label.setWordWrap(True)
        self.allergy_label.setTextFormat(Qt.TextFormat.RichText)
        self.allergy_label.setToolTip(tips.ALLERGY_STOP)
        self.allergy_reason = named(
            QPlainTextEdit(),
            "session_allergy_override_reason",
            "Reason to go ahead despite the allergy",
            tips.ALLERGY_REASON,
        )
        self.allergy_reason.setPlaceholderText(
            "Why it is safe to go ahead despite the allergy (for example an allergist's letter)"
        )
        self.allergy_reason.setTabChangesFocus(True)
        self.allergy_reason.setFixedHeight(self.allergy_reason.fontMetrics().lineSpacing() * 3 + 12)
        self.allergy_reason_label = QLabel("Reason to go ahead despite the allerg&y:")
        self.allergy_reason_label.setBuddy(self.allergy_reason)
        self.errors["allergy_override_reason"] = error_label("session_error_allergy")
        box = QVBoxLayout()
        box.setSpacing(2)
        box.addWidget(self.allergy_label)
        box.addWidget(self.allergy_reason_label)
        box.addWidget(self.allergy_reason)
        box.addWidget(self.errors["allergy_override_reason"])
        return box

    def _build_buttons(self) -> QHBoxLayout:
        self.save_button = named(
            QPushButton("&Save session"), "saveSession", "Save session", "Ctrl+S"
        )
        self.cancel_button = named(QPushButton("Cancel"), "cancelSession", "Cancel", "Esc")
        self.save_button.clicked.connect(self._emit_save)
        self.cancel_button.clicked.connect(self.cancel_requested)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        return buttons

    def _connect_checks(self) -> None:
        """Run the checks again a moment after any field they depend on changes."""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(CHECK_DELAY_MS)
        self._timer.timeout.connect(self.run_checks)
        for signal in (
            self.course.currentIndexChanged,
            self.performed_at.dateTimeChanged,
            self.practitioner.currentIndexChanged,
            self.treatment.currentIndexChanged,
            self.delivery.currentIndexChanged,
            self.needle_depth.valueChanged,
            self.anaesthetic_minutes.valueChanged,
        ):
            signal.connect(self._changed)
        for check in self.areas.values():
            check.toggled.connect(self._changed)
        self.anaesthetic.currentTextChanged.connect(self._changed)
        self.treatment.currentIndexChanged.connect(self._show_prp)
        self.treatment.currentIndexChanged.connect(self._follow_treatment)
        self.course.currentIndexChanged.connect(self._follow_course)
        self.indication.currentIndexChanged.connect(lambda: self._set_by_hand("indication"))
        self.delivery.currentIndexChanged.connect(lambda: self._set_by_hand("delivery"))
        for check in self.areas.values():
            check.toggled.connect(lambda: self._set_by_hand("areas"))
        self.performed_at.dateChanged.connect(self._judge_all_lots)
        self.add_product.clicked.connect(lambda: self._add_product_row(None, None))
        self.remove_product.clicked.connect(self._remove_product_row)

    def _connect_problems(self) -> None:
        """A problem shown under a field leaves as soon as that field is edited; the checks
        that run a moment later say it again if it still holds (``_recheck_problems``)."""
        fields: dict[str, list[QWidget]] = {
            "course_id": [self.course],
            "performed_at": [self.performed_at],
            "practitioner_id": [self.practitioner],
            "treatment": [self.treatment],
            "areas": list(self.areas.values()),
            "indication": [self.indication],
            "delivery": [self.delivery],
            "needle_depth_mm": [self.needle_depth],
            "anaesthetic_minutes": [self.anaesthetic, self.anaesthetic_minutes],
            "prp": [
                self.prp_kit,
                self.prp_blood,
                self.prp_spin,
                self.prp_speed,
                self.prp_minutes,
                self.prp_volume,
                self.prp_activator,
            ],
            "reactions": list(self.reactions.values()),
            "aftercare_issued": [self.aftercare],
            "notes": [self.notes],
            "gate_override_reason": [self.gate_reason],
            "spacing_reason": [self.spacing_reason],
            "allergy_override_reason": [self.allergy_reason],
        }
        for key, widgets in fields.items():
            clear_when_edited(self.errors[key], *widgets)

    def _recheck_problems(self, problems: list[Problem]) -> None:
        """Say again, or clear, each problem the last save showed, as the fields now stand (a
        lot chosen again, a depth fixed); no new ones appear while the form is filled in."""
        now: dict[str, list[str]] = {}
        for p in problems:
            now.setdefault(p.field.split(".")[0].split("[")[0], []).append(p.message)
        for key in _RECHECKED:
            if key in self._said:
                text = " ".join(now.get(key, []))
                self.errors[key].setText(text)
                self.errors[key].setVisible(bool(text))
                if not text:
                    self._said.discard(key)  # fixed: it does not come back by itself

    def hideEvent(self, event: QHideEvent) -> None:
        # A pending debounce must not fire into a closed window (or a closed data file).
        self._timer.stop()
        super().hideEvent(event)

    @staticmethod
    def _ml(name: str, accessible: str, maximum: float) -> QDoubleSpinBox:
        spin = named(NoWheelDoubleSpinBox(), name, accessible)
        spin.setRange(0.0, maximum)
        spin.setDecimals(1)
        spin.setSuffix(" ml")
        spin.setSpecialValueText("—")
        return spin

    def _row(self, form: QFormLayout, label: str, field: object, key: str) -> None:
        error = error_label(f"session_error_{key}")
        self.errors[key] = error
        holder = QVBoxLayout()
        holder.setSpacing(2)
        if isinstance(field, QWidget):
            holder.addWidget(field)
        else:
            holder.addLayout(field)  # type: ignore[arg-type]
        form.addRow(label, holder)
        form.addRow("", error)  # its own row: nested in the field's, it overlapped the next

    def _session_date(self) -> date:
        """The day the session is dated (what a lot's expiry is judged against)."""
        day = self.performed_at.date().toPython()
        assert isinstance(day, date)
        return day

    def _lot_combo(self) -> QComboBox:
        combo = named(NoWheelComboBox(), "session_lot", "Product lot")
        combo.addItem("Choose a product lot…", None)
        combo.setItemData(
            0, "Every lot the clinic has, with its expiry", Qt.ItemDataRole.ToolTipRole
        )
        for product in self._catalogue.products():
            for lot in self._catalogue.lots(product.id):
                combo.addItem("", lot.id)
                combo.setItemData(combo.count() - 1, (product, lot), _LOT_ROLE)
        self._judge_lots(combo)
        combo.currentIndexChanged.connect(self._changed)
        # The chosen lot's flags stay readable once the list is closed.
        combo.currentIndexChanged.connect(
            lambda index: combo.setToolTip(combo.itemData(index, Qt.ItemDataRole.ToolTipRole))
        )
        combo.setToolTip(combo.itemData(0, Qt.ItemDataRole.ToolTipRole))
        return combo

    def _judge_lots(self, combo: QComboBox) -> None:
        """Word each lot for the session's day; an expired lot is greyed out, saying why.

        It stays in the list (an amended old session may have used it when it was in date),
        but cannot be chosen; its tooltip says what each flag means.
        """
        day = self._session_date()
        items = combo.model()
        assert isinstance(items, QStandardItemModel)
        for index in range(1, combo.count()):
            product, lot = combo.itemData(index, _LOT_ROLE)
            expected = lab_reports_expected(product)
            flags = lot_check(lot, day, lab_reports_expected=expected)
            combo.setItemText(index, lot_choice_text(product.name, lot, flags))
            tip = lot_flags_tip(flags, lab_reports_expected=expected)
            combo.setItemData(index, tip, Qt.ItemDataRole.ToolTipRole)
            item = items.item(index)
            if item is not None:
                item.setEnabled(not any(flag.blocks for flag in flags))
        combo.setToolTip(combo.itemData(combo.currentIndex(), Qt.ItemDataRole.ToolTipRole))

    def _judge_all_lots(self) -> None:
        for row in range(self.products.rowCount()):
            combo = self.products.cellWidget(row, 0)
            if isinstance(combo, QComboBox):
                self._judge_lots(combo)

    def _add_product_row(self, lot_id: int | None, volume: float | None) -> None:
        row = self.products.rowCount()
        self.products.insertRow(row)
        combo = self._lot_combo()
        combo.setCurrentIndex(max(0, combo.findData(lot_id)))
        volume_spin = self._ml("session_volume", "Volume in ml", 50)
        volume_spin.setValue(volume or 0.0)
        self.products.setCellWidget(row, 0, combo)
        self.products.setCellWidget(row, 1, volume_spin)
        self._changed()

    def _remove_product_row(self) -> None:
        row = self.products.currentRow()
        if row < 0:
            row = self.products.rowCount() - 1
        if row >= 0:
            self.products.removeRow(row)
            self._changed()

    def _show_prp(self) -> None:
        self.prp_box.setVisible(self.treatment.currentData() == "prp")

    # ---- defaults that follow the treatment and the course -------------------------------
    def _set_by_hand(self, key: str) -> None:
        if not self._quiet:
            self._by_hand.add(key)

    def _follow_treatment(self) -> None:
        """The treatment changed: its usual areas, indication and delivery, except any the
        person already set by hand here."""
        if self._quiet:
            return
        usual = treatment_defaults(str(self.treatment.currentData()))
        self._quiet = True
        try:
            if "areas" not in self._by_hand:
                for key, check in self.areas.items():
                    check.setChecked(key in usual.areas)
            for key, combo, value in (
                ("indication", self.indication, usual.indication),
                ("delivery", self.delivery, usual.delivery),
            ):
                if key not in self._by_hand:
                    combo.setCurrentIndex(max(0, combo.findData(value)))
        finally:
            self._quiet = False

    def _follow_course(self) -> None:
        """A course was chosen: its treatment (and so that treatment's usual details), and
        the course's indication unless the person set one by hand."""
        if self._quiet:
            return
        plan = self._plans.get(self.course.currentData())
        if plan is None:
            return
        treatment, indication = plan
        self.treatment.setCurrentIndex(max(0, self.treatment.findData(treatment)))
        if "indication" not in self._by_hand:
            self._quiet = True
            try:
                self.indication.setCurrentIndex(max(0, self.indication.findData(indication)))
            finally:
                self._quiet = False

    # ---- loading and reading -------------------------------------------------------------
    def load(
        self,
        draft: TreatmentSession,
        courses: list[tuple[int, str]],
        *,
        amending: int | None = None,
        plans: dict[int, tuple[str, str]] | None = None,
    ) -> None:
        """Show a draft; ``courses`` lists (course id, label) for the patient, and ``plans``
        each course's (treatment, indication), which choosing the course brings in."""
        self._quiet = True
        try:
            self._load(draft, courses, amending)
        finally:
            self._quiet = False
        self._by_hand = set()
        self._plans = dict(plans or {})
        self.show_problems([])
        self.run_checks()

    def _load(
        self, draft: TreatmentSession, courses: list[tuple[int, str]], amending: int | None
    ) -> None:
        self._draft = draft
        self._amending = amending
        self.title.setText("Amend session" if amending else "Record a session")
        self.course.blockSignals(True)
        self.course.clear()
        self.course.addItem("No course (a single session)", None)
        for course_id, label in courses:
            self.course.addItem(label, course_id)
        self.course.setCurrentIndex(max(0, self.course.findData(draft.course_id)))
        self.course.blockSignals(False)
        local = draft.performed_at.astimezone() if draft.performed_at.tzinfo else draft.performed_at
        # QTime spelt out: the PySide6 stubs take no datetime.time (the binding would).
        at = local.time()
        clock = QTime(at.hour, at.minute, at.second, at.microsecond // 1000)
        self.performed_at.setDateTime(QDateTime(QDate(local.date()), clock))
        self.practitioner.clear()
        for member in self._sessions.practitioners():
            self.practitioner.addItem(member.name, member.id)
        self.practitioner.setCurrentIndex(max(0, self.practitioner.findData(draft.practitioner_id)))
        for combo, value in (
            (self.treatment, draft.treatment),
            (self.indication, draft.indication),
            (self.delivery, draft.delivery),
        ):
            combo.setCurrentIndex(max(0, combo.findData(value)))
        for key, check in self.areas.items():
            check.setChecked(key in draft.areas)
        self.needle_depth.setValue(draft.needle_depth_mm or 0.0)
        self._fill_anaesthetics(draft.anaesthetic)
        self.anaesthetic_minutes.setValue(draft.anaesthetic_minutes or 0)
        self.products.setRowCount(0)
        for product in draft.products:
            self._add_product_row(product.lot_id, product.volume_ml)
        prp = draft.prp or PrpPreparation()
        self.prp_kit.setText(prp.kit)
        self.prp_blood.setValue(prp.blood_drawn_ml or 0.0)
        self.prp_spin.setCurrentIndex(max(0, self.prp_spin.findData(prp.spin)))
        self.prp_speed.setText(prp.speed)
        self.prp_minutes.setValue(prp.spin_minutes or 0)
        self.prp_volume.setValue(prp.volume_obtained_ml or 0.0)
        self.prp_activator.setText(prp.activator)
        for key, check in self.reactions.items():
            check.setChecked(key in draft.reactions)
        self.aftercare.setChecked(draft.aftercare_issued)
        self.notes.setPlainText(draft.notes)
        self.gate_reason.setPlainText(draft.gate_override_reason)
        self.allergy_reason.setPlainText(draft.allergy_override_reason)
        self.spacing_reason.setText(draft.spacing_reason)
        self._show_prp()

    def _fill_anaesthetics(self, text: str) -> None:
        """The catalogue's anaesthetics to choose from, and the draft's own words."""
        self.anaesthetic.blockSignals(True)
        self.anaesthetic.clear()
        for product in self._catalogue.products():
            if product.kind == "anaesthetic":
                self.anaesthetic.addItem(product.name)
        self.anaesthetic.setCurrentIndex(self.anaesthetic.findText(text))
        self.anaesthetic.setEditText(text)
        self.anaesthetic.blockSignals(False)

    def draft(self) -> TreatmentSession:
        """The session as typed."""
        assert self._draft is not None
        moment = self.performed_at.dateTime().toPython()
        assert isinstance(moment, datetime)
        products = []
        for row in range(self.products.rowCount()):
            combo: QComboBox = self.products.cellWidget(row, 0)  # type: ignore[assignment]
            volume: QDoubleSpinBox = self.products.cellWidget(row, 1)  # type: ignore[assignment]
            if combo.currentData() is not None:
                products.append(
                    SessionProduct(
                        lot_id=int(combo.currentData()), volume_ml=volume.value() or None
                    )
                )
        prp = None
        if self.treatment.currentData() == "prp":
            prp = PrpPreparation(
                kit=self.prp_kit.text().strip(),
                blood_drawn_ml=self.prp_blood.value() or None,
                spin=self.prp_spin.currentData(),
                speed=self.prp_speed.text().strip(),
                spin_minutes=self.prp_minutes.value() or None,
                volume_obtained_ml=self.prp_volume.value() or None,
                activator=self.prp_activator.text().strip(),
            )
        return replace(
            self._draft,
            course_id=self.course.currentData(),
            performed_at=moment.astimezone(),
            practitioner_id=self.practitioner.currentData() or 0,
            treatment=self.treatment.currentData(),
            areas=frozenset(k for k, c in self.areas.items() if c.isChecked()),
            indication=self.indication.currentData(),
            delivery=self.delivery.currentData(),
            needle_depth_mm=self.needle_depth.value() or None,
            anaesthetic=self.anaesthetic.currentText().strip(),
            anaesthetic_minutes=self.anaesthetic_minutes.value() or None,
            products=tuple(products),
            prp=prp,
            reactions=frozenset(k for k, c in self.reactions.items() if c.isChecked()),
            aftercare_issued=self.aftercare.isChecked(),
            notes=self.notes.toPlainText(),
            gate_override_reason=self.gate_reason.toPlainText(),
            spacing_reason=self.spacing_reason.text(),
            allergy_override_reason=self.allergy_reason.toPlainText(),
        )

    def confirmed(self) -> list[str]:
        return [key for key, check in self.regulatory_checks.items() if check.isChecked()]

    # ---- checks --------------------------------------------------------------------------
    def _changed(self, *_args: object) -> None:
        self._timer.start()

    def run_checks(self) -> SessionCheck | None:
        """Show the gate, lot flags, spacing and regulatory notes for the draft as typed."""
        self._timer.stop()
        if self._draft is None:
            return None
        check = self._sessions.check(self.draft(), amending=self._amending)
        self._recheck_problems(check.problems)
        if check.gate.allowed:
            line = "✔ Screening allows this treatment"
            if check.gate.overridden:
                line += " (by a practitioner's override on the screening)"
            self.check_label.setText(line + ".")
            self.check_label.setToolTip(tips.GATE_ALLOWED)
        else:
            self.check_label.setText(
                f"<span style='color:{ink(ERROR)}'><b>✖ Screening does not allow this "
                "treatment:</b> " + html.escape(" ".join(check.gate.problems)) + "</span>"
            )
            self.check_label.setToolTip(tips.GATE_BLOCKED)
        self._show_allergies(check.allergies)
        self._show_flags(
            allergy_flags(check.allergies)
            + [(w, tips.NEEDLE_DEPTH) for w in check.warnings]
            + [(lot_flag_text(f), lot_flag_tip(f)) for f in check.lot_flags]
            + [(w, tips.SPACING) for w in check.spacing]
        )
        needs_gate = not check.gate.allowed
        self.gate_label.setVisible(needs_gate)
        self.gate_reason.setVisible(needs_gate)
        self.spacing_label.setVisible(bool(check.spacing))
        self.spacing_reason.setVisible(bool(check.spacing))
        self._show_regulatory(check)
        return check

    def _show_allergies(self, allergies: AllergyCheck) -> None:
        """The stop, in red, naming each product, allergen and allergy; the reason it needs."""
        blocks = allergies.blocks
        if blocks:
            lines = "".join(f"<br>• {html.escape(text)}" for text in allergies.sentences)
            self.allergy_label.setText(
                f"<span style='color:{ink(ERROR)}'><b>✖ ALLERGY — do not use without a reason:</b>"
                f"{lines}</span>"
            )
        self.allergy_label.setVisible(blocks)
        self.allergy_reason_label.setVisible(blocks)
        self.allergy_reason.setVisible(blocks)
        for label, role in (
            (self.anaesthetic_allergy, "anaesthetic"),
            (self.products_allergy, "product"),
        ):
            said = [c.text for c in allergies.conflicts if c.contents.role == role]
            label.setText("\n".join(f"✖ Allergy: {text}" for text in said))
            label.setVisible(bool(said))

    def _show_flags(self, flags: list[tuple[str, str]]) -> None:
        for label in self.flag_labels:
            label.hide()
            label.deleteLater()
        self.flag_labels = []
        for n, (text, tip) in enumerate(flags):
            label = QLabel("⚠ " + text)
            label.setObjectName(f"sessionFlag_{n}")
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setToolTip(tip)
            self.flags_layout.addWidget(label)
            self.flag_labels.append(label)

    def _show_regulatory(self, check: SessionCheck) -> None:
        wanted = {note.id: note for note in check.regulatory}
        for key in list(self.regulatory_checks):
            if key not in wanted:
                box = self.regulatory_checks.pop(key)
                line = box.parentWidget()
                (line if isinstance(line, _ConfirmLine) else box).deleteLater()
        for key, note in wanted.items():
            if key not in self.regulatory_checks:
                line = _ConfirmLine(key, note.text)
                self.regulatory_layout.addWidget(line)
                self.regulatory_checks[key] = line.box
                clear_when_edited(self.errors["regulatory"], line.box)

    def show_problems(self, problems: list[Problem]) -> None:
        by_field: dict[str, list[str]] = {}
        for p in problems:
            key = p.field.split(".")[0].split("[")[0]
            by_field.setdefault(key, []).append(p.message)
        for key in list(by_field):
            if key not in self.errors:  # a problem with no field of its own: say it at the top
                by_field.setdefault("form", []).extend(by_field.pop(key))
        for key, label in self.errors.items():
            text = " ".join(by_field.get(key, []))
            label.setText(text)
            label.setVisible(bool(text))
        self._said = {key for key, label in self.errors.items() if label.text()}
        shown = next((label for label in self.errors.values() if label.text()), None)
        if shown is not None:
            _reveal(shown)

    def _emit_save(self) -> None:
        if self._draft is not None:
            self.save_requested.emit(self.draft(), self.confirmed())


def allergy_flags(allergies: AllergyCheck) -> list[tuple[str, str]]:
    """What the allergy check could not vouch for, as flags (text, what to do)."""
    flags = []
    if allergies.state == NOT_RECORDED:
        flags.append(("Allergies are not recorded for this patient.", tips.ALLERGIES_NOT_ASKED))
    for label in allergies.unknown:
        flags.append(
            (f"What {label} contains is not recorded: check its label.", tips.ALLERGY_UNKNOWN)
        )
    for substance in allergies.unlisted:
        flags.append(
            (
                f"The allergy to “{substance}” is not on the allergen list: check every label.",
                tips.ALLERGY_UNLISTED,
            )
        )
    return flags


class _ConfirmLine(QWidget):
    """A note to confirm: its check box, and its words wrapped beside it (a check box's own
    text never wraps, and pushed the form out sideways). Clicking the words ticks the box."""

    def __init__(self, key: str, text: str) -> None:
        super().__init__()
        self.setObjectName(f"regulatoryLine_{key}")
        self.box = named(
            QCheckBox(),
            f"regulatory_{key}",
            f"Confirm regulatory note: {text}",
            tips.REGULATORY_NOTE,
        )
        self.label = QLabel(f"I have read: {text}")
        self.label.setObjectName(f"regulatory_{key}_text")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        self.label.setStyleSheet(f"QLabel {{ {ink_style(CAUTION)} }}")
        self.label.setToolTip(tips.REGULATORY_NOTE)
        self.label.setBuddy(self.box)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.box, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.label, 1)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        event.accept()  # the release then comes here too

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.box.isEnabled():
            self.box.toggle()
            self.box.setFocus()
        super().mouseReleaseEvent(event)


def _stop_label(object_name: str) -> QLabel:
    """A red line under a field that the allergy check stops (hidden until it does)."""
    label = QLabel()
    label.setObjectName(object_name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setStyleSheet(f"color: {ink(ERROR)}; font-weight: bold;")
    label.setToolTip(tips.ALLERGY_STOP)
    label.hide()
    return label


def _reveal(widget: QWidget) -> None:
    """Scroll the form (wherever it sits in a scroll area) so that ``widget`` is in view."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea):
            parent.ensureWidgetVisible(widget)
            return
        parent = parent.parentWidget()
