"""ProductsDialog: the clinic's product catalogue, each product's lots, expiry and lab reports."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, QItemSelection, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain.allergies import Allergen, find_allergens
from exodesk.domain.problems import Problem
from exodesk.domain.sessions import (
    INTENDED_USES,
    LAB_REPORTS,
    PRODUCT_KINDS,
    SOURCES,
    Lot,
    Product,
    lab_reports_expected,
    lot_check,
    lot_status,
    product_contents,
)
from exodesk.errors import UserError
from exodesk.services.catalogue import CatalogueService
from exodesk.services.context import Changes
from exodesk.ui import tips
from exodesk.ui.common import (
    clear_when_edited,
    enter_saves,
    error_label,
    format_date,
    named,
    show_problems,
    without_default_buttons,
)
from exodesk.ui.errors import show_user_error
from exodesk.ui.look import ERROR, FADED, item_ink
from exodesk.ui.models import RowsTableModel, rows_view
from exodesk.ui.sessions.lot_words import lot_flags_tip
from exodesk.ui.widgets import DateField, NoWheelComboBox

# Kinds that can be of biological origin and so have a source; an anaesthetic never has one.
SOURCE_KINDS = frozenset({"exosome", "prp_kit", "serum", "other"})
# Short words for the table; the form's checkboxes use the full LAB_REPORTS labels.
LAB_SHORT = {
    "purity": "purity",
    "sterility": "sterility",
    "viability": "viability",
    "virus_pathogen": "virus",
}
# Lot numbers, expiry dates and received dates sit far in the future or past; the calendar must
# not stop at today as it does for dates of birth.
LATEST_DATE = QDate(2100, 12, 31)

_AMBER = "#9a5b00"


def lot_status_words(lot: Lot, today: date, *, lab_reports_expected: bool = True) -> str:
    """The lots table's status column in words: ``EXPIRED``, ``expires in 12 days``, ...

    Args:
        lot: The lot.
        today: The day it is looked at.
        lab_reports_expected: False for kinds without third-party lab reports.

    Returns:
        Comma-separated words, or ``in date`` when there is nothing to say.
    """
    words = []
    status = lot_status(lot, today)
    if status == "expired":
        words.append("EXPIRED")
    elif status == "expiring":
        left = (lot.expiry - today).days
        soon = {0: "expires today", 1: "expires tomorrow"}
        words.append(soon.get(left, f"expires in {left} days"))
    if lab_reports_expected:
        missing = len(set(LAB_REPORTS) - set(lot.lab_reports))
        if missing == len(LAB_REPORTS):
            words.append("no lab reports")
        elif missing:
            words.append(f"{missing} lab report{'s' if missing > 1 else ''} missing")
    return ", ".join(words) or "in date"


LOT_NUMBER, EXPIRY, RECEIVED, STORAGE, REPORTS, STATUS = range(6)
LOT_HEADERS = ("Lot number", "Expiry", "Received", "Storage", "Lab reports on file", "Status")


class LotTableModel(RowsTableModel[Lot]):
    """The lots of one product, newest expiry first, with their status in words.

    Args:
        today: The clock that decides expired and expiring.
    """

    HEADERS = LOT_HEADERS

    def __init__(self, today: Callable[[], date]) -> None:
        super().__init__()
        self._today = today
        self._expected = True

    def set_rows(self, rows: Iterable[Lot], *, lab_reports_expected: bool = True) -> None:
        """Replace the rows; ``lab_reports_expected`` is False for kinds that come without."""
        self._expected = lab_reports_expected
        super().set_rows(rows)

    def lot_at(self, row: int) -> Lot | None:
        return self.row_at(row)

    def text(self, lot: Lot, column: int) -> str | None:
        if column == LOT_NUMBER:
            return lot.lot_number
        if column == EXPIRY:
            return format_date(lot.expiry)
        if column == RECEIVED:
            return format_date(lot.received_on) or "—"
        if column == STORAGE:
            return lot.storage or "—"
        if column == REPORTS:
            on_file = [LAB_SHORT[k] for k in LAB_REPORTS if k in lot.lab_reports]
            return ", ".join(on_file) or "none"
        if column == STATUS:
            return lot_status_words(lot, self._today(), lab_reports_expected=self._expected)
        return None

    def role_data(self, lot: Lot, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and column == STATUS:
            flags = lot_check(lot, self._today(), lab_reports_expected=self._expected)
            return lot_flags_tip(flags, lab_reports_expected=self._expected)
        if role == Qt.ItemDataRole.ForegroundRole and column == STATUS:
            status = lot_status(lot, self._today())
            if status == "expired":
                return item_ink(ERROR)
            if status == "expiring":
                return item_ink(_AMBER)
        return None


def _combo(object_name: str, accessible_name: str, options: dict[str, str]) -> QComboBox:
    combo = named(NoWheelComboBox(), object_name, accessible_name)
    for key, label in options.items():
        combo.addItem(label, key)
    return combo


def _notes_edit(object_name: str, accessible_name: str) -> QPlainTextEdit:
    edit = named(QPlainTextEdit(), object_name, accessible_name)
    edit.setTabChangesFocus(True)
    edit.setFixedHeight(edit.fontMetrics().lineSpacing() * 2 + 14)
    return edit


def _label(text: str, buddy: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(buddy)
    label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
    # Line the label's text up with the field's text, not the field's top border.
    label.setContentsMargins(0, 4, 0, 0)
    return label


def _column_widgets(grid: QGridLayout, column: int) -> list[QWidget]:
    """The widgets in one column of a grid, top to bottom; empty cells are left out."""
    widgets = []
    for row in range(grid.rowCount()):
        item = grid.itemAtPosition(row, column)
        widget = item.widget() if item is not None else None
        if widget is not None:
            widgets.append(widget)
    return widgets


def _with_error(field: QWidget | QLayout, error: QLabel) -> QVBoxLayout:
    box = QVBoxLayout()
    box.setSpacing(2)
    if isinstance(field, QWidget):
        box.addWidget(field)
    else:
        box.addLayout(field)
    box.addWidget(error)
    clear_when_edited(error, field)
    # Keep the field at the top when the other field on its row grows an error line.
    box.addStretch(1)
    return box


class ProductsDialog(QDialog):
    """The catalogue: products on the left, the chosen product's form and lots on the right.

    Enter saves the form that has the focus; Esc closes. ``changes`` holds the last save's
    Changes so the caller can emit ``data_changed``.
    """

    def __init__(
        self, parent: QWidget | None, catalogue: CatalogueService, *, day_first: bool
    ) -> None:
        super().__init__(parent)
        self.setObjectName("productsDialog")
        self.setWindowTitle("Products and lots")
        self._catalogue = catalogue
        self._day_first = day_first
        self.changes = Changes()
        self._product: Product | None = None  # on the form; None while a new one is typed
        self._lot: Lot | None = None  # on the lot form; None while a new one is typed

        self.product_list = named(QListWidget(), "productList", "Products")
        self.product_list.setMinimumWidth(220)
        self.product_list.setSpacing(3)  # two-line entries need air between them
        # A long product name wraps inside the list instead of pushing a sideways scroll bar
        # under it (the full name is in the form beside it).
        self.product_list.setWordWrap(True)
        self.product_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.product_list.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.new_product_button = named(QPushButton("New &product"), "newProduct", "New product")
        product_box = self._build_product_form()
        lots_box = self._build_lots()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.close_button = named(
            buttons.button(QDialogButtonBox.StandardButton.Close), "productsClose", "Close"
        )
        buttons.rejected.connect(self.reject)

        left = QVBoxLayout()
        heading = QLabel("Products")
        heading.setStyleSheet("font-weight: bold;")
        left.addWidget(heading)
        left.addWidget(self.product_list, 1)
        left.addWidget(self.new_product_button)
        right = QVBoxLayout()
        right.addWidget(product_box)
        right.addWidget(lots_box, 1)
        top = QHBoxLayout()
        top.addLayout(left, 1)
        top.addLayout(right, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(top, 1)
        layout.addWidget(buttons)

        self._set_keyboard_order()
        self.product_list.currentItemChanged.connect(self._product_chosen)
        self.new_product_button.clicked.connect(self.new_product)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.save_product_button.clicked.connect(self.save_product)
        self.lot_table.selectionModel().selectionChanged.connect(self._lot_chosen)
        self.new_lot_button.clicked.connect(self.new_lot)
        self.save_lot_button.clicked.connect(self.save_lot)

        self._align_label_columns()
        self.resize(1040, 680)
        self._load_allergens()
        self._load_products(select=None)

    # ---- building ------------------------------------------------------------------------
    def _set_keyboard_order(self) -> None:
        # Enter belongs to the focused form (keyPressEvent), never to a default button.
        without_default_buttons(self)
        chain = [
            self.product_list,
            self.new_product_button,
            self.name,
            self.manufacturer,
            self.kind,
            self.source,
            self.intended_use,
            self.active,
            self.notes,
            self.ingredients,
            self.choose_allergens,
            self.no_allergens,
            self.save_product_button,
            self.lot_table,
            self.lot_number,
            self.storage,
            self.expiry.edit,
            self.expiry.calendar_button,
            self.received.edit,
            self.received.calendar_button,
            *self.lab_checks.values(),
            self.lot_notes,
            self.new_lot_button,
            self.save_lot_button,
            self.close_button,
        ]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _align_label_columns(self) -> None:
        # The two forms share their label columns, so their fields line up one above the other.
        for column in (0, 2):
            width = max(
                widget.sizeHint().width()
                for grid in (self._product_grid, self._lot_grid)
                for widget in _column_widgets(grid, column)
            )
            for grid in (self._product_grid, self._lot_grid):
                grid.setColumnMinimumWidth(column, width)

    def _build_product_form(self) -> QGroupBox:
        self.product_box = QGroupBox("Product")
        self.name = named(QLineEdit(), "productName", "Product name")
        self.manufacturer = named(QLineEdit(), "productManufacturer", "Manufacturer")
        self.kind = _combo("productKind", "Kind of product", PRODUCT_KINDS)
        self.source = named(
            NoWheelComboBox(),
            "productSource",
            "Source",
            "Where the product comes from, as the supplier's documents say. Needed for exosome "
            "products: it decides which regulatory notes apply.",
        )
        self.source.addItem("Not stated", "")
        for key, label in SOURCES.items():
            self.source.addItem(label, key)
        self.intended_use = _combo("productIntendedUse", "Intended use", INTENDED_USES)
        self.active = named(
            QCheckBox("In &use"),
            "productActive",
            "In use",
            "Untick when the clinic no longer uses this product; its lots and history stay.",
        )
        self.notes = _notes_edit("productNotes", "Product notes")
        self._build_contents()
        self.save_product_button = named(
            QPushButton("&Save product"), "saveProduct", "Save product"
        )
        self.product_message = QLabel()
        self.product_message.setObjectName("productMessage")
        self.product_errors = {
            key: error_label(f"product_error_{key}")
            for key in (
                "name",
                "manufacturer",
                "kind",
                "source",
                "intended_use",
                "notes",
                "ingredients",
                "allergens",
            )
        }
        e = self.product_errors
        grid = self._product_grid = QGridLayout(self.product_box)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        grid.setVerticalSpacing(6)
        grid.addWidget(_label("&Name", self.name), 0, 0)
        grid.addLayout(_with_error(self.name, e["name"]), 0, 1)
        grid.addWidget(_label("&Manufacturer", self.manufacturer), 0, 2)
        grid.addLayout(_with_error(self.manufacturer, e["manufacturer"]), 0, 3)
        grid.addWidget(_label("&Kind", self.kind), 1, 0)
        grid.addLayout(_with_error(self.kind, e["kind"]), 1, 1)
        grid.addWidget(_label("S&ource", self.source), 1, 2)
        grid.addLayout(_with_error(self.source, e["source"]), 1, 3)
        grid.addWidget(_label("&Intended use", self.intended_use), 2, 0)
        grid.addLayout(_with_error(self.intended_use, e["intended_use"]), 2, 1)
        grid.addWidget(self.active, 2, 3)
        grid.addWidget(_label("No&tes", self.notes), 3, 0)
        grid.addLayout(_with_error(self.notes, e["notes"]), 3, 1)
        grid.addWidget(_label("Ingre&dients", self.ingredients), 3, 2)
        grid.addLayout(_with_error(self.ingredients, e["ingredients"]), 3, 3)
        contains_label = _label("Allergens", self.choose_allergens)
        grid.addWidget(contains_label, 4, 0)
        contains = QHBoxLayout()
        contains.addWidget(self.allergens_shown, 1)
        contains.addWidget(self.choose_allergens)
        contains.addWidget(self.no_allergens)
        grid.addLayout(_with_error(contains, e["allergens"]), 4, 1, 1, 3)
        row = QHBoxLayout()
        row.addWidget(self.save_product_button)
        row.addWidget(self.product_message, 1)
        grid.addLayout(row, 5, 1, 1, 3)
        return self.product_box

    def _build_contents(self) -> None:
        """What the product contains: the label's ingredients, and the listed allergens."""
        self.ingredients = _notes_edit("productIngredients", "Ingredients")
        self.ingredients.setToolTip(tips.PRODUCT_INGREDIENTS)
        self.ingredients.setPlaceholderText("As on the label: lidocaine 5%, carbomer…")
        self.allergens_shown = QLabel()
        self.allergens_shown.setObjectName("productAllergensShown")
        self.allergens_shown.setWordWrap(True)
        self.allergens_shown.setTextFormat(Qt.TextFormat.PlainText)
        self.allergens_shown.setToolTip(tips.PRODUCT_ALLERGENS)
        self.choose_allergens = named(
            QPushButton("C&hoose…"),
            "productChooseAllergens",
            "Choose the allergens it contains",
            tips.PRODUCT_ALLERGENS,
        )
        self.no_allergens = named(
            QCheckBox("None o&f the listed"),
            "productNoAllergens",
            "Contains none of the listed allergens",
            tips.PRODUCT_NO_ALLERGENS,
        )
        self._allergens: list[Allergen] = []
        self._ticked: frozenset[int] = frozenset()
        self.ingredients.textChanged.connect(self._show_allergens)
        self.no_allergens.toggled.connect(self._none_ticked)
        self.choose_allergens.clicked.connect(self.pick_allergens)

    def _load_allergens(self) -> None:
        try:
            self._allergens = self._catalogue.allergens(include_inactive=True)
        except UserError as exc:
            show_user_error(self, exc)
            self._allergens = []

    def ticked_allergens(self) -> frozenset[int]:
        return self._ticked

    def set_ticked_allergens(self, ticked: frozenset[int]) -> None:
        self._ticked = frozenset(ticked)
        if self._ticked and self.no_allergens.isChecked():
            self.no_allergens.blockSignals(True)
            self.no_allergens.setChecked(False)
            self.no_allergens.blockSignals(False)
        self._show_allergens()

    def _none_ticked(self, ticked: bool) -> None:
        if ticked:
            self._ticked = frozenset()
        self._show_allergens()

    def _show_allergens(self) -> None:
        """The allergens ticked, and those the ingredients name (ticked on saving)."""
        names = [a.name for a in self._allergens if a.id in self._ticked]
        named_here = find_allergens(self.ingredients.toPlainText(), self._allergens)
        extra = [a.name for a in named_here if a.id not in self._ticked]
        if names:
            text = ", ".join(names)
        elif self.no_allergens.isChecked():
            text = "none of the listed allergens"
        else:
            text = "not recorded"
        if extra:
            text += f" (+ {', '.join(extra)}, named in the ingredients: ticked on saving)"
        self.allergens_shown.setText(text)
        self.allergens_shown.setAccessibleName(f"Contains: {text}")

    def pick_allergens(self) -> None:
        """Tick the allergens it contains (the clinic's list can be added to from there)."""
        from exodesk.ui.dialogs.allergens import AllergenPickerDialog

        dialog = AllergenPickerDialog(self, self._catalogue, self._ticked)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        if dialog.changes.topics:
            self.changes = dialog.changes
            self._load_allergens()
        if accepted:
            self.set_ticked_allergens(dialog.ticked())
        else:
            self._show_allergens()

    def _build_lots(self) -> QGroupBox:
        self.lots_box = QGroupBox("Lots")
        self.lot_model = LotTableModel(self._catalogue.today)
        self.lot_table = rows_view(self.lot_model, "lotTable", "Lots of this product")
        self.lot_table.setWordWrap(False)
        # Tab leaves the table for the lot form instead of walking its cells.
        self.lot_table.setTabKeyNavigation(False)
        header = self.lot_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(STATUS, QHeaderView.ResizeMode.Stretch)
        self.lot_table.setMinimumHeight(140)

        today = self._catalogue.today
        self.lot_number = named(QLineEdit(), "lotNumber", "Lot number")
        self.lot_number.setPlaceholderText("as printed on the box")
        self.storage = named(QLineEdit(), "lotStorage", "Storage")
        self.storage.setPlaceholderText("e.g. fridge, 2–8 °C")
        self.expiry = DateField(
            "lotExpiry",
            "Expiry date",
            day_first=self._day_first,
            today=today,
            never_button=False,
            past=False,
        )
        self.received = DateField(
            "lotReceived", "Received on", day_first=self._day_first, today=today, never_button=False
        )
        for field in (self.expiry, self.received):
            # Room for the longest reading ("= Wed 30 Sep 2026"), so it is never cut off.
            reading = field.reading
            reading.setMinimumWidth(reading.fontMetrics().horizontalAdvance("= Wed 30 Sep 2026 "))
        self.expiry.calendar.setMaximumDate(LATEST_DATE)
        self.expiry.edit.setToolTip("The expiry date printed on the box")
        self.received.edit.setToolTip("The day the lot arrived at the clinic (can be left empty)")
        self.lab_checks = {
            key: named(
                QCheckBox(label),
                f"lotLab_{key}",
                f"Lab report on file: {label}",
                "Tick when the supplier's third-party report for this lot is on file.",
            )
            for key, label in LAB_REPORTS.items()
        }
        self.lot_notes = _notes_edit("lotNotes", "Lot notes")
        self.new_lot_button = named(QPushButton("Ne&w lot"), "newLot", "New lot")
        self.save_lot_button = named(QPushButton("&Add lot"), "saveLot", "Add lot")
        self.lot_message = QLabel()
        self.lot_message.setObjectName("lotMessage")
        self.lot_errors = {
            key: error_label(f"lot_error_{key}")
            for key in ("lot_number", "expiry", "received_on", "storage", "lab_reports", "notes")
        }
        e = self.lot_errors
        checks = QHBoxLayout()
        for check in self.lab_checks.values():
            checks.addWidget(check)
        checks.addStretch(1)
        grid = self._lot_grid = QGridLayout()
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        grid.setVerticalSpacing(6)
        grid.addWidget(_label("&Lot number", self.lot_number), 0, 0)
        grid.addLayout(_with_error(self.lot_number, e["lot_number"]), 0, 1)
        grid.addWidget(_label("Stora&ge", self.storage), 0, 2)
        grid.addLayout(_with_error(self.storage, e["storage"]), 0, 3)
        grid.addWidget(_label("E&xpiry", self.expiry), 1, 0)
        grid.addLayout(_with_error(self.expiry, e["expiry"]), 1, 1)
        grid.addWidget(_label("&Received", self.received), 1, 2)
        grid.addLayout(_with_error(self.received, e["received_on"]), 1, 3)
        grid.addWidget(QLabel("Lab reports on file"), 2, 0, Qt.AlignmentFlag.AlignRight)
        grid.addLayout(_with_error(checks, e["lab_reports"]), 2, 1, 1, 3)
        grid.addWidget(_label("Not&es", self.lot_notes), 3, 0)
        grid.addLayout(_with_error(self.lot_notes, e["notes"]), 3, 1, 1, 3)
        row = QHBoxLayout()
        row.addWidget(self.new_lot_button)
        row.addWidget(self.save_lot_button)
        row.addWidget(self.lot_message, 1)
        grid.addLayout(row, 4, 1, 1, 3)

        box = QVBoxLayout(self.lots_box)
        box.addWidget(self.lot_table, 1)
        box.addLayout(grid)
        return self.lots_box

    # ---- products ------------------------------------------------------------------------
    def _load_products(self, *, select: int | None) -> None:
        """Fill the list (inactive products too, greyed) and show ``select`` or the first."""
        try:
            products = self._catalogue.products(include_inactive=True)
        except UserError as exc:
            show_user_error(self, exc)
            products = []
        self.product_list.blockSignals(True)
        self.product_list.clear()
        for product in products:
            item = QListWidgetItem(_product_text(product))
            item.setData(Qt.ItemDataRole.UserRole, product.id)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, _product_text(product, sep=", "))
            if not product.active:
                item.setForeground(item_ink(FADED))
            self.product_list.addItem(item)
        self.product_list.blockSignals(False)
        chosen = next((p for p in products if p.id == select), products[0] if products else None)
        if chosen is None:
            self.new_product()
            return
        self.product_list.blockSignals(True)
        self.product_list.setCurrentRow(products.index(chosen))
        self.product_list.blockSignals(False)
        self._show_product(chosen)

    def _product_chosen(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        try:
            product = self._catalogue.product(int(item.data(Qt.ItemDataRole.UserRole)))
        except UserError as exc:
            show_user_error(self, exc)
            return
        self._show_product(product)

    def new_product(self) -> None:
        """Clear the product form for a new product (its lots can be added once it is saved)."""
        self.product_list.blockSignals(True)
        self.product_list.setCurrentRow(-1)
        self.product_list.clearSelection()
        self.product_list.blockSignals(False)
        self._show_product(None)
        self.name.setFocus()

    def _show_product(self, product: Product | None) -> None:
        self._product = product
        shown = product or Product(name="", manufacturer="", kind="exosome")
        self.product_box.setTitle(f"Product: {product.name}" if product else "New product")
        self.name.setText(shown.name)
        self.manufacturer.setText(shown.manufacturer)
        self.kind.setCurrentIndex(max(0, self.kind.findData(shown.kind)))
        self.source.setCurrentIndex(max(0, self.source.findData(shown.source or "")))
        self.intended_use.setCurrentIndex(max(0, self.intended_use.findData(shown.intended_use)))
        self.notes.setPlainText(shown.notes)
        self.active.setChecked(shown.active)
        self._ticked = shown.allergen_ids
        self.no_allergens.blockSignals(True)
        self.no_allergens.setChecked(
            shown.allergens_recorded and not shown.allergen_ids and not shown.ingredients
        )
        self.no_allergens.blockSignals(False)
        self.ingredients.setPlainText(shown.ingredients)
        self._show_allergens()
        self.product_message.clear()
        show_problems(self.product_errors, [])
        self._kind_changed()
        self._load_lots(select=None)

    def _kind_changed(self) -> None:
        self.source.setEnabled(self.kind.currentData() in SOURCE_KINDS)

    def product_draft(self) -> Product:
        """The product as the form says it."""
        kind = self.kind.currentData()
        return Product(
            name=self.name.text(),
            manufacturer=self.manufacturer.text(),
            kind=kind,
            source=(self.source.currentData() or None) if kind in SOURCE_KINDS else None,
            intended_use=self.intended_use.currentData(),
            notes=self.notes.toPlainText(),
            active=self.active.isChecked(),
            id=self._product.id if self._product else None,
            ingredients=self.ingredients.toPlainText(),
            allergen_ids=self.ticked_allergens(),
            allergens_recorded=self.no_allergens.isChecked(),
        )

    def save_product(self) -> None:
        """Save the product form; problems appear beside their fields."""
        try:
            result = self._catalogue.save_product(self.product_draft())
        except UserError as exc:
            show_user_error(self, exc)
            return
        show_problems(self.product_errors, result.problems)
        if result.ok:
            self.changes = result.changes
            self._load_products(select=result.record.id)
            self.product_message.setText(f"{result.record.name} saved.")

    # ---- lots ----------------------------------------------------------------------------
    def _load_lots(self, *, select: int | None) -> None:
        product = self._product
        lots: list[Lot] = []
        if product is not None and product.id is not None:
            try:
                lots = self._catalogue.lots(product.id)
            except UserError as exc:
                show_user_error(self, exc)
        self.lot_model.set_rows(lots, lab_reports_expected=lab_reports_expected(product))
        self.lots_box.setEnabled(product is not None)
        self.lots_box.setTitle(
            f"Lots of {product.name}" if product else "Lots (save the product first)"
        )
        row = self.lot_model.row_of(select) if select is not None else -1
        if row >= 0:
            self.lot_table.selectRow(row)
        else:
            self._show_lot(None)

    def _lot_chosen(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = self.lot_table.selectionModel().selectedRows()
        lot = self.lot_model.lot_at(rows[0].row()) if rows else None
        if lot is not None:
            self._show_lot(lot)

    def new_lot(self) -> None:
        """Clear the lot form for a new lot of the product on the form."""
        self.lot_table.clearSelection()
        self._show_lot(None)
        self.lot_number.setFocus()

    def _show_lot(self, lot: Lot | None) -> None:
        self._lot = lot
        self.lot_number.setText(lot.lot_number if lot else "")
        self.expiry.set_value(lot.expiry if lot else None)
        self.received.set_value(lot.received_on if lot else None)
        self.storage.setText(lot.storage if lot else "")
        for key, check in self.lab_checks.items():
            check.setChecked(lot is not None and key in lot.lab_reports)
        self.lot_notes.setPlainText(lot.notes if lot else "")
        text = "S&ave lot" if lot else "&Add lot"
        self.save_lot_button.setText(text)
        self.save_lot_button.setAccessibleName(text.replace("&", ""))
        self.lot_message.clear()
        show_problems(self.lot_errors, [])

    def lot_draft(self) -> tuple[Lot, list[Problem]]:
        """The lot as the form says it, and any dates that could not be read."""
        expiry, expiry_problem = self.expiry.value()
        received, received_problem = self.received.value()
        unreadable = [
            Problem(key, message)
            for key, message in (("expiry", expiry_problem), ("received_on", received_problem))
            if message
        ]
        lot = Lot(
            product_id=int(self._product.id or 0) if self._product else 0,
            lot_number=self.lot_number.text(),
            expiry=expiry,  # type: ignore[arg-type]  # None: validation says it is needed
            received_on=received,
            storage=self.storage.text(),
            lab_reports=frozenset(k for k, check in self.lab_checks.items() if check.isChecked()),
            notes=self.lot_notes.toPlainText(),
            id=self._lot.id if self._lot else None,
        )
        return lot, unreadable

    def save_lot(self) -> None:
        """Add or save the lot on the form; problems appear beside their fields."""
        if self._product is None or self._product.id is None:
            return
        lot, unreadable = self.lot_draft()
        if unreadable:
            show_problems(self.lot_errors, unreadable)
            return
        try:
            result = self._catalogue.save_lot(lot)
        except UserError as exc:
            show_user_error(self, exc)
            return
        show_problems(self.lot_errors, result.problems)
        if result.ok:
            self.changes = result.changes
            self._load_lots(select=result.record.id)
            self.lot_message.setText(f"Lot {result.record.lot_number} saved.")

    # ---- keyboard ------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter saves the form holding the focus (a focused button is pressed instead)."""
        forms = ((self.lots_box, self.save_lot), (self.product_box, self.save_product))
        if not enter_saves(event, self.focusWidget(), forms):
            super().keyPressEvent(event)


def _product_text(product: Product, sep: str = "\n") -> str:
    name = product.name + ("  (no longer used)" if not product.active else "")
    maker = product.manufacturer or "maker not recorded"
    text = f"{name}{sep}{maker} · {PRODUCT_KINDS.get(product.kind, product.kind)}"
    # Products the allergy check cannot vouch for stand out, so someone records them.
    return text if product_contents(product).known else f"{text} · contents not recorded"
