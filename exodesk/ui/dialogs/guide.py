"""GuideDialog: the user guide (resources/help/guide.html), shown offline in a QTextBrowser."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QImage, QKeySequence, QShortcut, QTextDocument
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from exodesk import APP_NAME
from exodesk.paths import RESOURCES
from exodesk.ui.common import named, resize_within_screen

GUIDE = RESOURCES / "help" / "guide.html"
# The width guide.html gives its pictures (its <img width="...">): screenshots scaled to it here.
PICTURE_WIDTH = 720


class GuideBrowser(QTextBrowser):
    """A QTextBrowser that scales the guide's screenshots smoothly (its own scaling is coarse,
    and makes the text in a 1366 px screenshot unreadable) and sharply on high-DPI screens."""

    def loadResource(self, kind: int, name: QUrl | str) -> object:
        # Qt passes a QUrl; str is allowed because QTextBrowser.loadResource accepts one too.
        if kind == QTextDocument.ResourceType.ImageResource.value:
            url = name if isinstance(name, QUrl) else QUrl(name)
            image = QImage(url.toLocalFile())
            if not image.isNull() and image.width() > PICTURE_WIDTH:
                ratio = self.devicePixelRatioF()
                image = image.scaledToWidth(
                    round(PICTURE_WIDTH * ratio), Qt.TransformationMode.SmoothTransformation
                )
                image.setDevicePixelRatio(ratio)
                return image
        return super().loadResource(kind, name)


class GuideDialog(QDialog):
    """The guide beside the main window (not modal, so the app stays usable while reading).

    No WebEngine: QTextBrowser renders the plain HTML and its pictures from resources/help,
    and links inside the guide jump between its sections.
    """

    def __init__(self, parent: QWidget | None = None, *, guide: Path = GUIDE) -> None:
        super().__init__(parent)
        self.setObjectName("guideDialog")
        self.setWindowTitle(f"{APP_NAME} user guide")
        self.browser = named(GuideBrowser(), "guideBrowser", "User guide")
        self.browser.setOpenExternalLinks(False)  # the guide never leaves the PC
        self.browser.setSearchPaths([str(guide.parent)])
        if guide.is_file():
            self.browser.setSource(QUrl.fromLocalFile(str(guide)))
        else:  # BundledContent.check fails the smoke test first; this is for a damaged install
            self.browser.setPlainText(
                f"The user guide is missing from this installation ({guide}). "
                f"Reinstalling {APP_NAME} brings it back; your data is not affected."
            )
        self.contents_button = named(
            QPushButton("&Contents"), "guideContents", "Back to the contents"
        )
        self.close_button = named(QPushButton("Close"), "guideClose", "Close the guide")
        self.contents_button.clicked.connect(self.show_contents)
        self.close_button.clicked.connect(self.close)
        # Alt+Left like a browser, for whoever followed a link and wants to go back.
        back = QShortcut(QKeySequence(QKeySequence.StandardKey.Back), self)
        back.activated.connect(self.browser.backward)
        buttons = QHBoxLayout()
        buttons.addWidget(self.contents_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser, 1)
        layout.addLayout(buttons)
        resize_within_screen(self, 820, 720)
        self.browser.setFocus()

    def show_contents(self) -> None:
        self.browser.scrollToAnchor("top")
        self.browser.verticalScrollBar().setValue(0)

    @classmethod
    def show_for(cls, parent: QWidget) -> GuideDialog:
        """Show the guide for ``parent`` (the main window), reusing one already open."""
        dialog = parent.findChild(cls, options=Qt.FindChildOption.FindDirectChildrenOnly)
        if dialog is None:
            dialog = cls(parent)
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog
