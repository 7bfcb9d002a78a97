"""The menu bar as the user finds it: every menu, action, objectName and shortcut, in order."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QAction, QKeySequence

from exodesk.domain import accounts as perms
from exodesk.services.workspace import Services
from exodesk.ui.main_window import MainWindow
from exodesk.ui.menus import exit_shortcuts

Std = QKeySequence.StandardKey

# (menu text, [(action text, objectName, shortcut or None) or None for a separator])
MENUS: list[tuple[str, list[tuple[str, str, str | QKeySequence.StandardKey | None] | None]]] = [
    (
        "&File",
        [
            ("&Settings…", "actionSettings", Std.Preferences),
            ("S&taff…", "actionStaff", None),
            ("&Aftercare wording…", "actionAftercareWording", None),
            ("&Comparison prices and wording…", "actionComparisonTexts", None),
            ("Screening &rules and consent…", "actionScreeningSettings", None),
            ("S&witch user…", "actionSwitchUser", "Ctrl+Shift+U"),
            ("&Lock the screen", "actionLock", "Ctrl+L"),
            ("Change my &password…", "actionChangePassword", None),
            None,
            ("E&xit", "actionQuit", Std.Quit),
        ],
    ),
    (
        "&Records",
        [
            ("&Lot recall…", "actionRecall", "Ctrl+Shift+L"),
            ("Patients &due for a session…", "actionDueList", None),
            ("Open adverse &events…", "actionOpenEvents", None),
            None,
            ("&Products and lots…", "actionProducts", None),
            None,
            ("&Audit log…", "actionAuditLog", None),
            (
                "E&xport this patient's records (subject access)…",
                "actionExportPatient",
                None,
            ),
        ],
    ),
    (
        "&Tools",
        [
            ("&Back up now…", "actionBackupNow", "Ctrl+Shift+B"),
            ("&Restore from a backup…", "actionRestore", None),
            ("&Test the newest backup (restore drill)…", "actionDrill", None),
            None,
            ("&Encrypt the clinic's records…", "actionEncrypt", None),
            ("Change the clinic's &keys…", "actionRekey", None),
        ],
    ),
    (
        "&Help",
        [
            ("&User guide", "actionGuide", Std.HelpContents),
            ("&Clinical content…", "actionClinicalContent", None),
            ("&About ExoDesk", "actionAbout", None),
        ],
    ),
]


@pytest.fixture
def window(qtbot, services: Services) -> MainWindow:
    win = MainWindow(services, day_first=True)
    qtbot.addWidget(win)
    return win


def test_the_menu_bar_holds_every_action_in_order(window: MainWindow) -> None:
    found = []
    for top in window.menuBar().actions():
        menu = top.menu()
        assert menu is not None
        items = []
        for action in menu.actions():
            if action.isSeparator():
                items.append(None)
                continue
            shortcut = action.shortcut()
            items.append((action.text(), action.objectName(), shortcut))
        found.append((top.text(), items))
    expected = [
        (
            title,
            [
                None if item is None else (item[0], item[1], QKeySequence(item[2] or ""))
                for item in items
            ],
        )
        for title, items in MENUS
    ]
    assert found == expected


def test_every_action_belongs_to_the_window_so_its_shortcut_works_and_tests_find_it(
    window: MainWindow,
) -> None:
    names = [name for _, items in MENUS for item in items if item for name in (item[1],)]
    assert sorted(a.objectName() for a in window.actions()) == sorted(names)
    for name in names:
        assert window.findChild(QAction, name) is not None, name


def test_each_action_needs_the_permission_it_always_needed(window: MainWindow) -> None:
    assert window.menus.permissions == {
        "actionSettings": perms.SETTINGS_EDIT,
        "actionStaff": perms.ACCOUNTS_MANAGE,
        "actionAftercareWording": perms.CLINICAL_TEXTS_EDIT,
        "actionComparisonTexts": perms.CLINICAL_TEXTS_EDIT,
        "actionScreeningSettings": perms.CLINICAL_TEXTS_EDIT,
        "actionRecall": perms.RECALL_VIEW,
        "actionDueList": perms.DUE_LIST_VIEW,
        "actionOpenEvents": perms.SESSIONS_VIEW,
        "actionProducts": perms.CATALOGUE_EDIT,
        "actionAuditLog": perms.AUDIT_VIEW,
        "actionBackupNow": perms.BACKUPS_RUN,
        "actionDrill": perms.BACKUPS_RUN,
        "actionRestore": perms.BACKUPS_RESTORE,
        "actionEncrypt": perms.SETTINGS_EDIT,
        "actionRekey": perms.ACCOUNTS_MANAGE,
        "actionExportPatient": perms.EXPORT_PATIENT,
    }


def test_locking_turns_every_action_off_and_unlocking_restores_what_the_role_allows(
    window: MainWindow,
) -> None:
    window.menus.set_enabled(False)
    assert not any(a.isEnabled() for a in window.actions())
    assert not window.menuBar().isEnabled()
    window._services.desk.user = None  # nobody at the desk: only the open doors stay
    window.menus.set_enabled(True)
    enabled = {a.objectName() for a in window.actions() if a.isEnabled()}
    assert enabled == {
        "actionSwitchUser",
        "actionLock",
        "actionChangePassword",
        "actionQuit",
        "actionGuide",
        "actionClinicalContent",
        "actionAbout",
    }
    assert window.menuBar().isEnabled()


def test_exit_shows_alt_f4_on_windows_and_keeps_ctrl_q() -> None:
    assert exit_shortcuts("win32") == ("Alt+F4", "Ctrl+Q")
    assert exit_shortcuts("linux") == Std.Quit
    assert exit_shortcuts("darwin") == Std.Quit


def test_exit_closes_the_window_the_way_alt_f4_does(qtbot, window: MainWindow) -> None:
    window.show()
    qtbot.waitExposed(window)
    window.menus.actions["actionQuit"].trigger()
    assert not window.isVisible()  # the same closeEvent as the title bar's × and Alt+F4
