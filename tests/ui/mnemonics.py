"""Alt letters as a Windows user meets them: which widgets share one Alt namespace, which letter
each one takes, and which labels show a mnemonic ampersand literally.

One window is one namespace (its buttons, check boxes, labels with a buddy, group boxes, tab
titles and, for the main window, the menu bar's titles), except that the pages of a stacked
widget (a tab widget's pages, a settings window's pages) are never on screen together: each page
adds to the window's namespace on its own. Widgets hidden for now are counted (they show in
another state of the same window). Each menu is a namespace of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import (
    QAbstractButton,
    QGroupBox,
    QLabel,
    QMenu,
    QMenuBar,
    QStackedWidget,
    QTabBar,
    QWidget,
)

LITERAL = re.compile(r"&[^\s&]")


def mnemonic(text: str) -> str | None:
    """The letter after the first single ``&`` (``&&`` is a literal ampersand), lowercased."""
    i = 0
    while (i := text.find("&", i)) != -1:
        following = text[i + 1 : i + 2]
        if following == "&":
            i += 2
            continue
        if following and not following.isspace():
            return following.lower()
        i += 1
    return None


@dataclass(frozen=True)
class Entry:
    letter: str
    text: str
    where: str
    owner: int  # id() of the widget or action: one widget is never a clash with itself


def _describe(widget: QWidget) -> str:
    name = widget.objectName() or "(no objectName)"
    return f"{type(widget).__name__} {name}"


def _own_entries(widget: QWidget, literals: list[str]) -> list[Entry]:
    found: list[tuple[str, str, int]] = []
    if isinstance(widget, QAbstractButton):
        found.append((widget.text(), _describe(widget), id(widget)))
    elif isinstance(widget, QGroupBox):
        found.append((widget.title(), _describe(widget), id(widget)))
    elif isinstance(widget, QTabBar):
        for i in range(widget.count()):
            found.append((widget.tabText(i), f"tab of {_describe(widget)}", id(widget) + i))
    elif isinstance(widget, QMenuBar):
        for action in widget.actions():
            found.append((action.text(), "menu bar", id(action)))
    elif isinstance(widget, QLabel):
        text = widget.text()
        if widget.buddy() is not None:
            found.append((text, f"label of {_describe(widget.buddy())}", id(widget)))
        else:
            shown = text
            if widget.textFormat() == Qt.TextFormat.RichText or (
                widget.textFormat() == Qt.TextFormat.AutoText and "<" in text
            ):
                document = QTextDocument()
                document.setHtml(text)
                shown = document.toPlainText()
            if LITERAL.search(shown):
                literals.append(f"{_describe(widget)} shows {shown!r} (no buddy)")
    return [
        Entry(letter, text, where, owner)
        for text, where, owner in found
        if (letter := mnemonic(text)) is not None
    ]


def namespaces(widget: QWidget, literals: list[str]) -> list[list[Entry]]:
    """Every set of widgets that share one Alt namespace inside ``widget``'s window."""
    own = _own_entries(widget, literals)
    children = [
        child
        for child in widget.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
        if not child.isWindow()
    ]
    if isinstance(widget, QStackedWidget):
        pages = [widget.widget(i) for i in range(widget.count())]
        alternatives = [space for page in pages for space in namespaces(page, literals)]
        rest = [child for child in children if child not in pages]
        combined = [own + space for space in alternatives] or [own]
    else:
        rest = children
        combined = [own]
    for child in rest:
        spaces = namespaces(child, literals)
        combined = [a + b for a in combined for b in spaces]
    return combined


def clashes(spaces: list[list[Entry]]) -> list[str]:
    """One sentence per pair of different widgets answering the same Alt letter."""
    found: set[str] = set()
    for space in spaces:
        by_letter: dict[str, list[Entry]] = {}
        for entry in space:
            by_letter.setdefault(entry.letter, []).append(entry)
        for letter, entries in by_letter.items():
            owners = {e.owner for e in entries}
            if len(owners) > 1:
                names = " and ".join(sorted({f"{e.text!r} ({e.where})" for e in entries}))
                found.add(f"Alt+{letter.upper()}: {names}")
    return sorted(found)


def window_problems(window: QWidget) -> list[str]:
    """Clashes in one window and labels that show '&' literally."""
    literals: list[str] = []
    spaces = namespaces(window, literals)
    title = window.windowTitle() or window.objectName()
    return [f"{title}: {c}" for c in clashes(spaces)] + [
        f"{title}: {text}" for text in sorted(set(literals))
    ]


def menu_problems(menu_bar: QMenuBar) -> list[str]:
    """Clashes inside each menu (and its submenus), each menu its own namespace."""
    problems: list[str] = []

    def walk(menu: QMenu, path: str) -> None:
        space = []
        for action in menu.actions():
            if action.isSeparator():
                continue
            letter = mnemonic(action.text())
            if letter is not None:
                space.append(Entry(letter, action.text(), "menu item", id(action)))
            if action.menu() is not None:
                walk(action.menu(), f"{path} → {action.text()}")
        problems.extend(f"{path}: {c}" for c in clashes([space]))

    for top in menu_bar.actions():
        if top.menu() is not None:
            walk(top.menu(), top.text())
    return problems
