"""AllergenListDialog: the clinic's list of allergy substances, with the other names they go by."""

from __future__ import annotations

import itertools

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain.allergies import ALLERGEN_KINDS, Allergen, split_names
from exodesk.errors import UserError
from exodesk.services.catalogue import CatalogueService
from exodesk.services.context import Changes
from exodesk.ui import tips
from exodesk.ui.common import (
    clear_when_edited,
    enter_saves,
    error_label,
    named,
    show_problems,
    without_default_buttons,
)
from exodesk.ui.errors import show_user_error
from exodesk.ui.look import FADED, item_ink
from exodesk.ui.widgets import NoWheelComboBox


class AllergenListDialog(QDialog):
    """The substances allergies and products are recorded against: add one, or give one its
    other names (a brand, a label's wording). Entries are never removed; "in use" hides one
    from new choices. Enter saves the form; Esc closes."""

    def __init__(self, parent: QWidget | None, catalogue: CatalogueService) -> None:
        super().__init__(parent)
        self.setObjectName("allergenListDialog")
        self.setWindowTitle("Allergen list")
        self._catalogue = catalogue
        self._allergen: Allergen | None = None
        self.changes = Changes()

        self.allergen_list = named(QListWidget(), "allergenList", "Allergens")
        self.allergen_list.setMinimumWidth(320)
        self.new_button = named(QPushButton("Ne&w substance"), "newAllergen", "New substance")
        self.form_box = QGroupBox("New substance")
        self.name = named(QLineEdit(), "allergenName", "Name")
        self.kind = named(NoWheelComboBox(), "allergenKind", "Kind of substance")
        for key, label in ALLERGEN_KINDS.items():
            self.kind.addItem(label, key)
        self.also_called = named(
            QLineEdit(),
            "allergenAlsoCalled",
            "Other names",
            "Other names it goes by on a label or in a patient's words, separated by commas. A "
            "product's ingredients or an anaesthetic naming any of them count as this substance.",
        )
        self.also_called.setPlaceholderText("e.g. lignocaine, xylocaine")
        self.active = named(
            QCheckBox("In &use"),
            "allergenActive",
            "In use",
            "Untick to stop offering it; allergies and products that name it keep it.",
        )
        self.covers = QLabel()
        self.covers.setObjectName("allergenCovers")
        self.covers.setWordWrap(True)
        self.save_button = named(QPushButton("&Save substance"), "saveAllergen", "Save substance")
        self.message = QLabel()
        self.message.setObjectName("allergenMessage")
        self.errors = {
            key: error_label(f"allergen_error_{key}") for key in ("name", "kind", "also_called")
        }
        form = QFormLayout(self.form_box)
        fields: tuple[tuple[str, QWidget, str], ...] = (
            ("&Name", self.name, "name"),
            ("&Kind", self.kind, "kind"),
            ("&Other names", self.also_called, "also_called"),
        )
        for words, field, key in fields:
            holder = QVBoxLayout()
            holder.setSpacing(2)
            holder.addWidget(field)
            holder.addWidget(self.errors[key])
            clear_when_edited(self.errors[key], field)
            buddy = QLabel(words)
            buddy.setBuddy(field)
            form.addRow(buddy, holder)
        form.addRow("", self.active)
        form.addRow("", self.covers)
        save_row = QHBoxLayout()
        save_row.addWidget(self.save_button)
        save_row.addWidget(self.message, 1)
        form.addRow("", save_row)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.close_button = named(
            buttons.button(QDialogButtonBox.StandardButton.Close), "allergenListClose", "Close"
        )
        buttons.rejected.connect(self.reject)
        left = QVBoxLayout()
        left.addWidget(self.allergen_list, 1)
        left.addWidget(self.new_button)
        right = QVBoxLayout()
        right.addWidget(self.form_box)
        right.addStretch(1)
        top = QHBoxLayout()
        top.addLayout(left, 1)
        top.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top, 1)
        layout.addWidget(buttons)

        without_default_buttons(self)
        chain = [
            self.allergen_list,
            self.new_button,
            self.name,
            self.kind,
            self.also_called,
            self.active,
            self.save_button,
            self.close_button,
        ]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)
        self.allergen_list.currentItemChanged.connect(self._chosen)
        self.new_button.clicked.connect(self.new_allergen)
        self.save_button.clicked.connect(self.save)
        self.resize(820, 480)
        self._load(select=None)

    def _load(self, *, select: int | None) -> None:
        try:
            allergens = self._catalogue.allergens(include_inactive=True)
        except UserError as exc:
            show_user_error(self, exc)
            allergens = []
        self._by_id = {a.id: a for a in allergens}
        self.allergen_list.blockSignals(True)
        self.allergen_list.clear()
        for allergen in allergens:
            text = f"{allergen.name} — {ALLERGEN_KINDS.get(allergen.kind, allergen.kind)}"
            item = QListWidgetItem(text + ("  (not in use)" if not allergen.active else ""))
            item.setData(Qt.ItemDataRole.UserRole, allergen.id)
            if allergen.also_called:
                item.setToolTip("Also: " + ", ".join(allergen.also_called))
            if not allergen.active:
                item.setForeground(item_ink(FADED))
            self.allergen_list.addItem(item)
        self.allergen_list.blockSignals(False)
        chosen = self._by_id.get(select)
        if chosen is None:
            self.new_allergen()
            return
        row = list(self._by_id).index(select)
        self.allergen_list.blockSignals(True)
        self.allergen_list.setCurrentRow(row)
        self.allergen_list.blockSignals(False)
        self._show(chosen)

    def _chosen(self, item: QListWidgetItem | None) -> None:
        if item is not None:
            self._show(self._by_id.get(item.data(Qt.ItemDataRole.UserRole)))

    def new_allergen(self) -> None:
        self.allergen_list.blockSignals(True)
        self.allergen_list.setCurrentRow(-1)
        self.allergen_list.blockSignals(False)
        self._show(None)
        self.name.setFocus()

    def _show(self, allergen: Allergen | None) -> None:
        self._allergen = allergen
        self.form_box.setTitle(allergen.name if allergen else "New substance")
        self.name.setText(allergen.name if allergen else "")
        self.kind.setCurrentIndex(
            max(0, self.kind.findData(allergen.kind if allergen else "other"))
        )
        self.also_called.setText(", ".join(allergen.also_called) if allergen else "")
        self.active.setChecked(allergen.active if allergen else True)
        covers = allergen.covers_kind if allergen else ""
        self.covers.setText(
            f"Stands for any {ALLERGEN_KINDS.get(covers, covers).lower()}: an allergy to it stops "
            "every product that contains one."
            if covers
            else ""
        )
        self.covers.setVisible(bool(covers))
        self.message.clear()
        show_problems(self.errors, [])

    def draft(self) -> Allergen:
        base = self._allergen
        return Allergen(
            key=base.key if base else "",
            name=self.name.text(),
            kind=self.kind.currentData(),
            also_called=split_names(self.also_called.text()),
            covers_kind=base.covers_kind if base else "",
            active=self.active.isChecked(),
            id=base.id if base else None,
        )

    def save(self) -> None:
        try:
            result = self._catalogue.save_allergen(self.draft())
        except UserError as exc:
            show_user_error(self, exc)
            return
        show_problems(self.errors, result.problems)
        if result.ok:
            self.changes = result.changes
            self._load(select=result.record.id)
            self.message.setText(f"{result.record.name} saved.")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter saves the form when it holds the focus (a focused button is pressed)."""
        if not enter_saves(event, self.focusWidget(), ((self.form_box, self.save),)):
            super().keyPressEvent(event)


class AllergenPickerDialog(QDialog):
    """Tick the listed allergens a product contains: arrow keys move, Space ticks, Enter keeps
    the ticks, Esc leaves them as they were. "Allergen list…" adds a substance to the list."""

    def __init__(
        self, parent: QWidget | None, catalogue: CatalogueService, ticked: frozenset[int]
    ) -> None:
        super().__init__(parent)
        self.setObjectName("allergenPickerDialog")
        self.setWindowTitle("Allergens it contains")
        self._catalogue = catalogue
        self.changes = Changes()
        self.allergen_list = named(
            QListWidget(), "allergenPickList", "Allergens it contains", tips.PRODUCT_ALLERGENS
        )
        self.edit_list = named(
            QPushButton("Allergen &list…"),
            "allergenListButton",
            "The clinic's allergen list",
            "Add a substance to the clinic's allergen list, or give one its other names.",
        )
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = named(buttons.button(QDialogButtonBox.StandardButton.Ok), "pickOk", "OK")
        named(buttons.button(QDialogButtonBox.StandardButton.Cancel), "pickCancel", "Cancel")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.edit_list.setAutoDefault(False)
        self.edit_list.clicked.connect(self.edit_allergen_list)
        bottom = QHBoxLayout()
        bottom.addWidget(self.edit_list)
        bottom.addStretch(1)
        bottom.addWidget(buttons)
        layout = QVBoxLayout(self)
        explanation = QLabel("Tick every allergen on the clinic's list that the label names.")
        explanation.setWordWrap(True)
        layout.addWidget(explanation)
        layout.addWidget(self.allergen_list, 1)
        layout.addLayout(bottom)
        self._fill(ticked)
        self.resize(420, 520)
        self.allergen_list.setFocus()
        self.allergen_list.setCurrentRow(0)

    def _fill(self, ticked: frozenset[int]) -> None:
        try:
            allergens = self._catalogue.allergens(include_inactive=True)
        except UserError as exc:
            show_user_error(self, exc)
            allergens = []
        self.allergen_list.clear()
        for allergen in allergens:
            if not allergen.active and allergen.id not in ticked:
                continue  # no longer offered, unless the product already has it
            kind = ALLERGEN_KINDS.get(allergen.kind, allergen.kind).lower()
            item = QListWidgetItem(f"{allergen.name}  ({kind})")
            item.setData(Qt.ItemDataRole.UserRole, allergen.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            checked = Qt.CheckState.Checked if allergen.id in ticked else Qt.CheckState.Unchecked
            item.setCheckState(checked)
            if allergen.also_called:
                item.setToolTip("Also: " + ", ".join(allergen.also_called))
            self.allergen_list.addItem(item)

    def ticked(self) -> frozenset[int]:
        items = (self.allergen_list.item(n) for n in range(self.allergen_list.count()))
        return frozenset(
            int(item.data(Qt.ItemDataRole.UserRole))
            for item in items
            if item is not None and item.checkState() == Qt.CheckState.Checked
        )

    def edit_allergen_list(self) -> None:
        dialog = AllergenListDialog(self, self._catalogue)
        dialog.exec()
        if dialog.changes.topics:
            self.changes = dialog.changes
            self._fill(self.ticked())
