"""The idle lock: after some minutes without a key press or click, patient data is hidden.

Nothing is closed or reset while locked: every window and dialog stays as it was, covered by an
opaque panel, so the person who unlocks finds their half-filled form intact. The panel on top
(on the open dialog if there is one, since a modal dialog takes all input) asks for the
password; "Switch user" lets someone else sign in instead, and then what the first person left
unsaved is closed unsaved, so it can never be saved under the wrong name.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from exodesk.ui.common import error_style, named

_ACTIVITY = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}


class IdleWatcher(QObject):
    """Notices key presses and clicks anywhere in the app; says ``idle`` once the limit passes.

    Time is read from ``clock`` (the services' clock), so tests move a fake clock and call
    ``check()`` instead of waiting ten minutes.
    """

    idle = Signal()

    CHECK_MS = 15_000

    def __init__(
        self, parent: QObject, clock: Callable[[], datetime], minutes: Callable[[], int]
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self._minutes = minutes
        self.last_activity = clock()
        self.paused = False
        self._timer = QTimer(self)
        self._timer.setInterval(self.CHECK_MS)
        self._timer.timeout.connect(self.check)

    def start(self) -> None:
        """Start watching (when the window is first shown: an app-wide event filter before
        then slowed the first paint by ~50 ms, issue #9)."""
        self.last_activity = self._clock()
        app = QApplication.instance()
        if app is not None and not self._timer.isActive():
            app.installEventFilter(self)
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _ACTIVITY:
            self.last_activity = self._clock()
        return False

    def check(self) -> bool:
        """Say ``idle`` if the limit has passed since the last key press or click."""
        if self.paused:
            return False
        if self._clock() - self.last_activity >= timedelta(minutes=self._minutes()):
            self.idle.emit()
            return True
        return False


class LockCover(QFrame):
    """An opaque panel over one window. The interactive one asks for the password."""

    unlock_requested = Signal(str)
    switch_requested = Signal()

    def __init__(self, host: QWidget, *, person: str, interactive: bool) -> None:
        super().__init__(host)
        self.setObjectName("lockCover")
        self.setAutoFillBackground(True)
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, palette.color(QPalette.ColorRole.Base))
        self.setPalette(palette)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.password: QLineEdit | None = None
        self.error = QLabel("")
        self.error.setObjectName("lockError")
        self.error.setStyleSheet(error_style())
        self.error.setWordWrap(True)
        title = QLabel("<h2>ExoDesk is locked</h2>")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text = QLabel(
            f"{person} stepped away, so patient details are hidden."
            if interactive
            else "Locked: sign in on the main window."
        )
        text.setObjectName("lockText")
        text.setWordWrap(True)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        column = QVBoxLayout()
        column.addStretch(1)
        column.addWidget(title)
        column.addWidget(text)
        if interactive:
            self.password = named(QLineEdit(), "lockPassword", f"Password for {person}")
            self.password.setEchoMode(QLineEdit.EchoMode.Password)
            self.password.setPlaceholderText(f"{person}'s password")
            self.unlock_button = named(QPushButton("&Unlock"), "lockUnlock", "Unlock")
            self.unlock_button.setDefault(True)
            self.switch_button = named(
                QPushButton("&Switch user…"), "lockSwitchUser", "Someone else signs in"
            )
            self.password.returnPressed.connect(self._unlock)
            self.unlock_button.clicked.connect(self._unlock)
            self.switch_button.clicked.connect(self.switch_requested)
            row = QHBoxLayout()
            row.addWidget(self.password, 1)
            row.addWidget(self.unlock_button)
            column.addLayout(row)
            column.addWidget(self.error)
            column.addWidget(self.switch_button, 0, Qt.AlignmentFlag.AlignCenter)
        column.addStretch(2)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(column, 2)
        outer.addStretch(1)
        host.installEventFilter(self)
        self._fit()
        self.show()
        self.raise_()
        if self.password is not None:
            self.password.setFocus()

    def _unlock(self) -> None:
        if self.password is not None:
            self.unlock_requested.emit(self.password.text())

    def refused(self, message: str) -> None:
        self.error.setText(message)
        if self.password is not None:
            self.password.clear()
            self.password.setFocus()

    def _fit(self) -> None:
        host = self.parentWidget()
        if host is not None:
            self.setGeometry(host.rect())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self._fit()
            self.raise_()
        return False


def _needs_cover(window: QWidget, *, shown: bool = False) -> bool:
    """A window that may show patient data: visible, not a tooltip or a drop-down list."""
    if not (shown or window.isVisible()) or isinstance(window, LockCover):
        return False
    kind = window.windowType()
    return kind not in (Qt.WindowType.ToolTip, Qt.WindowType.Popup, Qt.WindowType.Desktop)


class DeskLock(QObject):
    """Covers every open window of the app, and takes them back off on unlock.

    Args:
        main: The main window (covered last; hosts the password box unless a dialog is open).
        set_actions_enabled: Turns the main window's menus and shortcuts off and on.
    """

    locked_changed = Signal(bool)

    def __init__(self, main: QWidget, set_actions_enabled: Callable[[bool], None]) -> None:
        super().__init__(main)
        self._main = main
        self._set_actions_enabled = set_actions_enabled
        self.covers: list[LockCover] = []
        self.interactive: LockCover | None = None
        self.letting_in = False
        """Set while "Switch user" asks who signs in: that dialog is the way in, not covered."""
        self._person = ""

    @property
    def locked(self) -> bool:
        return bool(self.covers)

    def lock(self, person: str) -> LockCover:
        if self.interactive is not None:
            return self.interactive
        popup = QApplication.activePopupWidget()
        if popup is not None:
            popup.close()
        host = QApplication.activeModalWidget() or self._main
        # Every window, not only dialogs: a stray top-level window (issue #18: "Regulator
        # report…" at the screen's corner) opened the patient's report past the lock.
        windows = [self._main] + [
            w for w in QApplication.topLevelWidgets() if w is not self._main and _needs_cover(w)
        ]
        self._person = person
        for window in windows:
            cover = self._cover(window, interactive=window is host)
            if window is host:
                self.interactive = cover
        # A window that opens while locked (a timer's message, a late dialog) is covered too.
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self._set_actions_enabled(False)
        self.locked_changed.emit(True)
        assert self.interactive is not None
        return self.interactive

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.Show
            and self.covers
            and not self.letting_in
            and isinstance(watched, QWidget)
            and watched.isWindow()
            and _needs_cover(watched, shown=True)
            and not any(cover.parentWidget() is watched for cover in self.covers)
        ):
            self._cover(watched, interactive=False)
        return False

    def _cover(self, window: QWidget, *, interactive: bool) -> LockCover:
        cover = LockCover(window, person=self._person, interactive=interactive)
        self.covers.append(cover)
        # A window deleted while locked takes its cover with it: forget that cover then.
        cover.destroyed.connect(lambda _obj=None, gone=cover: self._forget(gone))
        return cover

    def _forget(self, cover: LockCover) -> None:
        self.covers = [c for c in self.covers if c is not cover]
        if self.interactive is cover:
            self.interactive = None

    def unlock(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        for cover in self.covers:
            host = cover.parentWidget()
            if host is not None:
                host.removeEventFilter(cover)
            cover.hide()
            cover.deleteLater()
        self.covers.clear()
        self.interactive = None
        self._set_actions_enabled(True)
        self.locked_changed.emit(False)

    def close_dialogs(self) -> int:
        """Close every open dialog unsaved (a different person is taking over)."""
        closed = 0
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QDialog) and widget.isVisible():
                widget.done(QDialog.DialogCode.Rejected)
                closed += 1
            elif widget is not self._main and _needs_cover(widget):
                widget.close()  # any other window the first person left open
                closed += 1
        return closed
