"""Walking the main window as a person would: its tabs, the session form, every menu item.

The menu items are read from MainMenus' own table (no window is needed to name the tests), so
an item added there is walked without touching these tests; test_desk checks the table against
the live menu bar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from PySide6.QtCore import QRect, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QMessageBox,
    QProgressDialog,
    QScrollArea,
    QWidget,
)

from exodesk.ui.menus import MainMenus
from tests.ui.desk import checks

SIZES = ((1366, 728), (1280, 720))
"""A 1366×768 screen less the Windows taskbar; a 1920×1080 screen at 150 %."""


def size_id(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


def plain_words(text: str) -> str:
    """A menu text as a test id: "E&xport this patient's records (subject access)…" →
    "Export_this_patients_records"."""
    words = text.replace("&", "").replace("…", "").replace("'", "").split(" (")[0].strip()
    return "_".join(words.split())


class _Anything:
    """Stands in for the window and its menus while the table of menu items is read."""

    def __getattr__(self, name: str) -> Any:
        return self

    def __call__(self, *args: object, **kwargs: object) -> None:
        return None


@dataclass(frozen=True)
class MenuEntry:
    menu: str
    name: str
    """The action's objectName."""
    text: str

    @property
    def id(self) -> str:
        return plain_words(self.text)


def menu_entries() -> list[MenuEntry]:
    """Every item of every menu, in order, from MainMenus' table."""
    stub = cast(MainMenus, _Anything())
    return [
        MenuEntry(plain_words(title), item.name, item.text)
        for title, items in MainMenus._menus(stub)
        for item in items
        if item is not None
    ]


@dataclass
class Seen:
    """What a walk found: the window it opened (if any) and the problems in it."""

    title: str = ""
    kind: str = ""
    problems: list[str] = field(default_factory=list)
    pictures: list[Path] = field(default_factory=list)
    done: bool = False


def shoot(widget: QWidget, picture: Path) -> Path:
    """Save what the widget shows; on a real display also the whole screen around it."""
    QApplication.processEvents()
    assert widget.grab().save(str(picture)), picture
    screen = widget.screen() or QGuiApplication.primaryScreen()
    if QGuiApplication.platformName() == "xcb" and screen is not None:
        whole = picture.with_name(picture.stem + "-screen.png")
        screen.grabWindow(0).save(str(whole))
    return picture


def look_at_view(window: QWidget, screen: QRect, before: list[QWidget], picture: Path) -> list[str]:
    """Every check on the main window as it is now, and a picture of it."""
    QApplication.processEvents()
    problems = checks.everything(window, screen) + checks.no_stray_windows([window], before)
    shoot(window, picture)
    # And what scrolling down shows (the end of a long form, its last buttons).
    bars = [
        area.verticalScrollBar()
        for area in window.findChildren(QScrollArea)
        if area.isVisible() and area.verticalScrollBar().isVisible()
    ]
    if bars:
        where = [bar.value() for bar in bars]
        for bar in bars:
            bar.setValue(bar.maximum())
        shoot(window, picture.with_name(picture.stem + "-scrolled.png"))
        for bar, value in zip(bars, where, strict=True):
            bar.setValue(value)
    return problems


def open_and_look(
    qtbot: Any,
    window: QWidget,
    trigger: Callable[[], object],
    screen: QRect,
    before: list[QWidget],
    picture: Path,
    *,
    wait_ms: int = 2000,
    settle_ms: int = 150,
) -> Seen:
    """Trigger a menu item and check the window it opens, modal or not, then close it.

    A modal dialog runs its own event loop inside ``trigger``: a timer finds it there, looks
    at it and rejects it, so ``trigger`` returns. If no new window opens within ``wait_ms``,
    ``Seen.kind`` is "nothing" (the item changed the main window, or closed it).
    """
    seen = Seen()
    known = {id(w) for w in before} | {id(window)}

    def new_window() -> QWidget | None:
        modal = QApplication.activeModalWidget()
        if (
            modal is not None
            and id(modal) not in known
            and modal.isVisible()
            and not isinstance(modal, QProgressDialog)
        ):
            return modal
        fresh = [
            w
            for w in QApplication.topLevelWidgets()
            if w.isVisible()
            and id(w) not in known
            and w.windowType() not in checks.PASSING
            and not isinstance(w, QProgressDialog)  # "Preparing…": the window comes next
        ]
        # A dialog of the main window, if several appeared (strays are reported separately).
        fresh.sort(key=lambda w: w.parentWidget() is not window)
        return fresh[0] if fresh else None

    def look(dialog: QWidget) -> None:
        try:
            seen.title = dialog.windowTitle()
            seen.kind = type(dialog).__name__
            seen.problems = checks.everything(
                dialog, screen, placed=checks.on_a_real_display()
            ) + checks.no_stray_windows([window, dialog], before)
            seen.pictures.append(shoot(dialog, picture))
        except Exception as exc:  # reported by the test, after the dialog is closed
            seen.problems.append(f"looking at the dialog failed: {exc!r}")
        finally:
            close(dialog)
            seen.done = True

    def poll(remaining: int) -> None:
        dialog = new_window()
        if dialog is not None:
            QTimer.singleShot(settle_ms, lambda: look(dialog))
            return
        if remaining > 0:
            QTimer.singleShot(20, lambda: poll(remaining - 20))
        else:
            seen.kind = "nothing"
            seen.done = True

    QTimer.singleShot(0, lambda: poll(wait_ms))
    trigger()
    qtbot.waitUntil(lambda: seen.done, timeout=wait_ms + 5000)
    return seen


def close(dialog: QWidget) -> None:
    if isinstance(dialog, QMessageBox):
        dialog.done(0)
    elif isinstance(dialog, QDialog):
        dialog.reject()
    if dialog.isVisible():
        dialog.close()
