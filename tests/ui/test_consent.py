"""The consent capture: drawing on the signature pad, and the dialog's checks, keys and names."""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QInputDevice, QPointingDevice, QTabletEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QWidget,
)

from exodesk.ui.screening.consent import (
    DOT_SIGNATURE,
    NO_SIGNATURE,
    ConsentDialog,
    name_resembles,
)
from exodesk.ui.screening.signature import SignaturePad

PATIENT = "Zoë O'Brien-Łukasz"
CONSENT = "\n\n".join(
    f"{n}. I understand the treatment, its expected results and its risks, which the "
    "practitioner has explained to me, and I have been able to ask questions."
    for n in range(1, 31)
)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# A wavy line about 300 px wide: enough ink to be a signature.
SIGNATURE = [(40 + i * 10, 100 + round(25 * math.sin(i / 2))) for i in range(31)]


def draw(qtbot, pad: QWidget, points: list[tuple[int, int]]) -> None:
    """Sign as a mouse would: press at the first point, move through the rest, release."""
    first, *rest = (QPoint(x, y) for x, y in points)
    qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=first)
    for point in rest:
        qtbot.mouseMove(pad, point)
    qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=rest[-1] if rest else first)


def ink_pixels(image: QImage) -> int:
    """How many pixels are not white."""
    white = QColor(Qt.GlobalColor.white).rgb()
    return sum(
        1 for y in range(image.height()) for x in range(image.width()) if image.pixel(x, y) != white
    )


def is_ink(color: QColor) -> bool:
    """Dark enough to be the pen, not the grey guides or antialiased fringes."""
    return color.lightness() < 100


def decode(png: bytes) -> QImage:
    image = QImage()
    assert image.loadFromData(png, "PNG")
    return image


@pytest.fixture
def pad(qtbot) -> SignaturePad:
    widget = SignaturePad()
    qtbot.addWidget(widget)
    widget.resize(500, 180)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def dialog(qtbot) -> ConsentDialog:
    dlg = ConsentDialog(
        None,
        consent_text=CONSENT,
        consent_version=3,
        patient_name=PATIENT,
        today_text="22 Nov 2026",
    )
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    dlg.activateWindow()
    return dlg


# ---- the pad ---------------------------------------------------------------------------------
def test_pad_is_named_described_and_big_enough(pad: SignaturePad) -> None:
    assert pad.objectName() == "signaturePad"
    assert pad.accessibleName() == "Signature pad"
    assert "signs here" in pad.accessibleDescription()
    assert pad.minimumWidth() >= 400
    assert pad.minimumHeight() >= 140
    assert pad.focusPolicy() & Qt.FocusPolicy.TabFocus


def test_drawing_with_the_mouse_fills_the_pad(qtbot, pad: SignaturePad) -> None:
    assert pad.is_empty()
    assert pad.strokes() == []
    with qtbot.waitSignal(pad.changed, timeout=1000):
        draw(qtbot, pad, SIGNATURE)
    assert not pad.is_empty()
    strokes = pad.strokes()
    assert len(strokes) == 1
    assert strokes[0][0] == pytest.approx(SIGNATURE[0])
    assert strokes[0][-1] == pytest.approx(SIGNATURE[-1])
    assert len(strokes[0]) == len(SIGNATURE)
    assert "Signed." in pad.accessibleDescription()


def test_each_stroke_is_kept_apart(qtbot, pad: SignaturePad) -> None:
    draw(qtbot, pad, SIGNATURE)
    draw(qtbot, pad, [(100, 40), (120, 150)])
    strokes = pad.strokes()
    assert [len(s) for s in strokes] == [len(SIGNATURE), 2]
    assert strokes[1] == [(100, 40), (120, 150)]


def test_strokes_is_a_copy(qtbot, pad: SignaturePad) -> None:
    draw(qtbot, pad, SIGNATURE)
    pad.strokes()[0].clear()
    assert len(pad.strokes()[0]) == len(SIGNATURE)


def test_a_stroke_dragged_off_the_pad_stays_on_its_edge(qtbot, pad: SignaturePad) -> None:
    draw(qtbot, pad, [(400, 90), (700, 90), (700, 400)])
    xs, ys = zip(*pad.strokes()[0], strict=True)
    assert max(xs) <= pad.width()
    assert max(ys) <= pad.height()


@pytest.mark.parametrize(
    "points",
    [
        pytest.param([(200, 100)], id="a dot"),
        pytest.param([(200, 100), (210, 104), (203, 110)], id="a small tick"),
    ],
)
def test_a_dot_or_a_slip_is_not_a_signature(qtbot, pad: SignaturePad, points) -> None:
    draw(qtbot, pad, points)
    assert pad.strokes(), "the touch was recorded"
    assert pad.is_empty()


def test_to_png_renders_the_ink_on_white(qtbot, pad: SignaturePad) -> None:
    draw(qtbot, pad, SIGNATURE)
    png = pad.to_png()
    assert png.startswith(PNG_MAGIC)
    image = decode(png)
    assert (image.width(), image.height()) == (600, 200)
    assert image.pixelColor(0, 0) == QColor(Qt.GlobalColor.white)
    assert ink_pixels(image) > 500
    # Scaled to fit: the dark ink spans most of the width, not one corner of it.
    inked = [
        x
        for x in range(image.width())
        if any(is_ink(image.pixelColor(x, y)) for y in range(image.height()))
    ]
    assert max(inked) - min(inked) > 450


def test_to_png_takes_a_size(qtbot, pad: SignaturePad) -> None:
    draw(qtbot, pad, SIGNATURE)
    image = decode(pad.to_png(300, 90))
    assert (image.width(), image.height()) == (300, 90)
    assert ink_pixels(image) > 100
    with pytest.raises(ValueError, match="positive size"):
        pad.to_png(0, 90)


def test_to_png_of_an_empty_pad_is_blank(pad: SignaturePad) -> None:
    assert ink_pixels(decode(pad.to_png(120, 40))) == 0


def test_clear_empties_the_pad(qtbot, pad: SignaturePad) -> None:
    draw(qtbot, pad, SIGNATURE)
    with qtbot.waitSignal(pad.changed, timeout=1000):
        pad.clear()
    assert pad.is_empty()
    assert pad.strokes() == []
    assert ink_pixels(decode(pad.to_png(120, 40))) == 0
    assert "Not signed yet." in pad.accessibleDescription()


def test_delete_key_clears_the_pad(qtbot, pad: SignaturePad) -> None:
    draw(qtbot, pad, SIGNATURE)
    qtbot.keyClick(pad, Qt.Key.Key_Delete)
    assert pad.strokes() == []


def test_the_pad_shows_the_ink_it_holds(qtbot, pad: SignaturePad) -> None:
    before = pad.grab().toImage()
    draw(qtbot, pad, SIGNATURE)
    after = pad.grab().toImage()
    x, y = SIGNATURE[10]
    ratio = after.width() / pad.width()  # device pixels on a high-DPI screen
    assert is_ink(after.pixelColor(round(x * ratio), round(y * ratio)))
    assert not is_ink(before.pixelColor(round(x * ratio), round(y * ratio)))


def test_a_resized_pad_redraws_the_signature_scaled(qtbot, pad: SignaturePad) -> None:
    draw(qtbot, pad, [(100, 100), (300, 100)])
    pad.resize(1000, 360)
    image = pad.grab().toImage()
    ratio = image.width() / pad.width()
    assert is_ink(image.pixelColor(round(400 * ratio), round(200 * ratio)))
    assert not is_ink(image.pixelColor(round(700 * ratio), round(200 * ratio)))
    assert pad.strokes()[0] == [(100, 100), (300, 100)]


def test_a_finger_draws(qtbot, pad: SignaturePad) -> None:
    # Accepting touch is what keeps a finger drawing instead of scrolling on real screens.
    assert pad.testAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents)
    device = QTest.createTouchDevice()
    QTest.touchEvent(pad, device).press(0, QPoint(40, 60)).commit()
    QTest.touchEvent(pad, device).move(0, QPoint(140, 90)).commit()
    QTest.touchEvent(pad, device).move(0, QPoint(260, 60)).commit()
    QTest.touchEvent(pad, device).release(0, QPoint(260, 60)).commit()
    assert len(pad.strokes()) == 1
    assert len(pad.strokes()[0]) == 3
    assert not pad.is_empty()


def test_a_stylus_draws_once(qtbot, pad: SignaturePad) -> None:
    stylus = QPointingDevice(
        "test stylus",
        4242,
        QInputDevice.DeviceType.Stylus,
        QPointingDevice.PointerType.Pen,
        QInputDevice.Capability.Position | QInputDevice.Capability.Pressure,
        1,
        3,
    )

    def send(kind: QEvent.Type, x: int, buttons: Qt.MouseButton) -> bool:
        pos = QPointF(x, 80)
        event = QTabletEvent(
            kind,
            stylus,
            pos,
            QPointF(pad.mapToGlobal(pos)),
            0.6,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            Qt.KeyboardModifier.NoModifier,
            Qt.MouseButton.LeftButton,
            buttons,
        )
        QApplication.sendEvent(pad, event)
        return event.isAccepted()

    left = Qt.MouseButton.LeftButton
    # Accepted, or Qt would also make mouse events of it and draw each stroke twice.
    assert send(QEvent.Type.TabletPress, 40, left)
    assert send(QEvent.Type.TabletMove, 150, left)
    assert send(QEvent.Type.TabletRelease, 260, Qt.MouseButton.NoButton)
    assert pad.strokes() == [[(40, 80), (150, 80), (260, 80)]]


# ---- the dialog ------------------------------------------------------------------------------
def sign(qtbot, dialog: ConsentDialog, name: str = PATIENT) -> None:
    # insert(), not keyClicks(): QTest cannot type "ë" or "Ł".
    dialog.name.insert(name)
    draw(qtbot, dialog.pad, SIGNATURE)


def no_message_boxes() -> bool:
    return not any(isinstance(w, QMessageBox) for w in QApplication.topLevelWidgets())


def test_dialog_shows_the_text_version_and_date(dialog: ConsentDialog) -> None:
    assert dialog.text.toPlainText() == CONSENT
    assert dialog.text.isReadOnly()
    assert dialog.text.verticalScrollBar().maximum() > 0, "long text scrolls"
    assert dialog.version_label.text() == "Version 3"
    assert dialog.date.text() == "22 Nov 2026"
    assert dialog.findChild(QLineEdit, "consentName") is dialog.name


def test_the_consent_text_cannot_be_changed(qtbot, dialog: ConsentDialog) -> None:
    dialog.text.setFocus()
    qtbot.keyClicks(dialog.text, "edited")
    qtbot.keyClick(dialog.text, Qt.Key.Key_Delete)
    assert dialog.text.toPlainText() == CONSENT


def test_every_interactive_widget_is_named(dialog: ConsentDialog) -> None:
    interactive = [
        w
        for w in dialog.findChildren(QWidget)
        if isinstance(w, QAbstractButton | QLineEdit | QPlainTextEdit | SignaturePad)
    ]
    assert {w.objectName() for w in interactive} >= {
        "consentText",
        "consentName",
        "signaturePad",
        "consentClear",
        "consentSave",
        "consentCancel",
    }
    for widget in interactive:
        assert widget.objectName(), widget
        assert widget.accessibleName(), widget.objectName()


def test_tab_walks_text_name_pad_clear_save(qtbot, dialog: ConsentDialog) -> None:
    dialog.text.setFocus()
    order = [dialog.name, dialog.pad, dialog.clear_button, dialog.save_button]
    for expected in order:
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        assert QApplication.focusWidget() is expected, QApplication.focusWidget().objectName()


def test_refuses_to_save_without_a_name(qtbot, dialog: ConsentDialog) -> None:
    draw(qtbot, dialog.pad, SIGNATURE)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.errors["name"].isVisible()
    assert dialog.errors["name"].text() == "The patient's name is needed."
    assert not dialog.errors["signature"].isVisible()
    assert dialog.signature_png == b""
    assert no_message_boxes()


def test_refuses_to_save_without_a_signature(qtbot, dialog: ConsentDialog) -> None:
    dialog.name.insert(PATIENT)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert dialog.errors["signature"].isVisible()
    assert dialog.errors["signature"].text() == NO_SIGNATURE
    assert not dialog.errors["name"].isVisible()
    assert dialog.signed_name == ""
    assert QApplication.focusWidget() is dialog.pad


def test_both_problems_are_shown_at_once(qtbot, dialog: ConsentDialog) -> None:
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.errors["name"].isVisible()
    assert dialog.errors["signature"].isVisible()
    assert dialog.isVisible()
    assert no_message_boxes()


def test_a_dot_is_refused_with_its_own_message(qtbot, dialog: ConsentDialog) -> None:
    dialog.name.insert(PATIENT)
    draw(qtbot, dialog.pad, [(200, 100)])
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert dialog.errors["signature"].text() == DOT_SIGNATURE


def test_enter_in_the_name_field_shows_the_problem_not_accepts(
    qtbot, dialog: ConsentDialog
) -> None:
    dialog.name.setFocus()
    qtbot.keyClicks(dialog.name, "Zoe O'Brien-Lukasz")
    qtbot.keyClick(dialog.name, Qt.Key.Key_Return)
    assert dialog.isVisible()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.errors["signature"].isVisible()
    assert no_message_boxes()


def test_saves_with_a_name_and_a_signature(qtbot, dialog: ConsentDialog) -> None:
    sign(qtbot, dialog, f"  {PATIENT} ")
    with qtbot.waitSignal(dialog.accepted, timeout=1000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.signed_name == PATIENT
    assert dialog.signature_png.startswith(PNG_MAGIC)
    assert ink_pixels(decode(dialog.signature_png)) > 500
    assert dialog.name_notice.isHidden()


def test_enter_saves_once_signed(qtbot, dialog: ConsentDialog) -> None:
    sign(qtbot, dialog)
    dialog.name.setFocus()
    qtbot.keyClick(dialog.name, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_a_name_not_on_file_is_noticed_but_saved(qtbot, dialog: ConsentDialog) -> None:
    dialog.name.setFocus()
    qtbot.keyClicks(dialog.name, "Olivia Smith")
    qtbot.keyClick(dialog.name, Qt.Key.Key_Tab)  # leaving the field checks it
    assert dialog.name_notice.isVisible()
    assert dialog.name_notice.text() == (
        "This does not match the patient's name on file: Zoë O'Brien-Łukasz"
    )
    assert not dialog.errors["name"].isVisible()
    draw(qtbot, dialog.pad, SIGNATURE)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.signed_name == "Olivia Smith"


def test_the_notice_goes_once_the_name_matches(qtbot, dialog: ConsentDialog) -> None:
    dialog.name.insert("Olivia")
    dialog.name.editingFinished.emit()
    assert dialog.name_notice.isVisible()
    dialog.name.insert(" O'Brien-Łukasz")
    assert not dialog.name_notice.isVisible()


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Zoë O'Brien-Łukasz", True),
        ("ZOE O'BRIEN-LUKASZ", True),
        ("zoe obrien lukasz", True),
        ("Z. O Brien Lukasz", True),
        ("Mrs OBrien-Łukasz", True),
        ("Zoë O'Brien", True),  # two words shared: one of two family names
        ("Zoë Smith", False),
        ("Olivia Smith", False),
        ("Łukaszewski", False),
        ("", False),
    ],
)
def test_name_resembles(typed: str, expected: bool) -> None:
    assert name_resembles(typed, PATIENT) is expected


def test_name_resembles_a_family_first_name() -> None:
    assert name_resembles("Zoe O'Brien-Lukasz", "O'BRIEN-ŁUKASZ, Zoë")
    assert not name_resembles("Zoe Smith", "O'BRIEN-ŁUKASZ, Zoë")
    assert name_resembles("anyone", "")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("x" * 201, "201 characters long"),
        ("Zoë\x07 O'Brien", "control characters"),
        ("   ", "is needed"),
    ],
)
def test_a_bad_name_is_said_beside_the_field(
    qtbot, dialog: ConsentDialog, typed: str, message: str
) -> None:
    draw(qtbot, dialog.pad, SIGNATURE)
    dialog.name.setText(typed)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert message in dialog.errors["name"].text()
    assert dialog.errors["name"].isVisible()


def test_signing_hides_the_signature_problem(qtbot, dialog: ConsentDialog) -> None:
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.errors["signature"].isVisible()
    draw(qtbot, dialog.pad, SIGNATURE)
    assert not dialog.errors["signature"].isVisible()


def test_clear_button_and_alt_c_clear_the_pad(qtbot, dialog: ConsentDialog) -> None:
    draw(qtbot, dialog.pad, SIGNATURE)
    qtbot.mouseClick(dialog.clear_button, Qt.MouseButton.LeftButton)
    assert dialog.pad.strokes() == []
    draw(qtbot, dialog.pad, SIGNATURE)
    dialog.name.setFocus()
    # A mnemonic "animates" the click, so the button fires a moment after the key.
    with qtbot.waitSignal(dialog.pad.changed, timeout=1000):
        qtbot.keyClick(dialog.name, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)
    assert dialog.pad.strokes() == []
    assert dialog.isVisible()


def test_escape_cancels(qtbot, dialog: ConsentDialog) -> None:
    sign(qtbot, dialog)
    with qtbot.waitSignal(dialog.rejected, timeout=1000):
        qtbot.keyClick(dialog.name, Qt.Key.Key_Escape)
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert dialog.signed_name == ""
    assert dialog.signature_png == b""


def test_a_wrapped_message_does_not_cover_the_pad(qtbot, dialog: ConsentDialog) -> None:
    dialog.resize(dialog.minimumSizeHint())
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    dialog.resize(dialog.minimumSizeHint())  # as small as the user can drag it
    error = dialog.errors["signature"]

    def laid_out() -> None:
        assert error.height() >= 2 * error.fontMetrics().height(), "the message wraps"
        pad_bottom = dialog.pad.mapTo(dialog, QPoint(0, dialog.pad.height())).y()
        assert error.mapTo(dialog, QPoint(0, 0)).y() >= pad_bottom
        assert dialog.pad.height() >= dialog.pad.minimumHeight()

    qtbot.waitUntil(laid_out, timeout=1000)
