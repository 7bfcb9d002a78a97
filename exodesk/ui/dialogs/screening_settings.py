"""ScreeningSettingsDialog: the clinic's stricter screening rules and its consent text."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain.screening import VERDICT_ORDER, RuleTable, load_rule_table
from exodesk.errors import UserError
from exodesk.services.context import Changes
from exodesk.services.screening import ScreeningService, default_consent_text
from exodesk.ui.common import error_label, named
from exodesk.ui.errors import show_user_error

RULE, DEFAULT, OUTCOME, WINDOW = range(4)


class ScreeningSettingsDialog(QDialog):
    """Two pages: rules (only ever stricter than the defaults) and the consent text."""

    def __init__(self, parent: QWidget | None, screening: ScreeningService) -> None:
        super().__init__(parent)
        self.setObjectName("screeningSettingsDialog")
        self.setWindowTitle("Screening rules and consent")
        self._screening = screening
        self.changes = Changes()
        self._defaults = load_rule_table()
        current = screening.rules()

        self.rules = named(
            QTableWidget(len(self._defaults.rules), 4), "rulesTable", "Screening rules"
        )
        self.rules.setHorizontalHeaderLabels(["Rule", "Default", "Clinic setting", "Window"])
        self.rules.verticalHeader().hide()
        header = self.rules.horizontalHeader()
        header.setSectionResizeMode(RULE, QHeaderView.ResizeMode.Stretch)
        for column in (DEFAULT, OUTCOME, WINDOW):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self._outcomes: dict[str, QComboBox] = {}
        self._windows: dict[str, QSpinBox] = {}
        for row, rule in enumerate(self._defaults.rules):
            self._add_rule_row(row, rule.id, current)
        self.rules_error = error_label("rulesError")
        restore_rules = named(
            QPushButton("Restore &default rules"), "restoreRules", "Restore default rules"
        )
        restore_rules.clicked.connect(self._restore_rules)
        rules_page = QWidget()
        rules_layout = QVBoxLayout(rules_page)
        intro = QLabel(
            "A clinic may make a rule stricter — a more cautious verdict or a longer wait — "
            "never looser. Screenings record which rules judged them."
        )
        intro.setWordWrap(True)
        rules_layout.addWidget(intro)
        rules_layout.addWidget(self.rules, 1)
        rules_layout.addWidget(self.rules_error)
        rules_layout.addWidget(restore_rules)

        version, text = screening.consent_text()
        self.consent_version = QLabel(f"In use: version {version}")
        self.consent_version.setObjectName("consentVersion")
        self.consent = named(QPlainTextEdit(text), "consentText", "Consent text")
        self.consent.setTabChangesFocus(True)
        self._consent_loaded = text
        self.consent_error = error_label("consentError")
        restore_consent = named(
            QPushButton("Use the &standard wording"),
            "restoreConsent",
            "Restore the standard consent wording",
        )
        restore_consent.clicked.connect(lambda: self.consent.setPlainText(default_consent_text()))
        consent_page = QWidget()
        consent_layout = QVBoxLayout(consent_page)
        note = QLabel(
            "Saving changed wording makes a new version; consent already signed keeps "
            "the version the patient signed."
        )
        note.setWordWrap(True)
        consent_layout.addWidget(note)
        consent_layout.addWidget(self.consent_version)
        consent_layout.addWidget(self.consent, 1)
        consent_layout.addWidget(self.consent_error)
        row = QHBoxLayout()
        row.addWidget(restore_consent)
        row.addStretch(1)
        consent_layout.addLayout(row)

        self.pages = QTabWidget()
        self.pages.setObjectName("screeningSettingsPages")
        self.pages.addTab(rules_page, "&Rules")
        self.pages.addTab(consent_page, "C&onsent text")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        named(buttons.button(QDialogButtonBox.StandardButton.Save), "screeningSettingsSave", "Save")
        named(
            buttons.button(QDialogButtonBox.StandardButton.Cancel),
            "screeningSettingsCancel",
            "Cancel",
        )
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages, 1)
        layout.addWidget(buttons)
        self.resize(860, 600)

    def _add_rule_row(self, row: int, rule_id: str, current: RuleTable) -> None:
        default = self._defaults.rule(rule_id)
        now = current.rule(rule_id)
        strictest = max((e.outcome for e in default.effects), key=self._defaults.severity)
        mildest = min((e.outcome for e in default.effects), key=self._defaults.severity)
        title = QTableWidgetItem(default.title)
        title.setToolTip(", ".join(self._defaults.treatment_label(t) for t in default.scope))
        self.rules.setItem(row, RULE, title)
        words = sorted({self._defaults.verdict_label(e.outcome) for e in default.effects})
        self.rules.setItem(row, DEFAULT, QTableWidgetItem(" / ".join(words)))
        combo = named(QComboBox(), f"rule_{rule_id}_outcome", f"{default.title}: clinic verdict")
        combo.addItem("As default", None)
        for verdict in VERDICT_ORDER:
            if self._defaults.severity(verdict) > self._defaults.severity(strictest) or (
                verdict == strictest and mildest != strictest
            ):
                combo.addItem(f"Always {self._defaults.verdict_label(verdict)}", verdict)
        chosen = {e.outcome for e in now.effects}
        if now.effects != default.effects and len(chosen) == 1:
            combo.setCurrentIndex(max(0, combo.findData(chosen.pop())))
        self.rules.setCellWidget(row, OUTCOME, combo)
        self._outcomes[rule_id] = combo
        if default.window is not None:
            unit, value = default.window
            spin = named(QSpinBox(), f"rule_{rule_id}_window", f"{default.title}: wait in {unit}")
            spin.setRange(value, 3650 if unit == "days" else 120)
            spin.setSuffix(f" {unit}")
            spin.setValue(now.window[1] if now.window else value)
            self.rules.setCellWidget(row, WINDOW, spin)
            self._windows[rule_id] = spin
        else:
            self.rules.setItem(row, WINDOW, QTableWidgetItem("—"))

    def overrides(self) -> dict[str, dict[str, Any]]:
        """The clinic's changes from the defaults, as the service stores them."""
        found: dict[str, dict[str, Any]] = {}
        for rule_id, combo in self._outcomes.items():
            if combo.currentData() is not None:
                found.setdefault(rule_id, {})["outcome"] = combo.currentData()
        for rule_id, spin in self._windows.items():
            unit, value = self._defaults.rule(rule_id).window  # type: ignore[misc]
            if spin.value() != value:
                found.setdefault(rule_id, {})[unit] = spin.value()
        return found

    def _restore_rules(self) -> None:
        for combo in self._outcomes.values():
            combo.setCurrentIndex(0)
        for rule_id, spin in self._windows.items():
            spin.setValue(self._defaults.rule(rule_id).window[1])  # type: ignore[index]

    def _save(self) -> None:
        try:
            result = self._screening.set_rule_overrides(self.overrides())
            if not result.ok:
                self.rules_error.setText(result.problems[0].message)
                self.rules_error.show()
                self.pages.setCurrentIndex(0)
                return
            self.changes = result.changes
            if self.consent.toPlainText() != self._consent_loaded:
                saved = self._screening.save_consent_text(self.consent.toPlainText())
                if not saved.ok:
                    self.consent_error.setText(saved.problems[0].message)
                    self.consent_error.show()
                    self.pages.setCurrentIndex(1)
                    return
        except UserError as exc:
            show_user_error(self, exc)
            return
        self.accept()
