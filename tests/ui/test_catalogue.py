"""ProductsDialog driven as a practitioner would: type a product and its lots, read the table."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from exodesk.domain.sessions import Lot, Product
from exodesk.domain.staff import StaffMember
from exodesk.services.catalogue import CATALOGUE
from exodesk.services.demo import seat
from exodesk.services.workspace import Services
from exodesk.ui.look import FADED, contrast, item_ink
from exodesk.ui.sessions.catalogue import STATUS, LotTableModel, ProductsDialog, lot_status_words
from tests.conftest import TODAY
from tests.ui.fit import assert_fits_and_shoot
from tests.ui.test_patients_tab import unnamed_widgets


@pytest.fixture
def practitioner(services: Services) -> StaffMember:
    """Dr A at the desk: products and lots are the practitioner's to record."""
    saved = services.clinic.save_staff(StaffMember("Dr A", "practitioner"))
    assert saved.ok
    return seat(services, saved.record.id)


def open_dialog(qtbot, services: Services) -> ProductsDialog:
    dialog = ProductsDialog(None, services.catalogue, day_first=True)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def type_into(qtbot, widget: QWidget, text: str) -> None:
    widget.setFocus()
    widget.clear()
    qtbot.keyClicks(widget, text)


def type_date(field, text: str) -> None:
    """Type a date into a DateField key by key, as reception does."""
    field.edit.clear()
    QTest.keyClicks(field.edit, text)


def choose(combo, data: object) -> None:
    index = combo.findData(data)
    assert index >= 0, data
    combo.setCurrentIndex(index)


def add_product(services: Services, **kw: object) -> Product:
    values: dict = {"name": "ExoGlow", "manufacturer": "Acme Bio", "kind": "exosome"}
    values.setdefault("source", "plant")
    values.update(kw)
    result = services.catalogue.save_product(Product(**values))
    assert result.ok, result.problems
    return result.record


def add_lot(services: Services, product: Product, number: str, expiry: date, **kw) -> Lot:
    result = services.catalogue.save_lot(Lot(product.id, number, expiry, **kw))
    assert result.ok, result.problems
    return result.record


def table_rows(dialog: ProductsDialog) -> list[list[str]]:
    model = dialog.lot_model
    return [
        [model.index(r, c).data() for c in range(model.columnCount())]
        for r in range(model.rowCount())
    ]


def test_a_product_and_its_lots_are_typed_in_and_saved(
    qtbot, services: Services, practitioner, uk_locale
) -> None:
    dialog = open_dialog(qtbot, services)
    assert dialog.product_list.count() == 0
    assert dialog.product_box.title() == "New product"
    assert not dialog.lots_box.isEnabled()  # lots need a saved product to belong to

    type_into(qtbot, dialog.name, "ExoGlow Serum")
    type_into(qtbot, dialog.manufacturer, "Acme Bio")
    choose(dialog.kind, "exosome")
    choose(dialog.source, "plant")
    choose(dialog.intended_use, "topical")
    qtbot.mouseClick(dialog.save_product_button, Qt.MouseButton.LeftButton)

    [stored] = services.catalogue.products()
    assert (stored.name, stored.manufacturer, stored.source) == (
        "ExoGlow Serum",
        "Acme Bio",
        "plant",
    )
    assert dialog.changes.touches(CATALOGUE)
    assert dialog.product_list.count() == 1
    assert dialog.product_list.item(0).text().startswith("ExoGlow Serum\nAcme Bio")
    assert dialog.lots_box.isEnabled()
    assert dialog.lots_box.title() == "Lots of ExoGlow Serum"

    type_into(qtbot, dialog.lot_number, "EX-2026-114")
    type_date(dialog.expiry, "01/05/2027")
    type_date(dialog.received, "10/11/2026")
    type_into(qtbot, dialog.storage, "Fridge 2-8 C")
    dialog.lab_checks["purity"].setChecked(True)
    dialog.lab_checks["sterility"].setChecked(True)
    assert dialog.save_lot_button.text() == "&Add lot"
    qtbot.mouseClick(dialog.save_lot_button, Qt.MouseButton.LeftButton)

    [lot] = services.catalogue.lots(stored.id)
    assert (lot.lot_number, lot.expiry, lot.received_on) == (
        "EX-2026-114",
        date(2027, 5, 1),
        date(2026, 11, 10),
    )
    assert lot.lab_reports == {"purity", "sterility"}
    assert table_rows(dialog) == [
        [
            "EX-2026-114",
            "1 May 2027",
            "10 Nov 2026",
            "Fridge 2-8 C",
            "purity, sterility",
            "2 lab reports missing",
        ]
    ]
    assert dialog.save_lot_button.text() == "S&ave lot"  # the saved lot is now on the form

    qtbot.mouseClick(dialog.new_lot_button, Qt.MouseButton.LeftButton)
    assert dialog.lot_number.text() == ""
    type_into(qtbot, dialog.lot_number, "EX-2026-200")
    type_date(dialog.expiry, "2027-08-31")
    qtbot.mouseClick(dialog.save_lot_button, Qt.MouseButton.LeftButton)
    assert [r[0] for r in table_rows(dialog)] == ["EX-2026-200", "EX-2026-114"]
    assert dialog.lot_message.text() == "Lot EX-2026-200 saved."


def test_an_exosome_product_without_a_source_is_refused_beside_the_field(
    qtbot, services: Services, practitioner
) -> None:
    dialog = open_dialog(qtbot, services)
    type_into(qtbot, dialog.name, "Mystery Exo")
    choose(dialog.kind, "exosome")
    assert dialog.source.isEnabled()
    assert dialog.source.currentData() == ""
    qtbot.mouseClick(dialog.save_product_button, Qt.MouseButton.LeftButton)

    error = dialog.product_errors["source"]
    assert error.isVisible()
    assert "comes from" in error.text()
    assert not dialog.product_errors["name"].isVisible()
    assert services.catalogue.products(include_inactive=True) == []

    choose(dialog.source, "umbilical_cord_msc")
    qtbot.mouseClick(dialog.save_product_button, Qt.MouseButton.LeftButton)
    assert not error.isVisible()
    assert [p.source for p in services.catalogue.products()] == ["umbilical_cord_msc"]


def test_source_is_off_for_an_anaesthetic_and_never_saved(
    qtbot, services: Services, practitioner
) -> None:
    dialog = open_dialog(qtbot, services)
    type_into(qtbot, dialog.name, "Numbing cream")
    choose(dialog.source, "plant")
    choose(dialog.kind, "anaesthetic")
    assert not dialog.source.isEnabled()
    qtbot.mouseClick(dialog.save_product_button, Qt.MouseButton.LeftButton)
    [stored] = services.catalogue.products()
    assert (stored.kind, stored.source) == ("anaesthetic", None)


def test_an_empty_name_is_said_beside_the_name(qtbot, services: Services, practitioner) -> None:
    dialog = open_dialog(qtbot, services)
    choose(dialog.source, "plant")
    qtbot.mouseClick(dialog.save_product_button, Qt.MouseButton.LeftButton)
    assert dialog.product_errors["name"].isVisible()
    assert dialog.product_errors["name"].text() == "Product name is needed."


def test_a_duplicate_lot_number_is_refused_beside_the_field(
    qtbot, services: Services, practitioner
) -> None:
    product = add_product(services)
    add_lot(services, product, "A123", date(2027, 5, 1))
    dialog = open_dialog(qtbot, services)
    qtbot.mouseClick(dialog.new_lot_button, Qt.MouseButton.LeftButton)
    type_into(qtbot, dialog.lot_number, "A123")
    type_date(dialog.expiry, "01/06/2027")
    qtbot.mouseClick(dialog.save_lot_button, Qt.MouseButton.LeftButton)

    error = dialog.lot_errors["lot_number"]
    assert error.isVisible()
    assert error.text() == "This product already has that lot number."
    assert len(services.catalogue.lots(product.id)) == 1


def test_a_received_date_after_expiry_is_refused_beside_the_field(
    qtbot, services: Services, practitioner
) -> None:
    add_product(services)
    dialog = open_dialog(qtbot, services)
    type_into(qtbot, dialog.lot_number, "OLD-1")
    type_date(dialog.expiry, "01/10/2026")
    type_date(dialog.received, "15/10/2026")
    qtbot.mouseClick(dialog.save_lot_button, Qt.MouseButton.LeftButton)

    error = dialog.lot_errors["received_on"]
    assert error.isVisible()
    assert "after its expiry date" in error.text()
    assert not dialog.lot_errors["expiry"].isVisible()
    assert services.catalogue.lots(dialog.product_draft().id) == []


def test_an_unreadable_date_is_said_beside_it_and_nothing_is_saved(
    qtbot, services: Services, practitioner
) -> None:
    product = add_product(services)
    dialog = open_dialog(qtbot, services)
    type_into(qtbot, dialog.lot_number, "B7")
    type_date(dialog.expiry, "31/02/2027")
    qtbot.mouseClick(dialog.save_lot_button, Qt.MouseButton.LeftButton)
    assert dialog.lot_errors["expiry"].isVisible()
    assert dialog.lot_errors["expiry"].text()

    dialog.expiry.edit.clear()
    qtbot.mouseClick(dialog.save_lot_button, Qt.MouseButton.LeftButton)
    assert dialog.lot_errors["expiry"].isVisible()  # empty: the expiry date is needed
    assert services.catalogue.lots(product.id) == []


def test_the_lots_table_says_expired_and_expiring_in_words(
    qtbot, services: Services, practitioner
) -> None:
    product = add_product(services)
    every_report = frozenset({"purity", "sterility", "viability", "virus_pathogen"})
    add_lot(services, product, "GONE", date(2026, 11, 21), lab_reports=every_report)
    add_lot(services, product, "SOON", date(2026, 12, 4), lab_reports=every_report)
    add_lot(services, product, "FINE", date(2027, 12, 4), lab_reports=every_report)
    add_lot(services, product, "BARE", date(2027, 12, 5))
    dialog = open_dialog(qtbot, services)
    status = {row[0]: row[STATUS] for row in table_rows(dialog)}
    assert status == {
        "GONE": "EXPIRED",
        "SOON": "expires in 12 days",
        "FINE": "in date",
        "BARE": "no lab reports",
    }
    gone = dialog.lot_model.index(dialog.lot_model.row_of(1), STATUS)
    assert gone.data(Qt.ItemDataRole.ForegroundRole).color().name() == "#b00020"
    assert "cannot be used" in gone.data(Qt.ItemDataRole.ToolTipRole)


def test_status_words_at_the_edges() -> None:
    lot = Lot(1, "X", TODAY, lab_reports=frozenset({"purity"}))
    assert lot_status_words(lot, TODAY) == "expires today, 3 lab reports missing"
    assert lot_status_words(lot, TODAY, lab_reports_expected=False) == "expires today"
    tomorrow = Lot(1, "X", date(2026, 11, 23))
    assert lot_status_words(tomorrow, TODAY, lab_reports_expected=False) == "expires tomorrow"


def test_prp_kit_lots_do_not_ask_for_lab_reports(qtbot, services: Services, practitioner) -> None:
    product = add_product(services, name="Spin kit", kind="prp_kit", source="platelet")
    add_lot(services, product, "K1", date(2027, 12, 1))
    dialog = open_dialog(qtbot, services)
    assert table_rows(dialog)[0][STATUS] == "in date"


def test_products_no_longer_used_are_greyed_and_can_be_chosen(
    qtbot, services: Services, practitioner
) -> None:
    add_product(services, name="Alpha")
    old = add_product(services, name="Beta", active=False)
    dialog = open_dialog(qtbot, services)
    item = dialog.product_list.item(1)
    assert item.text().startswith("Beta  (no longer used)")
    # Faded, and still readable on the list (#777777 on white was 4.48:1, just under WCAG AA).
    faded = item.foreground().color()
    assert faded.name() == item_ink(FADED).color().name() == "#6b6b6b"
    assert contrast(faded, dialog.product_list.palette().color(QPalette.ColorRole.Base)) >= 4.5
    dialog.product_list.setCurrentRow(1)
    assert dialog.name.text() == "Beta"
    assert not dialog.active.isChecked()

    dialog.active.setChecked(True)
    qtbot.mouseClick(dialog.save_product_button, Qt.MouseButton.LeftButton)
    assert services.catalogue.product(old.id).active
    assert "(no longer used)" not in dialog.product_list.item(1).text()


def test_enter_saves_the_focused_form_and_escape_closes(
    qtbot, services: Services, practitioner
) -> None:
    dialog = open_dialog(qtbot, services)
    type_into(qtbot, dialog.name, "Keyboard Exo")
    choose(dialog.source, "plant")
    qtbot.keyClick(dialog.name, Qt.Key.Key_Return)
    [product] = services.catalogue.products()
    assert product.name == "Keyboard Exo"

    type_into(qtbot, dialog.lot_number, "KB-1")
    type_date(dialog.expiry, "01/01/2028")
    qtbot.keyClick(dialog.expiry.edit, Qt.Key.Key_Return)
    assert [lot.lot_number for lot in services.catalogue.lots(product.id)] == ["KB-1"]
    assert dialog.isVisible()

    qtbot.keyClick(dialog.lot_table, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_tab_reaches_every_field(qtbot, services: Services, practitioner) -> None:
    add_lot(services, add_product(services), "T1", date(2027, 1, 1))
    dialog = open_dialog(qtbot, services)
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    dialog.product_list.setFocus()
    seen = []
    for _ in range(30):
        focus = QApplication.focusWidget()
        seen.append(focus)
        qtbot.keyClick(focus, Qt.Key.Key_Tab)
    wanted = [
        dialog.product_list,
        dialog.new_product_button,
        dialog.name,
        dialog.manufacturer,
        dialog.kind,
        dialog.source,
        dialog.intended_use,
        dialog.active,
        dialog.notes,
        dialog.save_product_button,
        dialog.lot_table,
        dialog.lot_number,
        dialog.storage,
        dialog.expiry.edit,
        dialog.received.edit,
        *dialog.lab_checks.values(),
        dialog.lot_notes,
        dialog.new_lot_button,
        dialog.save_lot_button,
        dialog.close_button,
    ]
    missing = [w.objectName() for w in wanted if w not in seen]
    assert missing == []
    first = [seen.index(w) for w in wanted]
    assert first == sorted(first)  # in reading order


def test_every_widget_is_named(qtbot, services: Services, practitioner) -> None:
    add_product(services)
    dialog = open_dialog(qtbot, services)
    assert unnamed_widgets(dialog) == []


def test_lot_model_passes_the_qt_model_tester(qtmodeltester) -> None:
    model = LotTableModel(lambda: TODAY)
    model.set_rows(
        [Lot(1, "A", date(2027, 1, 1), id=1), Lot(1, "B", date(2026, 1, 1), id=2)],
        lab_reports_expected=True,
    )
    qtmodeltester.check(model, force_py=True)


def test_the_dialog_fits_a_reception_screen_and_looks_right(
    qtbot, services: Services, practitioner, tmp_path
) -> None:
    product = add_product(services, name="ExoGlow Serum", notes="Plant exosomes, topical only.")
    add_product(services, name="Platelet Spin Kit", kind="prp_kit", source="platelet")
    add_product(services, name="Old Exo", active=False)
    reports = frozenset({"purity", "sterility", "viability", "virus_pathogen"})
    add_lot(
        services,
        product,
        "EX-2026-114",
        date(2026, 12, 4),
        lab_reports=reports,
        received_on=date(2026, 6, 1),
        storage="Fridge 2–8 °C",
    )
    add_lot(services, product, "EX-2026-007", date(2026, 11, 21), received_on=date(2026, 3, 2))
    add_lot(
        services,
        product,
        "EX-2027-031",
        date(2027, 9, 30),
        lab_reports=frozenset({"purity"}),
        storage="Fridge",
    )
    dialog = open_dialog(qtbot, services)
    assert_fits_and_shoot(dialog, tmp_path / "products.png")

    qtbot.mouseClick(dialog.new_lot_button, Qt.MouseButton.LeftButton)
    type_into(qtbot, dialog.lot_number, "EX-2026-114")
    type_date(dialog.expiry, "01/10/2026")
    type_date(dialog.received, "15/10/2026")
    qtbot.mouseClick(dialog.save_lot_button, Qt.MouseButton.LeftButton)
    dialog.name.clear()
    choose(dialog.source, "")
    qtbot.mouseClick(dialog.save_product_button, Qt.MouseButton.LeftButton)
    assert_fits_and_shoot(dialog, tmp_path / "products-problems.png")
